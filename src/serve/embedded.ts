/**
 * The embedded job backend: proof jobs run on in-process warm prover pools (one
 * {@link ProverPool} per model), so `zkinfer serve` works on one machine with nothing else
 * installed. Jobs live in memory: idempotent by id, retried with exponential backoff,
 * receipts written durably before a job is reported done. What it cannot give is survival
 * of the process itself; that is what `--redis` is for.
 */
import os from 'node:os';
import { ProverPool } from '../prove/pool.js';
import { loadArtifacts } from '../prove/artifacts.js';
import { BackendUnavailableError, JobRefusedError, runProofJob, type BackendCounts, type JobBackend, type JobListener, type JobStatus, type ProofJobData, type ProofJobResult } from './job.js';
import type { HeldModel } from './models.js';

/** Options of {@link EmbeddedBackend}. */
export interface EmbeddedOptions {
  receiptsDir: string;
  /** Provers per model; default one per core. */
  workers?: number;
  /** Jobs that may wait, over all models; more are refused (503). Default 10,000. */
  maxWaiting?: number;
  /** Attempts per job (first one included); default 3. */
  attempts?: number;
  /** First retry delay in ms, doubled each time; default 1000. */
  backoffMs?: number;
  onJob?: JobListener;
}

interface EmbeddedJob {
  id: string;
  data: ProofJobData;
  state: JobStatus['state'];
  createdAt: number;
  attempts: number;
  result?: ProofJobResult;
  error?: string;
}

interface ModelLane {
  held: HeldModel;
  pool: ProverPool;
  queue: EmbeddedJob[];
  running: number;
}

/** Proof jobs on in-process pools. */
export class EmbeddedBackend implements JobBackend {
  readonly kind = 'embedded' as const;
  readonly #jobs = new Map<string, EmbeddedJob>();
  readonly #lanes = new Map<string, ModelLane>();
  readonly #options: Required<Omit<EmbeddedOptions, 'onJob' | 'workers'>> & Pick<EmbeddedOptions, 'onJob'>;
  readonly #worker = `${os.hostname()}:${process.pid}`;
  readonly #timers = new Set<NodeJS.Timeout>();
  #waiting = 0;
  #closed = false;
  #idle?: () => void;

  /** Starts a warm pool for every provable model. */
  constructor(models: readonly HeldModel[], options: EmbeddedOptions) {
    this.#options = { maxWaiting: 10_000, attempts: 3, backoffMs: 1000, ...options };
    for (const held of models) {
      if (!held.provable) continue;
      const pool = new ProverPool(loadArtifacts(held.dir, { checkHashes: false }), options.workers === undefined ? {} : { workers: options.workers });
      this.#lanes.set(held.manifest.modelId, { held, pool, queue: [], running: 0 });
    }
  }

  /** Resolves when every pool is warm. */
  async ready(): Promise<void> {
    await Promise.all([...this.#lanes.values()].map((l) => l.pool.ready()));
  }

  async submit(jobs: readonly { id: string; data: ProofJobData }[]): Promise<ProofJobData[]> {
    if (this.#closed) throw new BackendUnavailableError('the server is shutting down');
    const fresh = jobs.filter((j, i) => !this.#jobs.has(j.id) && jobs.findIndex((k) => k.id === j.id) === i);
    if (this.#waiting + fresh.length > this.#options.maxWaiting) throw new BackendUnavailableError(`the job queue is full (${this.#waiting} jobs waiting, at most ${this.#options.maxWaiting})`);
    for (const { data } of fresh) {
      const lane = this.#lanes.get(data.modelId);
      if (!lane) throw new JobRefusedError(`model ${data.modelId} has no proving key on this server`);
    }
    for (const { id, data } of fresh) {
      const job: EmbeddedJob = { id, data, state: 'waiting', createdAt: Date.now(), attempts: 0 };
      this.#jobs.set(id, job);
      this.#enqueue(job);
    }
    return jobs.map((j) => this.#jobs.get(j.id)!.data);
  }

  #enqueue(job: EmbeddedJob): void {
    const lane = this.#lanes.get(job.data.modelId)!;
    this.#waiting++;
    lane.queue.push(job);
    this.#pump(lane);
  }

  #pump(lane: ModelLane): void {
    while (!this.#closed && lane.running < lane.pool.workers && lane.queue.length > 0) {
      const job = lane.queue.shift()!;
      this.#waiting--;
      lane.running++;
      job.state = 'active';
      job.attempts++;
      runProofJob(job.id, job.data, lane.held.manifest, lane.pool, this.#options.receiptsDir, job.createdAt, this.#worker).then(
        (result) => {
          job.state = 'completed';
          job.result = result;
          job.error = undefined;
          this.#options.onJob?.({ outcome: 'completed', latencyMs: result.latencyMs });
          this.#settle(lane);
        },
        (e: Error) => {
          const message = e?.message ?? String(e);
          if (e instanceof JobRefusedError || job.attempts >= this.#options.attempts || this.#closed) {
            job.state = 'failed';
            job.error = message;
            this.#options.onJob?.({ outcome: 'failed' });
          } else {
            job.state = 'waiting';
            job.error = message;
            this.#waiting++;
            const timer = setTimeout(
              () => {
                this.#timers.delete(timer);
                this.#waiting--;
                this.#enqueue(job);
              },
              this.#options.backoffMs * 2 ** (job.attempts - 1),
            );
            this.#timers.add(timer);
          }
          this.#settle(lane);
        },
      );
    }
  }

  #settle(lane: ModelLane): void {
    lane.running--;
    this.#pump(lane);
    if ([...this.#lanes.values()].every((l) => l.running === 0)) this.#idle?.();
  }

  async get(id: string): Promise<JobStatus | undefined> {
    const job = this.#jobs.get(id);
    if (!job) return undefined;
    return {
      id,
      state: job.state,
      progress: job.state === 'completed' || job.state === 'failed' ? 100 : 0,
      attempts: job.attempts,
      ...(job.result ? { receipt: job.result.receipt } : {}),
      ...(job.state === 'failed' && job.error !== undefined ? { error: job.error } : {}),
    };
  }

  async counts(): Promise<BackendCounts> {
    let active = 0;
    for (const l of this.#lanes.values()) active += l.running;
    return { waiting: this.#waiting, active };
  }

  async health(): Promise<{ ok: boolean; error?: string }> {
    return this.#closed ? { ok: false, error: 'shutting down' } : { ok: true };
  }

  /**
   * Stops taking jobs, lets running proofs finish and closes the pools.
   * @returns the ids of jobs that were waiting and are not proven
   */
  async close(): Promise<void> {
    await this.closeReporting();
  }

  /** {@link close}, returning the ids of waiting jobs dropped unproven. */
  async closeReporting(): Promise<string[]> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const dropped: string[] = [];
    for (const job of this.#jobs.values()) {
      if (job.state === 'waiting') {
        job.state = 'failed';
        job.error = 'the server shut down before proving it';
        dropped.push(job.id);
      }
    }
    for (const l of this.#lanes.values()) l.queue.length = 0;
    this.#waiting = 0;
    if ([...this.#lanes.values()].some((l) => l.running > 0)) await new Promise<void>((resolve) => (this.#idle = resolve));
    await Promise.all([...this.#lanes.values()].map((l) => l.pool.close()));
    return dropped;
  }
}
