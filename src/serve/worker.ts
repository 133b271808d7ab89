/**
 * A queue worker (`zkinfer worker --redis <url> --artifacts <dir>...`): for each model it
 * holds, a warm prover pool and a BullMQ worker on that model's queue. A job is proven,
 * its receipt written durably, and only then reported done (its return value carries the
 * receipt). A job for a model or key this worker does not hold is refused without retry.
 * Closing lets the running proofs finish and leaves waiting jobs in the queue for others;
 * a worker that dies mid-proof loses its lock, and BullMQ's stalled-job check gives the job
 * to another worker.
 */
import os from 'node:os';
import { UnrecoverableError, Worker } from 'bullmq';
import { ProverPool } from '../prove/pool.js';
import { loadArtifacts } from '../prove/artifacts.js';
import { openArtifacts } from '../shared/artifacts.js';
import { InvalidArgumentError } from '../shared/errors.js';
import { JobRefusedError, runProofJob, type ProofJobData, type ProofJobResult } from './job.js';
import { QUEUE_PREFIX, queueName, redisConnection } from './redis-queue.js';

/** The time in ms since the epoch, with sub-millisecond precision (event timestamps). */
const now = () => performance.timeOrigin + performance.now();

/** Options of {@link QueueWorker}. */
export interface QueueWorkerOptions {
  url: string;
  artifacts: readonly string[];
  receiptsDir: string;
  /** Provers per model (and jobs taken at once); default one per core. */
  workers?: number;
  /** How long a job's lock lasts without renewal, ms (BullMQ default 30,000). */
  lockDuration?: number;
  /** How often stalled jobs are looked for, ms (BullMQ default 30,000). */
  stalledInterval?: number;
  /** Stalls after which a job fails; default 5 (a job survives several worker deaths). */
  maxStalledCount?: number;
  /** One event per job: started, completed, failed; `at` in ms since the epoch. */
  onEvent?: (event: { event: 'started' | 'completed' | 'failed'; jobId: string; model: string; error?: string; proveMs?: number; at: number }) => void;
}

/** BullMQ workers with warm provers, one per model held. */
export class QueueWorker {
  readonly #pools: ProverPool[] = [];
  readonly #workers: Worker<ProofJobData, ProofJobResult>[] = [];
  readonly name = `${os.hostname()}:${process.pid}`;
  #closing?: Promise<void>;

  /**
   * Loads the artifacts and starts the pools; the queue workers start in {@link run}.
   * @throws {InvalidArgumentError} for artifacts without a proving key or a model given twice
   */
  constructor(options: QueueWorkerOptions) {
    const seen = new Set<string>();
    for (const dir of options.artifacts) {
      const folder = openArtifacts(dir);
      const { manifest } = folder;
      if (!manifest.files.zkey || !manifest.keyId) throw new InvalidArgumentError(`${dir}: compiled without a setup (no zkey); a worker needs a proving key`);
      if (seen.has(manifest.modelId)) throw new InvalidArgumentError(`${dir}: model ${manifest.modelId} is given twice`);
      seen.add(manifest.modelId);
      const artifacts = loadArtifacts(folder);
      const pool = new ProverPool(artifacts, options.workers === undefined ? {} : { workers: options.workers });
      this.#pools.push(pool);
      const worker = new Worker<ProofJobData, ProofJobResult>(
        queueName(manifest.modelId, manifest.keyId),
        async (job) => {
          const model = manifest.modelId;
          options.onEvent?.({ event: 'started', jobId: job.id!, model, at: now() });
          try {
            const result = await runProofJob(job.id!, job.data, manifest, pool, options.receiptsDir, job.timestamp, this.name);
            options.onEvent?.({ event: 'completed', jobId: job.id!, model, proveMs: result.proveMs, at: now() });
            return result;
          } catch (e) {
            const message = (e as Error)?.message ?? String(e);
            options.onEvent?.({ event: 'failed', jobId: job.id!, model, error: message, at: now() });
            if (e instanceof JobRefusedError) throw new UnrecoverableError(message);
            throw e;
          }
        },
        {
          connection: redisConnection(options.url, { blocking: true }),
          prefix: QUEUE_PREFIX,
          concurrency: pool.workers,
          autorun: false,
          lockDuration: options.lockDuration ?? 30_000,
          stalledInterval: options.stalledInterval ?? 30_000,
          maxStalledCount: options.maxStalledCount ?? 5,
        },
      );
      worker.on('error', () => undefined); // connection errors: ioredis reconnects
      this.#workers.push(worker);
    }
  }

  /** Waits until every prover is warm and every queue worker connected, then starts taking jobs. */
  async run(): Promise<void> {
    await Promise.all(this.#pools.map((p) => p.ready()));
    await Promise.all(this.#workers.map((w) => w.waitUntilReady()));
    for (const w of this.#workers) void w.run();
  }

  /** Stops taking jobs, lets running proofs finish (their results reach Redis), then stops the provers. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all(this.#workers.map((w) => w.close()));
      await Promise.all(this.#pools.map((p) => p.close()));
    })();
    return this.#closing;
  }
}
