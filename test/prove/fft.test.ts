/**
 * The prover's coset transform (src/shared/wasm-fft.ts, frm_zkCoset) against wasmcurves' own
 * inverse FFT, shift and FFT, and against a direct evaluation on the coset for a small domain.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCurve } from '../../src/shared/curve.js';
import { FIELD_MODULUS } from '../../src/shared/field.js';

interface Fr {
  e(v: bigint | number): Uint8Array;
  inv(a: Uint8Array): Uint8Array;
  mul(a: Uint8Array, b: Uint8Array): Uint8Array;
  add(a: Uint8Array, b: Uint8Array): Uint8Array;
  exp(a: Uint8Array, e: number): Uint8Array;
  eq(a: Uint8Array, b: Uint8Array): boolean;
  zero: Uint8Array;
  w: Uint8Array[];
}
type Step = Record<string, unknown>;
let curve: { Fr: Fr; tm: { queueAction(t: Step[]): Promise<Uint8Array[]> } };
beforeAll(async () => {
  curve = (await buildCurve(true)) as unknown as typeof curve;
});

function random(bits: number, seed: number): Uint8Array {
  const n = 1 << bits;
  const out = new Uint8Array(n * 32);
  let x = BigInt(seed);
  for (let i = 0; i < n; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) % (1n << 256n);
    out.set(curve.Fr.e(x % FIELD_MODULUS), i * 32);
  }
  return out;
}

async function zkCoset(values: Uint8Array, bits: number): Promise<Uint8Array> {
  const { Fr } = curve;
  const n = 1 << bits;
  const [out] = await curve.tm.queueAction([
    { cmd: 'ALLOCSET', var: 0, buff: values },
    { cmd: 'ALLOCSET', var: 1, buff: Fr.inv(Fr.e(n)) },
    { cmd: 'ALLOCSET', var: 2, buff: Fr.w[bits + 1] },
    { cmd: 'ALLOCSET', var: 3, buff: Fr.w[bits] },
    { cmd: 'ALLOCSET', var: 4, buff: Fr.inv(Fr.w[bits]!) },
    { cmd: 'ALLOC', var: 5, len: Math.max(1, n / 2) * 32 },
    { cmd: 'ALLOC', var: 6, len: Math.max(1, n / 2) * 32 },
    { cmd: 'ALLOC', var: 7, len: 32 },
    { cmd: 'CALL', fnName: 'frm_zkPowers', params: [{ var: 3 }, { val: n / 2 }, { var: 5 }] },
    { cmd: 'CALL', fnName: 'frm_zkPowers', params: [{ var: 4 }, { val: n / 2 }, { var: 6 }] },
    { cmd: 'CALL', fnName: 'frm_zkCoset', params: [{ var: 0 }, { val: bits }, { var: 6 }, { var: 5 }, { var: 1 }, { var: 2 }, { var: 7 }] },
    { cmd: 'GET', out: 0, var: 0, len: n * 32 },
  ]);
  return out!;
}

async function wasmcurves(values: Uint8Array, bits: number): Promise<Uint8Array> {
  const n = 1 << bits;
  const [out] = await curve.tm.queueAction([
    { cmd: 'ALLOCSET', var: 0, buff: values },
    { cmd: 'ALLOCSET', var: 1, buff: curve.Fr.e(1) },
    { cmd: 'ALLOCSET', var: 2, buff: curve.Fr.w[bits + 1] },
    { cmd: 'CALL', fnName: 'frm_ifft', params: [{ var: 0 }, { val: n }] },
    { cmd: 'CALL', fnName: 'frm_batchApplyKey', params: [{ var: 0 }, { val: n }, { var: 1 }, { var: 2 }, { var: 0 }] },
    { cmd: 'CALL', fnName: 'frm_fft', params: [{ var: 0 }, { val: n }] },
    { cmd: 'GET', out: 0, var: 0, len: n * 32 },
  ]);
  return out!;
}

describe('frm_zkCoset', () => {
  for (const bits of [1, 2, 3, 8, 12])
    it(`equals wasmcurves' inverse FFT, shift and FFT on 2^${bits} values`, async () => {
      const v = random(bits, bits * 31 + 7);
      expect(Buffer.from(await zkCoset(v, bits)).equals(Buffer.from(await wasmcurves(v, bits)))).toBe(true);
    });

  it('gives the values on the odd coset of the polynomial through the domain values (2^3, direct evaluation)', async () => {
    const { Fr } = curve;
    const bits = 3;
    const n = 1 << bits;
    const v = random(bits, 5);
    const at = (b: Uint8Array, i: number) => b.subarray(i * 32, (i + 1) * 32);
    // coefficients by the inverse transform written out: c_i = (1/n) Σ_k v_k w^(−ik)
    const w = Fr.w[bits]!;
    const winv = Fr.inv(w);
    const coef = Array.from({ length: n }, (_, i) => {
      let s = Fr.zero;
      for (let k = 0; k < n; k++) s = Fr.add(s, Fr.mul(at(v, k), Fr.exp(winv, i * k)));
      return Fr.mul(s, Fr.inv(Fr.e(n)));
    });
    const g = Fr.w[bits + 1]!; // the odd coset: g · w^k
    const got = await zkCoset(v, bits);
    for (let k = 0; k < n; k++) {
      const x = Fr.mul(g, Fr.exp(w, k));
      let y = Fr.zero;
      for (let i = n - 1; i >= 0; i--) y = Fr.add(Fr.mul(y, x), coef[i]!);
      expect(Fr.eq(at(got, k), y)).toBe(true);
    }
  });
});
