/**
 * A float64 executor for the IR. It gives the float reference the quantized model is
 * measured against, and the per-value activation ranges that calibration needs (which
 * onnxruntime does not expose for intermediate values). Semantics follow the ONNX operator
 * docs of the ops each node kind comes from.
 */
import { InputError } from '../shared/errors.js';
import { broadcastTo } from '../onnx/broadcast.js';
import { sizeOf, type Graph, type IrNode } from './graph.js';
import { avgPoolForward, convForward, poolForward, windowMax } from './conv.js';
import { broadcastIndex, concatIndex, padIndex, transposeIndex } from './gather.js';

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
    const y = evalNode(graph, node, (name) => env.get(name)!);
    env.set(node.output, y);
    onValue?.(node.output, y);
  }
  return env.get(graph.output.name)!;
}

/** Rounds to the nearest integer, exact halves to the even one (ONNX QuantizeLinear, numpy.round). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The logistic function. */
export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

function evalNode(graph: Graph, node: IrNode, value: (name: string) => Float64Array): Float64Array {
  const x = value(node.input);
  const inShape = graph.shapes.get(node.input)!;
  const outShape = graph.shapes.get(node.output)!;
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
      const c = broadcastTo(node.constant, inShape);
      return x.map((v, i) => v + c[i]!);
    }
    case 'mulConst': {
      const c = broadcastTo(node.constant, inShape);
      return x.map((v, i) => v * c[i]!);
    }
    case 'binary': {
      const ia = broadcastIndex(inShape, outShape);
      const ib = broadcastIndex(graph.shapes.get(node.other)!, outShape);
      const b = value(node.other);
      const f = node.op === 'add' ? (p: number, q: number) => p + q : node.op === 'sub' ? (p: number, q: number) => p - q : (p: number, q: number) => p * q;
      return Float64Array.from(ia, (i, k) => f(x[i]!, b[ib[k]!]!));
    }
    case 'conv':
      return convForward(x, node.weight, node.bias, { input: inShape, output: outShape, group: node.group, window: node.window });
    case 'maxPool':
      return poolForward(x, { input: inShape, output: outShape, window: node.window }, windowMax);
    case 'avgPool':
      return avgPoolForward(x, { input: inShape, output: outShape, window: node.window }, node.countIncludePad);
    case 'relu':
      return x.map((v) => (v > 0 ? v : 0));
    case 'clip':
      return x.map((v) => Math.min(Math.max(v, node.min), node.max));
    case 'requantize': {
      const s = broadcastTo(node.scale, inShape);
      const z = broadcastTo(node.zeroPoint, inShape);
      return x.map((v, i) => Math.min(Math.max(roundHalfEven(v / s[i]!) + z[i]!, node.min), node.max));
    }
    case 'leakyRelu': {
      const s = broadcastTo(node.slope, inShape);
      return x.map((v, i) => (v >= 0 ? v : s[i]! * v));
    }
    case 'squash':
      return x.map(node.fn === 'sigmoid' ? sigmoid : Math.tanh);
    case 'reshape':
      return x;
    case 'transpose':
      return Float64Array.from(transposeIndex(inShape, node.perm), (i) => x[i]!);
    case 'pad':
      return Float64Array.from(padIndex(inShape, node.pads, node.mode), (i) => (i < 0 ? node.value : x[i]!));
    case 'concat': {
      const parts = node.parts.map((p) => ('value' in p ? { shape: graph.shapes.get(p.value)!, data: value(p.value) } : { shape: p.constant.shape, data: p.constant.data }));
      const { part, index } = concatIndex(parts.map((p) => p.shape), node.axis);
      return Float64Array.from(part, (p, i) => parts[p]!.data[index[i]!]!);
    }
    case 'softmax':
      return softmax(x, inShape, node.axis, node.coerce2d, node.log === true);
    case 'argMax':
      return argMax(x, inShape, node.axis, node.selectLast);
    default:
      node satisfies never;
      throw new Error('unreachable');
  }
}

/** Index of the largest value along `axis` (first or last on ties), as floats; the axis is removed. */
export function argMax(x: ArrayLike<number>, shape: readonly number[], axis: number, selectLast: boolean): Float64Array {
  const inner = sizeOf(shape.slice(axis + 1));
  const len = shape[axis]!;
  const outer = x.length / (inner * len);
  const y = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      for (let j = 1; j < len; j++) {
        const v = x[(o * len + j) * inner + i]!;
        const m = x[(o * len + best) * inner + i]!;
        if (v > m || (selectLast && v === m)) best = j;
      }
      y[o * inner + i] = best;
    }
  }
  return y;
}

/**
 * Softmax along `axis` of a row-major tensor; with `coerce2d` (opset < 13) the tensor is
 * flattened to [prod(shape[:axis]), prod(shape[axis:])] and normalised along the second axis.
 * With `log`, its logarithm (ONNX LogSoftmax): x − max − log Σ exp(x − max).
 */
export function softmax(x: ArrayLike<number>, shape: readonly number[], axis: number, coerce2d: boolean, log = false): Float64Array {
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
        y[i] = log ? x[i]! - max - Math.log(sum) : Math.exp(x[i]! - max) / sum;
      }
    }
  }
  return y;
}
