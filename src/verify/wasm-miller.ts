/**
 * One Miller loop for several pairings on ffjavascript's BN254 curve: the product
 * Π_k f_{6u+2, Q_k}(P_k) (before the final exponentiation) with one squaring chain.
 *
 * wasmcurves' `millerLoop` runs the optimal ate loop of one pairing — a squaring of the
 * GT accumulator at each of the 64 steps of 6u + 2 = 29793968203157093288 (u the BN
 * parameter), a line multiplication per doubling and per set bit, two final lines (Q1 = π(Q)
 * and −Q2 = −π²(Q)) — and a product of three pairings ran three loops and multiplied them.
 * Here the k loops run side by side: one squaring a step and each pairing's lines
 * multiplied into the one accumulator (the shared Miller loop of Granger and Smart, "On
 * computing products of pairings", 2006).
 * Since f ↦ f² is a ring homomorphism, the result is exactly the product of the separate
 * loops' results (the test compares them), with 64·(k − 1) fewer GT squarings.
 *
 * The line coefficients are the curve's own (`prepareG2`, the same layout the single loop
 * reads); the loop below reproduces the single loop's control flow over them.
 */
import type { WasmCurve } from './wasm-curve.js';

/** The optimal ate loop count 6u + 2 of BN254, as wasmcurves' loop walks it (bits, least significant first). */
const ATE_LOOP_COUNT = 29793968203157093288n;
const ATE_BITS: readonly number[] = ATE_LOOP_COUNT.toString(2).split('').reverse().map(Number);

/**
 * Multiplies the Miller loops of the pairs into `out` (GT, in wasm memory). Must run inside a
 * sync op of the curve's thread manager (the pointers are wasm memory).
 * @param pairs pointers to each pair's prepared G1 point (`prepareG1`) and prepared G2 lines (`prepareG2`)
 * @param out pointer to the GT result
 */
export function multiMillerLoop(curve: WasmCurve, pairs: ReadonlyArray<readonly [preP: number, preQ: number]>, out: number): void {
  const x = curve.tm.instance.exports;
  const n8 = curve.G1.F.n8; // 32 bytes a base-field element
  const f2 = 2 * n8;
  const coefSize = 3 * f2; // ell_0, ell_VW, ell_VV
  const mul1 = x.f2m_mul1!;
  const mulBy024 = x[`${curve.name}__mulBy024`]!;
  const square = x.ftm_square!;
  const vw = curve.tm.alloc(f2);
  const vv = curve.tm.alloc(f2);
  // each pair's next line: the prepared G2 holds Q (x, y, z) and then its lines in loop order
  const coef = pairs.map(([, preQ]) => preQ + 3 * f2);
  const line = (k: number) => {
    const p = pairs[k]![0];
    const c = coef[k]!;
    mul1(c + f2, p + n8, vw); // ell_VW · P.y
    mul1(c + 2 * f2, p, vv); // ell_VV · P.x
    mulBy024(c, vw, vv, out);
    coef[k] = c + coefSize;
  };
  x.ftm_one!(out);
  for (let i = ATE_BITS.length - 2; i >= 0; i--) {
    square(out, out);
    for (let k = 0; k < pairs.length; k++) line(k);
    if (ATE_BITS[i]) for (let k = 0; k < pairs.length; k++) line(k);
  }
  // the lines through Q1 = π(Q) and −Q2 = −π²(Q)
  for (let k = 0; k < pairs.length; k++) {
    line(k);
    line(k);
  }
}
