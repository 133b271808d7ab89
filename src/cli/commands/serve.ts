/**
 * `zkinfer serve --artifacts <dir>... [--port N] [--host H] [--redis <url>] [--tokens <file>]`:
 * the HTTP API (src/serve/server.ts). Without --redis, proofs run on in-process warm
 * pools; with it, they go to BullMQ queues for `zkinfer worker` processes. SIGTERM or
 * Ctrl-C: stop accepting requests, answer those in flight, let running proofs finish (queued
 * ones stay in Redis; with the embedded pool, waiting jobs are named as dropped), then exit 0.
 * fastify, BullMQ, onnxruntime and the prover are imported when the command runs.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../shared/errors.js';
import { checkRedisUrl, collect, positiveInt, untilSignal } from './serve-options.js';

/** Registers the serve command. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the JSON HTTP API: attested answers at once, proofs on a warm pool or a Redis queue')
    .requiredOption('--artifacts <dir>', 'artifacts folder written by compile (repeat for more models)', collect)
    .option('--port <n>', 'TCP port (0: any free port)', positiveInt('--port', 0), 8080)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--redis <url>', 'queue proofs on Redis (BullMQ) for `zkinfer worker` processes, e.g. redis://127.0.0.1:6379')
    .option('--tokens <file>', 'bearer tokens allowed to submit work, one a line (without it: loopback clients only)')
    .option('--receipts <dir>', 'where the embedded pool writes proven receipts', 'receipts')
    .option('--workers <n>', 'embedded pool: provers per model (default: one per core)', positiveInt('--workers'))
    .option('--attest <provider>', 'attestation provider for /v1/infer', 'dev')
    .option('--body-limit <bytes>', 'largest request body', positiveInt('--body-limit', 1024))
    .option('--json', 'print events as JSON lines')
    .action(async (opts) => {
      if (opts.port > 65535) throw new InvalidArgumentError(`expected --port to be at most 65535, got ${opts.port}`);
      if (opts.redis !== undefined) checkRedisUrl(opts.redis);
      if (opts.redis !== undefined && opts.workers !== undefined) throw new InvalidArgumentError('--workers applies to the embedded pool; with --redis, start `zkinfer worker` processes');
      const [{ ModelRegistry }, { createServer }, { ServeMetrics }, { readTokens }, { createAttestationProvider }, { packageVersion }] = await Promise.all([
        import('../../serve/models.js'),
        import('../../serve/server.js'),
        import('../../serve/metrics.js'),
        import('../../serve/auth.js'),
        import('../../tee/registry.js'),
        import('../version.js'),
      ]);
      const tokens = opts.tokens !== undefined ? readTokens(opts.tokens) : undefined;
      const provider = createAttestationProvider(opts.attest);
      const models = new ModelRegistry(opts.artifacts as string[]);
      const say = (event: Record<string, unknown>, line: string) => process.stdout.write(opts.json ? `${JSON.stringify(event)}\n` : `${line}\n`);
      let onJob: import('../../serve/job.js').JobListener = () => undefined;
      const listener: import('../../serve/job.js').JobListener = (e) => onJob(e);
      let backend: import('../../serve/job.js').JobBackend;
      let dropped: () => Promise<string[]>;
      if (opts.redis !== undefined) {
        const { RedisBackend } = await import('../../serve/redis-queue.js');
        const redis = new RedisBackend(models.all(), { url: opts.redis, onJob: listener });
        await redis.ready();
        backend = redis;
        dropped = async () => (await redis.close(), []);
      } else {
        const { EmbeddedBackend } = await import('../../serve/embedded.js');
        const embedded = new EmbeddedBackend(models.all(), { receiptsDir: opts.receipts, workers: opts.workers, onJob: listener });
        await embedded.ready();
        backend = embedded;
        dropped = () => embedded.closeReporting();
      }
      const metrics = new ServeMetrics(() => backend.counts());
      onJob = metrics.onJob;
      const app = createServer({ models, backend, metrics, provider, tokens, bodyLimit: opts.bodyLimit, version: packageVersion() });
      const signal = untilSignal();
      await app.listen({ port: opts.port, host: opts.host });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
      say(
        { event: 'listening', url, port, backend: backend.kind, models: models.all().map((m) => m.manifest.modelId), auth: tokens ? 'tokens' : 'loopback' },
        `listening on ${url} (${backend.kind === 'redis' ? 'proofs on the Redis queue' : 'proofs on the in-process pool'}; ${tokens ? `${tokens.length} token(s)` : 'loopback clients only'})`,
      );
      const received = await signal;
      say({ event: 'stopping', signal: received }, `${received}: finishing requests and proofs in flight`);
      await app.close();
      const lost = await dropped();
      await models.close();
      say({ event: 'stopped', dropped: lost }, lost.length > 0 ? `stopped; ${lost.length} waiting job(s) not proven: ${lost.join(', ')}` : 'stopped');
    });
}
