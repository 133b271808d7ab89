/**
 * The wasm Poseidon of src/shared/poseidon.ts is circomlib's Poseidon: equal to circomlibjs's
 * `buildPoseidon` (the implementation circomlib's circuit template is tested against) on
 * random inputs of every arity 1 to 16, on edge values (0, 1, p − 1), on circomlibjs's
 * published vector Poseidon(1, 2), and it refuses what circomlibjs would silently reduce.
 */
import { randomBytes } from 'node:crypto';
import { buildPoseidon } from 'circomlibjs';
import { describe, expect, it } from 'vitest';
import { FIELD_MODULUS as P } from '../../src/shared/field.js';
import { loadCircomlibPoseidon } from '../../src/shared/poseidon.js';

const random = () => BigInt(`0x${randomBytes(32).toString('hex')}`) % P;

describe('Poseidon (wasm field)', () => {
  it("equals circomlibjs's Poseidon on random and edge inputs of every arity 1 to 16", async () => {
    const ours = await loadCircomlibPoseidon();
    const reference = await buildPoseidon();
    const theirs = (x: bigint[]) => reference.F.toObject(reference(x));
    for (let n = 1; n <= 16; n++) {
      const cases = [
        Array.from({ length: n }, () => 0n),
        Array.from({ length: n }, () => P - 1n),
        Array.from({ length: n }, (_, i) => (i % 2 ? P - 1n : 1n)),
        ...Array.from({ length: 12 }, () => Array.from({ length: n }, random)),
      ];
      for (const x of cases) expect(ours(x), `arity ${n}, inputs ${x.join(',')}`).toBe(theirs(x));
    }
  }, 60_000);

  it("gives circomlibjs's published vector Poseidon(1, 2)", async () => {
    const ours = await loadCircomlibPoseidon();
    expect(ours([1n, 2n])).toBe(0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189an);
  });

  it('is the same function on a second call and after another width (state and constants do not leak between calls)', async () => {
    const ours = await loadCircomlibPoseidon();
    const x = Array.from({ length: 16 }, random);
    const first = ours(x);
    ours([5n]);
    ours(Array.from({ length: 11 }, random));
    expect(ours(x)).toBe(first);
  });

  it('refuses an input that is not a field element below p, and arities outside 1 to 16', async () => {
    const ours = await loadCircomlibPoseidon();
    expect(() => ours([P])).toThrow(RangeError);
    expect(() => ours([-1n])).toThrow(RangeError);
    expect(() => ours([])).toThrow('Poseidon takes 1 to 16 inputs, got 0');
    expect(() => ours(Array.from({ length: 17 }, () => 1n))).toThrow('Poseidon takes 1 to 16 inputs, got 17');
  });
});
