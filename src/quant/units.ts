/**
 * Units of int8 (QDQ) values: a DequantizeLinear output is held as its integers with a real
 * unit per element (its scale, not a power of two), so a Conv or Gemm on it can use the
 * model's own integer weights and accumulate exactly, and the QuantizeLinear that follows is
 * the one rescale of the accumulator (ONNX operator docs: DequantizeLinear, QuantizeLinear;
 * the integer-only inference scheme of Jacob et al., CVPR 2018).
 */
import { nodeInputs, sizeOf, type Graph, type IrNode, type Shape } from '../ir/graph.js';

/** The one unit of every element, or undefined when they differ. */
export function uniformUnit(unit: Float64Array): number | undefined {
  const u = unit[0]!;
  for (const v of unit) if (v !== u) return undefined;
  return u;
}

/** One unit per index of `axis` when the units vary along no other axis, else undefined. */
export function channelUnits(unit: Float64Array, shape: Shape, axis: number): Float64Array | undefined {
  const channels = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const out = new Float64Array(channels);
  for (let c = 0; c < channels; c++) out[c] = unit[c * inner]!;
  for (let i = 0; i < unit.length; i++) if (unit[i] !== out[Math.floor(i / inner) % channels]) return undefined;
  return out;
}

/** Per-channel units spread over every element of `shape`. */
export function expandChannels(perChannel: ArrayLike<number>, shape: Shape, axis: number): Float64Array {
  const inner = sizeOf(shape.slice(axis + 1));
  const channels = shape[axis]!;
  return Float64Array.from({ length: sizeOf(shape) }, (_, i) => perChannel[Math.floor(i / inner) % channels]!);
}

/**
 * The float weights of each of `outputs` rows as integers times a per-row step: row o is
 * ints·steps[o] with |ints| ≤ maxInt, as the DequantizeLinear of int8 weights (per tensor or
 * per output channel) produces them. Symmetric quantizers map a row's largest |weight| to
 * some integer n ≤ maxInt (usually 127): the step is tried as that weight / n. Undefined
 * when a row is not such a multiple (within 1e-9 relative).
 */
export function integerSteps(weight: ArrayLike<number>, outputs: number, maxInt = 128): { ints: number[]; steps: Float64Array } | undefined {
  const per = weight.length / outputs;
  const ints = new Array<number>(weight.length);
  const steps = new Float64Array(outputs);
  for (let o = 0; o < outputs; o++) {
    let peak = 0;
    for (let i = 0; i < per; i++) peak = Math.max(peak, Math.abs(weight[o * per + i]!));
    if (peak === 0) {
      steps[o] = 1;
      for (let i = 0; i < per; i++) ints[o * per + i] = 0;
      continue;
    }
    let found = false;
    for (let n = maxInt; n >= 1 && !found; n--) {
      const step = peak / n;
      let ok = true;
      for (let i = 0; i < per && ok; i++) {
        const r = weight[o * per + i]! / step;
        if (Math.abs(r - Math.round(r)) > 1e-9 * Math.max(1, Math.abs(r))) ok = false;
      }
      if (ok) {
        steps[o] = step;
        for (let i = 0; i < per; i++) ints[o * per + i] = Math.round(weight[o * per + i]! / step);
        found = true;
      }
    }
    if (!found) return undefined;
  }
  return { ints, steps };
}

/**
 * Whether a QuantizeLinear can fold (QuantOptions.int8 `fold`): every reader of its output is
 * a DequantizeLinear, or a reshape (Flatten) read only so, and none is the model's output. A
 * QuantizeLinear whose int8 values are read as such (QLinear ops, an int8 output) keeps the
 * exact requantization.
 */
export function foldable(graph: Graph, node: IrNode): boolean {
  const readOnlyByDequantize = (name: string): boolean =>
    graph.output.name !== name && graph.nodes.every((n) => !nodeInputs(n).includes(name) || n.kind === 'dequantize' || (n.kind === 'reshape' && readOnlyByDequantize(n.output)));
  return node.kind === 'requantize' && readOnlyByDequantize(node.output);
}
