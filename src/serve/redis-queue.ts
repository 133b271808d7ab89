/**
 * The Redis job backend (`--redis <url>`): proof jobs go to BullMQ queues, one per model id
 * and key id, which `zkinfer worker` processes consume on any number of machines. The job
 * id is the request's id (./job.ts), so a repeated request finds its job instead of adding
 * one; failed attempts are retried with exponential backoff, and a job whose worker dies is
 * taken back by BullMQ's stalled-job check and given to another worker
 * (https://docs.bullmq.io/guide/workers/stalled-jobs). Redis must run with persistence
 * (`appendonly yes`) for accepted jobs to survive a restart of Redis.
 */
import { Job, Queue, QueueEvents, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { BackendUnavailableError, JobRefusedError, type BackendCounts, type JobBackend, type JobListener, type JobStatus, type ProofJobData, type ProofJobResult } from './job.js';
import type { HeldModel } from './models.js';

/** The key prefix of zkinfer's queues in Redis. */
export const QUEUE_PREFIX = 'zkinfer';

/** The queue of one model id and key id (BullMQ names may not contain `:`). */
export function queueName(modelId: string, keyId: string): string {
  return `proofs-${modelId}-${keyId}`;
}

/** Connection options for a Redis URL (`redis://host:port[/db]`, `rediss://` for TLS). */
export function redisConnection(url: string, options: { blocking: boolean }): ConnectionOptions {
  // Blocking clients (workers, events) wait out an outage; the API's client fails a request fast.
  return options.blocking ? { url, maxRetriesPerRequest: null } : { url, maxRetriesPerRequest: 1, enableOfflineQueue: false };
}

/** How a proof job is queued: attempts, backoff, and how long finished jobs are kept. */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

/** Options of {@link RedisBackend}. */
export interface RedisBackendOptions {
  url: string;
  onJob?: JobListener;
  /** Override of {@link JOB_OPTIONS} (tests shorten the backoff). */
  jobOptions?: JobsOptions;
}

const STATE: Record<string, JobStatus['state']> = {
  waiting: 'waiting',
  'waiting-children': 'waiting',
  prioritized: 'waiting',
  delayed: 'waiting',
  active: 'active',
  completed: 'completed',
  failed: 'failed',
};

/** Proof jobs on BullMQ queues. */
export class RedisBackend implements JobBackend {
  readonly kind = 'redis' as const;
  readonly #queues = new Map<string, Queue>();
  readonly #events: QueueEvents[] = [];
  readonly #jobOptions: JobsOptions;

  constructor(models: readonly HeldModel[], options: RedisBackendOptions) {
    this.#jobOptions = { ...JOB_OPTIONS, ...options.jobOptions };
    for (const held of models) {
      if (!held.provable) continue;
      const name = queueName(held.manifest.modelId, held.manifest.keyId!);
      const queue = new Queue(name, { connection: redisConnection(options.url, { blocking: false }), prefix: QUEUE_PREFIX });
      queue.on('error', () => undefined); // reported by health() and by the requests that fail
      this.#queues.set(held.manifest.modelId, queue);
      if (options.onJob) {
        const events = new QueueEvents(name, { connection: redisConnection(options.url, { blocking: true }), prefix: QUEUE_PREFIX });
        events.on('error', () => undefined);
        const onJob = options.onJob;
        events.on('completed', ({ returnvalue }) => {
          const value = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as Partial<ProofJobResult> | undefined;
          onJob({ outcome: 'completed', latencyMs: value?.latencyMs });
        });
        events.on('failed', ({ prev }) => {
          // 'failed' is emitted once a job has no attempt left (a retried job goes back to delayed)
          if (prev !== 'failed') onJob({ outcome: 'failed' });
        });
        this.#events.push(events);
      }
    }
  }

  /** Resolves when every queue (and event stream) is connected. */
  async ready(): Promise<void> {
    await Promise.all([...[...this.#queues.values()].map((q) => q.waitUntilReady()), ...this.#events.map((e) => e.waitUntilReady())]);
  }

  async submit(jobs: readonly { id: string; data: ProofJobData }[]): Promise<ProofJobData[]> {
    const byQueue = new Map<Queue, { id: string; data: ProofJobData }[]>();
    for (const job of jobs) {
      const queue = this.#queues.get(job.data.modelId);
      if (!queue) throw new JobRefusedError(`model ${job.data.modelId} has no proving key on this server`);
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), job]);
    }
    const stored = new Map<string, ProofJobData>();
    try {
      for (const [queue, list] of byQueue) {
        // addBulk with a known jobId keeps the existing job (BullMQ's idempotent add)
        await queue.addBulk(list.map(({ id, data }) => ({ name: data.kind, data, opts: { ...this.#jobOptions, jobId: id } })));
        for (const { id, data } of list) {
          if (data.kind === 'infer') {
            const job = await Job.fromId<ProofJobData>(queue, id);
            stored.set(id, job?.data ?? data);
          } else stored.set(id, data);
        }
      }
    } catch (e) {
      throw new BackendUnavailableError(`the job queue is unavailable: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    }
    return jobs.map((j) => stored.get(j.id)!);
  }

  async get(id: string): Promise<JobStatus | undefined> {
    try {
      for (const queue of this.#queues.values()) {
        let job = await Job.fromId<ProofJobData, ProofJobResult>(queue, id);
        if (!job) continue;
        const state = STATE[await job.getState()] ?? 'waiting';
        // the job was read before its state: one that completed or failed in between is read
        // again for its result or its reason (and its final attempt count)
        if ((state === 'completed' && !job.returnvalue) || (state === 'failed' && !job.failedReason)) job = (await Job.fromId<ProofJobData, ProofJobResult>(queue, id)) ?? job;
        const progress = state === 'completed' || state === 'failed' ? 100 : typeof job.progress === 'number' ? job.progress : 0;
        return {
          id,
          state,
          progress,
          attempts: job.attemptsMade,
          ...(state === 'completed' && job.returnvalue ? { receipt: job.returnvalue.receipt } : {}),
          ...(state === 'failed' ? { error: job.failedReason } : {}),
        };
      }
    } catch (e) {
      throw new BackendUnavailableError(`the job queue is unavailable: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    }
    return undefined;
  }

  async counts(): Promise<BackendCounts> {
    let waiting = 0;
    let active = 0;
    for (const queue of this.#queues.values()) {
      const c = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
      waiting += (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0);
      active += c.active ?? 0;
    }
    return { waiting, active };
  }

  async health(): Promise<{ ok: boolean; error?: string }> {
    try {
      for (const queue of this.#queues.values()) await queue.getJobCounts('waiting');
      return { ok: true };
    } catch (e) {
      return { ok: false, error: `redis: ${(e as Error)?.message ?? String(e)}` };
    }
  }

  /** Closes the connections; queued jobs stay in Redis for the workers. */
  async close(): Promise<void> {
    await Promise.all([...[...this.#queues.values()].map((q) => q.close()), ...this.#events.map((e) => e.close())]);
  }
}
