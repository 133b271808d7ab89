/**
 * A faster Montgomery multiplication for the BN254 fields in snarkjs's wasm module, built
 * with the module builder the module is made with (wasmbuilder) and put in place of
 * wasmcurves' `<prefix>_mul` and `<prefix>_square` (same interface, same results).
 *
 * wasmcurves multiplies 8 × 32-bit limbs by product scanning: every 64-bit partial product is
 * split into its low and high halves as it is added (mul, and, add, shr, add per product),
 * because two full products would overflow an i64. Here the operands are re-cut into 9 limbs
 * of 29 bits: a product is below 2^58, so a column of up to 18 products (those of x · y and
 * those of the reduction's m · q) plus the carry stays below 2^63 and is summed with one add
 * per product; the column is split once. Montgomery's reduction (Montgomery 1985, "Modular
 * multiplication without trial division") removes 29 bits per column for eight columns and 24
 * in the ninth, dividing by exactly 2^256 (the interface's R). A square sums each a_i·a_j
 * (i ≠ j) once and doubles it: 45 products instead of 81 before the reduction's 81.
 *
 * Ranges: for x, y < q the result is x·y·2^-256 mod q, fully reduced (< q), as wasmcurves'
 * functions return it; for any x, y < 2^256 it is congruent and below 2^256 (as wasmcurves'),
 * which is what `toMontgomery` of an unreduced integer needs.
 */

/** A fragment of wasm code (wasmbuilder's representation: bytes). */
type Code = number[];

/** The parts of wasmbuilder's code builder used here (the package ships no types). */
interface CodeBuilder {
  getLocal(name: string): Code;
  setLocal(name: string, v: Code): Code;
  i64_const(v: number | bigint): Code;
  i64_load(at: Code, offset?: number, align?: number): Code;
  i64_store(at: Code, offset: number, align: number, v: Code): Code;
  i64_add(a: Code, b: Code): Code;
  i64_sub(a: Code, b: Code): Code;
  i64_mul(a: Code, b: Code): Code;
  i64_and(a: Code, b: Code): Code;
  i64_or(a: Code, b: Code): Code;
  i64_shl(a: Code, b: Code): Code;
  i64_shr_u(a: Code, b: Code): Code;
  i64_shr_s(a: Code, b: Code): Code;
  i64_lt_s(a: Code, b: Code): Code;
  if(cond: Code, then: Code, otherwise?: Code): Code;
}

/** wasmbuilder's function builder: the parts used here. */
export interface FunctionBuilder {
  addParam(name: string, type: 'i32' | 'i64'): void;
  addLocal(name: string, type: 'i32' | 'i64'): void;
  getCodeBuilder(): CodeBuilder;
  addCode(...code: Code[]): void;
}

/** wasmbuilder's ModuleBuilder, as ffjavascript hands it to a curve plugin. */
export interface FieldModuleBuilder {
  addFunction(name: string): FunctionBuilder;
  functions: FunctionBuilder[];
  functionIdxByName: Record<string, number>;
  modules: Record<string, { q?: bigint } | undefined>;
}

/** Bits per limb and limbs per element of the internal representation. */
export const LIMB_BITS = 29;
export const LIMBS = 9;
const MASK = (1n << BigInt(LIMB_BITS)) - 1n;

/** −q^-1 mod 2^29, the factor of Montgomery's reduction step. */
function negInverse(q: bigint): bigint {
  const m = 1n << BigInt(LIMB_BITS);
  let inv = 1n; // Newton's iteration for q^-1 mod 2^k doubles the correct bits each step
  for (let i = 0; i < 5; i++) inv = (inv * (2n - q * inv)) % m;
  return (m - (((inv % m) + m) % m)) % m;
}

/**
 * Code that loads the 29-bit limb `i` (bits [29i, 29i + 29)) of the 256-bit little-endian
 * integer at `p`: one unaligned 64-bit load within the element's 32 bytes, a shift and a mask.
 */
function loadLimb(c: CodeBuilder, p: Code, i: number): Code {
  const bit = LIMB_BITS * i;
  const byte = Math.min(bit >> 3, 24);
  const v = c.i64_shr_u(c.i64_load(p, byte, 0), c.i64_const(bit - 8 * byte));
  return bit + LIMB_BITS >= 256 ? v : c.i64_and(v, c.i64_const(MASK));
}

/**
 * Code that stores the value Σ t_k · 2^(29k − 256), k = 8…17 (locals `${name}8`…`${name}17`,
 * 29-bit limbs, the low 24 bits of limb 8 zero; the value below 2^256) as four little-endian
 * 64-bit words at local `r`.
 */
function storeResult(c: CodeBuilder, name: string): Code {
  const out: Code = [];
  for (let w = 0; w < 4; w++) {
    let word: Code | undefined;
    for (let k = LIMBS - 1; k <= 2 * LIMBS - 1; k++) {
      const lo = LIMB_BITS * k - 256 - 64 * w; // position of the limb's bit 0 in the word
      if (lo >= 64 || lo + LIMB_BITS <= 0) continue;
      const limb = c.getLocal(`${name}${k}`);
      const part = lo >= 0 ? (lo === 0 ? limb : c.i64_shl(limb, c.i64_const(lo))) : c.i64_shr_u(limb, c.i64_const(-lo));
      word = word ? c.i64_or(word, part) : part;
    }
    out.push(...c.i64_store(c.getLocal('r'), 8 * w, 0, word!));
  }
  return out;
}

/** Variants of {@link emitMontMul} (for the benchmark: scripts/bench-field-mul.ts). */
export interface MontMulOptions {
  /** A square's products: each a_i·a_j once and doubled ('symmetric', the default), or all 81 as for a product ('full'). */
  square?: 'symmetric' | 'full';
}

/**
 * Writes the multiplication into an empty function builder: parameters (x, y, r), or (x, r)
 * for a square, pointers to 8 × 32-bit little-endian limbs; r = x · y · 2^-256 mod q (y = x
 * for a square). r may alias x or y: the operands are read before r is written.
 *
 * Product scanning over 29-bit limbs a (of x) and b (of y): column k sums a_i·b_(k−i) and
 * m_j·q_(k−j) with the carry of column k − 1, every term below 2^58 and at most 18 of them,
 * so the i64 sum does not overflow. Columns 0…7 choose m_k (29 bits) so that the column's low
 * 29 bits vanish; column 8 chooses a 24-bit m_8 that clears its low 24 bits: the 2^256
 * multiple of q added is m = Σ m_k·2^(29k) < 2^256, and (x·y + m·q) / 2^256 is read off
 * columns 8…17 from bit 256. For x·y < 2^256·q that is below 2q, and one conditional
 * subtraction of q makes it canonical.
 */
export function emitMontMul(f: FunctionBuilder, q: bigint, square: boolean, options: MontMulOptions = {}): void {
  if (q >= 1n << 256n || q % 2n === 0n) throw new Error(`expected an odd modulus below 2^256, got ${q}`);
  const cols = 2 * LIMBS - 1; // columns 0…16 sum products; "column" 17 is the last carry
  const top = 256 - LIMB_BITS * (LIMBS - 1); // bits of column 8 below 2^256: 24
  const qLimbs = Array.from({ length: LIMBS }, (_, i) => (q >> BigInt(LIMB_BITS * i)) & MASK);
  // q · 2^256 on the grid of columns 8…17, for the final subtraction
  const qHigh = Array.from({ length: LIMBS + 1 }, (_, i) => ((q << BigInt(top)) >> BigInt(LIMB_BITS * i)) & MASK);
  const np = negInverse(q);
  f.addParam('x', 'i32');
  if (!square) f.addParam('y', 'i32');
  f.addParam('r', 'i32');
  for (let i = 0; i < LIMBS; i++) for (const v of ['a', 'b', 'm']) f.addLocal(`${v}${i}`, 'i64');
  for (let k = LIMBS - 1; k <= cols; k++) for (const v of ['t', 'd']) f.addLocal(`${v}${k}`, 'i64');
  f.addLocal('acc', 'i64');
  const c = f.getCodeBuilder();
  const symmetric = square && options.square !== 'full';

  for (let i = 0; i < LIMBS; i++) {
    f.addCode(c.setLocal(`a${i}`, loadLimb(c, c.getLocal('x'), i)));
    if (!square) f.addCode(c.setLocal(`b${i}`, loadLimb(c, c.getLocal('y'), i)));
  }
  const B = square ? 'a' : 'b';
  const add = (terms: Code[]) => terms.reduce((acc, t) => c.i64_add(acc, t));

  for (let k = 0; k < cols; k++) {
    const terms: Code[] = [];
    const lo = Math.max(0, k - LIMBS + 1);
    const hi = Math.min(k, LIMBS - 1);
    if (symmetric) {
      const cross: Code[] = [];
      for (let i = lo; i < k - i; i++) cross.push(c.i64_mul(c.getLocal(`a${i}`), c.getLocal(`a${k - i}`)));
      if (cross.length > 0) terms.push(c.i64_shl(add(cross), c.i64_const(1)));
      if (k % 2 === 0) terms.push(c.i64_mul(c.getLocal(`a${k / 2}`), c.getLocal(`a${k / 2}`)));
    } else {
      for (let i = lo; i <= hi; i++) terms.push(c.i64_mul(c.getLocal(`a${i}`), c.getLocal(`${B}${k - i}`)));
    }
    for (let j = lo; j <= Math.min(k - 1, LIMBS - 1); j++) terms.push(c.i64_mul(c.getLocal(`m${j}`), c.i64_const(qLimbs[k - j]!)));
    if (k > 0) terms.push(c.i64_shr_u(c.getLocal('acc'), c.i64_const(LIMB_BITS)));
    f.addCode(c.setLocal('acc', add(terms)));
    if (k < LIMBS) {
      const mask = k === LIMBS - 1 ? (1n << BigInt(top)) - 1n : MASK;
      f.addCode(c.setLocal(`m${k}`, c.i64_and(c.i64_mul(c.getLocal('acc'), c.i64_const(np)), c.i64_const(mask))));
      f.addCode(c.setLocal('acc', c.i64_add(c.getLocal('acc'), c.i64_mul(c.getLocal(`m${k}`), c.i64_const(qLimbs[0]!)))));
    }
    if (k >= LIMBS - 1) f.addCode(c.setLocal(`t${k}`, c.i64_and(c.getLocal('acc'), c.i64_const(MASK))));
  }
  f.addCode(c.setLocal(`t${cols}`, c.i64_shr_u(c.getLocal('acc'), c.i64_const(LIMB_BITS))));

  // t < 2^256 + q: subtract q once when t ≥ q (d = t − q with borrows; its top limb's sign says)
  for (let k = LIMBS - 1; k <= cols; k++) {
    const diff = c.i64_sub(c.getLocal(`t${k}`), c.i64_const(qHigh[k - LIMBS + 1]!));
    const withBorrow = k === LIMBS - 1 ? diff : c.i64_add(diff, c.i64_shr_s(c.getLocal(`d${k - 1}`), c.i64_const(LIMB_BITS)));
    f.addCode(c.setLocal(`d${k}`, withBorrow));
    if (k > LIMBS - 1) f.addCode(c.setLocal(`d${k - 1}`, c.i64_and(c.getLocal(`d${k - 1}`), c.i64_const(MASK))));
  }
  f.addCode(c.if(c.i64_lt_s(c.getLocal(`d${cols}`), c.i64_const(0)), storeResult(c, 't'), storeResult(c, 'd')));
}

/** Replaces the body of the module's function `name` by {@link emitMontMul}'s. */
function replaceWithMontMul(module: FieldModuleBuilder, name: string, q: bigint, square: boolean): void {
  const idx = module.functionIdxByName[name];
  if (idx === undefined) throw new Error(`the curve's wasm module has no function ${name}`);
  const Builder = module.functions[idx]!.constructor as new (module: FieldModuleBuilder, name: string, type: 'internal') => FunctionBuilder;
  const f = new Builder(module, name, 'internal');
  emitMontMul(f, q, square);
  module.functions[idx] = f;
}

/**
 * Curve plugin: gives `_mul` and `_square` of both BN254 fields of wasmcurves' module (`f1m`,
 * the base field; `frm`, the scalar field) {@link emitMontMul}'s body.
 */
export function fieldMulPlugin(module: FieldModuleBuilder): void {
  for (const prefix of ['f1m', 'frm']) {
    const q = module.modules[prefix]?.q;
    if (typeof q !== 'bigint') throw new Error(`the curve's wasm module has no field ${prefix}`);
    replaceWithMontMul(module, `${prefix}_mul`, q, false);
    replaceWithMontMul(module, `${prefix}_square`, q, true);
  }
}
