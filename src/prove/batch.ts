/**
 * Batch proving from a JSONL file into a folder of receipts, one per line, named by the
 * line's id (or `line-N`), on a {@link ProverPool}.
 *
 * Guarantees:
 * - Resumable: a receipt already present, whole, for the same model, key and input, and
 *   valid under the `checkKept` verifier is kept; only the rest is proven. Without a
 *   verifier nothing unchecked is kept (this stage cannot import the verifier: the CLI
 *   passes one, see src/verify/kept.ts).
 * - One writer: a lock file in the folder (owner pid and host) makes a second batch into
 *   the same folder refuse; a lock left by a dead process is taken over.
 * - Crash-safe: every receipt (and `failures.jsonl`) is written to a temporary file and
 *   renamed, so a kill at any moment — even SIGKILL — keeps every finished receipt and
 *   leaves no half-written one; temporary files of dead runs are removed on the next run.
 * - Failure isolation: a bad line (malformed JSON, nested however deep, wrong shape, NaN,
 *   out of range, an id that is not a safe file name or is reserved, a duplicate id, a
 *   witness the circuit rejects) goes to `failures.jsonl` with its reason and the batch
 *   goes on.
 * - Bounded: at most `pool.capacity` proofs are submitted at once; an abort stops taking
 *   lines, drops proofs still waiting and lets running ones finish and be written.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError, ProveError, ZkinferError } from '../shared/errors.js';
import { tryLock, type HeldLock } from '../shared/lock.js';
import { readInputLines, type InputFailure, type InputRecord } from '../shared/input.js';
import { receiptDigest, receiptSchema, type Receipt } from '../shared/receipt.js';
import { openingPathFor, parseOpening } from '../shared/opening.js';
import { quantizeInput } from '../reference/execute.js';
import { writeFileAtomicSync } from '../shared/fs.js';
import type { Artifacts } from './artifacts.js';
import { defaultPoolShape, ProofAbortedError, ProverPool, type PooledProof, type PooledSharedProof } from './pool.js';
import { SharedInputError } from './shared-error.js';
import { inferencesOf, SHARED_PROOF_DIR, sharedProofFileName } from '../shared/shared-proof.js';

/** The failures file written beside the receipts. */
export const FAILURES_FILE = 'failures.jsonl';
/** The lock file a running batch holds in its output folder. */
export const BATCH_LOCK_FILE = '.zkinfer-batch.lock';
/** The longest id a line may carry (its receipt name adds `.json`, a temporary one `.json.<pid>.tmp`). */
export const MAX_ID_LENGTH = 128;

/**
 * Ids that would name something other than a receipt: `failures` (the batch's own files,
 * which `verify <dir>` skips) and the device names Windows reserves, compared without case.
 */
const RESERVED_IDS = new Map<string, string>([
  ['failures', "the batch's failures file"],
  ...['con', 'prn', 'aux', 'nul', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`com${n}`, `lpt${n}`])].map((d): [string, string] => [d, 'a device name on Windows']),
]);

/** A line's receipt that failed verification on resume and was proven again. */
export interface RejectedReceipt {
  id: string;
  file: string;
  /** Why the kept receipt was not valid (one line). */
  reason: string;
}

/**
 * Verifies receipt files a batch would keep on resume: one verdict per file, in order
 * (see `keptReceiptCheck` in src/verify/kept.ts).
 */
export type KeptReceiptCheck = (files: string[]) => Promise<{ valid: boolean; reason?: string }[]>;

/** Progress of a batch, reported after every line settles. */
export interface BatchProgress {
  /** Lines settled: proved, kept or failed. */
  done: number;
  total: number;
  proved: number;
  skipped: number;
  failed: number;
  /** The id of the line that just settled. */
  id?: string;
  /**
   * Receipts written by this run per second: `proved` over the time from the batch's start to
   * its latest receipt (see {@link receiptRate}); the summary's `proofsPerMinute` is the last
   * value × 60.
   */
  rate: number;
  /** Seconds left at the current rate (undefined before the first proof). */
  etaSeconds?: number;
}

/** Summary of a batch. */
export interface BatchSummary {
  total: number;
  proved: number;
  skipped: number;
  failed: number;
  failures: InputFailure[];
  seconds: number;
  /** True when the signal stopped the batch before every line was settled. */
  aborted: boolean;
  workers: number;
  threadsPerWorker: number;
  /**
   * Receipts written by this run per minute: `proved` over the time from the batch's start
   * (pool start-up included) to its last receipt — the last progress report's `rate` × 60.
   */
  proofsPerMinute: number;
  /** Time each proof spent in its worker (quantize, witness, Groth16, receipt), in ms. */
  latency: { p50Ms: number; p95Ms: number; maxMs: number };
  /** Receipts found on resume that failed verification and were proven again. */
  rejected: RejectedReceipt[];
}

/** Options for {@link proveBatch}. */
export interface BatchOptions {
  /** Prover workers (ignored when `pool` is given). */
  workers?: number;
  /** snarkjs threads per worker (ignored when `pool` is given). */
  threadsPerWorker?: number;
  /** A pool to use (left open); by default the batch starts one and closes it. */
  pool?: ProverPool;
  onProgress?: (p: BatchProgress) => void;
  /** Stops taking lines when aborted; running proofs finish and are written. */
  signal?: AbortSignal;
  /**
   * Verifies the receipts a resumed batch would keep; those it finds invalid are proven
   * again. Without it, receipts already present are proven again (none is kept unchecked).
   */
  checkKept?: KeptReceiptCheck;
}

/**
 * Checks that an id can name a receipt file: 1 to {@link MAX_ID_LENGTH} characters of
 * `A-Z a-z 0-9 . _ -`, not starting with `.`, and not reserved (`failures`, Windows device
 * names such as `con` or `com1`, in any case).
 * @returns why the id is refused (one line), or undefined when it is fine
 */
export function checkReceiptId(id: string): string | undefined {
  const shown = JSON.stringify(id.length > 40 ? id.slice(0, 40) : id).slice(0, -1) + (id.length > 40 ? '…"' : '"');
  if (id.length === 0) return `id ${shown} is empty`;
  if (id.length > MAX_ID_LENGTH) return `id ${shown} is too long (${id.length} characters; at most ${MAX_ID_LENGTH})`;
  if (!/^[A-Za-z0-9._-]+$/.test(id)) return `id ${shown} has characters other than A-Z, a-z, 0-9, ".", "_" and "-"`;
  if (id.startsWith('.')) return `id ${shown} starts with "."`;
  const reserved = RESERVED_IDS.get(id.toLowerCase());
  if (reserved) return `id ${shown} is reserved (${reserved})`;
  return undefined;
}

/**
 * The receipt file name of an id: `<id>.json`.
 * @throws {InputError} when the id cannot name a receipt ({@link checkReceiptId})
 */
export function receiptFileName(id: string): string {
  const problem = checkReceiptId(id);
  if (problem) throw new InputError(problem);
  return `${id}.json`;
}

/** The nearest-rank percentile of `values` (p in [0, 100]); 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * The one rate of a batch, for its progress and its summary alike: receipts written by this
 * run per second of wall time from the batch's start to its latest receipt.
 * @param proved receipts written by this run
 * @param seconds seconds from the batch's start to the latest of them
 * @returns receipts per second; 0 before the first
 */
export function receiptRate(proved: number, seconds: number): number {
  return proved > 0 && seconds > 0 ? proved / seconds : 0;
}

interface Todo {
  record: InputRecord;
  path: string;
}

/**
 * Proves every line of a JSONL file into `outDir`.
 * @returns the counts, failures, throughput and latency of this run
 * @throws {InputError} when the inputs file cannot be read
 * @throws {ZkinferError} when a receipt cannot be written (the receipts already written stay)
 */
export async function proveBatch(artifacts: Artifacts, inputsPath: string, outDir: string, options: BatchOptions = {}): Promise<BatchSummary> {
  const t0 = performance.now();
  if (artifacts.manifest.io.weights && !artifacts.weights)
    throw new ProveError(`${artifacts.dir}: the model's weights are private: load its owner's weights file first (withPrivateWeights; zkinfer prove --weights <file>)`);
  const { records, failures } = readInputLines(inputsPath, artifacts.model.input.shape);
  const total = records.length + failures.length;
  const lock = lockOutDir(outDir);
  try {
    return await proveLocked(artifacts, inputsPath, outDir, options, { t0, records, failures, total });
  } finally {
    lock.release();
  }
}

/** Creates the output folder and takes its lock. */
function lockOutDir(outDir: string): HeldLock {
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new ProveError(`${outDir}: exists and is not a folder; --out names the receipts folder`, { cause });
    throw new ProveError(`${outDir}: cannot create the receipts folder (${code ?? 'error'})`, { cause });
  }
  if (!statSync(outDir).isDirectory()) throw new ProveError(`${outDir}: exists and is not a folder; --out names the receipts folder`);
  let attempt: ReturnType<typeof tryLock>;
  try {
    attempt = tryLock(join(outDir, BATCH_LOCK_FILE));
  } catch (cause) {
    throw new ProveError(`${join(outDir, BATCH_LOCK_FILE)}: cannot write the batch lock (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  if ('lock' in attempt) return attempt.lock;
  const owner = attempt.heldBy;
  if (owner === 'unreadable') throw new ProveError(`${join(outDir, BATCH_LOCK_FILE)}: a lock file that names no owner; remove it if no batch is writing into ${outDir}`);
  const who = owner.host === hostname() ? `pid ${owner.pid}` : `pid ${owner.pid} on ${owner.host}`;
  throw new ProveError(`${outDir}: another batch (${who}) is writing into this folder; wait for it to finish or choose another --out`);
}

async function proveLocked(
  artifacts: Artifacts,
  inputsPath: string,
  outDir: string,
  options: BatchOptions,
  parsed: { t0: number; records: InputRecord[]; failures: InputFailure[]; total: number },
): Promise<BatchSummary> {
  const { t0, records, failures, total } = parsed;
  removeStaleTemporaries(outDir);

  // Settle what needs no proof: bad or duplicate ids, out-of-range inputs, receipts already written.
  let skipped = 0;
  const todo: Todo[] = [];
  const candidates: Todo[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    const where = `${inputsPath}:${record.line}`;
    const problem = checkReceiptId(record.id);
    if (problem) {
      failures.push({ line: record.line!, reason: `${where}: ${problem}` });
      continue;
    }
    const name = receiptFileName(record.id);
    if (seen.has(name)) {
      failures.push({ line: record.line!, id: record.id, reason: `${where}: duplicate id "${record.id}" (receipt ${name})` });
      continue;
    }
    seen.add(name);
    let inputRaw: number[];
    try {
      inputRaw = quantizeInput(artifacts.model, record.values);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      failures.push({ line: record.line!, id: record.id, reason: `${where}: ${e.message}` });
      continue;
    }
    const path = join(outDir, name);
    if (isSameReceipt(path, artifacts, inputRaw)) candidates.push({ record, path });
    else todo.push({ record, path });
  }
  // Keep a receipt only once it verifies: one corrupted in place is proven again.
  const rejected: RejectedReceipt[] = [];
  if (candidates.length > 0 && options.checkKept) {
    const verdicts = await options.checkKept(candidates.map((c) => c.path));
    candidates.forEach((c, i) => {
      const verdict = verdicts[i];
      if (verdict?.valid) return void skipped++;
      rejected.push({ id: c.record.id, file: c.path, reason: verdict?.reason ?? 'not checked' });
      todo.push(c);
    });
  } else todo.push(...candidates);
  todo.sort((a, b) => a.record.line! - b.record.line!); // prove in file order
  const failuresPath = join(outDir, FAILURES_FILE);
  const writeFailures = () => {
    const sorted = [...failures].sort((a, b) => a.line - b.line);
    writeFileAtomicSync(failuresPath, sorted.map((f) => `${JSON.stringify(f)}\n`).join(''));
  };
  writeFailures();

  let proved = 0;
  const latencies: number[] = [];
  let tLatest = t0; // when the latest receipt was written
  const rate = () => receiptRate(proved, (tLatest - t0) / 1000);
  const report = (id?: string) => {
    if (!options.onProgress) return;
    const done = proved + skipped + failures.length;
    const perSecond = rate();
    options.onProgress({ done, total, proved, skipped, failed: failures.length, id, rate: perSecond, etaSeconds: perSecond > 0 ? (total - done) / perSecond : undefined });
  };
  report();

  const pool = options.pool ?? (todo.length > 0 ? new ProverPool(artifacts, { workers: options.workers, threadsPerWorker: options.threadsPerWorker }) : undefined);
  // An internal signal stops every lane when one hits an unexpected error.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let next = 0;
  let fatal: unknown;
  const proveOne = async ({ record, path }: Todo): Promise<'stop' | void> => {
    let result: PooledProof;
    try {
      result = await pool!.prove(record.values, { signal, abortRunning: false });
    } catch (e) {
      if (e instanceof ProofAbortedError && signal.aborted) return 'stop';
      if (!(e instanceof ZkinferError)) throw e;
      failures.push({ line: record.line!, id: record.id, reason: `${inputsPath}:${record.line}: ${e.message}` });
      writeFailures();
      return;
    }
    // The receipt is written as proven: its file name carries the line's id (a receipt holds no unbound field).
    // A hashed model's opening goes first, readable by its owner only, so a receipt on disk always has its opening.
    try {
      if (result.opening) writeFileAtomicSync(openingPathFor(path), `${JSON.stringify(result.opening, null, 2)}\n`, { mode: 0o600 });
      writeFileAtomicSync(path, `${JSON.stringify(result.receipt, null, 2)}\n`);
    } catch (cause) {
      throw new ZkinferError(`${path}: cannot write receipt (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
    }
    proved++;
    tLatest = performance.now();
    latencies.push(result.workerMs);
  };
  // Artifacts compiled with --inferences N: groups of up to N lines in file order share a proof.
  const inferences = inferencesOf(artifacts.manifest) ?? 1;
  const queue = [...todo];
  const proveGroup = async (group: Todo[]): Promise<'stop' | void> => {
    let result: PooledSharedProof;
    try {
      result = await pool!.proveShared(
        group.map((t) => ({ values: t.record.values })),
        { signal, abortRunning: false },
      );
    } catch (e) {
      if (e instanceof ProofAbortedError && signal.aborted) return 'stop';
      if (e instanceof SharedInputError && group[e.index]) {
        // one refused line fails alone; the others go back to the front of the queue
        const bad = group[e.index]!;
        failures.push({ line: bad.record.line!, id: bad.record.id, reason: `${inputsPath}:${bad.record.line}: ${e.message}` });
        queue.unshift(...group.filter((t) => t !== bad));
        writeFailures();
        return;
      }
      if (!(e instanceof ZkinferError)) throw e;
      for (const t of group) failures.push({ line: t.record.line!, id: t.record.id, reason: `${inputsPath}:${t.record.line}: ${e.message}` });
      writeFailures();
      return;
    }
    // The shared proof first, then each line's opening and receipt: a receipt on disk always has its proof.
    const { sharedProof, proven } = result.shared;
    const proofPath = join(outDir, sharedProofFileName(sharedProof.digest));
    try {
      mkdirSync(join(outDir, SHARED_PROOF_DIR), { recursive: true });
      writeFileAtomicSync(proofPath, `${JSON.stringify(sharedProof, null, 2)}\n`);
    } catch (cause) {
      throw new ZkinferError(`${proofPath}: cannot write the shared proof (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
    }
    group.forEach((t, i) => {
      const { receipt, opening } = proven[i]!;
      try {
        if (opening) writeFileAtomicSync(openingPathFor(t.path), `${JSON.stringify(opening, null, 2)}\n`, { mode: 0o600 });
        writeFileAtomicSync(t.path, `${JSON.stringify(receipt, null, 2)}\n`);
      } catch (cause) {
        throw new ZkinferError(`${t.path}: cannot write receipt (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
      }
      proved++;
      latencies.push(result.workerMs);
    });
    tLatest = performance.now();
  };
  const lane = async () => {
    try {
      if (inferences > 1) {
        while (!signal.aborted && queue.length > 0) {
          const group = queue.splice(0, inferences);
          if ((await proveGroup(group)) === 'stop') return;
          report(group[group.length - 1]!.record.id);
        }
        return;
      }
      while (!signal.aborted && next < todo.length) {
        const item = todo[next++]!;
        if ((await proveOne(item)) === 'stop') return;
        report(item.record.id);
      }
    } catch (e) {
      fatal ??= e;
      stop.abort(e);
    }
  };
  try {
    if (pool) await pool.ready(); // a worker that cannot start fails the batch, not every line
    const lanes = inferences > 1 ? Math.ceil(todo.length / inferences) : todo.length;
    if (pool) await Promise.all(Array.from({ length: Math.min(pool.capacity, lanes) }, lane));
  } finally {
    if (pool && !options.pool) await pool.close();
  }
  writeFailures();
  if (fatal !== undefined) throw fatal;
  const seconds = (performance.now() - t0) / 1000;
  const settled = proved + skipped + failures.length;
  return {
    total,
    proved,
    skipped,
    failed: failures.length,
    failures: [...failures].sort((a, b) => a.line - b.line),
    seconds,
    aborted: settled < total,
    workers: pool?.workers ?? options.workers ?? defaultPoolShape().workers,
    threadsPerWorker: pool?.threadsPerWorker ?? options.threadsPerWorker ?? defaultPoolShape().threadsPerWorker,
    proofsPerMinute: rate() * 60,
    latency: { p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95), maxMs: percentile(latencies, 100) },
    rejected,
  };
}

/**
 * Removes `*.tmp` files left by runs that were killed between writing and renaming
 * (their names carry the writer's pid: `<name>.<pid>.tmp`); a live writer's are kept.
 */
function removeStaleTemporaries(outDir: string): void {
  const shared = join(outDir, SHARED_PROOF_DIR);
  const names = [...readdirSync(outDir).map((name) => join(outDir, name)), ...(existsSync(shared) && statSync(shared).isDirectory() ? readdirSync(shared).map((name) => join(shared, name)) : [])];
  for (const path of names) {
    const m = /\.(\d+)\.tmp$/.exec(path);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && isAlive(pid)) continue;
    rmSync(path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a hashed-input receipt's opening is beside it, for this receipt and these input integers. */
function keptOpening(receiptPath: string, receipt: Receipt, inputRaw: number[]): boolean {
  let text: string;
  try {
    text = readFileSync(openingPathFor(receiptPath), 'utf8');
  } catch {
    return false;
  }
  const { opening } = parseOpening(text);
  return opening !== undefined && opening.receiptDigest === receipt.digest && opening.input?.raw.join() === inputRaw.join();
}

/** Whether an existing receipt file is a whole, proven receipt for this model, key and input. */
function isSameReceipt(path: string, artifacts: Artifacts, inputRaw: number[]): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return false;
  }
  try {
    const parsed = receiptSchema.safeParse(JSON.parse(text));
    if (!parsed.success || (!parsed.data.proof && !parsed.data.sharedProof) || !parsed.data.publicSignals) return false;
    const r = parsed.data;
    return (
      r.modelId === artifacts.manifest.modelId &&
      r.keyId === artifacts.manifest.keyId &&
      (r.input.visibility === 'public' ? r.input.raw.join() === inputRaw.join() : keptOpening(path, r, inputRaw)) &&
      receiptDigest(r) === r.digest
    );
  } catch {
    return false;
  }
}
