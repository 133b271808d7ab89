/**
 * Converters for ops that are linear in the model input once their other operands are
 * constants: MatMul, Gemm, Add, Sub, Mul, Div (one constant operand; two computed operands
 * become the `binary` kind), BatchNormalization (inference form, ONNX opsets 9–15:
 * y = (x − mean) / √(var + ε) · scale + B per channel, as a constant multiply and add that
 * the optimizer folds into a preceding Conv or Gemm).
 */
import { sizeOf, type ConstTensor, type Shape } from '../ir/graph.js';
import { broadcastShape, broadcastTo } from './broadcast.js';
import { computedInput, constInput, fail, input, isInteger, shapeOf, type ComputedInput, type ConvertContext, type Converter, type Input } from './context.js';

/** Converts an elementwise op whose operands are both computed. */
export function binaryComputed(ctx: ConvertContext, op: 'add' | 'sub' | 'mul', a: ComputedInput, b: ComputedInput): void {
  const shape = broadcastShape(a.shape, b.shape, ctx.where);
  ctx.emit({ kind: 'binary', op, input: a.name, other: b.name, output: ctx.outputName, source: ctx.source }, shape);
}

/** Elementwise f over two broadcast constants. */
export function foldConstants(ctx: ConvertContext, a: ConstTensor, b: ConstTensor, f: (x: number, y: number) => number): ConstTensor {
  const shape = broadcastShape(a.shape, b.shape, ctx.where);
  const x = broadcastTo(a, shape);
  const y = broadcastTo(b, shape);
  const isInt = a.dtype !== 'float32' && a.dtype !== 'float64';
  return { dtype: a.dtype, shape, data: x.map((v, i) => (isInt ? Math.trunc(f(v, y[i]!)) : f(v, y[i]!))) };
}

/** Checks that a constant operand does not broadcast the computed one to a larger shape. */
function checkNoGrow(ctx: ConvertContext, v: ComputedInput, c: ConstTensor): void {
  const shape = broadcastShape(v.shape, c.shape, ctx.where);
  if (shape.join() !== v.shape.join()) {
    fail(ctx, `the constant of shape [${c.shape.join(', ')}] would broadcast the input [${v.shape.join(', ')}] to [${shape.join(', ')}]`);
  }
}

function computed(x: Input): ComputedInput {
  return { name: x.name, shape: (x.value as { shape: Shape }).shape };
}

const scaled = (c: ConstTensor, k: number): ConstTensor => ({ ...c, dtype: 'float64', data: c.data.map((v) => v * k) });

/** Add, Sub, Mul, Div with broadcasting. */
function elementwise(op: 'Add' | 'Sub' | 'Mul' | 'Div'): Converter {
  const f = { Add: (x: number, y: number) => x + y, Sub: (x: number, y: number) => x - y, Mul: (x: number, y: number) => x * y, Div: (x: number, y: number) => x / y }[op];
  return (ctx) => {
    const a = input(ctx, 0, 'A');
    const b = input(ctx, 1, 'B');
    if (a.value.kind === 'const' && b.value.kind === 'const') return ctx.setConst(foldConstants(ctx, a.value.tensor, b.value.tensor, f));
    if (op === 'Div' && (isInteger(a) || isInteger(b))) fail(ctx, 'integer Div (truncating division) is not supported');
    if (a.value.kind === 'value' && b.value.kind === 'value') {
      if (op === 'Div') fail(ctx, 'Div of two computed tensors is not supported (the divisor must be a constant)');
      return binaryComputed(ctx, op === 'Add' ? 'add' : op === 'Sub' ? 'sub' : 'mul', computed(a), computed(b));
    }
    const constFirst = a.value.kind === 'const';
    const v = computed(constFirst ? b : a);
    const c = ((constFirst ? a : b).value as { tensor: ConstTensor }).tensor;
    checkNoGrow(ctx, v, c);
    const out = ctx.outputName;
    switch (op) {
      case 'Add':
        return ctx.emit({ kind: 'addConst', input: v.name, output: out, constant: c, source: ctx.source }, v.shape);
      case 'Mul':
        return ctx.emit({ kind: 'mulConst', input: v.name, output: out, constant: c, source: ctx.source }, v.shape);
      case 'Div':
        if (constFirst) fail(ctx, 'Div with a computed divisor is not supported (the divisor must be a constant)');
        return ctx.emit({ kind: 'mulConst', input: v.name, output: out, constant: { ...c, dtype: 'float64', data: c.data.map((d) => 1 / d) }, source: ctx.source }, v.shape);
      case 'Sub': {
        if (!constFirst) return ctx.emit({ kind: 'addConst', input: v.name, output: out, constant: scaled(c, -1), source: ctx.source }, v.shape);
        const negated = ctx.temp('negated');
        ctx.emit({ kind: 'mulConst', input: v.name, output: negated, constant: { dtype: 'float64', shape: [], data: Float64Array.of(-1) }, source: ctx.source }, v.shape);
        return ctx.emit({ kind: 'addConst', input: negated, output: out, constant: c, source: ctx.source }, v.shape);
      }
    }
  };
}

const matMul: Converter = (ctx) => {
  const a = input(ctx, 0, 'A');
  const bIn = input(ctx, 1, 'B');
  if (a.value.kind === 'const' && bIn.value.kind === 'const') fail(ctx, 'MatMul of two constants is not supported');
  if (a.value.kind !== 'value') fail(ctx, 'MatMul with a constant first operand is not supported');
  const b = constInput(ctx, 1, 'B');
  if (b.shape.length !== 2) fail(ctx, `MatMul weight must be 2-D, got [${b.shape.join(', ')}]`);
  const [k, n] = b.shape as [number, number];
  const aShape = a.value.shape;
  if (aShape[aShape.length - 1] !== k) fail(ctx, `cannot multiply [${aShape.join(', ')}] by [${k}, ${n}]`);
  const weight = new Float64Array(n * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) weight[j * k + i] = b.data[i * n + j]!;
  const shape = [...aShape.slice(0, -1), n];
  ctx.emit({ kind: 'linear', input: a.name, output: ctx.outputName, weight, inFeatures: k, outFeatures: n, source: ctx.source }, shape);
};

const gemm: Converter = (ctx) => {
  const { attrs } = ctx;
  const a = input(ctx, 0, 'A');
  if (a.value.kind !== 'value') fail(ctx, 'Gemm with a constant A is not supported');
  const b = constInput(ctx, 1, 'B');
  const c = ctx.inputs[2]?.value;
  const alpha = attrs.float('alpha', 1);
  const beta = attrs.float('beta', 1);
  const transA = attrs.int('transA', 0);
  const transB = attrs.int('transB', 0);
  const aShape = a.value.shape;
  if (aShape.length !== 2) fail(ctx, `Gemm input A must be 2-D, got [${aShape.join(', ')}]`);
  if (b.shape.length !== 2) fail(ctx, `Gemm input B must be 2-D, got [${b.shape.join(', ')}]`);
  let inputName = a.name;
  let [m, k] = aShape as [number, number];
  if (transA) {
    [m, k] = [k, m];
    inputName = ctx.temp('transA');
    if (aShape[0] === 1 || aShape[1] === 1) ctx.emit({ kind: 'reshape', input: a.name, output: inputName, shape: [m, k], source: ctx.source }, [m, k]);
    else ctx.emit({ kind: 'transpose', input: a.name, output: inputName, perm: [1, 0], source: ctx.source }, [m, k]);
  }
  const [b0, b1] = b.shape as [number, number];
  const bk = transB ? b1 : b0;
  const n = transB ? b0 : b1;
  if (bk !== k) fail(ctx, `Gemm shapes do not match: A is [${m}, ${k}], B gives K=${bk}`);
  const weight = new Float64Array(n * k);
  for (let o = 0; o < n; o++) {
    for (let i = 0; i < k; i++) weight[o * k + i] = alpha * (transB ? b.data[o * b1 + i]! : b.data[i * b1 + o]!);
  }
  let bias: Float64Array | undefined;
  let matrixBias: ConstTensor | undefined;
  if (c) {
    if (c.kind !== 'const') fail(ctx, 'Gemm input C must be a constant');
    const cs = c.tensor.shape;
    if (broadcastShape([m, n], cs, ctx.where).join() !== [m, n].join()) fail(ctx, `Gemm bias C of shape [${cs.join(', ')}] does not broadcast to [${m}, ${n}]`);
    const size = sizeOf(cs);
    if (size === 1) bias = new Float64Array(n).fill(beta * c.tensor.data[0]!);
    else if (size === n && cs[cs.length - 1] === n) bias = c.tensor.data.map((v) => beta * v);
    else matrixBias = scaled(c.tensor, beta); // varies along rows: a constant add after the product
  }
  const product = matrixBias ? ctx.temp('product') : ctx.outputName;
  ctx.emit({ kind: 'linear', input: inputName, output: product, weight, inFeatures: k, outFeatures: n, bias, source: ctx.source }, [m, n]);
  if (matrixBias) ctx.emit({ kind: 'addConst', input: product, output: ctx.outputName, constant: matrixBias, source: ctx.source }, [m, n]);
};

const batchNormalization: Converter = (ctx) => {
  if (ctx.attrs.int('training_mode', 0) !== 0) fail(ctx, 'BatchNormalization in training mode is not supported');
  if (ctx.extraOutputsUsed) fail(ctx, 'BatchNormalization running mean/variance outputs are not supported');
  const x = input(ctx, 0, 'X');
  const names = ['scale', 'B', 'input_mean', 'input_var'];
  const [scale, bias, mean, variance] = names.map((what, i) => constInput(ctx, i + 1, what)) as [ConstTensor, ConstTensor, ConstTensor, ConstTensor];
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const shape = shapeOf(x);
  const channels = shape[1] ?? 1;
  for (const [i, t] of [scale, bias, mean, variance].entries()) {
    if (sizeOf(t.shape) !== channels) fail(ctx, `input ${i + 1} (${names[i]}) has ${sizeOf(t.shape)} values, expected one per channel (${channels})`);
  }
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    a[c] = scale.data[c]! / Math.sqrt(variance.data[c]! + eps);
    b[c] = bias.data[c]! - mean.data[c]! * a[c]!;
  }
  const perChannel = [channels, ...new Array<number>(Math.max(0, shape.length - 2)).fill(1)];
  const aT: ConstTensor = { dtype: 'float64', shape: perChannel, data: a };
  const bT: ConstTensor = { dtype: 'float64', shape: perChannel, data: b };
  if (x.value.kind === 'const') {
    const mul = foldConstants(ctx, x.value.tensor, aT, (p, q) => p * q);
    return ctx.setConst(foldConstants(ctx, mul, bT, (p, q) => p + q));
  }
  const v = computedInput(ctx, 0, 'X');
  const mid = ctx.temp('scaled');
  ctx.emit({ kind: 'mulConst', input: v.name, output: mid, constant: aT, source: ctx.source }, v.shape);
  ctx.emit({ kind: 'addConst', input: mid, output: ctx.outputName, constant: bT, source: ctx.source }, v.shape);
};

/** Converters of this group by ONNX op type. */
export const LINEAR_CONVERTERS: Record<string, Converter> = {
  Add: elementwise('Add'),
  Sub: elementwise('Sub'),
  Mul: elementwise('Mul'),
  Div: elementwise('Div'),
  MatMul: matMul,
  Gemm: gemm,
  BatchNormalization: batchNormalization,
};
