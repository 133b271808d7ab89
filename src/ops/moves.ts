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
import { concatIndex, padIndex, transposeIndex } from '../ir/gather.js';
import { SHAPE_CONVERTERS } from '../onnx/ops-shape.js';
import { MOVE_CONVERTERS } from '../onnx/ops-binary.js';
import type { QConcatPart } from '../quant/model.js';
import type { Ref } from '../quant/quantizer.js';
import { combine, constantExpr, type LinearExpr } from '../circuit/linear-expr.js';
import { fillKinds } from '../circuit/gadget-cost.js';
import { family, type ElementKind } from './types.js';

export const moves = family({
  onnx: { ...SHAPE_CONVERTERS, ...MOVE_CONVERTERS },
  float: {
    reshape: {
      run: (node, c) => c.value(node.input),
      interval: (node, c) => c.interval(node.input),
      quantize(q, node) {
        const x = q.get(node.input, node);
        q.push({ kind: 'reshape', input: x.q, output: node.output, shape: node.shape, source: node.source });
        q.set(node.output, q.define(node.output, { ...x }, node.output));
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
        const { part, index } = concatIndex(parts.map((p) => p.shape), node.axis);
        return Float64Array.from(part, (p, i) => parts[p]!.data[index[i]!]!);
      },
      interval: (node, c) => {
        const parts = node.parts.map((p) => ('value' in p ? { shape: c.shape(p.value), v: c.interval(p.value) } : { shape: p.constant.shape, v: { lo: p.constant.data, hi: p.constant.data } }));
        const { part, index } = concatIndex(parts.map((p) => p.shape), node.axis);
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
        em.set(node.output, Array.from(transposeIndex(em.model.values[node.input]!.shape, node.perm), (i) => x[i]!));
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
        em.set(node.output, Array.from(padIndex(em.model.values[node.input]!.shape, node.pads, node.mode), (i) => (i < 0 ? fill : x[i]!)));
      },
    },
    concat: {
      cost(node, c) {
        const parts = node.parts.map((p) => ('value' in p ? { shape: c.shape(p.value), kinds: c.kinds(p.value).map((k): ElementKind => (p.shift === 0 ? k : 'expr')) } : { shape: p.shape, kinds: fillKinds(p.constant.length, 'const') }));
        const { part, index } = concatIndex(parts.map((p) => p.shape), node.axis);
        return { constraints: 0, output: Array.from(part, (p, i) => parts[p]!.kinds[index[i]!]!) };
      },
      reference: (node, c) => {
        const parts = node.parts.map((p) => ('value' in p ? { shape: c.shape(p.value), data: c.value(p.value), k: 2 ** p.shift } : { shape: p.shape, data: p.constant, k: 1 }));
        const { part, index } = concatIndex(parts.map((p) => p.shape), node.axis);
        return Array.from(part, (p, i) => parts[p]!.data[index[i]!]! * parts[p]!.k);
      },
      emit: (em, node) => {
        const parts = node.parts.map((p) =>
          'value' in p
            ? { shape: em.model.values[p.value]!.shape, exprs: em.get(p.value, node.source).map((e) => (p.shift === 0 ? e : combine([e], [2 ** p.shift], 0, 0))) }
            : { shape: p.shape, exprs: p.constant.map(constantExpr) },
        );
        const { part, index: at } = concatIndex(parts.map((p) => p.shape), node.axis);
        em.set(node.output, Array.from(part, (p, i) => parts[p]!.exprs[at[i]!]!));
      },
    },
  },
});
