/**
 * The fixed-point IR: every value is an integer tensor with a power-of-two scale (a real
 * value v is stored as round(v · 2^scale)). Linear steps (`linear`, `conv`, `addConst`,
 * `mulConst`, `add`, `sumPool`, and the moves `reshape`, `transpose`, `pad`, `concat`) cost no
 * constraints. The circuit pays for `rescale` (divide by 2^shift rounding half up, or half to
 * even, optionally fused with ReLU: one range check per element), the fused `leakyRelu` and
 * `squash`, `maxPool` and `clamp` (one signed comparison each), `mul` (one product) and
 * `argMax`. Shapes of a node's input and output are in `QModel.values`.
 */
import type { NodeSource, Shape, WindowSpec } from '../ir/graph.js';

/** Compile-time quantization settings. */
export interface QuantOptions {
  /** Signed width of each input integer (public input range). */
  inputBits: number;
  /** Signed width of each quantized weight. */
  weightBits: number;
  /** Signed width of each activation after a rescale (before the headroom bit). */
  activationBits: number;
  /** Extra range bits above the calibrated maximum, so unseen inputs still fit. */
  headroomBits: number;
  /**
   * int8 (QDQ, QLinear) models' requantizations: `exact` (the default) multiplies by
   * in_scale·w_scale/out_scale held to REQUANT_BITS significant bits and saturates as the
   * model does; `fold` rescales by a power of two instead, at the widths a float model's
   * layers get (activationBits, no saturation), quantizes the input at inputBits, keeps
   * per-tensor int8 weights and requantizes per-channel ones at weightBits (src/ops/int8.ts,
   * src/ops/dense.ts). A QuantizeLinear whose int8 values are read as such (QLinear ops, an
   * int8 output) stays exact. Recorded in the manifest only when `fold`.
   */
  int8?: 'exact' | 'fold';
}

/** Defaults used when the caller gives no quantization options. */
export const DEFAULT_QUANT_OPTIONS: QuantOptions = { inputBits: 10, weightBits: 10, activationBits: 12, headroomBits: 1 };

/** The fields every fixed-point node has (an operator module's own node types extend it). */
export interface QNodeBase {
  input: string;
  output: string;
  source: NodeSource;
}

/** y[.., o] = Σ_i x[.., i] · weight[o·in + i] + bias[o]; output scale = input scale + weightScale. */
export interface QLinear extends QNodeBase {
  kind: 'linear';
  inFeatures: number;
  outFeatures: number;
  weight: number[];
  bias: number[];
  weightScale: number;
}

/**
 * ONNX Conv over [N, C, …spatial] with integer weights (row-major [M, C/group, …kernel])
 * and bias[M] at the output scale = input scale + weightScale; padding is zero.
 */
export interface QConv extends QNodeBase {
  kind: 'conv';
  weight: number[];
  bias: number[];
  weightScale: number;
  group: number;
  window: WindowSpec;
}

/** y = x · constant (elementwise, the constant broadcast to x's shape); output scale = input scale + weightScale. */
export interface QMulConst extends QNodeBase {
  kind: 'mulConst';
  constant: number[];
  weightScale: number;
}

/**
 * y[o] = multiplier[o] · Σ_{window(o)} x (the numerator of an average; padding adds 0).
 * `multiplier` has one integer per output spatial position, or is empty for all 1s; the
 * output scale is the input scale + multiplierScale.
 */
export interface QSumPool extends QNodeBase {
  kind: 'sumPool';
  window: WindowSpec;
  multiplier: number[];
  multiplierScale: number;
}

/**
 * y[o] = max over window(o), folding left: m ← max(m, x) for each further tap, where each
 * step proves m − x ∈ [−2^bits, 2^bits) (a wider difference cannot be proven).
 */
export interface QMaxPool extends QNodeBase {
  kind: 'maxPool';
  window: WindowSpec;
  bits: number;
}

/** y = x + constant (the constant already broadcast to x's shape and at x's scale). */
export interface QAddConst extends QNodeBase {
  kind: 'addConst';
  constant: number[];
}

/**
 * q = floor((x + 2^(shift−1)) / 2^shift) (q = x when shift is 0), with q range-checked to
 * `bits` signed bits; y = relu ? max(q, 0) : q. With `halfEven` (never with relu), exact
 * halves round to the even neighbour instead of up (ONNX QuantizeLinear rounding).
 * With `multiplier` (one positive integer per element), x is first multiplied by it; with
 * `saturate` = j, y is then clamped to j bits: [0, 2^j − 1] with relu (j ≤ bits − 2),
 * [−2^(j−1), 2^(j−1) − 1] without (j ≤ bits − 1): an int8/uint8 requantization, proven from
 * the one decomposition (the Requantize gadget). Neither is used with halfEven.
 */
export interface QRescale extends QNodeBase {
  kind: 'rescale';
  shift: number;
  bits: number;
  relu: boolean;
  halfEven?: boolean;
  multiplier?: number[];
  saturate?: number;
}

/** Same integers, new shape. */
export interface QReshape extends QNodeBase {
  kind: 'reshape';
  shape: Shape;
}

/** y = a·2^shiftA ± b·2^shiftB with a (`input`) and b (`other`) broadcast to y's shape. */
export interface QAdd extends QNodeBase {
  kind: 'add';
  other: string;
  shiftA: number;
  shiftB: number;
  subtract: boolean;
}

/** y = a·b with a (`input`) and b (`other`) broadcast to y's shape; one product constraint per element. */
export interface QMul extends QNodeBase {
  kind: 'mul';
  other: string;
}

/** One operand of a concatenation: a value multiplied by 2^shift, or integer constants of a shape. */
export type QConcatPart = { value: string; shift: number } | { constant: number[]; shape: Shape };

/** y = the parts joined along `axis`; `input` is the first value part. */
export interface QConcat extends QNodeBase {
  kind: 'concat';
  axis: number;
  parts: QConcatPart[];
}

/** y = x with axes permuted (ONNX Transpose). */
export interface QTranspose extends QNodeBase {
  kind: 'transpose';
  perm: number[];
}

/** y = x padded (ONNX Pad semantics); `fill` is the integer constant of constant mode. */
export interface QPad extends QNodeBase {
  kind: 'pad';
  pads: number[];
  mode: 'constant' | 'reflect' | 'edge' | 'wrap';
  fill: number;
}

/**
 * y = min(max(x, min), max) with either bound absent (null); each present bound is one
 * comparison proving a difference in [−2^bits, 2^bits) (`minBits`, `maxBits`).
 */
export interface QClamp extends QNodeBase {
  kind: 'clamp';
  min: number | null;
  max: number | null;
  minBits: number;
  maxBits: number;
}

/**
 * Rescale (as QRescale with shift and bits) fused with a two-slope activation:
 * y = q·positive for q ≥ 0, q·negative[i] otherwise (negative has one entry per element,
 * or one for all). LeakyRelu and PRelu with slopes at scale 2^slopeScale = positive.
 */
export interface QLeakyRelu extends QNodeBase {
  kind: 'leakyRelu';
  shift: number;
  bits: number;
  positive: number;
  negative: number[];
}

/**
 * Sigmoid or Tanh, piecewise linear: q = rescale(x) (shift, bits) and u = |q|;
 * h = min_i(slopes[i]·u + offsets[i]) folded left, each step proving a difference in
 * [−2^compareBits[i−1], 2^compareBits[i−1]); y = centre + sign(q)·h (sign(0) = +1), at the
 * rescaled scale plus slopeScale. `maxError` bounds |approximation − f| in real units
 * before rounding (see src/quant/pwl.ts).
 */
export interface QSquash extends QNodeBase {
  kind: 'squash';
  fn: 'sigmoid' | 'tanh' | 'erf';
  shift: number;
  bits: number;
  slopeScale: number;
  slopes: number[];
  offsets: number[];
  centre: number;
  compareBits: number[];
  maxError: number;
}

/**
 * y = the (first, or last with selectLast) index of the maximum along `axis` (removed or
 * kept as 1 by the output shape); each candidate's difference to the maximum is proven
 * in [0, 2^bits).
 */
export interface QArgMax extends QNodeBase {
  kind: 'argMax';
  axis: number;
  selectLast: boolean;
  bits: number;
}

/** y[i] = parts[part[i]] at flat index index[i] (a value part times 2^shift, or a constant). */
export interface QGather extends QNodeBase {
  kind: 'gather';
  parts: QConcatPart[];
  part: number[];
  index: number[];
}

/** y[o] = Σ_j x[windows[o][j]] (free). */
export interface QReduceSum extends QNodeBase {
  kind: 'reduceSum';
  windows: number[][];
}

/** y[o] = max_j x[windows[o][j]] folded left, each step proving a difference in [−2^bits, 2^bits) (as QMaxPool). */
export interface QReduceMax extends QNodeBase {
  kind: 'reduceMax';
  windows: number[][];
  bits: number;
}

/**
 * The fixed-point node types by kind. An operator module that brings a new kind declares its
 * node type in its own file and adds it here by declaration merging:
 * `declare module '../quant/model.js' { interface QNodeTypes { flip: QFlip } }`.
 */
export interface QNodeTypes {
  linear: QLinear;
  conv: QConv;
  addConst: QAddConst;
  mulConst: QMulConst;
  add: QAdd;
  mul: QMul;
  sumPool: QSumPool;
  maxPool: QMaxPool;
  rescale: QRescale;
  clamp: QClamp;
  leakyRelu: QLeakyRelu;
  squash: QSquash;
  reshape: QReshape;
  transpose: QTranspose;
  pad: QPad;
  concat: QConcat;
  gather: QGather;
  reduceSum: QReduceSum;
  reduceMax: QReduceMax;
  argMax: QArgMax;
}

/** A fixed-point node, discriminated on `kind`. */
export type QNode = QNodeTypes[keyof QNodeTypes];

/** Kinds whose entry in QNodeTypes is not the node of that kind. */
type MisfiledQKinds = { [K in keyof QNodeTypes]: QNodeTypes[K] extends { kind: K } ? never : K }[keyof QNodeTypes];
type AssertTrue<T extends true> = T;
/** A compile-time check that every entry of QNodeTypes is filed under its own kind. */
export type QNodeTypesChecked = AssertTrue<[MisfiledQKinds] extends [never] ? true : false>;

/** The names of the values a fixed-point node reads, in operand order: `parts` (their values), else `input` and `other`. */
export function qNodeInputs(node: QNode): string[] {
  return 'parts' in node ? node.parts.flatMap((p) => ('value' in p ? [p.value] : [])) : 'other' in node ? [node.input, node.other] : [node.input];
}

/** Scale and static bound of a fixed-point value. */
export interface QValueInfo {
  shape: Shape;
  /** log2 of the fixed-point factor. */
  scale: number;
  /** Every integer of this value lies in [min, max] for every input in range. */
  min: number;
  max: number;
}

/** The function applied to the proven output outside the circuit (deterministic, monotone). */
export interface OutputTransform {
  kind: 'softmax';
  axis: number;
  coerce2d: boolean;
  /** LogSoftmax: the logarithm of the softmax (absent for Softmax). */
  log?: true;
}

/**
 * An int8 model's input quantization (its leading ONNX QuantizeLinear, applied outside the
 * circuit like every input quantization): X = clamp(round_half_even(float32(x / scale[i])) +
 * zeroPoint[i], min, max), with scale and zeroPoint one value for all or one per element.
 * The model input's `scale` is then 0: the public input integers are X.
 */
export interface InputQuantization {
  scale: number[];
  zeroPoint: number[];
  min: number;
  max: number;
}

/** A quantized model: what the reference executor runs and the emitter compiles. */
export interface QModel {
  input: { name: string; shape: Shape; scale: number; bits: number; quantization?: InputQuantization };
  output: { name: string; shape: Shape; scale: number; min: number; max: number; transform?: OutputTransform };
  nodes: QNode[];
  values: Record<string, QValueInfo>;
  options: QuantOptions;
}
