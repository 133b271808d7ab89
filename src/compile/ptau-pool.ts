/**
 * A small pool of fixed-base multiplication workers (see ptau-worker-core.ts): one request in,
 * one reply out, matched by id. The pool never holds more work than its caller queues, and
 * `close()` wipes every worker's memory before terminating it.
 */

import { Worker } from 'node:worker_threads';
import { workerEntryFile, workerExecArgv } from '../shared/worker-thread.js';

/** The fixed-base worker's entry: ptau-worker.js when compiled, its loader shim from the sources. */
export const PTAU_WORKER_FILE = workerEntryFile(import.meta.url, 'ptau-worker');

/** Which group a request works in. */
export type GroupName = 'G1' | 'G2';
/** Multiplier applied to the scalars: 1, or one of the secrets (γ, δ and inverses: direct-key workers only). */
export type Multiplier = 'one' | 'tau' | 'alpha' | 'beta' | 'gamma' | 'delta' | 'gammaInv' | 'deltaInv';

/**
 * A chunk of points: scalars m·τ^(start+i), or m·L_i(τ) at a Lagrange level for i = start,
 * start + stride, … (stride 1 by default), or the multipliers themselves, or scalars given in
 * standard form (32 bytes little-endian each, below r; the worker zeroes its copy).
 */
export type PointsRequest =
  | { kind: 'points'; group: GroupName; scalars: 'powers'; mult: Multiplier; start: number; count: number; compressed: boolean }
  | {
      kind: 'points';
      group: GroupName;
      scalars: 'lagrange';
      mult: Multiplier;
      level: number;
      start: number;
      count: number;
      truncated: boolean;
      compressed: boolean;
      stride?: number;
    }
  | { kind: 'points'; group: GroupName; scalars: 'mults'; mults: Multiplier[]; count: number; compressed: boolean }
  | { kind: 'points'; group: GroupName; scalars: 'given'; values: Uint8Array; count: number; compressed: boolean };

/** Affine LEM points, plus their compressed encoding when asked. */
export interface PointsReply {
  lem: Uint8Array;
  compressed?: Uint8Array;
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

/** Init data: the BN254 wasm, the roots of unity and the generators (all public). */
export interface PoolInit {
  code: Uint8Array;
  /** Roots of unity ω_0..ω_s, 32 bytes each, Montgomery form. */
  roots: Uint8Array;
  g1: Uint8Array;
  g2: Uint8Array;
}

export class FixedBasePool {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (msg: { id: number; error?: string } & Record<string, unknown>) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error !== undefined) p.reject(new Error(msg.error));
        else p.resolve(msg);
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`fixed-base worker exited with code ${code}`));
      });
    }
  }

  /**
   * Starts `threads` workers and loads the wasm into each.
   * @param workerFile the worker's entry file: the fixed-base worker, or an extension of it (zkey-direct-worker.ts).
   */
  static async start(threads: number, init: PoolInit, workerFile: string = PTAU_WORKER_FILE): Promise<FixedBasePool> {
    const workers = Array.from({ length: threads }, () => new Worker(workerFile, { execArgv: workerExecArgv() }));
    const pool = new FixedBasePool(workers);
    try {
      await Promise.all(
        workers.map((_, i) =>
          pool.call(i, {
            kind: 'init',
            code: init.code,
            roots: init.roots,
            groups: { G1: { prefix: 'g1m', n8: 32, gen: init.g1 }, G2: { prefix: 'g2m', n8: 64, gen: init.g2 } },
          }),
        ),
      );
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Sends one request to worker `i` and resolves with its reply. */
  call(i: number, msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Record<string, unknown>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[i].postMessage({ ...msg, id }, transfer);
    });
  }

  /** Computes one chunk of points on worker `i`. */
  async points(i: number, req: PointsRequest): Promise<PointsReply> {
    const r = await this.call(i, req);
    return { lem: r.lem as Uint8Array, compressed: r.compressed as Uint8Array | undefined };
  }

  /** Zeroes each worker's memory (best effort), then terminates all of them. */
  async close(): Promise<void> {
    if (!this.failure) {
      await Promise.allSettled(this.workers.map((_, i) => this.call(i, { kind: 'wipe' })));
    }
    this.failure ??= new Error('fixed-base pool closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
