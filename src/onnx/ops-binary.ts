/**
 * Converters for ops that combine or move computed tensors: Add/Sub/Mul of two computed
 * tensors (numpy broadcasting), Concat, Transpose and Pad (ONNX operator docs, opsets
 * 9–21; Pad takes pads and the fill value as inputs from opset 11 and axes from 18).
 */
import { sizeOf, type ConcatPart, type ConstTensor, type Shape } from '../ir/graph.js';
import { concatIndex, padIndex, padShape, transposeIndex, transposeShape } from '../ir/gather.js';
import { broadcastShape } from './broadcast.js';
import { constInput, fail, input, normalizeAxis, shapeOf, type ComputedInput, type ConvertContext, type Converter } from './context.js';

/** Converts an elementwise op whose operands are both computed. */
export function binaryComputed(ctx: ConvertContext, op: 'add' | 'sub' | 'mul', a: ComputedInput, b: ComputedInput): void {
  const shape = broadcastShape(a.shape, b.shape, ctx.where);
  ctx.emit({ kind: 'binary', op, input: a.name, other: b.name, output: ctx.outputName, source: ctx.source }, shape);
}

const gatherConst = (t: ConstTensor, shape: Shape, map: Int32Array, fill = 0): ConstTensor => ({
  dtype: t.dtype,
  shape,
  data: Float64Array.from(map, (i) => (i < 0 ? fill : t.data[i]!)),
});

const concat: Converter = (ctx) => {
  const inputs = ctx.inputs.map((v, i) => v ?? input(ctx, i, 'input'));
  if (inputs.length === 0) fail(ctx, 'Concat needs at least one input');
  const rank = shapeOf(inputs[0]!).length;
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis'), rank);
  const shapes = inputs.map(shapeOf);
  for (const s of shapes) {
    if (s.length !== rank || s.some((d, a) => a !== axis && d !== shapes[0]![a])) {
      fail(ctx, `cannot concatenate [${shapes.map((x) => x.join(', ')).join('], [')}] along axis ${axis}`);
    }
  }
  const out = [...shapes[0]!];
  out[axis] = shapes.reduce((s, x) => s + x[axis]!, 0);
  if (inputs.every((v) => v.value.kind === 'const')) {
    const { part, index } = concatIndex(shapes, axis);
    const tensors = inputs.map((v) => (v.value as { tensor: ConstTensor }).tensor);
    return ctx.setConst({ dtype: tensors[0]!.dtype, shape: out, data: Float64Array.from(part, (p, i) => tensors[p]!.data[index[i]!]!) });
  }
  const parts: ConcatPart[] = inputs.map((v) => (v.value.kind === 'const' ? { constant: v.value.tensor } : { value: v.name }));
  const first = inputs.find((v) => v.value.kind === 'value')!;
  ctx.emit({ kind: 'concat', input: first.name, output: ctx.outputName, axis, parts, source: ctx.source }, out);
};

const transpose: Converter = (ctx) => {
  const x = input(ctx, 0, 'data');
  const shape = shapeOf(x);
  const perm = ctx.attrs.ints('perm', shape.map((_, i) => shape.length - 1 - i));
  if (perm.length !== shape.length || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) fail(ctx, `perm [${perm.join(', ')}] is not a permutation of ${shape.length} axes`);
  const out = transposeShape(shape, perm);
  if (x.value.kind === 'const') return ctx.setConst(gatherConst(x.value.tensor, out, transposeIndex(shape, perm)));
  ctx.emit({ kind: 'transpose', input: x.name, output: ctx.outputName, perm, source: ctx.source }, out);
};

const pad: Converter = (ctx) => {
  const x = input(ctx, 0, 'data');
  const shape = shapeOf(x);
  const rank = shape.length;
  const mode = ctx.attrs.string('mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge' && mode !== 'wrap') fail(ctx, `unknown Pad mode "${mode}"`);
  let pads: number[];
  let value = 0;
  if (ctx.opset < 11) {
    pads = ctx.attrs.ints('pads');
    value = ctx.attrs.float('value', 0);
  } else {
    const raw = Array.from(constInput(ctx, 1, 'pads').data);
    if (ctx.inputs[2]) value = constInput(ctx, 2, 'constant_value').data[0] ?? 0;
    if (ctx.inputs[3]) {
      const axes = Array.from(constInput(ctx, 3, 'axes').data).map((a) => normalizeAxis(ctx, a, rank));
      if (raw.length !== 2 * axes.length) fail(ctx, `pads has ${raw.length} values for ${axes.length} axes`);
      pads = new Array<number>(2 * rank).fill(0);
      axes.forEach((a, i) => {
        pads[a] = raw[i]!;
        pads[a + rank] = raw[i + axes.length]!;
      });
    } else pads = raw;
  }
  if (pads.length !== 2 * rank) fail(ctx, `pads has ${pads.length} values, expected ${2 * rank}`);
  if (pads.some((p) => p < 0)) fail(ctx, `negative pads (cropping) are not supported: [${pads.join(', ')}]`);
  if (mode === 'reflect' && shape.some((d, a) => (pads[a]! > 0 || pads[a + rank]! > 0) && pads[a]! >= d && d > 1)) fail(ctx, 'reflect padding wider than the input is not supported');
  const out = padShape(shape, pads);
  if (sizeOf(shape) === 0) fail(ctx, 'cannot pad an empty tensor');
  if (x.value.kind === 'const') return ctx.setConst(gatherConst(x.value.tensor, out, padIndex(shape, pads, mode), value));
  ctx.emit({ kind: 'pad', input: x.name, output: ctx.outputName, pads, mode, value, source: ctx.source }, out);
};

/** Converters of this group by ONNX op type. */
export const MOVE_CONVERTERS: Record<string, Converter> = {
  Concat: concat,
  Transpose: transpose,
  Pad: pad,
};
