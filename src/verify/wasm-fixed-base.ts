/**
 * Fixed-base scalar multiplication in G1 for the verification key's IC points, on
 * ffjavascript's BN254 curve. A wide public signal (a commitment, the receipt context, a
 * packed output: full 254-bit scalars) cost one double-and-add each — 254 doublings and
 * ~127 additions, ~0.6 ms — although its base point is a constant of the key. With the
 * multiples [d · 16^i] P (d = 1…15, i = 0…63) prepared once per point, [s] P is the sum of
 * the table entries named by the 64 base-16 digits of s: at most 64 mixed additions and no
 * doubling (the fixed-base windowing of Brickell, Gordon, McCurley and Wilson, "Fast
 * exponentiation with precomputation", 1992, in its simplest form).
 *
 * A table is 960 affine points (61 KB) kept in JavaScript memory and built on the first wide
 * signal that uses its point (~1000 additions, once per key); the entries a scalar needs are
 * copied into the curve's wasm memory for the additions.
 */
import type { Point, WasmCurve } from './wasm-curve.js';

const WINDOW_BITS = 4;
const DIGITS = 64; // 64 · 4 = 256 ≥ 254 bits of a scalar-field element
const PER_ROW = (1 << WINDOW_BITS) - 1;

/**
 * The table of an affine G1 point P ≠ O: entry (i, d) = [d · 16^i] P, affine, in the curve's
 * internal form, at offset ((i · 15) + d − 1) · 64.
 */
export function fixedBaseTable(curve: WasmCurve, point: Point): Uint8Array {
  const { tm } = curve;
  const x = tm.instance.exports;
  const n8 = curve.G1.F.n8;
  const jac = 3 * n8;
  const count = DIGITS * PER_ROW;
  tm.startSyncOp();
  try {
    const rows = tm.alloc(count * jac);
    const affine = tm.alloc(count * 2 * n8);
    const base = tm.alloc(jac);
    x.g1m_toJacobian!(tm.allocBuff(point), base); // base = 16^i · P
    for (let i = 0; i < DIGITS; i++) {
      const row = rows + i * PER_ROW * jac;
      x.g1m_copy!(base, row);
      for (let d = 1; d < PER_ROW; d++) x.g1m_add!(row + (d - 1) * jac, base, row + d * jac);
      x.g1m_add!(row + (PER_ROW - 1) * jac, base, base);
    }
    x.g1m_batchToAffine!(rows, count, affine);
    return tm.getBuff(affine, count * 2 * n8);
  } finally {
    tm.endSyncOp();
  }
}

/**
 * Adds [s] P to a Jacobian point in wasm memory, P given by its table. Must run inside a
 * sync op of the curve's thread manager.
 * @param acc pointer to the Jacobian accumulator (read and written)
 * @param scalar 0 ≤ s < 2^256
 */
export function addFixedBase(curve: WasmCurve, acc: number, table: Uint8Array, scalar: bigint): void {
  const { tm } = curve;
  const addMixed = tm.instance.exports.g1m_addMixed!;
  const size = 2 * curve.G1.F.n8;
  const entry = tm.alloc(size);
  let s = scalar;
  for (let i = 0; s > 0n; i++, s >>= BigInt(WINDOW_BITS)) {
    const d = Number(s & BigInt(PER_ROW));
    if (d === 0) continue;
    const at = (i * PER_ROW + d - 1) * size;
    tm.u8.set(table.subarray(at, at + size), entry);
    addMixed(acc, entry, acc);
  }
}
