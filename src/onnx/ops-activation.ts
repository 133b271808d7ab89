/**
 * Converters for elementwise non-linear ops — Relu, Clip (ReLU6 exports as Clip(0, 6)),
 * LeakyRelu, PRelu, Sigmoid, Tanh — and for the ops allowed only as the model's final
 * step: Softmax (monotone, so the circuit proves its input) and ArgMax (proven).
 * Constant inputs are folded.
 */
import type { ConstTensor } from '../ir/graph.js';
import { sigmoid } from '../shared/math.js';
import { broadcastShape, broadcastTo } from './broadcast.js';
import { computedInput, constInput, fail, input, normalizeAxis, type ConvertContext, type Converter } from './context.js';

/** Folds a constant input through f, or returns the computed input. */
function unary(ctx: ConvertContext, f: (v: number) => number) {
  const x = input(ctx, 0, 'X');
  if (x.value.kind === 'const') {
    ctx.setConst({ ...x.value.tensor, data: x.value.tensor.data.map(f) });
    return undefined;
  }
  return computedInput(ctx, 0, 'X');
}

const relu: Converter = (ctx) => {
  const x = unary(ctx, (v) => Math.max(0, v));
  if (x) ctx.emit({ kind: 'relu', input: x.name, output: ctx.outputName, source: ctx.source }, x.shape);
};

const clip: Converter = (ctx) => {
  let min = -Infinity;
  let max = Infinity;
  if (ctx.opset < 11) {
    min = ctx.attrs.float('min', -Infinity);
    max = ctx.attrs.float('max', Infinity);
  } else {
    if (ctx.inputs[1]) min = constInput(ctx, 1, 'min').data[0]!;
    if (ctx.inputs[2]) max = constInput(ctx, 2, 'max').data[0]!;
  }
  const x = unary(ctx, (v) => Math.min(Math.max(v, min), max));
  if (!x) return;
  // Neither bound (absent, or the float range's ends, the opset < 11 defaults): an identity.
  if (min <= -FLOAT32_MAX && max >= FLOAT32_MAX) ctx.alias(x.name);
  else ctx.emit({ kind: 'clip', input: x.name, output: ctx.outputName, min, max, source: ctx.source }, x.shape);
};

/** The largest finite float32, ONNX's default Clip bounds before opset 11. */
const FLOAT32_MAX = 3.4028234663852886e38;

const leakyRelu: Converter = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 0.01);
  const x = unary(ctx, (v) => (v >= 0 ? v : alpha * v));
  const slope: ConstTensor = { dtype: 'float64', shape: [], data: Float64Array.of(alpha) };
  if (x) ctx.emit({ kind: 'leakyRelu', input: x.name, output: ctx.outputName, slope, source: ctx.source }, x.shape);
};

const prelu: Converter = (ctx) => {
  const slope = constInput(ctx, 1, 'slope');
  const xIn = input(ctx, 0, 'X');
  const xShape = xIn.value.kind === 'const' ? xIn.value.tensor.shape : xIn.value.shape;
  if (broadcastShape(xShape, slope.shape, ctx.where).join() !== xShape.join()) fail(ctx, `slope of shape [${slope.shape.join(', ')}] does not broadcast to the input [${xShape.join(', ')}]`);
  const full = broadcastTo(slope, xShape);
  if (xIn.value.kind === 'const') return ctx.setConst({ ...xIn.value.tensor, data: xIn.value.tensor.data.map((v, i) => (v >= 0 ? v : full[i]! * v)) });
  const x = computedInput(ctx, 0, 'X');
  ctx.emit({ kind: 'leakyRelu', input: x.name, output: ctx.outputName, slope, source: ctx.source }, x.shape);
};

function squash(fn: 'sigmoid' | 'tanh'): Converter {
  return (ctx) => {
    const x = unary(ctx, fn === 'sigmoid' ? sigmoid : Math.tanh);
    if (x) ctx.emit({ kind: 'squash', fn, input: x.name, output: ctx.outputName, source: ctx.source }, x.shape);
  };
}

const softmax: Converter = (ctx) => {
  if (input(ctx, 0, 'input').value.kind !== 'value') fail(ctx, 'Softmax of a constant is not supported');
  const v = computedInput(ctx, 0, 'input');
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis', ctx.opset < 13 ? 1 : -1), v.shape.length);
  ctx.emit({ kind: 'softmax', input: v.name, output: ctx.outputName, axis, coerce2d: ctx.opset < 13, source: ctx.source }, v.shape);
};

const argMax: Converter = (ctx) => {
  if (input(ctx, 0, 'data').value.kind !== 'value') fail(ctx, 'ArgMax of a constant is not supported');
  const v = computedInput(ctx, 0, 'data');
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis', 0), v.shape.length);
  const keepdims = ctx.attrs.int('keepdims', 1) === 1;
  const selectLast = ctx.attrs.int('select_last_index', 0) === 1;
  const shape = keepdims ? v.shape.map((d, a) => (a === axis ? 1 : d)) : v.shape.filter((_, a) => a !== axis);
  ctx.emit({ kind: 'argMax', input: v.name, output: ctx.outputName, axis, keepdims, selectLast, source: ctx.source }, shape);
};

/** Converters of this group by ONNX op type. */
export const ACTIVATION_CONVERTERS: Record<string, Converter> = {
  Relu: relu,
  Clip: clip,
  LeakyRelu: leakyRelu,
  PRelu: prelu,
  Sigmoid: squash('sigmoid'),
  Tanh: squash('tanh'),
  Softmax: softmax,
  ArgMax: argMax,
};
