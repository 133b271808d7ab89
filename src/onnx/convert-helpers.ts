/**
 * Helpers shared by the ONNX converters of several operator modules (src/ops/): constant
 * folding with broadcasting, scaling a constant, and the windowed ops' attribute reading
 * (kernel, strides, pads, dilations, auto_pad, following the ONNX operator docs, opsets
 * 9–21; auto_pad is resolved here, so the IR always carries explicit pads) with the Conv
 * node emission that Conv, ConvInteger and QLinearConv share.
 */
import type { ConstTensor, Shape, WindowSpec } from '../ir/graph.js';
import { autoPads, windowOutputShape } from '../ir/window.js';
import { broadcastShape, broadcastTo } from './broadcast.js';
import { fail, type ComputedInput, type ConvertContext } from './context.js';

/** Elementwise f over two broadcast constants. */
export function foldConstants(ctx: ConvertContext, a: ConstTensor, b: ConstTensor, f: (x: number, y: number) => number): ConstTensor {
  const shape = broadcastShape(a.shape, b.shape, ctx.where);
  const x = broadcastTo(a, shape);
  const y = broadcastTo(b, shape);
  const isInt = a.dtype !== 'float32' && a.dtype !== 'float64';
  return { dtype: a.dtype, shape, data: x.map((v, i) => (isInt ? Math.trunc(f(v, y[i]!)) : f(v, y[i]!))) };
}

/** A constant times k, as float64. */
export const scaled = (c: ConstTensor, k: number): ConstTensor => ({ ...c, dtype: 'float64', data: c.data.map((v) => v * k) });

/** Reads kernel/strides/pads/dilations/auto_pad and resolves them for the input's spatial shape. */
export function readWindow(ctx: ConvertContext, inSpatial: Shape, kernel: number[], withDilations: boolean): WindowSpec {
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

/** Fails when a window's output shape would be empty. */
export function checkWindowOutput(ctx: ConvertContext, shape: Shape): void {
  if (shape.some((d) => d <= 0)) fail(ctx, `the window does not fit: output shape would be [${shape.join(', ')}]`);
}

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
  checkWindowOutput(ctx, shape);
  ctx.emit({ kind: 'conv', input: xs.name, output, weight: Float64Array.from(w.data), bias, group, window, source: ctx.source }, shape);
  return shape;
}
