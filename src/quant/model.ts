/**
 * The fixed-point IR: every value is an integer tensor with a power-of-two scale (a real
 * value v is stored as round(v · 2^scale)). Linear steps (`linear`, `addConst`,
 * `reshape`) cost no constraints; `rescale` (divide by 2^shift with round-half-up,
 * optionally fused with ReLU) is where the circuit pays, one range check each.
 */
import type { NodeSource, Shape } from '../ir/graph.js';

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
}

/** Defaults used when the caller gives no quantization options. */
export const DEFAULT_QUANT_OPTIONS: QuantOptions = { inputBits: 10, weightBits: 10, activationBits: 12, headroomBits: 1 };

interface QNodeBase {
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

/** y = x + constant (the constant already broadcast to x's shape and at x's scale). */
export interface QAddConst extends QNodeBase {
  kind: 'addConst';
  constant: number[];
}

/**
 * q = floor((x + 2^(shift−1)) / 2^shift) (q = x when shift is 0), with q range-checked to
 * `bits` signed bits; y = relu ? max(q, 0) : q.
 */
export interface QRescale extends QNodeBase {
  kind: 'rescale';
  shift: number;
  bits: number;
  relu: boolean;
}

/** Same integers, new shape. */
export interface QReshape extends QNodeBase {
  kind: 'reshape';
  shape: Shape;
}

/** A fixed-point node, discriminated on `kind`. */
export type QNode = QLinear | QAddConst | QRescale | QReshape;

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
}

/** A quantized model: what the reference executor runs and the emitter compiles. */
export interface QModel {
  input: { name: string; shape: Shape; scale: number; bits: number };
  output: { name: string; shape: Shape; scale: number; min: number; max: number; transform?: OutputTransform };
  nodes: QNode[];
  values: Record<string, QValueInfo>;
  options: QuantOptions;
}
