/**
 * Quantization of the float IR into the fixed-point IR. Scales are powers of two:
 * per-layer weight scales from the largest weight and `weightBits`; activation scales
 * from the measured (or interval) ranges and `activationBits`. A linear layer's output
 * stays at the accumulator scale until something non-linear or another linear layer
 * needs it, and only then is it rescaled (fused with a following ReLU), so each hidden
 * neuron pays for one range check and the final layer for none.
 */
import { CompileError } from '../shared/errors.js';
import { broadcastTo } from '../onnx/broadcast.js';
import { describeSource, type Graph, type NodeSource } from '../ir/graph.js';
import type { Ranges } from './calibrate.js';
import { DEFAULT_QUANT_OPTIONS, type OutputTransform, type QModel, type QNode, type QuantOptions, type QValueInfo } from './model.js';

/** Largest magnitude a value may have while reference arithmetic in float64 stays exact. */
const EXACT_LIMIT = 2 ** 52;

interface Ref {
  /** Name of the fixed-point value holding it. */
  q: string;
  scale: number;
  min: number;
  max: number;
  /** An accumulator that must be rescaled before anything but addition or reshaping. */
  pending: boolean;
}

/** The scale that fits `maxAbs` into signed `bits`: floor(log2((2^(bits−1) − 1) / maxAbs)). */
export function scaleFor(maxAbs: number, bits: number): number {
  if (!(maxAbs > 0)) return bits - 1;
  return Math.floor(Math.log2((2 ** (bits - 1) - 1) / maxAbs));
}

/** Smallest signed width holding every integer in [min, max]. */
export function signedBits(min: number, max: number): number {
  let b = 1;
  while (-(2 ** (b - 1)) > min || max > 2 ** (b - 1) - 1) b++;
  return b;
}

/**
 * Quantizes a float graph.
 * @param ranges largest |value| per float value name (calibration or intervals)
 * @throws {CompileError} when a value would exceed exact arithmetic or a node cannot be quantized
 */
export function quantize(graph: Graph, ranges: Ranges, options: Partial<QuantOptions> = {}): QModel {
  const opts: QuantOptions = { ...DEFAULT_QUANT_OPTIONS, ...options };
  for (const [k, v] of Object.entries(opts)) {
    if (!Number.isInteger(v) || v < 0 || v > 40) throw new CompileError(`expected ${k} to be an integer in [0, 40], got ${v}`);
  }
  const nodes: QNode[] = [];
  const values: Record<string, QValueInfo> = {};
  const state = new Map<string, Ref>();
  const range = (name: string) => ranges.get(name) ?? 0;

  const inScale = scaleFor(range(graph.input.name), opts.inputBits);
  const inMax = 2 ** (opts.inputBits - 1) - 1;
  const inMin = -(2 ** (opts.inputBits - 1));
  state.set(graph.input.name, { q: graph.input.name, scale: inScale, min: inMin, max: inMax, pending: false });
  values[graph.input.name] = { shape: graph.input.shape, scale: inScale, min: inMin, max: inMax };

  const define = (name: string, ref: Omit<Ref, 'q'>, floatName: string): Ref => {
    if (Math.max(Math.abs(ref.min), Math.abs(ref.max)) >= EXACT_LIMIT) {
      throw new CompileError(`value "${floatName}" may reach 2^${Math.ceil(Math.log2(Math.max(Math.abs(ref.min), Math.abs(ref.max))))}, beyond exact arithmetic; lower --weight-bits or --activation-bits`);
    }
    const full = { ...ref, q: name };
    values[name] = { shape: graph.shapes.get(floatName)!, scale: ref.scale, min: ref.min, max: ref.max };
    return full;
  };

  const rescale = (x: Ref, floatName: string, relu: boolean, source: NodeSource): Ref => {
    const target = Math.min(x.scale, scaleFor(range(floatName), opts.activationBits));
    const shift = x.scale - target;
    const div = (v: number) => (shift === 0 ? v : Math.floor((v + 2 ** (shift - 1)) / 2 ** shift));
    const qmin = div(x.min);
    const qmax = div(x.max);
    const bits = Math.min(opts.activationBits + opts.headroomBits, signedBits(qmin, qmax));
    if (!relu && shift === 0 && bits === signedBits(qmin, qmax)) return { ...x, pending: false };
    const lo = Math.max(qmin, -(2 ** (bits - 1)));
    const hi = Math.min(qmax, 2 ** (bits - 1) - 1);
    const name = `${floatName}::${relu ? 'relu' : 'rescaled'}`;
    nodes.push({ kind: 'rescale', input: x.q, output: name, shift, bits, relu, source });
    return define(name, { scale: target, min: relu ? Math.max(lo, 0) : lo, max: relu ? Math.max(hi, 0) : hi, pending: false }, floatName);
  };

  let transform: OutputTransform | undefined;
  for (const node of graph.nodes) {
    const where = describeSource(node.source);
    let x = state.get(node.input);
    if (!x) throw new CompileError(`${where}: input "${node.input}" has no quantized value`);
    switch (node.kind) {
      case 'linear': {
        if (x.pending) x = rescale(x, node.input, false, node.source);
        let wMax = 0;
        for (const w of node.weight) wMax = Math.max(wMax, Math.abs(w));
        const weightScale = scaleFor(wMax, opts.weightBits);
        const weight = Array.from(node.weight, (w) => Math.round(w * 2 ** weightScale));
        const scale = x.scale + weightScale;
        const bias = Array.from({ length: node.outFeatures }, (_, o) => Math.round((node.bias?.[o] ?? 0) * 2 ** scale));
        let min = Infinity;
        let max = -Infinity;
        for (let o = 0; o < node.outFeatures; o++) {
          let lo = bias[o]!;
          let hi = bias[o]!;
          for (let i = 0; i < node.inFeatures; i++) {
            const w = weight[o * node.inFeatures + i]!;
            lo += Math.min(w * x.min, w * x.max);
            hi += Math.max(w * x.min, w * x.max);
          }
          min = Math.min(min, lo);
          max = Math.max(max, hi);
        }
        nodes.push({ kind: 'linear', input: x.q, output: node.output, inFeatures: node.inFeatures, outFeatures: node.outFeatures, weight, bias, weightScale, source: node.source });
        state.set(node.output, define(node.output, { scale, min, max, pending: true }, node.output));
        break;
      }
      case 'addConst': {
        const shape = graph.shapes.get(node.input)!;
        const constant = Array.from(broadcastTo(node.constant, shape), (c) => Math.round(c * 2 ** x!.scale));
        const cmin = Math.min(...constant);
        const cmax = Math.max(...constant);
        nodes.push({ kind: 'addConst', input: x.q, output: node.output, constant, source: node.source });
        state.set(node.output, define(node.output, { scale: x.scale, min: x.min + cmin, max: x.max + cmax, pending: x.pending }, node.output));
        break;
      }
      case 'relu': {
        const y = rescale(x, node.input, true, node.source);
        state.set(node.output, y);
        break;
      }
      case 'reshape': {
        nodes.push({ kind: 'reshape', input: x.q, output: node.output, shape: node.shape, source: node.source });
        state.set(node.output, define(node.output, { ...x }, node.output));
        break;
      }
      case 'softmax': {
        transform = { kind: 'softmax', axis: node.axis, coerce2d: node.coerce2d };
        state.set(node.output, x);
        break;
      }
      default:
        node satisfies never;
    }
  }
  const out = state.get(graph.output.name)!;
  return {
    input: { name: graph.input.name, shape: graph.input.shape, scale: inScale, bits: opts.inputBits },
    output: { name: out.q, shape: graph.output.shape, scale: out.scale, min: out.min, max: out.max, transform },
    nodes,
    values,
    options: opts,
  };
}
