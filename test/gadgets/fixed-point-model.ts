/**
 * The plain-bigint model the gadgets are checked against: fixed-point rescaling with
 * round-half-up, signed ranges and ReLU, written from the definitions in DESIGN.md and nothing else.
 */

/** floor(a / d) for d > 0 (bigint division truncates toward zero; this rounds toward −∞). */
export function floorDiv(a: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError(`expected a positive divisor, got ${d}`);
  const q = a / d;
  return a % d !== 0n && a < 0n ? q - 1n : q;
}

/** floor((x + 2^(k−1)) / 2^k): division by 2^k rounding half up; x itself for k = 0. */
export function rescale(x: bigint, k: number): bigint {
  return k === 0 ? x : floorDiv(x + (1n << BigInt(k - 1)), 1n << BigInt(k));
}

/** The remainder r ∈ [0, 2^k) with x + 2^(k−1) = rescale(x, k)·2^k + r. */
export function rescaleRemainder(x: bigint, k: number): bigint {
  if (k === 0) return 0n;
  return x + (1n << BigInt(k - 1)) - rescale(x, k) * (1n << BigInt(k));
}

/** [min, max] of a b-bit signed integer: [−2^(b−1), 2^(b−1) − 1]. */
export function signedRange(b: number): [bigint, bigint] {
  const h = 1n << BigInt(b - 1);
  return [-h, h - 1n];
}

/** Whether a signed integer fits in b bits. */
export function fitsSigned(x: bigint, b: number): boolean {
  const [lo, hi] = signedRange(b);
  return x >= lo && x <= hi;
}

/**
 * The inputs x whose rescale(x, k) fits in b signed bits, as [min, max]:
 * [−2^(k+b−1) − 2^(k−1), 2^(k+b−1) − 2^(k−1) − 1] (k = 0: the b-bit signed range).
 */
export function rescaleInputRange(k: number, b: number): [bigint, bigint] {
  if (k === 0) return signedRange(b);
  const top = 1n << BigInt(k + b - 1);
  const half = 1n << BigInt(k - 1);
  return [-top - half, top - half - 1n];
}

/** max(0, x). */
export function relu(x: bigint): bigint {
  return x > 0n ? x : 0n;
}
