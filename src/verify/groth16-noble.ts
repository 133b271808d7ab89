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
import { pippenger } from '@noble/curves/abstract/curve.js';
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

const prepared = new WeakMap<object, PreparedKey>();
const g1 = (p: Affine1): G1 => bn254.G1.Point.fromAffine({ x: BigInt(p[0]), y: BigInt(p[1]) });
const g2 = (p: Affine2): G2 =>
  bn254.G2.Point.fromAffine({ x: { c0: BigInt(p[0][0]), c1: BigInt(p[0][1]) }, y: { c0: BigInt(p[1][0]), c1: BigInt(p[1][1]) } });

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
  const points: G1[] = [];
  const scalars: bigint[] = [];
  publicSignals.forEach((s, j) => {
    const x = BigInt(s);
    if (x !== 0n) {
      points.push(key.ic[j + 1]!);
      scalars.push(x);
    }
  });
  const vkX = points.length > 0 ? key.ic[0]!.add(pippenger(bn254.G1.Point, points, scalars)) : key.ic[0]!;
  const product = bn254.pairingBatch([
    { g1: g1(proof.pi_a).negate(), g2: g2(proof.pi_b) },
    { g1: key.alpha, g2: key.beta },
    { g1: vkX, g2: key.gamma },
    { g1: g1(proof.pi_c), g2: key.delta },
  ]);
  return bn254.fields.Fp12.eql(product, bn254.fields.Fp12.ONE);
}
