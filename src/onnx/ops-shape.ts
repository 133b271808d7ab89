/**
 * Converters for ops that only move or relabel values: Constant, Identity, Dropout (inference), Shape, Flatten,
 * Reshape, Squeeze, Unsqueeze (ONNX operator docs, opsets 9–21; Squeeze/Unsqueeze take
 * their axes as an attribute before opset 13 and as an input from 13 on).
 */
import { sizeOf, type ConstTensor, type Shape } from '../ir/graph.js';
import { constInput, fail, input, shapeOf, type ConvertContext, type Converter } from './context.js';

const constant: Converter = (ctx) => {
  const { attrs } = ctx;
  if (attrs.has('value')) ctx.setConst(attrs.tensor('value'));
  else if (attrs.has('value_float')) ctx.setConst({ dtype: 'float32', shape: [], data: Float64Array.of(attrs.float('value_float')) });
  else if (attrs.has('value_floats')) { const v = attrs.floats('value_floats'); ctx.setConst({ dtype: 'float32', shape: [v.length], data: Float64Array.from(v) }); }
  else if (attrs.has('value_int')) ctx.setConst({ dtype: 'int64', shape: [], data: Float64Array.of(attrs.int('value_int')) });
  else if (attrs.has('value_ints')) { const v = attrs.ints('value_ints'); ctx.setConst({ dtype: 'int64', shape: [v.length], data: Float64Array.from(v) }); }
  else fail(ctx, `Constant without a supported value attribute (found: ${attrs.names().join(', ') || 'none'})`);
};

const identity: Converter = (ctx) => {
  const x = input(ctx, 0, 'input');
  if (x.value.kind === 'const') ctx.setConst(x.value.tensor);
  else ctx.alias(x.name);
};

/**
 * Dropout in inference is the identity (opsets 7–11: always; from 12 on unless the optional
 * `training_mode` input is true, so it must be absent or a constant false). The mask output
 * is not supported.
 */
const dropout: Converter = (ctx) => {
  if (ctx.extraOutputsUsed) fail(ctx, 'the mask output of Dropout is not supported');
  const training = ctx.inputs[2];
  if (training && (training.value.kind !== 'const' || training.value.tensor.data.some((v) => v !== 0))) {
    fail(ctx, 'Dropout in training mode is not supported (training_mode must be a constant false)');
  }
  identity(ctx);
};

/** Shape: the input's static shape as an int64 constant (`start`/`end` slice it, opset 15 on). */
const shape: Converter = (ctx) => {
  const dims = shapeOf(input(ctx, 0, 'data'));
  const rank = dims.length;
  const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
  const start = clamp(ctx.attrs.int('start', 0));
  const end = clamp(ctx.attrs.int('end', rank));
  const out = dims.slice(start, Math.max(start, end));
  ctx.setConst({ dtype: 'int64', shape: [out.length], data: Float64Array.from(out) });
};

function reshapeLike(opType: string): Converter {
  return (ctx) => {
    const x = input(ctx, 0, 'data');
    const arg = ctx.inputs.length > 1 && ctx.inputs[1] ? constInput(ctx, 1, opType === 'Reshape' ? 'shape' : 'axes') : undefined;
    const shape = reshapeTarget(ctx, opType, shapeOf(x), arg);
    if (x.value.kind === 'const') ctx.setConst({ ...x.value.tensor, shape });
    else ctx.emit({ kind: 'reshape', input: x.name, output: ctx.outputName, shape, source: ctx.source }, shape);
  };
}

/** The output shape of Flatten, Reshape, Squeeze or Unsqueeze. */
export function reshapeTarget(ctx: ConvertContext, opType: string, inShape: Shape, arg: ConstTensor | undefined): Shape {
  const { attrs } = ctx;
  const rank = inShape.length;
  const total = sizeOf(inShape);
  switch (opType) {
    case 'Flatten': {
      const raw = attrs.int('axis', 1);
      const axis = raw < 0 ? raw + rank : raw;
      if (axis < 0 || axis > rank) fail(ctx, `axis ${raw} is out of range for rank ${rank}`);
      return [sizeOf(inShape.slice(0, axis)), sizeOf(inShape.slice(axis))];
    }
    case 'Reshape': {
      const spec = arg ? Array.from(arg.data) : attrs.ints('shape');
      const allowZero = attrs.int('allowzero', 0) === 1;
      const shape = spec.map((d, i) => (d === 0 && !allowZero ? inShape[i] ?? NaN : d));
      if (ctx.batchOverride && shape[0] === ctx.batchOverride.original) shape[0] = ctx.batchOverride.batch;
      const unknown = shape.filter((d) => d === -1).length;
      if (unknown > 1 || shape.some((d) => Number.isNaN(d) || d < -1)) fail(ctx, `invalid target shape [${spec.join(', ')}] for input [${inShape.join(', ')}]`);
      if (unknown === 1) {
        const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
        if (known === 0 || total % known !== 0) fail(ctx, `cannot reshape [${inShape.join(', ')}] to [${spec.join(', ')}]`);
        shape[shape.indexOf(-1)] = total / known;
      }
      if (sizeOf(shape) !== total) fail(ctx, `cannot reshape [${inShape.join(', ')}] (${total} elements) to [${shape.join(', ')}]`);
      return shape;
    }
    case 'Squeeze': {
      const axesRaw = arg ? Array.from(arg.data) : attrs.has('axes') ? attrs.ints('axes') : undefined;
      if (!axesRaw) return inShape.filter((d) => d !== 1);
      const axes = new Set(axesRaw.map((a) => (a < 0 ? a + rank : a)));
      for (const a of axes) if (inShape[a] !== 1) fail(ctx, `cannot squeeze axis ${a} of shape [${inShape.join(', ')}]`);
      return inShape.filter((_, i) => !axes.has(i));
    }
    case 'Unsqueeze': {
      const axesRaw = arg ? Array.from(arg.data) : attrs.ints('axes');
      const outRank = rank + axesRaw.length;
      const axes = new Set(axesRaw.map((a) => (a < 0 ? a + outRank : a)));
      if (axes.size !== axesRaw.length || [...axes].some((a) => a < 0 || a >= outRank)) fail(ctx, `invalid axes [${axesRaw.join(', ')}] for rank ${rank}`);
      const out: number[] = [];
      let j = 0;
      for (let i = 0; i < outRank; i++) out.push(axes.has(i) ? 1 : inShape[j++]!);
      return out;
    }
    default:
      return fail(ctx, 'not a reshape op');
  }
}

/** Converters of this group by ONNX op type. */
export const SHAPE_CONVERTERS: Record<string, Converter> = {
  Constant: constant,
  Identity: identity,
  Dropout: dropout,
  Shape: shape,
  Flatten: reshapeLike('Flatten'),
  Reshape: reshapeLike('Reshape'),
  Squeeze: reshapeLike('Squeeze'),
  Unsqueeze: reshapeLike('Unsqueeze'),
};
