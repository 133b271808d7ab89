/**
 * The WebAssembly module of the Poseidon hash outside the circuit (./poseidon.ts has the
 * scheme, the constants and the measurements): a BN254 scalar field in Montgomery form with
 * 8 limbs of 32 bits — `dot` (a sum of products with one reduction), `mul`, `add`, `dot2`
 * (two `dot`s in SIMD lanes), `pow5` — and `permute`, the whole permutation in one call.
 */
import { FIELD_MODULUS } from './field.js';
import { I32, I64, op, section, simd, uleb, V128, vec } from './wasm-encoder.js';

const P = FIELD_MODULUS;
export const LIMBS = 8;
export const BYTES = 32;
export const MASK32 = 0xffffffffn;
const limbsOf = (v: bigint) => Array.from({ length: LIMBS }, (_, i) => (v >> BigInt(32 * i)) & MASK32);
const P_LIMBS = limbsOf(P);
/** −p⁻¹ mod 2^32, Montgomery's constant for 32-bit limbs. */
const NP = (() => {
  let inv = 1n; // Newton's iteration for p⁻¹ mod 2^32
  for (let i = 0; i < 5; i++) inv = (inv * (2n - P * inv)) & MASK32;
  return (1n << 32n) - inv;
})();

/** Full rounds of every width (circomlib's). */
export const N_ROUNDS_F = 8;

/**
 * Partial rounds per block (`permute`): the sₖ are updated once per block. Measured on a
 * 15-input hash against one update per round (CPU time, same process): 4 → −13%, 6 → −14%,
 * 8 → −14%, and 6 or 8 slow the narrow widths a little; at most 6 keeps `dot` within 22 terms.
 */
export const PARTIAL_BLOCK = 4;

/**
 * The final reduction shared by both functions: while the 9-limb value in locals
 * `limb(0..7)` and `top` is ≥ p, subtract p (limbs are 32-bit, `top` is the overflow).
 */
function reduceLoop(limb: (l: number) => number, top: number, q: (l: number) => number, d: number, borrow: number): number[] {
  const code: number[] = [...op.block, ...op.loop];
  // Below p for certain when nothing overflows and the top limb is below p's.
  code.push(...op.get(top), ...op.i64eqz, ...op.get(limb(LIMBS - 1)), ...op.i64(P_LIMBS[LIMBS - 1]!), ...op.i64ltU, ...op.i32and, ...op.brIf(1));
  code.push(...op.i64(0n), ...op.set(borrow));
  for (let l = 0; l < LIMBS; l++) {
    code.push(...op.get(limb(l)), ...op.i64(P_LIMBS[l]!), ...op.i64sub, ...op.get(borrow), ...op.i64sub, ...op.tee(d));
    code.push(...op.i64(MASK32), ...op.i64and, ...op.set(q(l)));
    code.push(...op.get(d), ...op.i64(63n), ...op.i64shrU, ...op.set(borrow));
  }
  code.push(...op.get(top), ...op.get(borrow), ...op.i64sub, ...op.tee(d));
  code.push(...op.i64(63n), ...op.i64shrU, ...op.wrap, ...op.brIf(1)); // negative: the value was below p
  for (let l = 0; l < LIMBS; l++) code.push(...op.get(q(l)), ...op.set(limb(l)));
  code.push(...op.get(d), ...op.set(top), ...op.br(0), ...op.end, ...op.end);
  return code;
}

/**
 * `dot(pa, pb, n, pc, pr)`: r = (Σ_{j<n} aⱼ·bⱼ + c·R)·R⁻¹ mod p, fully reduced, with aⱼ at
 * pa + 32j, bⱼ at pb + 32j, c at pc (none when pc = 0); n ≥ 1. Every operand below p and
 * n ≤ 22 keep the sum below 2^512 (22·p² + p·R < 2^512) and the result below 23p; `permute`
 * uses n ≤ 16 + PARTIAL_BLOCK. r may alias any operand.
 *
 * Product scanning with the reduction interleaved (Koç, Acar and Kaliski's FIPS ordering):
 * column k of the 512-bit sum collects every aⱼ[i]·bⱼ[k−i] of every term and the mᵢ·p[k−i]
 * of the reduction, in two accumulators (c0 the products' low words and the carry in, c1
 * their high words), so that only two accumulators and the eight mᵢ stay live.
 */
function dotFunction(single: boolean): number[] {
  const [pa, pb, n, pc, pr] = [0, 1, 2, 3, 4];
  let next = 5;
  const [qa, qb, j] = [next++, next++, next++];
  const i32Locals = next - 5;
  // One term (a product): its limbs are loaded once into locals, and there is no loop.
  const x = Array.from({ length: LIMBS }, () => next++);
  const y = Array.from({ length: LIMBS }, () => next++);
  const m = Array.from({ length: LIMBS }, () => next++);
  const r = Array.from({ length: LIMBS }, () => next++);
  const q = Array.from({ length: LIMBS }, () => next++);
  const [c0, c1, d, borrow] = [next++, next++, next++, next++];
  const i64Locals = next - 5 - i32Locals;
  /**
   * The column's sum is c0 + c1·2^32: c0 += (product mod 2^32), c1 += ⌊product / 2^32⌋. Two
   * independent one-add chains: the one chain of `c0 = (c0 mod 2^32) + product; c1 += c0 >> 32`
   * cost two dependent operations per product (mul measured 158 → 137 ns).
   */
  const accumulate = () => [
    ...op.tee(d),
    ...op.i64(MASK32),
    ...op.i64and,
    ...op.get(c0),
    ...op.i64add,
    ...op.set(c0),
    ...op.get(d),
    ...op.i64(32n),
    ...op.i64shrU,
    ...op.get(c1),
    ...op.i64add,
    ...op.set(c1),
  ];
  /** c0 += (a 32-bit word on the stack). */
  const accumulateWord = () => [...op.get(c0), ...op.i64add, ...op.set(c0)];
  const code: number[] = [...op.i64(0n), ...op.set(c0), ...op.i64(0n), ...op.set(c1)];
  for (let k = 0; k < 16; k++) {
    const lo = Math.max(0, k - 7);
    const hi = Math.min(k, 7);
    if (single) {
      for (let i = lo; i <= hi; i++) {
        code.push(...(k === i ? [...op.get(pa), ...op.load32u(4 * i), ...op.tee(x[i]!)] : op.get(x[i]!)));
        code.push(...(i === 0 ? [...op.get(pb), ...op.load32u(4 * k), ...op.tee(y[k]!)] : op.get(y[k - i]!)), ...op.i64mul, ...accumulate());
      }
    } else {
      code.push(...op.get(pa), ...op.set(qa), ...op.get(pb), ...op.set(qb), ...op.get(n), ...op.set(j), ...op.loop);
      for (let i = lo; i <= hi; i++) code.push(...op.get(qa), ...op.load32u(4 * i), ...op.get(qb), ...op.load32u(4 * (k - i)), ...op.i64mul, ...accumulate());
      code.push(...op.get(qa), ...op.i32(BYTES), ...op.i32add, ...op.set(qa));
      code.push(...op.get(qb), ...op.i32(BYTES), ...op.i32add, ...op.set(qb));
      code.push(...op.get(j), ...op.i32(1), ...op.i32sub, ...op.tee(j), ...op.brIf(0), ...op.end);
    }
    for (let i = lo; i <= Math.min(k - 1, 7); i++) code.push(...op.get(m[i]!), ...op.i64(P_LIMBS[k - i]!), ...op.i64mul, ...accumulate());
    if (k >= 8) {
      code.push(...op.get(pc), ...op.i32eqz, ...op.i32eqz, ...op.if, ...op.get(pc), ...op.load32u(4 * (k - 8)), ...accumulateWord(), ...op.end);
      code.push(...op.get(c0), ...op.i64(MASK32), ...op.i64and, ...op.set(r[k - 8]!));
    } else {
      code.push(...op.get(c0), ...op.i64(NP), ...op.i64mul, ...op.i64(MASK32), ...op.i64and, ...op.set(m[k]!));
      code.push(...op.get(m[k]!), ...op.i64(P_LIMBS[0]!), ...op.i64mul, ...accumulate()); // the column's low word is now 0
    }
    // Next column: it starts from the carry ⌊c0 / 2^32⌋ + c1 (below 2^42: at most 17·8 + 8 + 1 words per column).
    code.push(...op.get(c0), ...op.i64(32n), ...op.i64shrU, ...op.get(c1), ...op.i64add, ...op.set(c0), ...op.i64(0n), ...op.set(c1));
  }
  code.push(
    ...reduceLoop(
      (l) => r[l]!,
      c0,
      (l) => q[l]!,
      d,
      borrow,
    ),
  );
  for (let l = 0; l < LIMBS; l++) code.push(...op.get(pr), ...op.get(r[l]!), ...op.store32(4 * l));
  const body = [
    ...vec([
      [...uleb(i32Locals), I32],
      [...uleb(i64Locals), I64],
    ]),
    ...code,
    ...op.end,
  ];
  return [...uleb(body.length), ...body];
}

/** `add(pa, pb, pr)`: r = a + b mod p (operands below p). */
function addFunction(): number[] {
  const [pa, pb, pr] = [0, 1, 2];
  let next = 3;
  const s = Array.from({ length: LIMBS }, () => next++);
  const q = Array.from({ length: LIMBS }, () => next++);
  const [c, d, borrow] = [next++, next++, next++];
  const code: number[] = [...op.i64(0n), ...op.set(c)];
  for (let l = 0; l < LIMBS; l++) {
    code.push(...op.get(pa), ...op.load32u(4 * l), ...op.get(pb), ...op.load32u(4 * l), ...op.i64add, ...op.get(c), ...op.i64add, ...op.tee(d));
    code.push(...op.i64(MASK32), ...op.i64and, ...op.set(s[l]!), ...op.get(d), ...op.i64(32n), ...op.i64shrU, ...op.set(c));
  }
  code.push(
    ...reduceLoop(
      (l) => s[l]!,
      c,
      (l) => q[l]!,
      d,
      borrow,
    ),
  );
  for (let l = 0; l < LIMBS; l++) code.push(...op.get(pr), ...op.get(s[l]!), ...op.store32(4 * l));
  const body = [...vec([[...uleb(next - 3), I64]]), ...code, ...op.end];
  return [...uleb(body.length), ...body];
}

/**
 * `dot2(pa, pb, n, pc0, pc1, pr0, pr1)`: two `dot`s that share their second operands, one in
 * each 64-bit lane of SIMD registers: r_h = (Σ_{j<n} a_hj·bⱼ + c_h·R)·R⁻¹ mod p for h = 0, 1,
 * with bⱼ at pb + 32j (as for `dot`), the two first operands interleaved word by word (term j,
 * limb l of lane h at pa + 64j + 8l + 4h: constants laid out once), the addends at pc0 and pc1
 * (none when pc0 = 0) and the results at pr0, pr1 (they may alias the addends).
 *
 * The same product scanning as `dot`, with i64x2.extmul_low_i32x4_u making both lanes'
 * products at once: a Poseidon matrix-vector product is rows of constants times one state,
 * so two rows share every load of the state and every instruction. The final subtractions
 * of p run per lane on scalars.
 */
function dot2Function(): number[] {
  const [pa, pb, n, pc0, pc1, pr0, pr1] = [0, 1, 2, 3, 4, 5, 6];
  let next = 7;
  const [qa, qb, j] = [next++, next++, next++];
  const i32Locals = next - 7;
  const r = [0, 1].map(() => Array.from({ length: LIMBS }, () => next++));
  const q = Array.from({ length: LIMBS }, () => next++);
  const [top0, top1, d, borrow] = [next++, next++, next++, next++];
  const i64Locals = next - 7 - i32Locals;
  const m = Array.from({ length: LIMBS }, () => next++);
  const [lo, hi, prod] = [next++, next++, next++];
  const v128Locals = next - 7 - i32Locals - i64Locals;
  const MASK = simd.const32([MASK32, 0n, MASK32, 0n]);
  const splat32 = (v: bigint) => simd.const32([v, v, v, v]);
  /** lo += prod mod 2^32, hi += ⌊prod / 2^32⌋ in each lane; the product is on the stack. */
  const accumulate = () => [
    ...op.tee(prod),
    ...MASK,
    ...simd.and,
    ...op.get(lo),
    ...simd.i64x2Add,
    ...op.set(lo),
    ...op.get(prod),
    ...op.i32(32),
    ...simd.i64x2ShrU,
    ...op.get(hi),
    ...simd.i64x2Add,
    ...op.set(hi),
  ];
  const zero = simd.const32([0n, 0n, 0n, 0n]);
  const code: number[] = [...zero, ...op.set(lo), ...zero, ...op.set(hi)];
  for (let k = 0; k < 16; k++) {
    const from = Math.max(0, k - 7);
    const to = Math.min(k, 7);
    code.push(...op.get(pa), ...op.set(qa), ...op.get(pb), ...op.set(qb), ...op.get(n), ...op.set(j), ...op.loop);
    for (let i = from; i <= to; i++) code.push(...op.get(qa), ...simd.load64Zero(8 * i), ...op.get(qb), ...simd.load32Splat(4 * (k - i)), ...simd.extmulLowU, ...accumulate());
    code.push(...op.get(qa), ...op.i32(2 * BYTES), ...op.i32add, ...op.set(qa));
    code.push(...op.get(qb), ...op.i32(BYTES), ...op.i32add, ...op.set(qb));
    code.push(...op.get(j), ...op.i32(1), ...op.i32sub, ...op.tee(j), ...op.brIf(0), ...op.end);
    for (let i = from; i <= Math.min(k - 1, 7); i++) code.push(...op.get(m[i]!), ...splat32(P_LIMBS[k - i]!), ...simd.extmulLowU, ...accumulate());
    if (k >= 8) {
      code.push(...op.get(pc0), ...op.i32eqz, ...op.i32eqz, ...op.if);
      code.push(...op.get(pc0), ...op.load32u(4 * (k - 8)), ...simd.i64x2Splat, ...op.get(pc1), ...op.load32u(4 * (k - 8)), ...simd.i64x2ReplaceLane(1));
      code.push(...op.get(lo), ...simd.i64x2Add, ...op.set(lo), ...op.end);
      for (const h of [0, 1]) code.push(...op.get(lo), ...simd.i64x2ExtractLane(h), ...op.i64(MASK32), ...op.i64and, ...op.set(r[h]![k - 8]!));
    } else {
      // mₖ = (column mod 2^32)·(−p⁻¹) mod 2^32 in each lane, moved to 32-bit lanes 0 and 1 for extmul.
      code.push(...op.get(lo), ...splat32(NP), ...simd.i64x2Mul, ...MASK, ...simd.and, ...op.get(lo), ...simd.lowWords, ...op.set(m[k]!));
      code.push(...op.get(m[k]!), ...splat32(P_LIMBS[0]!), ...simd.extmulLowU, ...accumulate());
    }
    code.push(...op.get(lo), ...op.i32(32), ...simd.i64x2ShrU, ...op.get(hi), ...simd.i64x2Add, ...op.set(lo), ...zero, ...op.set(hi));
  }
  for (const h of [0, 1]) {
    const top = h === 0 ? top0 : top1;
    code.push(...op.get(lo), ...simd.i64x2ExtractLane(h), ...op.set(top));
    code.push(
      ...reduceLoop(
        (l) => r[h]![l]!,
        top,
        (l) => q[l]!,
        d,
        borrow,
      ),
    );
    for (let l = 0; l < LIMBS; l++) code.push(...op.get(h === 0 ? pr0 : pr1), ...op.get(r[h]![l]!), ...op.store32(4 * l));
  }
  const body = [
    ...vec([
      [...uleb(i32Locals), I32],
      [...uleb(i64Locals), I64],
      [...uleb(v128Locals), V128],
    ]),
    ...code,
    ...op.end,
  ];
  return [...uleb(body.length), ...body];
}

/** Function indices in the module. */
const F = { dot: 0, mul: 1, add: 2, pow5: 3, permute: 4, dot2: 5 } as const;

/** `pow5(px, paux)`: x = x⁵ (Montgomery form), with one scratch element at paux. */
function pow5Function(): number[] {
  const [px, paux] = [0, 1];
  const mul = (a: number, b: number, r: number) => [...op.get(a), ...op.get(b), ...op.i32(1), ...op.i32(0), ...op.get(r), ...op.call(F.mul)];
  const body = [...vec([]), ...mul(px, px, paux), ...mul(paux, paux, paux), ...mul(px, paux, px), ...op.end];
  return [...uleb(body.length), ...body];
}

/**
 * `permute(t, pc, pm, pp, ps, roundsP, s, n, aux, pv)`: the Poseidon permutation of the t
 * elements at s (Montgomery form), in place, with circomlibjs's optimised round structure:
 * round constants from pc (t per full round, one per partial round), the MDS matrix at pm
 * and the last first-half matrix at pp (both transposed, row i is output i's coefficients,
 * in row pairs for dot2), the partial rounds' sparse matrices from ps (2t − 1 elements per
 * round; the first t, the new s₀'s row, are read here) and their vₖ for sₖ + s₀·vₖ in pairs
 * from pv. s and n hold t + 1 elements (the last is the scratch of dot2's padding lane), aux
 * two. One call per hash: the loops here cost no calls from JavaScript into WebAssembly
 * (~1,800 per t = 16 hash before).
 */
function permuteFunction(): number[] {
  const [T, PC, PM, PP, PS, RP, S, N, AUX, PV, BT] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [I, R, TB, TMP, MAT, PAIRS, BLK, B] = [11, 12, 13, 14, 15, 16, 17, 18];
  /** base + 32·index. */
  const el = (base: number, index: number) => [...op.get(base), ...op.get(index), ...op.i32(5), ...op.i32shl, ...op.i32add];
  const incr = (local: number, by: number[]) => [...op.get(local), ...by, ...op.i32add, ...op.set(local)];
  /** for (i = from; i < limit; i++) body — the body runs at least once (every limit here is ≥ 1 above from). */
  const repeat = (i: number, from: number, limit: number[], body: number[]) => [
    ...op.i32(from),
    ...op.set(i),
    ...op.loop,
    ...body,
    ...op.get(i),
    ...op.i32(1),
    ...op.i32add,
    ...op.tee(i),
    ...limit,
    ...op.i32ltU,
    ...op.brIf(0),
    ...op.end,
  ];
  const ark = [...repeat(I, 0, op.get(T), [...el(S, I), ...el(PC, I), ...el(S, I), ...op.call(F.add)]), ...incr(PC, op.get(TB))];
  const sboxAll = repeat(I, 0, op.get(T), [...el(S, I), ...op.get(AUX), ...op.call(F.pow5)]);
  /** n = matrix · s, two rows per dot2 (the matrix's row pairs, interleaved, at the address on the stack), then swap s and n. */
  const mix = [
    ...op.set(MAT),
    ...repeat(I, 0, op.get(PAIRS), [
      ...op.get(MAT),
      ...op.get(S),
      ...op.get(T),
      ...op.i32(0),
      ...op.i32(0),
      ...op.get(N),
      ...op.get(I),
      ...op.i32(6),
      ...op.i32shl,
      ...op.i32add,
      ...op.tee(TMP),
      ...op.get(TMP),
      ...op.i32(BYTES),
      ...op.i32add,
      ...op.call(F.dot2),
      ...incr(MAT, [...op.get(TB), ...op.get(TB), ...op.i32add]),
    ]),
    ...op.get(S),
    ...op.set(TMP),
    ...op.get(N),
    ...op.set(S),
    ...op.get(TMP),
    ...op.set(N),
  ];
  const lt = (local: number, v: number) => [...op.get(local), ...op.i32(v), ...op.i32ltU];
  const half = N_ROUNDS_F / 2;
  const code: number[] = [...op.get(T), ...op.i32(5), ...op.i32shl, ...op.set(TB), ...op.get(T), ...op.i32(1), ...op.i32add, ...op.i32(1), ...op.i32shrU, ...op.set(PAIRS), ...ark];
  // First half of the full rounds; the last one mixes with P instead of M.
  code.push(...repeat(R, 0, op.i32(half), [...sboxAll, ...ark, ...op.get(PM), ...op.get(PP), ...lt(R, half - 1), ...op.select, ...mix]));
  // Partial rounds, in blocks of b (the table at BT): round r of a block makes aᵣ = s₀⁵ + c at
  // s − 32r and s₀' = row_r · (aᵣ, aᵣ₋₁, …, a₀, s₁, …, s_{t−1}) (into aux + 32; a₀ sits at s,
  // so the vector is contiguous), and the block ends with sₖ += Σᵣ vₖ⁽ʳ⁾·aᵣ, two k per dot2.
  const copyTo = (to: number[]) => [0, 8, 16, 24].flatMap((o) => [...to, ...op.get(AUX), ...op.load64(BYTES + o), ...op.store64(o)]);
  const x = [...op.get(S), ...op.get(R), ...op.i32(5), ...op.i32shl, ...op.i32sub]; // s − 32r
  code.push(
    ...repeat(BLK, 0, op.get(RP), [
      ...op.get(BT),
      ...op.get(BLK),
      ...op.i32(2),
      ...op.i32shl,
      ...op.i32add,
      ...op.load32i(0),
      ...op.set(B),
      ...repeat(R, 0, op.get(B), [
        ...op.get(R),
        ...op.if,
        ...copyTo(x),
        ...op.end,
        ...x,
        ...op.get(AUX),
        ...op.call(F.pow5),
        ...x,
        ...op.get(PC),
        ...x,
        ...op.call(F.add),
        ...incr(PC, op.i32(BYTES)),
        ...op.get(PS),
        ...x,
        ...op.get(R),
        ...op.get(T),
        ...op.i32add,
        ...op.tee(TMP),
        ...op.i32(0),
        ...op.get(AUX),
        ...op.i32(BYTES),
        ...op.i32add,
        ...op.call(F.dot),
        ...incr(PS, [...op.get(TMP), ...op.i32(5), ...op.i32shl]),
      ]),
      // sₖ += Σᵣ vₖ⁽ʳ⁾·aᵣ for k = 2i + 1 and 2i + 2 (for an even t the last pair's second lane is the scratch element s_t).
      ...repeat(
        I,
        0,
        [...op.get(T), ...op.i32(1), ...op.i32shrU],
        [
          ...op.get(PV),
          ...op.get(S),
          ...op.get(B),
          ...op.i32(1),
          ...op.i32sub,
          ...op.i32(5),
          ...op.i32shl,
          ...op.i32sub,
          ...op.get(B),
          ...op.get(S),
          ...op.get(I),
          ...op.i32(6),
          ...op.i32shl,
          ...op.i32add,
          ...op.i32(BYTES),
          ...op.i32add,
          ...op.tee(TMP),
          ...op.get(TMP),
          ...op.i32(BYTES),
          ...op.i32add,
          ...op.get(TMP),
          ...op.get(TMP),
          ...op.i32(BYTES),
          ...op.i32add,
          ...op.call(F.dot2),
          ...incr(PV, [...op.get(B), ...op.i32(6), ...op.i32shl]),
        ],
      ),
      ...copyTo(op.get(S)),
    ]),
  );
  // Second half of the full rounds; the last one adds no constants.
  code.push(...repeat(R, 0, op.i32(half), [...sboxAll, ...lt(R, half - 1), ...op.if, ...ark, ...op.end, ...op.get(PM), ...mix]));
  const body = [...vec([[...uleb(B - I + 1), I32]]), ...code, ...op.end];
  return [...uleb(body.length), ...body];
}

/** The module: memory (exported, growable), `dot`, `mul` (`dot` of one term, unrolled), `add`, `pow5` and `permute`. */
export function fieldModule(pages: number): Uint8Array<ArrayBuffer> {
  const name = (s: string) => vec([...s].map((ch) => [ch.charCodeAt(0)]));
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(
      1,
      vec([
        [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0x00],
        [0x60, ...vec([[I32], [I32], [I32]]), 0x00],
        [0x60, ...vec([[I32], [I32]]), 0x00],
        [0x60, ...vec(Array.from({ length: 11 }, () => [I32])), 0x00],
        [0x60, ...vec(Array.from({ length: 7 }, () => [I32])), 0x00],
      ]),
    ),
    ...section(3, vec([[0], [0], [1], [2], [3], [4]])),
    ...section(5, vec([[0x00, ...uleb(pages)]])),
    ...section(
      7,
      vec([
        [...name('dot'), 0x00, 0],
        [...name('mul'), 0x00, 1],
        [...name('add'), 0x00, 2],
        [...name('permute'), 0x00, 4],
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(10, vec([dotFunction(false), dotFunction(true), addFunction(), pow5Function(), permuteFunction(), dot2Function()])),
  ];
  return new Uint8Array(bytes);
}
