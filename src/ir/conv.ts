/**
 * Conv and pooling arithmetic over flat row-major tensors [N, C, …spatial], following the
 * ONNX Conv, MaxPool and AveragePool operator definitions. The loops only add and multiply,
 * so the same functions serve the float executor and the integer reference executor (whose
 * values stay below 2^52, where float64 arithmetic is exact integer arithmetic).
 */
import { sizeOf, type Shape, type WindowSpec } from './graph.js';
import { windowTaps, type WindowTaps } from './window.js';

/** Shapes and grouping of one convolution. */
export interface ConvGeometry {
  input: Shape;
  output: Shape;
  group: number;
  window: WindowSpec;
}

function taps(g: { input: Shape; output: Shape; window: WindowSpec }): WindowTaps {
  return windowTaps(g.window, g.input.slice(2), g.output.slice(2));
}

/**
 * y[n, m, o] = bias[m] + Σ_{c < C/group, taps} weight[m, c, k] · x[n, g(m)·C/group + c, i].
 * @param weight row-major [M, C/group, …kernel]
 */
export function convForward(x: ArrayLike<number>, weight: ArrayLike<number>, bias: ArrayLike<number> | undefined, g: ConvGeometry): Float64Array {
  const t = taps(g);
  const [batch, channels] = g.input as [number, number];
  const outChannels = g.output[1]!;
  const inSize = sizeOf(g.input.slice(2));
  const kSize = sizeOf(g.window.kernel);
  const cPerGroup = channels / g.group;
  const mPerGroup = outChannels / g.group;
  const y = new Float64Array(sizeOf(g.output));
  for (let n = 0; n < batch; n++) {
    for (let m = 0; m < outChannels; m++) {
      const cBase = (n * channels + Math.floor(m / mPerGroup) * cPerGroup) * inSize;
      const wBase = m * cPerGroup * kSize;
      const yBase = (n * outChannels + m) * t.outputs;
      for (let o = 0; o < t.outputs; o++) {
        let acc = bias ? bias[m]! : 0;
        for (let c = 0; c < cPerGroup; c++) {
          const xc = cBase + c * inSize;
          const wc = wBase + c * kSize;
          for (let j = t.start[o]!; j < t.start[o + 1]!; j++) acc += weight[wc + t.kernelIndex[j]!]! * x[xc + t.inputIndex[j]!]!;
        }
        y[yBase + o] = acc;
      }
    }
  }
  return y;
}

/** Interval bounds of a convolution: every input x[i] ∈ [lo[i], hi[i]]. */
export function convInterval(lo: ArrayLike<number>, hi: ArrayLike<number>, weight: ArrayLike<number>, bias: ArrayLike<number> | undefined, g: ConvGeometry): { lo: Float64Array; hi: Float64Array } {
  const t = taps(g);
  const [batch, channels] = g.input as [number, number];
  const outChannels = g.output[1]!;
  const inSize = sizeOf(g.input.slice(2));
  const kSize = sizeOf(g.window.kernel);
  const cPerGroup = channels / g.group;
  const mPerGroup = outChannels / g.group;
  const yLo = new Float64Array(sizeOf(g.output));
  const yHi = new Float64Array(sizeOf(g.output));
  for (let n = 0; n < batch; n++) {
    for (let m = 0; m < outChannels; m++) {
      const cBase = (n * channels + Math.floor(m / mPerGroup) * cPerGroup) * inSize;
      const wBase = m * cPerGroup * kSize;
      const yBase = (n * outChannels + m) * t.outputs;
      for (let o = 0; o < t.outputs; o++) {
        let a = bias ? bias[m]! : 0;
        let b = a;
        for (let c = 0; c < cPerGroup; c++) {
          for (let j = t.start[o]!; j < t.start[o + 1]!; j++) {
            const w = weight[wBase + c * kSize + t.kernelIndex[j]!]!;
            const i = cBase + c * inSize + t.inputIndex[j]!;
            const p = w * lo[i]!;
            const q = w * hi[i]!;
            a += Math.min(p, q);
            b += Math.max(p, q);
          }
        }
        yLo[yBase + o] = a;
        yHi[yBase + o] = b;
      }
    }
  }
  return { lo: yLo, hi: yHi };
}

/**
 * Applies `reduce` to the taps of every window, channel by channel.
 * @param reduce gets the input, the tap list and the output position; returns the output value
 */
export function poolForward(
  x: ArrayLike<number>,
  g: { input: Shape; output: Shape; window: WindowSpec },
  reduce: (x: ArrayLike<number>, base: number, taps: WindowTaps, o: number) => number,
): Float64Array {
  const t = taps(g);
  const planes = g.input[0]! * g.input[1]!;
  const inSize = sizeOf(g.input.slice(2));
  const y = new Float64Array(planes * t.outputs);
  for (let p = 0; p < planes; p++) {
    for (let o = 0; o < t.outputs; o++) y[p * t.outputs + o] = reduce(x, p * inSize, t, o);
  }
  return y;
}

/** Largest input of a window (−∞ for a window entirely in the padding). */
export function windowMax(x: ArrayLike<number>, base: number, t: WindowTaps, o: number): number {
  let m = -Infinity;
  for (let j = t.start[o]!; j < t.start[o + 1]!; j++) m = Math.max(m, x[base + t.inputIndex[j]!]!);
  return m;
}

/** Sum of a window's inputs (padding adds 0). */
export function windowSum(x: ArrayLike<number>, base: number, t: WindowTaps, o: number): number {
  let s = 0;
  for (let j = t.start[o]!; j < t.start[o + 1]!; j++) s += x[base + t.inputIndex[j]!]!;
  return s;
}

/** The AveragePool divisor of every output position. */
export function avgDivisors(g: { input: Shape; output: Shape; window: WindowSpec }, countIncludePad: boolean): Int32Array {
  const t = taps(g);
  const d = new Int32Array(t.outputs);
  for (let o = 0; o < t.outputs; o++) d[o] = countIncludePad ? t.padded[o]! : t.start[o + 1]! - t.start[o]!;
  return d;
}

/** Average pooling as ONNX AveragePool computes it. */
export function avgPoolForward(x: ArrayLike<number>, g: { input: Shape; output: Shape; window: WindowSpec }, countIncludePad: boolean): Float64Array {
  const d = avgDivisors(g, countIncludePad);
  return poolForward(x, g, (v, base, t, o) => windowSum(v, base, t, o) / d[o]!);
}
