/**
 * Proof jobs, whatever runs them (the embedded pool or BullMQ workers): what a job holds,
 * how its id is derived, how it is proven, and how its receipt is kept.
 *
 * - Idempotent: a job's id is SHA-256 over canonical JSON of its kind, model id, key id,
 *   flattened input and nonce, so the same request gives the same job, never two.
 * - Durable: the receipt is written to `<receipts>/<jobId>.json` (temporary file, fsync,
 *   rename, fsync of the folder) before the job is reported done; a retried job whose
 *   receipt is already on disk returns it instead of proving again.
 * - Bound: a worker proves only jobs for the model id and key id it holds, and only jobs
 *   whose id is the id of their content (the receipt's file name is the job id).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../shared/fs.js';
import { ProveError } from '../shared/errors.js';
import { sha256Json } from '../shared/hash.js';
import { receiptSchema, type Receipt } from '../shared/receipt.js';
import type { Manifest } from '../shared/manifest.js';
import type { ProverPool } from '../prove/pool.js';
import { attachProof } from '../tee/infer.js';

/** What a proof job carries (JSON: it is stored in Redis). */
export interface ProofJobData {
  /** `infer`: prove an attested receipt and attach the proof; `prove`: a proof alone. */
  kind: 'infer' | 'prove';
  modelId: string;
  keyId: string;
  /** The float input, flattened row-major. */
  input: number[];
  nonce: string;
  /** With `infer`: the attested receipt, whose nonce and time the proof takes. */
  attested?: Receipt;
}

/** What a finished proof job returns. */
export interface ProofJobResult {
  receipt: Receipt;
  /** Where the receipt was written, on the machine that proved it. */
  receiptPath: string;
  /** Time from the job's creation to its receipt on disk, in ms. */
  latencyMs: number;
  /** Time proving (witness and Groth16) in the prover, in ms; 0 when the receipt was already on disk. */
  proveMs: number;
  /** Who proved it (host and process id). */
  worker: string;
}

/** The job id of a request: SHA-256 of canonical JSON of kind, model, key, input and nonce. */
export function jobIdOf(data: Pick<ProofJobData, 'kind' | 'modelId' | 'keyId' | 'input' | 'nonce'>): string {
  return sha256Json({ kind: data.kind, modelId: data.modelId, keyId: data.keyId, input: data.input, nonce: data.nonce });
}

/**
 * Writes a file durably (see writeFileAtomicSync's `durable`): a temporary file in the same
 * folder, fsync, rename into place, then fsync of the folder so the rename survives a crash.
 */
export function writeFileDurableSync(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileAtomicSync(path, text, { durable: true, mode: 0o644 });
  return path;
}

/** A receipt already written for this job by an earlier attempt, if it is one for this job. */
function keptReceipt(path: string, data: ProofJobData): Receipt | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = receiptSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return undefined;
    const r = parsed.data;
    const sameContext = r.modelId === data.modelId && r.keyId === data.keyId && r.nonce === data.nonce && r.proof !== undefined;
    const sameAttested = data.attested === undefined || (r.attestation !== undefined && r.createdAt === data.attested.createdAt && r.input.commitment === data.attested.input.commitment);
    return sameContext && sameAttested ? r : undefined;
  } catch {
    return undefined;
  }
}

/** The job failed for a reason a retry cannot fix (wrong model, bad input). */
export class JobRefusedError extends ProveError {
  override name = 'JobRefusedError';
}

/**
 * Proves one job on a warm pool and keeps its receipt durably.
 * @param manifest the manifest of the artifacts `pool` proves
 * @param createdAtMs the job's creation time (ms since the epoch), for the latency
 * @throws {JobRefusedError} when the job is for another model or key, or its input is refused
 * @throws {ProveError} when proving fails
 */
export async function runProofJob(jobId: string, data: ProofJobData, manifest: Manifest, pool: ProverPool, receiptsDir: string, createdAtMs: number, worker: string): Promise<ProofJobResult> {
  // the receipt's file name is the job id: it must be the id of this job's content
  if (jobIdOf(data) !== jobId) throw new JobRefusedError(`job ${JSON.stringify(jobId.slice(0, 80))} is not the id of its content (expected ${jobIdOf(data)})`);
  if (data.modelId !== manifest.modelId || data.keyId !== manifest.keyId) {
    throw new JobRefusedError(`job ${jobId} is for model ${data.modelId} with key ${data.keyId}; this worker holds model ${manifest.modelId} with key ${manifest.keyId}`);
  }
  const name = `${jobId}.json`;
  const kept = keptReceipt(join(receiptsDir, name), data);
  if (kept) return { receipt: kept, receiptPath: join(receiptsDir, name), latencyMs: Date.now() - createdAtMs, proveMs: 0, worker };
  let receipt: Receipt;
  let proveMs: number;
  try {
    const proof = await pool.prove(data.input, { nonce: data.nonce, createdAt: data.attested?.createdAt, abortRunning: false });
    proveMs = proof.workerMs;
    receipt = data.attested ? attachProof(data.attested, proof.receipt) : proof.receipt;
  } catch (e) {
    if ((e as Error)?.name === 'InputError') throw new JobRefusedError((e as Error).message, { cause: e });
    throw e;
  }
  const receiptPath = writeFileDurableSync(receiptsDir, name, `${JSON.stringify(receipt, null, 2)}\n`);
  return { receipt, receiptPath, latencyMs: Date.now() - createdAtMs, proveMs, worker };
}

/** A job as the API reports it. */
export interface JobStatus {
  id: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  progress: number;
  attempts: number;
  receipt?: Receipt;
  error?: string;
}

/** Counts for the metrics. */
export interface BackendCounts {
  /** Jobs accepted and not yet started (waiting, or delayed for a retry). */
  waiting: number;
  active: number;
}

/** Where proof jobs go: the embedded pool or a BullMQ queue. */
export interface JobBackend {
  readonly kind: 'embedded' | 'redis';
  /**
   * Accepts jobs (idempotently: an existing job with the same id is kept, not duplicated).
   * @returns for each job, the data stored under its id (the earlier job's when it existed)
   * @throws {BackendUnavailableError} when the queue is full or cannot be reached
   */
  submit(jobs: readonly { id: string; data: ProofJobData }[]): Promise<ProofJobData[]>;
  /** A job's state, or undefined for an unknown id. */
  get(id: string): Promise<JobStatus | undefined>;
  counts(): Promise<BackendCounts>;
  /** Whether the backend is usable (Redis answers). */
  health(): Promise<{ ok: boolean; error?: string }>;
  /** Stops: running jobs finish; waiting ones stay queued (Redis) or are dropped (embedded, reported). */
  close(): Promise<void>;
}

/** The queue is full or cannot be reached (HTTP 503). */
export class BackendUnavailableError extends ProveError {
  override name = 'BackendUnavailableError';
}

/** Called when a proof job finishes, for the metrics. */
export type JobListener = (event: { outcome: 'completed' | 'failed'; latencyMs?: number }) => void;
