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

import { CHUNK, packValues, type ValueRange } from './packing.js';

export { CHUNK, PACK_BITS, packing, packValues, type Packing, type ValueRange } from './packing.js';

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
