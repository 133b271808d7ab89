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
 */

/** Whether a tensor's values are public signals or private behind a salted Poseidon commitment. */
export type Visibility = 'public' | 'hashed';

/** The visibilities this version lays out. */
export const VISIBILITIES: readonly Visibility[] = ['public', 'hashed'];

/** What the layout needs to know of a manifest's `io` block. */
export interface IoDeclaration {
  input: { shape: readonly number[]; min: number; max: number; visibility: string };
  output: { shape: readonly number[]; min: number; max: number; visibility: string };
  /** Present for a model with private weights (`--weights hashed`): their commitment is a public signal. */
  weights?: { visibility: string };
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
