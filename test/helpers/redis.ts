/**
 * A real Redis for the serve tests: Debian's `redis-server` on a free loopback port, in a
 * temporary folder, with the append-only file fsynced on every write (the persistence the
 * README asks of production), so a restart can be shown to lose nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemCommand } from './system-deps.js';

/** The redis-server command (Debian package redis-server). */
export const redisServer = systemCommand('redis-server', 'redis-server');

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A running redis-server. */
export class TestRedis {
  #proc?: ChildProcess;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  /** Starts redis-server on a free port in a new temporary folder. */
  static async start(): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), mkdtempSync(join(tmpdir(), 'zkinfer-redis-')));
    await r.#spawn();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  #spawn(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--daemonize',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#proc = proc;
    return new Promise((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        if (/Ready to accept connections/.test(out)) {
          proc.stdout!.off('data', onData);
          proc.stdout!.resume();
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${out}`)));
    });
  }

  /** Stops Redis with a signal (SIGKILL: a crash; the append-only file keeps every acknowledged write). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  }

  /** Starts a stopped Redis again on the same port and folder (it reloads the append-only file). */
  async startAgain(): Promise<void> {
    await this.#spawn();
  }

  /** Kills Redis (SIGKILL) and starts it again on its append-only file. */
  async restart(): Promise<void> {
    await this.stop('SIGKILL');
    await this.#spawn();
  }
}
