/**
 * The Redis backend against real components: a `redis-server` on a free loopback port
 * (append-only file, fsync always) and `zkinfer worker` processes run from dist/. Two
 * workers share a queue; a worker killed mid-proof loses its job to the other (BullMQ's
 * stalled-job check, with a 2 s lock in these tests); a Redis restart loses no accepted
 * job; 200 concurrent HTTP submissions all end proven and valid, and /metrics counts them;
 * a job for a key the worker does not hold is refused; SIGTERM lets a worker finish its proof.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/serve/models.js';
import { QUEUE_PREFIX, queueName, RedisBackend } from '../../src/serve/redis-queue.js';
import { jobIdOf, type JobStatus, type ProofJobData } from '../../src/serve/job.js';
import type { Receipt } from '../../src/shared/receipt.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { redisServer, TestRedis } from '../helpers/redis.js';
import { skipWithout, titled } from '../helpers/system-deps.js';
import { buildServer, eventually, metric, tinyInput, WorkerProcess } from './fixtures.js';

const skipped = skipWithout(redisServer);

describe.skipIf(skipped)(titled('proof jobs on a BullMQ queue in a real Redis, proven by worker processes', redisServer, skipped), () => {
  let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
  let redis: TestRedis;
  let models: ModelRegistry;
  let modelId: string;
  let key: VerifierKey;
  let app: FastifyInstance;
  let backend: RedisBackend;
  let base: string;
  const workers: WorkerProcess[] = [];
  const receiptsOf = new Map<WorkerProcess, string>();

  const startWorker = async (): Promise<WorkerProcess> => {
    const dir = mkdtempSync(join(tmpdir(), 'zkinfer-worker-receipts-'));
    const w = new WorkerProcess(redis.url, tiny.dir, dir);
    workers.push(w);
    receiptsOf.set(w, dir);
    await w.ready();
    return w;
  };
  const http = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const r = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, json: await r.json() };
  };
  const prove = async (inputs: number[][][]): Promise<string[]> => {
    const r = await http('POST', '/v1/prove', { modelId, inputs });
    expect(r.status).toBe(202);
    return r.json.jobIds as string[];
  };
  /** Waits until every job is completed (a failed one fails the test); answers their receipts. */
  const allCompleted = (ids: readonly string[], timeoutMs = 120_000): Promise<Receipt[]> =>
    eventually(
      async () => {
        const jobs = await Promise.all(ids.map((id) => backend.get(id)));
        const failed = jobs.find((j) => j?.state === 'failed');
        if (failed) throw Object.assign(new Error(`job ${failed.id} failed: ${failed.error}`), { fatal: true });
        return jobs.every((j) => j?.state === 'completed') ? jobs.map((j) => (j as JobStatus).receipt!) : undefined;
      },
      timeoutMs,
      `${ids.length} jobs to complete`,
    );
  const scrape = async () => (await fetch(`${base}/metrics`)).text();

  beforeAll(async () => {
    tiny = await compileTinyModel();
    redis = await TestRedis.start();
    models = new ModelRegistry([tiny.dir]);
    modelId = models.all()[0]!.manifest.modelId;
    key = loadVerifierKey(tiny.dir);
    ({ app } = buildServer(models, (onJob) => (backend = new RedisBackend(models.all(), { url: redis.url, onJob, jobOptions: { backoff: { type: 'exponential', delay: 200 } } }))));
    await backend.ready();
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    await Promise.all([startWorker(), startWorker()]);
  }, 600_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await app?.close();
    await backend?.close();
    await models?.close();
    await redis?.stop();
  });

  it('two workers share the queue: each proves some of the jobs, every receipt verifies and is on disk where it was proven', async () => {
    const [a, b] = workers as [WorkerProcess, WorkerProcess];
    const ids = await prove(Array.from({ length: 16 }, (_, i) => tinyInput(i)));
    const receipts = await allCompleted(ids);
    for (const r of receipts) expect((await verifyProof(r, key)).valid).toBe(true);
    const byA = ids.filter((id) => existsSync(join(receiptsOf.get(a)!, `${id}.json`)));
    const byB = ids.filter((id) => existsSync(join(receiptsOf.get(b)!, `${id}.json`)));
    expect(byA.length).toBeGreaterThan(0);
    expect(byB.length).toBeGreaterThan(0);
    expect([...byA, ...byB].sort()).toEqual([...ids].sort());
  });

  it('a worker killed mid-proof (SIGKILL) loses its job to the other worker, which completes it', async () => {
    const [a, b] = workers as [WorkerProcess, WorkerProcess];
    const seen = a.events.length;
    const ids = await prove(Array.from({ length: 10 }, (_, i) => tinyInput(100 + i)));
    const started = await a.waitFor((e) => e.event === 'started' && a.events.indexOf(e) >= seen && ids.includes(e.jobId!), 'a job start');
    await a.stop('SIGKILL');
    expect(a.events.some((e) => e.event === 'completed' && e.jobId === started.jobId)).toBe(false);
    const receipts = await allCompleted(ids);
    for (const r of receipts) expect((await verifyProof(r, key)).valid).toBe(true);
    // the job the dead worker held was proven by the other one
    expect(existsSync(join(receiptsOf.get(a)!, `${started.jobId}.json`))).toBe(false);
    expect(existsSync(join(receiptsOf.get(b)!, `${started.jobId}.json`))).toBe(true);
    expect(b.events.some((e) => e.event === 'completed' && e.jobId === started.jobId)).toBe(true);
    await startWorker(); // for the tests that follow: two live workers again
  });

  it('Redis restarted mid-run (killed, then started on its append-only file): every accepted job still completes; while it is down, submissions get a 503', async () => {
    const live = workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
    const ids = await prove(Array.from({ length: 30 }, (_, i) => tinyInput(200 + i)));
    const done = () => live.reduce((n, w) => n + w.events.filter((e) => e.event === 'completed' && ids.includes(e.jobId!)).length, 0);
    await eventually(async () => (done() >= 3 ? true : undefined), 60_000, 'three jobs proven');
    expect(done()).toBeLessThan(30);
    await redis.stop('SIGKILL');
    // while Redis is down: submissions and health say so at once, with a 503
    const refused = await http('POST', '/v1/prove', { modelId, input: tinyInput(299) });
    expect(refused.status).toBe(503);
    expect(refused.json.error).toMatch(/^the job queue is unavailable: /);
    expect((await http('GET', '/healthz')).status).toBe(503);
    await redis.startAgain();
    const receipts = await allCompleted(ids, 180_000);
    for (const r of receipts) expect((await verifyProof(r, key)).valid).toBe(true);
    expect((await http('GET', '/healthz')).json).toEqual({ status: 'ok', backend: 'redis' });
  });

  it('200 concurrent HTTP submissions all end proven and valid, and /metrics counts them', async () => {
    await eventually(async () => ((await backend.counts()).waiting + (await backend.counts()).active === 0 ? true : undefined), 60_000, 'an idle queue');
    const before = await scrape();
    const done0 = metric(before, 'zkinfer_proofs_total{outcome="completed"}');
    const infer0 = metric(before, 'zkinfer_inferences_total');
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => http('POST', '/v1/infer', { modelId, input: tinyInput(1000 + i), nonce: (1000 + i).toString(16).padStart(4, '0') })));
    expect(answers.map((a) => a.status)).toEqual(Array(200).fill(200));
    const ids = answers.map((a) => a.json.jobId as string);
    expect(new Set(ids).size).toBe(200);
    const receipts = await allCompleted(ids, 300_000);
    for (const [i, r] of receipts.entries()) {
      expect((await verifyProof(r, key)).valid).toBe(true);
      expect(r.attestation).toEqual(answers[i]!.json.receipt.attestation);
    }
    const text = await eventually(
      async () => {
        const t = await scrape();
        return metric(t, 'zkinfer_proofs_total{outcome="completed"}') >= done0 + 200 ? t : undefined;
      },
      30_000,
      'the completion events',
    );
    expect(metric(text, 'zkinfer_proofs_total{outcome="completed"}')).toBe(done0 + 200);
    expect(metric(text, 'zkinfer_inferences_total')).toBe(infer0 + 200);
    expect(metric(text, 'zkinfer_queue_depth')).toBe(0);
    expect(metric(text, 'zkinfer_http_responses_total{route="/v1/infer",status="200"}')).toBe(200);
  });

  it('a worker refuses a job for a key it does not hold: the job fails at once with the reason, and /metrics counts the failure', async () => {
    const failed0 = metric(await scrape(), 'zkinfer_proofs_total{outcome="failed"}');
    const held = models.all()[0]!.manifest;
    const data: ProofJobData = { kind: 'prove', modelId, keyId: 'ee'.repeat(32), input: tinyInput(7).flat(), nonce: 'aa' };
    const id = jobIdOf(data);
    const queue = new Queue(queueName(modelId, held.keyId!), { connection: { url: redis.url }, prefix: QUEUE_PREFIX });
    try {
      await queue.add('prove', data, { jobId: id, attempts: 3 });
    } finally {
      await queue.close();
    }
    const job = await eventually(
      async () => {
        const j = await backend.get(id);
        return j?.state === 'failed' ? j : undefined;
      },
      60_000,
      'the refusal',
    );
    expect(job.error).toBe(`job ${id} is for model ${modelId} with key ${'ee'.repeat(32)}; this worker holds model ${modelId} with key ${held.keyId}`);
    expect(job.attempts).toBe(1);
    await eventually(async () => (metric(await scrape(), 'zkinfer_proofs_total{outcome="failed"}') === failed0 + 1 ? true : undefined), 30_000, 'the failure count');
  });

  it('SIGTERM: a worker finishes the proof it is making, then exits 0; the other worker takes the rest', async () => {
    const live = workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
    const [w] = live as [WorkerProcess];
    const seen = w.events.length;
    const ids = await prove(Array.from({ length: 8 }, (_, i) => tinyInput(300 + i)));
    const started = await w.waitFor((e) => e.event === 'started' && w.events.indexOf(e) >= seen && ids.includes(e.jobId!), 'a job start');
    const code = await w.stop('SIGTERM');
    expect(code).toBe(0);
    expect(w.events.map((e) => e.event)).toContain('stopped');
    expect(w.events.some((e) => e.event === 'completed' && e.jobId === started.jobId)).toBe(true);
    expect(JSON.parse(readFileSync(join(receiptsOf.get(w)!, `${started.jobId}.json`), 'utf8')).proof).toBeDefined();
    await allCompleted(ids);
  });
});
