/**
 * The Groth16 pairing check for one proof on snarkjs's WebAssembly BN254 curve
 * (ffjavascript), for a process that verifies many receipts one at a time (a service, a
 * benchmark, `verifyProof` in a loop). It checks the same equation as snarkjs's
 * `groth16.verify` (Groth, "On the size of pairing-based non-interactive arguments", 2016, §3.2):
 *
 *   e(A, B) = e(α, β) · e(IC_0 + Σ x_j IC_j, γ) · e(C, δ)
 *
 * but does per key what snarkjs redoes per proof, and drives the curve's wasm directly:
 * - e(α, β) is a constant of the key: it is computed once (as e(−α, β), the inverse), and
 *   the G2 line coefficients of γ and δ are prepared once; a proof then costs B's lines, one
 *   Miller loop for the three pairings with one squaring chain (./wasm-miller.ts) and one
 *   final exponentiation;
 * - Σ x_j IC_j: public signals are mostly small signed integers (x < 0 is p − |x|), so each
 *   is taken as ±|x| with the point negated and the multi-exponentiation walks only the
 *   bytes the largest magnitude needs (snarkjs walks all 254 bits, one bit a window for a
 *   dozen signals); wide signals (the context, commitments, packed outputs) are added from
 *   fixed-base tables of their IC points, built once per key (./wasm-fixed-base.ts);
 * - B's membership of G2's prime-order subgroup is checked in wasm by g2InSubgroup
 *   (./wasm-g2-subgroup.ts: a 63-bit multiplication and the endomorphism ψ instead of
 *   [r]B's 254 bits), after canonical
 *   coordinates and both curve equations were checked with @noble/curves (checkProofPoints
 *   with `g2Subgroup: false`, ./points.ts).
 * Building the curve costs ~0.25 s of CPU: a process that verifies one receipt uses
 * ./groth16-noble.ts instead.
 */
import type { Receipt } from '../shared/receipt.js';
import { FIELD_MODULUS } from '../shared/field.js';
import { addFixedBase, fixedBaseTable } from './wasm-fixed-base.js';
import { multiMillerLoop } from './wasm-miller.js';
import type { Point, WasmCurve } from './wasm-curve.js';

export type { WasmCurve } from './wasm-curve.js';
export { g2InSubgroup } from './wasm-g2-subgroup.js';

interface PreparedKey {
  ic: Point[];
  /** e(−α, β) = e(α, β)^−1 in GT. */
  alphaBetaInv: Uint8Array;
  gamma: Uint8Array;
  delta: Uint8Array;
  /** Fixed-base tables of the IC points, built on the first wide signal of each (./wasm-fixed-base.ts). */
  tables: Array<Uint8Array | undefined>;
}

const HALF_ORDER = FIELD_MODULUS >> 1n;
/** Up to this many small public signals are multiplied one by one in this thread; more go to one multi-exponentiation. */
const SYNC_MAX = 32;
const prepared = new WeakMap<object, WeakMap<WasmCurve, PreparedKey>>();

type Affine1 = readonly [string, string, ...string[]];
type Affine2 = readonly [readonly [string, string], readonly [string, string], ...unknown[]];
const g1 = (curve: WasmCurve, p: Affine1): Point => curve.G1.fromObject([BigInt(p[0]), BigInt(p[1]), 1n]);
const g2 = (curve: WasmCurve, p: Affine2): Point =>
  curve.G2.fromObject([
    [BigInt(p[0][0]), BigInt(p[0][1])],
    [BigInt(p[1][0]), BigInt(p[1][1])],
    [1n, 0n],
  ]);

function prepare(curve: WasmCurve, vkey: Record<string, unknown>): PreparedKey {
  let byCurve = prepared.get(vkey);
  if (!byCurve) prepared.set(vkey, (byCurve = new WeakMap()));
  let key = byCurve.get(curve);
  if (!key) {
    const v = vkey as { IC: Affine1[]; vk_alpha_1: Affine1; vk_beta_2: Affine2; vk_gamma_2: Affine2; vk_delta_2: Affine2 };
    const prepare2 = (p: Affine2) => curve.prepareG2(curve.G2.toJacobian(g2(curve, p)));
    key = {
      ic: v.IC.map((p) => curve.G1.toAffine(g1(curve, p))),
      alphaBetaInv: curve.pairing(curve.G1.neg(g1(curve, v.vk_alpha_1)), g2(curve, v.vk_beta_2)),
      gamma: prepare2(v.vk_gamma_2),
      delta: prepare2(v.vk_delta_2),
      tables: [],
    };
    byCurve.set(curve, key);
  }
  return key;
}

/** Little-endian bytes of a non-negative integer into `out` at `offset` (width bytes). */
function writeLE(out: Uint8Array, offset: number, value: bigint, width: number): void {
  for (let i = 0; i < width; i++, value >>= 8n) out[offset + i] = Number(value & 0xffn);
}

/**
 * IC_0 + Σ x_j IC_j over the small signals (Jacobian; the signals folded to small signed
 * magnitudes), and the wide signals left for the fixed-base tables.
 */
async function publicSum(curve: WasmCurve, key: PreparedKey, publicSignals: readonly string[]): Promise<{ sum: Point; wide: Array<[index: number, scalar: bigint]> }> {
  const { G1 } = curve;
  const n8 = G1.F.n8 * 2;
  const small: Array<[Point, bigint]> = [];
  const wide: Array<[number, bigint]> = [];
  let sum = G1.toJacobian(key.ic[0]!);
  let maxBits = 0;
  publicSignals.forEach((s, j) => {
    const x = ((BigInt(s) % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS;
    if (x === 0n) return;
    const point = key.ic[j + 1]!;
    const negative = x > HALF_ORDER;
    const magnitude = negative ? FIELD_MODULUS - x : x;
    const bits = magnitude.toString(2).length;
    if (bits <= 64) {
      small.push([negative ? G1.neg(point) : point, magnitude]);
      maxBits = Math.max(maxBits, bits);
    } else if (!G1.isZero(point)) {
      wide.push([j + 1, x]);
    }
  });
  if (small.length > 0 && small.length <= SYNC_MAX) {
    // a few signals: multiplied here, in this thread (a task for the curve's worker threads
    // would wait for a thread to wake, which costs more than these short multiplications)
    for (const [p, m] of small) {
      const bytes = new Uint8Array(Math.ceil(maxBits / 8));
      writeLE(bytes, 0, m, bytes.length);
      sum = G1.add(sum, G1.timesScalar(p, bytes));
    }
  } else if (small.length > 0) {
    const width = maxBits <= 8 ? 1 : maxBits <= 16 ? 2 : maxBits <= 32 ? 4 : 8;
    const bases = new Uint8Array(n8 * small.length);
    const scalars = new Uint8Array(width * small.length);
    small.forEach(([p, m], i) => {
      bases.set(p, i * n8);
      writeLE(scalars, i * width, m, width);
    });
    sum = G1.add(sum, await G1.multiExpAffine(bases, scalars));
  }
  for (const [j] of wide) key.tables[j] ??= fixedBaseTable(curve, key.ic[j]!);
  return { sum, wide };
}

/**
 * Checks a Groth16 proof under a snarkjs verification key on ffjavascript's BN254 curve.
 * @param curve snarkjs's BN254 curve (`curves.getCurveFromName('bn128')`)
 * @param publicSignals canonical decimals, one per IC point after the first
 * @param proof a proof whose coordinates are canonical, whose points lie on their curves
 *   (checkProofPoints) and whose B is in G2's prime-order subgroup (g2InSubgroup)
 * @returns whether the pairing equation holds (false for a key/signal count mismatch)
 */
export async function verifyGroth16Wasm(curve: WasmCurve, vkey: Record<string, unknown>, publicSignals: readonly string[], proof: NonNullable<Receipt['proof']>): Promise<boolean> {
  const key = prepare(curve, vkey);
  if (publicSignals.length !== key.ic.length - 1) return false;
  const { G1, G2, tm } = curve;
  const b = G2.toJacobian(g2(curve, proof.pi_b as unknown as Affine2));
  const { sum, wide } = await publicSum(curve, key, publicSignals);
  const negA = G1.toJacobian(G1.neg(g1(curve, proof.pi_a as unknown as Affine1)));
  const c = G1.toJacobian(g1(curve, proof.pi_c as unknown as Affine1));
  const x = tm.instance.exports;
  const p = curve.name;
  tm.startSyncOp();
  try {
    const vkX = tm.allocBuff(sum);
    for (const [j, scalar] of wide) addFixedBase(curve, vkX, key.tables[j]!, scalar);
    const prepared1 = (point: number) => {
      const pre = tm.alloc(curve.prePSize);
      x[`${p}_prepareG1`]!(point, pre);
      return pre;
    };
    const preB = tm.alloc(curve.preQSize);
    x[`${p}_prepareG2`]!(tm.allocBuff(b), preB);
    const f = tm.alloc(curve.Gt.n8);
    multiMillerLoop(
      curve,
      [
        [prepared1(tm.allocBuff(negA)), preB],
        [prepared1(vkX), tm.allocBuff(key.gamma)],
        [prepared1(tm.allocBuff(c)), tm.allocBuff(key.delta)],
      ],
      f,
    );
    x[`${p}_finalExponentiation`]!(f, f);
    return x.ftm_eq!(f, tm.allocBuff(key.alphaBetaInv)) !== 0;
  } finally {
    tm.endSyncOp();
  }
}
