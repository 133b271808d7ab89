/**
 * Checks of a Groth16 proof's points before any pairing: every coordinate a canonical
 * element of the BN254 base field (below its modulus q — a coordinate written as x + q
 * names the same point and would give one proof several spellings), every point on its
 * curve, not the point at infinity, and B in G2's prime-order subgroup (G2's cofactor is
 * not 1: a point of the twist outside the subgroup makes the pairing meaningless). G1 has
 * cofactor 1, so on-curve is enough there. Done with @noble/curves, independently of the
 * snarkjs code that runs the pairing check.
 */
import { bn254 } from '@noble/curves/bn254.js';
import type { Receipt } from '../shared/receipt.js';

/** The BN254 base field modulus q (coordinates of curve points). */
export const BASE_FIELD_MODULUS = bn254.fields.Fp.ORDER;
const Fp2 = bn254.fields.Fp2;

type Proof = NonNullable<Receipt['proof']>;

function coordinate(value: string, where: string): bigint | string {
  const v = BigInt(value);
  return v < BASE_FIELD_MODULUS ? v : `${where} is not a canonical base-field element (≥ q)`;
}

/** Whether an affine point of the twist satisfies its curve equation y² = x³ + b'. */
function onTwist(x: { c0: bigint; c1: bigint }, y: { c0: bigint; c1: bigint }): boolean {
  return Fp2.eql(Fp2.sqr(y), Fp2.add(Fp2.mul(Fp2.sqr(x), x), bn254.G2.Point.CURVE().b));
}

/** The BN parameter u of BN254 (p and r are polynomials in u). */
export const BN_U = 4965661367192848881n;

/** ξ = 9 + i, the non-residue of the twist E': y² = x³ + 3/ξ. */
const XI = Fp2.create({ c0: 9n, c1: 1n });
let psiGammas: { x: { c0: bigint; c1: bigint }; y: { c0: bigint; c1: bigint } } | undefined;
/** ψ's constants ξ^((p−1)/3) and ξ^((p−1)/2) (computed on first use). */
export function psiConstants(): { x: { c0: bigint; c1: bigint }; y: { c0: bigint; c1: bigint } } {
  return (psiGammas ??= { x: Fp2.pow(XI, (BASE_FIELD_MODULUS - 1n) / 3n), y: Fp2.pow(XI, (BASE_FIELD_MODULUS - 1n) / 2n) });
}
const conjugate = (a: { c0: bigint; c1: bigint }) => Fp2.create({ c0: a.c0, c1: bn254.fields.Fp.neg(a.c1) });

/**
 * The endomorphism ψ of the twist (untwist, p-power Frobenius, twist) on an affine point:
 * ψ(x, y) = (x̄ · ξ^((p−1)/3), ȳ · ξ^((p−1)/2)), with ā the conjugate in F_p² (the p-power
 * Frobenius). On all of E'(F_p²) it satisfies ψ² − tψ + p = 0, t = 6u² + 1 the trace.
 */
export function psi(x: { c0: bigint; c1: bigint }, y: { c0: bigint; c1: bigint }): { x: { c0: bigint; c1: bigint }; y: { c0: bigint; c1: bigint } } {
  const c = psiConstants();
  return { x: Fp2.mul(conjugate(x), c.x), y: Fp2.mul(conjugate(y), c.y) };
}

type G2Point = InstanceType<typeof bn254.G2.Point>;
/** ψ on noble's projective coordinates: (X̄ · γx, Ȳ · γy, Z̄), conjugation being a field automorphism. */
function psiProjective(P: G2Point): G2Point {
  const c = psiConstants();
  return new bn254.G2.Point(Fp2.mul(conjugate(P.X), c.x), Fp2.mul(conjugate(P.Y), c.y), conjugate(P.Z));
}

/**
 * Whether a point of the twist E'(F_p²) lies in G2: [u + 1]P + ψ([u]P) + ψ²([u]P) = ψ³([2u]P)
 * (Dai, Lin, Zhao and Zhou, 2022; why it is exact for BN254 is in ./wasm-g2-subgroup.ts,
 * which runs the same test in WebAssembly). A 63-bit multiplication, where noble's own check
 * (ψ(P) = [6u²]P) multiplies by 127 bits.
 */
export function inG2(P: G2Point): boolean {
  const uP = P.multiplyUnsafe(BN_U);
  const psiUP = psiProjective(uP);
  const lhs = uP.add(P).add(psiUP).add(psiProjective(psiUP));
  return lhs.equals(psiProjective(psiProjective(psiProjective(uP.double()))));
}

/** The problem line for a B outside G2's prime-order subgroup. */
export const G2_SUBGROUP_PROBLEM = 'pi_b is not in the prime-order subgroup of G2';

/**
 * Checks a proof's points.
 * @param options.g2Subgroup whether to check B's subgroup membership here (default true);
 *   false only for a caller that checks it itself (./groth16-wasm.ts does, in WebAssembly,
 *   ~10× faster than the BigInt check here, ./wasm-g2-subgroup.ts), reporting {@link G2_SUBGROUP_PROBLEM}
 * @returns the first problem as one line, or undefined when the points are valid
 */
export function checkProofPoints(proof: Proof, options: { g2Subgroup?: boolean } = {}): string | undefined {
  const g1 = (name: 'pi_a' | 'pi_c'): string | undefined => {
    const p = proof[name];
    const x = coordinate(p[0], `${name}.x`);
    if (typeof x === 'string') return x;
    const y = coordinate(p[1], `${name}.y`);
    if (typeof y === 'string') return y;
    try {
      const point = bn254.G1.Point.fromAffine({ x, y });
      if (point.is0()) return `${name} is the point at infinity`;
      point.assertValidity();
    } catch {
      return `${name} is not a point of G1`;
    }
    return undefined;
  };
  const bad = g1('pi_a') ?? g1('pi_c');
  if (bad) return bad;
  const b = proof.pi_b;
  const parts: bigint[] = [];
  for (const [i, j, name] of [
    [0, 0, 'pi_b.x.c0'],
    [0, 1, 'pi_b.x.c1'],
    [1, 0, 'pi_b.y.c0'],
    [1, 1, 'pi_b.y.c1'],
  ] as const) {
    const v = coordinate(b[i][j], name);
    if (typeof v === 'string') return v;
    parts.push(v);
  }
  const x = { c0: parts[0]!, c1: parts[1]! };
  const y = { c0: parts[2]!, c1: parts[3]! };
  // (0, 0) is how the point at infinity is written in affine form; it is not on the twist
  if (x.c0 === 0n && x.c1 === 0n && y.c0 === 0n && y.c1 === 0n) return 'pi_b is the point at infinity';
  if (!onTwist(x, y)) return 'pi_b is not a point of G2';
  if (options.g2Subgroup !== false && !inG2(bn254.G2.Point.fromAffine({ x, y }))) return G2_SUBGROUP_PROBLEM;
  return undefined;
}
