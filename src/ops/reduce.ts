/**
 * Reductions over axes: ReduceSum, ReduceMean (the sum times 1/n) and ReduceMax, with
 * keepdims and axes as an attribute (ReduceSum before opset 13, the others before 18) or a
 * constant input, and noop_with_empty_axes. The converter lists, for every output element,
 * the flat input indices it reduces.
 *
 * Quantization: a sum stays at the input scale with n times the bounds (free); a mean's
 * 1/n is a constant multiply (exact for powers of two); a maximum works on the value as it
 * is (pending accumulators too, the rescale being monotone) with a comparison width from the
 * static and calibrated spans, as MaxPool.
 * Circuit cost: reduceSum none; reduceMax a MaxOf(n, b) per output of n > 1 inputs:
 * (n − 1)(b + 3) constraints plus input bindings.
 */
import { sizeOf, type Shape } from '../ir/graph.js';
import { constInput, fail, input, normalizeAxis, shapeOf, type ConvertContext, type Converter } from '../onnx/context.js';
import type { QReduceMax } from '../quant/model.js';
import { refuse } from '../reference/refuse.js';
import { combine } from '../circuit/linear-expr.js';
import { emitWindowMax, windowMaxCost } from './pooling.js';
import { family, type ElementKind } from './types.js';

/** For each output element (over the kept axes, row-major), the flat input indices reduced into it. */
export function reduceWindows(shape: Shape, axes: ReadonlySet<number>): number[][] {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let acc = 1;
  for (let a = rank - 1; a >= 0; a--) {
    strides[a] = acc;
    acc *= shape[a]!;
  }
  const keptShape = shape.map((d, a) => (axes.has(a) ? 1 : d));
  const outCount = sizeOf(keptShape);
  const windows: number[][] = Array.from({ length: outCount }, () => []);
  const at = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < acc; flat++) {
    let o = 0;
    let m = 1;
    for (let a = rank - 1; a >= 0; a--) {
      if (!axes.has(a)) o += at[a]! * m;
      m *= keptShape[a]!;
    }
    windows[o]!.push(flat);
    for (let a = rank - 1; a >= 0; a--) {
      if (++at[a]! < shape[a]!) break;
      at[a] = 0;
    }
  }
  return windows;
}

function reduceConverter(op: 'sum' | 'mean' | 'max', axesInputSince: number): Converter {
  return (ctx: ConvertContext) => {
    const x = input(ctx, 0, 'data');
    const shape = shapeOf(x);
    const rank = shape.length;
    const fromInput = ctx.opset >= axesInputSince;
    const given = fromInput ? (ctx.inputs[1] ? Array.from(constInput(ctx, 1, 'axes').data) : undefined) : ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : undefined;
    const keepdims = ctx.attrs.int('keepdims', 1) === 1;
    if ((given === undefined || given.length === 0) && fromInput && ctx.attrs.int('noop_with_empty_axes', 0) === 1) {
      if (x.value.kind === 'const') return ctx.setConst(x.value.tensor);
      return ctx.alias(x.name);
    }
    const axes = new Set((given && given.length > 0 ? given : shape.map((_, a) => a)).map((a) => normalizeAxis(ctx, a, rank)));
    const out = keepdims ? shape.map((d, a) => (axes.has(a) ? 1 : d)) : shape.filter((_, a) => !axes.has(a));
    const windows = reduceWindows(shape, axes);
    const n = windows[0]!.length;
    if (x.value.kind === 'const') {
      const d = x.value.tensor.data;
      const f = (w: number[]) => (op === 'max' ? Math.max(...w.map((i) => d[i]!)) : w.reduce((s, i) => s + d[i]!, 0) / (op === 'mean' ? n : 1));
      return ctx.setConst({ dtype: x.value.tensor.dtype, shape: out, data: Float64Array.from(windows, f) });
    }
    if (x.value.integer && op === 'mean') fail(ctx, 'ReduceMean of integers is not supported');
    const sumName = op === 'mean' ? ctx.temp('sum') : ctx.outputName;
    ctx.emit({ kind: 'reduce', op: op === 'max' ? 'max' : 'sum', input: x.name, output: sumName, windows, source: ctx.source }, out);
    if (op === 'mean') ctx.emit({ kind: 'mulConst', input: sumName, output: ctx.outputName, constant: { dtype: 'float64', shape: [], data: Float64Array.of(1 / n) }, source: ctx.source }, out);
  };
}

/** The window's maximum folded left as MaxOf computes it, refusing a difference outside its width. */
function foldMax(node: QReduceMax, x: number[], w: number[]): number {
  const limit = 2 ** node.bits;
  let m = x[w[0]!]!;
  for (let j = 1; j < w.length; j++) {
    const v = x[w[j]!]!;
    const d = m - v;
    if (d < -limit || d >= limit) refuse(node, `a difference of ${d} between reduced values is not in [${-limit}, ${limit - 1}]`);
    if (v > m) m = v;
  }
  return m;
}

export const reduceOps = family({
  onnx: { ReduceSum: reduceConverter('sum', 13), ReduceMean: reduceConverter('mean', 18), ReduceMax: reduceConverter('max', 18) },
  float: {
    reduce: {
      run(node, c) {
        const x = c.value(node.input);
        return Float64Array.from(node.windows, (w) => (node.op === 'max' ? Math.max(...w.map((i) => x[i]!)) : w.reduce((s, i) => s + x[i]!, 0)));
      },
      interval(node, c) {
        const x = c.interval(node.input);
        const f = (v: Float64Array) => Float64Array.from(node.windows, (w) => (node.op === 'max' ? Math.max(...w.map((i) => v[i]!)) : w.reduce((s, i) => s + v[i]!, 0)));
        return { lo: f(x.lo), hi: f(x.hi) };
      },
      quantize(q, node) {
        const x = q.get(node.input, node);
        if (node.op === 'sum') {
          const n = node.windows[0]!.length;
          q.push({ kind: 'reduceSum', input: x.q, output: node.output, windows: node.windows, source: node.source });
          q.set(node.output, q.define(node.output, { scale: x.scale, min: Math.min(n * x.min, x.min), max: Math.max(n * x.max, x.max), pending: x.pending }, node.output));
          return;
        }
        // Differences of two inputs: statically within ±(max − min); calibrated within ±2·range.
        const staticBits = Math.max(1, Math.ceil(Math.log2(x.max - x.min + 1)));
        const calibrated = Math.ceil(q.range(node.input) * 2 ** (x.scale + q.opts.headroomBits));
        const bits = Math.max(1, Math.min(staticBits, Math.ceil(Math.log2(2 * calibrated + 1))));
        q.push({ kind: 'reduceMax', input: x.q, output: node.output, windows: node.windows, bits, source: node.source });
        q.set(node.output, q.define(node.output, { ...x }, node.output));
      },
    },
  },
  fixed: {
    reduceSum: {
      cost: (node, c) => ({ constraints: 0, output: node.windows.map((w): ElementKind => (w.length === 1 ? c.kinds(node.input)[w[0]!]! : 'expr')) }),
      reference(node, c) {
        const x = c.value(node.input);
        return node.windows.map((w) => w.reduce((s, i) => s + x[i]!, 0));
      },
      emit(em, node) {
        const x = em.get(node.input, node.source);
        em.set(
          node.output,
          node.windows.map((w) =>
            w.length === 1
              ? x[w[0]!]!
              : combine(
                  w.map((i) => x[i]!),
                  new Array<number>(w.length).fill(1),
                  0,
                  0,
                ),
          ),
        );
      },
    },
    reduceMax: {
      cost: (node, c) =>
        windowMaxCost(
          node.windows.map((w) => w.map((i) => c.kinds(node.input)[i]!)),
          node.bits,
        ),
      reference: (node, c) => node.windows.map((w) => foldMax(node, c.value(node.input), w)),
      emit(em, node, index) {
        const x = em.get(node.input, node.source);
        em.set(
          node.output,
          emitWindowMax(
            em,
            index,
            node.windows.map((w) => w.map((i) => x[i]!)),
            node.bits,
          ),
        );
      },
    },
  },
});
