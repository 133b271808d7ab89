/**
 * Emission of clamp (Max2 comparisons with constants), the fused two-slope activation
 * (RescaleLeakyRelu), the piecewise-linear Sigmoid/Tanh (RescaleAbs, a Max2 per further line
 * for the minimum, SignApply) and ArgMax (the ArgMax gadget per lane).
 */
import { sizeOf } from '../ir/graph.js';
import type { QArgMax, QClamp, QLeakyRelu, QSquash } from '../quant/model.js';
import { combine, constantExpr, type LinearExpr } from './linear-expr.js';
import type { Emitter } from './emit.js';

/** Emits clamp, leakyRelu or argMax for step `index`. */
export function emitActivation(em: Emitter, node: QClamp | QLeakyRelu | QSquash | QArgMax, index: number): void {
  const x = em.get(node.input, node.source);
  switch (node.kind) {
    case 'clamp': {
      let y = x;
      if (node.min !== null) {
        const c = constantExpr(node.min);
        y = em.instantiate(index, y.map((e) => ({ call: `Max2(${node.minBits})`, inputs: [['a', e], ['c', c]] as const })), 'lo');
      }
      if (node.max !== null) {
        const c = constantExpr(node.max);
        const maxima = em.instantiate(index, y.map((e) => ({ call: `Max2(${node.maxBits})`, inputs: [['a', e], ['c', c]] as const })), 'hi');
        // min(m, c) = m + c − max(m, c)
        y = y.map((e, i) => combine([e, maxima[i]!], [1, -1], 0, node.max!));
      }
      em.set(node.output, y);
      return;
    }
    case 'leakyRelu': {
      const call = (i: number) => `RescaleLeakyRelu(${node.shift}, ${node.bits}, ${node.positive}, ${node.negative[node.negative.length === 1 ? 0 : i]})`;
      em.set(node.output, em.instantiate(index, x.map((e, i) => ({ call: call(i), inputs: [['in', e]] as const }))));
      return;
    }
    case 'squash': {
      const [sign, abs] = em.instantiateWith(index, x.map((e) => ({ call: `RescaleAbs(${node.shift}, ${node.bits})`, inputs: [['in', e]] as const })), '', ['sign', 'out']) as [LinearExpr[], LinearExpr[]];
      const line = (u: LinearExpr, i: number) => combine([u], [node.slopes[i]!], 0, node.offsets[i]!);
      let h = abs.map((u) => line(u, 0));
      for (let i = 1; i < node.slopes.length; i++) {
        const lines = abs.map((u) => line(u, i));
        const maxima = em.instantiate(index, h.map((e, j) => ({ call: `Max2(${node.compareBits[i - 1]})`, inputs: [['a', e], ['c', lines[j]!]] as const })), `m${i}`);
        // min(h, line) = h + line − max(h, line)
        h = h.map((e, j) => combine([e, lines[j]!, maxima[j]!], [1, 1, -1], 0, 0));
      }
      em.set(node.output, em.instantiate(index, h.map((e, j) => ({ call: `SignApply(${node.centre})`, inputs: [['sign', sign[j]!], ['in', e]] as const })), 's'));
      return;
    }
    case 'argMax': {
      const shape = em.model.values[node.input]!.shape;
      const inner = sizeOf(shape.slice(node.axis + 1));
      const len = shape[node.axis]!;
      const outer = x.length / (inner * len);
      const lanes: LinearExpr[][] = [];
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const lane = Array.from({ length: len }, (_, j) => x[(o * len + j) * inner + i]!);
          lanes.push(node.selectLast ? lane.reverse() : lane);
        }
      }
      const outs = em.instantiate(index, lanes.map((lane) => ({ call: `ArgMax(${len}, ${node.bits})`, inputs: lane.map((e, j) => [`in[${j}]`, e] as const) })));
      // With selectLast the lane is reversed: the last maximum is at len − 1 − (first in reverse).
      em.set(node.output, node.selectLast ? outs.map((e) => combine([e], [-1], 0, len - 1)) : outs);
      return;
    }
    default:
      node satisfies never;
  }
}
