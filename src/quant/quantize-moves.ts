/**
 * Fixed-point forms of the ops that combine or move values: Add/Sub of two computed
 * tensors (aligned to the finer scale by multiplying the coarser one by a power of two,
 * which is free), Mul of two computed tensors (both rescaled first when pending; one product
 * per element, output pending), Concat (parts aligned the same way), Transpose and Pad.
 */
import { padIndex } from '../ir/gather.js';
import type { BinaryNode, ConcatNode, PadNode, TransposeNode } from '../ir/graph.js';
import type { QConcatPart } from './model.js';
import type { Quantizer, Ref } from './quantize.js';

/** Add, Sub or Mul of two computed values. */
export function quantizeBinary(q: Quantizer, node: BinaryNode): void {
  let a = q.get(node.input, node);
  let b = q.get(node.other, node);
  if (node.op === 'mul') {
    if (a.pending) a = q.rescale(a, node.input, false, node.source);
    if (b.pending) b = q.rescale(b, node.other, false, node.source);
    const p = [a.min * b.min, a.min * b.max, a.max * b.min, a.max * b.max];
    q.push({ kind: 'mul', input: a.q, other: b.q, output: node.output, source: node.source });
    q.set(node.output, q.define(node.output, { scale: a.scale + b.scale, min: Math.min(...p), max: Math.max(...p), pending: true }, node.output));
    return;
  }
  const scale = Math.max(a.scale, b.scale);
  const shiftA = scale - a.scale;
  const shiftB = scale - b.scale;
  const [amin, amax] = [a.min * 2 ** shiftA, a.max * 2 ** shiftA];
  const [bmin, bmax] = [b.min * 2 ** shiftB, b.max * 2 ** shiftB];
  const subtract = node.op === 'sub';
  q.push({ kind: 'add', input: a.q, other: b.q, output: node.output, shiftA, shiftB, subtract, source: node.source });
  const ref = subtract ? { min: amin - bmax, max: amax - bmin } : { min: amin + bmin, max: amax + bmax };
  q.set(node.output, q.define(node.output, { scale, ...ref, pending: a.pending || b.pending }, node.output));
}

/** Concat of computed and constant parts at the finest scale among the computed ones. */
export function quantizeConcat(q: Quantizer, node: ConcatNode): void {
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
}

/** Transpose or Pad: the same integers moved (Pad's fill at the value's scale). */
export function quantizeMove(q: Quantizer, node: TransposeNode | PadNode): void {
  const x = q.get(node.input, node);
  if (node.kind === 'transpose') {
    q.push({ kind: 'transpose', input: x.q, output: node.output, perm: node.perm, source: node.source });
    q.set(node.output, q.define(node.output, { ...x }, node.output));
    return;
  }
  const fill = Math.round(node.value * 2 ** x.scale);
  const fills = padIndex(q.shape(node.input), node.pads, node.mode).some((i) => i < 0);
  q.push({ kind: 'pad', input: x.q, output: node.output, pads: node.pads, mode: node.mode, fill, source: node.source });
  q.set(node.output, q.define(node.output, { ...x, min: fills ? Math.min(x.min, fill) : x.min, max: fills ? Math.max(x.max, fill) : x.max }, node.output));
}

