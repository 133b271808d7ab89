/**
 * Quantization of the float IR into the fixed-point IR. Scales are powers of two:
 * per-layer weight scales from the largest weight and `weightBits`; activation scales
 * from the measured (or interval) ranges and `activationBits`. A linear layer's output
 * stays at the accumulator scale until something non-linear or another linear layer
 * needs it, and only then is it rescaled (fused with a following ReLU), so each hidden
 * neuron pays for one range check and the final layer for none. Max pooling works on the
 * accumulator itself (the rescale is monotone), so only pooled values are rescaled.
 * The per-op rules are in the operator modules (src/ops/), found through the registry.
 */
import { CompileError } from '../shared/errors.js';
import { nodeInputs, type Graph, type IrNode } from '../ir/graph.js';
import { broadcastTo } from '../ir/gather.js';
import type { FloatOp } from '../ops/types.js';
import { FLOAT_OPS } from '../ops/registry.js';
import type { Ranges } from './ranges.js';
import { DEFAULT_QUANT_OPTIONS, type InputQuantization, type QModel, type QuantOptions } from './model.js';
import { Quantizer, scaleFor, signedBits } from './quantizer.js';
import { foldable } from './units.js';

export { Quantizer, scaleFor, signedBits, type Ref } from './quantizer.js';

/**
 * Quantizes a float graph.
 * @param ranges largest |value| per float value name (calibration or intervals)
 * @throws {CompileError} when a value would exceed exact arithmetic or a node cannot be quantized
 */
export function quantize(graph: Graph, ranges: Ranges, options: Partial<QuantOptions> = {}): QModel {
  const opts: QuantOptions = { ...DEFAULT_QUANT_OPTIONS, ...options };
  for (const [k, v] of Object.entries(opts)) {
    if (k === 'int8') {
      if (v !== 'exact' && v !== 'fold') throw new CompileError(`expected int8 to be "exact" or "fold", got ${String(v)}`);
      continue;
    }
    if (!Number.isInteger(v) || v < 0 || v > 40) throw new CompileError(`expected ${k} to be an integer in [0, 40], got ${v}`);
  }
  const q = new Quantizer(graph, ranges, opts);
  // Folded (QuantOptions.int8 `fold`), the input is quantized as a float model's, at inputBits,
  // and its QuantizeLinear folds like the others (when only DequantizeLinear reads it).
  const quantizedInput = inputQuantization(graph);
  const leading = opts.int8 === 'fold' && quantizedInput && foldable(graph, quantizedInput.node) ? undefined : quantizedInput;
  let input: QModel['input'];
  if (leading) {
    // An int8 model's QuantizeLinear of its input: the public input integers are its output.
    const { quantization, node } = leading;
    const bits = signedBits(quantization.min, quantization.max);
    input = { name: graph.input.name, shape: graph.input.shape, scale: 0, bits, quantization };
    const ref = q.define(graph.input.name, { scale: 0, min: quantization.min, max: quantization.max, pending: false }, graph.input.name);
    q.set(graph.input.name, ref);
    q.set(node.output, ref);
  } else {
    const inScale = scaleFor(q.range(graph.input.name), opts.inputBits);
    const inMax = 2 ** (opts.inputBits - 1) - 1;
    const inMin = -(2 ** (opts.inputBits - 1));
    input = { name: graph.input.name, shape: graph.input.shape, scale: inScale, bits: opts.inputBits };
    q.set(graph.input.name, q.define(graph.input.name, { scale: inScale, min: inMin, max: inMax, pending: false }, graph.input.name));
  }

  for (const node of graph.nodes) if (node !== leading?.node) quantizeWith(q, node);

  const out = q.get(graph.output.name, graph.nodes[graph.nodes.length - 1]!);
  return {
    input,
    output: { name: out.q, shape: graph.output.shape, scale: out.scale, min: out.min, max: out.max, transform: q.transform },
    nodes: q.nodes,
    values: q.values,
    options: opts,
  };
}

/**
 * The QuantizeLinear of the graph input, when it is the input's only reader and not the
 * model's last step: it becomes the input quantization, applied outside the circuit.
 */
function inputQuantization(graph: Graph): { node: IrNode; quantization: InputQuantization } | undefined {
  const readers = graph.nodes.filter((n) => nodeInputs(n).includes(graph.input.name));
  const node = readers[0];
  // (A model that is the QuantizeLinear alone keeps it in the circuit: there would be nothing else to prove.)
  if (readers.length !== 1 || node?.kind !== 'requantize' || node.output === graph.output.name) return undefined;
  const flat = (t: { data: Float64Array }) => Array.from(t.data);
  const scale = broadcastTo(node.scale, graph.input.shape);
  const zero = broadcastTo(node.zeroPoint, graph.input.shape);
  const uniform = (a: Float64Array) => a.every((v) => v === a[0]);
  if (!scale.every((v) => v > 0 && Number.isFinite(v)) || !zero.every(Number.isInteger)) return undefined;
  return {
    node,
    quantization: {
      scale: uniform(scale) ? [scale[0]!] : flat({ data: scale }),
      zeroPoint: uniform(zero) ? [zero[0]!] : flat({ data: zero }),
      min: node.min,
      max: node.max,
    },
  };
}

/** Quantizes one node with its operator module's rule. */
function quantizeWith<N extends IrNode>(q: Quantizer, node: N): void {
  (FLOAT_OPS[node.kind] as unknown as FloatOp<N>).quantize(q, node);
}
