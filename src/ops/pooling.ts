/**
 * Pooling: MaxPool, GlobalMaxPool, AveragePool, GlobalAveragePool (strides, pads, auto_pad,
 * dilations, ceil mode, count_include_pad).
 *
 * Quantization: AveragePool is a window sum (sumPool) whose division is folded into the
 * scale — exact for a uniform power-of-two divisor, otherwise a fixed-point multiplier per
 * output position whose extra bits the next rescale removes. MaxPool works on the
 * unrescaled accumulator (the rescale is monotone) with a comparison width from the static
 * and calibrated spans; an int8 accumulator (units per channel, src/quant/units.ts) is
 * pooled as its integers, before its requantization.
 * Circuit cost: sumPool none; maxPool a MaxOf(n, b) per window of n > 1 taps: (n − 1)
 * comparisons Max2(b) of b + 3 constraints each, plus input bindings.
 */
import { CompileError } from '../shared/errors.js';
import { describeSource, sizeOf, type WindowSpec } from '../ir/graph.js';
import { avgDivisors, avgPoolForward, poolForward, windowMax, windowSum } from '../ir/conv.js';
import { windowOutputShape, windowTaps, type WindowTaps } from '../ir/window.js';
import { computedInput, fail, input, type Converter } from '../onnx/context.js';
import { checkWindowOutput, readWindow } from '../onnx/convert-helpers.js';
import type { QMaxPool, QModel, QSumPool } from '../quant/model.js';
import { channelUnits, expandChannels } from '../quant/units.js';
import { refuse } from '../reference/refuse.js';
import { combine, type LinearExpr } from '../circuit/linear-expr.js';
import type { Emitter, GadgetInstance } from '../circuit/emitter.js';
import { bindCost, fillKinds, GADGET_COST_O1 } from '../circuit/gadget-cost.js';
import { family, type ElementKind } from './types.js';

/**
 * The window's maximum folded left as the MaxOf gadget computes it; every step's difference
 * m − x must lie in [−2^bits, 2^bits), as the gadget's comparison proves.
 */
function foldMax(node: QMaxPool, x: ArrayLike<number>, base: number, t: WindowTaps, o: number): number {
  const limit = 2 ** node.bits;
  let m = x[base + t.inputIndex[t.start[o]!]!]!;
  for (let j = t.start[o]! + 1; j < t.start[o + 1]!; j++) {
    const v = x[base + t.inputIndex[j]!]!;
    const d = m - v;
    if (d < -limit || d >= limit) refuse(node, `a difference of ${d} between pooled values is not in [${-limit}, ${limit - 1}]`);
    if (v > m) m = v;
  }
  return m;
}

/** The input expressions of every window, plane by plane. */
function windowsOf(em: Emitter, node: QMaxPool | QSumPool): { windows: LinearExpr[][]; outputs: number } {
  const x = em.get(node.input, node.source);
  const input = em.model.values[node.input]!.shape;
  const output = em.model.values[node.output]!.shape;
  const taps = windowTaps(node.window, input.slice(2), output.slice(2));
  const planes = input[0]! * input[1]!;
  const inSize = sizeOf(input.slice(2));
  const windows: LinearExpr[][] = [];
  for (let p = 0; p < planes; p++) {
    for (let o = 0; o < taps.outputs; o++) {
      const w: LinearExpr[] = [];
      for (let j = taps.start[o]!; j < taps.start[o + 1]!; j++) w.push(x[p * inSize + taps.inputIndex[j]!]!);
      windows.push(w);
    }
  }
  return { windows, outputs: taps.outputs };
}

/** Emits y[i] = max(windows[i]): windows of one element pass through, the others become MaxOf instances. */
export function emitWindowMax(em: Emitter, index: number, windows: LinearExpr[][], bits: number): LinearExpr[] {
  const gadgets: GadgetInstance[] = [];
  const slots: number[] = [];
  windows.forEach((w, i) => {
    if (w.length > 1) {
      slots.push(i);
      gadgets.push({ call: `MaxOf(${w.length}, ${bits})`, inputs: w.map((e, k) => [`in[${k}]`, e] as const) });
    }
  });
  const outs = em.instantiate(index, gadgets);
  const y = windows.map((w) => w[0]!);
  slots.forEach((s, k) => (y[s] = outs[k]!));
  return y;
}

/** Cost of y[i] = max(windows[i]) as emitWindowMax emits it: a MaxOf of n − 1 comparisons per window of n > 1. */
export function windowMaxCost(windows: ElementKind[][], bits: number): { constraints: number; output: ElementKind[] } {
  let n = 0;
  const output = windows.map((w) => {
    if (w.length === 1) return w[0]!;
    n += bindCost(w) + (w.length - 1) * GADGET_COST_O1.max2(bits);
    return 'private' as const;
  });
  return { constraints: n, output };
}

const geometry = (model: QModel, node: { input: string; output: string }) => ({ input: model.values[node.input]!.shape, output: model.values[node.output]!.shape });

/** The ONNX converter of a pooling op (the window attributes as in src/onnx/convert-helpers.ts). */
function pool(kind: 'maxPool' | 'avgPool', global: boolean): Converter {
  return (ctx) => {
    const x = input(ctx, 0, 'X');
    if (x.value.kind === 'const') fail(ctx, 'pooling a constant is not supported');
    const xs = computedInput(ctx, 0, 'X');
    if (xs.shape.length < 3) fail(ctx, `the input must be [N, C, …spatial], got [${xs.shape.join(', ')}]`);
    if (ctx.extraOutputsUsed) fail(ctx, 'the Indices output of MaxPool is not supported');
    const spatial = xs.shape.slice(2);
    let window: WindowSpec;
    let ceil = false;
    if (global) {
      window = { kernel: [...spatial], strides: spatial.map(() => 1), pads: [...spatial, ...spatial].map(() => 0), dilations: spatial.map(() => 1) };
    } else {
      const withDilations = kind === 'maxPool' ? ctx.opset >= 10 : ctx.opset >= 19;
      window = readWindow(ctx, spatial, ctx.attrs.ints('kernel_shape'), withDilations);
      ceil = ctx.attrs.int('ceil_mode', 0) === 1;
    }
    const shape = windowOutputShape(xs.shape, xs.shape[1]!, window, ceil);
    checkWindowOutput(ctx, shape);
    if (kind === 'maxPool') ctx.emit({ kind, input: xs.name, output: ctx.outputName, window, source: ctx.source }, shape);
    else ctx.emit({ kind, input: xs.name, output: ctx.outputName, window, countIncludePad: !global && ctx.attrs.int('count_include_pad', 0) === 1, source: ctx.source }, shape);
  };
}

export const pooling = family({
  onnx: {
    MaxPool: pool('maxPool', false),
    AveragePool: pool('avgPool', false),
    GlobalMaxPool: pool('maxPool', true),
    GlobalAveragePool: pool('avgPool', true),
  },
  float: {
    maxPool: {
      run: (node, c) => poolForward(c.value(node.input), { input: c.shape(node.input), output: c.shape(node.output), window: node.window }, windowMax),
      interval(node, c) {
        const x = c.interval(node.input);
        const g = { input: c.shape(node.input), output: c.shape(node.output), window: node.window };
        return { lo: poolForward(x.lo, g, windowMax), hi: poolForward(x.hi, g, windowMax) };
      },
      quantize(q, node) {
        // An int8 value whose unit is one per channel is pooled as its integers (the unit is
        // positive, so the maximum is the same element); its deferred ReLU commutes with it.
        const held = q.exact(node.input, node);
        const channels = held.unit && held.relu === undefined ? channelUnits(held.unit, q.shape(node.input), 1) : undefined;
        const x = channels ? held : q.get(node.input, node);
        const taps = windowTaps(node.window, q.shape(node.input).slice(2), q.shape(node.output).slice(2));
        for (let o = 0; o < taps.outputs; o++) {
          if (taps.start[o + 1] === taps.start[o]) throw new CompileError(`${describeSource(node.source)}: a pooling window lies entirely in the padding`);
        }
        // Differences of two inputs: statically within ±(max − min); calibrated within ±2·range.
        const staticBits = Math.max(1, Math.ceil(Math.log2(x.max - x.min + 1)));
        const perUnit = channels ? 1 / Math.min(...channels) : 2 ** x.scale;
        const calibrated = Math.ceil(q.range(node.input) * perUnit * 2 ** q.opts.headroomBits);
        const bits = Math.max(1, Math.min(staticBits, Math.ceil(Math.log2(2 * calibrated + 1))));
        q.push({ kind: 'maxPool', input: x.q, output: node.output, window: node.window, bits, source: node.source });
        const { unit: _unit, ...plain } = x;
        const out = q.define(node.output, plain, node.output);
        q.set(node.output, channels ? { ...out, unit: expandChannels(channels, q.shape(node.output), 1) } : out);
      },
    },
    avgPool: {
      run: (node, c) => avgPoolForward(c.value(node.input), { input: c.shape(node.input), output: c.shape(node.output), window: node.window }, node.countIncludePad),
      interval(node, c) {
        const x = c.interval(node.input);
        const g = { input: c.shape(node.input), output: c.shape(node.output), window: node.window };
        return { lo: avgPoolForward(x.lo, g, node.countIncludePad), hi: avgPoolForward(x.hi, g, node.countIncludePad) };
      },
      quantize(q, node) {
        const x = q.get(node.input, node);
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
      },
    },
  },
  fixed: {
    sumPool: {
      cost: (node, c) => ({ constraints: 0, output: fillKinds(sizeOf(c.shape(node.output)), 'expr') }),
      reference(node, c) {
        const m = node.multiplier;
        return Array.from(poolForward(c.value(node.input), { ...geometry(c.model, node), window: node.window }, (v, base, t, o) => windowSum(v, base, t, o) * (m.length > 0 ? m[o]! : 1)));
      },
      emit(em, node) {
        const { windows, outputs } = windowsOf(em, node);
        const mult = (i: number) => (node.multiplier.length > 0 ? node.multiplier[i % outputs]! : 1);
        em.set(
          node.output,
          windows.map((w, i) => combine(w, new Array<number>(w.length).fill(mult(i)), 0, 0)),
        );
      },
    },
    maxPool: {
      cost(node, c) {
        const input = c.shape(node.input);
        const x = c.kinds(node.input);
        const taps = windowTaps(node.window, input.slice(2), c.shape(node.output).slice(2));
        const inSize = sizeOf(input.slice(2));
        const windows: ElementKind[][] = [];
        for (let p = 0; p < input[0]! * input[1]!; p++) {
          for (let o = 0; o < taps.outputs; o++) windows.push(Array.from({ length: taps.start[o + 1]! - taps.start[o]! }, (_, j) => x[p * inSize + taps.inputIndex[taps.start[o]! + j]!]!));
        }
        return windowMaxCost(windows, node.bits);
      },
      reference: (node, c) => Array.from(poolForward(c.value(node.input), { ...geometry(c.model, node), window: node.window }, (v, base, t, o) => foldMax(node, v, base, t, o))),
      emit: (em, node, index) => em.set(node.output, emitWindowMax(em, index, windowsOf(em, node).windows, node.bits)),
    },
  },
});
