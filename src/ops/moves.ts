/**
 * Data movement: Reshape (and Flatten, Squeeze, Unsqueeze), Transpose, Pad (constant,
 * reflect, edge, wrap) and Concat. Every stage applies the same index map (src/ir/gather.ts),
 * so a move cannot be implemented twice differently.
 *
 * Quantization: the same integers moved; Concat aligns its computed parts to the finest
 * scale among them by multiplying the coarser ones by a power of two (free), and Pad's fill
 * and Concat's constant parts are taken at the value's scale.
 * Circuit cost: none; outputs are the moved expressions (constants for fills).
 */
import { concatIndex, padIndex, padShape, transposeIndex, transposeShape } from '../ir/gather.js';
import { sizeOf, type ConcatPart, type ConstTensor, type Shape } from '../ir/graph.js';
import { constInput, fail, input, normalizeAxis, shapeOf, type ConvertContext, type Converter } from '../onnx/context.js';
import type { QConcatPart } from '../quant/model.js';
import type { Ref } from '../quant/quantizer.js';
import { combine, constantExpr, type LinearExpr } from '../circuit/linear-expr.js';
import { fillKinds } from '../circuit/gadget-cost.js';
import { family, type ElementKind } from './types.js';

// ONNX conversion: Constant, Identity, Dropout (inference), Shape, Flatten, Reshape, Squeeze, Unsqueeze (opsets 9–21; Squeeze and
// Unsqueeze take their axes as an attribute before opset 13 and as an input from 13 on).

const constant: Converter = (ctx) => {
  const { attrs } = ctx;
  if (attrs.has('value')) ctx.setConst(attrs.tensor('value'));
  else if (attrs.has('value_float')) ctx.setConst({ dtype: 'float32', shape: [], data: Float64Array.of(attrs.float('value_float')) });
  else if (attrs.has('value_floats')) {
    const v = attrs.floats('value_floats');
    ctx.setConst({ dtype: 'float32', shape: [v.length], data: Float64Array.from(v) });
  } else if (attrs.has('value_int')) ctx.setConst({ dtype: 'int64', shape: [], data: Float64Array.of(attrs.int('value_int')) });
  else if (attrs.has('value_ints')) {
    const v = attrs.ints('value_ints');
    ctx.setConst({ dtype: 'int64', shape: [v.length], data: Float64Array.from(v) });
  } else fail(ctx, `Constant without a supported value attribute (found: ${attrs.names().join(', ') || 'none'})`);
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
const shapeOp: Converter = (ctx) => {
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
      const shape = spec.map((d, i) => (d === 0 && !allowZero ? (inShape[i] ?? NaN) : d));
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

// Concat, Transpose and Pad (pads and the fill value are inputs from opset 11, axes from 18).

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
  const perm = ctx.attrs.ints(
    'perm',
    shape.map((_, i) => shape.length - 1 - i),
  );
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

export const moves = family({
  onnx: {
    Constant: constant,
    Identity: identity,
    Dropout: dropout,
    Shape: shapeOp,
    Flatten: reshapeLike('Flatten'),
    Reshape: reshapeLike('Reshape'),
    Squeeze: reshapeLike('Squeeze'),
    Unsqueeze: reshapeLike('Unsqueeze'),
    Concat: concat,
    Transpose: transpose,
    Pad: pad,
  },
  float: {
    reshape: {
      run: (node, c) => c.value(node.input),
      interval: (node, c) => c.interval(node.input),
      quantize(q, node) {
        // An int8 value keeps its units (same order of elements) and its deferred ReLU.
        const x = q.exact(node.input, node);
        q.push({ kind: 'reshape', input: x.q, output: node.output, shape: node.shape, source: node.source });
        const { unit, relu, ...plain } = x;
        const out = q.define(node.output, plain, node.output);
        q.set(node.output, unit ? { ...out, unit, ...(relu !== undefined ? { relu } : {}) } : out);
      },
    },
    transpose: {
      run: (node, c) => {
        const x = c.value(node.input);
        return Float64Array.from(transposeIndex(c.shape(node.input), node.perm), (i) => x[i]!);
      },
      interval: (node, c) => {
        const x = c.interval(node.input);
        const map = transposeIndex(c.shape(node.input), node.perm);
        return { lo: Float64Array.from(map, (i) => x.lo[i]!), hi: Float64Array.from(map, (i) => x.hi[i]!) };
      },
      quantize(q, node) {
        const x = q.get(node.input, node);
        q.push({ kind: 'transpose', input: x.q, output: node.output, perm: node.perm, source: node.source });
        q.set(node.output, q.define(node.output, { ...x }, node.output));
      },
    },
    pad: {
      run: (node, c) => {
        const x = c.value(node.input);
        return Float64Array.from(padIndex(c.shape(node.input), node.pads, node.mode), (i) => (i < 0 ? node.value : x[i]!));
      },
      interval: (node, c) => {
        const x = c.interval(node.input);
        const map = padIndex(c.shape(node.input), node.pads, node.mode);
        return { lo: Float64Array.from(map, (i) => (i < 0 ? node.value : x.lo[i]!)), hi: Float64Array.from(map, (i) => (i < 0 ? node.value : x.hi[i]!)) };
      },
      quantize(q, node) {
        const x = q.get(node.input, node);
        const fill = Math.round(node.value * 2 ** x.scale);
        const fills = padIndex(q.shape(node.input), node.pads, node.mode).some((i) => i < 0);
        q.push({ kind: 'pad', input: x.q, output: node.output, pads: node.pads, mode: node.mode, fill, source: node.source });
        q.set(node.output, q.define(node.output, { ...x, min: fills ? Math.min(x.min, fill) : x.min, max: fills ? Math.max(x.max, fill) : x.max }, node.output));
      },
    },
    concat: {
      run: (node, c) => {
        const parts = node.parts.map((p) => ('value' in p ? { shape: c.shape(p.value), data: c.value(p.value) } : { shape: p.constant.shape, data: p.constant.data }));
        const { part, index } = concatIndex(
          parts.map((p) => p.shape),
          node.axis,
        );
        return Float64Array.from(part, (p, i) => parts[p]!.data[index[i]!]!);
      },
      interval: (node, c) => {
        const parts = node.parts.map((p) => ('value' in p ? { shape: c.shape(p.value), v: c.interval(p.value) } : { shape: p.constant.shape, v: { lo: p.constant.data, hi: p.constant.data } }));
        const { part, index } = concatIndex(
          parts.map((p) => p.shape),
          node.axis,
        );
        return { lo: Float64Array.from(part, (p, i) => parts[p]!.v.lo[index[i]!]!), hi: Float64Array.from(part, (p, i) => parts[p]!.v.hi[index[i]!]!) };
      },
      quantize(q, node) {
        const refs = node.parts.map((p) => ('value' in p ? q.get(p.value, node) : undefined));
        const scale = Math.max(...refs.flatMap((r) => (r ? [r.scale] : [])));
        let min = Infinity;
        let max = -Infinity;
        const parts: QConcatPart[] = node.parts.map((p, i) => {
          const r = refs[i];
          if (r) {
            const shift = scale - r.scale;
            min = Math.min(min, r.min * 2 ** shift);
            max = Math.max(max, r.max * 2 ** shift);
            return { value: r.q, shift };
          }
          const c = (p as { constant: { shape: readonly number[]; data: Float64Array } }).constant;
          const constant = Array.from(c.data, (v) => Math.round(v * 2 ** scale));
          for (const v of constant) {
            min = Math.min(min, v);
            max = Math.max(max, v);
          }
          return { constant, shape: [...c.shape] };
        });
        const first = refs.find((r): r is Ref => r !== undefined)!;
        q.push({ kind: 'concat', input: first.q, output: node.output, axis: node.axis, parts, source: node.source });
        q.set(node.output, q.define(node.output, { scale, min, max, pending: refs.some((r) => r?.pending) }, node.output));
      },
    },
  },
  fixed: {
    reshape: {
      cost: (node, c) => ({ constraints: 0, output: c.kinds(node.input) }),
      reference: (node, c) => c.value(node.input),
      emit: (em, node) => em.set(node.output, em.get(node.input, node.source)),
    },
    transpose: {
      cost: (node, c) => ({ constraints: 0, output: Array.from(transposeIndex(c.shape(node.input), node.perm), (i) => c.kinds(node.input)[i]!) }),
      reference: (node, c) => {
        const x = c.value(node.input);
        return Array.from(transposeIndex(c.shape(node.input), node.perm), (i) => x[i]!);
      },
      emit: (em, node) => {
        const x = em.get(node.input, node.source);
        em.set(
          node.output,
          Array.from(transposeIndex(em.model.values[node.input]!.shape, node.perm), (i) => x[i]!),
        );
      },
    },
    pad: {
      cost: (node, c) => ({ constraints: 0, output: Array.from(padIndex(c.shape(node.input), node.pads, node.mode), (i): ElementKind => (i < 0 ? 'const' : c.kinds(node.input)[i]!)) }),
      reference: (node, c) => {
        const x = c.value(node.input);
        return Array.from(padIndex(c.shape(node.input), node.pads, node.mode), (i) => (i < 0 ? node.fill : x[i]!));
      },
      emit: (em, node) => {
        const x = em.get(node.input, node.source);
        const fill: LinearExpr = constantExpr(node.fill);
        em.set(
          node.output,
          Array.from(padIndex(em.model.values[node.input]!.shape, node.pads, node.mode), (i) => (i < 0 ? fill : x[i]!)),
        );
      },
    },
    concat: {
      publicConstants: (node) => (node.parts.some((p) => 'constant' in p) ? 'a constant part (it would be a circuit constant)' : undefined),
      cost(node, c) {
        const parts = node.parts.map((p) =>
          'value' in p ? { shape: c.shape(p.value), kinds: c.kinds(p.value).map((k): ElementKind => (p.shift === 0 ? k : 'expr')) } : { shape: p.shape, kinds: fillKinds(p.constant.length, 'const') },
        );
        const { part, index } = concatIndex(
          parts.map((p) => p.shape),
          node.axis,
        );
        return { constraints: 0, output: Array.from(part, (p, i) => parts[p]!.kinds[index[i]!]!) };
      },
      reference: (node, c) => {
        const parts = node.parts.map((p) => ('value' in p ? { shape: c.shape(p.value), data: c.value(p.value), k: 2 ** p.shift } : { shape: p.shape, data: p.constant, k: 1 }));
        const { part, index } = concatIndex(
          parts.map((p) => p.shape),
          node.axis,
        );
        return Array.from(part, (p, i) => parts[p]!.data[index[i]!]! * parts[p]!.k);
      },
      emit: (em, node) => {
        const parts = node.parts.map((p) =>
          'value' in p
            ? { shape: em.model.values[p.value]!.shape, exprs: em.get(p.value, node.source).map((e) => (p.shift === 0 ? e : combine([e], [2 ** p.shift], 0, 0))) }
            : { shape: p.shape, exprs: p.constant.map(constantExpr) },
        );
        const { part, index: at } = concatIndex(
          parts.map((p) => p.shape),
          node.axis,
        );
        em.set(
          node.output,
          Array.from(part, (p, i) => parts[p]!.exprs[at[i]!]!),
        );
      },
    },
  },
});
