import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FIELD_MODULUS } from '../../src/shared/field.js';
import { compileTestCircuit, gadgetCircuit, removeTestCircuits, type TestCircuit } from '../helpers/circuit.js';
import { signedRange } from './fixed-point-model.js';
import { bit, range, satisfyingAssignments, survivingBits, toBits } from './harness.js';

afterAll(removeTestCircuits);

const rangeCheck = (b: number, level: 'O1' | 'O2'): Promise<TestCircuit> => compileTestCircuit(gadgetCircuit(`RangeCheckSigned(${b})`), { optimization: level });

describe('RangeCheckSigned(b)', () => {
  it('has exactly b constraints under O2 and b + 1 under O1', async () => {
    const counts: Record<number, [number, number]> = {};
    for (const b of [1, 4, 16, 200]) counts[b] = [(await rangeCheck(b, 'O1')).compiled.constraints, (await rangeCheck(b, 'O2')).compiled.constraints];
    expect(counts).toEqual({ 1: [2, 1], 4: [5, 4], 16: [17, 16], 200: [201, 200] });
  });

  for (const level of ['O1', 'O2'] as const) {
    describe(`under ${level}`, () => {
      it('accepts exactly [−2^(b−1), 2^(b−1)) (b = 4, 1, 200)', async () => {
        for (const b of [4, 1, 200]) {
          const c = await rangeCheck(b, level);
          const [lo, hi] = signedRange(b);
          const inside = b === 200 ? [lo, lo + 1n, -1n, 0n, 1n, hi - 1n, hi] : range(lo, hi);
          for (const x of inside) expect(c.check(await c.witness({ in: x })), `b=${b} in=${x}`).toEqual([]);
          for (const x of [lo - 1n, hi + 1n, lo - 2n, hi + 2n, -(FIELD_MODULUS / 2n), FIELD_MODULUS / 2n]) {
            await expect(c.witness({ in: x }), `b=${b} in=${x}`).rejects.toThrow(/Assert Failed/);
          }
        }
      });

      it('b=16: random values are accepted iff in range (property)', async () => {
        const c = await rangeCheck(16, level);
        const [lo, hi] = signedRange(16);
        await fc.assert(
          fc.asyncProperty(fc.bigInt({ min: 4n * lo, max: 4n * hi }), async (x) => {
            const ok = await c.witness({ in: x }).then(
              (w) => c.check(w).length === 0,
              () => false,
            );
            return ok === (x >= lo && x <= hi);
          }),
          { numRuns: 300 },
        );
      });

      it('b=4: exhaustive search — one solution in range, none outside (bits over {0, 1, 2, −1})', async () => {
        const c = await rangeCheck(4, level);
        const [lo, hi] = signedRange(4);
        const free = survivingBits(c, 4);
        for (const x of range(lo - 6n, hi + 6n)) {
          const solutions = satisfyingAssignments(c, x, free, [0n, 1n, 2n, -1n]);
          if (x < lo || x > hi) expect(solutions, `in=${x}`).toEqual([]);
          else expect(solutions, `in=${x}`).toEqual([await c.witness({ in: x })]);
        }
      });

      it('rejects out-of-range values smuggled in with non-boolean bits', async () => {
        const c = await rangeCheck(8, level);
        const skip = { skipEliminated: level === 'O2' };
        // Each forgery satisfies the bit sum Σ bits·2^i = in + 2^(b−1) for an out-of-range `in`
        // (in = 128: t = 256; in = −129: t = −1); only booleanity can catch it.
        const honest = await c.witness({ in: 0n });
        const withBits = (inValue: bigint, bits: bigint[]) => ({ 'main.in': inValue, ...Object.fromEntries(bits.map((v, i) => [bit(i), v])) });
        const forgeries: Record<string, Record<string, bigint>> = {
          'in = 2^(b−1) with the top bit 2': withBits(128n, [0n, 0n, 0n, 0n, 0n, 0n, 0n, 2n]),
          'in = 2^(b−1) with bit 0 = 2, the rest ones': withBits(128n, [2n, 1n, 1n, 1n, 1n, 1n, 1n, 1n]),
          'in = −2^(b−1) − 1 with bit 0 = −1': withBits(-129n, [-1n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]),
        };
        for (const values of Object.values(forgeries)) {
          const sum = Array.from({ length: 8 }, (_, i) => values[bit(i)] << BigInt(i)).reduce((a, v) => a + v);
          expect(sum).toBe(values['main.in'] + 128n);
        }
        for (const [what, values] of Object.entries(forgeries)) {
          const forged = c.forge(honest, values, skip);
          expect(c.check(forged).length, what).toBeGreaterThan(0);
        }
      });
    });
  }
});

describe('Bits(n)', () => {
  const bitsCircuit = (n: number, level: 'O1' | 'O2') =>
    compileTestCircuit(`pragma circom 2.1.0;\ninclude "zkinfer/bits.circom";\ncomponent main {public [in]} = Bits(${n});\n`, { optimization: level });

  it('has exactly n + 1 constraints (the bits are public outputs here, so nothing folds)', async () => {
    expect([(await bitsCircuit(8, 'O1')).compiled.constraints, (await bitsCircuit(8, 'O2')).compiled.constraints]).toEqual([9, 9]);
  });

  it('decomposes [0, 2^n) and refuses everything else; exhaustive uniqueness for n = 4', async () => {
    const c = await bitsCircuit(8, 'O2');
    for (const x of [0n, 1n, 128n, 255n]) {
      const w = await c.witness({ in: x });
      expect(Array.from({ length: 8 }, (_, i) => c.get(w, `main.out[${i}]`))).toEqual(toBits(x, 8));
      expect(c.check(w)).toEqual([]);
    }
    for (const x of [256n, -1n]) await expect(c.witness({ in: x })).rejects.toThrow(/Assert Failed/);

    const small = await bitsCircuit(4, 'O1');
    const free = Array.from({ length: 4 }, (_, i) => `main.out[${i}]`);
    for (const x of range(-3n, 19n)) {
      const solutions = satisfyingAssignments(small, x, free, [0n, 1n, 2n, -1n]);
      if (x < 0n || x > 15n) expect(solutions, `in=${x}`).toEqual([]);
      else expect(solutions, `in=${x}`).toEqual([await small.witness({ in: x })]);
    }
  });

  it('allows n up to 253 (strict below p) and rejects n = 254 at compile time', async () => {
    const c = await bitsCircuit(253, 'O2');
    const x = (1n << 253n) - 1n;
    expect(c.check(await c.witness({ in: x }))).toEqual([]);
    await expect(bitsCircuit(254, 'O2')).rejects.toThrow(/circom could not compile/);
  });
});
