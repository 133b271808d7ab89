/**
 * Elementwise non-linear activations: Relu, Clip (ReLU6 is exported as Clip(0, 6)),
 * LeakyRelu, PRelu, Sigmoid, Tanh and ThresholdedRelu — and the rescale every pending
 * accumulator goes through before one of them.
 *
 * Quantization: Relu is the rescale to the calibrated activation scale with ReLU fused;
 * Clip compares with its bounds at the value's scale (a lower bound of 0 fuses with the
 * rescale's ReLU); LeakyRelu/PRelu fuse the rescale with two slopes at a power-of-two slope
 * scale; Sigmoid/Tanh are odd piecewise-linear approximations (src/quant/pwl.ts) on |q|
 * with the sign applied after, output at the rescaled scale + slopeScale; ThresholdedRelu
 * keeps the value's scale and compares it with the threshold's integer there.
 * Circuit cost per element (O1): rescale RescaleRelu/RescaleSigned(k, b): k + b + 2
 * (RescaleHalfEven + 2); clamp: one Max2(b) of b + 3 per present bound; leakyRelu
 * RescaleLeakyRelu(k, b): k + b + 2; squash: RescaleAbs + a Max2 per further line + SignApply; thresholdedRelu ThresholdedRelu(b, t): b + 3.
 */
import { broadcastTo } from '../ir/gather.js';
import type { ConstTensor, NodeBase } from '../ir/graph.js';
import { broadcastShape } from '../onnx/broadcast.js';
import { computedInput, constInput, fail, input, normalizeAxis, type ConvertContext, type Converter } from '../onnx/context.js';
import { rescaleHalfEven, rescaleValue, saturateQuotient } from '../shared/rounding.js';
import { erf, sigmoid } from '../shared/math.js';
import { oddPwl } from '../quant/pwl.js';
import { checkDifference, checkSigned } from '../reference/refuse.js';
import { combine, constantExpr, type LinearExpr } from '../circuit/linear-expr.js';
import { bindCost, fillKinds, GADGET_COST_O1 } from '../circuit/gadget-cost.js';
import { sizeOf } from '../ir/graph.js';
import type { QNodeBase, QRescale } from '../quant/model.js';
import { family, type ElementKind, type Interval } from './types.js';

/** ThresholdedRelu (ONNX, opset 10): y = x for x > alpha, else 0. */
export interface ThresholdedReluNode extends NodeBase {
  kind: 'thresholdedRelu';
  alpha: number;
}

/**
 * y = x for x ≥ threshold, else 0, at x's scale: threshold = floor(alpha·2^scale) + 1, the
 * least integer above alpha. `bits` is the signed width of x − threshold (the gadget's range check).
 */
export interface QThresholdedRelu extends QNodeBase {
  kind: 'thresholdedRelu';
  threshold: number;
  bits: number;
}

declare module '../ir/graph.js' {
  interface IrNodeTypes {
    thresholdedRelu: ThresholdedReluNode;
  }
}

declare module '../quant/model.js' {
  interface QNodeTypes {
    thresholdedRelu: QThresholdedRelu;
  }
}

/** The signed width that holds every integer of [lo, hi]. */
const signedWidth = (lo: number, hi: number): number => 1 + Math.ceil(Math.log2(Math.max(1, -lo, hi + 1)));

/** A rescale proven by the Requantize gadget (a multiplier or a saturation). */
const isRequantize = (node: QRescale): boolean => node.multiplier !== undefined || node.saturate !== undefined;

/** The float function of each squash. */
const SQUASH = { sigmoid, tanh: Math.tanh, erf };

const map = (x: Interval, f: (v: number, i: number) => number): Interval => ({ lo: x.lo.map(f), hi: x.hi.map(f) });

// ONNX conversion (constant inputs are folded); Softmax and ArgMax, allowed only as a model's
// final step, are converted here and registered by ./final.ts.

/** Folds a constant input through f, or returns the computed input. */
function unary(ctx: ConvertContext, f: (v: number) => number) {
  const x = input(ctx, 0, 'X');
  if (x.value.kind === 'const') {
    ctx.setConst({ ...x.value.tensor, data: x.value.tensor.data.map(f) });
    return undefined;
  }
  return computedInput(ctx, 0, 'X');
}

const relu: Converter = (ctx) => {
  const x = unary(ctx, (v) => Math.max(0, v));
  if (x) ctx.emit({ kind: 'relu', input: x.name, output: ctx.outputName, source: ctx.source }, x.shape);
};

const clip: Converter = (ctx) => {
  let min = -Infinity;
  let max = Infinity;
  if (ctx.opset < 11) {
    min = ctx.attrs.float('min', -Infinity);
    max = ctx.attrs.float('max', Infinity);
  } else {
    if (ctx.inputs[1]) min = constInput(ctx, 1, 'min').data[0]!;
    if (ctx.inputs[2]) max = constInput(ctx, 2, 'max').data[0]!;
  }
  const x = unary(ctx, (v) => Math.min(Math.max(v, min), max));
  if (!x) return;
  // Neither bound (absent, or the float range's ends, the opset < 11 defaults): an identity.
  if (min <= -FLOAT32_MAX && max >= FLOAT32_MAX) ctx.alias(x.name);
  else ctx.emit({ kind: 'clip', input: x.name, output: ctx.outputName, min, max, source: ctx.source }, x.shape);
};

/** The largest finite float32, ONNX's default Clip bounds before opset 11. */
const FLOAT32_MAX = 3.4028234663852886e38;

const leakyRelu: Converter = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 0.01);
  const x = unary(ctx, (v) => (v >= 0 ? v : alpha * v));
  const slope: ConstTensor = { dtype: 'float64', shape: [], data: Float64Array.of(alpha) };
  if (x) ctx.emit({ kind: 'leakyRelu', input: x.name, output: ctx.outputName, slope, source: ctx.source }, x.shape);
};

const prelu: Converter = (ctx) => {
  const slope = constInput(ctx, 1, 'slope');
  const xIn = input(ctx, 0, 'X');
  const xShape = xIn.value.kind === 'const' ? xIn.value.tensor.shape : xIn.value.shape;
  if (broadcastShape(xShape, slope.shape, ctx.where).join() !== xShape.join()) fail(ctx, `slope of shape [${slope.shape.join(', ')}] does not broadcast to the input [${xShape.join(', ')}]`);
  const full = broadcastTo(slope, xShape);
  if (xIn.value.kind === 'const') return ctx.setConst({ ...xIn.value.tensor, data: xIn.value.tensor.data.map((v, i) => (v >= 0 ? v : full[i]! * v)) });
  const x = computedInput(ctx, 0, 'X');
  ctx.emit({ kind: 'leakyRelu', input: x.name, output: ctx.outputName, slope, source: ctx.source }, x.shape);
};

function squash(fn: 'sigmoid' | 'tanh'): Converter {
  return (ctx) => {
    const x = unary(ctx, fn === 'sigmoid' ? sigmoid : Math.tanh);
    if (x) ctx.emit({ kind: 'squash', fn, input: x.name, output: ctx.outputName, source: ctx.source }, x.shape);
  };
}

export function softmaxConverter(log: boolean): Converter {
  return (ctx) => {
    if (input(ctx, 0, 'input').value.kind !== 'value') fail(ctx, `${log ? 'LogSoftmax' : 'Softmax'} of a constant is not supported`);
    const v = computedInput(ctx, 0, 'input');
    const axis = normalizeAxis(ctx, ctx.attrs.int('axis', ctx.opset < 13 ? 1 : -1), v.shape.length);
    ctx.emit({ kind: 'softmax', input: v.name, output: ctx.outputName, axis, coerce2d: ctx.opset < 13, ...(log ? { log: true as const } : {}), source: ctx.source }, v.shape);
  };
}

export const argMaxConverter: Converter = (ctx) => {
  if (input(ctx, 0, 'data').value.kind !== 'value') fail(ctx, 'ArgMax of a constant is not supported');
  const v = computedInput(ctx, 0, 'data');
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis', 0), v.shape.length);
  const keepdims = ctx.attrs.int('keepdims', 1) === 1;
  const selectLast = ctx.attrs.int('select_last_index', 0) === 1;
  const shape = keepdims ? v.shape.map((d, a) => (a === axis ? 1 : d)) : v.shape.filter((_, a) => a !== axis);
  ctx.emit({ kind: 'argMax', input: v.name, output: ctx.outputName, axis, keepdims, selectLast, source: ctx.source }, shape);
};

const thresholdedRelu: Converter = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 1);
  const x = unary(ctx, (v) => (v > alpha ? v : 0));
  if (x) ctx.emit({ kind: 'thresholdedRelu', input: x.name, output: ctx.outputName, alpha, source: ctx.source }, x.shape);
};

export const activation = family({
  onnx: { Relu: relu, Clip: clip, LeakyRelu: leakyRelu, PRelu: prelu, Sigmoid: squash('sigmoid'), Tanh: squash('tanh'), ThresholdedRelu: thresholdedRelu },
  float: {
    relu: {
      run: (node, c) => c.value(node.input).map((v) => (v > 0 ? v : 0)),
      interval: (node, c) => map(c.interval(node.input), (v) => Math.max(v, 0)),
      quantize(q, node) {
        const x = q.exact(node.input, node);
        // An int8 value keeps its ReLU for the requantization that follows (Requantize).
        if (x.unit && !x.relu) q.set(node.output, { ...x, relu: node.input });
        else q.set(node.output, q.rescale(q.get(node.input, node), node.input, true, node.source));
      },
    },
    clip: {
      run: (node, c) => c.value(node.input).map((v) => Math.min(Math.max(v, node.min), node.max)),
      interval: (node, c) => map(c.interval(node.input), (v) => Math.min(Math.max(v, node.min), node.max)),
      quantize(q, node) {
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
      },
    },
    leakyRelu: {
      run(node, c) {
        const s = broadcastTo(node.slope, c.shape(node.input));
        return c.value(node.input).map((v, i) => (v >= 0 ? v : s[i]! * v));
      },
      interval(node, c) {
        const x = c.interval(node.input);
        const s = broadcastTo(node.slope, c.shape(node.input));
        const f = (v: number, i: number) => (v >= 0 ? v : s[i]! * v);
        const cands = (i: number) => [f(x.lo[i]!, i), f(x.hi[i]!, i), x.lo[i]! < 0 && x.hi[i]! > 0 ? 0 : f(x.lo[i]!, i)];
        return { lo: x.lo.map((_, i) => Math.min(...cands(i))), hi: x.lo.map((_, i) => Math.max(...cands(i))) };
      },
      quantize(q, node) {
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
      },
    },
    thresholdedRelu: {
      run: (node, c) => c.value(node.input).map((v) => (v > node.alpha ? v : 0)),
      interval(node, c) {
        const x = c.interval(node.input);
        // Above alpha the value passes (down to just above alpha), else 0.
        return {
          lo: x.lo.map((lo, i) => (lo > node.alpha ? lo : x.hi[i]! > node.alpha ? Math.min(0, node.alpha) : 0)),
          hi: x.hi.map((hi) => (hi > node.alpha ? Math.max(0, hi) : 0)),
        };
      },
      quantize(q, node) {
        let x = q.get(node.input, node);
        if (x.pending) x = q.rescale(x, node.input, false, node.source);
        const threshold = Math.floor(node.alpha * 2 ** x.scale) + 1;
        if (threshold <= x.min) {
          q.set(node.output, x);
          return;
        }
        const bits = signedWidth(x.min - threshold, x.max - threshold);
        q.push({ kind: 'thresholdedRelu', input: x.q, output: node.output, threshold, bits, source: node.source });
        const passes = x.max >= threshold;
        q.set(node.output, q.define(node.output, { scale: x.scale, min: passes ? Math.min(0, Math.max(threshold, x.min)) : 0, max: passes ? Math.max(0, x.max) : 0, pending: false }, node.output));
      },
    },
    squash: {
      run: (node, c) => c.value(node.input).map(SQUASH[node.fn]),
      interval: (node, c) => map(c.interval(node.input), SQUASH[node.fn]),
      quantize(q, node) {
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
      },
    },
  },
  fixed: {
    rescale: {
      cost: (node, c) => ({
        constraints:
          bindCost(c.kinds(node.input)) +
          c.kinds(node.input).length *
            (isRequantize(node) ? GADGET_COST_O1.requantize(node.shift, node.bits, node.saturate ?? 0, node.relu) : GADGET_COST_O1.rescale(node.shift, node.bits) + (node.halfEven ? 2 : 0)),
        output: fillKinds(sizeOf(c.shape(node.output)), 'private'),
      }),
      reference: (node, c) =>
        c.value(node.input).map((v, i) => {
          // The range check applies to the half-up quotient (what the gadget decomposes).
          const q = rescaleValue(node.multiplier ? v * node.multiplier[i]! : v, node.shift);
          checkSigned(node, q, node.bits, i);
          if (node.halfEven) return rescaleHalfEven(v, node.shift);
          return saturateQuotient(q, node.relu, node.saturate);
        }),
      emit(em, node, index) {
        const call = (i: number) =>
          isRequantize(node)
            ? `Requantize(${node.shift}, ${node.bits}, ${node.saturate ?? 0}, ${node.relu ? 1 : 0}, ${node.multiplier?.[i] ?? 1})`
            : `${node.halfEven ? 'RescaleHalfEven' : node.relu ? 'RescaleRelu' : 'RescaleSigned'}(${node.shift}, ${node.bits})`;
        em.set(
          node.output,
          em.instantiate(
            index,
            em.get(node.input, node.source).map((e, i) => ({ call: call(i), inputs: [['in', e] as const] })),
          ),
        );
      },
    },
    clamp: {
      cost(node, c) {
        let n = 0;
        const output = c.kinds(node.input).map((k) => {
          let kind = k;
          if (node.min !== null) {
            n += bindCost([kind]) + GADGET_COST_O1.max2(node.minBits);
            kind = 'private';
          }
          if (node.max !== null) {
            n += bindCost([kind]) + GADGET_COST_O1.max2(node.maxBits);
            kind = 'expr';
          }
          return kind;
        });
        return { constraints: n, output };
      },
      reference: (node, c) =>
        c.value(node.input).map((v) => {
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
        }),
      emit(em, node, index) {
        let y = em.get(node.input, node.source);
        if (node.min !== null) {
          const c = constantExpr(node.min);
          y = em.instantiate(
            index,
            y.map((e) => ({
              call: `Max2(${node.minBits})`,
              inputs: [
                ['a', e],
                ['c', c],
              ] as const,
            })),
            'lo',
          );
        }
        if (node.max !== null) {
          const c = constantExpr(node.max);
          const maxima = em.instantiate(
            index,
            y.map((e) => ({
              call: `Max2(${node.maxBits})`,
              inputs: [
                ['a', e],
                ['c', c],
              ] as const,
            })),
            'hi',
          );
          // min(m, c) = m + c − max(m, c)
          y = y.map((e, i) => combine([e, maxima[i]!], [1, -1], 0, node.max!));
        }
        em.set(node.output, y);
      },
    },
    leakyRelu: {
      publicConstants: (node) => (node.negative.length > 1 ? 'per-channel slopes (PRelu; they would be circuit constants)' : undefined),
      cost: (node, c) => ({
        constraints: bindCost(c.kinds(node.input)) + c.kinds(node.input).length * GADGET_COST_O1.rescale(node.shift, node.bits),
        output: fillKinds(sizeOf(c.shape(node.output)), 'private'),
      }),
      reference: (node, c) =>
        c.value(node.input).map((v, i) => {
          const q = rescaleValue(v, node.shift);
          checkSigned(node, q, node.bits, i);
          return q >= 0 ? q * node.positive : q * node.negative[node.negative.length === 1 ? 0 : i]!;
        }),
      emit(em, node, index) {
        const call = (i: number) => `RescaleLeakyRelu(${node.shift}, ${node.bits}, ${node.positive}, ${node.negative[node.negative.length === 1 ? 0 : i]})`;
        em.set(
          node.output,
          em.instantiate(
            index,
            em.get(node.input, node.source).map((e, i) => ({ call: call(i), inputs: [['in', e]] as const })),
          ),
        );
      },
    },
    thresholdedRelu: {
      cost: (node, c) => ({
        constraints: bindCost(c.kinds(node.input)) + c.kinds(node.input).length * (node.bits + 3),
        output: fillKinds(sizeOf(c.shape(node.output)), 'private'),
      }),
      reference: (node, c) =>
        c.value(node.input).map((v, i) => {
          checkSigned(node, v - node.threshold, node.bits, i);
          return v >= node.threshold ? v : 0;
        }),
      emit(em, node, index) {
        em.set(
          node.output,
          em.instantiate(
            index,
            em.get(node.input, node.source).map((e) => ({ call: `ThresholdedRelu(${node.bits}, ${node.threshold})`, inputs: [['in', e]] as const })),
          ),
        );
      },
    },
    squash: {
      cost(node, c) {
        // RescaleAbs, then a Max2 per further line (inputs: the running minimum and the line), then SignApply.
        const line = node.slopes.map((a, i): ElementKind => (a === 0 ? 'const' : a === 1 && node.offsets[i] === 0 ? 'private' : 'expr'));
        let perElement = GADGET_COST_O1.rescale(node.shift, node.bits);
        let h = line[0]!;
        for (let i = 1; i < node.slopes.length; i++) {
          perElement += GADGET_COST_O1.max2(node.compareBits[i - 1]!) + bindCost([h, line[i]!]);
          h = 'expr';
        }
        perElement += 1 + bindCost([h]);
        const x = c.kinds(node.input);
        return { constraints: bindCost(x) + x.length * perElement, output: fillKinds(sizeOf(c.shape(node.output)), 'private') };
      },
      reference: (node, c) =>
        c.value(node.input).map((v, i) => {
          const q = rescaleValue(v, node.shift);
          checkSigned(node, q, node.bits, i);
          const u = Math.abs(q);
          let h = node.slopes[0]! * u + node.offsets[0]!;
          for (let j = 1; j < node.slopes.length; j++) {
            const line = node.slopes[j]! * u + node.offsets[j]!;
            checkDifference(node, h - line, node.compareBits[j - 1]!);
            h = Math.min(h, line);
          }
          return q >= 0 ? node.centre + h : node.centre - h;
        }),
      emit(em, node, index) {
        const x = em.get(node.input, node.source);
        const [sign, abs] = em.instantiateWith(
          index,
          x.map((e) => ({ call: `RescaleAbs(${node.shift}, ${node.bits})`, inputs: [['in', e]] as const })),
          '',
          ['sign', 'out'],
        ) as [LinearExpr[], LinearExpr[]];
        const line = (u: LinearExpr, i: number) => combine([u], [node.slopes[i]!], 0, node.offsets[i]!);
        let h = abs.map((u) => line(u, 0));
        for (let i = 1; i < node.slopes.length; i++) {
          const lines = abs.map((u) => line(u, i));
          const maxima = em.instantiate(
            index,
            h.map((e, j) => ({
              call: `Max2(${node.compareBits[i - 1]})`,
              inputs: [
                ['a', e],
                ['c', lines[j]!],
              ] as const,
            })),
            `m${i}`,
          );
          // min(h, line) = h + line − max(h, line)
          h = h.map((e, j) => combine([e, lines[j]!, maxima[j]!], [1, 1, -1], 0, 0));
        }
        em.set(
          node.output,
          em.instantiate(
            index,
            h.map((e, j) => ({
              call: `SignApply(${node.centre})`,
              inputs: [
                ['sign', sign[j]!],
                ['in', e],
              ] as const,
            })),
            's',
          ),
        );
      },
    },
  },
});
