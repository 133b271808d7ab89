/**
 * Verifying many receipts at once, for CI: a folder of receipts from a batch, checked in
 * parallel, in a stable order, with progress.
 *
 * A Groth16 verification is mostly single-threaded work (the pairing product, snarkjs's
 * per-call key decoding; only the public-input MSM is split over snarkjs's threads, and
 * for 794 signals that split costs more than it saves), so overlapping verifications in
 * one thread gains nothing. Measured on the fashion-mnist example on 2 busy cores (load
 * average ≈ 3): in this thread with a single-threaded curve, 44–49 receipts/s (24 ms per
 * receipt with snarkjs's two threads, 20 ms with one); on a pool of 2 verifier threads,
 * 50–58 receipts/s for 200 receipts but 13–20 for 40, because starting the threads (tsx,
 * snarkjs, the key) takes about 1.5 s. With batch verification (groth16-batch.ts) one thread
 * checked 124 receipts/s (200 receipts, load ≈ 1.5) and a pool of two, start-up included,
 * 82/s; so the pool is used only from {@link MIN_RECEIPTS_PER_THREAD} receipts per thread
 * (see scripts/bench-scale.ts).
 */
import { outputValues } from '../shared/receipt.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { InvalidArgumentError, VerifyError } from '../shared/errors.js';
import { workerEntryFile } from '../shared/worker-thread.js';
import { sharedCurve } from '../shared/curve.js';
import { assertVerifyOptions, checkBindingsOnCurve, pairingCheck, parseReceipt, verifyProof, type VerifierKey, type VerifyOptions } from './verify.js';
import type { WasmCurve } from './wasm-curve.js';
import { inferencesOf, sharedProofFileName, type SharedProof } from '../shared/shared-proof.js';
import { readSharedProofText } from './shared.js';
import { readSharedProofBeside } from './shared-file.js';

/** A file's text, or undefined when it cannot be read. */
function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
import { verifyGroth16Batch, type BatchItem } from './groth16-batch.js';

/** Receipts checked together by one batch pairing equation (see groth16-batch.ts). */
export const BATCH_SIZE = 16;

const WORKER_FILE = workerEntryFile(import.meta.url, 'verify-worker');

/**
 * Up to this many receipts, and when no snarkjs curve is built yet, the pairing checks run
 * with @noble/curves: measured for one example receipt in a fresh process, about 0.26 s of
 * CPU for the whole process against 0.53 s with snarkjs, most of which builds its curve.
 */
export const NOBLE_MAX_RECEIPTS = 2;

/** Whether this thread already holds a snarkjs BN254 curve (then snarkjs is the cheaper engine). */
function hasWarmCurve(): boolean {
  return Boolean((globalThis as { curve_bn128?: unknown }).curve_bn128) || singleThreadCurve !== undefined;
}

/** Below this many receipts per verifier thread, verification stays in the calling thread. */
export const MIN_RECEIPTS_PER_THREAD = 200;

/** The outcome for one receipt file. */
export interface ReceiptResult {
  file: string;
  valid: boolean;
  /** Why it is invalid (one line). */
  reason?: string;
  /** The receipt's dequantized output, when it could be read. */
  output?: number[];
  /** Time to read and verify it, in ms. */
  ms: number;
}

/** Progress of {@link verifyMany}. */
export interface VerifyProgress {
  done: number;
  total: number;
  invalid: number;
  /** The receipt that just finished. */
  result: ReceiptResult;
}

/** Options for {@link verifyMany}: what every receipt must satisfy, and how to run. */
export interface VerifyManyOptions extends VerifyOptions {
  /** Verifier threads; default `os.availableParallelism()`; 1 verifies in this thread. */
  concurrency?: number;
  onProgress?: (p: VerifyProgress) => void;
  /** Stops starting new verifications when aborted; results so far are returned. */
  signal?: AbortSignal;
}

/** What {@link verifyMany} returns. */
export interface VerifyManySummary {
  /** One result per path, in the order given. */
  results: ReceiptResult[];
  total: number;
  valid: number;
  invalid: number;
  /** Receipts not checked because the signal stopped the run. */
  unchecked: number;
  seconds: number;
  /** Verifier threads used (0: the calling thread). */
  threads: number;
}

type Curve = { terminate(): Promise<void> };
const g = globalThis as { curve_bn128?: Curve | null };
let singleThreadCurve: Curve | undefined;

/**
 * Makes snarkjs use a single-threaded BN254 curve in this thread until `restore()` is
 * called. A verification's only parallel part, an MSM over the public signals, is too
 * small to gain from snarkjs's threads: measured on the example (794 signals), 20 ms per
 * receipt single-threaded against 24 ms with two threads. Nothing is left running, and the
 * process's own curve (if any) comes back afterwards.
 */
async function useSingleThreadCurve(): Promise<() => void> {
  // built aside (ffjavascript does not cache a single-thread curve), so the cache is never
  // empty while another caller might build a threaded curve that would then be orphaned
  singleThreadCurve ??= await ((await import('snarkjs')) as unknown as { curves: { getCurveFromName(n: string, o: { singleThread: boolean }): Promise<Curve> } }).curves.getCurveFromName('bn128', {
    singleThread: true,
  });
  const previous = g.curve_bn128;
  g.curve_bn128 = singleThreadCurve;
  return () => {
    if (g.curve_bn128 === singleThreadCurve) g.curve_bn128 = previous ?? null;
  };
}

/** Names in a receipts folder that are not receipts: the batch's failures file, temporaries. */
function isReceiptName(name: string): boolean {
  return name.endsWith('.json') && name !== 'failures.json' && !name.endsWith('.opening.json');
}

/**
 * Expands targets into receipt files: a file stays itself (a missing one is kept, to be
 * reported as unreadable); a folder gives every `*.json` in it, sorted, except
 * `failures.json` and the openings of hashed receipts (`*.opening.json`; `failures.jsonl` and `*.tmp` are not `*.json`).
 */
export function listReceiptFiles(targets: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of targets) {
    let isDir = false;
    try {
      isDir = statSync(t).isDirectory();
    } catch {
      out.push(t);
      continue;
    }
    if (isDir)
      out.push(
        ...readdirSync(t)
          .filter(isReceiptName)
          .sort()
          .map((f) => join(t, f)),
      );
    else out.push(t);
  }
  return out;
}

/**
 * Reads and verifies one receipt file; never throws for a bad receipt.
 * @returns the verdict, with the reason when invalid
 */
export async function verifyReceiptFile(file: string, key: VerifierKey, options: VerifyOptions = {}): Promise<ReceiptResult> {
  const t0 = performance.now();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { file, valid: false, reason: `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, ms: performance.now() - t0 };
  }
  const verdict = await verifyProof(text, key, options, readSharedProofBeside(file, sharedRefOf(text)));
  return { file, valid: verdict.valid, reason: verdict.reason, output: verdict.receipt && outputValues(verdict.receipt.output), ms: performance.now() - t0 };
}

/**
 * Reads and verifies receipt files together: each receipt's bindings are checked on its
 * own, then the proofs of all that pass go through one batch pairing equation; when the
 * batch fails, every proof in it is checked alone, so each invalid receipt is named with
 * its reason. Never throws for a bad receipt.
 * @returns one result per file, in order (`ms` is the file's share of the batch time)
 */
export async function verifyReceiptFiles(files: readonly string[], key: VerifierKey, options: VerifyOptions = {}): Promise<ReceiptResult[]> {
  const t0 = performance.now();
  const results: (ReceiptResult | undefined)[] = new Array(files.length);
  const texts: (string | undefined)[] = new Array(files.length);
  const batch: { index: number; item: BatchItem; output: number[] | undefined }[] = [];
  // Receipts that share a proof: the file is read and checked once, and paired once for all of them.
  const sharedFiles = new Map<string, { sharedProof?: SharedProof; reason?: string }>();
  const sharedItems = new Map<string, { item: BatchItem; members: { index: number; output: number[] | undefined }[] }>();
  // the batch pairing check runs on this curve: B's G2 membership is checked on it too
  const curve = await sharedCurve<WasmCurve>();
  files.forEach((file, i) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      results[i] = { file, valid: false, reason: `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, ms: 0 };
      return;
    }
    texts[i] = text;
    const parsed = parseReceipt(text);
    const receipt = parsed.receipt;
    if (!receipt) return void (results[i] = { file, valid: false, reason: parsed.reason, ms: 0 });
    if (!receipt.proof && !receipt.sharedProof) return void (results[i] = { file, valid: false, reason: 'the receipt carries no proof', output: outputValues(receipt.output), ms: 0 });
    let shared: SharedProof | undefined;
    if (receipt.sharedProof) {
      const path = join(dirname(file), sharedProofFileName(receipt.sharedProof.digest));
      let read = sharedFiles.get(path);
      if (!read) sharedFiles.set(path, (read = readSharedProofText(readOptional(path), receipt.sharedProof)));
      if (!read.sharedProof) return void (results[i] = { file, valid: false, reason: read.reason, output: outputValues(receipt.output), ms: 0 });
      shared = read.sharedProof;
    }
    const binding = checkBindingsOnCurve(curve, receipt, key, options, shared);
    if (binding) return void (results[i] = { file, valid: false, reason: binding, output: outputValues(receipt.output), ms: 0 });
    if (shared) {
      let entry = sharedItems.get(shared.digest);
      if (!entry) sharedItems.set(shared.digest, (entry = { item: { proof: shared.proof, publicSignals: shared.publicSignals }, members: [] }));
      entry.members.push({ index: i, output: outputValues(receipt.output) });
      return;
    }
    batch.push({ index: i, item: { proof: receipt.proof!, publicSignals: receipt.publicSignals! }, output: outputValues(receipt.output) });
  });
  const share = () => (performance.now() - t0) / files.length;
  const items = [...batch.map((b) => b.item), ...[...sharedItems.values()].map((e) => e.item)];
  if (items.length > 0 && (await verifyGroth16Batch(key.vkey, items))) {
    for (const b of batch) results[b.index] = { file: files[b.index]!, valid: true, output: b.output, ms: 0 };
    for (const e of sharedItems.values()) for (const m of e.members) results[m.index] = { file: files[m.index]!, valid: true, output: m.output, ms: 0 };
  } else {
    for (const b of batch) {
      const verdict = await verifyProof(texts[b.index]!, key, options);
      results[b.index] = { file: files[b.index]!, valid: verdict.valid, reason: verdict.reason, output: b.output, ms: 0 };
    }
    for (const [digest, e] of sharedItems) {
      const problem = await pairingCheck(key, e.item.publicSignals, e.item.proof as Parameters<typeof pairingCheck>[2]);
      const reason = problem ? `the shared proof ${digest.slice(0, 16)}…: ${problem}` : undefined;
      for (const m of e.members) results[m.index] = { file: files[m.index]!, valid: !problem, ...(reason ? { reason } : {}), output: m.output, ms: 0 };
    }
  }
  const ms = share();
  return results.map((r) => ({ ...r!, ms }));
}

/**
 * Splits the receipts into the batches verified together (as index lists into `paths`). For
 * single-inference artifacts: runs of {@link BATCH_SIZE} in order. For shared proofs, the
 * receipts naming one shared proof stay in one batch, so its pairing is checked once, and a
 * batch holds up to {@link BATCH_SIZE} proofs; two receipts (or more) that claim the same slot
 * of the same shared proof are all refused here, with the files that claim it.
 */
function planChunks(paths: readonly string[], key: VerifierKey, refuse: (i: number, r: ReceiptResult) => void): number[][] {
  const all = paths.map((_, i) => i);
  const chunk = (groups: number[][]) => {
    const out: number[][] = [];
    for (let g = 0; g < groups.length; g += BATCH_SIZE) out.push(groups.slice(g, g + BATCH_SIZE).flat());
    return out;
  };
  if (inferencesOf(key.manifest) === 1) return chunk(all.map((i) => [i]));
  const groups = new Map<string, number[]>();
  const claims = new Map<string, number[]>();
  const singles: number[][] = [];
  for (const i of all) {
    const ref = sharedRefOf(readOptional(paths[i]!));
    if (!ref) {
      singles.push([i]);
      continue;
    }
    const slot = `${ref.digest}:${ref.slot}`;
    claims.set(slot, [...(claims.get(slot) ?? []), i]);
    groups.set(ref.digest, [...(groups.get(ref.digest) ?? []), i]);
  }
  const duplicated = new Set<number>();
  for (const [slot, claimants] of claims) {
    if (claimants.length < 2) continue;
    const [digest, n] = slot.split(':');
    const names = claimants.map((i) => basename(paths[i]!)).join(', ');
    for (const i of claimants) {
      duplicated.add(i);
      refuse(i, {
        file: paths[i]!,
        valid: false,
        reason: `slot ${n} of the shared proof ${digest!.slice(0, 16)}… is claimed by ${claimants.length} receipts (${names}); a slot proves one inference`,
        ms: 0,
      });
    }
  }
  const kept = [...groups.values(), ...singles].map((g) => g.filter((i) => !duplicated.has(i))).filter((g) => g.length > 0);
  kept.sort((a, b) => a[0]! - b[0]!);
  return chunk(kept);
}

/** The shared-proof reference a receipt's text holds, if well formed (without validating the receipt). */
function sharedRefOf(text: string | undefined): { digest: string; slot: number } | undefined {
  if (text === undefined) return undefined;
  try {
    const ref = (JSON.parse(text) as { sharedProof?: { digest?: unknown; slot?: unknown } } | null)?.sharedProof;
    return typeof ref?.digest === 'string' && /^[0-9a-f]{64}$/.test(ref.digest) && Number.isInteger(ref.slot) ? { digest: ref.digest, slot: ref.slot as number } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies receipt files in parallel.
 * @param paths receipt files (see {@link listReceiptFiles} for folders)
 * @param key the verification key and manifest ({@link loadVerifierKey})
 * @returns one result per path in the given order, and the counts
 * @throws {InvalidArgumentError} for a concurrency that is not a positive integer, or malformed expectations
 * @throws {VerifyError} when a verifier thread fails (not for invalid receipts)
 */
export async function verifyMany(paths: readonly string[], key: VerifierKey, options: VerifyManyOptions = {}): Promise<VerifyManySummary> {
  const t0 = performance.now();
  assertVerifyOptions(options);
  const expect: VerifyOptions = { keyIds: options.keyIds, nonce: options.nonce, maxAgeSeconds: options.maxAgeSeconds, now: options.now ?? new Date(), weightsCommitments: options.weightsCommitments };
  const concurrency = options.concurrency ?? os.availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError(`expected concurrency to be a positive integer, got ${concurrency}`);
  const threads = Math.min(concurrency, Math.floor(paths.length / MIN_RECEIPTS_PER_THREAD));
  const results = new Array<ReceiptResult | undefined>(paths.length);
  let done = 0;
  let invalid = 0;
  const record = (i: number, result: ReceiptResult) => {
    results[i] = result;
    done++;
    if (!result.valid) invalid++;
    options.onProgress?.({ done, total: paths.length, invalid, result });
  };

  const signal = options.signal;
  const chunks = planChunks(paths, key, record);
  let next = 0;
  const runChunk = async (chunk: number[], verify: (files: string[]) => Promise<ReceiptResult[]>) => {
    const batch = await verify(chunk.map((i) => paths[i]!));
    batch.forEach((r, k) => record(chunk[k]!, r));
  };
  if (paths.length <= NOBLE_MAX_RECEIPTS && !hasWarmCurve()) {
    // One or two receipts in a fresh process: building snarkjs's curve would cost more than
    // checking them with @noble/curves (./groth16-noble.ts).
    for (; next < chunks.length && !signal?.aborted; next++) {
      for (const i of chunks[next]!) record(i, await verifyReceiptFile(paths[i]!, key, { ...expect, engine: 'noble' }));
    }
  } else if (threads < 2) {
    const restore = await useSingleThreadCurve();
    try {
      for (; next < chunks.length && !signal?.aborted; next++) await runChunk(chunks[next]!, (files) => verifyReceiptFiles(files, key, expect));
    } finally {
      restore();
    }
  } else {
    const { Piscina } = await import('piscina'); // only here: a single receipt never needs it
    const pool = new Piscina<string[], ReceiptResult[]>({
      filename: WORKER_FILE,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      atomics: 'disabled',
      workerData: { key, expect },
    });
    let poolError: Error | undefined;
    pool.on('error', (e: Error) => (poolError = e));
    // Two batches in flight per thread keep every thread busy without queueing the lot.
    let stop = false;
    const lane = async () => {
      while (next < chunks.length && !signal?.aborted && !stop) {
        const chunk = chunks[next++]!;
        try {
          await runChunk(chunk, async (files) => (await pool.run(files)) as ReceiptResult[]);
        } catch (cause) {
          stop = true;
          throw new VerifyError(`a verifier thread failed on ${paths[chunk[0]!]}: ${(cause as Error).message}`, { cause: poolError ?? cause });
        }
      }
    };
    try {
      const lanes = await Promise.allSettled(Array.from({ length: threads * 2 }, lane));
      const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      await pool.destroy();
    }
  }
  const checked = results.filter((r): r is ReceiptResult => r !== undefined);
  return {
    results: checked,
    total: paths.length,
    valid: checked.length - invalid,
    invalid,
    unchecked: paths.length - checked.length,
    seconds: (performance.now() - t0) / 1000,
    threads: threads < 2 ? 0 : threads,
  };
}
