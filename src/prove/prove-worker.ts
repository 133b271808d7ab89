/**
 * The worker thread behind {@link ProverPool} (started directly when compiled, through `prove-worker.mjs` from the sources). Each
 * worker loads the artifacts once, keeps one warm Prover (the zkey in memory, the witness
 * calculator instantiated from the module the pool compiled) and one snarkjs BN254 curve with
 * the number of threads the pool asked for ({@link warmCurve}) — all before it reports ready —
 * then proves tasks for as long as the pool lives.
 *
 * Errors do not cross the thread boundary as classes (structured clone keeps only the
 * message), so a task resolves to a tagged result and the pool rebuilds the error class.
 */
import '../shared/web-worker-host.js'; // first: before snarkjs loads (see ../shared/worker-thread.ts)
import { parentPort, threadId } from 'node:worker_threads';
import { workerData } from 'piscina';
import { InputError, ProveError } from '../shared/errors.js';
import type { Receipt } from '../shared/receipt.js';
import type { Opening } from '../shared/opening.js';
import { loadArtifacts, withPrivateWeights, type Artifacts } from './artifacts.js';
import type { PrivateWeights } from '../quant/weights.js';
import { proverFor, proveWithOpening } from './prove.js';
import { warmCurve } from './curve-threads.js';
import { proveShared, SharedInputError, type SharedProveResult } from './shared.js';

/** What the pool sends to a worker once, at start. */
export interface ProveWorkerData {
  /** The artifacts folder (already checked against its manifest by the pool's owner). */
  dir: string;
  /** snarkjs curve threads for this worker; undefined: snarkjs's default (one per core). */
  threads?: number;
  /** The witness program, compiled by the pool (./witness-compile.ts); without it the worker compiles its own. */
  witnessModule?: WebAssembly.Module;
  /** A model with private weights: its owner's weights file, loaded into the worker's artifacts. */
  weights?: PrivateWeights;
}

/** Posted by a worker once it has loaded the artifacts and built its curve (or failed to). */
export interface ProveWorkerReady {
  zkinferProverReady: true;
  threadId: number;
  error?: string;
}

/** One proving task: one inference, or (`inputs`) up to N inferences in one shared proof. */
export interface ProveTask {
  /** The float input, flattened row-major. */
  values: Float64Array | number[];
  nonce?: string;
  /** The receipt's time (ISO 8601 with milliseconds); now by default. */
  createdAt?: string;
  /** For artifacts compiled with --inferences N: the inputs of one shared proof (then `values` is unused). */
  inputs?: { values: Float64Array | number[]; nonce?: string }[];
}

/** A task's outcome. */
export type ProveTaskResult =
  | { ok: true; receipt: Receipt; opening?: Opening; workerMs: number; threadId: number }
  | { ok: true; shared: SharedProveResult; workerMs: number; threadId: number }
  | { ok: false; kind: 'input' | 'prove'; message: string; causeMessage?: string; index?: number };

const data = workerData as ProveWorkerData;
const ready: Promise<Artifacts> = (async () => {
  let artifacts = loadArtifacts(data.dir, { checkHashes: false });
  if (data.weights) artifacts = await withPrivateWeights(artifacts, data.weights);
  await warmCurve(data.threads);
  await proverFor(artifacts, { witnessModule: data.witnessModule }).warm();
  return artifacts;
})();
ready.then(
  () => parentPort?.postMessage({ zkinferProverReady: true, threadId } satisfies ProveWorkerReady),
  (e: Error) => parentPort?.postMessage({ zkinferProverReady: true, threadId, error: e?.message ?? String(e) } satisfies ProveWorkerReady),
);

/** Proves one task; never throws for input or proving failures (see the module comment). */
export default async function proveTask(task: ProveTask): Promise<ProveTaskResult> {
  const t0 = performance.now();
  try {
    const artifacts = await ready;
    if (task.inputs) {
      const shared = await proveShared(artifacts, task.inputs, { createdAt: task.createdAt });
      return { ok: true, shared, workerMs: performance.now() - t0, threadId };
    }
    const { receipt, opening } = await proveWithOpening(artifacts, task.values, { nonce: task.nonce, createdAt: task.createdAt });
    return { ok: true, receipt, ...(opening ? { opening } : {}), workerMs: performance.now() - t0, threadId };
  } catch (e) {
    if (e instanceof SharedInputError) return { ok: false, kind: 'input', message: e.message, index: e.index };
    if (e instanceof InputError) return { ok: false, kind: 'input', message: e.message };
    if (e instanceof ProveError) return { ok: false, kind: 'prove', message: e.message, causeMessage: (e.cause as Error | undefined)?.message };
    return { ok: false, kind: 'prove', message: `proving failed in the worker: ${(e as Error)?.message ?? String(e)}` };
  }
}
