/**
 * Converters for the windowed ops: Conv (constant weights; strides, pads, auto_pad,
 * dilations, groups including depthwise), MaxPool, AveragePool and their Global forms,
 * following the ONNX operator docs (opsets 9–21). auto_pad is resolved here, so the IR
 * always carries explicit pads.
 */
import type { ConstTensor, Shape, WindowSpec } from '../ir/graph.js';
import { autoPads, windowOutputShape } from '../ir/window.js';
import { computedInput, constInput, fail, input, type ComputedInput, type ConvertContext, type Converter } from './context.js';

/** Reads kernel/strides/pads/dilations/auto_pad and resolves them for the input's spatial shape. */
function readWindow(ctx: ConvertContext, inSpatial: Shape, kernel: number[], withDilations: boolean): WindowSpec {
  const rank = inSpatial.length;
  const { attrs } = ctx;
  if (kernel.length !== rank) fail(ctx, `kernel_shape [${kernel.join(', ')}] does not match ${rank} spatial axes`);
  const strides = attrs.ints('strides', new Array<number>(rank).fill(1));
  const dilations = withDilations ? attrs.ints('dilations', new Array<number>(rank).fill(1)) : new Array<number>(rank).fill(1);
  if (strides.length !== rank || dilations.length !== rank) fail(ctx, `strides and dilations need ${rank} values`);
  if ([...kernel, ...strides, ...dilations].some((v) => !(v >= 1))) fail(ctx, 'kernel_shape, strides and dilations must be positive');
  const mode = attrs.string('auto_pad', 'NOTSET');
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(mode)) fail(ctx, `unknown auto_pad "${mode}"`);
  const pads = autoPads(mode, inSpatial, kernel, strides, dilations) ?? attrs.ints('pads', new Array<number>(2 * rank).fill(0));
  if (pads.length !== 2 * rank || pads.some((p) => p < 0)) fail(ctx, `pads [${pads.join(', ')}] must be ${2 * rank} non-negative values`);
  return { kernel, strides, pads, dilations };
}

function checkOutput(ctx: ConvertContext, shape: Shape): void {
  if (shape.some((d) => d <= 0)) fail(ctx, `the window does not fit: output shape would be [${shape.join(', ')}]`);
}

const conv: Converter = (ctx) => {
  const x = input(ctx, 0, 'X');
  if (x.value.kind === 'const') fail(ctx, 'Conv of a constant input is not supported');
  let bias: Float64Array | undefined;
  if (ctx.inputs[2]) bias = Float64Array.from(constInput(ctx, 2, 'B').data);
  emitConv(ctx, computedInput(ctx, 0, 'X'), constInput(ctx, 1, 'W'), bias, ctx.outputName);
};

/**
 * Emits a Conv node of `x` with constant weights (the node's attributes give the window and
 * groups); shared by Conv, ConvInteger and QLinearConv.
 * @returns the output shape
 */
export function emitConv(ctx: ConvertContext, xs: ComputedInput, w: ConstTensor, bias: Float64Array | undefined, output: string): Shape {
  if (xs.shape.length < 3) fail(ctx, `Conv input must be [N, C, …spatial], got [${xs.shape.join(', ')}]`);
  if (w.shape.length !== xs.shape.length) fail(ctx, `Conv weight [${w.shape.join(', ')}] does not match input rank ${xs.shape.length}`);
  const group = ctx.attrs.int('group', 1);
  const channels = xs.shape[1]!;
  const outChannels = w.shape[0]!;
  if (group < 1 || channels % group !== 0 || outChannels % group !== 0 || w.shape[1] !== channels / group) {
    fail(ctx, `Conv weight [${w.shape.join(', ')}] and group ${group} do not match ${channels} input channels`);
  }
  const kernel = ctx.attrs.ints('kernel_shape', w.shape.slice(2) as number[]);
  if (kernel.join() !== w.shape.slice(2).join()) fail(ctx, `kernel_shape [${kernel.join(', ')}] does not match the weight [${w.shape.join(', ')}]`);
  const window = readWindow(ctx, xs.shape.slice(2), kernel, true);
  if (bias && bias.length !== outChannels) fail(ctx, `Conv bias has ${bias.length} values, expected ${outChannels}`);
  const shape = windowOutputShape(xs.shape, outChannels, window);
  checkOutput(ctx, shape);
  ctx.emit({ kind: 'conv', input: xs.name, output, weight: Float64Array.from(w.data), bias, group, window, source: ctx.source }, shape);
  return shape;
}

function pool(kind: 'maxPool' | 'avgPool', global: boolean): Converter {
  return (ctx) => {
    const x = input(ctx, 0, 'X');
    if (x.value.kind === 'const') fail(ctx, 'pooling a constant is not supported');
    const xs = computedInput(ctx, 0, 'X');
    if (xs.shape.length < 3) fail(ctx, `the input must be [N, C, …spatial], got [${xs.shape.join(', ')}]`);
    if (ctx.extraOutputsUsed) fail(ctx, 'the Indices output of MaxPool is not supported');
    const spatial = xs.shape.slice(2);
    let window: WindowSpec;
    let ceil = false;
    if (global) {
      window = { kernel: [...spatial], strides: spatial.map(() => 1), pads: [...spatial, ...spatial].map(() => 0), dilations: spatial.map(() => 1) };
    } else {
      const withDilations = kind === 'maxPool' ? ctx.opset >= 10 : ctx.opset >= 19;
      window = readWindow(ctx, spatial, ctx.attrs.ints('kernel_shape'), withDilations);
      ceil = ctx.attrs.int('ceil_mode', 0) === 1;
    }
    const shape = windowOutputShape(xs.shape, xs.shape[1]!, window, ceil);
    checkOutput(ctx, shape);
    if (kind === 'maxPool') ctx.emit({ kind, input: xs.name, output: ctx.outputName, window, source: ctx.source }, shape);
    else ctx.emit({ kind, input: xs.name, output: ctx.outputName, window, countIncludePad: !global && ctx.attrs.int('count_include_pad', 0) === 1, source: ctx.source }, shape);
  };
}

/** Converters of this group by ONNX op type. */
export const CONV_CONVERTERS: Record<string, Converter> = {
  Conv: conv,
  MaxPool: pool('maxPool', false),
  AveragePool: pool('avgPool', false),
  GlobalMaxPool: pool('maxPool', true),
  GlobalAveragePool: pool('avgPool', true),
};
