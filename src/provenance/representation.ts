/**
 * The representation attribution ranks by — defined so that anyone holding the model can
 * recompute it exactly (method `zkinfer.penultimate/1`):
 *
 * - the value that feeds the model's last weighted node (`linear` or `conv`) in the
 *   quantized model (`quantized.json`), i.e. the last hidden layer after its activation and
 *   rescale, as integers at that value's scale;
 * - computed by the reference executor (src/reference/execute.ts) — the circuit's exact
 *   integer semantics — on the quantized input: for a training sample, its model input
 *   (tensor elements divided by the transform's divisor, or a JSON sample's "input") through
 *   `quantizeInput`; for a receipt, its input integers as they are;
 * - compared by squared Euclidean distance over those integers (exact: the bound
 *   size · (max − min)² stays below 2^53), ties broken by the lower sample index.
 *
 * The quantized reference, not the float model: float results vary with summation order and
 * threads, integers do not, so a checker reproduces every distance bit for bit.
 */
import { InputError, ProvenanceError } from '../shared/errors.js';
import { saturateQuotient } from '../shared/rounding.js';
import { describeSource } from '../ir/graph.js';
import { quantizeInput, rescaleHalfEven, rescaleValue, runReference } from '../reference/execute.js';
import type { QModel } from '../quant/model.js';
import { tensorValues, type Sample } from './sample.js';

/** The method name recorded in attributions and indexes. */
export const REPRESENTATION_METHOD = 'zkinfer.penultimate/1';

/** Which value of which model, and its size and scale. */
export interface RepresentationSpec {
  method: typeof REPRESENTATION_METHOD;
  /** The quantized model's value name. */
  value: string;
  /** Integers per representation. */
  size: number;
  /** log2 of the value's fixed-point factor. */
  scale: number;
}

/** How a training sample becomes model input: its elements divided by `divisor` (1: as they are). */
export interface InputTransform {
  divisor: number;
}

/** The default transform: pixel / 255 for uint8 tensors (the examples' preprocessing), identity otherwise. */
export function defaultTransform(sample: Sample): InputTransform {
  return { divisor: sample.kind === 'tensor' && sample.dtype === 'uint8' ? 255 : 1 };
}

/** A model prepared for computing representations. */
export interface RepresentationModel {
  spec: RepresentationSpec;
  /** The model cut before its last weighted node, ending in the representation value. */
  truncated: QModel;
  model: QModel;
  /** The cut model as typed-array steps, when it is a chain of reshape, linear and rescale nodes. */
  plan?: ((x: Float64Array) => Float64Array)[];
}

/**
 * The cut model as typed-array steps — the reference executor's semantics for `reshape`,
 * `linear` and `rescale` (same rounding, same range checks), 3–4× faster over a dataset.
 * Exact: every value is an integer below 2^53 (the quantizer's guarantee), so float64
 * sums are exact in any order. Undefined for any other node or a non-chain graph: the
 * reference executor itself is used then. Tests compare both on every fixture sample.
 */
function compilePlan(truncated: QModel): RepresentationModel['plan'] {
  const plan: ((x: Float64Array) => Float64Array)[] = [];
  let current = truncated.input.name;
  for (const node of truncated.nodes) {
    if (node.input !== current) return undefined;
    current = node.output;
    if (node.kind === 'reshape') continue;
    if (node.kind === 'linear') {
      const { inFeatures: nin, outFeatures: nout } = node;
      const w = Float64Array.from(node.weight);
      const b = Float64Array.from(node.bias);
      plan.push((x) => {
        const rows = x.length / nin;
        const y = new Float64Array(rows * nout);
        for (let r = 0; r < rows; r++) {
          for (let o = 0; o < nout; o++) {
            let acc = b[o]!;
            const wo = o * nin;
            const xr = r * nin;
            for (let i = 0; i < nin; i++) acc += w[wo + i]! * x[xr + i]!;
            y[r * nout + o] = acc;
          }
        }
        return y;
      });
    } else if (node.kind === 'rescale') {
      const { shift, halfEven } = node;
      const lo = -(2 ** (node.bits - 1));
      const hi = 2 ** (node.bits - 1) - 1;
      plan.push((x) => {
        const y = new Float64Array(x.length);
        for (let i = 0; i < x.length; i++) {
          const q = rescaleValue(node.multiplier ? x[i]! * node.multiplier[i]! : x[i]!, shift);
          if (q < lo || q > hi) throw new InputError(`the input drives ${describeSource(node.source)} outside its calibrated range: value ${q} at index ${i} is not in [${lo}, ${hi}]`);
          y[i] = halfEven ? rescaleHalfEven(x[i]!, shift) : saturateQuotient(q, node.relu, node.saturate);
        }
        return y;
      });
    } else return undefined;
  }
  return current === truncated.output.name ? plan : undefined;
}

/**
 * Prepares a quantized model: finds its last weighted node and cuts the model before it.
 * @throws {ProvenanceError} when the model has no weighted node or distances could exceed 2^53
 */
export function representationModel(model: QModel): RepresentationModel {
  let last = -1;
  model.nodes.forEach((n, i) => {
    if (n.kind === 'linear' || n.kind === 'conv') last = i;
  });
  if (last < 0) throw new ProvenanceError('the model has no linear or convolution layer to take a representation before');
  const value = model.nodes[last]!.input;
  const info = value === model.input.name ? { shape: model.input.shape, scale: model.input.scale, min: -(2 ** (model.input.bits - 1)), max: 2 ** (model.input.bits - 1) - 1 } : model.values[value];
  if (!info) throw new ProvenanceError(`the quantized model has no value "${value}"`);
  const size = info.shape.reduce((a, b) => a * b, 1);
  const span = info.max - info.min;
  if (info.min < -(2 ** 31) || info.max > 2 ** 31 - 1) throw new ProvenanceError(`representation "${value}" has values in [${info.min}, ${info.max}], wider than 32 bits`);
  if (size * span * span >= 2 ** 53) throw new ProvenanceError(`representation "${value}" is too wide for exact distances (${size} values in [${info.min}, ${info.max}])`);
  const truncated: QModel = { ...model, nodes: model.nodes.slice(0, last), output: { ...model.output, name: value } };
  return { spec: { method: REPRESENTATION_METHOD, value, size, scale: info.scale }, truncated, model, plan: compilePlan(truncated) };
}

/**
 * The representation of input integers (with `reference`, always through the reference executor).
 * @throws {InputError} when the input drives a value outside its calibrated range
 */
export function representationOf(rm: RepresentationModel, inputRaw: readonly number[], options: { reference?: boolean } = {}): Int32Array {
  let out: ArrayLike<number>;
  if (rm.plan && !options.reference) {
    let x: Float64Array = Float64Array.from(inputRaw);
    for (const step of rm.plan) x = step(x);
    out = x;
  } else out = runReference(rm.truncated, inputRaw);
  if (out.length !== rm.spec.size) throw new ProvenanceError(`representation "${rm.spec.value}" has ${out.length} values, expected ${rm.spec.size}`);
  return Int32Array.from(out);
}

function flattenNumbers(v: unknown, out: number[], where: string): void {
  if (Array.isArray(v)) for (const x of v) flattenNumbers(x, out, where);
  else if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  else throw new InputError(`${where}: "input" must hold finite numbers only`);
}

/**
 * A training sample's model input integers: elements (tensor) or "input" (JSON) divided by
 * the transform's divisor, then quantized as the reference executor quantizes inputs.
 * @throws {InputError} when the sample does not fit the model's input
 */
export function sampleInput(rm: RepresentationModel, sample: Sample, transform: InputTransform, where: string): number[] {
  let values: ArrayLike<number>;
  if (sample.kind === 'tensor') values = tensorValues(sample);
  else {
    const flat: number[] = [];
    if (!('input' in sample.value)) throw new InputError(`${where}: a JSON sample needs an "input" field to be attributed`);
    flattenNumbers(sample.value.input, flat, where);
    values = flat;
  }
  let x = values;
  if (transform.divisor !== 1) {
    const divided = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) divided[i] = values[i]! / transform.divisor;
    x = divided;
  }
  try {
    return quantizeInput(rm.model, x);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${where}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Squared Euclidean distance between a query and row `row` of packed representations. */
export function squaredDistance(query: Int32Array, reps: Int32Array, row: number): number {
  const n = query.length;
  const base = row * n;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const t = query[i]! - reps[base + i]!;
    d += t * t;
  }
  return d;
}

/** A ranked neighbour: sample index and distance. */
export interface Ranked {
  index: number;
  distance: number;
}

/**
 * The k nearest rows to `query`, by (distance, index) ascending, skipping rows not `valid`.
 * @param valid 1 for rows that have a representation
 */
export function nearest(query: Int32Array, reps: Int32Array, valid: Uint8Array, k: number): Ranked[] {
  const rows = valid.length;
  const best: Ranked[] = [];
  let worst = Infinity;
  for (let row = 0; row < rows; row++) {
    if (!valid[row]) continue;
    const d = squaredDistance(query, reps, row);
    if (best.length === k && d >= worst) continue; // equal distance: the earlier (lower) index stays
    let at = best.length;
    while (at > 0 && best[at - 1]!.distance > d) at--;
    best.splice(at, 0, { index: row, distance: d });
    if (best.length > k) best.pop();
    worst = best.length === k ? best[k - 1]!.distance : Infinity;
  }
  return best;
}
