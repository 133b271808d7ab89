/**
 * How each float IR node becomes fixed-point nodes: integer weights at a power-of-two
 * scale for linear and Conv layers, constants at the value's scale, AveragePool as a window
 * sum whose division is folded into the scale (exact for power-of-two windows; otherwise a
 * fixed-point multiplier whose extra bits the next rescale removes), max pooling on the
 * unrescaled accumulator with a comparison width from the calibrated range.
 */
import { CompileError } from '../shared/errors.js';
import { broadcastTo } from '../onnx/broadcast.js';
import { avgDivisors } from '../ir/conv.js';
import { windowTaps } from '../ir/window.js';
import { describeSource, type IrNode } from '../ir/graph.js';
import type { Quantizer, Ref } from './quantize.js';
import { scaleFor } from './quantize.js';
import { quantizeRequantize } from './quantize-int8.js';
import { quantizeBinary, quantizeConcat, quantizeMove } from './quantize-moves.js';
import { quantizeArgMax, quantizeClip, quantizeLeakyRelu, quantizeSquash } from './quantize-activations.js';

/** Integer weights at the scale that fits the largest into `bits`. */
function quantizeWeights(w: ArrayLike<number>, bits: number): { weight: number[]; weightScale: number } {
  let wMax = 0;
  for (let i = 0; i < w.length; i++) wMax = Math.max(wMax, Math.abs(w[i]!));
  const weightScale = scaleFor(wMax, bits);
  return { weight: Array.from(w, (v) => Math.round(v * 2 ** weightScale)), weightScale };
}

/** [min, max] of Σ weight[i]·x over `count` weights from `offset`, x ∈ [x.min, x.max] (and 0 when `zero`). */
function dotBounds(weight: number[], offset: number, count: number, x: Ref, zero: boolean): [number, number] {
  let lo = 0;
  let hi = 0;
  for (let i = offset; i < offset + count; i++) {
    const a = weight[i]! * x.min;
    const b = weight[i]! * x.max;
    lo += zero ? Math.min(a, b, 0) : Math.min(a, b);
    hi += zero ? Math.max(a, b, 0) : Math.max(a, b);
  }
  return [lo, hi];
}

/** Appends the fixed-point form of one float node. */
export function quantizeNode(q: Quantizer, node: IrNode): void {
  let x = q.get(node.input, node);
  const where = describeSource(node.source);
  switch (node.kind) {
    case 'linear': {
      if (x.pending) x = q.rescale(x, node.input, false, node.source);
      const { weight, weightScale } = quantizeWeights(node.weight, q.opts.weightBits);
      const scale = x.scale + weightScale;
      const bias = Array.from({ length: node.outFeatures }, (_, o) => Math.round((node.bias?.[o] ?? 0) * 2 ** scale));
      let min = Infinity;
      let max = -Infinity;
      for (let o = 0; o < node.outFeatures; o++) {
        const [lo, hi] = dotBounds(weight, o * node.inFeatures, node.inFeatures, x, false);
        min = Math.min(min, bias[o]! + lo);
        max = Math.max(max, bias[o]! + hi);
      }
      q.push({ kind: 'linear', input: x.q, output: node.output, inFeatures: node.inFeatures, outFeatures: node.outFeatures, weight, bias, weightScale, source: node.source });
      q.set(node.output, q.define(node.output, { scale, min, max, pending: true }, node.output));
      return;
    }
    case 'conv': {
      if (x.pending) x = q.rescale(x, node.input, false, node.source);
      const { weight, weightScale } = quantizeWeights(node.weight, q.opts.weightBits);
      const scale = x.scale + weightScale;
      const outChannels = q.shape(node.output)[1]!;
      const perChannel = weight.length / outChannels;
      const padded = node.window.pads.some((p) => p > 0);
      const bias = Array.from({ length: outChannels }, (_, m) => Math.round((node.bias?.[m] ?? 0) * 2 ** scale));
      let min = Infinity;
      let max = -Infinity;
      for (let m = 0; m < outChannels; m++) {
        const [lo, hi] = dotBounds(weight, m * perChannel, perChannel, x, padded);
        min = Math.min(min, bias[m]! + lo);
        max = Math.max(max, bias[m]! + hi);
      }
      q.push({ kind: 'conv', input: x.q, output: node.output, weight, bias, weightScale, group: node.group, window: node.window, source: node.source });
      q.set(node.output, q.define(node.output, { scale, min, max, pending: true }, node.output));
      return;
    }
    case 'addConst': {
      const constant = Array.from(broadcastTo(node.constant, q.shape(node.input)), (c) => Math.round(c * 2 ** x.scale));
      const cmin = Math.min(...constant);
      const cmax = Math.max(...constant);
      q.push({ kind: 'addConst', input: x.q, output: node.output, constant, source: node.source });
      q.set(node.output, q.define(node.output, { scale: x.scale, min: x.min + cmin, max: x.max + cmax, pending: x.pending }, node.output));
      return;
    }
    case 'mulConst': {
      const c = broadcastTo(node.constant, q.shape(node.input));
      const { weightScale: maxScale } = quantizeWeights(c, q.opts.weightBits);
      // The smallest scale at which every factor is an integer (exact), else maxScale.
      let weightScale = maxScale;
      for (let t = 0; t < maxScale; t++) {
        if (c.every((v) => Number.isInteger(v * 2 ** t))) {
          weightScale = t;
          break;
        }
      }
      const constant = Array.from(c, (v) => Math.round(v * 2 ** weightScale));
      let min = Infinity;
      let max = -Infinity;
      for (const k of constant) {
        min = Math.min(min, k * x.min, k * x.max);
        max = Math.max(max, k * x.min, k * x.max);
      }
      q.push({ kind: 'mulConst', input: x.q, output: node.output, constant, weightScale, source: node.source });
      q.set(node.output, q.define(node.output, { scale: x.scale + weightScale, min, max, pending: x.pending || weightScale > 0 }, node.output));
      return;
    }
    case 'relu':
      q.set(node.output, q.rescale(x, node.input, true, node.source));
      return;
    case 'maxPool': {
      const taps = windowTaps(node.window, q.shape(node.input).slice(2), q.shape(node.output).slice(2));
      for (let o = 0; o < taps.outputs; o++) {
        if (taps.start[o + 1] === taps.start[o]) throw new CompileError(`${where}: a pooling window lies entirely in the padding`);
      }
      // Differences of two inputs: statically within ±(max − min); calibrated within ±2·range.
      const staticBits = Math.max(1, Math.ceil(Math.log2(x.max - x.min + 1)));
      const calibrated = Math.ceil(q.range(node.input) * 2 ** (x.scale + q.opts.headroomBits));
      const bits = Math.max(1, Math.min(staticBits, Math.ceil(Math.log2(2 * calibrated + 1))));
      q.push({ kind: 'maxPool', input: x.q, output: node.output, window: node.window, bits, source: node.source });
      q.set(node.output, q.define(node.output, { ...x }, node.output));
      return;
    }
    case 'avgPool': {
      const g = { input: q.shape(node.input), output: q.shape(node.output), window: node.window };
      const divisors = avgDivisors(g, node.countIncludePad);
      const taps = windowTaps(node.window, g.input.slice(2), g.output.slice(2));
      const first = divisors[0]!;
      const uniformPow2 = divisors.every((d) => d === first) && Number.isInteger(Math.log2(first));
      const multiplierScale = uniformPow2 ? Math.log2(first) : q.opts.weightBits - 1 + Math.ceil(Math.log2(Math.max(...divisors)));
      const multiplier = uniformPow2 ? [] : Array.from(divisors, (d) => Math.round(2 ** multiplierScale / d));
      let min = Infinity;
      let max = -Infinity;
      for (let o = 0; o < taps.outputs; o++) {
        const n = taps.start[o + 1]! - taps.start[o]!;
        const k = multiplier[o] ?? 1;
        min = Math.min(min, k * n * x.min, k * n * x.max);
        max = Math.max(max, k * n * x.min, k * n * x.max);
      }
      q.push({ kind: 'sumPool', input: x.q, output: node.output, window: node.window, multiplier, multiplierScale, source: node.source });
      q.set(node.output, q.define(node.output, { scale: x.scale + multiplierScale, min, max, pending: x.pending || multiplier.length > 0 }, node.output));
      return;
    }
    case 'reshape':
      q.push({ kind: 'reshape', input: x.q, output: node.output, shape: node.shape, source: node.source });
      q.set(node.output, q.define(node.output, { ...x }, node.output));
      return;
    case 'softmax':
      q.transform = { kind: 'softmax', axis: node.axis, coerce2d: node.coerce2d, ...(node.log ? { log: true as const } : {}) };
      q.set(node.output, x);
      return;
    case 'binary':
      return quantizeBinary(q, node);
    case 'concat':
      return quantizeConcat(q, node);
    case 'transpose':
    case 'pad':
      return quantizeMove(q, node);
    case 'clip':
      return quantizeClip(q, node);
    case 'leakyRelu':
      return quantizeLeakyRelu(q, node);
    case 'argMax':
      return quantizeArgMax(q, node);
    case 'squash':
      return quantizeSquash(q, node);
    case 'requantize':
      return quantizeRequantize(q, node);
    default:
      node satisfies never;
  }
}
