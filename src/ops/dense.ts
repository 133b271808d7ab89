/**
 * Dense layers: Gemm, MatMul with a constant weight, BatchNormalization folded into them,
 * and Conv (1-D to 3-D, strides, pads, dilations, groups), all with constant weights.
 *
 * Quantization: integer weights at the power-of-two scale that fits the largest into
 * weightBits; the output stays a pending accumulator at input scale + weight scale (bias at
 * that scale), rescaled only when something non-linear needs it. A pending input is
 * rescaled first. On an int8 (QDQ) input whose weights are int8 values times a step per
 * output (DequantizeLinear of int8 weights), the layer uses those integers and the int32
 * bias exactly, and its accumulator carries the unit in_scale·step (src/quant/units.ts).
 * Circuit: a generated layer template (src/circuit/emit-layers.ts) whose outputs are
 * signals bound by linear constraints: one per output, plus one per input bound to an
 * expression; no gadget.
 */
import { convForward, convInterval } from '../ir/conv.js';
import { sizeOf, type Shape } from '../ir/graph.js';
import { LINEAR_CONVERTERS } from '../onnx/ops-linear.js';
import { CONV_CONVERTERS } from '../onnx/ops-conv.js';
import { scaleFor, type Quantizer, type Ref } from '../quant/quantizer.js';
import { channelUnits, expandChannels, integerSteps, uniformUnit } from '../quant/units.js';
import { convTemplate, denseHashedTemplate, denseTemplate } from '../circuit/emit-layers.js';
import { bindCost, fillKinds } from '../circuit/gadget-cost.js';
import { family } from './types.js';

/** Integer weights at the scale that fits the largest into `bits`. */
export function quantizeWeights(w: ArrayLike<number>, bits: number): { weight: number[]; weightScale: number } {
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

/** y[r, o] = bias[o] + Σ_i weight[o·in + i]·x[r, i]. */
function dense(x: ArrayLike<number>, weight: ArrayLike<number>, bias: ArrayLike<number> | undefined, inFeatures: number, outFeatures: number): number[] {
  const rows = x.length / inFeatures;
  const y = new Array<number>(rows * outFeatures);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outFeatures; o++) {
      let acc = bias ? bias[o]! : 0;
      const w = o * inFeatures;
      const xi = r * inFeatures;
      for (let i = 0; i < inFeatures; i++) acc += weight[w + i]! * x[xi + i]!;
      y[r * outFeatures + o] = acc;
    }
  }
  return y;
}

/**
 * A layer on an int8 value (one unit u for every element, no deferred ReLU) whose weights are
 * integers times a step per output, as DequantizeLinear of int8 weights makes them: the
 * integer weights, the bias in units of u·step (an int32 bias exactly), and those units;
 * undefined otherwise (the layer is then quantized as a float one).
 */
function integerLayer(
  x: Ref,
  weight: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  outputs: number,
  maxSpread = Infinity,
): { weight: number[]; bias: number[]; units: Float64Array } | undefined {
  if (!x.unit || x.relu !== undefined) return undefined;
  const u = uniformUnit(x.unit);
  if (u === undefined) return undefined;
  // One step for the whole tensor (a per-tensor scale) when the steps must agree: a row's own
  // step may be a fraction of it (a row whose largest weight is small fits a finer step).
  const whole = maxSpread === 1 ? integerSteps(weight, 1) : undefined;
  const found = whole ? { ints: whole.ints, steps: new Float64Array(outputs).fill(whole.steps[0]!) } : integerSteps(weight, outputs);
  if (!found) return undefined;
  if (Math.max(...found.steps) > maxSpread * Math.min(...found.steps)) return undefined;
  const units = found.steps.map((s) => s * u);
  const b = Array.from({ length: outputs }, (_, o) => Math.round((bias?.[o] ?? 0) / units[o]!));
  if (b.some((v) => !(Math.abs(v) < 2 ** 40))) return undefined;
  return { weight: found.ints, bias: b, units };
}

/**
 * QuantOptions.int8 `fold`: a layer on an int8 value whose units differ between its input
 * features (after a per-channel layer) takes those units into its weights, w·unit of the
 * feature, quantized at weightBits like a float layer's; the input is read as its integers
 * and the accumulator carries the unit 2^−weightScale, for the folded requantization that
 * follows. `featureOf(i)` is the input feature of weight i; undefined when not applicable.
 */
function foldedLayer(q: Quantizer, x: Ref, shape: Shape, axis: number, weight: ArrayLike<number>, featureOf: (i: number) => number): { x: Ref; weight: number[]; weightScale: number } | undefined {
  if (q.opts.int8 !== 'fold' || !x.unit || x.relu !== undefined) return undefined;
  const units = channelUnits(x.unit, shape, axis);
  if (!units) return undefined;
  const folded = Float64Array.from(weight, (w, i) => w * units[featureOf(i)]!);
  const { weight: ints, weightScale } = quantizeWeights(folded, q.opts.weightBits);
  return { x: { q: x.q, scale: 0, min: x.min, max: x.max, pending: false }, weight: ints, weightScale };
}

/**
 * QuantOptions.int8 `fold`: the largest ratio of a layer's per-channel weight steps for which
 * its int8 weights are kept: 1, one step for the tensor. Per-channel steps would give the
 * accumulator a unit per channel, and one power-of-two rescale for all channels then pays a
 * bit per element for each power of two between the finest and the coarsest (on the LeNet
 * example, 136,959 constraints with per-channel weights requantized at 8 bits against 140,073
 * with those within a factor 2 kept, and no better agreement); such weights are requantized
 * at weightBits (foldedLayer).
 */
function foldSpread(q: Quantizer): number {
  return q.opts.int8 === 'fold' ? 1 : Infinity;
}

const { Add: _add, Sub: _sub, Mul: _mul, Div: _div, ...DENSE_CONVERTERS } = LINEAR_CONVERTERS;

export const denseOps = family({
  onnx: { ...DENSE_CONVERTERS, Conv: CONV_CONVERTERS.Conv! },
  float: {
    linear: {
      run: (node, c) => Float64Array.from(dense(c.value(node.input), node.weight, node.bias, node.inFeatures, node.outFeatures)),
      interval(node, c) {
        const x = c.interval(node.input);
        const rows = x.lo.length / node.inFeatures;
        const lo = new Float64Array(rows * node.outFeatures);
        const hi = new Float64Array(rows * node.outFeatures);
        for (let r = 0; r < rows; r++) {
          for (let o = 0; o < node.outFeatures; o++) {
            let a = node.bias?.[o] ?? 0;
            let b = a;
            for (let i = 0; i < node.inFeatures; i++) {
              const w = node.weight[o * node.inFeatures + i]!;
              const p = w * x.lo[r * node.inFeatures + i]!;
              const q = w * x.hi[r * node.inFeatures + i]!;
              a += Math.min(p, q);
              b += Math.max(p, q);
            }
            lo[r * node.outFeatures + o] = a;
            hi[r * node.outFeatures + o] = b;
          }
        }
        return { lo, hi };
      },
      quantize(q, node) {
        const held = q.exact(node.input, node);
        const int8 = integerLayer(held, node.weight, node.bias, node.outFeatures, foldSpread(q));
        const inShape = q.shape(node.input);
        const fold = int8 ? undefined : foldedLayer(q, held, inShape, inShape.length - 1, node.weight, (i) => i % node.inFeatures);
        let x = int8 ? held : (fold?.x ?? q.get(node.input, node));
        if (x.pending && !int8) x = q.rescale(x, node.input, false, node.source);
        const { weight, weightScale } = int8 ? { weight: int8.weight, weightScale: 0 } : (fold ?? quantizeWeights(node.weight, q.opts.weightBits));
        const scale = x.scale + weightScale;
        const bias = int8 ? int8.bias : Array.from({ length: node.outFeatures }, (_, o) => Math.round((node.bias?.[o] ?? 0) * 2 ** scale));
        let min = Infinity;
        let max = -Infinity;
        for (let o = 0; o < node.outFeatures; o++) {
          const [lo, hi] = dotBounds(weight, o * node.inFeatures, node.inFeatures, x, false);
          min = Math.min(min, bias[o]! + lo);
          max = Math.max(max, bias[o]! + hi);
        }
        q.push({ kind: 'linear', input: x.q, output: node.output, inFeatures: node.inFeatures, outFeatures: node.outFeatures, weight, bias, weightScale, source: node.source });
        const out = q.define(node.output, { scale, min, max, pending: true }, node.output);
        const shape = q.shape(node.output);
        if (int8) q.set(node.output, { ...out, unit: expandChannels(int8.units, shape, shape.length - 1) });
        else if (fold) q.set(node.output, { ...out, scale: 0, unit: new Float64Array(sizeOf(shape)).fill(2 ** -scale) });
        else q.set(node.output, out);
      },
    },
    conv: {
      run: (node, c) => convForward(c.value(node.input), node.weight, node.bias, { input: c.shape(node.input), output: c.shape(node.output), group: node.group, window: node.window }),
      interval(node, c) {
        const x = c.interval(node.input);
        return convInterval(x.lo, x.hi, node.weight, node.bias, { input: c.shape(node.input), output: c.shape(node.output), group: node.group, window: node.window });
      },
      quantize(q, node) {
        const outChannels = q.shape(node.output)[1]!;
        const held = q.exact(node.input, node);
        const int8 = integerLayer(held, node.weight, node.bias, outChannels, foldSpread(q));
        const perChannel = node.weight.length / outChannels;
        // Weight i belongs to output channel m = ⌊i / perChannel⌋, input channel (group of m)·(C/group) + ⌊(i mod perChannel) / kernel⌋.
        const inPerGroup = q.shape(node.input)[1]! / node.group;
        const kernel = perChannel / inPerGroup;
        const groupOf = (m: number) => Math.floor(m / (outChannels / node.group));
        const fold = int8 ? undefined : foldedLayer(q, held, q.shape(node.input), 1, node.weight, (i) => groupOf(Math.floor(i / perChannel)) * inPerGroup + Math.floor((i % perChannel) / kernel));
        let x = int8 ? held : (fold?.x ?? q.get(node.input, node));
        if (x.pending && !int8) x = q.rescale(x, node.input, false, node.source);
        const { weight, weightScale } = int8 ? { weight: int8.weight, weightScale: 0 } : (fold ?? quantizeWeights(node.weight, q.opts.weightBits));
        const scale = x.scale + weightScale;
        const padded = node.window.pads.some((p) => p > 0);
        const bias = int8 ? int8.bias : Array.from({ length: outChannels }, (_, m) => Math.round((node.bias?.[m] ?? 0) * 2 ** scale));
        let min = Infinity;
        let max = -Infinity;
        for (let m = 0; m < outChannels; m++) {
          const [lo, hi] = dotBounds(weight, m * perChannel, perChannel, x, padded);
          min = Math.min(min, bias[m]! + lo);
          max = Math.max(max, bias[m]! + hi);
        }
        q.push({ kind: 'conv', input: x.q, output: node.output, weight, bias, weightScale, group: node.group, window: node.window, source: node.source });
        const out = q.define(node.output, { scale, min, max, pending: true }, node.output);
        if (int8) q.set(node.output, { ...out, unit: expandChannels(int8.units, q.shape(node.output), 1) });
        else if (fold) q.set(node.output, { ...out, scale: 0, unit: new Float64Array(sizeOf(q.shape(node.output))).fill(2 ** -scale) });
        else q.set(node.output, out);
      },
    },
  },
  fixed: {
    linear: {
      cost: (node, c) => ({ constraints: bindCost(c.kinds(node.input)) + sizeOf(c.shape(node.output)), output: fillKinds(sizeOf(c.shape(node.output)), 'private') }),
      reference: (node, c) => dense(c.value(node.input), node.weight, node.bias, node.inFeatures, node.outFeatures),
      emit(em, node, index) {
        const x = em.get(node.input, node.source);
        const rows = x.length / node.inFeatures;
        const name = `Dense${index}`;
        if (!em.hashedWeights) {
          em.set(node.output, em.layer(index, denseTemplate(name, node, rows), name, x, rows * node.outFeatures));
          return;
        }
        // private weights: the main template's w<step> and b<step> inputs (src/quant/weights.ts)
        const y = em.layer(index, denseHashedTemplate(name, node, rows), name, x, rows * node.outFeatures);
        em.lines.push(`    s${index}.w <== w${index};`, `    s${index}.b <== b${index};`);
        em.set(node.output, y);
      },
    },
    conv: {
      cost: (node, c) => ({ constraints: bindCost(c.kinds(node.input)) + sizeOf(c.shape(node.output)), output: fillKinds(sizeOf(c.shape(node.output)), 'private') }),
      reference: (node, c) =>
        Array.from(convForward(c.value(node.input), node.weight, node.bias, { input: c.shape(node.input), output: c.shape(node.output), group: node.group, window: node.window })),
      emit(em, node, index) {
        const x = em.get(node.input, node.source);
        const input = em.model.values[node.input]!.shape;
        const output = em.model.values[node.output]!.shape;
        const name = `Conv${index}`;
        const y = em.layer(index, convTemplate(name, node, input, output, em.hashedWeights), name, x, sizeOf(output));
        // private weights: the main template's w<step> and b<step> inputs (src/quant/weights.ts)
        if (em.hashedWeights) em.lines.push(`    s${index}.w <== w${index};`, `    s${index}.b <== b${index};`);
        em.set(node.output, y);
      },
    },
  },
});
