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
import { sizeOf, type ConstTensor, type Shape } from '../ir/graph.js';
import { broadcastShape } from '../onnx/broadcast.js';
import { computedInput, constInput, fail, input, shapeOf, type Converter } from '../onnx/context.js';
import { emitConv, foldConstants, scaled } from '../onnx/convert-helpers.js';
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

/*
 * ONNX converters. BatchNormalization (inference form, ONNX opsets 9–15):
 * y = (x − mean) / √(var + ε) · scale + B per channel, as a constant multiply and add that
 * the optimizer folds into a preceding Conv or Gemm. Conv: constant weights; strides, pads,
 * auto_pad, dilations, groups including depthwise (src/onnx/convert-helpers.ts).
 */

const matMul: Converter = (ctx) => {
  const a = input(ctx, 0, 'A');
  const bIn = input(ctx, 1, 'B');
  if (a.value.kind === 'const' && bIn.value.kind === 'const') fail(ctx, 'MatMul of two constants is not supported');
  if (a.value.kind !== 'value') fail(ctx, 'MatMul with a constant first operand is not supported');
  const b = constInput(ctx, 1, 'B');
  if (b.shape.length !== 2) fail(ctx, `MatMul weight must be 2-D, got [${b.shape.join(', ')}]`);
  const [k, n] = b.shape as [number, number];
  const aShape = a.value.shape;
  if (aShape[aShape.length - 1] !== k) fail(ctx, `cannot multiply [${aShape.join(', ')}] by [${k}, ${n}]`);
  const weight = new Float64Array(n * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) weight[j * k + i] = b.data[i * n + j]!;
  const shape = [...aShape.slice(0, -1), n];
  ctx.emit({ kind: 'linear', input: a.name, output: ctx.outputName, weight, inFeatures: k, outFeatures: n, source: ctx.source }, shape);
};

const gemm: Converter = (ctx) => {
  const { attrs } = ctx;
  const a = input(ctx, 0, 'A');
  if (a.value.kind !== 'value') fail(ctx, 'Gemm with a constant A is not supported');
  const b = constInput(ctx, 1, 'B');
  const c = ctx.inputs[2]?.value;
  const alpha = attrs.float('alpha', 1);
  const beta = attrs.float('beta', 1);
  const transA = attrs.int('transA', 0);
  const transB = attrs.int('transB', 0);
  const aShape = a.value.shape;
  if (aShape.length !== 2) fail(ctx, `Gemm input A must be 2-D, got [${aShape.join(', ')}]`);
  if (b.shape.length !== 2) fail(ctx, `Gemm input B must be 2-D, got [${b.shape.join(', ')}]`);
  let inputName = a.name;
  let [m, k] = aShape as [number, number];
  if (transA) {
    [m, k] = [k, m];
    inputName = ctx.temp('transA');
    if (aShape[0] === 1 || aShape[1] === 1) ctx.emit({ kind: 'reshape', input: a.name, output: inputName, shape: [m, k], source: ctx.source }, [m, k]);
    else ctx.emit({ kind: 'transpose', input: a.name, output: inputName, perm: [1, 0], source: ctx.source }, [m, k]);
  }
  const [b0, b1] = b.shape as [number, number];
  const bk = transB ? b1 : b0;
  const n = transB ? b0 : b1;
  if (bk !== k) fail(ctx, `Gemm shapes do not match: A is [${m}, ${k}], B gives K=${bk}`);
  const weight = new Float64Array(n * k);
  for (let o = 0; o < n; o++) {
    for (let i = 0; i < k; i++) weight[o * k + i] = alpha * (transB ? b.data[o * b1 + i]! : b.data[i * b1 + o]!);
  }
  let bias: Float64Array | undefined;
  let matrixBias: ConstTensor | undefined;
  if (c) {
    if (c.kind !== 'const') fail(ctx, 'Gemm input C must be a constant');
    const cs = c.tensor.shape;
    if (broadcastShape([m, n], cs, ctx.where).join() !== [m, n].join()) fail(ctx, `Gemm bias C of shape [${cs.join(', ')}] does not broadcast to [${m}, ${n}]`);
    const size = sizeOf(cs);
    if (size === 1) bias = new Float64Array(n).fill(beta * c.tensor.data[0]!);
    else if (size === n && cs[cs.length - 1] === n) bias = c.tensor.data.map((v) => beta * v);
    else matrixBias = scaled(c.tensor, beta); // varies along rows: a constant add after the product
  }
  const product = matrixBias ? ctx.temp('product') : ctx.outputName;
  ctx.emit({ kind: 'linear', input: inputName, output: product, weight, inFeatures: k, outFeatures: n, bias, source: ctx.source }, [m, n]);
  if (matrixBias) ctx.emit({ kind: 'addConst', input: product, output: ctx.outputName, constant: matrixBias, source: ctx.source }, [m, n]);
};

const batchNormalization: Converter = (ctx) => {
  if (ctx.attrs.int('training_mode', 0) !== 0) fail(ctx, 'BatchNormalization in training mode is not supported');
  if (ctx.extraOutputsUsed) fail(ctx, 'BatchNormalization running mean/variance outputs are not supported');
  const x = input(ctx, 0, 'X');
  const names = ['scale', 'B', 'input_mean', 'input_var'];
  const [scale, bias, mean, variance] = names.map((what, i) => constInput(ctx, i + 1, what)) as [ConstTensor, ConstTensor, ConstTensor, ConstTensor];
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const shape = shapeOf(x);
  const channels = shape[1] ?? 1;
  for (const [i, t] of [scale, bias, mean, variance].entries()) {
    if (sizeOf(t.shape) !== channels) fail(ctx, `input ${i + 1} (${names[i]}) has ${sizeOf(t.shape)} values, expected one per channel (${channels})`);
  }
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    a[c] = scale.data[c]! / Math.sqrt(variance.data[c]! + eps);
    b[c] = bias.data[c]! - mean.data[c]! * a[c]!;
  }
  const perChannel = [channels, ...new Array<number>(Math.max(0, shape.length - 2)).fill(1)];
  const aT: ConstTensor = { dtype: 'float64', shape: perChannel, data: a };
  const bT: ConstTensor = { dtype: 'float64', shape: perChannel, data: b };
  if (x.value.kind === 'const') {
    const mul = foldConstants(ctx, x.value.tensor, aT, (p, q) => p * q);
    return ctx.setConst(foldConstants(ctx, mul, bT, (p, q) => p + q));
  }
  const v = computedInput(ctx, 0, 'X');
  const mid = ctx.temp('scaled');
  ctx.emit({ kind: 'mulConst', input: v.name, output: mid, constant: aT, source: ctx.source }, v.shape);
  ctx.emit({ kind: 'addConst', input: mid, output: ctx.outputName, constant: bT, source: ctx.source }, v.shape);
};

const conv: Converter = (ctx) => {
  const x = input(ctx, 0, 'X');
  if (x.value.kind === 'const') fail(ctx, 'Conv of a constant input is not supported');
  let bias: Float64Array | undefined;
  if (ctx.inputs[2]) bias = Float64Array.from(constInput(ctx, 2, 'B').data);
  emitConv(ctx, computedInput(ctx, 0, 'X'), constInput(ctx, 1, 'W'), bias, ctx.outputName);
};

export const denseOps = family({
  onnx: { MatMul: matMul, Gemm: gemm, BatchNormalization: batchNormalization, Conv: conv },
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
