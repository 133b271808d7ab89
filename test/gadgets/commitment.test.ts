import { afterAll, describe, expect, it } from 'vitest';
import { commitTensor, packing, packValues, randomSalt } from '../../src/shared/commitment.js';
import { encodeSigned } from '../../src/shared/field.js';
import { compileTestCircuit, removeTestCircuits } from '../helpers/circuit.js';

afterAll(removeTestCircuits);

/** One tensor the multi-instance test circuit commits to. */
interface Case {
  n: number;
  min: number;
  bits: number;
}

/**
 * Every width a manifest range can have (ranges are JavaScript safe integers, so at most 53
 * bits): 1 to 16 bits and wider ones, each at a length that crosses a packing boundary.
 */
const WIDTHS = [...Array.from({ length: 16 }, (_, i) => i + 1), 20, 24, 31, 32, 42, 48, 53];
const CASES: Case[] = [
  ...WIDTHS.map((bits) => ({ n: Math.floor(252 / bits) + 1, min: bits === 53 ? -(2 ** 52) : -(2 ** (bits - 1)), bits })),
  { n: 1, min: 0, bits: 1 },
  // 16 packed elements: two Poseidon calls (15 + 1)
  { n: 91, min: -(2 ** 41), bits: 42 },
  // the example's input: 784 values of 10 bits
  { n: 784, min: -512, bits: 10 },
];

const maxOf = (c: Case) => BigInt(c.min) + (1n << BigInt(c.bits)) - 1n;

function multiCircuit(cases: readonly Case[]): string {
  const body = cases.flatMap((c, i) => [
    `    signal input x${i}[${c.n}];`,
    `    signal input s${i};`,
    `    signal output c${i};`,
    `    component t${i} = TensorCommitment(${c.n}, ${c.min}, ${c.bits});`,
    `    t${i}.in <== x${i};`,
    `    t${i}.salt <== s${i};`,
    `    c${i} <== t${i}.out;`,
  ]);
  return ['pragma circom 2.1.0;', 'include "zkinfer/commitment.circom";', 'template Multi() {', ...body, '}', 'component main = Multi();', ''].join('\n');
}

function randomValues(c: Case): bigint[] {
  const span = 1n << BigInt(c.bits);
  return Array.from({ length: c.n }, () => {
    const r = BigInt(`0x${Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString('hex')}`) % span;
    return BigInt(c.min) + r;
  });
}

const single = (n: number, min: number, bits: number) => `pragma circom 2.1.0;\ninclude "zkinfer/commitment.circom";\ncomponent main = TensorCommitment(${n}, ${min}, ${bits});\n`;

describe('TensorCommitment(n, min, bits) agrees with commitTensor (circomlibjs Poseidon)', () => {
  it('on random tensors of every width a range can have (1–16, 20, 24, 31, 32, 42, 48, 53 bits) across packing and chunk boundaries', async () => {
    const c = await compileTestCircuit(multiCircuit(CASES), { optimization: 'O1' });
    for (let run = 0; run < 2; run++) {
      const values = CASES.map(randomValues);
      const salts = CASES.map(() => randomSalt());
      const input: Record<string, unknown> = {};
      CASES.forEach((_, i) => {
        input[`x${i}`] = values[i]!.map((v) => encodeSigned(v));
        input[`s${i}`] = salts[i]!;
      });
      const w = await c.witness(input as never);
      expect(c.check(w)).toEqual([]);
      for (let i = 0; i < CASES.length; i++) {
        const k = CASES[i]!;
        const range = { min: k.min, max: Number(maxOf(k)) };
        expect(packing(k.n, range).bits).toBe(k.bits);
        expect(c.get(w, `main.c${i}`), `case ${i}: ${JSON.stringify(k)}`).toBe(await commitTensor(values[i]!, range, salts[i]!));
      }
    }
  });

  it('matches the fixed vector: salt 1, one value 2 in [0, 3] commits to Poseidon(1, 2) of circomlibjs', async () => {
    const c = await compileTestCircuit(single(1, 0, 2), { optimization: 'O1' });
    const w = await c.witness({ in: [2n], salt: 1n });
    expect(c.get(w, 'main.out')).toBe(0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189an);
  });

  it('has exactly n·(bits + 1) range-check constraints, one per packed element, and 3·(8t + rounds) + 1 per Poseidon call', async () => {
    const counts: Record<string, number> = {};
    for (const [n, min, bits] of [
      [1, 0, 2],
      [784, -512, 10],
      [10, -4096, 13],
    ] as const) {
      counts[`${n}x${bits}`] = (await compileTestCircuit(single(n, min, bits), { optimization: 'O1' })).compiled.constraints;
    }
    expect(counts).toMatchInlineSnapshot(`
      {
        "10x13": 384,
        "1x2": 247,
        "784x10": 10144,
      }
    `);
  });
});

describe('TensorCommitment rejects forged witnesses', () => {
  const N = 6;
  const MIN = -8;
  const BITS = 4;
  const circuit = () => compileTestCircuit(single(N, MIN, BITS), { optimization: 'O1' });
  const honestValues = [3n, -8n, 7n, 0n, 1n, -1n];

  it('a different salt under the same commitment', async () => {
    const c = await circuit();
    const w = await c.witness({ in: honestValues.map(encodeSigned), salt: 12345n });
    expect(c.check(w)).toEqual([]);
    expect(c.check(c.forge(w, { 'main.salt': 12346n })).length).toBeGreaterThan(0);
  });

  it('a value changed under the same commitment', async () => {
    const c = await circuit();
    const w = await c.witness({ in: honestValues.map(encodeSigned), salt: 7n });
    // change value 2 (7 → 6) with consistent bits: only the hash can catch it
    const forged = c.forge(w, { 'main.in[2]': encodeSigned(6n), 'main.b[2][0]': 0n });
    expect(c.check(forged).length).toBeGreaterThan(0);
  });

  it('a value out of range (witness generation refuses it; forged bits break booleanity)', async () => {
    const c = await circuit();
    await expect(c.witness({ in: [8n, 0n, 0n, 0n, 0n, 0n].map(encodeSigned), salt: 1n })).rejects.toThrow(/Assert Failed|Error/);
    await expect(c.witness({ in: [-9n, 0n, 0n, 0n, 0n, 0n].map(encodeSigned), salt: 1n })).rejects.toThrow(/Assert Failed|Error/);
    const w = await c.witness({ in: honestValues.map(encodeSigned), salt: 1n });
    // in[0] = 8 (u = 16 = 2^bits): bits 0 0 0 2 sum to 16, but 2 is not a bit
    const forged = c.forge(w, { 'main.in[0]': encodeSigned(8n), 'main.b[0][0]': 0n, 'main.b[0][1]': 0n, 'main.b[0][2]': 0n, 'main.b[0][3]': 2n });
    expect(c.check(forged).length).toBeGreaterThan(0);
  });

  it('a non-injective packing: value 0 spilling 2^bits into value 1, same packed element and commitment', async () => {
    const c = await circuit();
    const values = [0n, 1n, 0n, 0n, 0n, 0n];
    const w = await c.witness({ in: values.map(encodeSigned), salt: 99n });
    // u0 + 16·u1 is the same for (u0, u1) = (8, 9) and (24, 8): value 0 = 16 (u0 = 24 ≥ 2^4), value 1 = 0
    const spilled = [16n, 0n, 0n, 0n, 0n, 0n];
    const wide = { min: -8, max: 23 };
    expect(
      packValues(
        values.map((v) => v),
        wide,
      ),
    ).not.toEqual(packValues(spilled, wide)); // 5-bit packing tells them apart
    const u = (v: bigint) => v - BigInt(MIN);
    expect(u(values[0]!) + 16n * u(values[1]!)).toBe(u(spilled[0]!) + 16n * u(spilled[1]!));
    // bits of 24 = 8 + 16: b3 = 1 and an extra 16 carried as b3 = 2 → (b0..b3) = (0, 0, 0, 3) sums to 24
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
    expect(c.get(forged, 'main.out')).toBe(c.get(w, 'main.out'));
    expect(c.check(forged).length).toBeGreaterThan(0);
    expect(packing(N, { min: MIN, max: 7 }).bits).toBe(BITS);
  });
});
