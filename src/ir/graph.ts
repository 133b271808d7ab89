/**
 * The float IR: what the ONNX importer produces and the optimizer rewrites. It is a
 * topologically ordered list of nodes over named tensor values, with every shape known
 * statically. Ops are already normalised to the forms the compiler proves, grouped by how
 * they are proven:
 * - linear (free): `linear` (Gemm, MatMul), `conv`, `addConst`/`mulConst` (a constant
 *   operand, e.g. an unfolded BatchNormalization), `binary` add/sub, `avgPool`, and the moves
 *   `reshape`, `transpose`, `pad`, `concat`;
 * - non-linear: `relu`, `clip`, `leakyRelu`, `squash` (Sigmoid, Tanh), `maxPool`,
 *   `binary` mul, `requantize` (int8 QuantizeLinear and QLinear ops), and
 *   `dequantize` (int8 DequantizeLinear: free, the int8 values keep their scale);
 * - final steps: `softmax` (applied outside the circuit), `argMax` (proven).
 */

/** A static tensor shape; every dimension is a positive integer. */
export type Shape = readonly number[];

/** A constant tensor (initializer or Constant output), values widened to float64. */
export interface ConstTensor {
  dtype: 'float32' | 'float64' | 'int64' | 'int32' | 'int8' | 'uint8';
  shape: Shape;
  data: Float64Array;
}

/** Where a node came from in the ONNX graph, for error messages. */
export interface NodeSource {
  /** Index of the node in the ONNX graph's node list. */
  index: number;
  /** The ONNX node's name ('' when the model left it empty). */
  name: string;
  /** The ONNX op type (e.g. 'Gemm'). */
  opType: string;
}

/** The fields every float-IR node has (an operator module's own node types extend it). */
export interface NodeBase {
  input: string;
  output: string;
  source: NodeSource;
}

/** y[..., o] = Σ_i x[..., i] · weight[o][i] + bias[o], over the last axis of x. */
export interface LinearNode extends NodeBase {
  kind: 'linear';
  /** Row-major [outFeatures, inFeatures]. */
  weight: Float64Array;
  inFeatures: number;
  outFeatures: number;
  /** [outFeatures], or undefined for no bias. */
  bias?: Float64Array;
}

/** y = x + c with c broadcast to x's shape (numpy rules). */
export interface AddConstNode extends NodeBase {
  kind: 'addConst';
  constant: ConstTensor;
}

/** y = max(x, 0). */
export interface ReluNode extends NodeBase {
  kind: 'relu';
}

/** y = x with a new shape (same element count, row-major order). */
export interface ReshapeNode extends NodeBase {
  kind: 'reshape';
  shape: Shape;
}

/** y = softmax(x) (or log softmax(x), ONNX LogSoftmax) along `axis`; only allowed as the graph's last step. */
export interface SoftmaxNode extends NodeBase {
  kind: 'softmax';
  /** Non-negative axis into the input shape. */
  axis: number;
  /** Opsets below 13 flatten to 2-D at `axis` before normalising. */
  coerce2d: boolean;
  /** LogSoftmax: the logarithm of the softmax (absent for Softmax). */
  log?: true;
}

/**
 * The resolved geometry of a sliding window over the spatial axes (everything after
 * [N, C]) — ONNX Conv / MaxPool / AveragePool attributes after auto_pad is applied.
 * Arrays have one entry per spatial axis; `pads` is [begin_0, …, begin_n, end_0, …, end_n].
 */
export interface WindowSpec {
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
}

/**
 * y[n, m, …] = bias[m] + Σ_{c, k} weight[m, c, k] · x[n, g·C/group + c, window(…, k)]
 * (ONNX Conv, zero padding), with input [N, C, …] and output [N, M, …].
 */
export interface ConvNode extends NodeBase {
  kind: 'conv';
  /** Row-major [M, C/group, ...kernel]. */
  weight: Float64Array;
  bias?: Float64Array;
  group: number;
  window: WindowSpec;
}

/** y = max over each window (padding is ignored: it is −∞). */
export interface MaxPoolNode extends NodeBase {
  kind: 'maxPool';
  window: WindowSpec;
}

/**
 * y = (Σ over each window) / count, with count the window's size inside the padded input
 * (countIncludePad) or inside the unpadded input.
 */
export interface AvgPoolNode extends NodeBase {
  kind: 'avgPool';
  window: WindowSpec;
  countIncludePad: boolean;
}

/** y = x · c with c broadcast to x's shape (numpy rules). */
export interface MulConstNode extends NodeBase {
  kind: 'mulConst';
  constant: ConstTensor;
}

/** y = x ⊕ other for two computed tensors, both broadcast to the output shape (numpy rules). */
export interface BinaryNode extends NodeBase {
  kind: 'binary';
  op: 'add' | 'sub' | 'mul';
  other: string;
}

/** One operand of a Concat: a computed value or a constant. */
export type ConcatPart = { value: string } | { constant: ConstTensor };

/** y = the parts joined along `axis`; `input` is the first computed part. */
export interface ConcatNode extends NodeBase {
  kind: 'concat';
  axis: number;
  parts: ConcatPart[];
}

/** y = x with its axes permuted: y's axis i is x's axis perm[i]. */
export interface TransposeNode extends NodeBase {
  kind: 'transpose';
  perm: number[];
}

/** ONNX Pad: pads = [begin_0, …, begin_n, end_0, …, end_n] (non-negative); `value` fills in constant mode. */
export interface PadNode extends NodeBase {
  kind: 'pad';
  pads: number[];
  mode: 'constant' | 'reflect' | 'edge' | 'wrap';
  value: number;
}

/** y = min(max(x, min), max); a missing bound is ±Infinity. */
export interface ClipNode extends NodeBase {
  kind: 'clip';
  min: number;
  max: number;
}

/** y = x for x ≥ 0, slope·x otherwise (LeakyRelu: a scalar slope; PRelu: broadcast to x). */
export interface LeakyReluNode extends NodeBase {
  kind: 'leakyRelu';
  slope: ConstTensor;
}

/** y = sigmoid(x), tanh(x) or erf(x), approximated piecewise-linearly in the circuit. */
export interface SquashNode extends NodeBase {
  kind: 'squash';
  fn: 'sigmoid' | 'tanh' | 'erf';
}

/** y = index of the largest value along `axis` (the first one unless selectLast); only as the final step. */
export interface ArgMaxNode extends NodeBase {
  kind: 'argMax';
  axis: number;
  keepdims: boolean;
  selectLast: boolean;
}

/**
 * y = clamp(round_half_even(x / scale) + zeroPoint, min, max), scale and zeroPoint broadcast
 * to x: ONNX QuantizeLinear, and the requantization step of QLinearConv and QLinearMatMul.
 */
export interface RequantizeNode extends NodeBase {
  kind: 'requantize';
  scale: ConstTensor;
  zeroPoint: ConstTensor;
  min: number;
  max: number;
}

/**
 * y = (x − zeroPoint) · scale, scale and zeroPoint broadcast to x: ONNX DequantizeLinear of a
 * computed tensor (int8 or uint8 values).
 */
export interface DequantizeNode extends NodeBase {
  kind: 'dequantize';
  scale: ConstTensor;
  zeroPoint: ConstTensor;
}

/**
 * y[i] = parts[part[i]] at flat index index[i]: any data movement with a static index map
 * (Slice, Gather with constant indices, Split, Expand, Tile, nearest Resize/Upsample, Where
 * with a constant condition). `input` is the first computed part.
 */
export interface GatherNode extends NodeBase {
  kind: 'gather';
  parts: ConcatPart[];
  part: number[];
  index: number[];
}

/** y[o] = Σ or max over x[windows[o][j]] (ReduceSum, ReduceMean before its division, ReduceMax). */
export interface ReduceNode extends NodeBase {
  kind: 'reduce';
  op: 'sum' | 'max';
  windows: number[][];
}

/**
 * The float-IR node types by kind. An operator module that brings a new kind declares its
 * node type in its own file and adds it here by declaration merging:
 * `declare module '../ir/graph.js' { interface IrNodeTypes { flip: FlipNode } }`.
 */
export interface IrNodeTypes {
  linear: LinearNode;
  conv: ConvNode;
  addConst: AddConstNode;
  mulConst: MulConstNode;
  binary: BinaryNode;
  relu: ReluNode;
  clip: ClipNode;
  requantize: RequantizeNode;
  dequantize: DequantizeNode;
  leakyRelu: LeakyReluNode;
  squash: SquashNode;
  maxPool: MaxPoolNode;
  avgPool: AvgPoolNode;
  reshape: ReshapeNode;
  transpose: TransposeNode;
  pad: PadNode;
  concat: ConcatNode;
  gather: GatherNode;
  reduce: ReduceNode;
  softmax: SoftmaxNode;
  argMax: ArgMaxNode;
}

/** A node of the float IR, discriminated on `kind`. */
export type IrNode = IrNodeTypes[keyof IrNodeTypes];

/** Kinds whose entry in IrNodeTypes is not the node of that kind. */
type MisfiledIrKinds = { [K in keyof IrNodeTypes]: IrNodeTypes[K] extends { kind: K } ? never : K }[keyof IrNodeTypes];
type AssertTrue<T extends true> = T;
/** A compile-time check that every entry of IrNodeTypes is filed under its own kind. */
export type IrNodeTypesChecked = AssertTrue<[MisfiledIrKinds] extends [never] ? true : false>;

/** A graph input or output. */
export interface ValueInfo {
  name: string;
  shape: Shape;
}

/** An imported model: one input, one output, nodes in topological order. */
export interface Graph {
  input: ValueInfo;
  output: ValueInfo;
  nodes: IrNode[];
  /** The static shape of every value (graph input, node outputs). */
  shapes: Map<string, Shape>;
  /** The default-domain opset the model was exported with. */
  opset: number;
  /** The batch size in the ONNX file when `--batch` replaced it. */
  originalBatch?: number;
}

/** Number of elements in a shape. */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Formats a node's origin as `node 3 "fc1" (Gemm)`. */
export function describeSource(source: NodeSource): string {
  return `node ${source.index} "${source.name}" (${source.opType})`;
}

/** The names of the values a node reads, in operand order. */
export function nodeInputs(node: IrNode): string[] {
  return 'parts' in node ? node.parts.flatMap((p) => ('value' in p ? [p.value] : [])) : 'other' in node ? [node.input, node.other] : [node.input];
}
