/**
 * Data movement by a static index map, one IR kind for all: Slice, Gather (constant
 * indices), Split, Expand, Tile, Resize and Upsample (mode nearest), Where with a
 * constant condition and DepthToSpace. The converter computes, for every output element, which part (a
 * computed value or a constant) and which flat index it copies; every later stage applies
 * that map, so adding such an op is its converter and a registry line.
 *
 * Quantization: the computed parts aligned to the finest scale among them (a free power-of-
 * two multiply), constant parts at that scale.
 * Circuit cost: none; outputs are the moved expressions.
 */
import { sizeOf, type ConcatPart, type ConstTensor, type Shape } from '../ir/graph.js';
import { broadcastIndex, forEachIndex, strides } from '../ir/gather.js';
import { broadcastShape } from '../onnx/broadcast.js';
import { constInput, fail, input, normalizeAxis, shapeOf, type ConvertContext, type Converter, type Input } from '../onnx/context.js';
import type { QConcatPart } from '../quant/model.js';
import type { Ref } from '../quant/quantizer.js';
import { combine, constantExpr } from '../circuit/linear-expr.js';
import { fillKinds } from '../circuit/gadget-cost.js';
import { family, type ElementKind } from './types.js';

/** For every output element (row-major), the flat input index given by `source(outIndex)` (a multi-index into `input`). */
export function indexMap(input: Shape, output: Shape, source: (out: readonly number[]) => readonly number[]): Int32Array {
  const st = strides(input);
  const map = new Int32Array(sizeOf(output));
  forEachIndex(output, (at, flat) => {
    const src = source(at);
    let i = 0;
    for (let a = 0; a < src.length; a++) i += src[a]! * st[a]!;
    map[flat] = i;
  });
  return map;
}

/** Defines output `name` as x moved by `map`: a folded constant, or a gather node. */
function emitMove(ctx: ConvertContext, x: Input, shape: Shape, map: Int32Array, name = ctx.outputName): void {
  if (x.value.kind === 'const') {
    const t = x.value.tensor;
    if (name !== ctx.outputName) fail(ctx, 'a constant input is supported only with one output');
    ctx.setConst({ dtype: t.dtype, shape, data: Float64Array.from(map, (i) => t.data[i]!) });
    return;
  }
  ctx.emit({ kind: 'gather', input: x.name, output: name, parts: [{ value: x.name }], part: new Array<number>(map.length).fill(0), index: Array.from(map), source: ctx.source }, shape);
}

/** Integer values of an optional constant input (undefined when absent). */
function intsInput(ctx: ConvertContext, i: number, what: string): number[] | undefined {
  return ctx.inputs[i] ? Array.from(constInput(ctx, i, what).data) : undefined;
}

const slice: Converter = (ctx) => {
  const x = input(ctx, 0, 'data');
  const shape = shapeOf(x);
  const rank = shape.length;
  const old = ctx.opset < 10;
  const starts = old ? ctx.attrs.ints('starts') : (intsInput(ctx, 1, 'starts') ?? fail(ctx, 'missing starts'));
  const ends = old ? ctx.attrs.ints('ends') : (intsInput(ctx, 2, 'ends') ?? fail(ctx, 'missing ends'));
  const axes = (old ? (ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : undefined) : intsInput(ctx, 3, 'axes')) ?? starts.map((_, i) => i);
  const steps = (old ? undefined : intsInput(ctx, 4, 'steps')) ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) fail(ctx, 'starts, ends, axes and steps must have the same length');
  const begin = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  const out = [...shape];
  axes.forEach((raw, k) => {
    const a = normalizeAxis(ctx, raw, rank);
    const dim = shape[a]!;
    const s = steps[k]!;
    if (s === 0) fail(ctx, 'a step of 0 is not allowed');
    let b = starts[k]! < 0 ? starts[k]! + dim : starts[k]!;
    let e = ends[k]! < 0 ? ends[k]! + dim : ends[k]!;
    if (s > 0) {
      b = Math.min(Math.max(b, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      b = Math.min(Math.max(b, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    begin[a] = b;
    step[a] = s;
    out[a] = Math.max(0, Math.ceil((e - b) / s));
  });
  if (sizeOf(out) === 0) fail(ctx, `the slice of [${shape.join(', ')}] is empty`);
  emitMove(
    ctx,
    x,
    out,
    indexMap(shape, out, (o) => o.map((v, a) => begin[a]! + v * step[a]!)),
  );
};

const gather: Converter = (ctx) => {
  const x = input(ctx, 0, 'data');
  const indices = constInput(ctx, 1, 'indices');
  const shape = shapeOf(x);
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis', 0), shape.length);
  const dim = shape[axis]!;
  const idx = Array.from(indices.data, (v) => (v < 0 ? v + dim : v));
  if (idx.some((v) => !Number.isInteger(v) || v < 0 || v >= dim)) fail(ctx, `an index is out of range for axis ${axis} of size ${dim}`);
  const r = indices.shape.length;
  const out = [...shape.slice(0, axis), ...indices.shape, ...shape.slice(axis + 1)];
  const ist = strides(indices.shape);
  emitMove(
    ctx,
    x,
    out,
    indexMap(shape, out, (o) => {
      let k = 0;
      for (let j = 0; j < r; j++) k += o[axis + j]! * ist[j]!;
      return [...o.slice(0, axis), idx[k]!, ...o.slice(axis + r)];
    }),
  );
};

const split: Converter = (ctx) => {
  const x = input(ctx, 0, 'input');
  if (x.value.kind === 'const') fail(ctx, 'Split of a constant is not supported');
  const shape = shapeOf(x);
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis', 0), shape.length);
  const n = ctx.outputs.length;
  const given = ctx.opset < 13 ? (ctx.attrs.has('split') ? ctx.attrs.ints('split') : undefined) : intsInput(ctx, 1, 'split');
  let sizes: number[];
  if (given) sizes = given;
  else {
    const chunk = Math.ceil(shape[axis]! / n);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, shape[axis]! - i * chunk)));
  }
  if (sizes.length !== n || sizes.reduce((p, v) => p + v, 0) !== shape[axis]) fail(ctx, `split sizes [${sizes.join(', ')}] do not divide axis ${axis} of size ${shape[axis]} into ${n} outputs`);
  let offset = 0;
  sizes.forEach((size, i) => {
    const begin = offset;
    offset += size;
    const name = ctx.outputs[i]!;
    if (name === '' && i > 0) return;
    if (size === 0) fail(ctx, `output ${i} would be empty`);
    const out = shape.map((d, a) => (a === axis ? size : d));
    emitMove(
      ctx,
      x,
      out,
      indexMap(shape, out, (o) => o.map((v, a) => (a === axis ? v + begin : v))),
      name || ctx.outputName,
    );
  });
};

const expand: Converter = (ctx) => {
  const x = input(ctx, 0, 'input');
  const target = Array.from(constInput(ctx, 1, 'shape').data);
  const shape = shapeOf(x);
  const out = broadcastShape(shape, target, ctx.where);
  emitMove(ctx, x, out, broadcastIndex(shape, out));
};

const tile: Converter = (ctx) => {
  const x = input(ctx, 0, 'input');
  const shape = shapeOf(x);
  const repeats = Array.from(constInput(ctx, 1, 'repeats').data);
  if (repeats.length !== shape.length || repeats.some((r) => !Number.isInteger(r) || r < 1)) fail(ctx, `repeats [${repeats.join(', ')}] must be one positive integer per axis`);
  const out = shape.map((d, a) => d * repeats[a]!);
  emitMove(
    ctx,
    x,
    out,
    indexMap(shape, out, (o) => o.map((v, a) => v % shape[a]!)),
  );
};

/** The input coordinate of output coordinate `o` along an axis of nearest-neighbour resizing. */
function nearest(ctx: ConvertContext, mode: string, rounding: string, o: number, inLen: number, outLen: number, scale: number): number {
  let x: number;
  switch (mode) {
    case 'half_pixel':
      x = (o + 0.5) / scale - 0.5;
      break;
    case 'pytorch_half_pixel':
      x = outLen > 1 ? (o + 0.5) / scale - 0.5 : 0;
      break;
    case 'align_corners':
      x = outLen === 1 ? 0 : (o * (inLen - 1)) / (outLen - 1);
      break;
    case 'asymmetric':
      x = o / scale;
      break;
    case 'tf_half_pixel_for_nn':
      x = (o + 0.5) / scale;
      break;
    default:
      return fail(ctx, `coordinate_transformation_mode "${mode}" is not supported`);
  }
  let i: number;
  const frac = x - Math.floor(x);
  switch (rounding) {
    case 'round_prefer_floor':
      i = frac === 0.5 ? Math.floor(x) : Math.round(x);
      break;
    case 'round_prefer_ceil':
      i = frac === 0.5 ? Math.ceil(x) : Math.round(x);
      break;
    case 'floor':
      i = Math.floor(x);
      break;
    case 'ceil':
      i = Math.ceil(x);
      break;
    default:
      return fail(ctx, `nearest_mode "${rounding}" is not supported`);
  }
  return Math.min(Math.max(i, 0), inLen - 1);
}

/** Resize (opsets 10–21) and Upsample (opset 9), mode nearest. */
function resize(upsample: boolean): Converter {
  return (ctx) => {
    const x = input(ctx, 0, 'X');
    const shape = shapeOf(x);
    const rank = shape.length;
    const mode = ctx.attrs.string('mode', 'nearest');
    if (mode !== 'nearest') fail(ctx, `mode "${mode}" is not supported (only nearest, a data move)`);
    const legacy = upsample || ctx.opset < 11;
    const coord = legacy ? 'asymmetric' : ctx.attrs.string('coordinate_transformation_mode', 'half_pixel');
    const rounding = legacy ? 'floor' : ctx.attrs.string('nearest_mode', 'round_prefer_floor');
    if (!legacy && ctx.attrs.string('keep_aspect_ratio_policy', 'stretch') !== 'stretch') fail(ctx, 'keep_aspect_ratio_policy other than stretch is not supported');
    const axes = (legacy ? undefined : ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : undefined)?.map((a) => normalizeAxis(ctx, a, rank)) ?? shape.map((_, a) => a);
    const scalesIndex = legacy ? 1 : 2;
    const scalesIn = upsample && ctx.opset < 9 ? ctx.attrs.floats('scales') : ctx.inputs[scalesIndex] ? Array.from(constInput(ctx, scalesIndex, 'scales').data) : [];
    const sizesIn = !legacy && ctx.inputs[3] ? Array.from(constInput(ctx, 3, 'sizes').data) : [];
    const scale = shape.map(() => 1);
    const out = [...shape];
    if (sizesIn.length > 0) {
      if (sizesIn.length !== axes.length) fail(ctx, 'sizes must have one entry per axis');
      axes.forEach((a, k) => {
        out[a] = sizesIn[k]!;
        scale[a] = sizesIn[k]! / shape[a]!;
      });
    } else {
      if (scalesIn.length !== axes.length) fail(ctx, 'scales must have one entry per axis');
      axes.forEach((a, k) => {
        scale[a] = scalesIn[k]!;
        out[a] = Math.floor(shape[a]! * scalesIn[k]!);
      });
    }
    if (out.some((d) => !(d >= 1))) fail(ctx, `output shape [${out.join(', ')}] is empty`);
    const lookup = shape.map((d, a) => Array.from({ length: out[a]! }, (_, o) => (out[a] === d && scale[a] === 1 ? o : nearest(ctx, coord, rounding, o, d, out[a]!, scale[a]!))));
    emitMove(
      ctx,
      x,
      out,
      indexMap(shape, out, (o) => o.map((v, a) => lookup[a]![v]!)),
    );
  };
}

/**
 * DepthToSpace (opsets 1–13; mode DCR, the default, or CRD from opset 11): an [N, C, H, W]
 * input to [N, C/b², H·b, W·b], each b×b spatial block taken from b² channels.
 */
const depthToSpace: Converter = (ctx) => {
  const x = input(ctx, 0, 'input');
  const shape = shapeOf(x);
  if (shape.length !== 4) fail(ctx, `expected a 4-D input [N, C, H, W], got [${shape.join(', ')}]`);
  const b = ctx.attrs.int('blocksize');
  const mode = ctx.attrs.string('mode', 'DCR');
  if (mode !== 'DCR' && mode !== 'CRD') fail(ctx, `mode "${mode}" is not supported (DCR or CRD)`);
  const [n, c, h, w] = shape as [number, number, number, number];
  if (b < 1 || c % (b * b) !== 0) fail(ctx, `blocksize ${b}: the ${c} channels are not a multiple of blocksize²`);
  const channels = c / (b * b);
  const out = [n, channels, h * b, w * b];
  emitMove(
    ctx,
    x,
    out,
    indexMap(shape, out, ([i, ch, y, z]) => {
      const block = (y! % b) * b + (z! % b);
      return [i!, mode === 'DCR' ? block * channels + ch! : ch! * b * b + block, Math.floor(y! / b), Math.floor(z! / b)];
    }),
  );
};

/** Where(condition, X, Y) with a constant condition: each output element copies X or Y. */
const where: Converter = (ctx) => {
  const cond = input(ctx, 0, 'condition');
  if (cond.value.kind !== 'const') fail(ctx, 'the condition must be a constant (a computed condition would need a proven selector)');
  const c = cond.value.tensor;
  const a = input(ctx, 1, 'X');
  const b = input(ctx, 2, 'Y');
  const out = broadcastShape(broadcastShape(c.shape, shapeOf(a), ctx.where), shapeOf(b), ctx.where);
  const ic = broadcastIndex(c.shape, out);
  const ia = broadcastIndex(shapeOf(a), out);
  const ib = broadcastIndex(shapeOf(b), out);
  const part = Array.from(ic, (i) => (c.data[i]! !== 0 ? 0 : 1));
  const index = part.map((p, k) => (p === 0 ? ia[k]! : ib[k]!));
  const parts = [a, b].map((v): ConcatPart => (v.value.kind === 'const' ? { constant: v.value.tensor } : { value: v.name }));
  if (a.value.kind === 'const' && b.value.kind === 'const') {
    const data = [a.value.tensor.data, b.value.tensor.data];
    return ctx.setConst({ dtype: a.value.tensor.dtype, shape: out, data: Float64Array.from(part, (p, k) => data[p]![index[k]!]!) });
  }
  const first = parts.find((p): p is { value: string } => 'value' in p)!;
  ctx.emit({ kind: 'gather', input: first.value, output: ctx.outputName, parts, part, index, source: ctx.source }, out);
};

const partData = (p: ConcatPart, value: (name: string) => Float64Array): ArrayLike<number> => ('value' in p ? value(p.value) : (p as { constant: ConstTensor }).constant.data);

export const gatherOps = family({
  onnx: { Slice: slice, Gather: gather, Split: split, Expand: expand, Tile: tile, Resize: resize(false), Upsample: resize(true), Where: where, DepthToSpace: depthToSpace },
  float: {
    gather: {
      run(node, c) {
        const data = node.parts.map((p) => partData(p, c.value));
        return Float64Array.from(node.part, (p, i) => data[p]![node.index[i]!]!);
      },
      interval(node, c) {
        const lo = node.parts.map((p) => partData(p, (n) => c.interval(n).lo));
        const hi = node.parts.map((p) => partData(p, (n) => c.interval(n).hi));
        return { lo: Float64Array.from(node.part, (p, i) => lo[p]![node.index[i]!]!), hi: Float64Array.from(node.part, (p, i) => hi[p]![node.index[i]!]!) };
      },
      quantize(q, node) {
        const refs = node.parts.map((p) => ('value' in p ? q.get(p.value, node) : undefined));
        const scale = Math.max(...refs.flatMap((r) => (r ? [r.scale] : [])));
        const used = new Set(node.part);
        let min = Infinity;
        let max = -Infinity;
        const parts: QConcatPart[] = node.parts.map((p, i) => {
          const r = refs[i];
          if (r) {
            const shift = scale - r.scale;
            if (used.has(i)) {
              min = Math.min(min, r.min * 2 ** shift);
              max = Math.max(max, r.max * 2 ** shift);
            }
            return { value: r.q, shift };
          }
          const t = (p as { constant: ConstTensor }).constant;
          const constant = Array.from(t.data, (v) => Math.round(v * 2 ** scale));
          node.part.forEach((k, j) => {
            if (k !== i) return;
            min = Math.min(min, constant[node.index[j]!]!);
            max = Math.max(max, constant[node.index[j]!]!);
          });
          return { constant, shape: [...t.shape] };
        });
        const first = refs.find((r): r is Ref => r !== undefined)!;
        q.push({ kind: 'gather', input: first.q, output: node.output, parts, part: node.part, index: node.index, source: node.source });
        q.set(node.output, q.define(node.output, { scale, min, max, pending: refs.some((r) => r?.pending) }, node.output));
      },
    },
  },
  fixed: {
    gather: {
      publicConstants: (node) => (node.parts.some((p) => 'constant' in p) ? 'a constant part (it would be a circuit constant)' : undefined),
      cost(node, c) {
        const parts = node.parts.map((p) => ('value' in p ? c.kinds(p.value).map((k): ElementKind => (p.shift === 0 ? k : 'expr')) : fillKinds(p.constant.length, 'const')));
        return { constraints: 0, output: node.part.map((p, i) => parts[p]![node.index[i]!]!) };
      },
      reference(node, c) {
        const parts = node.parts.map((p) => ('value' in p ? { data: c.value(p.value), k: 2 ** p.shift } : { data: p.constant, k: 1 }));
        return node.part.map((p, i) => parts[p]!.data[node.index[i]!]! * parts[p]!.k);
      },
      emit(em, node) {
        const parts = node.parts.map((p) => ('value' in p ? em.get(p.value, node.source).map((e) => (p.shift === 0 ? e : combine([e], [2 ** p.shift], 0, 0))) : p.constant.map(constantExpr)));
        em.set(
          node.output,
          node.part.map((p, i) => parts[p]![node.index[i]!]!),
        );
      },
    },
  },
});
