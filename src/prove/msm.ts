/**
 * The multi-exponentiation (Σ k_i · P_i over affine points) of the prover, on the batched
 * affine window function that ../shared/wasm-msm.ts writes into snarkjs's BN254 wasm module
 * (the algorithm is described there): the scalars are recoded into signed windows here, each
 * window runs as one task on the curve's threads, and the windows are combined in JavaScript.
 */
import { scratchBytes, windowFunction } from '../shared/wasm-msm.js';

/** The curve object parts the multi-exponentiation uses. */
type Point = Uint8Array;
interface MsmGroup {
  add(a: Point, b: Point): Point;
  double(a: Point): Point;
  zero: Point;
  F: { n8: number };
}
type TaskStep =
  | { cmd: 'ALLOCSET'; var: number; buff: Uint8Array }
  | { cmd: 'ALLOC'; var: number; len: number }
  | { cmd: 'CALL'; fnName: string; params: Array<{ var: number; offset?: number } | { val: number }> }
  | { cmd: 'GET'; out: number; var: number; len: number };
export type { TaskStep };
/** ffjavascript's thread manager: tasks run in order of queueing on the first free thread. */
export interface TaskQueue {
  concurrency: number;
  queueAction(task: TaskStep[]): Promise<Uint8Array[]>;
}
export interface MsmCurve {
  G1: MsmGroup;
  G2: MsmGroup;
  tm: TaskQueue;
}

/**
 * Queues tasks on the curve's threads; with `first`, ahead of the tasks already waiting
 * (ffjavascript 0.3's thread manager keeps them in `actionQueue`, in order), so a step on the
 * proof's critical path (the transforms, the join, H) does not wait behind multi-exponentiations
 * that can run at any time. Without that queue (single-thread mode runs each task at once) the
 * order is the calls'.
 */
export function queueTasks(tm: TaskQueue, tasks: TaskStep[][], first = false): Promise<Uint8Array[]>[] {
  const queue = (tm as { actionQueue?: Array<{ data: unknown }> }).actionQueue;
  const before = Array.isArray(queue) ? queue.length : 0;
  const done = tasks.map((t) => tm.queueAction(t));
  if (first && Array.isArray(queue) && before > 0) {
    const mine = new Set<unknown>(tasks);
    const waiting = queue.slice(before).filter((e) => mine.has(e.data)); // those no thread took at once
    if (waiting.length === queue.length - before) queue.splice(0, queue.length, ...waiting, ...queue.slice(0, before));
  }
  return done;
}

/**
 * The window width c for n points with scalars of `bits` bits: minimises the estimated cost
 * ⌈(bits + 1)/c⌉ · (n + 4.5 · 2^(c−1)) (a pairwise affine addition per point, two Jacobian
 * additions of about 4.5 times its cost per bucket).
 */
export function windowBits(n: number, bits: number): number {
  let best = 1;
  let bestCost = Infinity;
  for (let c = 1; c <= 16; c++) {
    const cost = Math.ceil((bits + 1) / c) * (n + 4.5 * 2 ** (c - 1));
    if (cost < bestCost) {
      bestCost = cost;
      best = c;
    }
  }
  return best;
}

/**
 * Signed-digit recoding: the scalars (little-endian, `size` bytes each) as `windows` digits
 * of c bits each in (−2^(c−1), 2^(c−1)], window-major (digit w of scalar i at w·n + i).
 * Needs windows · c ≥ 8 · size + 1, so the last carry is absorbed.
 */
export function recodeScalars(scalars: Uint8Array, n: number, size: number, c: number, windows: number): Int32Array {
  const out = new Int32Array(windows * n);
  const mask = (1 << c) - 1;
  const half = 1 << (c - 1);
  const full = 1 << c;
  for (let i = 0; i < n; i++) {
    const base = i * size;
    let acc = 0;
    let accBits = 0;
    let byte = 0;
    let carry = 0;
    for (let w = 0; w < windows; w++) {
      while (accBits < c && byte < size) {
        acc |= scalars[base + byte]! << accBits;
        accBits += 8;
        byte++;
      }
      let d = (acc & mask) + carry;
      acc >>>= c;
      accBits = Math.max(0, accBits - c);
      if (d > half) {
        d -= full;
        carry = 1;
      } else carry = 0;
      out[w * n + i] = d;
    }
  }
  return out;
}

/**
 * Σ k_i · P_i on the curve's wasm module (built with {@link msmPlugin}), split into tasks
 * over its threads by windows.
 * @param options.first queue the tasks ahead of those waiting ({@link queueTasks})
 * @param bases affine points in the curve's Montgomery form (64 bytes in G1, 128 in G2)
 * @param scalars little-endian integers, all of the same width (bytes = scalars.length / n)
 * @returns the sum as a Jacobian point (the curve's form)
 */
export async function msmBatchAffine(curve: MsmCurve, groupName: 'G1' | 'G2', bases: Uint8Array, scalars: Uint8Array, options: { first?: boolean } = {}): Promise<Point> {
  const G = curve[groupName];
  const n8 = G.F.n8;
  const sA = 2 * n8;
  const n = bases.byteLength / sA;
  if (!Number.isInteger(n)) throw new Error('the bases are not whole affine points');
  if (n === 0) return G.zero;
  const size = scalars.byteLength / n;
  if (!Number.isInteger(size) || size === 0) throw new Error('the scalars do not match the points');
  const bits = 8 * size;
  const c = windowBits(n, bits);
  const windows = Math.ceil((bits + 1) / c);
  const buckets = 1 << (c - 1);
  const digits = recodeScalars(scalars, n, size, c, windows);
  const basesCopy = bases.byteOffset === 0 && bases.byteLength === bases.buffer.byteLength ? bases : bases.slice(); // a view would send its whole buffer to the worker
  const fnName = windowFunction(groupName === 'G1' ? 'g1m' : 'g2m');
  const perTask = Math.max(1, Math.ceil(windows / Math.max(2 * curve.tm.concurrency, 1)));
  const sJ = 3 * n8;
  const tasks: TaskStep[][] = [];
  for (let w0 = 0; w0 < windows; w0 += perTask) {
    const w1 = Math.min(windows, w0 + perTask);
    const task: TaskStep[] = [
      { cmd: 'ALLOCSET', var: 0, buff: basesCopy },
      { cmd: 'ALLOCSET', var: 1, buff: new Uint8Array(digits.buffer.slice(w0 * n * 4, w1 * n * 4)) },
      { cmd: 'ALLOC', var: 2, len: scratchBytes(n, buckets, n8) },
      { cmd: 'ALLOC', var: 3, len: (w1 - w0) * sJ },
    ];
    for (let w = w0; w < w1; w++)
      task.push({ cmd: 'CALL', fnName, params: [{ var: 0 }, { var: 1, offset: (w - w0) * n * 4 }, { val: n }, { val: buckets }, { var: 2 }, { var: 3, offset: (w - w0) * sJ }] });
    task.push({ cmd: 'GET', out: 0, var: 3, len: (w1 - w0) * sJ });
    tasks.push(task);
  }
  const parts = (await Promise.all(queueTasks(curve.tm, tasks, options.first))).map((r) => r[0]!);
  let result = G.zero;
  for (let t = parts.length - 1; t >= 0; t--) {
    const part = parts[t]!;
    for (let w = part.byteLength / sJ - 1; w >= 0; w--) {
      for (let k = 0; k < c; k++) result = G.double(result);
      result = G.add(result, part.subarray(w * sJ, (w + 1) * sJ));
    }
  }
  return result;
}
