/**
 * Emission of the nodes that combine or move values. add, concat, transpose and pad only
 * build linear expressions (free); mul declares one product signal per element, the one
 * constraint an elementwise product of two computed values costs.
 */
import { broadcastIndex, concatIndex, padIndex, transposeIndex } from '../ir/gather.js';
import type { QAdd, QConcat, QMul, QPad, QTranspose } from '../quant/model.js';
import { combine, constantExpr, formatExpr, signalExpr, type LinearExpr } from './linear-expr.js';
import type { Emitter } from './emit.js';

/** Emits add, mul, concat, transpose or pad for step `index`. */
export function emitMove(em: Emitter, node: QAdd | QMul | QConcat | QTranspose | QPad, index: number): void {
  const x = em.get(node.input, node.source);
  const shape = (name: string) => em.model.values[name]!.shape;
  switch (node.kind) {
    case 'add':
    case 'mul': {
      const out = shape(node.output);
      const ia = broadcastIndex(shape(node.input), out);
      const ib = broadcastIndex(shape(node.other), out);
      const b = em.get(node.other, node.source);
      if (node.kind === 'add') {
        const weights = [2 ** node.shiftA, (node.subtract ? -1 : 1) * 2 ** node.shiftB];
        em.set(node.output, Array.from(ia, (i, k) => combine([x[i]!, b[ib[k]!]!], weights, 0, 0)));
        return;
      }
      const name = `p${index}`;
      em.gadgets.Product = (em.gadgets.Product ?? 0) + ia.length;
      em.lines.push(`    signal ${name}[${ia.length}];`);
      ia.forEach((i, k) => em.lines.push(`    ${name}[${k}] <== (${formatExpr(x[i]!)}) * (${formatExpr(b[ib[k]!]!)});`));
      em.set(node.output, Array.from(ia, (_, k) => signalExpr(`${name}[${k}]`)));
      return;
    }
    case 'concat': {
      const parts = node.parts.map((p) =>
        'value' in p
          ? { shape: shape(p.value), exprs: em.get(p.value, node.source).map((e) => (p.shift === 0 ? e : combine([e], [2 ** p.shift], 0, 0))) }
          : { shape: p.shape, exprs: p.constant.map(constantExpr) },
      );
      const { part, index: at } = concatIndex(parts.map((p) => p.shape), node.axis);
      em.set(node.output, Array.from(part, (p, i) => parts[p]!.exprs[at[i]!]!));
      return;
    }
    case 'transpose':
      em.set(node.output, Array.from(transposeIndex(shape(node.input), node.perm), (i) => x[i]!));
      return;
    case 'pad': {
      const fill: LinearExpr = constantExpr(node.fill);
      em.set(node.output, Array.from(padIndex(shape(node.input), node.pads, node.mode), (i) => (i < 0 ? fill : x[i]!)));
      return;
    }
    default:
      node satisfies never;
  }
}
