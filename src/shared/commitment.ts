/**
 * Salted Poseidon commitments to integer tensors — the public face of a hashed input,
 * output or weight tensor (DESIGN.md "Visibility and commitments"). The circuit computes
 * the same value from its private signals (circuits/zkinfer, the commitment gadget), so a
 * receipt can carry the commitment instead of the values.
 *
 * The scheme, written out so that any verifier can recompute it:
 *
 * 1. Offset. Every value v must lie in the declared range [min, max]; it is stored as
 *    u = v − min, an unsigned integer below 2^b with b = bitLength(max − min).
 * 2. Pack. Values go into field elements `perElement = ⌊252 / b⌋` at a time, least
 *    significant first: e = Σ_j u_j · 2^(b·j). Each packed element is below 2^252 < p,
 *    and because every u_j < 2^b (range-checked in the circuit) the packing is
 *    injective: one tensor, one sequence of elements.
 * 3. Absorb. s₀ = salt; the packed elements are taken in chunks of at most 15 and each
 *    chunk is absorbed as s_{i+1} = Poseidon(s_i, chunk_i…) (circomlib's Poseidon with
 *    1 + |chunk| inputs, at most 16). The commitment is the last state. Tensor length and
 *    width are fixed by the compiled model, so the chunking carries no ambiguity.
 *
 * The salt is a uniformly random field element chosen by the data owner and never reused:
 * without it a low-entropy tensor (a lab value, an image) could be found by hashing
 * guesses. Poseidon here is circomlib's (the circuit template's constants and rounds, as
 * circomlibjs computes it), on the wasm field of ./poseidon.ts; the tests hold it equal to
 * circomlibjs's own implementation.
 */
import { FIELD_MODULUS } from './field.js';
import { loadCircomlibPoseidon } from './poseidon.js';

/** The largest number of bits packed into one field element (2^252 < p). */
export const PACK_BITS = 252;
/** Packed elements absorbed per Poseidon call (circomlib's Poseidon takes at most 16 inputs, one is the state). */
export const CHUNK = 15;

/** The declared range of a tensor's values. */
export interface ValueRange {
  min: number;
  max: number;
}

/** How a tensor of `count` values in `range` is packed. */
export interface Packing {
  /** Bits per value: bitLength(max − min), at least 1. */
  bits: number;
  /** Values per field element. */
  perElement: number;
  /** Field elements after packing. */
  elements: number;
  /** Poseidon calls: ⌈elements / 15⌉. */
  rounds: number;
}

/**
 * The packing of `count` values in `range`.
 * @throws {RangeError} for a non-integer or empty range or a non-positive count
 */
export function packing(count: number, range: ValueRange): Packing {
  if (!Number.isSafeInteger(count) || count <= 0) throw new RangeError(`expected a positive tensor length, got ${count}`);
  const { min, max } = range;
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
    throw new RangeError(`expected an integer range with min ≤ max, got [${min}, ${max}]`);
  }
  const bits = Math.max(1, (BigInt(max) - BigInt(min)).toString(2).length);
  if (bits > PACK_BITS) throw new RangeError(`values of ${bits} bits cannot be packed (at most ${PACK_BITS})`);
  const perElement = Math.floor(PACK_BITS / bits);
  const elements = Math.ceil(count / perElement);
  return { bits, perElement, elements, rounds: Math.ceil(elements / CHUNK) };
}

/**
 * Packs a tensor's values into field elements (step 2 of the scheme).
 * @throws {RangeError} if a value is not an integer in `range`
 */
export function packValues(values: readonly (number | bigint)[], range: ValueRange): bigint[] {
  const { bits, perElement } = packing(values.length, range);
  const min = BigInt(range.min);
  const max = BigInt(range.max);
  const out: bigint[] = [];
  for (let i = 0; i < values.length; i += perElement) {
    let e = 0n;
    const end = Math.min(values.length, i + perElement);
    for (let j = end - 1; j >= i; j--) {
      const raw = values[j]!;
      if (typeof raw === 'number' && !Number.isSafeInteger(raw)) throw new RangeError(`value ${j} is ${raw}, expected an integer`);
      const v = BigInt(raw);
      if (v < min || v > max) throw new RangeError(`value ${j} is ${v}, outside the declared range [${min}, ${max}]`);
      e = (e << BigInt(bits)) | (v - min);
    }
    out.push(e);
  }
  return out;
}

type Poseidon = (inputs: readonly bigint[]) => bigint;

/** Poseidon (./poseidon.ts: circomlibjs's constants and rounds, a faster wasm field), built once per process. */
export function loadPoseidon(): Promise<Poseidon> {
  return loadCircomlibPoseidon();
}

/** Absorbs packed field elements into the salted Poseidon chain (step 3). */
export function absorb(poseidon: Poseidon, salt: bigint, elements: readonly bigint[]): bigint {
  assertFieldElement(salt, 'salt');
  let state = salt;
  for (let i = 0; i < elements.length; i += CHUNK) state = poseidon([state, ...elements.slice(i, i + CHUNK)]);
  return state;
}

/**
 * The salted commitment to a tensor's values.
 * @param values the tensor's integers, row-major
 * @param range the declared range every value lies in
 * @param salt a field element, random and never reused
 * @returns the commitment, a canonical field element
 * @throws {RangeError} for a value out of range or a salt that is not a canonical field element
 */
export async function commitTensor(values: readonly (number | bigint)[], range: ValueRange, salt: bigint): Promise<bigint> {
  const elements = packValues(values, range);
  return absorb(await loadPoseidon(), salt, elements);
}

/** A fresh uniformly random salt: 32 random bytes reduced by rejection below p. */
export function randomSalt(): bigint {
  for (;;) {
    const b = globalThis.crypto.getRandomValues(new Uint8Array(32));
    b[0]! &= 0x3f; // below 2^254, so about one draw in four is rejected
    const v = b.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
    if (v < FIELD_MODULUS) return v;
  }
}

/** @throws {RangeError} unless `v` is a canonical field element */
export function assertFieldElement(v: bigint, name: string): void {
  if (typeof v !== 'bigint' || v < 0n || v >= FIELD_MODULUS) throw new RangeError(`${name}: expected a field element below p, got ${String(v)}`);
}
