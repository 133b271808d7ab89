/**
 * A float64 executor for the IR. It gives the float reference the quantized model is
 * measured against, and the per-value activation ranges that calibration needs (which
 * onnxruntime does not expose for intermediate values). The semantics of each node kind
 * (following the ONNX operator docs of the ops it comes from) are in its operator module
 * (src/ops/), found through the registry.
 */
import { InputError } from '../shared/errors.js';
import { FLOAT_OPS } from '../ops/registry.js';
import type { FloatContext, FloatOp } from '../ops/types.js';
import { sizeOf, type Graph, type IrNode } from './graph.js';

/**
 * Runs the graph on a flat input (row-major, the graph input's shape).
 * @param onValue called with every computed value, in order (for calibration)
 * @returns the flat output
 */
export function runFloat(graph: Graph, input: Float64Array, onValue?: (name: string, data: Float64Array) => void): Float64Array {
  const expected = sizeOf(graph.input.shape);
  if (input.length !== expected) throw new InputError(`expected ${expected} input values, got ${input.length}`);
  const env = new Map<string, Float64Array>([[graph.input.name, input]]);
  const ctx: FloatContext = { graph, shape: (name) => graph.shapes.get(name)!, value: (name) => env.get(name)! };
  for (const node of graph.nodes) {
    const y = runNode(node, ctx);
    env.set(node.output, y);
    onValue?.(node.output, y);
  }
  return env.get(graph.output.name)!;
}

function runNode<N extends IrNode>(node: N, ctx: FloatContext): Float64Array {
  return (FLOAT_OPS[node.kind] as unknown as FloatOp<N>).run(node, ctx);
}
