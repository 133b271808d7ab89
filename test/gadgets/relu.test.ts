import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeSigned, FIELD_MODULUS } from '../../src/shared/field.js';
import { compileTestCircuit, gadgetCircuit, removeTestCircuits, type TestCircuit } from '../helpers/circuit.js';
import { relu, signedRange } from './fixed-point-model.js';
import { bit, range, satisfyingAssignments, survivingBits, toBits } from './harness.js';

afterAll(removeTestCircuits);

const circuit = (b: number, level: 'O1' | 'O2'): Promise<TestCircuit> => compileTestCircuit(gadgetCircuit(`Relu(${b})`), { optimization: level });

describe('Relu(b)', () => {
  it('has exactly b + 1 constraints under O2 and b + 2 under O1', async () => {
    const counts: Record<number, [number, number]> = {};
    for (const b of [3, 8, 32]) counts[b] = [(await circuit(b, 'O1')).compiled.constraints, (await circuit(b, 'O2')).compiled.constraints];
    expect(counts).toEqual({ 3: [5, 4], 8: [10, 9], 32: [34, 33] });
  });

  for (const level of ['O1', 'O2'] as const) {
    describe(`under ${level}`, () => {
      it('b=8: every input gives max(0, in), out-of-range inputs are refused', async () => {
        const c = await circuit(8, level);
        const [lo, hi] = signedRange(8);
        for (const x of range(lo - 3n, hi + 3n)) {
          if (x < lo || x > hi) {
            await expect(c.witness({ in: x }), `in=${x}`).rejects.toThrow(/Assert Failed/);
            continue;
          }
          const w = await c.witness({ in: x });
          expect(decodeSigned(c.get(w, 'main.out')), `in=${x}`).toBe(relu(x));
          expect(c.check(w), `in=${x}`).toEqual([]);
        }
      });

      it('b=32: random inputs agree with the model (property)', async () => {
        const c = await circuit(32, level);
        const [lo, hi] = signedRange(32);
        await fc.assert(
          fc.asyncProperty(fc.bigInt({ min: lo, max: hi }), async (x) => {
            const w = await c.witness({ in: x });
            return decodeSigned(c.get(w, 'main.out')) === relu(x) && c.check(w).length === 0;
          }),
          { numRuns: 200 },
        );
        for (const x of [lo - 1n, hi + 1n]) await expect(c.witness({ in: x })).rejects.toThrow(/Assert Failed/);
      });

      it('b=3: exhaustive search — the honest witness is the only solution (none out of range)', async () => {
        const c = await circuit(3, level);
        const [lo, hi] = signedRange(3);
        const free = survivingBits(c, 3);
        for (const x of range(lo - 4n, hi + 4n)) {
          const solutions = satisfyingAssignments(c, x, free, [0n, 1n, 2n, -1n], range(-6n, 6n));
          if (x < lo || x > hi) expect(solutions, `in=${x}`).toEqual([]);
          else expect(solutions, `in=${x}`).toEqual([await c.witness({ in: x })]);
        }
      });

      it('rejects forged witnesses', async () => {
        const c = await circuit(8, level);
        for (const x of [-128n, -5n, -1n, 0n, 1n, 77n, 127n]) {
          const honest = await c.witness({ in: x });
          const bits = toBits(x + 128n, 8);
          const forgeries: Record<string, Record<string, bigint>> = {
            'out = in for negative in / out = 0 for positive in': { 'main.out': x < 0n ? x : 0n },
            'out + 1': { 'main.out': relu(x) + 1n },
            'flipped sign bit, output following it': { [bit(7)]: 1n - bits[7], 'main.out': bits[7] === 1n ? 0n : x },
            'non-boolean sign bit ½': { [bit(7)]: (FIELD_MODULUS + 1n) / 2n, 'main.out': x / 2n },
            'non-boolean bit 0 + 2, bit 1 cleared': { [bit(0)]: bits[0] + 2n, [bit(1)]: 0n },
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

/** ThresholdedRelu at the integer level: x when x ≥ t, else 0. */
const thresholded = (x: bigint, t: bigint): bigint => (x >= t ? x : 0n);

const thresholdCircuit = (b: number, t: number, level: 'O1' | 'O2'): Promise<TestCircuit> => compileTestCircuit(gadgetCircuit(`ThresholdedRelu(${b}, ${t})`), { optimization: level });

describe('ThresholdedRelu(b, t)', () => {
  it('has exactly b + 3 constraints under O1 and b + 1 under O2, whatever t', async () => {
    const counts: Record<string, [number, number]> = {};
    for (const [b, t] of [
      [3, 1],
      [8, -5],
      [32, 1000],
    ] as const)
      counts[`${b},${t}`] = [(await thresholdCircuit(b, t, 'O1')).compiled.constraints, (await thresholdCircuit(b, t, 'O2')).compiled.constraints];
    expect(counts).toEqual({ '3,1': [6, 4], '8,-5': [11, 9], '32,1000': [35, 33] });
  });

  for (const level of ['O1', 'O2'] as const) {
    describe(`under ${level}`, () => {
      it('b=8, t=−5 and t=9: every input gives in for in ≥ t, else 0; in − t out of range is refused', async () => {
        for (const t of [-5n, 9n]) {
          const c = await thresholdCircuit(8, Number(t), level);
          const [lo, hi] = signedRange(8);
          for (const x of range(lo + t - 3n, hi + t + 3n)) {
            if (x - t < lo || x - t > hi) {
              await expect(c.witness({ in: x }), `in=${x}`).rejects.toThrow(/Assert Failed/);
              continue;
            }
            const w = await c.witness({ in: x });
            expect(decodeSigned(c.get(w, 'main.out')), `t=${t} in=${x}`).toBe(thresholded(x, t));
            expect(c.check(w), `t=${t} in=${x}`).toEqual([]);
          }
        }
      });

      it('b=3, t=1: exhaustive search — the honest witness is the only solution (none out of range)', async () => {
        const c = await thresholdCircuit(3, 1, level);
        const [lo, hi] = signedRange(3);
        const free = survivingBits(c, 3);
        for (const x of range(lo - 3n, hi + 5n)) {
          // d.in = in − t is a wire under O1 (a linear constraint fixes it), eliminated under O2
          const solutions = satisfyingAssignments(c, x, free, [0n, 1n, 2n, -1n], range(-6n, 8n), { 'main.d.in': x - 1n });
          if (x - 1n < lo || x - 1n > hi) expect(solutions, `in=${x}`).toEqual([]);
          else expect(solutions, `in=${x}`).toEqual([await c.witness({ in: x })]);
        }
      });

      it('rejects forged witnesses', async () => {
        const t = 3n;
        const c = await thresholdCircuit(8, Number(t), level);
        for (const x of [-125n, -4n, 0n, 2n, 3n, 4n, 77n, 130n]) {
          const honest = await c.witness({ in: x });
          const bits = toBits(x - t + 128n, 8);
          const forgeries: Record<string, Record<string, bigint>> = {
            'out = in below the threshold / out = 0 at or above it': { 'main.out': x < t ? x : 0n },
            'out + 1': { 'main.out': thresholded(x, t) + 1n },
            'flipped sign bit, output following it': { [bit(7)]: 1n - bits[7]!, 'main.out': bits[7] === 1n ? 0n : x },
            'non-boolean sign bit ½': { [bit(7)]: (FIELD_MODULUS + 1n) / 2n, 'main.out': x / 2n },
            'non-boolean bit 0 + 2, bit 1 cleared': { [bit(0)]: bits[0]! + 2n, [bit(1)]: 0n },
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
