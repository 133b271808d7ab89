/**
 * Reference semantics of the fixed-point nodes that combine or move values (add, mul,
 * concat, transpose, pad) and of clamp, the fused two-slope activation and argMax. Each
 * refuses, with an InputError naming the node, exactly the inputs the circuit cannot prove
 * (a quotient or a proven difference outside its width).
 */
import { InputError } from '../shared/errors.js';
import { describeSource, sizeOf } from '../ir/graph.js';
import { broadcastIndex, concatIndex, padIndex, transposeIndex } from '../ir/gather.js';
import type { QAdd, QArgMax, QClamp, QConcat, QLeakyRelu, QModel, QMul, QPad, QSquash, QTranspose } from '../quant/model.js';
import { rescaleValue } from './execute.js';

function refuse(node: { source: Parameters<typeof describeSource>[0] }, what: string): never {
  throw new InputError(`the input drives ${describeSource(node.source)} outside its calibrated range: ${what}; recompile with calibration data that covers such inputs`);
}

/** Checks that a proven difference d lies in [−2^bits, 2^bits). */
export function checkDifference(node: { source: Parameters<typeof describeSource>[0] }, d: number, bits: number): void {
  const limit = 2 ** bits;
  if (d < -limit || d >= limit) refuse(node, `a difference of ${d} is not in [${-limit}, ${limit - 1}]`);
}

/** add, mul, concat, transpose, pad. */
export function moveStep(model: QModel, node: QAdd | QMul | QConcat | QTranspose | QPad, value: (name: string) => number[]): number[] {
  const x = value(node.input);
  const shape = (name: string) => model.values[name]!.shape;
  switch (node.kind) {
    case 'add':
    case 'mul': {
      const out = shape(node.output);
      const ia = broadcastIndex(shape(node.input), out);
      const ib = broadcastIndex(shape(node.other), out);
      const b = value(node.other);
      if (node.kind === 'mul') return Array.from(ia, (i, k) => x[i]! * b[ib[k]!]!);
      const ka = 2 ** node.shiftA;
      const kb = (node.subtract ? -1 : 1) * 2 ** node.shiftB;
      return Array.from(ia, (i, k) => x[i]! * ka + b[ib[k]!]! * kb);
    }
    case 'concat': {
      const parts = node.parts.map((p) => ('value' in p ? { shape: shape(p.value), data: value(p.value), k: 2 ** p.shift } : { shape: p.shape, data: p.constant, k: 1 }));
      const { part, index } = concatIndex(parts.map((p) => p.shape), node.axis);
      return Array.from(part, (p, i) => parts[p]!.data[index[i]!]! * parts[p]!.k);
    }
    case 'transpose':
      return Array.from(transposeIndex(shape(node.input), node.perm), (i) => x[i]!);
    case 'pad':
      return Array.from(padIndex(shape(node.input), node.pads, node.mode), (i) => (i < 0 ? node.fill : x[i]!));
    default:
      node satisfies never;
      throw new Error('unreachable');
  }
}

/** clamp, leakyRelu, squash, argMax. */
export function activationStep(model: QModel, node: QClamp | QLeakyRelu | QSquash | QArgMax, x: number[]): number[] {
  switch (node.kind) {
    case 'clamp':
      return x.map((v) => {
        let m = v;
        if (node.min !== null) {
          checkDifference(node, m - node.min, node.minBits);
          m = Math.max(m, node.min);
        }
        if (node.max !== null) {
          checkDifference(node, m - node.max, node.maxBits);
          m = Math.min(m, node.max);
        }
        return m;
      });
    case 'leakyRelu': {
      const lo = -(2 ** (node.bits - 1));
      const hi = 2 ** (node.bits - 1) - 1;
      return x.map((v, i) => {
        const q = rescaleValue(v, node.shift);
        if (q < lo || q > hi) refuse(node, `value ${q} at index ${i} is not in [${lo}, ${hi}]`);
        return q >= 0 ? q * node.positive : q * node.negative[node.negative.length === 1 ? 0 : i]!;
      });
    }
    case 'squash': {
      const lo = -(2 ** (node.bits - 1));
      const hi = 2 ** (node.bits - 1) - 1;
      return x.map((v, i) => {
        const q = rescaleValue(v, node.shift);
        if (q < lo || q > hi) refuse(node, `value ${q} at index ${i} is not in [${lo}, ${hi}]`);
        const u = Math.abs(q);
        let h = node.slopes[0]! * u + node.offsets[0]!;
        for (let j = 1; j < node.slopes.length; j++) {
          const line = node.slopes[j]! * u + node.offsets[j]!;
          checkDifference(node, h - line, node.compareBits[j - 1]!);
          h = Math.min(h, line);
        }
        return q >= 0 ? node.centre + h : node.centre - h;
      });
    }
    case 'argMax': {
      const shape = model.values[node.input]!.shape;
      const inner = sizeOf(shape.slice(node.axis + 1));
      const len = shape[node.axis]!;
      const outer = x.length / (inner * len);
      const y: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const at = (j: number) => x[(o * len + j) * inner + i]!;
          let best = 0;
          for (let j = 1; j < len; j++) if (at(j) > at(best) || (node.selectLast && at(j) === at(best))) best = j;
          // The gadget proves m − x_j ≥ 1 for candidates before (after, with selectLast) the index, ≥ 0 for the others.
          for (let j = 0; j < len; j++) {
            const strict = node.selectLast ? j > best : j < best;
            const d = at(best) - at(j) - (strict ? 1 : 0);
            if (d >= 2 ** node.bits) refuse(node, `a difference of ${d} is not in [0, ${2 ** node.bits - 1}]`);
          }
          y.push(best);
        }
      }
      return y;
    }
    default:
      node satisfies never;
      throw new Error('unreachable');
  }
}
