/**
 * Batch verification of Groth16 proofs under one verification key (the random linear
 * combination technique of Bellare, Garay and Rabin, "Fast batch verification for modular
 * exponentiation and digital signatures", 1998, applied to the Groth16 equation
 * e(A, B) = e(α, β) · e(Σ x_j IC_j, γ) · e(C, δ)). With independent random 128-bit r_k,
 *
 *   Π_k e(−r_k A_k, B_k) · e(Σ_k r_k cpub_k, γ) · e(Σ_k r_k C_k, δ) · e((Σ_k r_k) α, β) = 1
 *
 * holds for every valid batch, and for a batch holding any invalid proof only with
 * probability about 2^−128. One final exponentiation serves the whole batch and the public
 * inputs' multiexps fold into one (Σ_k r_k cpub_k = (Σ r_k) IC_0 + Σ_j (Σ_k r_k x_kj) IC_j),
 * so a proof costs one Miller loop and a scalar multiplication instead of four Miller loops,
 * a final exponentiation and a multiexp. A failing batch says only that some proof is
 * invalid: callers then check proofs one by one to name it.
 */
import { randomBytes } from 'node:crypto';
import type * as snarkjs from 'snarkjs';
import { FIELD_MODULUS } from '../shared/field.js';
import { sharedCurve } from '../shared/curve.js';

/** One proof to check: snarkjs's proof object and its public signals (canonical decimals). */
export interface BatchItem {
  proof: snarkjs.Groth16Proof;
  publicSignals: readonly string[];
}

/* eslint-disable @typescript-eslint/no-explicit-any -- ffjavascript ships no types */
type Point = Uint8Array;
interface CurveGroup {
  fromObject(o: unknown): Point;
  toAffine(p: Point): Point;
  neg(p: Point): Point;
  add(a: Point, b: Point): Point;
  timesFr(p: Point, s: Uint8Array): Point;
  isValid(p: Point): boolean;
  multiExpAffine(points: Uint8Array, scalars: Uint8Array): Promise<Point>;
  zero: Point;
  F: { n8: number };
}
interface Curve {
  G1: CurveGroup;
  G2: CurveGroup;
  Fr: { n8: number; e(v: string | bigint): Uint8Array; toRprLE(buff: Uint8Array, offset: number, v: Uint8Array): void };
  pairingEq(...args: Point[]): Promise<boolean>;
}

interface PreparedKey {
  ic0: Point;
  /** IC_1..IC_n as affine points, laid out for multiExpAffine. */
  ic: Uint8Array;
  alpha: Point;
  beta: Point;
  gamma: Point;
  delta: Point;
  publics: number;
}
const prepared = new WeakMap<object, PreparedKey>();

/**
 * Decimal strings to bigints, recursively: ffjavascript's `fromObject` reads bigints, and
 * does not parse decimal strings as decimals (snarkjs converts with unstringifyBigInts).
 */
function toBigInts(v: unknown): unknown {
  if (typeof v === 'string') return BigInt(v);
  if (Array.isArray(v)) return v.map(toBigInts);
  return v;
}

function prepare(curve: Curve, vkey: Record<string, any>): PreparedKey {
  let p = prepared.get(vkey);
  if (p) return p;
  const IC = vkey.IC as unknown[];
  const size = curve.G1.F.n8 * 2;
  const ic = new Uint8Array(size * (IC.length - 1));
  for (let j = 1; j < IC.length; j++) ic.set(curve.G1.toAffine(curve.G1.fromObject(toBigInts(IC[j]))), (j - 1) * size);
  p = {
    ic0: curve.G1.fromObject(toBigInts(IC[0])),
    ic,
    alpha: curve.G1.fromObject(toBigInts(vkey.vk_alpha_1)),
    beta: curve.G2.fromObject(toBigInts(vkey.vk_beta_2)),
    gamma: curve.G2.fromObject(toBigInts(vkey.vk_gamma_2)),
    delta: curve.G2.fromObject(toBigInts(vkey.vk_delta_2)),
    publics: IC.length - 1,
  };
  prepared.set(vkey, p);
  return p;
}

/** A uniformly random non-zero 128-bit scalar. */
function randomScalar(): bigint {
  for (;;) {
    const r = BigInt(`0x${randomBytes(16).toString('hex')}`);
    if (r !== 0n) return r;
  }
}

/**
 * Checks a batch of Groth16 proofs under one key.
 * @returns true when every proof is valid (except with probability ~2^−128); false when at
 *   least one is not, or is malformed
 */
export async function verifyGroth16Batch(vkey: Record<string, unknown>, items: readonly BatchItem[]): Promise<boolean> {
  if (items.length === 0) return true;
  const curve = await sharedCurve<Curve>();
  const key = prepare(curve, vkey);
  const { G1, G2, Fr } = curve;
  const agg = new Array<bigint>(key.publics).fill(0n);
  let rSum = 0n;
  let cSum = G1.zero;
  const pairs: Point[] = [];
  for (const item of items) {
    if (item.publicSignals.length !== key.publics) return false;
    let a: Point, b: Point, c: Point;
    try {
      a = G1.fromObject(toBigInts(item.proof.pi_a));
      b = G2.fromObject(toBigInts(item.proof.pi_b));
      c = G1.fromObject(toBigInts(item.proof.pi_c));
    } catch {
      return false;
    }
    if (!G1.isValid(a) || !G2.isValid(b) || !G1.isValid(c)) return false;
    const r = randomScalar();
    const rFr = Fr.e(r);
    rSum += r;
    for (let j = 0; j < key.publics; j++) {
      const x = BigInt(item.publicSignals[j]!);
      if (x >= FIELD_MODULUS) return false;
      agg[j] = (agg[j]! + r * x) % FIELD_MODULUS;
    }
    pairs.push(G1.timesFr(G1.neg(a), rFr), b);
    cSum = G1.add(cSum, G1.timesFr(c, rFr));
  }
  const scalars = new Uint8Array(Fr.n8 * key.publics);
  for (let j = 0; j < key.publics; j++) Fr.toRprLE(scalars, j * Fr.n8, Fr.e(agg[j]!));
  const rSumFr = Fr.e(rSum % FIELD_MODULUS);
  const cpub = G1.add(await G1.multiExpAffine(key.ic, scalars), G1.timesFr(key.ic0, rSumFr));
  return curve.pairingEq(...pairs, cpub, key.gamma, cSum, key.delta, G1.timesFr(key.alpha, rSumFr), key.beta);
}
