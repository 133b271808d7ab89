/**
 * RescaleLeakyRelu(k, b, p, n) and ArgMax(n, b): exact constraint counts, agreement with
 * the plain model, refusal outside the proven ranges, and forged witnesses rejected by the
 * independent R1CS checker (other outputs, flipped or non-boolean sign bits, and for ArgMax
 * every other claimed index with all its dependent signals recomputed by the forger).
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeSigned, FIELD_MODULUS } from '../../src/shared/field.js';
import { compileTestCircuit, gadgetCircuit, removeTestCircuits, type TestCircuit } from '../helpers/circuit.js';
import { hasWire } from '../helpers/r1cs.js';
import { rescale, rescaleInputRange } from './fixed-point-model.js';
import { bit, range, satisfyingAssignments, survivingBits, toBits } from './harness.js';

afterAll(removeTestCircuits);

const leaky = (k: number, b: number, p: number, n: number, level: 'O1' | 'O2'): Promise<TestCircuit> =>
  compileTestCircuit(gadgetCircuit(`RescaleLeakyRelu(${k}, ${b}, ${p}, ${n})`), { optimization: level });
const argMax = (n: number, b: number, level: 'O1' | 'O2'): Promise<TestCircuit> => compileTestCircuit(gadgetCircuit(`ArgMax(${n}, ${b})`), { optimization: level });
const twoSlope = (q: bigint, p: bigint, n: bigint) => q * (q >= 0n ? p : n);

describe('RescaleLeakyRelu(k, b, p, n)', () => {
  it('costs k + b + 1 constraints under O2 and k + b + 2 under O1', async () => {
    const counts: Record<string, [number, number]> = {};
    for (const [k, b] of [
      [0, 4],
      [3, 8],
      [10, 12],
    ] as const)
      counts[`${k},${b}`] = [(await leaky(k, b, 16, 3, 'O1')).compiled.constraints, (await leaky(k, b, 16, 3, 'O2')).compiled.constraints];
    expect(counts).toEqual({ '0,4': [6, 5], '3,8': [13, 12], '10,12': [24, 23] });
  });

  for (const level of ['O1', 'O2'] as const) {
    describe(`under ${level}`, () => {
      for (const [p, n] of [
        [8n, 1n],
        [4n, -3n],
        [1n, 0n],
      ] as const) {
        it(`k=2, b=4, p=${p}, n=${n}: every input gives q·(q ≥ 0 ? p : n) or is refused`, async () => {
          const c = await leaky(2, 4, Number(p), Number(n), level);
          const [lo, hi] = rescaleInputRange(2, 4);
          for (const x of range(lo - 6n, hi + 6n)) {
            if (x < lo || x > hi) {
              await expect(c.witness({ in: x }), `in=${x}`).rejects.toThrow(/Assert Failed/);
              continue;
            }
            const w = await c.witness({ in: x });
            expect(decodeSigned(c.get(w, 'main.out')), `in=${x}`).toBe(twoSlope(rescale(x, 2), p, n));
            expect(c.check(w)).toEqual([]);
          }
        });
      }

      it('k=1, b=3: exhaustive search — the honest witness is the only solution', async () => {
        const c = await leaky(1, 3, 4, -1, level);
        const [lo, hi] = rescaleInputRange(1, 3);
        const free = survivingBits(c, 4);
        for (const x of range(lo - 3n, hi + 3n)) {
          const solutions = satisfyingAssignments(c, x, free, [0n, 1n, 2n, -1n], range(-20n, 20n));
          if (x < lo || x > hi) expect(solutions, `in=${x}`).toEqual([]);
          else expect(solutions, `in=${x}`).toEqual([await c.witness({ in: x })]);
        }
      });

      it('rejects forged witnesses', async () => {
        const [k, b, p, n] = [4, 8, 64n, 5n];
        const c = await leaky(k, b, Number(p), Number(n), level);
        for (const x of [-300n, -17n, -1n, 0n, 9n, 1000n]) {
          const honest = await c.witness({ in: x });
          const q = rescale(x, k);
          const top = toBits(q + 128n, b)[b - 1]!;
          const out = twoSlope(q, p, n);
          const forgeries: Record<string, Record<string, bigint>> = {
            'out + 1': { 'main.out': out + 1n },
            'out with the other slope': { 'main.out': q * (q >= 0n ? n : p) },
            'out − p (a field wrap attempt)': { 'main.out': out + FIELD_MODULUS - 1n },
            'flipped sign bit, output following it': { [bit(k + b - 1)]: 1n - top, 'main.out': q * (top === 1n ? n : p) },
            'sign bit ½': { [bit(k + b - 1)]: (FIELD_MODULUS + 1n) / 2n },
          };
          for (const [what, values] of Object.entries(forgeries)) {
            const forged = c.forge(honest, values, { skipEliminated: level === 'O2' });
            if (forged.every((v, i) => v === honest[i])) continue;
            expect(c.check(forged).length, `${what} (in=${x})`).toBeGreaterThan(0);
          }
        }
      });
    });
  }
});

/** The first index of the maximum. */
const firstMax = (xs: readonly bigint[]) => xs.reduce((best, v, i) => (v > xs[best]! ? i : best), 0);

/** A complete witness for ArgMax claiming index j: selectors, products, differences and their bits recomputed. */
function claim(c: TestCircuit, honest: readonly bigint[], xs: readonly bigint[], j: number, b: number): bigint[] {
  const values: Record<string, bigint> = { 'main.out': BigInt(j) };
  let prefix = 0n;
  xs.forEach((x, i) => {
    const sel = i === j ? 1n : 0n;
    prefix += sel;
    values[`main.sel[${i}]`] = sel;
    values[`main.prod[${i}]`] = sel * x;
    const d = xs[j]! - x - 1n + prefix;
    const bits = toBits(((d % (1n << BigInt(b))) + (1n << BigInt(b))) % (1n << BigInt(b)), b);
    bits.forEach((v, t) => (values[`main.d[${i}].out[${t}]`] = v));
    values[`main.d[${i}].in`] = d;
  });
  return c.forge(honest, values, { skipEliminated: true });
}

describe('ArgMax(n, b)', () => {
  it('costs n·(b + 2) constraints under O2 and n·(b + 4) + 2 under O1 (n·(b + 4) + 1 for n = 2, where out = sel[1] is an equality)', async () => {
    const counts: Record<string, [number, number]> = {};
    for (const [n, b] of [
      [2, 3],
      [5, 8],
      [10, 12],
    ] as const)
      counts[`${n},${b}`] = [(await argMax(n, b, 'O1')).compiled.constraints, (await argMax(n, b, 'O2')).compiled.constraints];
    expect(counts).toEqual({ '2,3': [15, 10], '5,8': [62, 50], '10,12': [162, 140] });
  });

  for (const level of ['O1', 'O2'] as const) {
    describe(`under ${level}`, () => {
      it('n=5, b=8: random inputs (many ties) give the first index of the maximum', async () => {
        const c = await argMax(5, 8, level);
        await fc.assert(
          fc.asyncProperty(fc.array(fc.bigInt({ min: -4n, max: 4n }), { minLength: 5, maxLength: 5 }), fc.bigInt({ min: -100n, max: 100n }), async (xs, shift) => {
            const ins = xs.map((v) => v * 25n + shift);
            const w = await c.witness({ in: ins });
            return c.get(w, 'main.out') === BigInt(firstMax(ins)) && c.check(w).length === 0;
          }),
          { numRuns: 100 },
        );
      });

      it('refuses inputs whose span reaches 2^b', async () => {
        const c = await argMax(5, 8, level);
        // A candidate after the maximum needs m − x < 2^b, one before it m − x − 1 < 2^b.
        await expect(c.witness({ in: [256n, 0n, 3n, 4n, 5n] })).rejects.toThrow(/Assert Failed/);
        expect(c.check(await c.witness({ in: [255n, 0n, 3n, 4n, 5n] }))).toEqual([]);
        expect(c.check(await c.witness({ in: [0n, 256n, 3n, 4n, 5n] }))).toEqual([]);
        await expect(c.witness({ in: [-1n, 256n, 3n, 4n, 5n] })).rejects.toThrow(/Assert Failed/);
      });

      it('rejects every other claimed index, a later tied maximum included, and forged outputs', async () => {
        const b = 8;
        const c = await argMax(5, b, level);
        for (const xs of [
          [3n, 7n, 7n, -2n, 7n],
          [-5n, -5n, -5n, -5n, -5n],
          [100n, -100n, 0n, 99n, 100n],
          [1n, 2n, 3n, 4n, 5n],
        ]) {
          const honest = await c.witness({ in: xs });
          const idx = firstMax(xs);
          expect(c.check(claim(c, honest, xs, idx, b))).toEqual([]);
          for (let j = 0; j < xs.length; j++) {
            if (j === idx) continue;
            expect(c.check(claim(c, honest, xs, j, b)).length, `claim ${j} for [${xs.join(', ')}]`).toBeGreaterThan(0);
          }
          for (const out of [BigInt(idx) + 1n, BigInt(idx) - 1n, FIELD_MODULUS - 1n]) {
            expect(c.check(c.forge(honest, { 'main.out': out })).length, `out=${out}`).toBeGreaterThan(0);
          }
          // Two selectors at once, or half selectors, break the one-hot constraints.
          const half = (FIELD_MODULUS + 1n) / 2n;
          for (let i = 0; i < xs.length; i++) {
            if (!hasWire(c.symbols, `main.sel[${i}]`)) continue;
            expect(c.check(c.forge(honest, { [`main.sel[${i}]`]: half })).length, `sel[${i}] = ½`).toBeGreaterThan(0);
            expect(c.check(c.forge(honest, { [`main.sel[${i}]`]: 1n - c.get(honest, `main.sel[${i}]`) })).length, `sel[${i}] flipped`).toBeGreaterThan(0);
          }
        }
      });
    });
  }
});
