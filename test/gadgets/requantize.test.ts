/**
 * Requantize(k, b, j, relu, c): an int8 requantization — multiply by c, divide by 2^k rounding
 * half up, range-check the quotient to b signed bits, ReLU, saturate to j bits — from one
 * decomposition. Exact constraint counts, agreement with a bigint model on every input in and
 * around the range, and forged witnesses (other outputs, flipped bits, a forced or hidden
 * saturation flag) rejected by the independent R1CS checker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSigned, FIELD_MODULUS } from '../../src/shared/field.js';
import { compileTestCircuit, gadgetCircuit, removeTestCircuits, type TestCircuit } from '../helpers/circuit.js';
import { fitsSigned, relu as reluOf, rescale } from './fixed-point-model.js';
import { range } from './harness.js';

afterAll(removeTestCircuits);

type Params = { k: number; b: number; j: number; relu: boolean; c: number };
const call = (p: Params) => `Requantize(${p.k}, ${p.b}, ${p.j}, ${p.relu ? 1 : 0}, ${p.c})`;
const circuit = (p: Params): Promise<TestCircuit> => compileTestCircuit(gadgetCircuit(call(p)), { optimization: 'O1' });

/** The gadget's function from the definitions: undefined where the quotient leaves b bits. */
function model(x: bigint, p: Params): bigint | undefined {
  const q = rescale(x * BigInt(p.c), p.k);
  if (!fitsSigned(q, p.b)) return undefined;
  const y = p.relu ? reluOf(q) : q;
  if (p.j === 0) return y;
  const hi = p.relu ? (1n << BigInt(p.j)) - 1n : (1n << BigInt(p.j - 1)) - 1n;
  const lo = p.relu ? 0n : -(1n << BigInt(p.j - 1));
  return y > hi ? hi : y < lo ? lo : y;
}

const CASES: Params[] = [
  { k: 2, b: 5, j: 3, relu: true, c: 3 }, // one bit above j
  { k: 2, b: 6, j: 3, relu: true, c: 5 }, // two bits above j (IsZero)
  { k: 2, b: 5, j: 4, relu: false, c: 3 },
  { k: 2, b: 6, j: 3, relu: false, c: 7 },
  { k: 0, b: 5, j: 3, relu: true, c: 1 },
  { k: 3, b: 5, j: 0, relu: true, c: 5 },
  { k: 3, b: 5, j: 0, relu: false, c: 5 },
];

describe('Requantize(k, b, j, relu, c)', () => {
  it('costs k + b + 2 (no saturation), + 3 / + 5 (ReLU, one / more bits above j), + 5 / + 10 (signed) under O1', async () => {
    const counts: Record<string, number> = {};
    for (const p of [
      { k: 3, b: 9, j: 7, relu: true, c: 1 },
      { k: 3, b: 10, j: 7, relu: true, c: 5 },
      { k: 3, b: 9, j: 8, relu: false, c: 1 },
      { k: 3, b: 10, j: 8, relu: false, c: 3 },
      { k: 0, b: 9, j: 7, relu: true, c: 1 },
      { k: 3, b: 9, j: 0, relu: true, c: 7 },
      { k: 3, b: 9, j: 0, relu: false, c: 7 },
    ]) {
      counts[call(p)] = (await circuit(p)).compiled.constraints;
    }
    expect(counts).toEqual({
      'Requantize(3, 9, 7, 1, 1)': 15,
      'Requantize(3, 10, 7, 1, 5)': 18,
      'Requantize(3, 9, 8, 0, 1)': 17,
      'Requantize(3, 10, 8, 0, 3)': 23,
      'Requantize(0, 9, 7, 1, 1)': 12,
      'Requantize(3, 9, 0, 1, 7)': 14,
      'Requantize(3, 9, 0, 0, 7)': 14,
    });
  });

  for (const p of CASES) {
    it(`${call(p)}: every input in and around the range gives the model's output; a quotient out of range is refused`, async () => {
      const c = await circuit(p);
      const span = 1n << BigInt(p.k + p.b);
      for (const x of range(-(span / BigInt(p.c)) - 4n, span / BigInt(p.c) + 4n)) {
        const expected = model(x, p);
        if (expected === undefined) {
          await expect(c.witness({ in: x }), `in=${x}`).rejects.toThrow(/Assert Failed/);
          continue;
        }
        const w = await c.witness({ in: x });
        expect(decodeSigned(c.get(w, 'main.out')), `in=${x}`).toBe(expected);
        expect(c.check(w)).toEqual([]);
      }
    });

    it(`${call(p)}: rejects forged witnesses`, async () => {
      const c = await circuit(p);
      const n = p.k + p.b;
      const span = 1n << BigInt(n);
      let rejected = 0;
      for (const x of range(-(span / BigInt(p.c)) / 2n, span / BigInt(p.c) / 2n)) {
        const out = model(x, p);
        if (out === undefined) continue;
        const honest = await c.witness({ in: x });
        const forgeries: Record<string, Record<string, bigint>> = {
          'out + 1': { 'main.out': out + 1n },
          'out − 1': { 'main.out': out - 1n },
          'the unsaturated quotient': { 'main.out': rescale(x * BigInt(p.c), p.k) },
          'out ½': { 'main.out': (FIELD_MODULUS + 1n) / 2n },
        };
        for (let i = 0; i < n; i++)
          forgeries[`bit ${i} flipped`] = { [`main.bits[${i}]`]: 1n - (((BigInt(x) * BigInt(p.c) + (1n << BigInt(n - 1)) + (p.k > 0 ? 1n << BigInt(p.k - 1) : 0n)) >> BigInt(i)) & 1n) };
        for (const s of ['main.sat', 'main.zero', 'main.none', 'main.all', 'main.sE', 'main.p1', 'main.p2']) {
          for (const v of [0n, 1n, 2n, FIELD_MODULUS - 1n]) forgeries[`${s} = ${v}`] = { [s]: v };
        }
        for (const [what, values] of Object.entries(forgeries)) {
          if (Object.keys(values).some((name) => !c.symbols.has(name))) continue;
          const forged = c.forge(honest, values, { skipEliminated: true });
          if (forged.every((v, i) => v === honest[i])) continue;
          expect(c.check(forged).length, `${what} (in=${x})`).toBeGreaterThan(0);
          rejected++;
        }
      }
      expect(rejected).toBeGreaterThan(100);
    });
  }
});
