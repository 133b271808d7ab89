/**
 * PackValues(n, min, bits), the in-circuit packing of a public output (circuits/zkinfer/pack.circom):
 * it agrees with packValues (src/shared/commitment.ts), which every verifier uses to read the
 * values back, and it has no witness in which a value leaves [min, min + 2^bits) — the forged
 * witnesses below, among them two tensors with the same packed signal, are rejected.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { packing, packValues } from '../../src/shared/commitment.js';
import { encodeSigned, FIELD_MODULUS } from '../../src/shared/field.js';
import { compileTestCircuit, removeTestCircuits } from '../helpers/circuit.js';

afterAll(removeTestCircuits);

const single = (n: number, min: number, bits: number) => `pragma circom 2.1.0;\ninclude "zkinfer/pack.circom";\ncomponent main = PackValues(${n}, ${min}, ${bits});\n`;

function randomValues(n: number, min: number, bits: number): bigint[] {
  const span = 1n << BigInt(bits);
  return Array.from({ length: n }, () => BigInt(min) + (BigInt(`0x${Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString('hex')}`) % span));
}

describe('PackValues(n, min, bits) agrees with packValues', () => {
  for (const [n, min, bits] of [
    [10, -65536, 17],
    [1, 0, 1],
    [30, -8, 4],
    [7, -(2 ** 40), 42],
    [16, 0, 16],
  ] as const) {
    it(`${n} values of ${bits} bits from ${min} (${packing(n, { min, max: min + 2 ** bits - 1 }).elements} packed signals)`, async () => {
      const c = await compileTestCircuit(single(n, min, bits), { optimization: 'O1' });
      const range = { min, max: Number(BigInt(min) + (1n << BigInt(bits)) - 1n) };
      const p = packing(n, range);
      expect(p.bits).toBe(bits);
      for (const values of [randomValues(n, min, bits), Array.from({ length: n }, () => BigInt(min)), Array.from({ length: n }, () => BigInt(range.max))]) {
        const w = await c.witness({ in: values.map(encodeSigned) });
        expect(c.check(w)).toEqual([]);
        const want = packValues(values, range);
        expect(Array.from({ length: p.elements }, (_, e) => c.get(w, `main.out[${e}]`))).toEqual(want);
      }
    });
  }

  it('costs n·(bits + 1) constraints and one per packed signal', async () => {
    expect((await compileTestCircuit(single(10, -65536, 17), { optimization: 'O1' })).compiled.constraints).toBe(10 * 18 + 1);
    expect((await compileTestCircuit(single(30, -8, 4), { optimization: 'O1' })).compiled.constraints).toBe(30 * 5 + 1);
  });
});

describe('PackValues rejects forged witnesses', () => {
  const N = 6;
  const MIN = -8;
  const BITS = 4;
  const circuit = () => compileTestCircuit(single(N, MIN, BITS), { optimization: 'O1' });
  const honest = [0n, 1n, 0n, 0n, 0n, 0n];

  it('refuses to compute a value out of [min, min + 2^bits)', async () => {
    const c = await circuit();
    await expect(c.witness({ in: [8n, 0n, 0n, 0n, 0n, 0n].map(encodeSigned) })).rejects.toThrow(/Assert Failed|Error/);
    await expect(c.witness({ in: [-9n, 0n, 0n, 0n, 0n, 0n].map(encodeSigned) })).rejects.toThrow(/Assert Failed|Error/);
  });

  it('a value outside its width whose packed signal equals another tensor’s: (0, 1) and (16, 0) pack alike without the range check', async () => {
    const c = await circuit();
    const w = await c.witness({ in: honest.map(encodeSigned) });
    expect(c.check(w)).toEqual([]);
    // u0 + 16·u1 is 8 + 16·9 = 152 for the honest (0, 1), and 24 + 16·8 = 152 for (16, 0): value 0 at 16 is outside [−8, 7]
    const u = (v: bigint) => v - BigInt(MIN);
    expect(u(0n) + 16n * u(1n)).toBe(u(16n) + 16n * u(0n));
    // the forger's best try: bits of u0 = 24 written as (0, 0, 0, 3) and of u1 = 8 as (0, 0, 0, 1): every sum holds, booleanity does not
    const forged = c.forge(w, {
      'main.in[0]': encodeSigned(16n),
      'main.in[1]': encodeSigned(0n),
      'main.b[0][0]': 0n,
      'main.b[0][1]': 0n,
      'main.b[0][2]': 0n,
      'main.b[0][3]': 3n,
      'main.b[1][0]': 0n,
      'main.b[1][1]': 0n,
      'main.b[1][2]': 0n,
      'main.b[1][3]': 1n,
    });
    expect(c.get(forged, 'main.out[0]')).toBe(c.get(w, 'main.out[0]'));
    expect(c.check(forged).length).toBeGreaterThan(0);
  });

  it('a value wrapped around the field (in − min = p − 1 + 1 …): no boolean decomposition reaches it', async () => {
    const c = await circuit();
    const w = await c.witness({ in: honest.map(encodeSigned) });
    // in[0] = min − 1 (u = p − 1), with the honest bits: the decomposition sum no longer holds
    const forged = c.forge(w, { 'main.in[0]': (BigInt(MIN) - 1n + FIELD_MODULUS) % FIELD_MODULUS });
    expect(c.check(forged).length).toBeGreaterThan(0);
  });

  it('a packed signal changed with the values kept', async () => {
    const c = await circuit();
    const w = await c.witness({ in: honest.map(encodeSigned) });
    const forged = c.forge(w, { 'main.out[0]': c.get(w, 'main.out[0]') + (1n << BigInt(BITS * N)) });
    expect(c.check(forged).length).toBeGreaterThan(0);
  });
});
