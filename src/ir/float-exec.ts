/**
 * A float64 executor for the IR. It gives the float reference the quantized model is
 * measured against, and the per-value activation ranges that calibration needs (which
 * onnxruntime does not expose for intermediate values).
 */
import { InputError } from '../shared/errors.js';
import { broadcastTo } from '../onnx/broadcast.js';
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
  for (const node of graph.nodes) {
    const x = env.get(node.input)!;
    const y = evalNode(graph, node, x);
    env.set(node.output, y);
    onValue?.(node.output, y);
  }
  return env.get(graph.output.name)!;
}

function evalNode(graph: Graph, node: IrNode, x: Float64Array): Float64Array {
  switch (node.kind) {
    case 'linear': {
      const rows = x.length / node.inFeatures;
      const y = new Float64Array(rows * node.outFeatures);
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < node.outFeatures; o++) {
          let acc = node.bias ? node.bias[o]! : 0;
          const w = o * node.inFeatures;
          const xi = r * node.inFeatures;
          for (let i = 0; i < node.inFeatures; i++) acc += node.weight[w + i]! * x[xi + i]!;
          y[r * node.outFeatures + o] = acc;
        }
      }
      return y;
    }
    case 'addConst': {
      const c = broadcastTo(node.constant, graph.shapes.get(node.input)!);
      return x.map((v, i) => v + c[i]!);
    }
    case 'relu':
      return x.map((v) => (v > 0 ? v : 0));
    case 'reshape':
      return x;
    case 'softmax':
      return softmax(x, graph.shapes.get(node.input)!, node.axis, node.coerce2d);
    default:
      node satisfies never;
      throw new Error('unreachable');
  }
}

/**
 * Softmax along `axis` of a row-major tensor; with `coerce2d` (opset < 13) the tensor is
 * flattened to [prod(shape[:axis]), prod(shape[axis:])] and normalised along the second axis.
 */
export function softmax(x: ArrayLike<number>, shape: readonly number[], axis: number, coerce2d: boolean): Float64Array {
  const inner = coerce2d ? sizeOf(shape.slice(axis)) : sizeOf(shape.slice(axis + 1));
  const len = coerce2d ? inner : shape[axis]!;
  const stride = coerce2d ? 1 : inner;
  const block = coerce2d ? inner : len * inner;
  const y = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += block) {
    const lanes = coerce2d ? 1 : inner;
    for (let lane = 0; lane < lanes; lane++) {
      let max = -Infinity;
      for (let j = 0; j < len; j++) max = Math.max(max, x[base + lane + j * stride]!);
      let sum = 0;
      for (let j = 0; j < len; j++) sum += Math.exp(x[base + lane + j * stride]! - max);
      for (let j = 0; j < len; j++) {
        const i = base + lane + j * stride;
        y[i] = Math.exp(x[i]! - max) / sum;
      }
    }
  }
  return y;
}
