/**
 * The float IR: what the ONNX importer produces and the optimizer rewrites. It is a
 * topologically ordered list of nodes over named tensor values, with every shape known
 * statically. Ops are already normalised to the few forms the compiler proves:
 * `linear` (Gemm and MatMul with a constant weight), `addConst` (a constant bias),
 * `relu`, `reshape` (Flatten, Reshape, Squeeze, Unsqueeze) and a final `softmax`.
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

interface NodeBase {
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

/** y = softmax(x) along `axis`; only allowed as the graph's last step. */
export interface SoftmaxNode extends NodeBase {
  kind: 'softmax';
  /** Non-negative axis into the input shape. */
  axis: number;
  /** Opsets below 13 flatten to 2-D at `axis` before normalising. */
  coerce2d: boolean;
}

/** A node of the float IR, discriminated on `kind`. */
export type IrNode = LinearNode | AddConstNode | ReluNode | ReshapeNode | SoftmaxNode;

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
