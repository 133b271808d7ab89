/**
 * `npm run bench:serve` (`tsx scripts/bench-serve.ts --artifacts artifacts/fashion-mnist`):
 * the proving service (issue 11) on the Fashion-MNIST example.
 *   1. `POST /v1/infer` in a warm server, one request at a time over HTTP keep-alive:
 *      (a) with the Redis backend and no worker running (the API path alone: schema checks,
 *      onnxruntime, dev attestation, enqueue), (b) on the embedded pool while its provers
 *      work through the proofs the requests queue; and the fast path alone in-process.
 *   2. Proof throughput: the in-process pool (default split) against two `zkinfer worker`
 *      processes (one prover each) on a BullMQ queue in a local redis-server, same inputs.
 *   3. Queue overhead: enqueue → worker start, one job at a time on an idle queue (the
 *      worker stamps its start with the same clock).
 * Needs `redis-server` (Debian package) and dist/ (`npm run build`). Writes the
 * "Serving" section of BENCHMARKS.md and prints it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ModelRegistry } from '../src/serve/models.js';
import { RedisBackend } from '../src/serve/redis-queue.js';
import { EmbeddedBackend } from '../src/serve/embedded.js';
import { jobIdOf, type ProofJobData } from '../src/serve/job.js';
import { ProverPool, defaultPoolShape } from '../src/prove/pool.js';
import { loadArtifacts } from '../src/prove/artifacts.js';
import { flattenInput } from '../src/shared/input.js';
import { inferAttested } from '../src/tee/infer.js';
import { createAttestationProvider } from '../src/tee/registry.js';
import { TestRedis } from '../test/helpers/redis.js';
import { buildServer, WorkerProcess, type WorkerEvent } from '../test/serve/fixtures.js';
import { median, quantile, table, writeSection } from './lib/bench-report.js';

const { values: args } = parseArgs({
  options: {
    artifacts: { type: 'string', default: 'artifacts/fashion-mnist' },
    inputs: { type: 'string', default: 'examples/fashion-mnist/inputs.jsonl' },
    requests: { type: 'string', default: '300' },
    proofs: { type: 'string', default: '60' },
    overhead: { type: 'string', default: '50' },
    'no-write': { type: 'boolean', default: false },
  },
});
const log = (s: string) => process.stderr.write(`${s}\n`);
const now = () => performance.timeOrigin + performance.now();
const dir = resolve(args.artifacts);
const REQUESTS = Number(args.requests);
const PROOFS = Number(args.proofs);
const OVERHEAD = Number(args.overhead);
const loadStart = loadavg()[0]!;

const models = new ModelRegistry([dir]);
const held = models.all()[0]!;
const modelId = held.manifest.modelId;
const nested = readFileSync(args.inputs, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => (JSON.parse(l) as { input: unknown[] }).input);
const inputAt = (i: number) => nested[i % nested.length]!;
const flat = (i: number) => Array.from(flattenInput(inputAt(i), held.model.input.shape, 'input'));
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function inferLatency(base: string, offset: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < REQUESTS + 30; i++) {
    const body = JSON.stringify({ modelId, input: inputAt(i), nonce: (offset + i).toString(16).padStart(8, '0') });
    const t0 = performance.now();
    const r = await fetch(`${base}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`POST /v1/infer: ${r.status}`);
    if (i >= 30) times.push(performance.now() - t0);
  }
  return times;
}

const redis = await TestRedis.start();
const rows: string[][] = [];
const fsyncMode = (mode: 'always' | 'everysec') => execFileSync('redis-cli', ['-p', String(redis.port), 'config', 'set', 'appendfsync', mode]);
/** Median time of one job added to Redis (BullMQ addBulk of one job, the API's path), ms. */
async function addLatency(backend: RedisBackend, offset: number): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < 100; i++) {
    const data: ProofJobData = { kind: 'prove', modelId, keyId: held.manifest.keyId!, input: flat(i), nonce: (offset + i).toString(16).padStart(8, '0') };
    const t0 = performance.now();
    await backend.submit([{ id: jobIdOf(data), data }]);
    t.push(performance.now() - t0);
  }
  return median(t);
}
try {
  // 1a. the API path alone: Redis backend, nobody proving
  log('infer latency, Redis backend, no worker');
  {
    let backend!: RedisBackend;
    const { app } = buildServer(models, (onJob) => (backend = new RedisBackend([held], { url: redis.url, onJob })));
    await backend.ready();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const addAlways = await addLatency(backend, 4_000_000);
    fsyncMode('everysec');
    const addEverysec = await addLatency(backend, 5_000_000);
    fsyncMode('always');
    execFileSync('redis-cli', ['-p', String(redis.port), 'flushall']);
    rows.push([
      'one job added to Redis (BullMQ `addBulk`), the part of a request that waits for the disk',
      '100 jobs',
      `median ${ms(addAlways)} with \`appendfsync always\`, ${ms(addEverysec)} with \`everysec\``,
      '',
      'reference',
    ]);
    const t = await inferLatency(base, 0);
    rows.push([
      '`POST /v1/infer`, warm server, Redis backend (API path alone: no prover running), `appendfsync always`',
      `${REQUESTS} requests`,
      `median ${ms(median(t))}, p95 ${ms(quantile(t, 0.95))}`,
      '≤ 5 ms median',
      median(t) <= 5 ? 'met' : 'not met',
    ]);
    fsyncMode('everysec');
    const e = await inferLatency(base, 500_000);
    rows.push(['the same, `appendfsync everysec`', `${REQUESTS} requests`, `median ${ms(median(e))}, p95 ${ms(quantile(e, 0.95))}`, '≤ 5 ms median', median(e) <= 5 ? 'met' : 'not met']);
    fsyncMode('always');
    await app.close();
    await backend.close();
    execFileSync('redis-cli', ['-p', String(redis.port), 'flushall']);
  }
  // fast path alone, in-process
  {
    const provider = createAttestationProvider('dev');
    const t: number[] = [];
    for (let i = 0; i < REQUESTS + 30; i++) {
      const t0 = performance.now();
      await inferAttested(held.tee, flat(i), { provider });
      if (i >= 30) t.push(performance.now() - t0);
    }
    rows.push(['fast path alone in-process (`inferAttested`: onnxruntime + dev attestation)', `${REQUESTS} runs`, `median ${ms(median(t))}, p95 ${ms(quantile(t, 0.95))}`, '', 'reference']);
  }
  // 1b. embedded pool proving in the background
  log('infer latency, embedded pool proving in the background');
  {
    let backend!: EmbeddedBackend;
    const { app } = buildServer(models, (onJob) => (backend = new EmbeddedBackend([held], { receiptsDir: mkdtempSync(join(tmpdir(), 'zkinfer-bench-receipts-')), onJob })));
    await backend.ready();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const t = await inferLatency(base, 1_000_000);
    rows.push([
      `\`POST /v1/infer\`, warm server, embedded pool (${defaultPoolShape().workers} provers busy with the queued proofs)`,
      `${REQUESTS} requests`,
      `median ${ms(median(t))}, p95 ${ms(quantile(t, 0.95))}`,
      '',
      'under load',
    ]);
    await app.close();
    await backend.closeReporting();
  }

  // 2. throughput: in-process pool
  log(`throughput: in-process pool, ${PROOFS} proofs`);
  let poolRate: number;
  {
    const pool = new ProverPool(loadArtifacts(dir));
    await pool.ready();
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < PROOFS) {
        const i = next++;
        await pool.prove(flat(i));
      }
    };
    await Promise.all(Array.from({ length: pool.capacity }, lane));
    const seconds = (performance.now() - t0) / 1000;
    poolRate = (PROOFS / seconds) * 60;
    rows.push([`proof throughput, in-process pool ${pool.workers} × ${pool.threadsPerWorker} (warm)`, `${PROOFS} proofs`, `${poolRate.toFixed(1)} proofs/min`, '', 'baseline']);
    await pool.close();
  }

  // 2'. throughput: two worker processes on the queue
  log(`throughput: two worker processes on the queue, ${PROOFS} proofs`);
  const receipts = mkdtempSync(join(tmpdir(), 'zkinfer-bench-worker-'));
  const workers = [0, 1].map(() => new WorkerProcess(redis.url, dir, receipts, ['--lock-duration', '30000', '--stalled-interval', '30000']));
  try {
    await Promise.all(workers.map((w) => w.ready()));
    const backend = new RedisBackend([held], { url: redis.url });
    await backend.ready();
    const jobs = Array.from({ length: PROOFS }, (_, i) => {
      const data: ProofJobData = { kind: 'prove', modelId, keyId: held.manifest.keyId!, input: flat(i), nonce: `${(2_000_000 + i).toString(16)}` };
      if (data.nonce.length % 2) data.nonce = `0${data.nonce}`;
      return { id: jobIdOf(data), data };
    });
    const ids = new Set(jobs.map((j) => j.id));
    const completedCount = () => workers.reduce((n, w) => n + w.events.filter((e) => e.event === 'completed' && ids.has(e.jobId!)).length, 0);
    const t0 = performance.now();
    await backend.submit(jobs);
    await new Promise<void>((resolveDone) => {
      const check = setInterval(() => {
        if (completedCount() >= PROOFS) {
          clearInterval(check);
          resolveDone();
        }
      }, 5);
    });
    const seconds = (performance.now() - t0) / 1000;
    const queueRate = (PROOFS / seconds) * 60;
    const ratio = queueRate / poolRate;
    rows.push([
      'proof throughput, BullMQ queue, 2 `zkinfer worker` processes × 1 prover (warm)',
      `${PROOFS} proofs`,
      `${queueRate.toFixed(1)} proofs/min (${(ratio * 100).toFixed(0)} % of the pool)`,
      '≥ 90 % of the pool',
      ratio >= 0.9 ? 'met' : 'not met',
    ]);

    // 3. queue overhead, one job at a time on an idle queue
    const event = (id: string, kind: string) =>
      new Promise<WorkerEvent>((resolveEvent) => {
        const check = setInterval(() => {
          for (const w of workers) {
            const e = w.events.find((x) => x.event === kind && x.jobId === id);
            if (e) {
              clearInterval(check);
              resolveEvent(e);
              return;
            }
          }
        }, 2);
      });
    for (const mode of ['always', 'everysec'] as const) {
      fsyncMode(mode);
      log(`queue overhead (appendfsync ${mode}): ${OVERHEAD} jobs one at a time`);
      const overhead: number[] = [];
      for (let i = 0; i < OVERHEAD + 5; i++) {
        const data: ProofJobData = { kind: 'prove', modelId, keyId: held.manifest.keyId!, input: flat(i), nonce: ((mode === 'always' ? 3_000_000 : 6_000_000) + i).toString(16).padStart(8, '0') };
        const id = jobIdOf(data);
        const t0 = now();
        await backend.submit([{ id, data }]);
        const started = await event(id, 'started');
        await event(id, 'completed');
        if (i >= 5) overhead.push(started.at! - t0);
      }
      rows.push([
        `queue overhead: enqueue (\`addBulk\`) → worker start, idle queue, \`appendfsync ${mode}\``,
        `${OVERHEAD} jobs`,
        `median ${ms(median(overhead))}, p95 ${ms(quantile(overhead, 0.95))}`,
        '≤ 10 ms median',
        median(overhead) <= 10 ? 'met' : 'not met',
      ]);
    }
    fsyncMode('always');
    await backend.close();
  } finally {
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
  }
} finally {
  await redis.stop();
  await models.close();
}

const body = [
  `Measured by \`npm run bench:serve\` (scripts/bench-serve.ts) on examples/fashion-mnist (784-128-10 MLP, artifacts in ${args.artifacts}), redis-server ${execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? '?'} on loopback with \`appendonly yes\`, \`appendfsync always\`. The HTTP client runs in the server's process, one request at a time (keep-alive). Load average at start ${loadStart.toFixed(2)}, at end ${loadavg()[0]!.toFixed(2)}: the machine is shared, so throughput figures move with it.`,
  '',
  table(['measure', 'n', 'value', 'target', ''], rows),
].join('\n');
if (!args['no-write']) writeSection('Serving (issue 11)', body);
process.stdout.write(`${body}\n`);
process.exit(0);
