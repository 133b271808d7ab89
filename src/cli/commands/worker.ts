/**
 * `zkinfer worker --redis <url> --artifacts <dir>... [--receipts <dir>] [--workers N]`:
 * proves the jobs of the models it holds from their BullMQ queues (src/serve/worker.ts),
 * with a warm prover pool per model; start as many as you like, on any machines that reach
 * Redis. SIGTERM or Ctrl-C: stop taking jobs, finish the running proofs, exit 0 (waiting
 * jobs stay queued for other workers). BullMQ and the prover load when the command runs.
 */
import type { Command } from 'commander';
import { checkRedisUrl, collect, positiveInt, untilSignal } from './serve-options.js';

/** Registers the worker command. */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('prove queued jobs from Redis (BullMQ) for `zkinfer serve --redis`')
    .requiredOption('--redis <url>', 'the Redis the server queues on, e.g. redis://127.0.0.1:6379')
    .requiredOption('--artifacts <dir>', 'artifacts folder written by compile (repeat for more models)', collect)
    .option('--receipts <dir>', 'where proven receipts are written', 'receipts')
    .option('--workers <n>', 'provers per model, and jobs taken at once (default: one per core)', positiveInt('--workers'))
    .option('--lock-duration <ms>', "how long a job's lock lasts without renewal; a dead worker's job is retaken after it", positiveInt('--lock-duration', 100), 30_000)
    .option('--stalled-interval <ms>', 'how often to look for jobs of dead workers', positiveInt('--stalled-interval', 100), 30_000)
    .option('--json', 'print events as JSON lines')
    .action(async (opts) => {
      checkRedisUrl(opts.redis);
      const { QueueWorker } = await import('../../serve/worker.js');
      const say = (event: Record<string, unknown>, line: string) => process.stdout.write(opts.json ? `${JSON.stringify(event)}\n` : `${line}\n`);
      const worker = new QueueWorker({
        url: opts.redis,
        artifacts: opts.artifacts,
        receiptsDir: opts.receipts,
        workers: opts.workers,
        lockDuration: opts.lockDuration,
        stalledInterval: opts.stalledInterval,
        onEvent: (e) =>
          say({ ...e, pid: process.pid }, e.event === 'failed' ? `job ${e.jobId}: failed: ${e.error}` : `job ${e.jobId}: ${e.event}${e.proveMs !== undefined ? ` (${e.proveMs.toFixed(0)} ms)` : ''}`),
      });
      const signal = untilSignal();
      await worker.run();
      say({ event: 'ready', pid: process.pid, worker: worker.name }, `worker ${worker.name} ready`);
      const received = await signal;
      say({ event: 'stopping', signal: received, pid: process.pid }, `${received}: finishing the proofs in flight`);
      await worker.close();
      say({ event: 'stopped', pid: process.pid }, 'stopped');
    });
}
