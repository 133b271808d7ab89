/**
 * The BN254 (alt_bn128) scalar field, in which every Circom signal and every Groth16 public
 * signal lives. Signed integers are encoded as field elements the usual way: x ≥ 0 as x,
 * x < 0 as p − |x|. Decoding is only meaningful for values well below p/2 in magnitude.
 */

/** The BN254 scalar field modulus r (circom's default prime). */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Encodes a signed integer as a canonical field element. */
export function encodeSigned(x: bigint): bigint {
  const m = x % FIELD_MODULUS;
  return m < 0n ? m + FIELD_MODULUS : m;
}

/**
 * Decodes a canonical field element into a signed integer: values above (p − 1) / 2 are negative.
 * @throws {RangeError} if `v` is not canonical (negative or ≥ p).
 */
export function decodeSigned(v: bigint): bigint {
  if (v < 0n || v >= FIELD_MODULUS) throw new RangeError(`expected a canonical field element, got ${v}`);
  return v > FIELD_MODULUS / 2n ? v - FIELD_MODULUS : v;
}
