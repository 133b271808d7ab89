/**
 * The parts of the wasm Groth16 check that replace the curve's own routines, each against
 * an independent computation: G2 membership (Dai–Lin–Zhao–Zhou's test) against
 * [r]B = O on points of G2 and of the twist outside it, and its exactness for BN254 part by
 * part of the twist's group; ψ against its characteristic polynomial and noble's G2 arithmetic; the shared Miller loop against the product of the curve's separate loops, and
 * the fixed-base tables against the curve's own scalar multiplication.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bn254 } from '@noble/curves/bn254.js';
import { sharedCurve, releaseCurve } from '../../src/shared/curve.js';
import { FIELD_MODULUS } from '../../src/shared/field.js';
import { g2InSubgroup } from '../../src/verify/groth16-wasm.js';
import { BASE_FIELD_MODULUS, psi, BN_U, inG2 } from '../../src/verify/points.js';
import { multiMillerLoop } from '../../src/verify/wasm-miller.js';
import { addFixedBase, fixedBaseTable } from '../../src/verify/wasm-fixed-base.js';
import type { WasmCurve } from '../../src/verify/wasm-curve.js';

const Fp2 = bn254.fields.Fp2;
const G2 = bn254.G2.Point;
type Fp2E = { c0: bigint; c1: bigint };
const SIX_U_SQUARED = 6n * BN_U * BN_U;
const TRACE = SIX_U_SQUARED + 1n;

let curve: WasmCurve;
beforeAll(async () => {
  curve = await sharedCurve<WasmCurve>();
}, 60_000);
afterAll(releaseCurve);

/** Points of the twist y² = x³ + b' (by increasing x from a seed), almost all outside G2 (the cofactor is ~2^254). */
function twistPoints(count: number, seed: bigint): Array<{ x: Fp2E; y: Fp2E }> {
  const b = G2.CURVE().b;
  const out: Array<{ x: Fp2E; y: Fp2E }> = [];
  let x = Fp2.create({ c0: seed, c1: seed * 3n + 1n });
  while (out.length < count) {
    try {
      out.push({ x, y: Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), b)) });
    } catch {
      // x³ + b' is not a square: no point with this x
    }
    x = Fp2.add(x, Fp2.ONE);
  }
  return out;
}
const proofWithB = (p: { x: Fp2E; y: Fp2E }) =>
  ({
    pi_a: ['1', '2', '1'],
    pi_b: [
      [p.x.c0.toString(), p.x.c1.toString()],
      [p.y.c0.toString(), p.y.c1.toString()],
      ['1', '0'],
    ],
    pi_c: ['1', '2', '1'],
    protocol: 'groth16',
    curve: 'bn128',
  }) as never;
/** [r]B = O in the curve's wasm: the definition of membership, as the check before this one did it. */
function timesOrderIsZero(p: { x: Fp2E; y: Fp2E }): boolean {
  const bytes = new Uint8Array(32);
  for (let i = 0, v = FIELD_MODULUS; i < 32; i++, v >>= 8n) bytes[i] = Number(v & 0xffn);
  const point = curve.G2.fromObject([
    [p.x.c0, p.x.c1],
    [p.y.c0, p.y.c1],
    [1n, 0n],
  ]);
  return curve.G2.isZero(curve.G2.timesScalar(point, bytes));
}
type G2P = InstanceType<typeof G2>;
const affine = (P: G2P) => P.toAffine() as { x: Fp2E; y: Fp2E };
/** [k]P for any k ≥ 0 by double-and-add (noble's multiply takes scalars below r only). */
function mul(P: G2P, k: bigint): G2P {
  let acc = G2.ZERO;
  for (const bit of k.toString(2)) {
    acc = acc.double();
    if (bit === '1') acc = acc.add(P);
  }
  return acc;
}
/** Miller–Rabin with the first 24 primes as bases. */
function isProbablePrime(n: bigint): boolean {
  const pow = (b: bigint, e: bigint) => {
    let r = 1n;
    for (b %= n; e > 0n; e >>= 1n, b = (b * b) % n) if (e & 1n) r = (r * b) % n;
    return r;
  };
  let d = n - 1n;
  let s = 0;
  for (; (d & 1n) === 0n; d >>= 1n) s++;
  for (const a of [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n, 43n, 47n, 53n, 59n, 61n, 67n, 71n, 73n, 79n, 83n, 89n]) {
    if (a % n === 0n) continue;
    let x = pow(a, d);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let i = 1; i < s && composite; i++) if ((x = (x * x) % n) === n - 1n) composite = false;
    if (composite) return false;
  }
  return true;
}
/** The cofactor of G2 in E'(F_p²): #E'(F_p²) = r · (2p − r). */
const COFACTOR = 2n * BASE_FIELD_MODULUS - FIELD_MODULUS;

describe('G2 membership by the endomorphism ψ', () => {
  it('BN254 is the BN curve of u: p − r = 6u² = t − 1', () => {
    const u = BN_U;
    expect(BASE_FIELD_MODULUS).toBe(36n * u ** 4n + 36n * u ** 3n + 24n * u ** 2n + 6n * u + 1n);
    expect(FIELD_MODULUS).toBe(36n * u ** 4n + 36n * u ** 3n + 18n * u ** 2n + 6n * u + 1n);
    expect(SIX_U_SQUARED).toBe(BASE_FIELD_MODULUS - FIELD_MODULUS);
    expect(SIX_U_SQUARED).toBe(TRACE - 1n);
    expect(BASE_FIELD_MODULUS + 1n - TRACE).toBe(FIELD_MODULUS); // #E(F_p) = r
  });

  it('ψ is the twisted Frobenius: ψ² − tψ + p = 0 on points outside G2, and ψ = [p] on G2', () => {
    for (const p of twistPoints(3, 11n)) {
      const P = G2.fromAffine(p);
      const q1 = psi(p.x, p.y);
      const q2 = psi(q1.x, q1.y);
      expect(mul(P, FIELD_MODULUS).is0()).toBe(false);
      expect(mul(P, FIELD_MODULUS * COFACTOR).is0()).toBe(true);
      expect(
        G2.fromAffine(q2)
          .subtract(mul(G2.fromAffine(q1), TRACE))
          .add(mul(P, BASE_FIELD_MODULUS))
          .is0(),
      ).toBe(true);
    }
    const Q = G2.BASE.multiply(123456789n);
    const image = psi(affine(Q).x, affine(Q).y);
    expect(G2.fromAffine(image).equals(mul(Q, BASE_FIELD_MODULUS))).toBe(true);
  });

  it('accepts points of G2 (the wasm test and the noble one)', () => {
    for (const k of [1n, 2n, 987654321n, FIELD_MODULUS - 1n, 2n ** 200n + 12345n]) {
      const p = affine(G2.BASE.multiply(k));
      expect(g2InSubgroup(curve, proofWithB(p))).toBe(true);
      expect(inG2(G2.fromAffine(p))).toBe(true);
      expect(timesOrderIsZero(p)).toBe(true);
    }
  });

  it('refuses points of the twist outside G2 (both tests), as [r]B = O does (and the cofactor-cleared ones pass)', () => {
    const points = twistPoints(8, 5n);
    for (const p of points) {
      expect(timesOrderIsZero(p)).toBe(false);
      expect(g2InSubgroup(curve, proofWithB(p))).toBe(false);
      expect(inG2(G2.fromAffine(p))).toBe(false);
      // the same point with the cofactor cleared is in G2
      const cleared = mul(G2.fromAffine(p), COFACTOR);
      expect(g2InSubgroup(curve, proofWithB(affine(cleared)))).toBe(true);
    }
  });

  it('refuses a point of G2 plus a point whose order divides the cofactor', () => {
    // [r]P for a point P of the twist: its order divides the cofactor
    const outside = mul(G2.fromAffine(twistPoints(1, 17n)[0]!), FIELD_MODULUS);
    expect(outside.is0()).toBe(false);
    expect(mul(outside, COFACTOR).is0()).toBe(true);
    const mixed = affine(G2.BASE.multiply(42n).add(outside));
    expect(timesOrderIsZero(mixed)).toBe(false);
    expect(g2InSubgroup(curve, proofWithB(mixed))).toBe(false);
  });
  it("is exact for BN254: α = (u + 1) + uψ + uψ² − 2uψ³ vanishes on G2 and on no other part of E'(F_p²)", () => {
    // the conditions on u under which Dai, Lin, Zhao and Zhou prove the test for BN curves
    expect(BN_U % 13n).not.toBe(4n);
    expect(BN_U % 97n).not.toBe(92n);
    // the cofactor's factorization: every factor prime (Miller–Rabin, 24 fixed bases) and to the first power, r not among them
    const factors = [10069n, 5864401n, 1875725156269n, 197620364512881247228717050342013327560683201906968909n];
    expect(factors.reduce((a, b) => a * b, 1n)).toBe(COFACTOR);
    for (const l of factors) {
      expect(isProbablePrime(l), `${l}`).toBe(true);
      expect(COFACTOR % (l * l)).not.toBe(0n);
    }
    expect(COFACTOR % FIELD_MODULUS).not.toBe(0n);
    const alpha = (P: G2P): G2P => {
      const image = (Q: G2P) => (Q.is0() ? Q : G2.fromAffine(psi(affine(Q).x, affine(Q).y)));
      const uP = mul(P, BN_U);
      const p1 = image(uP);
      const p2 = image(p1);
      const p3 = image(image(image(uP.double())));
      return P.add(uP).add(p1).add(p2).subtract(p3);
    };
    // on G2 it is zero (ψ = [p] there, and (u + 1) + up + up² − 2up³ ≡ 0 mod r)
    const p = BASE_FIELD_MODULUS;
    expect((BN_U + 1n + BN_U * p + BN_U * p * p - 2n * BN_U * p ** 3n) % FIELD_MODULUS).toBe(0n);
    expect(alpha(G2.BASE.multiply(31337n)).is0()).toBe(true);
    // on the part of order l (cyclic: the group's order r·c is square-free) it is a non-zero constant
    const order = FIELD_MODULUS * COFACTOR;
    for (const l of factors) {
      let found = false;
      for (const start of twistPoints(4, 100n + (l % 1000n))) {
        const Q = mul(G2.fromAffine(start), order / l);
        if (Q.is0()) continue;
        expect(mul(Q, l).is0()).toBe(true);
        expect(alpha(Q).is0(), `l = ${l}`).toBe(false);
        // and the wasm test refuses a point of G2 shifted by it
        const shifted = affine(G2.BASE.multiply(99n).add(Q));
        expect(g2InSubgroup(curve, proofWithB(shifted))).toBe(false);
        expect(inG2(G2.fromAffine(shifted))).toBe(false);
        found = true;
        break;
      }
      expect(found, `a point of order ${l}`).toBe(true);
    }
  });
});

/** The curve's bytes of a Jacobian G1 point [k]·G (the generator), for the wasm routines. */
const g1Times = (k: bigint) => curve.G1.timesScalar(curve.G1.fromObject([1n, 2n, 1n]), k);

/** The curve's bytes of a Jacobian G2 point [k]·H (fromObject gives affine bytes; the wasm routines read Jacobian ones). */
const g2Bytes = (k: bigint) => {
  const q = affine(G2.BASE.multiply(k));
  return curve.G2.toJacobian(
    curve.G2.fromObject([
      [q.x.c0, q.x.c1],
      [q.y.c0, q.y.c1],
      [1n, 0n],
    ]),
  );
};

describe('the shared Miller loop', () => {
  it('with the final exponentiation, decides e(aG, bH) · e(−cG, H) = 1 exactly when c = ab', () => {
    const { tm } = curve;
    const x = tm.instance.exports;
    const [a, b] = [123456789n, FIELD_MODULUS - 987654321n];
    for (const c of [(a * b) % FIELD_MODULUS, (a * b + 1n) % FIELD_MODULUS]) {
      const points = [
        [g1Times(a), g2Bytes(b)],
        [curve.G1.neg(g1Times(c)), g2Bytes(1n)],
      ];
      tm.startSyncOp();
      try {
        const pairs = points.map(([p, q]) => {
          const preP = tm.alloc(curve.prePSize);
          const preQ = tm.alloc(curve.preQSize);
          x.bn128_prepareG1!(tm.allocBuff(p!), preP);
          x.bn128_prepareG2!(tm.allocBuff(q!), preQ);
          return [preP, preQ] as const;
        });
        const f = tm.alloc(curve.Gt.n8);
        multiMillerLoop(curve, pairs, f);
        x.bn128_finalExponentiation!(f, f);
        expect(x.ftm_isOne!(f)).toBe(c === (a * b) % FIELD_MODULUS ? 1 : 0);
      } finally {
        tm.endSyncOp();
      }
    }
  });

  it('equals the product of the separate Miller loops, bit for bit', () => {
    const { tm } = curve;
    const x = tm.instance.exports;
    const pairs = [
      [g1Times(3n), g2Bytes(5n)],
      [g1Times(FIELD_MODULUS - 7n), g2Bytes(11n)],
      [g1Times(2n ** 130n + 1n), g2Bytes(FIELD_MODULUS - 2n)],
    ] as const;
    for (const count of [1, 2, 3]) {
      tm.startSyncOp();
      try {
        const prepared = pairs.slice(0, count).map(([p, q]) => {
          const preP = tm.alloc(curve.prePSize);
          const preQ = tm.alloc(curve.preQSize);
          x.bn128_prepareG1!(tm.allocBuff(p), preP);
          x.bn128_prepareG2!(tm.allocBuff(q), preQ);
          return [preP, preQ] as const;
        });
        const shared = tm.alloc(curve.Gt.n8);
        multiMillerLoop(curve, prepared, shared);
        const product = tm.alloc(curve.Gt.n8);
        const one = tm.alloc(curve.Gt.n8);
        x.ftm_one!(product);
        for (const [preP, preQ] of prepared) {
          x.bn128_millerLoop!(preP, preQ, one);
          x.ftm_mul!(product, one, product);
        }
        expect(x.ftm_isOne!(shared)).toBe(0);
        expect(x.ftm_eq!(shared, product)).toBe(1);
      } finally {
        tm.endSyncOp();
      }
    }
  });
});

describe('fixed-base tables', () => {
  it('[s]P from the table equals the curve’s double-and-add, for scalars with zero and full digits', () => {
    const P = curve.G1.toAffine(g1Times(987654321987654321n));
    const table = fixedBaseTable(curve, P);
    const scalars = [1n, 15n, 16n, 0x10000n, FIELD_MODULUS - 1n, 2n ** 253n, (2n ** 252n - 1n) * 3n, BigInt('0x' + 'f'.repeat(63)), 0xf0f0f00000000000000000000000f0f0f0fn];
    for (const s of scalars) {
      const { tm } = curve;
      tm.startSyncOp();
      let got: Uint8Array;
      try {
        const acc = tm.allocBuff(g1Times(5n)); // a non-zero start: the sum is added to it
        addFixedBase(curve, acc, table, s);
        got = tm.getBuff(acc, curve.G1.F.n8 * 3);
      } finally {
        tm.endSyncOp();
      }
      const expected = curve.G1.add(g1Times(5n), curve.G1.timesScalar(P, s));
      expect(curve.G1.eq(got, expected), `s = ${s}`).toBe(true);
    }
  });

  it('adding [0]P leaves the accumulator, and [s]P + [−s]P is the point at infinity', () => {
    const P = curve.G1.toAffine(g1Times(77n));
    const table = fixedBaseTable(curve, P);
    const { tm } = curve;
    tm.startSyncOp();
    try {
      const acc = tm.allocBuff(g1Times(9n));
      addFixedBase(curve, acc, table, 0n);
      expect(curve.G1.eq(tm.getBuff(acc, 96), g1Times(9n))).toBe(true);
      const zero = tm.allocBuff(curve.G1.timesScalar(P, 123456789n));
      addFixedBase(curve, zero, table, FIELD_MODULUS - 123456789n);
      expect(curve.G1.isZero(tm.getBuff(zero, 96))).toBe(true);
    } finally {
      tm.endSyncOp();
    }
  });
});
