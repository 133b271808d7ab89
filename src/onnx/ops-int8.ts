/**
 * Converters for int8 models (ONNX operator docs): QuantizeLinear and DequantizeLinear (the
 * QDQ format: on constants they fold, so QDQ weights become plain float weights), MatMulInteger
 * and ConvInteger (exact integer products of zero-point-shifted operands), QLinearMatMul and
 * QLinearConv (the same integer product, then requantized with the multiplier
 * a_scale·b_scale / y_scale, rounding half to even and saturating, as onnxruntime does).
 * Quantized operands other than the first must be constants.
 */
import type { ConstTensor, Shape } from '../ir/graph.js';
import { roundHalfEven } from '../shared/rounding.js';
import { computedInput, constInput, fail, input, normalizeAxis, shapeOf, type ComputedInput, type ConvertContext, type Converter } from './context.js';
import { foldConstants } from './ops-linear.js';
import { emitConv } from './ops-conv.js';

const RANGES: Partial<Record<ConstTensor['dtype'], [number, number]>> = { uint8: [0, 255], int8: [-128, 127] };

/** A per-tensor (scalar) or per-axis (1-D, along the `axis` attribute) parameter as a constant broadcastable to `shape`. */
function alongAxis(ctx: ConvertContext, t: ConstTensor, shape: Shape, what: string): ConstTensor {
  if (t.data.length === 1) return { ...t, shape: [] };
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis', 1), shape.length);
  if (t.shape.length !== 1 || t.data.length !== shape[axis]) fail(ctx, `${what} has ${t.data.length} values; expected 1 or ${shape[axis]} (axis ${axis})`);
  return { ...t, shape: shape.map((d, a) => (a === axis ? d : 1)) };
}

/** Optional input i as a constant, or zero. */
function zeroPoint(ctx: ConvertContext, i: number, what: string): ConstTensor {
  return ctx.inputs[i] ? constInput(ctx, i, what) : { dtype: 'uint8', shape: [], data: Float64Array.of(0) };
}

const quantizeLinear: Converter = (ctx) => {
  const x = input(ctx, 0, 'x');
  const shape = shapeOf(x);
  const scale = alongAxis(ctx, constInput(ctx, 1, 'y_scale'), shape, 'y_scale');
  const zp = zeroPoint(ctx, 2, 'y_zero_point');
  const range = RANGES[zp.dtype];
  if (!range) fail(ctx, `QuantizeLinear to ${zp.dtype} is not supported (uint8 or int8)`);
  const zero = alongAxis(ctx, zp, shape, 'y_zero_point');
  if (x.value.kind === 'const') {
    const q = foldConstants(
      ctx,
      foldConstants(ctx, x.value.tensor, scale, (v, s) => roundHalfEven(v / s)),
      zero,
      (v, z) => Math.min(Math.max(v + z, range[0]), range[1]),
    );
    return ctx.setConst({ ...q, dtype: zp.dtype });
  }
  ctx.emit({ kind: 'requantize', input: x.name, output: ctx.outputName, scale, zeroPoint: zero, min: range[0], max: range[1], source: ctx.source }, shape, true);
};

const dequantizeLinear: Converter = (ctx) => {
  const x = input(ctx, 0, 'x');
  const shape = shapeOf(x);
  const scale = alongAxis(ctx, constInput(ctx, 1, 'x_scale'), shape, 'x_scale');
  const zero = alongAxis(ctx, zeroPoint(ctx, 2, 'x_zero_point'), shape, 'x_zero_point');
  if (x.value.kind === 'const') {
    const shifted = foldConstants(ctx, { ...x.value.tensor, dtype: 'float64' }, zero, (v, z) => v - z);
    return ctx.setConst({ ...foldConstants(ctx, shifted, scale, (v, s) => v * s), dtype: 'float32' });
  }
  ctx.emit({ kind: 'dequantize', input: computedInput(ctx, 0, 'x').name, output: ctx.outputName, scale, zeroPoint: zero, source: ctx.source }, shape, false);
};

/** x − zeroPoint as a new value (or x itself for a zero zero point); returns its name. */
function shiftBy(ctx: ConvertContext, x: ComputedInput, zero: ConstTensor): string {
  if (zero.data.every((z) => z === 0)) return x.name;
  const name = ctx.temp('shifted');
  ctx.emit({ kind: 'addConst', input: x.name, output: name, constant: { ...zero, dtype: 'float64', data: zero.data.map((z) => -z) }, source: ctx.source }, x.shape);
  return name;
}

/** (A − a_zp)·(B − b_zp) for a computed A [..., M, K] and a constant 2-D B; returns the output shape. */
function integerMatMul(ctx: ConvertContext, a: ComputedInput, aZero: ConstTensor, b: ConstTensor, bZero: ConstTensor, output: string): Shape {
  if (b.shape.length !== 2) fail(ctx, `the second operand must be a 2-D constant, got [${b.shape.join(', ')}]`);
  const [k, n] = b.shape as [number, number];
  if (a.shape[a.shape.length - 1] !== k) fail(ctx, `cannot multiply [${a.shape.join(', ')}] by [${k}, ${n}]`);
  const rows = a.shape.length >= 2 ? a.shape[a.shape.length - 2]! : 1;
  if (aZero.data.length !== 1 && aZero.data.length !== rows) fail(ctx, `a_zero_point has ${aZero.data.length} values; expected 1 or ${rows}`);
  if (bZero.data.length !== 1 && bZero.data.length !== n) fail(ctx, `b_zero_point has ${bZero.data.length} values; expected 1 or ${n}`);
  const shifted = shiftBy(ctx, a, aZero.data.length === 1 ? { ...aZero, shape: [] } : { ...aZero, shape: [rows, 1] });
  const weight = new Float64Array(n * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) weight[j * k + i] = b.data[i * n + j]! - bZero.data[bZero.data.length === 1 ? 0 : j]!;
  const shape = [...a.shape.slice(0, -1), n];
  ctx.emit({ kind: 'linear', input: shifted, output, weight, inFeatures: k, outFeatures: n, source: ctx.source }, shape, true);
  return shape;
}

/** Conv of (x − x_zp) with (w − w_zp); w_zp per output channel or scalar. */
function integerConv(ctx: ConvertContext, x: ComputedInput, xZero: ConstTensor, w: ConstTensor, wZero: ConstTensor, bias: Float64Array | undefined, output: string): Shape {
  const m = w.shape[0]!;
  if (wZero.data.length !== 1 && wZero.data.length !== m) fail(ctx, `w_zero_point has ${wZero.data.length} values; expected 1 or ${m}`);
  const perChannel = w.data.length / m;
  const weight: ConstTensor = { ...w, dtype: 'float64', data: w.data.map((v, i) => v - wZero.data[wZero.data.length === 1 ? 0 : Math.floor(i / perChannel)]!) };
  const shifted = shiftBy(ctx, x, { ...xZero, shape: [] });
  return emitConv(ctx, { name: shifted, shape: x.shape }, weight, bias, output);
}

const matMulInteger: Converter = (ctx) => {
  integerMatMul(ctx, computedInput(ctx, 0, 'A'), zeroPoint(ctx, 2, 'a_zero_point'), constInput(ctx, 1, 'B'), zeroPoint(ctx, 3, 'b_zero_point'), ctx.outputName);
};

const convInteger: Converter = (ctx) => {
  integerConv(ctx, computedInput(ctx, 0, 'x'), zeroPoint(ctx, 2, 'x_zero_point'), constInput(ctx, 1, 'w'), zeroPoint(ctx, 3, 'w_zero_point'), undefined, ctx.outputName);
};

/** The requantization after an integer product: y = saturate(rne(acc · a_s·b_s / y_s) + y_zp). */
function requantize(ctx: ConvertContext, acc: string, shape: Shape, scale: ConstTensor, yZero: ConstTensor): void {
  const range = RANGES[yZero.dtype];
  if (!range) fail(ctx, `output type ${yZero.dtype} is not supported (uint8 or int8)`);
  ctx.emit({ kind: 'requantize', input: acc, output: ctx.outputName, scale, zeroPoint: { ...yZero, shape: [] }, min: range[0], max: range[1], source: ctx.source }, shape, true);
}

const qlinearMatMul: Converter = (ctx) => {
  const [aScale, bScale, yScale] = [constInput(ctx, 1, 'a_scale'), constInput(ctx, 4, 'b_scale'), constInput(ctx, 6, 'y_scale')];
  const acc = ctx.temp('acc');
  const b = constInput(ctx, 3, 'b');
  const shape = integerMatMul(ctx, computedInput(ctx, 0, 'a'), constInput(ctx, 2, 'a_zero_point'), b, constInput(ctx, 5, 'b_zero_point'), acc);
  const n = b.shape[1]!;
  if (aScale.data.length !== 1 || yScale.data.length !== 1 || (bScale.data.length !== 1 && bScale.data.length !== n))
    fail(ctx, 'QLinearMatMul needs scalar a_scale and y_scale and a scalar or per-column b_scale');
  const scale: ConstTensor = { dtype: 'float64', shape: bScale.data.length === 1 ? [] : [n], data: bScale.data.map((s) => yScale.data[0]! / (aScale.data[0]! * s)) };
  requantize(ctx, acc, shape, scale, constInput(ctx, 7, 'y_zero_point'));
};

const qlinearConv: Converter = (ctx) => {
  const [xScale, wScale, yScale] = [constInput(ctx, 1, 'x_scale'), constInput(ctx, 4, 'w_scale'), constInput(ctx, 6, 'y_scale')];
  const w = constInput(ctx, 3, 'w');
  const m = w.shape[0]!;
  if (xScale.data.length !== 1 || yScale.data.length !== 1 || (wScale.data.length !== 1 && wScale.data.length !== m))
    fail(ctx, 'QLinearConv needs scalar x_scale and y_scale and a scalar or per-channel w_scale');
  const bias = ctx.inputs[8] ? Float64Array.from(constInput(ctx, 8, 'B').data) : undefined;
  const acc = ctx.temp('acc');
  const x = computedInput(ctx, 0, 'x');
  const shape = integerConv(ctx, x, constInput(ctx, 2, 'x_zero_point'), w, constInput(ctx, 5, 'w_zero_point'), bias, acc);
  const scale: ConstTensor = { dtype: 'float64', shape: wScale.data.length === 1 ? [] : [m, ...shape.slice(2).map(() => 1)], data: wScale.data.map((s) => yScale.data[0]! / (xScale.data[0]! * s)) };
  requantize(ctx, acc, shape, scale, constInput(ctx, 7, 'y_zero_point'));
};

/** Converters of this group by ONNX op type. */
export const INT8_CONVERTERS: Record<string, Converter> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  MatMulInteger: matMulInteger,
  ConvInteger: convInteger,
  QLinearMatMul: qlinearMatMul,
  QLinearConv: qlinearConv,
};
