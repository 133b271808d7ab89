/**
 * RescaleAbs(k, b) and SignApply(c), the gadgets of the piecewise-linear Sigmoid and Tanh:
 * exact constraint counts, agreement with the plain model, and forged witnesses rejected.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSigned, FIELD_MODULUS } from '../../src/shared/field.js';
import { compileTestCircuit, gadgetCircuit, removeTestCircuits, type TestCircuit } from '../helpers/circuit.js';
import { rescale, rescaleInputRange } from './fixed-point-model.js';
import { bit, range, toBits } from './harness.js';

afterAll(removeTestCircuits);

const abs = (k: number, b: number, level: 'O1' | 'O2'): Promise<TestCircuit> => compileTestCircuit(gadgetCircuit(`RescaleAbs(${k}, ${b})`), { optimization: level });

describe('RescaleAbs(k, b)', () => {
  it('costs k + b + 1 constraints under O2 and k + b + 2 under O1', async () => {
    const counts: Record<string, [number, number]> = {};
    for (const [k, b] of [
      [0, 4],
      [3, 8],
    ] as const)
      counts[`${k},${b}`] = [(await abs(k, b, 'O1')).compiled.constraints, (await abs(k, b, 'O2')).compiled.constraints];
    expect(counts).toEqual({ '0,4': [6, 5], '3,8': [13, 12] });
  });

  for (const level of ['O1', 'O2'] as const) {
    it(`k=2, b=4 under ${level}: every input gives |q| and sign(q), or is refused`, async () => {
      const c = await abs(2, 4, level);
      const [lo, hi] = rescaleInputRange(2, 4);
      for (const x of range(lo - 5n, hi + 5n)) {
        if (x < lo || x > hi) {
          await expect(c.witness({ in: x }), `in=${x}`).rejects.toThrow(/Assert Failed/);
          continue;
        }
        const w = await c.witness({ in: x });
        const q = rescale(x, 2);
        expect([decodeSigned(c.get(w, 'main.out')), c.get(w, 'main.sign')], `in=${x}`).toEqual([q < 0n ? -q : q, q >= 0n ? 1n : 0n]);
        expect(c.check(w)).toEqual([]);
      }
    });

    it(`rejects forged witnesses under ${level}`, async () => {
      const [k, b] = [3, 8];
      const c = await abs(k, b, level);
      for (const x of [-500n, -9n, -1n, 0n, 3n, 700n]) {
        const honest = await c.witness({ in: x });
        const q = rescale(x, k);
        const top = toBits(q + 128n, b)[b - 1]!;
        const forgeries: Record<string, Record<string, bigint>> = {
          'out = q instead of |q|': { 'main.out': q },
          'out + 1': { 'main.out': (q < 0n ? -q : q) + 1n },
          'flipped sign': { 'main.sign': 1n - top },
          'flipped sign bit with out following': { [bit(k + b - 1)]: 1n - top, 'main.sign': 1n - top, 'main.out': -(q < 0n ? -q : q) },
          'sign ½': { 'main.sign': (FIELD_MODULUS + 1n) / 2n },
        };
        for (const [what, values] of Object.entries(forgeries)) {
          const forged = c.forge(honest, values, { skipEliminated: true });
          if (forged.every((v, i) => v === honest[i])) continue;
          expect(c.check(forged).length, `${what} (in=${x})`).toBeGreaterThan(0);
        }
      }
    });
  }
});

describe('SignApply(c)', () => {
  it('costs one constraint and computes c ± in', async () => {
    const c = await compileTestCircuit(gadgetCircuit('SignApply(100)', ['sign', 'in']), { optimization: 'O1' });
    expect(c.compiled.constraints).toBe(1);
    for (const [sign, x] of [
      [1n, 7n],
      [0n, 7n],
      [1n, -3n],
      [0n, -3n],
    ] as const) {
      const w = await c.witness({ sign, in: x });
      expect(decodeSigned(c.get(w, 'main.out'))).toBe(sign === 1n ? 100n + x : 100n - x);
      expect(c.check(c.forge(w, { 'main.out': decodeSigned(c.get(w, 'main.out')) + 1n })).length).toBeGreaterThan(0);
    }
  });
});
