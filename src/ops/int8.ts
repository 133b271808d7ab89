/**
 * Int8 models: QuantizeLinear, DequantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul,
 * QLinearConv (zero points, per-tensor or per-channel scales). The integer matrix products
 * become dense layers; the requantization step is the float-IR kind `requantize`:
 * y = clamp(round_half_even(x / scale) + zeroPoint, min, max); DequantizeLinear of a computed
 * tensor is the kind `dequantize`: y = (x − zeroPoint)·scale.
 *
 * Quantization (src/quant/units.ts): a dequantized value keeps its integers and takes its
 * scale as a real unit (no node, no wire), so a Conv or Gemm on it uses the model's integer
 * weights (dense.ts) and its accumulator has unit in_scale·w_scale per output channel; a
 * ReLU and a max pooling on it wait (activation.ts, pooling.ts). The QuantizeLinear that
 * follows is then the one rescale of that accumulator: x·unit / scale = X·C / 2^k with C
 * held to REQUANT_BITS significant bits (exact when the ratio is a power of two), the ReLU
 * and the saturation to int8/uint8 proven from the same decomposition (Requantize);
 * its zero point is a constant add. The quotient is range-checked to the width the
 * calibrated range (with headroom) needs, no wider than its static bounds.
 * A QuantizeLinear of the graph input is the input quantization (outside the circuit, like
 * every model's: src/quant/quantize.ts). Other QuantizeLinear inputs are at power-of-two
 * scales: the same rescale after a constant multiply, rounding half to even when the
 * multiplier is exact.
 * With QuantOptions.int8 `fold` (compile --int8 fold), a QuantizeLinear that only
 * DequantizeLinear reads is instead the float path's power-of-two rescale at activationBits
 * (requantizeFold), the input is quantized at inputBits, and per-channel int8 weights are
 * requantized at weightBits (dense.ts): the float compile's cost, approximating the model's
 * requantization (BENCHMARKS.md, "int8 QDQ LeNet").
 * Circuit cost per element: Requantize(k, b, j, relu, c): k + b + 2 to k + b + 10;
 * RescaleHalfEven(k, b): k + b + 4 and a Max2 per clamp bound.
 */
import { CompileError } from '../shared/errors.js';
import { rescaleValue, roundHalfEven } from '../shared/rounding.js';
import { broadcastTo } from '../ir/gather.js';
import { computedInput, constInput, fail, input, normalizeAxis, shapeOf, type ComputedInput, type ConvertContext, type Converter } from '../onnx/context.js';
import { emitConv, foldConstants } from '../onnx/convert-helpers.js';
import { describeSource, nodeInputs, sizeOf, type ConstTensor, type DequantizeNode, type RequantizeNode, type Shape } from '../ir/graph.js';
import { foldable } from '../quant/units.js';
import { signedBits, type Quantizer, type Ref } from '../quant/quantizer.js';
import { family } from './types.js';

/** Significant bits of a multiplier that is not a power of two, on an input at a power-of-two scale. */
export const MULTIPLIER_BITS = 24;

/**
 * Significant bits of a requantization multiplier in_scale·w_scale / out_scale. Each bit costs
 * one constraint per requantized element; 16 bits keep the requantized integers equal to
 * onnxruntime's (which multiplies in float32) except within about 2^−9 of a rounding
 * boundary, where they differ by one (8 bits would save 8 constraints per element and shift
 * more integers by one: on the LeNet example, argmax agreement 99.8 % instead of 100 % on
 * 500 test images).
 */
export const REQUANT_BITS = 16;

/** DequantizeLinear: the integers as they are (less the zero point), the scale as their unit. */
function quantizeDequantize(q: Quantizer, node: DequantizeNode): void {
  const exact = q.exact(node.input, node);
  if (exact.folded) {
    const { folded: _folded, ...held } = exact;
    q.set(node.output, held);
    return;
  }
  const shape = q.shape(node.input);
  const scale = broadcastTo(node.scale, shape);
  const zero = broadcastTo(node.zeroPoint, shape);
  // A QuantizeLinear's output less its own zero point: the value before the zero point was added.
  const back = exact.beforeZero;
  if (back && back.zero.length === zero.length && back.zero.every((z, i) => z === zero[i])) {
    q.set(node.output, { q: back.ref.q, scale: 0, min: back.ref.min, max: back.ref.max, pending: false, unit: Float64Array.from(scale) });
    return;
  }
  const x = exact.unit ? q.get(node.input, node) : exact;
  if (scale.some((v) => !(v > 0) || !Number.isFinite(v))) throw new CompileError(`${describeSource(node.source)}: dequantization scales must be positive`);
  // (v·2^−e − z)·s = (v − z·2^e)·(s·2^−e)
  const offset = Array.from(zero, (z) => -z * 2 ** x.scale);
  let cur: Ref = x;
  if (offset.some((o) => o !== 0)) {
    if (offset.some((o) => !Number.isInteger(o))) throw new CompileError(`${describeSource(node.source)}: the zero point is not an integer at the input's scale 2^${x.scale}`);
    const name = `${node.output}::shifted`;
    q.push({ kind: 'addConst', input: x.q, output: name, constant: offset, source: node.source });
    cur = q.define(name, { scale: x.scale, min: x.min + Math.min(...offset), max: x.max + Math.max(...offset), pending: x.pending }, node.output);
  }
  q.set(node.output, { q: cur.q, scale: 0, min: cur.min, max: cur.max, pending: cur.pending, unit: scale.map((s) => s * 2 ** -x.scale) });
}

/** Saturation bounds as Requantize's j (relu: [0, 2^j − 1]; signed: [−2^(j−1), 2^(j−1) − 1]), or undefined. */
function saturationBits(lo: number, hi: number, relu: boolean): number | undefined {
  if (relu) {
    if (lo > 0) return undefined;
    const j = Math.log2(hi + 1);
    return Number.isInteger(j) && j >= 1 ? j : undefined;
  }
  const j = Math.log2(hi + 1) + 1;
  return Number.isInteger(j) && j >= 2 && lo === -(2 ** (j - 1)) ? j : undefined;
}

/**
 * QuantizeLinear of an int8 accumulator with units (see the module header): one rescale with
 * the multiplier unit/scale, the deferred ReLU and the saturation fused; returns false when
 * the multiplier is an exact power-of-two ratio that needs half-to-even rounding (the caller
 * then takes the general path).
 */
function requantizeUnits(q: Quantizer, node: RequantizeNode, x: Ref): boolean {
  const unit = x.unit!;
  const shape = q.shape(node.input);
  const scale = broadcastTo(node.scale, shape);
  const zero = broadcastTo(node.zeroPoint, shape);
  const ratio = Array.from(unit, (u, i) => u / scale[i]!);
  if (ratio.some((v) => !(v > 0) || !Number.isFinite(v))) throw new CompileError(`${describeSource(node.source)}: quantization scales must be positive`);
  let k = -1;
  const bits = REQUANT_BITS;
  for (let t = 0; t <= 40 && k < 0; t++) if (ratio.every((v) => Number.isInteger(v * 2 ** t) && v * 2 ** t <= 2 ** bits)) k = t;
  const exact = k >= 0;
  if (exact && k > 0) return false;
  if (!exact) k = Math.max(0, bits - 1 - Math.floor(Math.log2(Math.max(...ratio))));
  // The multiplier is applied inside the rescale's gadget (Requantize): no wire of its own.
  const multiplier = ratio.map((v) => Math.round(v * 2 ** k));
  const scaled = multiplier.some((c) => c !== 1);
  let min = Infinity;
  let max = -Infinity;
  for (const c of new Set(multiplier)) {
    min = Math.min(min, c * x.min, c * x.max);
    max = Math.max(max, c * x.min, c * x.max);
  }
  if (!(Math.max(-min, max) < 2 ** 52)) return false;
  const step = (suffix: string) => `${node.output}::${suffix}`;
  const relu = x.relu !== undefined;
  // The half-up quotient's width: statically, and from the calibrated range (before the ReLU) with headroom.
  const [qmin, qmax] = [rescaleValue(min, k), rescaleValue(max, k)];
  const calibrated = Math.ceil(q.range(x.relu ?? node.input) * Math.max(...scale.map((s) => 1 / s)) * 2 ** q.opts.headroomBits) + 1;
  const width = Math.max(2, Math.min(signedBits(qmin, qmax), signedBits(-calibrated, calibrated)));
  let lo = Math.max(qmin, -(2 ** (width - 1)));
  let hi = Math.min(qmax, 2 ** (width - 1) - 1);
  if (relu) [lo, hi] = [Math.max(lo, 0), Math.max(hi, 0)];
  // Saturation to the type's range (less the zero point), in the gadget when the range has its shape.
  const z = zero[0]!;
  const uniformZero = zero.every((v) => v === z);
  let saturate: number | undefined;
  if (uniformZero && (lo < node.min - z || hi > node.max - z)) {
    const j = saturationBits(node.min - z, node.max - z, relu);
    if (j !== undefined && (relu ? j <= width - 2 : j <= width - 1)) {
      saturate = j;
      lo = Math.max(lo, node.min - z);
      hi = Math.min(hi, node.max - z);
    }
  }
  q.push({
    kind: 'rescale',
    input: x.q,
    output: step('rounded'),
    shift: k,
    bits: width,
    relu,
    ...(scaled ? { multiplier } : {}),
    ...(saturate !== undefined ? { saturate } : {}),
    source: node.source,
  });
  const rounded = q.define(step('rounded'), { scale: 0, min: lo, max: hi, pending: false }, node.output);
  finishRequantize(q, node, rounded, Array.from(zero));
  return true;
}

/** Adds the zero point and clamps what is still outside [node.min, node.max] (one Max2 per bound). */
function finishRequantize(q: Quantizer, node: RequantizeNode, rounded: Ref, zero: number[]): void {
  let cur = rounded;
  if (zero.some((z) => z !== 0)) {
    const name = `${node.output}::offset`;
    q.push({ kind: 'addConst', input: cur.q, output: name, constant: zero, source: node.source });
    cur = q.define(name, { scale: 0, min: cur.min + Math.min(...zero), max: cur.max + Math.max(...zero), pending: false }, node.output);
  }
  const min = node.min > cur.min ? node.min : null;
  const max = node.max < cur.max ? node.max : null;
  if (min === null && max === null) {
    q.set(node.output, cur === rounded ? cur : { ...cur, beforeZero: { ref: rounded, zero } });
    return;
  }
  const width = (a: number, b: number, c: number) => Math.ceil(Math.log2(Math.max(b - c + 1, c - a, 1)));
  const afterMin = min === null ? [cur.min, cur.max] : [Math.max(cur.min, min), Math.max(cur.max, min)];
  q.push({
    kind: 'clamp',
    input: cur.q,
    output: node.output,
    min,
    max,
    minBits: min === null ? 0 : width(cur.min, cur.max, min),
    maxBits: max === null ? 0 : width(afterMin[0]!, afterMin[1]!, max),
    source: node.source,
  });
  q.set(
    node.output,
    q.define(node.output, { scale: 0, min: max === null ? afterMin[0]! : Math.min(afterMin[0]!, max), max: max === null ? afterMin[1]! : Math.min(afterMin[1]!, max), pending: false }, node.output),
  );
}

/** Whether a folded value reaches nothing but the model's output or its final Softmax/ArgMax (through DequantizeLinear and reshapes). */
function readOnlyByFinal(q: Quantizer, name: string): boolean {
  if (q.graph.output.name === name) return true;
  return q.graph.nodes.every(
    (n) => !nodeInputs(n).includes(name) || ((n.kind === 'dequantize' || n.kind === 'reshape') && readOnlyByFinal(q, n.output)) || n.kind === 'softmax' || n.kind === 'argMax',
  );
}

/**
 * QuantizeLinear folded into a power-of-two rescale (QuantOptions.int8 `fold`): the value
 * x·unit is divided by 2^k instead of requantized to the model's scale, so its integers
 * take the unit unit·2^k (per element; the DequantizeLinear that follows keeps it). k is the
 * float path's choice: the finest rescale that holds the calibrated range in activationBits,
 * range-checked to activationBits and the headroom (planRescale). A deferred ReLU, or a lower
 * bound of the integer type at the zero point (uint8 with zero point 0: the exporter's fused
 * ReLU), becomes the rescale's ReLU; the saturation at the type's other bounds is dropped
 * (as in the float model). Returns false when the lower bound is another clamp.
 */
function requantizeFold(q: Quantizer, node: RequantizeNode, x: Ref): boolean {
  const unit = x.unit!;
  const shape = q.shape(node.input);
  const scale = broadcastTo(node.scale, shape);
  const zero = broadcastTo(node.zeroPoint, shape);
  if (scale.some((v) => !(v > 0) || !Number.isFinite(v))) throw new CompileError(`${describeSource(node.source)}: quantization scales must be positive`);
  // The type's lower bound less the zero point: 0 everywhere is a ReLU; below 0 everywhere, a
  // saturation dropped like the upper one; anything else keeps the exact requantization.
  const clampsAtZero = zero.every((z) => node.min - z === 0);
  if (x.relu === undefined && !clampsAtZero && zero.some((z) => node.min - z >= 0)) return false;
  const relu = x.relu !== undefined || clampsAtZero;
  let uMin = Infinity;
  for (const u of unit) uMin = Math.min(uMin, u);
  const { activationBits, headroomBits } = q.opts;
  // planRescale's choice in units: the finest rescale that holds the calibrated range in
  // activationBits (range / (unit·2^k) ≤ 2^(activationBits−1) − 1 for every element).
  const range = q.range(x.relu ?? node.input);
  const k = range > 0 ? Math.max(0, Math.ceil(Math.log2(range / (uMin * (2 ** (activationBits - 1) - 1))))) : 0;
  const [qmin, qmax] = [rescaleValue(x.min, k), rescaleValue(x.max, k)];
  const width = Math.max(2, Math.min(signedBits(qmin, qmax), activationBits + headroomBits));
  const outUnit = unit.map((u) => u * 2 ** k);
  // Nothing to prove: no ReLU, and no shift on a value already held (the input), or the logits
  // that only the model's last step reads (kept as the accumulator, as a float model's are).
  if (!relu && ((k === 0 && (!x.pending || width >= signedBits(x.min, x.max))) || readOnlyByFinal(q, node.output))) {
    q.set(node.output, { q: x.q, scale: 0, min: x.min, max: x.max, pending: x.pending, unit, folded: true });
    return true;
  }
  const name = `${node.output}::folded`;
  q.push({ kind: 'rescale', input: x.q, output: name, shift: k, bits: width, relu, source: node.source });
  let lo = Math.max(qmin, -(2 ** (width - 1)));
  let hi = Math.min(qmax, 2 ** (width - 1) - 1);
  if (relu) [lo, hi] = [Math.max(lo, 0), Math.max(hi, 0)];
  q.set(node.output, { ...q.define(name, { scale: 0, min: lo, max: hi, pending: false }, node.output), unit: outUnit, folded: true });
  return true;
}

/** QuantizeLinear and the requantization of the QLinear ops. */
function quantizeRequantize(q: Quantizer, node: RequantizeNode): void {
  const held = q.exact(node.input, node);
  if (q.opts.int8 === 'fold' && foldable(q.graph, node)) {
    const x = held.unit ? held : q.get(node.input, node);
    const unit = x.unit ?? new Float64Array(sizeOf(q.shape(node.input))).fill(2 ** -x.scale);
    if (requantizeFold(q, node, { q: x.q, scale: 0, min: x.min, max: x.max, pending: x.pending, unit, ...(x.relu !== undefined ? { relu: x.relu } : {}) })) return;
  }
  if (held.unit && requantizeUnits(q, node, held)) return;
  const x = q.get(node.input, node);
  // A value at a power-of-two scale 2^x.scale has the unit 2^−x.scale.
  const unit = new Float64Array(sizeOf(q.shape(node.input))).fill(2 ** -x.scale);
  if (!held.unit && requantizeUnits(q, node, { q: x.q, scale: 0, min: x.min, max: x.max, pending: x.pending, unit })) return;
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
  finishRequantize(q, node, cur, zero);
}

/*
 * ONNX converters (ONNX operator docs): QuantizeLinear and DequantizeLinear (on constants they
 * fold, so QDQ weights become plain float weights), MatMulInteger and ConvInteger (exact integer
 * products of zero-point-shifted operands), QLinearMatMul and QLinearConv (the same integer
 * product, then requantized with the multiplier a_scale·b_scale / y_scale, rounding half to
 * even and saturating, as onnxruntime does). Quantized operands other than the first must be
 * constants.
 */

const RANGES: Partial<Record<ConstTensor['dtype'], [number, number]>> = { uint8: [0, 255], int8: [-128, 127] };

/** A per-tensor (scalar) or per-axis (1-D, along the `axis` attribute) parameter as a constant broadcastable to `shape`. */
function alongAxis(ctx: ConvertContext, t: ConstTensor, shape: Shape, what: string): ConstTensor {
  if (t.data.length === 1) return { ...t, shape: [] };
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis', 1), shape.length);
  if (t.shape.length !== 1 || t.data.length !== shape[axis]) fail(ctx, `${what} has ${t.data.length} values; expected 1 or ${shape[axis]} (axis ${axis})`);
  return { ...t, shape: shape.map((d, a) => (a === axis ? d : 1)) };
}

/** Optional input i as a constant, or zero. */
function zeroPoint(ctx: ConvertContext, i: number, what: string): ConstTensor {
  return ctx.inputs[i] ? constInput(ctx, i, what) : { dtype: 'uint8', shape: [], data: Float64Array.of(0) };
}

const quantizeLinear: Converter = (ctx) => {
  const x = input(ctx, 0, 'x');
  const shape = shapeOf(x);
  const scale = alongAxis(ctx, constInput(ctx, 1, 'y_scale'), shape, 'y_scale');
  const zp = zeroPoint(ctx, 2, 'y_zero_point');
  const range = RANGES[zp.dtype];
  if (!range) fail(ctx, `QuantizeLinear to ${zp.dtype} is not supported (uint8 or int8)`);
  const zero = alongAxis(ctx, zp, shape, 'y_zero_point');
  if (x.value.kind === 'const') {
    const q = foldConstants(
      ctx,
      foldConstants(ctx, x.value.tensor, scale, (v, s) => roundHalfEven(v / s)),
      zero,
      (v, z) => Math.min(Math.max(v + z, range[0]), range[1]),
    );
    return ctx.setConst({ ...q, dtype: zp.dtype });
  }
  ctx.emit({ kind: 'requantize', input: x.name, output: ctx.outputName, scale, zeroPoint: zero, min: range[0], max: range[1], source: ctx.source }, shape, true);
};

const dequantizeLinear: Converter = (ctx) => {
  const x = input(ctx, 0, 'x');
  const shape = shapeOf(x);
  const scale = alongAxis(ctx, constInput(ctx, 1, 'x_scale'), shape, 'x_scale');
  const zero = alongAxis(ctx, zeroPoint(ctx, 2, 'x_zero_point'), shape, 'x_zero_point');
  if (x.value.kind === 'const') {
    const shifted = foldConstants(ctx, { ...x.value.tensor, dtype: 'float64' }, zero, (v, z) => v - z);
    return ctx.setConst({ ...foldConstants(ctx, shifted, scale, (v, s) => v * s), dtype: 'float32' });
  }
  ctx.emit({ kind: 'dequantize', input: computedInput(ctx, 0, 'x').name, output: ctx.outputName, scale, zeroPoint: zero, source: ctx.source }, shape, false);
};

/** x − zeroPoint as a new value (or x itself for a zero zero point); returns its name. */
function shiftBy(ctx: ConvertContext, x: ComputedInput, zero: ConstTensor): string {
  if (zero.data.every((z) => z === 0)) return x.name;
  const name = ctx.temp('shifted');
  ctx.emit({ kind: 'addConst', input: x.name, output: name, constant: { ...zero, dtype: 'float64', data: zero.data.map((z) => -z) }, source: ctx.source }, x.shape);
  return name;
}

/** (A − a_zp)·(B − b_zp) for a computed A [..., M, K] and a constant 2-D B; returns the output shape. */
function integerMatMul(ctx: ConvertContext, a: ComputedInput, aZero: ConstTensor, b: ConstTensor, bZero: ConstTensor, output: string): Shape {
  if (b.shape.length !== 2) fail(ctx, `the second operand must be a 2-D constant, got [${b.shape.join(', ')}]`);
  const [k, n] = b.shape as [number, number];
  if (a.shape[a.shape.length - 1] !== k) fail(ctx, `cannot multiply [${a.shape.join(', ')}] by [${k}, ${n}]`);
  const rows = a.shape.length >= 2 ? a.shape[a.shape.length - 2]! : 1;
  if (aZero.data.length !== 1 && aZero.data.length !== rows) fail(ctx, `a_zero_point has ${aZero.data.length} values; expected 1 or ${rows}`);
  if (bZero.data.length !== 1 && bZero.data.length !== n) fail(ctx, `b_zero_point has ${bZero.data.length} values; expected 1 or ${n}`);
  const shifted = shiftBy(ctx, a, aZero.data.length === 1 ? { ...aZero, shape: [] } : { ...aZero, shape: [rows, 1] });
  const weight = new Float64Array(n * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) weight[j * k + i] = b.data[i * n + j]! - bZero.data[bZero.data.length === 1 ? 0 : j]!;
  const shape = [...a.shape.slice(0, -1), n];
  ctx.emit({ kind: 'linear', input: shifted, output, weight, inFeatures: k, outFeatures: n, source: ctx.source }, shape, true);
  return shape;
}

/** Conv of (x − x_zp) with (w − w_zp); w_zp per output channel or scalar. */
function integerConv(ctx: ConvertContext, x: ComputedInput, xZero: ConstTensor, w: ConstTensor, wZero: ConstTensor, bias: Float64Array | undefined, output: string): Shape {
  const m = w.shape[0]!;
  if (wZero.data.length !== 1 && wZero.data.length !== m) fail(ctx, `w_zero_point has ${wZero.data.length} values; expected 1 or ${m}`);
  const perChannel = w.data.length / m;
  const weight: ConstTensor = { ...w, dtype: 'float64', data: w.data.map((v, i) => v - wZero.data[wZero.data.length === 1 ? 0 : Math.floor(i / perChannel)]!) };
  const shifted = shiftBy(ctx, x, { ...xZero, shape: [] });
  return emitConv(ctx, { name: shifted, shape: x.shape }, weight, bias, output);
}

const matMulInteger: Converter = (ctx) => {
  integerMatMul(ctx, computedInput(ctx, 0, 'A'), zeroPoint(ctx, 2, 'a_zero_point'), constInput(ctx, 1, 'B'), zeroPoint(ctx, 3, 'b_zero_point'), ctx.outputName);
};

const convInteger: Converter = (ctx) => {
  integerConv(ctx, computedInput(ctx, 0, 'x'), zeroPoint(ctx, 2, 'x_zero_point'), constInput(ctx, 1, 'w'), zeroPoint(ctx, 3, 'w_zero_point'), undefined, ctx.outputName);
};

/** The requantization after an integer product: y = saturate(rne(acc · a_s·b_s / y_s) + y_zp). */
function requantize(ctx: ConvertContext, acc: string, shape: Shape, scale: ConstTensor, yZero: ConstTensor): void {
  const range = RANGES[yZero.dtype];
  if (!range) fail(ctx, `output type ${yZero.dtype} is not supported (uint8 or int8)`);
  ctx.emit({ kind: 'requantize', input: acc, output: ctx.outputName, scale, zeroPoint: { ...yZero, shape: [] }, min: range[0], max: range[1], source: ctx.source }, shape, true);
}

const qlinearMatMul: Converter = (ctx) => {
  const [aScale, bScale, yScale] = [constInput(ctx, 1, 'a_scale'), constInput(ctx, 4, 'b_scale'), constInput(ctx, 6, 'y_scale')];
  const acc = ctx.temp('acc');
  const b = constInput(ctx, 3, 'b');
  const shape = integerMatMul(ctx, computedInput(ctx, 0, 'a'), constInput(ctx, 2, 'a_zero_point'), b, constInput(ctx, 5, 'b_zero_point'), acc);
  const n = b.shape[1]!;
  if (aScale.data.length !== 1 || yScale.data.length !== 1 || (bScale.data.length !== 1 && bScale.data.length !== n))
    fail(ctx, 'QLinearMatMul needs scalar a_scale and y_scale and a scalar or per-column b_scale');
  const scale: ConstTensor = { dtype: 'float64', shape: bScale.data.length === 1 ? [] : [n], data: bScale.data.map((s) => yScale.data[0]! / (aScale.data[0]! * s)) };
  requantize(ctx, acc, shape, scale, constInput(ctx, 7, 'y_zero_point'));
};

const qlinearConv: Converter = (ctx) => {
  const [xScale, wScale, yScale] = [constInput(ctx, 1, 'x_scale'), constInput(ctx, 4, 'w_scale'), constInput(ctx, 6, 'y_scale')];
  const w = constInput(ctx, 3, 'w');
  const m = w.shape[0]!;
  if (xScale.data.length !== 1 || yScale.data.length !== 1 || (wScale.data.length !== 1 && wScale.data.length !== m))
    fail(ctx, 'QLinearConv needs scalar x_scale and y_scale and a scalar or per-channel w_scale');
  const bias = ctx.inputs[8] ? Float64Array.from(constInput(ctx, 8, 'B').data) : undefined;
  const acc = ctx.temp('acc');
  const x = computedInput(ctx, 0, 'x');
  const shape = integerConv(ctx, x, constInput(ctx, 2, 'x_zero_point'), w, constInput(ctx, 5, 'w_zero_point'), bias, acc);
  const scale: ConstTensor = { dtype: 'float64', shape: wScale.data.length === 1 ? [] : [m, ...shape.slice(2).map(() => 1)], data: wScale.data.map((s) => yScale.data[0]! / (xScale.data[0]! * s)) };
  requantize(ctx, acc, shape, scale, constInput(ctx, 7, 'y_zero_point'));
};

export const int8 = family({
  onnx: {
    QuantizeLinear: quantizeLinear,
    DequantizeLinear: dequantizeLinear,
    MatMulInteger: matMulInteger,
    ConvInteger: convInteger,
    QLinearMatMul: qlinearMatMul,
    QLinearConv: qlinearConv,
  },
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
    dequantize: {
      run(node, c) {
        const shape = c.shape(node.input);
        const s = broadcastTo(node.scale, shape);
        const z = broadcastTo(node.zeroPoint, shape);
        return c.value(node.input).map((v, i) => (v - z[i]!) * s[i]!);
      },
      interval(node, c) {
        const x = c.interval(node.input);
        const s = broadcastTo(node.scale, c.shape(node.input));
        const z = broadcastTo(node.zeroPoint, c.shape(node.input));
        return { lo: x.lo.map((v, i) => (v - z[i]!) * s[i]!), hi: x.hi.map((v, i) => (v - z[i]!) * s[i]!) };
      },
      quantize: quantizeDequantize,
    },
  },
  fixed: {},
});
