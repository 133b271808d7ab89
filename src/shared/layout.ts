/**
 * The layout of a proof's public signals: which runs of signals carry what, in the order
 * snarkjs lists them (the circuit's public outputs, then its public inputs in declaration
 * order). Every verifier — the TypeScript library, the exported contract and browser page
 * — walks this one description, so a new kind of public signal (a commitment, say) is
 * one new segment kind, checked the same way everywhere.
 *
 * The circuits (DESIGN.md "Receipts", "Visibility and commitments"): for a public tensor one
 * signal per element, each a signed integer encoded in the field (x < 0 as p − |x|) that must
 * lie in the range the manifest declares; for a hashed tensor one signal, its salted Poseidon
 * commitment (src/shared/commitment.ts), any canonical field element; the output's run first,
 * then the input's, then (for a model with private weights) the weight commitment, and last the
 * receipt context (src/shared/context.ts).
 *
 * A public output may instead be packed (manifest `io.output.packing`, compile's default since
 * the packed layout was added; manifests without the field keep one signal per element): its
 * values u_i = out_i − min, each below 2^bits with bits = bitLength(max − min), are packed
 * ⌊252 / bits⌋ to a signal, least significant first — e = Σ_j u_j · 2^(bits·j), exactly
 * packValues (./commitment.ts). The circuit range-checks every u_i to `bits` bits before
 * packing (circuits/zkinfer/pack.circom), so each signal is below 2^252 < p and its base-2^bits
 * digits are the values: the packing is injective, and a verifier reads the values back out of
 * the signal, refuses one with bits set above its last value, and checks each against the
 * declared range and the receipt.
 */
import { packing as packingOf } from './packing.js';

/** Whether a tensor's values are public signals or private behind a salted Poseidon commitment. */
export type Visibility = 'public' | 'hashed';

/** The visibilities this version lays out. */
export const VISIBILITIES: readonly Visibility[] = ['public', 'hashed'];

/** What the layout needs to know of a manifest's `io` block. */
export interface IoDeclaration {
  input: { shape: readonly number[]; min: number; max: number; visibility: string };
  output: { shape: readonly number[]; min: number; max: number; visibility: string; packing?: OutputPacking };
  /** Present for a model with private weights (`--weights hashed`): their commitment is a public signal. */
  weights?: { visibility: string };
}

/** How a packed public output is laid out (recorded in the manifest; see {@link outputPacking}). */
export interface OutputPacking {
  /** Bits per value: bitLength(max − min). */
  bits: number;
  /** Values per signal: ⌊252 / bits⌋. */
  perSignal: number;
  /** Signals: ⌈values / perSignal⌉. */
  signals: number;
}

/**
 * The packing of a public output of `count` values in [min, max].
 * @throws {RangeError} for an empty tensor or a range wider than 252 bits
 */
export function outputPacking(count: number, range: { min: number; max: number }): OutputPacking {
  const p = packingOf(count, range);
  return { bits: p.bits, perSignal: p.perElement, signals: p.elements };
}

/** A run of consecutive public signals. */
export type SignalSegment =
  /** One signal per element of the input or output tensor (row-major), each a signed integer in [min, max]. */
  | { kind: 'values'; of: 'input' | 'output'; start: number; count: number; min: number; max: number }
  /**
   * The salted Poseidon commitment to a hashed input or output tensor, or to a model's private
   * weights (src/quant/weights.ts): one canonical field element.
   */
  | { kind: 'commitment'; of: 'input' | 'output' | 'weights'; start: number; count: 1 }
  /**
   * A public output packed `perSignal` values to a signal: signal k holds values
   * [k·perSignal, (k + 1)·perSignal) as Σ_j (v − min) · 2^(bits·j), each v in [min, max].
   */
  | { kind: 'packed'; of: 'output'; start: number; count: number; values: number; min: number; max: number; bits: number; perSignal: number }
  /** The receipt context: SHA-256 of model id, time and nonce, reduced below 2^253. */
  | { kind: 'context'; start: number; count: 1 };

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The public-signal layout of a compiled model.
 * @throws {RangeError} for a visibility this version cannot lay out
 */
export function publicSignalLayout(io: IoDeclaration): SignalSegment[] {
  const segments: SignalSegment[] = [];
  let start = 0;
  for (const of of ['output', 'input'] as const) {
    const d = io[of];
    if (d.visibility === 'hashed') {
      segments.push({ kind: 'commitment', of, start, count: 1 });
      start += 1;
      continue;
    }
    if (d.visibility !== 'public') throw new RangeError(`${of} visibility ${JSON.stringify(d.visibility)} has no public-signal layout in this version`);
    const count = size(d.shape);
    if (of === 'output' && io.output.packing !== undefined) {
      const declared = io.output.packing;
      const p = outputPacking(count, d);
      if (declared.bits !== p.bits || declared.perSignal !== p.perSignal || declared.signals !== p.signals) {
        throw new RangeError(`the manifest's output packing ${JSON.stringify(declared)} is not the packing of ${count} values in [${d.min}, ${d.max}] (${JSON.stringify(p)})`);
      }
      segments.push({ kind: 'packed', of, start, count: p.signals, values: count, min: d.min, max: d.max, bits: p.bits, perSignal: p.perSignal });
      start += p.signals;
      continue;
    }
    segments.push({ kind: 'values', of, start, count, min: d.min, max: d.max });
    start += count;
  }
  if (io.weights !== undefined) {
    if (io.weights.visibility !== 'hashed') throw new RangeError(`weights visibility ${JSON.stringify(io.weights.visibility)} has no public-signal layout in this version`);
    segments.push({ kind: 'commitment', of: 'weights', start, count: 1 });
    start += 1;
  }
  segments.push({ kind: 'context', start, count: 1 });
  return segments;
}

/** The number of public signals a layout holds. */
export function publicSignalCount(layout: readonly SignalSegment[]): number {
  const last = layout[layout.length - 1];
  return last ? last.start + last.count : 0;
}

/**
 * Reads the values of a packed segment back out of its (canonical) signals: each signal's
 * base-2^bits digits plus min, refusing a signal with bits set above its last value and a
 * value above the declared max (the circuit proves each digit below 2^bits, not below
 * max − min + 1).
 * @returns the values, or the reason the signals are refused (one line, as every verifier words it)
 */
export function unpackOutputs(segment: Extract<SignalSegment, { kind: 'packed' }>, signals: readonly string[]): { values: bigint[] } | { problem: string } {
  const { bits, perSignal, min, max } = segment;
  const mask = (1n << BigInt(bits)) - 1n;
  const values: bigint[] = [];
  for (let k = 0; k < segment.count; k++) {
    const inSignal = Math.min(perSignal, segment.values - k * perSignal);
    let v = BigInt(signals[segment.start + k]!);
    if (v >> BigInt(bits * inSignal) !== 0n) return { problem: `public signal ${segment.start + k} has bits set above its ${inSignal} packed outputs of ${bits} bits` };
    for (let j = 0; j < inSignal; j++, v >>= BigInt(bits)) {
      const value = (v & mask) + BigInt(min);
      if (value > BigInt(max)) return { problem: `public output ${values.length} = ${value} is outside the declared range [${min}, ${max}]` };
      values.push(value);
    }
  }
  return { values };
}
