/**
 * Membership of G2 (the order-r subgroup of the twist E'(F_p²)) for a proof's B, on
 * ffjavascript's BN254 curve, by the test of Dai, Lin, Zhao and Zhou ("Fast subgroup
 * membership testings for G1, G2 and GT on pairing-friendly curves", 2022, ePrint 2022/348,
 * for BN curves whose u ≢ 4 mod 13 and u ≢ 92 mod 97, as BN254's):
 *
 *   B ∈ G2  ⇔  [u + 1]B + ψ([u]B) + ψ²([u]B) = ψ³([2u]B)
 *
 * with u = 4965661367192848881 the BN parameter and ψ the twisted Frobenius (./points.ts):
 * one 63-bit multiplication, a doubling, four additions and a few conjugations, where
 * [r]B = O costs a 254-bit multiplication and the test ψ(B) = [6u²]B of El Housni,
 * Guillevic and Piellard ("Co-factor clearing and subgroup membership testing on
 * pairing-friendly curves", AFRICACRYPT 2022) a 127-bit one.
 *
 * Why it is exact for BN254, not only for the family: α = (u + 1) + uψ + uψ² − 2uψ³ is an
 * endomorphism of E'(F_p²) defined over F_p². #E'(F_p²) = r · c with the cofactor
 * c = 2p − r = 10069 · 5864401 · 1875725156269 · 197620364512881247228717050342013327560683201906968909,
 * all prime and r ∤ c: the order is square-free, so E'(F_p²) is cyclic and α acts on each
 * prime-order part as multiplication by a constant. On G2, ψ = [p] and α ≡ (u + 1) + up + up²
 * − 2up³ ≡ 0 (mod r). On each part of order ℓ | c, α is not zero: the test suite checks the
 * factorization and α(Q) ≠ O for a point Q of order ℓ, for each ℓ. So ker α = G2.
 */
import type { Receipt } from '../shared/receipt.js';
import { BN_U, psiConstants } from './points.js';
import type { WasmCurve } from './wasm-curve.js';

const U_LE = new Uint8Array(8);
for (let i = 0, v = BN_U; i < 8; i++, v >>= 8n) U_LE[i] = Number(v & 0xffn);

/** ξ^((p−1)/3) and ξ^((p−1)/2) in the curve's internal form, per curve. */
const constants = new WeakMap<WasmCurve, Uint8Array>();

/**
 * Whether B, an affine point of the twist (canonical coordinates, on the curve: checked by
 * checkProofPoints), is in G2.
 */
export function g2InSubgroup(curve: WasmCurve, proof: NonNullable<Receipt['proof']>): boolean {
  const { tm } = curve;
  const x = tm.instance.exports;
  const f2 = curve.G2.F.n8; // 64 bytes an F_p² element
  const jac = 3 * f2;
  let gammas = constants.get(curve);
  if (!gammas) {
    const c = psiConstants();
    gammas = new Uint8Array(2 * f2);
    gammas.set(curve.G2.F.fromObject([c.x.c0, c.x.c1]), 0);
    gammas.set(curve.G2.F.fromObject([c.y.c0, c.y.c1]), f2);
    constants.set(curve, gammas);
  }
  const b = proof.pi_b;
  const affine = curve.G2.fromObject([
    [BigInt(b[0][0]), BigInt(b[0][1])],
    [BigInt(b[1][0]), BigInt(b[1][1])],
  ]);
  tm.startSyncOp();
  try {
    const g = tm.allocBuff(gammas);
    /** ψ on Jacobian coordinates: (X̄ · γx, Ȳ · γy, Z̄), since conjugation is a field automorphism. */
    const psiJ = (src: number, dst: number) => {
      x.f2m_conjugate!(src, dst);
      x.f2m_mul!(dst, g, dst);
      x.f2m_conjugate!(src + f2, dst + f2);
      x.f2m_mul!(dst + f2, g + f2, dst + f2);
      x.f2m_conjugate!(src + 2 * f2, dst + 2 * f2);
    };
    const pB = tm.allocBuff(affine);
    const u = tm.allocBuff(U_LE);
    const uB = tm.alloc(jac);
    const lhs = tm.alloc(jac);
    const t = tm.alloc(jac);
    const rhs = tm.alloc(jac);
    x.g2m_timesScalarAffine!(pB, u, U_LE.length, uB); // [u]B
    x.g2m_addMixed!(uB, pB, lhs); // [u + 1]B
    psiJ(uB, t); // ψ([u]B)
    x.g2m_add!(lhs, t, lhs);
    psiJ(t, rhs); // ψ²([u]B)
    x.g2m_add!(lhs, rhs, lhs);
    x.g2m_double!(uB, t); // [2u]B
    psiJ(t, rhs);
    psiJ(rhs, t);
    psiJ(t, rhs); // ψ³([2u]B)
    return x.g2m_eq!(lhs, rhs) !== 0;
  } finally {
    tm.endSyncOp();
  }
}
