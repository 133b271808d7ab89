/**
 * The batched-affine multi-exponentiation (src/prove/msm.ts, its wasm window in
 * src/shared/wasm-msm.ts) against an independent sum
 * (@noble/curves' BN254, one scalar multiplication per point) and ffjavascript's
 * `multiExpAffine`: random points and scalars of each width the prover uses, with the cases
 * the affine pair formula cannot take (zero scalars, r − 1, a point twice, a point and its
 * negation, the point at infinity), in G1 and G2, and the signed-digit recoding alone.
 */
import { bn254 } from '@noble/curves/bn254.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildCurve, hasBatchMsm, releaseCurve } from '../../src/shared/curve.js';
import { msmBatchAffine, queueTasks, recodeScalars, windowBits, type MsmCurve, type TaskStep } from '../../src/prove/msm.js';
import { FIELD_MODULUS } from '../../src/shared/field.js';

type Point = Uint8Array;
interface Group {
  g: Point;
  add(a: Point, b: Point): Point;
  neg(a: Point): Point;
  eq(a: Point, b: Point): boolean;
  toAffine(a: Point): Point;
  toObject(a: Point): unknown;
  timesFr(a: Point, s: Uint8Array): Point;
  multiExpAffine(bases: Uint8Array, scalars: Uint8Array): Promise<Point>;
}
type Curve = MsmCurve & { G1: Group & MsmCurve['G1']; G2: Group & MsmCurve['G2']; Fr: { e(v: bigint): Uint8Array }; terminate(): Promise<void> };

let single: Curve;
let threaded: Curve;
beforeAll(async () => {
  single = (await buildCurve(true)) as unknown as Curve;
  await releaseCurve();
  threaded = (await buildCurve(false)) as unknown as Curve; // 2+ worker threads: tasks split by windows
}, 120_000);
afterAll(releaseCurve);

/** Deterministic pseudo-random bigints (xorshift), so a failure can be replayed. */
function rng(seed: number) {
  let x = BigInt(seed) | 1n;
  const mask = (1n << 64n) - 1n;
  const next64 = () => {
    x ^= (x << 13n) & mask;
    x ^= x >> 7n;
    x ^= (x << 17n) & mask;
    return x;
  };
  return (bits: number) => {
    let v = 0n;
    for (let b = 0; b < bits; b += 64) v = (v << 64n) | next64();
    return v & ((1n << BigInt(bits)) - 1n);
  };
}

const le = (v: bigint, bytes: number) => {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = Number((v >> BigInt(8 * i)) & 255n);
  return out;
};

/** Points k·G (distinct, random k), with a repeated point, a negated one and infinity at fixed places. */
function points(curve: Curve, group: 'G1' | 'G2', n: number, rand: (bits: number) => bigint): Uint8Array {
  const G = curve[group];
  const size = group === 'G1' ? 64 : 128;
  const out = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) out.set(G.toAffine(G.timesFr(G.g, curve.Fr.e((rand(250) % (FIELD_MODULUS - 1n)) + 1n))), i * size);
  if (n >= 8) {
    out.copyWithin(3 * size, 1 * size, 2 * size); // P3 = P1
    out.set(G.neg(out.subarray(2 * size, 3 * size)), 4 * size); // P4 = −P2
    out.fill(0, 5 * size, 6 * size); // P5 = infinity
  }
  return out;
}

/** Σ k_i · P_i by @noble/curves, as affine decimal strings (ffjavascript's toObject shape). */
function nobleSum(curve: Curve, group: 'G1' | 'G2', bases: Uint8Array, ks: bigint[]): string {
  const G = curve[group];
  const size = group === 'G1' ? 64 : 128;
  interface NoblePoint {
    add(o: NoblePoint): NoblePoint;
    multiplyUnsafe(k: bigint): NoblePoint;
    is0(): boolean;
    toAffine(): unknown;
  }
  let acc = (group === 'G1' ? bn254.G1.Point.ZERO : bn254.G2.Point.ZERO) as unknown as NoblePoint;
  ks.forEach((k, i) => {
    const p = bases.subarray(i * size, (i + 1) * size);
    if (p.every((b) => b === 0) || k % FIELD_MODULUS === 0n) return;
    const o = G.toObject(p) as bigint[] | bigint[][];
    const q =
      group === 'G1'
        ? bn254.G1.Point.fromAffine({ x: o[0] as bigint, y: o[1] as bigint })
        : bn254.G2.Point.fromAffine({ x: { c0: (o[0] as bigint[])[0]!, c1: (o[0] as bigint[])[1]! }, y: { c0: (o[1] as bigint[])[0]!, c1: (o[1] as bigint[])[1]! } });
    acc = acc.add((q as unknown as NoblePoint).multiplyUnsafe(k % FIELD_MODULUS));
  });
  return JSON.stringify(acc.is0() ? 'zero' : acc.toAffine(), (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}

function asNoble(curve: Curve, group: 'G1' | 'G2', p: Point): string {
  const G = curve[group];
  const zero = G.eq(p, (G as unknown as { zero: Point }).zero);
  if (zero) return JSON.stringify('zero');
  const o = G.toObject(G.toAffine(p)) as bigint[] | bigint[][];
  const aff = group === 'G1' ? { x: o[0], y: o[1] } : { x: { c0: (o[0] as bigint[])[0], c1: (o[0] as bigint[])[1] }, y: { c0: (o[1] as bigint[])[0], c1: (o[1] as bigint[])[1] } };
  return JSON.stringify(aff, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}

describe('msmBatchAffine', () => {
  it('is built into the curves made by buildCurve', () => {
    expect(hasBatchMsm(single)).toBe(true);
    expect(hasBatchMsm(threaded)).toBe(true);
    expect(hasBatchMsm({})).toBe(false);
  });

  for (const group of ['G1', 'G2'] as const)
    for (const width of [1, 8, 32])
      it(`equals the sum of single multiplications in ${group}, ${width}-byte scalars, with zero, r − 1, repeated, negated and infinite points`, async () => {
        const rand = rng(width * 7 + (group === 'G1' ? 1 : 2));
        const n = 40;
        const bases = points(single, group, n, rand);
        const ks = Array.from({ length: n }, () => rand(8 * width) % (width === 32 ? FIELD_MODULUS : 1n << BigInt(8 * width)));
        ks[0] = 0n;
        if (width === 32) ks[1] = FIELD_MODULUS - 1n;
        else ks[1] = (1n << BigInt(8 * width)) - 1n; // all ones: every digit carries
        ks[6] = ks[7] = ks[8] = 5n; // equal digits: one bucket, pairs formed across points
        ks[9] = 1n;
        const scalars = new Uint8Array(n * width);
        ks.forEach((k, i) => scalars.set(le(k, width), i * width));
        const expected = nobleSum(single, group, bases, ks);
        for (const curve of [single, threaded]) {
          const got = await msmBatchAffine(curve, group, bases, scalars);
          expect(asNoble(curve, group, got)).toBe(expected);
          expect(curve[group].eq(got, await curve[group].multiExpAffine(bases, scalars))).toBe(true);
        }
      }, 120_000);

  it('gives infinity for sums that cancel and for no points', async () => {
    const G = single.G1;
    const rand = rng(99);
    const p = points(single, 'G1', 2, rand);
    const bases = new Uint8Array(4 * 64);
    bases.set(p.subarray(0, 64), 0);
    bases.set(p.subarray(0, 64), 64); // P, P, −P, −P with scalars 1: P + P − P − P
    bases.set(G.neg(p.subarray(0, 64)), 128);
    bases.set(G.neg(p.subarray(0, 64)), 192);
    const one = new Uint8Array(4 * 32);
    for (let i = 0; i < 4; i++) one[i * 32] = 1;
    expect(asNoble(single, 'G1', await msmBatchAffine(single, 'G1', bases, one))).toBe(JSON.stringify('zero'));
    expect(asNoble(single, 'G1', await msmBatchAffine(single, 'G1', new Uint8Array(0), new Uint8Array(0)))).toBe(JSON.stringify('zero'));
  });

  it('matches multiExpAffine on a larger random G1 input (many rounds per bucket, several tasks)', async () => {
    const rand = rng(5);
    const n = 3000;
    const G = threaded.G1;
    const bases = new Uint8Array(n * 64);
    let acc = G.timesFr(G.g, threaded.Fr.e(rand(200)));
    const step = G.timesFr(G.g, threaded.Fr.e(rand(200)));
    for (let i = 0; i < n; i++) {
      acc = G.add(acc, step);
      bases.set(G.toAffine(acc), i * 64);
    }
    const scalars = new Uint8Array(n * 32);
    for (let i = 0; i < n; i++) scalars.set(le(rand(256) % FIELD_MODULUS, 32), i * 32);
    expect(G.eq(await msmBatchAffine(threaded, 'G1', bases, scalars), await G.multiExpAffine(bases, scalars))).toBe(true);
  }, 120_000);

  it('refuses bases that are not whole points and scalars that do not match them', async () => {
    await expect(msmBatchAffine(single, 'G1', new Uint8Array(65), new Uint8Array(32))).rejects.toThrow('whole affine points');
    await expect(msmBatchAffine(single, 'G1', new Uint8Array(128), new Uint8Array(33))).rejects.toThrow('do not match');
  });
});

describe('recodeScalars', () => {
  it('gives signed digits in (−2^(c−1), 2^(c−1)] whose weighted sum is the scalar', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), fc.integer({ min: 1, max: 16 }), fc.constantFrom(1, 8, 32), (k0, c, size) => {
        const k = k0 & ((1n << BigInt(8 * size)) - 1n);
        const windows = Math.ceil((8 * size + 1) / c);
        const d = recodeScalars(le(k, size), 1, size, c, windows);
        let sum = 0n;
        for (let w = windows - 1; w >= 0; w--) {
          expect(d[w]!).toBeGreaterThan(-(2 ** (c - 1)));
          expect(d[w]!).toBeLessThanOrEqual(2 ** (c - 1));
          sum = (sum << BigInt(c)) + BigInt(d[w]!);
        }
        expect(sum).toBe(k);
      }),
    );
  });

  it('windowBits grows with the number of points and stays in 1…16', () => {
    expect(windowBits(1, 256)).toBeGreaterThanOrEqual(1);
    expect(windowBits(1 << 17, 256)).toBeGreaterThan(windowBits(1 << 10, 256));
    expect(windowBits(1 << 30, 256)).toBeLessThanOrEqual(16);
  });
});

describe('queueTasks', () => {
  /** A thread manager like ffjavascript's: one busy thread, waiting tasks in actionQueue. */
  const fakeQueue = () => {
    const actionQueue: Array<{ data: TaskStep[] }> = [];
    return { concurrency: 1, actionQueue, queueAction: (data: TaskStep[]) => (actionQueue.push({ data }), Promise.resolve([])) };
  };
  const task = (v: number): TaskStep[] => [{ cmd: 'ALLOC', var: v, len: 1 }];

  it('puts tasks given first ahead of those waiting, in their order; others at the end', () => {
    const tm = fakeQueue();
    const [a, b, c, d, e] = [1, 2, 3, 4, 5].map(task);
    queueTasks(tm, [a!, b!]);
    queueTasks(tm, [c!, d!], true);
    queueTasks(tm, [e!]);
    expect(tm.actionQueue.map((x) => x.data)).toEqual([c, d, a, b, e]);
  });
});
