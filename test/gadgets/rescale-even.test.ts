/**
 * RescaleHalfEven(k, b): division by 2^k rounding half to even (ONNX QuantizeLinear). Exact
 * constraint counts, agreement with a bigint model on every input in and around the range
 * (ties included), and forged witnesses — the half-up neighbour at a tie, a forced or hidden
 * tie flag — rejected by the independent R1CS checker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSigned, FIELD_MODULUS } from '../../src/shared/field.js';
import { compileTestCircuit, gadgetCircuit, removeTestCircuits, type TestCircuit } from '../helpers/circuit.js';
import { floorDiv, rescale, rescaleInputRange } from './fixed-point-model.js';
import { range } from './harness.js';

afterAll(removeTestCircuits);

const circuit = (k: number, b: number, level: 'O1' | 'O2'): Promise<TestCircuit> => compileTestCircuit(gadgetCircuit(`RescaleHalfEven(${k}, ${b})`), { optimization: level });

/** x / 2^k rounded half to even, from the definition. */
function halfEven(x: bigint, k: number): bigint {
  const d = 1n << BigInt(k);
  const lo = floorDiv(x, d);
  const twice = 2n * (x - lo * d); // 2·fractional part, in units of 1/d
  if (twice < d) return lo;
  if (twice > d) return lo + 1n;
  return lo % 2n === 0n ? lo : lo + 1n;
}

describe('RescaleHalfEven(k, b)', () => {
  it('costs k + b + 3 constraints under O2 and k + b + 4 under O1', async () => {
    const counts: Record<string, [number, number]> = {};
    for (const [k, b] of [
      [1, 2],
      [4, 8],
      [20, 12],
    ] as const)
      counts[`${k},${b}`] = [(await circuit(k, b, 'O1')).compiled.constraints, (await circuit(k, b, 'O2')).compiled.constraints];
    expect(counts).toEqual({ '1,2': [7, 6], '4,8': [16, 15], '20,12': [36, 35] });
  });

  for (const level of ['O1', 'O2'] as const) {
    it(`k=2, b=4 under ${level}: every input (every tie) gives round-half-even, the half-up quotient out of range is refused`, async () => {
      const c = await circuit(2, 4, level);
      const [lo, hi] = rescaleInputRange(2, 4);
      for (const x of range(lo - 6n, hi + 6n)) {
        if (x < lo || x > hi) {
          await expect(c.witness({ in: x }), `in=${x}`).rejects.toThrow(/Assert Failed/);
          continue;
        }
        const w = await c.witness({ in: x });
        expect(decodeSigned(c.get(w, 'main.out')), `in=${x}`).toBe(halfEven(x, 2));
        expect(c.check(w)).toEqual([]);
      }
    });

    it(`rejects forged witnesses under ${level}`, async () => {
      const c = await circuit(3, 8, level);
      // −12/8 = −1.5 → −2, −4/8 = −0.5 → 0, 4/8 = 0.5 → 0, 12/8 = 1.5 → 2, 20/8 = 2.5 → 2 (ties); 13/8 → 2, −13/8 → −2
      for (const x of [-12n, -4n, 4n, 12n, 20n, 13n, -13n, 0n]) {
        const honest = await c.witness({ in: x });
        const out = halfEven(x, 3);
        const isTie = (x + 4n) % 8n === 0n;
        const forgeries: Record<string, Record<string, bigint>> = {
          'out + 1': { 'main.out': out + 1n },
          'out − 1': { 'main.out': out - 1n },
          'half-up quotient': { 'main.out': rescale(x, 3) },
          'tie flag flipped': { 'main.tie': isTie ? 0n : 1n },
          'tie flag flipped with out following': { 'main.tie': isTie ? 0n : 1n, 'main.out': isTie ? rescale(x, 3) : rescale(x, 3) - 1n },
          'tie ½': { 'main.tie': (FIELD_MODULUS + 1n) / 2n },
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
