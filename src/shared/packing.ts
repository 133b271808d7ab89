/**
 * Packing integers into field elements: values u = v − min, each below 2^b with
 * b = bitLength(max − min), ⌊252 / b⌋ to an element, least significant first. Shared by the
 * salted commitments (./commitment.ts) and the packed public outputs (./layout.ts); no
 * dependencies, so the browser verifier bundles it without the hash's.
 */
/** Packed elements absorbed per Poseidon call (circomlib's Poseidon takes at most 16 inputs, one is the state). */
export const CHUNK = 15;

/** The largest number of bits packed into one field element (2^252 < p). */
export const PACK_BITS = 252;

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
