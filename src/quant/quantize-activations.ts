/**
 * Fixed-point forms of the elementwise non-linear ops and ArgMax. Every one rescales a
 * pending accumulator first, fused where the sign of the quotient suffices (ReLU, the
 * two-slope LeakyRelu/PRelu); Clip compares with its bounds (ReLU6 = the ReLU rescale and
 * one comparison); ArgMax proves the index of the maximum on the values as they are.
 */
import { broadcastTo } from '../onnx/broadcast.js';
import type { ArgMaxNode, ClipNode, LeakyReluNode, SquashNode } from '../ir/graph.js';
import type { Quantizer } from './quantize.js';
import { oddPwl } from './pwl.js';

/** Clip: an optional lower and upper bound at the value's scale. */
export function quantizeClip(q: Quantizer, node: ClipNode): void {
  let x = q.get(node.input, node);
  if (node.min === 0) x = q.rescale(x, node.input, true, node.source);
  else if (x.pending) x = q.rescale(x, node.input, false, node.source);
  const round = (v: number) => Math.round(v * 2 ** x.scale);
  let min: number | null = Number.isFinite(node.min) ? round(node.min) : null;
  let max: number | null = Number.isFinite(node.max) ? round(node.max) : null;
  if (min !== null && min <= x.min) min = null;
  if (max !== null && max >= Math.max(x.max, min ?? -Infinity)) max = null;
  const lo = min === null ? x.min : Math.max(x.min, min);
  const hiAfterMin = min === null ? x.max : Math.max(x.max, min);
  const minBits = min === null ? 0 : q.diffBits(x.min, x.max, min, node.input, x.scale);
  const maxBits = max === null ? 0 : q.diffBits(lo, hiAfterMin, max, node.input, x.scale);
  if (min === null && max === null) {
    q.set(node.output, x);
    return;
  }
  q.push({ kind: 'clamp', input: x.q, output: node.output, min, max, minBits, maxBits, source: node.source });
  const out = { scale: x.scale, min: max === null ? lo : Math.min(lo, max), max: max === null ? hiAfterMin : Math.min(hiAfterMin, max), pending: false };
  q.set(node.output, q.define(node.output, out, node.output));
}

/** LeakyRelu / PRelu: the rescale fused with the two slopes at scale 2^slopeScale. */
export function quantizeLeakyRelu(q: Quantizer, node: LeakyReluNode): void {
  const x = q.get(node.input, node);
  const slopes = broadcastTo(node.slope, q.shape(node.input));
  const uniform = slopes.every((v) => v === slopes[0]);
  const values = uniform ? [slopes[0]!] : Array.from(slopes);
  let slopeScale = -1;
  for (let m = 0; m <= 16 && slopeScale < 0; m++) if (values.every((v) => Number.isInteger(v * 2 ** m))) slopeScale = m;
  if (slopeScale < 0) {
    const smallest = Math.min(...values.filter((v) => v !== 0).map(Math.abs), 1);
    slopeScale = q.opts.weightBits - 1 + Math.min(8, Math.max(0, Math.ceil(-Math.log2(smallest))));
  }
  const positive = 2 ** slopeScale;
  const negative = values.map((v) => Math.round(v * positive));
  const { target, shift, bits, lo, hi } = q.planRescale(x, node.input);
  const products = negative.flatMap((n) => [lo < 0 ? lo * n : lo * positive, hi < 0 ? hi * n : hi * positive, 0]);
  q.push({ kind: 'leakyRelu', input: x.q, output: node.output, shift, bits, positive, negative, source: node.source });
  q.set(node.output, q.define(node.output, { scale: target + slopeScale, min: Math.min(...products), max: Math.max(...products), pending: slopeScale > 0 }, node.output));
}

/** ArgMax: indices at scale 0; the comparison width from the static and calibrated spans. */
export function quantizeArgMax(q: Quantizer, node: ArgMaxNode): void {
  const x = q.get(node.input, node);
  const span = Math.min(x.max - x.min, 2 * Math.ceil(q.range(node.input) * 2 ** (x.scale + q.opts.headroomBits)));
  const bits = Math.max(1, Math.ceil(Math.log2(span + 1)));
  const n = q.shape(node.input)[node.axis]!;
  q.push({ kind: 'argMax', input: x.q, output: node.output, axis: node.axis, selectLast: node.selectLast, bits, source: node.source });
  q.set(node.output, q.define(node.output, { scale: 0, min: 0, max: n - 1, pending: false }, node.output));
}

/** Sigmoid / Tanh: the rescale with |q| and sign, the lines of src/quant/pwl.ts at scale + slopeScale. */
export function quantizeSquash(q: Quantizer, node: SquashNode): void {
  const x = q.get(node.input, node);
  const { target, shift, bits, lo, hi } = q.planRescale(x, node.input);
  const pwl = oddPwl(node.fn);
  // Slope rounding errs by up to 2^−(slopeScale+1)·|u|, so slopes get 2 bits more than weights.
  const slopeScale = q.opts.weightBits + 1;
  const outScale = target + slopeScale;
  const slopes = pwl.lines.map((l) => Math.round(l.a * 2 ** slopeScale));
  const offsets = pwl.lines.map((l) => Math.round(l.b * 2 ** outScale));
  const centre = Math.round(pwl.centre * 2 ** outScale);
  const uMax = Math.max(Math.abs(lo), Math.abs(hi));
  const line = (i: number, u: number) => slopes[i]! * u + offsets[i]!;
  // Each step compares the running minimum (one of the earlier lines) with the next line.
  const compareBits = slopes.slice(1).map((_, k) => {
    let span = 0;
    for (let j = 0; j <= k; j++) for (const u of [0, uMax]) span = Math.max(span, Math.abs(line(j, u) - line(k + 1, u)));
    return Math.ceil(Math.log2(span + 1));
  });
  let hMax = 0;
  for (const u of [0, uMax]) hMax = Math.max(hMax, ...slopes.map((_, i) => Math.abs(line(i, u))));
  q.push({ kind: 'squash', input: x.q, output: node.output, fn: node.fn, shift, bits, slopeScale, slopes, offsets, centre, compareBits, maxError: pwl.maxError, source: node.source });
  q.set(node.output, q.define(node.output, { scale: outScale, min: centre - hMax, max: centre + hMax, pending: true }, node.output));
}
