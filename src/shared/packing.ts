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
  const { bits, perElement, elements } = packing(values.length, range);
  if (bits <= 32) {
    const narrow = packNarrow(values, range, bits, perElement, elements);
    if (narrow) return narrow;
  }
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

/**
 * {@link packValues} for values of at most 32 bits given as numbers: the offsets are laid
 * into the element's eight 32-bit words with number arithmetic, and only the words become
 * a bigint (for 784 values of 10 bits ~10x less CPU than a bigint shift and or per value). The
 * same checks, in the same order, with the same messages.
 * @returns undefined when a value is a bigint (the general path takes the tensor)
 */
function packNarrow(values: readonly (number | bigint)[], range: ValueRange, bits: number, perElement: number, elements: number): bigint[] | undefined {
  const { min, max } = range;
  const words = new Uint32Array(Math.ceil(PACK_BITS / 32));
  const out = new Array<bigint>(elements);
  for (let e = 0; e < elements; e++) {
    words.fill(0);
    const start = e * perElement;
    for (let j = Math.min(values.length, start + perElement) - 1; j >= start; j--) {
      const raw = values[j]!;
      if (typeof raw !== 'number') return undefined;
      if (!Number.isSafeInteger(raw)) throw new RangeError(`value ${j} is ${raw}, expected an integer`);
      if (raw < min || raw > max) throw new RangeError(`value ${j} is ${raw}, outside the declared range [${min}, ${max}]`);
      const u = raw - min; // below 2^bits ≤ 2^32, exact
      const pos = (j - start) * bits;
      const w = pos >>> 5;
      const shift = pos & 31;
      words[w]! |= u << shift; // the low 32 bits of u·2^shift
      if (shift + bits > 32) words[w + 1]! |= u >>> (32 - shift); // the rest (shift > 0 here)
    }
    let v = 0n;
    for (let w = words.length - 1; w >= 0; w--) v = (v << 32n) | BigInt(words[w]!);
    out[e] = v;
  }
  return out;
}
