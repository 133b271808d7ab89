/**
 * Shared pieces of the serve tests: the tiny model's inputs, a server built in-process
 * (the same one `zkinfer serve` runs), and `zkinfer worker` processes run from dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAttestationProvider } from '../../src/tee/registry.js';
import { createServer } from '../../src/serve/server.js';
import { ModelRegistry } from '../../src/serve/models.js';
import { ServeMetrics } from '../../src/serve/metrics.js';
import type { JobBackend, JobListener } from '../../src/serve/job.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** An input of the tiny model (shape [1, 6]) that differs for each `i`. */
export function tinyInput(i: number): number[][] {
  return [[((i % 17) - 8) / 10, (((i * 7) % 13) - 6) / 10, 0.2, -0.1, ((i % 5) - 2) / 10, -0.5 + (i % 3) / 10]];
}

/** A server on a backend, with its metrics, as `zkinfer serve` builds it. */
export function buildServer(models: ModelRegistry, makeBackend: (onJob: JobListener) => JobBackend, options: { tokens?: Buffer[]; bodyLimit?: number } = {}) {
  let metrics: ServeMetrics | undefined;
  const backend = makeBackend((e) => metrics?.onJob(e));
  metrics = new ServeMetrics(() => backend.counts());
  const app = createServer({ models, backend, metrics, provider: createAttestationProvider('dev'), version: 'test', ...options });
  return { app, backend, metrics };
}

/** One value of a Prometheus text exposition (`name{labels} value`). */
export function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no metric ${series}`);
  return Number(line.slice(series.length + 1));
}

/** A worker event line (`zkinfer worker --json`). */
export interface WorkerEvent {
  event: string;
  jobId?: string;
  pid: number;
  error?: string;
  /** When it happened, ms since the epoch (sub-millisecond). */
  at?: number;
}

/** A `zkinfer worker` process running from dist/. */
export class WorkerProcess {
  readonly events: WorkerEvent[] = [];
  readonly proc: ChildProcess;
  stderr = '';
  readonly #waiters: { test: (e: WorkerEvent) => boolean; resolve: (e: WorkerEvent) => void }[] = [];

  constructor(redisUrl: string, artifacts: string, receipts: string, extra: string[] = []) {
    const args = [
      join(root, 'bin/zkinfer.js'),
      'worker',
      '--redis',
      redisUrl,
      '--artifacts',
      artifacts,
      '--receipts',
      receipts,
      '--workers',
      '1',
      '--lock-duration',
      '2000',
      '--stalled-interval',
      '1000',
      '--json',
      ...extra,
    ];
    this.proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line) as WorkerEvent;
        this.events.push(e);
        for (const w of [...this.#waiters]) {
          if (w.test(e)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(e);
          }
        }
      }
    });
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** The first event (already seen or coming) that passes `test`. */
  waitFor(test: (e: WorkerEvent) => boolean, what = 'event'): Promise<WorkerEvent> {
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => reject(new Error(`worker ${this.pid} exited (${code ?? signal}) before ${what}; stderr:\n${this.stderr}`));
      this.proc.once('exit', onExit);
      this.#waiters.push({
        test,
        resolve: (e) => {
          this.proc.off('exit', onExit);
          resolve(e);
        },
      });
    });
  }

  ready(): Promise<WorkerEvent> {
    return this.waitFor((e) => e.event === 'ready', 'ready');
  }

  /** Sends a signal and waits for the exit; returns the exit code (null when killed by the signal). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    const exited = once(this.proc, 'exit');
    this.proc.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  }
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
