/**
 * The Groth16 pairing check with @noble/curves, a second implementation beside snarkjs's
 * (Groth, "On the size of pairing-based non-interactive arguments", 2016, §3.2):
 *
 *   e(A, B) = e(α, β) · e(IC_0 + Σ x_j IC_j, γ) · e(C, δ)
 *
 * checked as one product of four pairings with −A. It needs no WebAssembly curve to be
 * built, which is what dominates a process that verifies one receipt: snarkjs generates
 * its BN254 code (~230 ms of CPU) before its first pairing, noble's whole check costs
 * about as much as that set-up alone. `verifyMany` uses it for one or two receipts and
 * snarkjs's batch equation beyond; the tests run the shared tampering table through both.
 * The proof's points must already have passed checkProofPoints (./points.ts).
 */
import { bn254 } from '@noble/curves/bn254.js';
import type { Receipt } from '../shared/receipt.js';

type G1 = InstanceType<typeof bn254.G1.Point>;
type G2 = InstanceType<typeof bn254.G2.Point>;
type Affine1 = readonly [string, string, ...string[]];
type Affine2 = readonly [readonly [string, string], readonly [string, string], ...unknown[]];

interface PreparedKey {
  ic: G1[];
  alpha: G1;
  beta: G2;
  gamma: G2;
  delta: G2;
}

const ORDER = bn254.G1.Point.Fn.ORDER;
const HALF_ORDER = ORDER >> 1n;
/** Magnitudes below 2^SMALL_BITS go through the small-scalar MSM. */
const SMALL_BITS = 64n;

/**
 * Σ scalars[i]·points[i] for non-negative scalars below 2^64 by the bucket method
 * (Pippenger), walking only as many windows as the largest scalar has bits — noble's
 * generic pippenger walks all 254 bits of the field whatever the scalars.
 */
function smallMsm(points: readonly G1[], scalars: readonly bigint[]): G1 {
  const zero = bn254.G1.Point.ZERO;
  const maxBits = scalars.reduce((m, s) => Math.max(m, s.toString(2).length), 1);
  const window = points.length >= 512 ? 6 : points.length >= 64 ? 4 : 2;
  const mask = (1n << BigInt(window)) - 1n;
  const buckets: G1[] = new Array<G1>(1 << window);
  let sum = zero;
  for (let shift = Math.floor((maxBits - 1) / window) * window; shift >= 0; shift -= window) {
    for (let d = 0; d < window; d++) sum = sum.double();
    buckets.fill(zero);
    for (let j = 0; j < points.length; j++) {
      const digit = Number((scalars[j]! >> BigInt(shift)) & mask);
      if (digit !== 0) buckets[digit] = buckets[digit]!.add(points[j]!);
    }
    let running = zero;
    let windowSum = zero;
    for (let b = buckets.length - 1; b > 0; b--) {
      running = running.add(buckets[b]!);
      windowSum = windowSum.add(running);
    }
    sum = sum.add(windowSum);
  }
  return sum;
}

const prepared = new WeakMap<object, PreparedKey>();
const g1 = (p: Affine1): G1 => bn254.G1.Point.fromAffine({ x: BigInt(p[0]), y: BigInt(p[1]) });
const g2 = (p: Affine2): G2 => bn254.G2.Point.fromAffine({ x: { c0: BigInt(p[0][0]), c1: BigInt(p[0][1]) }, y: { c0: BigInt(p[1][0]), c1: BigInt(p[1][1]) } });

function prepare(vkey: Record<string, unknown>): PreparedKey {
  let key = prepared.get(vkey);
  if (!key) {
    const v = vkey as { IC: Affine1[]; vk_alpha_1: Affine1; vk_beta_2: Affine2; vk_gamma_2: Affine2; vk_delta_2: Affine2 };
    key = { ic: v.IC.map(g1), alpha: g1(v.vk_alpha_1), beta: g2(v.vk_beta_2), gamma: g2(v.vk_gamma_2), delta: g2(v.vk_delta_2) };
    prepared.set(vkey, key);
  }
  return key;
}

/**
 * Checks a Groth16 proof under a snarkjs verification key.
 * @param publicSignals canonical decimals, one per IC point after the first
 * @returns whether the pairing equation holds (false for a key/signal count mismatch)
 */
export function verifyGroth16Noble(vkey: Record<string, unknown>, publicSignals: readonly string[], proof: NonNullable<Receipt['proof']>): boolean {
  const key = prepare(vkey);
  if (publicSignals.length !== key.ic.length - 1) return false;
  // Public signals are mostly small signed integers (x < 0 encoded as p − |x|): each is
  // taken as ±|x| with the point negated, so the bucket method below only walks the bits
  // the largest magnitude has. Wide signals (the context, commitments) take one multiply each.
  const smallPoints: G1[] = [];
  const smallScalars: bigint[] = [];
  let vkX = key.ic[0]!;
  publicSignals.forEach((s, j) => {
    const x = BigInt(s);
    if (x === 0n) return;
    const point = key.ic[j + 1]!;
    const negative = x > HALF_ORDER;
    const magnitude = negative ? ORDER - x : x;
    if (magnitude >> SMALL_BITS === 0n) {
      smallPoints.push(negative ? point.negate() : point);
      smallScalars.push(magnitude);
    } else {
      vkX = vkX.add(point.multiplyUnsafe(x));
    }
  });
  if (smallPoints.length > 0) vkX = vkX.add(smallMsm(smallPoints, smallScalars));
  const product = bn254.pairingBatch([
    { g1: g1(proof.pi_a).negate(), g2: g2(proof.pi_b) },
    { g1: key.alpha, g2: key.beta },
    { g1: vkX, g2: key.gamma },
    { g1: g1(proof.pi_c), g2: key.delta },
  ]);
  return bn254.fields.Fp12.eql(product, bn254.fields.Fp12.ONE);
}
