/**
 * The reference executor: the exact integer semantics of a quantized model, and so the
 * executable specification of what the circuit computes. Every value stays below 2^52
 * (the quantizer guarantees it), so float64 arithmetic here is exact integer arithmetic.
 */
import { InputError } from '../shared/errors.js';
import { describeSource, sizeOf } from '../ir/graph.js';
import { convForward, poolForward, windowSum } from '../ir/conv.js';
import type { WindowTaps } from '../ir/window.js';
import type { QMaxPool, QModel, QNode } from '../quant/model.js';
import { activationStep, moveStep } from './steps.js';

/** floor((x + 2^(shift−1)) / 2^shift): division by 2^shift rounding half up; x itself for shift 0. */
export function rescaleValue(x: number, shift: number): number {
  return shift === 0 ? x : Math.floor((x + 2 ** (shift - 1)) / 2 ** shift);
}

/** x / 2^shift rounded half to even (shift ≥ 1). */
export function rescaleHalfEven(x: number, shift: number): number {
  const q = rescaleValue(x, shift);
  const tie = (x + 2 ** (shift - 1)) % 2 ** shift === 0;
  return tie && q % 2 !== 0 ? q - 1 : q;
}

/**
 * Quantizes a float input to the model's input integers: round(x · 2^scale).
 * @throws {InputError} for non-finite values or values outside the input range
 */
export function quantizeInput(model: Pick<QModel, 'input'>, input: ArrayLike<number>): number[] {
  const { shape, scale, bits } = model.input;
  const expected = sizeOf(shape);
  if (input.length !== expected) throw new InputError(`expected ${expected} input values for shape [${shape.join(', ')}], got ${input.length}`);
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  const out = new Array<number>(expected);
  for (let i = 0; i < expected; i++) {
    const v = input[i]!;
    if (!Number.isFinite(v)) throw new InputError(`input value at flat index ${i} is ${v}; inputs must be finite numbers`);
    const q = Math.round(v * 2 ** scale);
    if (q < lo || q > hi) {
      throw new InputError(`input value ${v} at flat index ${i} is outside the range the model was compiled for [${lo / 2 ** scale}, ${hi / 2 ** scale}]`);
    }
    out[i] = q;
  }
  return out;
}

/**
 * Runs the quantized model on input integers.
 * @param onValue called with every computed value (for tests and calibration error reports)
 * @returns the output integers, flat, at `model.output.scale`
 * @throws {InputError} when a rescaled value leaves its range (the circuit could not prove it)
 */
export function runReference(model: QModel, input: readonly number[], onValue?: (name: string, data: number[]) => void): number[] {
  const env = new Map<string, number[]>([[model.input.name, [...input]]]);
  for (const node of model.nodes) {
    const y = step(model, node, (name) => env.get(name)!);
    env.set(node.output, y);
    onValue?.(node.output, y);
  }
  return env.get(model.output.name)!;
}

function step(model: QModel, node: QNode, value: (name: string) => number[]): number[] {
  const x = value(node.input);
  const geometry = () => ({ input: model.values[node.input]!.shape, output: model.values[node.output]!.shape });
  switch (node.kind) {
    case 'linear': {
      const rows = x.length / node.inFeatures;
      const y = new Array<number>(rows * node.outFeatures);
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < node.outFeatures; o++) {
          let acc = node.bias[o]!;
          const w = o * node.inFeatures;
          const xi = r * node.inFeatures;
          for (let i = 0; i < node.inFeatures; i++) acc += node.weight[w + i]! * x[xi + i]!;
          y[r * node.outFeatures + o] = acc;
        }
      }
      return y;
    }
    case 'conv':
      return Array.from(convForward(x, node.weight, node.bias, { ...geometry(), group: node.group, window: node.window }));
    case 'addConst':
      return x.map((v, i) => v + node.constant[i]!);
    case 'mulConst':
      return x.map((v, i) => v * node.constant[i]!);
    case 'sumPool': {
      const m = node.multiplier;
      return Array.from(poolForward(x, { ...geometry(), window: node.window }, (v, base, t, o) => windowSum(v, base, t, o) * (m.length > 0 ? m[o]! : 1)));
    }
    case 'maxPool':
      return Array.from(poolForward(x, { ...geometry(), window: node.window }, (v, base, t, o) => foldMax(node, v, base, t, o)));
    case 'rescale': {
      const lo = -(2 ** (node.bits - 1));
      const hi = 2 ** (node.bits - 1) - 1;
      return x.map((v, i) => {
        // The range check applies to the half-up quotient (what the gadget decomposes).
        const q = rescaleValue(v, node.shift);
        if (q < lo || q > hi) {
          throw new InputError(`the input drives ${describeSource(node.source)} outside its calibrated range: value ${q} at index ${i} is not in [${lo}, ${hi}]; recompile with calibration data that covers such inputs`);
        }
        if (node.halfEven) return rescaleHalfEven(v, node.shift);
        return node.relu && q < 0 ? 0 : q;
      });
    }
    case 'reshape':
      return x;
    case 'add':
    case 'mul':
    case 'concat':
    case 'transpose':
    case 'pad':
      return moveStep(model, node, value);
    case 'clamp':
    case 'leakyRelu':
    case 'squash':
    case 'argMax':
      return activationStep(model, node, x);
    default:
      node satisfies never;
      throw new Error('unreachable');
  }
}

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
    if (d < -limit || d >= limit) {
      throw new InputError(`the input drives ${describeSource(node.source)} outside its calibrated range: a difference of ${d} between pooled values is not in [${-limit}, ${limit - 1}]; recompile with calibration data that covers such inputs`);
    }
    if (v > m) m = v;
  }
  return m;
}

/** Dequantizes output integers: v · 2^−scale. */
export function dequantize(values: readonly number[], scale: number): number[] {
  return values.map((v) => v / 2 ** scale);
}
