/**
 * The 29-bit-limb Montgomery multiplication (src/shared/wasm-field-mul.ts) that zkinfer's curve
 * build puts in place of wasmcurves' `f1m_mul`, `f1m_square`, `frm_mul` and `frm_square`,
 * checked against BigInt arithmetic (x · y · 2^-256 mod q) on random and edge-case operands
 * of both BN254 fields, and against wasmcurves' own functions in snarkjs's plain curve.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCurve, hasBatchMsm, releaseCurve, sharedCurve } from '../../src/shared/curve.js';

type Exports = Record<string, (...args: number[]) => number>;
interface WasmCurve {
  tm: { instance: { exports: Exports }; memory: WebAssembly.Memory; alloc(n: number): number };
  terminate(): Promise<void>;
}

const FIELDS = {
  f1m: 21888242871839275222246405745257275088696311157297823662689037894645226208583n,
  frm: 21888242871839275222246405745257275088548364400416034343698204186575808495617n,
} as const;
const R = 1n << 256n;

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const t = r0 / r1;
    [r0, r1] = [r1, r0 - t * r1];
    [s0, s1] = [s1, s0 - t * s1];
  }
  return ((s0 % m) + m) % m;
}

let mine: WasmCurve;
let plain: WasmCurve;
beforeAll(async () => {
  mine = (await buildCurve(true)) as unknown as WasmCurve;
  const { buildBn128 } = await import('ffjavascript');
  plain = (await buildBn128(true)) as unknown as WasmCurve;
});
afterAll(async () => {
  await mine?.terminate();
  await plain?.terminate();
});

const scratch = new WeakMap<WasmCurve, number>();

/** Calls `fn` of a curve's wasm instance on 256-bit operands; returns the 256-bit result. */
function call(curve: WasmCurve, fn: string, operands: bigint[]): bigint {
  const { tm } = curve;
  if (!scratch.has(curve)) scratch.set(curve, tm.alloc(32 * 3));
  const p = scratch.get(curve)!;
  const bytes = () => new Uint8Array(tm.memory.buffer);
  operands.forEach((v, i) => {
    for (let b = 0; b < 32; b++) bytes()[p + 32 * i + b] = Number((v >> BigInt(8 * b)) & 0xffn);
  });
  const out = p + 32 * operands.length;
  tm.instance.exports[fn]!(...operands.map((_, i) => p + 32 * i), out);
  return bytes()
    .subarray(out, out + 32)
    .reduceRight((v, b) => (v << 8n) | BigInt(b), 0n);
}

const random = (below: bigint) => BigInt(`0x${randomBytes(40).toString('hex')}`) % below;

/** Operands where limb boundaries and reductions are most likely to go wrong. */
function edgeCases(q: bigint): bigint[] {
  const out = new Set<bigint>([0n, 1n, 2n, q - 1n, q - 2n, (q - 1n) / 2n, (q + 1n) / 2n, R % q, (R * R) % q, q - (R % q)]);
  for (let k = 1; k < 254; k++) out.add((1n << BigInt(k)) - 1n).add(1n << BigInt(k)); // all-ones below q, powers of two
  for (let i = 0; i < 8; i++) out.add((0xffffffffn << BigInt(32 * i)) % q); // one limb of 32 ones
  for (let i = 1; i < 9; i++) out.add(((1n << BigInt(29 * i)) - 1n) % q).add((1n << BigInt(29 * i)) % q); // 29-bit limb edges
  return [...out].filter((v) => v < q);
}

describe.each(Object.entries(FIELDS))('%s: 29-bit-limb Montgomery multiplication', (prefix, q) => {
  const rInv = modInverse(R, q);
  const mont = (x: bigint, y: bigint) => (x * y * rInv) % q;

  it('multiplies random elements as BigInt arithmetic does', () => {
    for (let i = 0; i < 3000; i++) {
      const [x, y] = [random(q), random(q)];
      expect(call(mine, `${prefix}_mul`, [x, y])).toBe(mont(x, y));
      expect(call(mine, `${prefix}_square`, [x])).toBe(mont(x, x));
    }
  });

  it('multiplies and squares the edge cases', () => {
    const edges = edgeCases(q);
    expect(edges.length).toBeGreaterThan(500);
    for (const x of edges) {
      expect(call(mine, `${prefix}_square`, [x])).toBe(mont(x, x));
      for (const y of [0n, 1n, q - 1n, R % q, (1n << 253n) - 1n, random(q)]) expect(call(mine, `${prefix}_mul`, [x, y])).toBe(mont(x, y));
    }
    for (let i = 0; i < 300; i++) {
      const [x, y] = [edges[Math.floor(Math.random() * edges.length)]!, edges[Math.floor(Math.random() * edges.length)]!];
      expect(call(mine, `${prefix}_mul`, [x, y])).toBe(mont(x, y));
    }
  });

  it('gives the same bits as wasmcurves, also for an operand of up to 2^256 (toMontgomery of an unreduced integer)', () => {
    for (let i = 0; i < 500; i++) {
      const [x, y] = [random(q), random(q)];
      expect(call(mine, `${prefix}_mul`, [x, y])).toBe(call(plain, `${prefix}_mul`, [x, y]));
      expect(call(mine, `${prefix}_square`, [x])).toBe(call(plain, `${prefix}_square`, [x]));
      const big = R - 1n - random(R - q); // in [q, 2^256)
      const got = call(mine, `${prefix}_mul`, [big, y]);
      expect(got % q).toBe(mont(big, y));
      expect(got).toBe(call(plain, `${prefix}_mul`, [big, y]));
      expect(call(mine, `${prefix}_toMontgomery`, [big])).toBe((big * R) % q);
    }
  });
});

describe('the curve every caller gets', () => {
  it('is built with the multiplication, also when the first caller is a verifier (sharedCurve)', async () => {
    try {
      const curve = await sharedCurve<WasmCurve & object>();
      expect(hasBatchMsm(curve)).toBe(true);
      const { buildBn128 } = await import('ffjavascript');
      expect(await buildBn128(false)).toBe(curve); // what snarkjs asks for afterwards
    } finally {
      await releaseCurve();
    }
  });
});
