import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIELD_MODULUS } from '../../src/shared/field.js';
import { absorb, commitTensor, loadPoseidon, packValues, packing, randomSalt } from '../../src/shared/commitment.js';

describe('salted Poseidon commitments', () => {
  it('reduce to circomlibjs Poseidon on its published vector Poseidon(1, 2)', async () => {
    // salt 1, one value 2 in [0, 3]: one packed element equal to 2, so the commitment is Poseidon([1, 2]).
    // Expected value from circomlibjs's test suite (test/poseidon.js, "Should check constrain").
    const c = await commitTensor([2], { min: 0, max: 3 }, 1n);
    expect(c).toBe(0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189an);
  });

  it('packs offset values least significant first, ⌊252 / b⌋ to an element', () => {
    expect(packing(784, { min: -512, max: 511 })).toEqual({ bits: 10, perElement: 25, elements: 32, rounds: 3 });
    expect(packValues([-1, 0, 1], { min: -2, max: 1 })).toEqual([1n | (2n << 2n) | (3n << 4n)]);
    const wide = packValues(
      Array.from({ length: 26 }, (_, i) => i - 13),
      { min: -512, max: 511 },
    );
    expect(wide).toHaveLength(2);
    expect(wide[1]).toBe(BigInt(12 + 512));
  });

  it('packs every width 1 to 40 as the sum Σ (vⱼ − min)·2^(b·j) per element, values given as numbers or bigints', () => {
    // The scheme's own formula, written with bigints, against packValues (number words up to 32 bits, bigint shifts beyond).
    const byFormula = (values: readonly (number | bigint)[], range: { min: number; max: number }) => {
      const { bits, perElement } = packing(values.length, range);
      return Array.from({ length: Math.ceil(values.length / perElement) }, (_, e) =>
        values.slice(e * perElement, (e + 1) * perElement).reduce<bigint>((sum, v, j) => sum + ((BigInt(v) - BigInt(range.min)) << BigInt(bits * j)), 0n),
      );
    };
    const tensor = fc
      .record({
        bits: fc.integer({ min: 1, max: 40 }),
        min: fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
        slack: fc.double({ min: 0, max: 0.5, noNaN: true }),
        length: fc.integer({ min: 1, max: 200 }),
      })
      .chain(({ bits, min, slack, length }) => {
        const max = min + Math.max(2 ** (bits - 1), Math.floor((2 ** bits - 1) * (1 - slack)));
        const value = fc.oneof(fc.constant(min), fc.constant(max), fc.integer({ min, max }));
        return fc.record({ range: fc.constant({ min, max }), values: fc.array(value, { minLength: length, maxLength: length }), asBigint: fc.boolean() });
      });
    fc.assert(
      fc.property(tensor, ({ range, values, asBigint }) => {
        const given = asBigint ? values.map((v, i) => (i === values.length - 1 ? BigInt(v) : v)) : values;
        expect(packValues(given, range)).toEqual(byFormula(values, range));
      }),
      { numRuns: 300 },
    );
  });

  it('absorbs 15 packed elements per Poseidon call, chained from the salt', async () => {
    const poseidon = await loadPoseidon();
    const elements = Array.from({ length: 16 }, (_, i) => BigInt(i + 1));
    const first = poseidon([7n, ...elements.slice(0, 15)]);
    expect(absorb(poseidon, 7n, elements)).toBe(poseidon([first, 16n]));
  });

  it('refuses values outside the declared range and non-canonical salts', async () => {
    expect(() => packValues([4], { min: 0, max: 3 })).toThrow('value 0 is 4, outside the declared range [0, 3]');
    expect(() => packValues([0.5], { min: 0, max: 3 })).toThrow('value 0 is 0.5, expected an integer');
    expect(() => packValues([0, 1, -1], { min: 0, max: 2 ** 32 })).toThrow('value 2 is -1, outside the declared range [0, 4294967296]');
    expect(() => packValues([0, 1, -1], { min: 0, max: 2 ** 32 - 1 })).toThrow('value 2 is -1, outside the declared range [0, 4294967295]');
    expect(() => packValues([0, Number.NaN], { min: 0, max: 3 })).toThrow('value 1 is NaN, expected an integer');
    await expect(commitTensor([1], { min: 0, max: 3 }, FIELD_MODULUS)).rejects.toThrow('salt: expected a field element below p');
  });

  it('changes with the salt and with any one value', async () => {
    const range = { min: -8, max: 7 };
    const values = [3, -8, 7, 0, 1];
    const base = await commitTensor(values, range, 5n);
    expect(await commitTensor(values, range, 6n)).not.toBe(base);
    expect(await commitTensor([3, -8, 7, 0, 2], range, 5n)).not.toBe(base);
  });

  it('draws salts below the field modulus', () => {
    for (let i = 0; i < 50; i++) {
      const s = randomSalt();
      expect(s >= 0n && s < FIELD_MODULUS).toBe(true);
    }
  });
});
