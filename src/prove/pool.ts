/**
 * A pool of warm provers on worker threads (piscina). Each worker loads the artifacts once
 * and keeps its zkey, witness calculator and snarkjs curve for its whole life, so a proof
 * costs only the witness and the Groth16 arithmetic (see `prove-worker.ts`). The witness
 * program is compiled once, by the pool, and handed to every worker compiled
 * (./witness-compile.ts says why).
 *
 * snarkjs parallelises its MSMs and FFTs over worker threads of its own; the pool sets how
 * many each prover gets (`threadsPerWorker`), so `workers × threadsPerWorker` is the split
 * of the machine's cores. The default comes from a measurement (scripts/bench-scale.ts).
 *
 * The pool holds its own bounded FIFO queue in front of piscina: at most `workers` tasks
 * run, at most `maxQueue` wait, and `prove` refuses more (backpressure is the caller's
 * loop, not an ever-growing queue). An AbortSignal drops a waiting task at once; a running
 * task is stopped by terminating its worker (piscina starts a fresh one), unless the caller
 * asks to let running proofs finish.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Piscina } from 'piscina';
import { InputError, InvalidArgumentError, ProveError } from '../shared/errors.js';
import { workerEntryFile } from '../shared/worker-thread.js';
import type { Receipt } from '../shared/receipt.js';
import type { Opening } from '../shared/opening.js';
import type { Artifacts } from './artifacts.js';
import type { ProveTask, ProveTaskResult, ProveWorkerData, ProveWorkerReady } from './prove-worker.js';
import { SharedInputError } from './shared-error.js';
import type { SharedProveResult } from './shared.js';
import { compileWitnessModule } from './witness-compile.js';

/** The workers' entry: prove-worker.js when compiled, its loader shim from the sources. */
const WORKER_FILE = workerEntryFile(import.meta.url, 'prove-worker');

/** How many provers and how many snarkjs threads each, for a given number of cores. */
export interface PoolShape {
  workers: number;
  threadsPerWorker: number;
}

/**
 * The default split of `parallelism` cores: one prover per core, each with one snarkjs
 * thread. Measured on the fashion-mnist example (3,200 constraints, 794 public signals),
 * 2 cores, scripts/bench-scale.ts: every split costs about the same CPU time per proof
 * (1.15–1.3 s), so on free cores W independent provers reach W proofs at a time, while one
 * prover with two snarkjs threads is held to its own critical path (a proof in 0.63–0.72 s
 * wall time, ≈ 88 % parallel efficiency). Nine runs on a shared machine (load average
 * 1.4–5.8) put 2 × 1 and 2 × 2 level (mean 67 and 68 proofs/min) ahead of 1 × 2 (64)
 * and 1 × 1 (59), with wide spread; 2 × 1 is the default for its lower memory and no
 * oversubscription. Checked again on shared proofs (the example compiled with --inferences 14,
 * 2^16, 56 inputs, load average 10–12): CPU per inference 0.249 s for 2 × 1, 0.248 s for
 * 1 × 2 and 0.301 s for 2 × 2, the fastest batch 2 × 1's. For the lowest latency per proof,
 * use 1 worker × `parallelism` threads.
 */
export function defaultPoolShape(parallelism: number = os.availableParallelism()): PoolShape {
  return { workers: Math.max(1, parallelism), threadsPerWorker: 1 };
}

/**
 * Caps a requested number of provers at the processors available. Each prover keeps its
 * own zkey and curve and works on one core; more provers than cores only make them take
 * turns, with the start-up and memory of every extra worker on top.
 * @param requested the number asked for
 * @param parallelism processors available (default `os.availableParallelism()`)
 * @returns the number to use, and a one-line warning when it is less than requested
 */
export function capWorkers(requested: number, parallelism: number = os.availableParallelism()): { workers: number; warning?: string } {
  const available = Math.max(1, parallelism);
  if (requested <= available) return { workers: requested };
  return { workers: available, warning: `--workers ${requested} is more than the ${available} processors available; using ${available}` };
}

/**
 * The witness program compiled for the workers; undefined when it cannot be read or compiled
 * here (each worker then loads it itself, and reports why it cannot).
 */
function compiledWitness(wasmPath: string): WebAssembly.Module | undefined {
  try {
    return compileWitnessModule(readFileSync(wasmPath));
  } catch {
    return undefined;
  }
}

/** Options for {@link ProverPool}. */
export interface ProverPoolOptions {
  /** Prover threads; default {@link defaultPoolShape}. */
  workers?: number;
  /** snarkjs curve threads inside each prover; default {@link defaultPoolShape}. */
  threadsPerWorker?: number;
  /** Tasks that may wait beyond the running ones; default `workers`. */
  maxQueue?: number;
}

/** Options for one {@link ProverPool.prove} call. */
export interface PoolProveOptions {
  /** Hex nonce bound into the receipt digest; random by default. */
  nonce?: string;
  /** The receipt's time (ISO 8601 UTC with milliseconds), e.g. an attested receipt's, so a proof can be attached to it; now by default. */
  createdAt?: string;
  /** Aborts the task: a waiting task is dropped, a running one stopped (see `abortRunning`). */
  signal?: AbortSignal;
  /**
   * Whether an abort also stops a proof already running (by terminating its worker).
   * Default true; false lets running proofs finish, as a batch does on Ctrl-C.
   */
  abortRunning?: boolean;
}

/** A proof made by the pool. */
export interface PooledProof {
  receipt: Receipt;
  /** The opening of the receipt's hashed tensors (values and salts), for a model with any. */
  opening?: Opening;
  /** Time in the worker (quantize, reference, witness, Groth16, receipt), in ms. */
  workerMs: number;
  /** Time from submission to result, queueing included, in ms. */
  latencyMs: number;
  /** The worker thread that made it. */
  threadId: number;
}

/** The error a task rejects with when its AbortSignal fires or the pool is force-closed. */
export class ProofAbortedError extends ProveError {
  override name = 'AbortError';
}

/** A shared proof made by the pool (artifacts compiled with --inferences N). */
export interface PooledSharedProof {
  shared: SharedProveResult;
  /** Time in the worker, in ms. */
  workerMs: number;
  /** Time from submission to result, queueing included, in ms. */
  latencyMs: number;
  threadId: number;
}

interface Job {
  task: ProveTask;
  options: PoolProveOptions;
  submitted: number;
  resolve(proof: PooledProof | PooledSharedProof): void;
  reject(error: unknown): void;
  onAbort?: () => void;
}

function assertCount(value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`expected ${name} to be an integer ≥ ${min}, got ${value}`);
}

/** A pool of warm Groth16 provers for one artifacts folder. */
export class ProverPool {
  /** Provers (worker threads). */
  readonly workers: number;
  /** snarkjs threads inside each prover. */
  readonly threadsPerWorker: number;
  /** Tasks that may be in the pool at once, running or waiting. */
  readonly capacity: number;
  readonly #piscina: Piscina<ProveTask, ProveTaskResult>;
  readonly #queue: Job[] = [];
  #running = 0;
  #closed = false;
  #closing?: Promise<void>;
  #forced = false;
  #idle?: () => void;
  #poolError?: Error;
  readonly #ready: Promise<void>;
  #notReady?: (e: Error) => void;

  /**
   * Starts the workers; each begins loading the artifacts at once. Workers reload the
   * folder without re-hashing the zkey: the hashes were checked when `artifacts` was loaded.
   * @param artifacts artifacts loaded (and hash-checked) by {@link loadArtifacts}
   * @throws {InvalidArgumentError} for a non-positive worker, thread or queue count
   */
  constructor(artifacts: Artifacts, options: ProverPoolOptions = {}) {
    const shape = defaultPoolShape();
    this.workers = options.workers ?? shape.workers;
    this.threadsPerWorker = options.threadsPerWorker ?? shape.threadsPerWorker;
    const maxQueue = options.maxQueue ?? this.workers;
    assertCount(this.workers, 'workers', 1);
    assertCount(this.threadsPerWorker, 'threadsPerWorker', 1);
    assertCount(maxQueue, 'maxQueue', 0);
    this.capacity = this.workers + maxQueue;
    const witnessModule = compiledWitness(artifacts.wasmPath);
    const workerData: ProveWorkerData = {
      dir: artifacts.dir,
      threads: this.threadsPerWorker,
      ...(witnessModule ? { witnessModule } : {}),
      ...(artifacts.weights ? { weights: artifacts.weights.file } : {}),
    };
    this.#piscina = new Piscina<ProveTask, ProveTaskResult>({
      filename: WORKER_FILE,
      minThreads: this.workers,
      maxThreads: this.workers,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      maxQueue: this.capacity,
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      workerData,
    });
    // A worker that dies outside a task (e.g. out of memory while idle) is replaced by
    // piscina; keep the error for the next task rather than crash the process.
    this.#piscina.on('error', (e: Error) => {
      this.#poolError = e;
      this.#notReady?.(new ProveError(`a prover worker could not start: ${e?.message ?? String(e)}`, { cause: e }));
    });
    // Workers post a ready message once warm (artifacts loaded, curve built).
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#notReady = reject;
      const warm = new Set<number>();
      const onMessage = (m: Partial<ProveWorkerReady>) => {
        if (m?.zkinferProverReady !== true) return;
        if (m.error !== undefined) {
          this.#piscina.off('message', onMessage);
          reject(new ProveError(`a prover worker could not start: ${m.error}`));
          return;
        }
        warm.add(m.threadId!);
        if (warm.size >= this.workers) {
          this.#piscina.off('message', onMessage);
          this.#notReady = undefined;
          resolve();
        }
      };
      this.#piscina.on('message', onMessage);
    });
    this.#ready.catch(() => undefined); // surfaced by ready() and by each task
  }

  /**
   * Resolves once every worker has loaded the artifacts and built its snarkjs curve, so
   * that timings that follow exclude start-up. Proving does not need to wait for it.
   * @throws {ProveError} when a worker cannot start (its reason)
   */
  ready(): Promise<void> {
    // piscina unrefs idle workers; hold the process open while someone waits
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    return this.#ready.finally(() => clearInterval(keepAlive));
  }

  /** Tasks running or waiting. */
  get pending(): number {
    return this.#running + this.#queue.length;
  }

  /** Worker threads alive (0 after {@link close}). */
  get threadCount(): number {
    return this.#piscina.threads.length;
  }

  /**
   * Proves one input on a free worker.
   * @param values the float input, flattened row-major in the model input's shape
   * @throws {InputError} for inputs outside the compiled range
   * @throws {ProveError} when proving fails, the pool is closed, or it is full (`capacity` tasks pending)
   * @throws {ProofAbortedError} when `signal` aborts the task
   */
  prove(values: ArrayLike<number>, options: PoolProveOptions = {}): Promise<PooledProof> {
    const task: ProveTask = { values: values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>), nonce: options.nonce, createdAt: options.createdAt };
    return this.#submit(task, options) as Promise<PooledProof>;
  }

  /**
   * Proves up to N inputs in one shared proof on a free worker (artifacts compiled with
   * `--inferences N`; see src/prove/shared.ts).
   * @param inputs the inferences: float inputs flattened row-major, with optional nonces
   * @throws {SharedInputError} for an input outside the compiled range (naming its index)
   * @throws as {@link prove} otherwise
   */
  proveShared(inputs: readonly { values: ArrayLike<number>; nonce?: string }[], options: Omit<PoolProveOptions, 'nonce'> = {}): Promise<PooledSharedProof> {
    const task: ProveTask = {
      values: [],
      inputs: inputs.map((x) => ({ values: x.values instanceof Float64Array ? x.values : Float64Array.from(x.values), ...(x.nonce !== undefined ? { nonce: x.nonce } : {}) })),
      createdAt: options.createdAt,
    };
    return this.#submit(task, options) as Promise<PooledSharedProof>;
  }

  #submit(task: ProveTask, options: PoolProveOptions): Promise<PooledProof | PooledSharedProof> {
    if (this.#closed) return Promise.reject(new ProveError('the prover pool is closed'));
    if (options.signal?.aborted) return Promise.reject(new ProofAbortedError('the proof was aborted before it started', { cause: options.signal.reason }));
    if (this.pending >= this.capacity) {
      return Promise.reject(new ProveError(`the prover pool is full (${this.capacity} proofs pending); wait for one to finish before submitting another`));
    }
    return new Promise<PooledProof | PooledSharedProof>((resolve, reject) => {
      const job: Job = { task, options, submitted: performance.now(), resolve, reject };
      const signal = options.signal;
      if (signal) {
        job.onAbort = () => {
          const i = this.#queue.indexOf(job);
          if (i < 0) return; // already running: piscina handles it (or it is let finish)
          this.#queue.splice(i, 1);
          reject(new ProofAbortedError('the proof was aborted before it started', { cause: signal.reason }));
          this.#maybeIdle();
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.#queue.push(job);
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#running < this.workers && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      const { signal, abortRunning = true } = job.options;
      if (signal && job.onAbort) signal.removeEventListener('abort', job.onAbort);
      this.#running++;
      const settle = (fn: () => void) => {
        // free the slot before the caller's continuation can submit again
        this.#running--;
        fn();
        this.#pump();
        this.#maybeIdle();
      };
      this.#piscina.run(job.task, { signal: abortRunning ? (signal ?? null) : null }).then(
        (result) =>
          settle(() => {
            if (result.ok && 'shared' in result) job.resolve({ shared: result.shared, workerMs: result.workerMs, latencyMs: performance.now() - job.submitted, threadId: result.threadId });
            else if (result.ok)
              job.resolve({
                receipt: result.receipt,
                ...(result.opening ? { opening: result.opening } : {}),
                workerMs: result.workerMs,
                latencyMs: performance.now() - job.submitted,
                threadId: result.threadId,
              });
            else if (result.kind === 'input' && result.index !== undefined) job.reject(new SharedInputError(result.message, result.index));
            else if (result.kind === 'input') job.reject(new InputError(result.message));
            else job.reject(new ProveError(result.message, result.causeMessage ? { cause: new Error(result.causeMessage) } : {}));
          }),
        (e: Error) =>
          settle(() => {
            if (this.#forced) job.reject(new ProofAbortedError('the prover pool was closed', { cause: e }));
            else if (e?.name === 'AbortError') job.reject(new ProofAbortedError('the proof was aborted while running; its worker was stopped', { cause: e }));
            else job.reject(new ProveError(`a prover worker failed: ${e?.message ?? String(e)}`, { cause: this.#poolError ?? e }));
          }),
      );
    }
  }

  #maybeIdle(): void {
    if (this.pending === 0) this.#idle?.();
  }

  /**
   * Shuts the pool down: no new tasks; pending ones finish (or, with `force`, waiting
   * ones are rejected and running ones stopped); then every worker thread — with the
   * snarkjs threads it started — is terminated, so the process can exit. Idempotent.
   */
  close(options: { force?: boolean } = {}): Promise<void> {
    this.#closed = true;
    this.#notReady?.(new ProveError('the prover pool was closed before its workers were ready'));
    if (options.force) {
      this.#forced = true;
      for (const job of this.#queue.splice(0)) {
        if (job.options.signal && job.onAbort) job.options.signal.removeEventListener('abort', job.onAbort);
        job.reject(new ProofAbortedError('the prover pool was closed'));
      }
      const destroyed = this.#piscina.destroy();
      this.#closing ??= destroyed;
      return destroyed.then(() => this.#closing);
    }
    this.#closing ??= (async () => {
      if (this.pending > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
      await this.#piscina.destroy();
    })();
    return this.#closing;
  }

  /** `await using pool = new ProverPool(...)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
