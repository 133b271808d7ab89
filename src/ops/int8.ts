/**
 * Int8 models: QuantizeLinear, DequantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul,
 * QLinearConv (zero points, per-tensor or per-channel scales). The integer matrix products
 * become dense layers; the requantization step is the float-IR kind `requantize`:
 * y = clamp(round_half_even(x / scale) + zeroPoint, min, max).
 *
 * Quantization: with x held as X·2^−e, x / scale = X·C / 2^k for C = 2^(k−e) / scale: an
 * exact integer when the scale is a power of two (the smallest such k is used), else
 * rounded to MULTIPLIER_BITS significant bits (as integer-only inference does). Then a
 * half-to-even rescale by 2^k, a constant add and a clamp, all fixed-point kinds of the
 * activation and arithmetic modules: the circuit proves the ONNX op's integer semantics
 * exactly for exact multipliers.
 * Circuit cost per element: RescaleHalfEven(k, b): k + b + 4, and a Max2 per clamp bound.
 */
import { CompileError } from '../shared/errors.js';
import { rescaleValue, roundHalfEven } from '../shared/rounding.js';
import { broadcastTo } from '../ir/gather.js';
import { INT8_CONVERTERS } from '../onnx/ops-int8.js';
import { describeSource, type RequantizeNode } from '../ir/graph.js';
import { signedBits, type Quantizer } from '../quant/quantizer.js';
import { family } from './types.js';

/** Significant bits of a multiplier that is not a power of two. */
export const MULTIPLIER_BITS = 24;

/** QuantizeLinear and the requantization of the QLinear ops. */
function quantizeRequantize(q: Quantizer, node: RequantizeNode): void {
  const x = q.get(node.input, node);
  const shape = q.shape(node.input);
  const inverse = broadcastTo(node.scale, shape).map((s) => 1 / s);
  const zero = Array.from(broadcastTo(node.zeroPoint, shape));
  if (inverse.some((v) => !(v > 0) || !Number.isFinite(v))) throw new CompileError(`${describeSource(node.source)}: quantization scales must be positive`);
  const e = x.scale;
  let k = 0;
  for (let t = 1; t <= 40 && k === 0; t++) if (inverse.every((v) => Number.isInteger(v * 2 ** (t - e)) && v * 2 ** (t - e) <= 2 ** MULTIPLIER_BITS)) k = t;
  if (k === 0) k = Math.max(1, e + MULTIPLIER_BITS - 1 - Math.floor(Math.log2(Math.max(...inverse))));
  const multiplier = Array.from(inverse, (v) => Math.round(v * 2 ** (k - e)));
  let cur = x;
  const step = (suffix: string) => `${node.output}::${suffix}`;
  if (multiplier.some((c) => c !== 1)) {
    let min = Infinity;
    let max = -Infinity;
    for (const c of multiplier) {
      min = Math.min(min, c * x.min, c * x.max);
      max = Math.max(max, c * x.min, c * x.max);
    }
    q.push({ kind: 'mulConst', input: x.q, output: step('scaled'), constant: multiplier, weightScale: k - e, source: node.source });
    cur = q.define(step('scaled'), { scale: k, min, max, pending: true }, node.output);
  }
  // The half-up quotient's width: statically, and from the calibrated range with headroom.
  const [qmin, qmax] = [rescaleValue(cur.min, k), rescaleValue(cur.max, k)];
  const calibrated = Math.ceil(q.range(node.input) * Math.max(...inverse) * 2 ** q.opts.headroomBits) + 1;
  const bits = Math.max(2, Math.min(signedBits(qmin, qmax), signedBits(-calibrated, calibrated)));
  q.push({ kind: 'rescale', input: cur.q, output: step('rounded'), shift: k, bits, relu: false, halfEven: true, source: node.source });
  const lo = Math.max(qmin, -(2 ** (bits - 1)));
  const hi = Math.min(qmax, 2 ** (bits - 1) - 1);
  cur = q.define(step('rounded'), { scale: 0, min: lo, max: hi, pending: false }, node.output);
  if (zero.some((z) => z !== 0)) {
    q.push({ kind: 'addConst', input: cur.q, output: step('offset'), constant: zero, source: node.source });
    cur = q.define(step('offset'), { scale: 0, min: lo + Math.min(...zero), max: hi + Math.max(...zero), pending: false }, node.output);
  }
  const min = node.min > cur.min ? node.min : null;
  const max = node.max < cur.max ? node.max : null;
  if (min === null && max === null) {
    q.set(node.output, cur);
    return;
  }
  const width = (a: number, b: number, c: number) => Math.ceil(Math.log2(Math.max(b - c + 1, c - a, 1)));
  const afterMin = min === null ? [cur.min, cur.max] : [Math.max(cur.min, min), Math.max(cur.max, min)];
  q.push({ kind: 'clamp', input: cur.q, output: node.output, min, max, minBits: min === null ? 0 : width(cur.min, cur.max, min), maxBits: max === null ? 0 : width(afterMin[0]!, afterMin[1]!, max), source: node.source });
  q.set(node.output, q.define(node.output, { scale: 0, min: max === null ? afterMin[0]! : Math.min(afterMin[0]!, max), max: max === null ? afterMin[1]! : Math.min(afterMin[1]!, max), pending: false }, node.output));
}

export const int8 = family({
  onnx: INT8_CONVERTERS,
  float: {
    requantize: {
      run(node, c) {
        const shape = c.shape(node.input);
        const s = broadcastTo(node.scale, shape);
        const z = broadcastTo(node.zeroPoint, shape);
        return c.value(node.input).map((v, i) => Math.min(Math.max(roundHalfEven(v / s[i]!) + z[i]!, node.min), node.max));
      },
      interval(node, c) {
        const x = c.interval(node.input);
        const s = broadcastTo(node.scale, c.shape(node.input));
        const z = broadcastTo(node.zeroPoint, c.shape(node.input));
        const f = (v: number, i: number) => Math.min(Math.max(roundHalfEven(v / s[i]!) + z[i]!, node.min), node.max);
        return { lo: x.lo.map(f), hi: x.hi.map(f) };
      },
      quantize: quantizeRequantize,
    },
  },
  fixed: {},
});
