/**
 * IR-to-IR rewrites that keep the function and lower the circuit's cost:
 * - a constant multiply right after a Conv or linear layer (an unfolded BatchNormalization,
 *   a Mul by a per-channel constant) is folded into its weights and bias;
 * - a constant add right after one is folded into its bias (Gemm/MatMul+Add fusion), so it
 *   costs nothing and needs no rescale of its own;
 * - ReLU followed by max pooling becomes max pooling followed by ReLU (they commute, and so
 *   does the monotone rescale the quantizer inserts before the ReLU), so that only the
 *   pooled values are rescaled and rectified;
 * - chains of reshapes collapse into one.
 * Each rewrite applies only when the intermediate value has no other reader.
 */
import { broadcastTo } from './gather.js';
import { nodeInputs, sizeOf, type ConstTensor, type ConvNode, type Graph, type IrNode, type LinearNode, type Shape } from './graph.js';

/** Returns an optimized copy of the graph (the rewrites repeated until none applies). */
export function optimize(graph: Graph): Graph {
  let g = graph;
  for (let pass = 0; pass < 8; pass++) {
    const next = optimizeOnce(g);
    if (next.nodes.length === g.nodes.length && next.nodes.every((n, i) => n === g.nodes[i])) return next;
    g = next;
  }
  return g;
}

/** Same scale, zero point and range (the int8 values of a QuantizeLinear and its DequantizeLinear). */
function sameQuantization(a: { scale: ConstTensor; zeroPoint: ConstTensor }, b: { scale: ConstTensor; zeroPoint: ConstTensor }): boolean {
  const same = (x: ConstTensor, y: ConstTensor) => x.shape.join() === y.shape.join() && x.data.length === y.data.length && x.data.every((v, i) => v === y.data[i]);
  return same(a.scale, b.scale) && same(a.zeroPoint, b.zeroPoint);
}

/** Scale and zero point vary along no axis but the channel axis (1) of a rank-`rank` tensor. */
function perChannel(t: ConstTensor, rank: number): boolean {
  if (t.data.length === 1) return true;
  const shape = [...Array(rank - t.shape.length).fill(1), ...t.shape];
  return shape.every((d, a) => d === 1 || a === 1);
}

function optimizeOnce(graph: Graph): Graph {
  const users = new Map<string, number>([[graph.output.name, 1]]);
  for (const n of graph.nodes) for (const name of nodeInputs(n)) users.set(name, (users.get(name) ?? 0) + 1);
  const shapes = new Map(graph.shapes);
  const out: IrNode[] = [];
  for (const node of graph.nodes) {
    const prev = out[out.length - 1];
    const feeds = prev !== undefined && prev.output === node.input && users.get(prev.output) === 1;
    if (feeds && (prev.kind === 'linear' || prev.kind === 'conv') && (node.kind === 'addConst' || node.kind === 'mulConst')) {
      const perOutput = perOutputConstant(shapes.get(prev.output)!, prev.kind === 'conv' ? 1 : -1, node.constant);
      if (perOutput) {
        out[out.length - 1] = { ...(node.kind === 'addConst' ? addToBias(prev, perOutput) : scaleOutputs(prev, perOutput)), output: node.output };
        continue;
      }
    }
    // QuantizeLinear(P) → DequantizeLinear(P) → MaxPool or Reshape → QuantizeLinear(P): the
    // int8 values round-trip exactly (Q(DQ(v)) = v in range) and both maps are monotone, so it
    // is the MaxPool or Reshape of the int8 values.
    const q0 = out[out.length - 3];
    const dq = out[out.length - 2];
    if (
      feeds &&
      node.kind === 'requantize' &&
      (prev.kind === 'maxPool' || prev.kind === 'reshape') &&
      q0?.kind === 'requantize' &&
      dq?.kind === 'dequantize' &&
      dq.input === q0.output &&
      prev.input === dq.output &&
      users.get(q0.output) === 1 &&
      users.get(dq.output) === 1 &&
      sameQuantization(dq, node) &&
      sameQuantization(q0, node) &&
      q0.min === node.min &&
      q0.max === node.max
    ) {
      out.splice(out.length - 2, 2, { ...prev, input: q0.output, output: node.output });
      continue;
    }
    // QuantizeLinear → MaxPool: the pooling first (QuantizeLinear is monotone per channel), so
    // that only pooled values are requantized.
    if (feeds && node.kind === 'maxPool' && prev.kind === 'requantize' && perChannel(prev.scale, shapes.get(prev.input)!.length) && perChannel(prev.zeroPoint, shapes.get(prev.input)!.length)) {
      const pooled = `${node.output}::pooled`;
      shapes.set(pooled, shapes.get(node.output)!);
      out[out.length - 1] = { ...node, input: prev.input, output: pooled };
      out.push({ ...prev, input: pooled, output: node.output });
      continue;
    }
    if (feeds && node.kind === 'reshape' && prev.kind === 'reshape') {
      out[out.length - 1] = { ...prev, output: node.output, shape: node.shape };
      continue;
    }
    if (feeds && node.kind === 'maxPool' && prev.kind === 'relu') {
      const pooled = `${node.output}::pooled`;
      shapes.set(pooled, shapes.get(node.output)!);
      out[out.length - 1] = { ...node, input: prev.input, output: pooled };
      out.push({ ...prev, input: pooled, output: node.output });
      continue;
    }
    out.push(node);
  }
  return { ...graph, nodes: out, shapes };
}

/**
 * The constant as one value per output channel (axis 1 of a Conv output, the last axis of
 * a linear output), or undefined when it varies along any other axis.
 */
function perOutputConstant(shape: Shape, axis: number, constant: ConstTensor): Float64Array | undefined {
  const full = broadcastTo(constant, shape);
  const rank = shape.length;
  const a = axis < 0 ? rank + axis : axis;
  const channels = shape[a]!;
  const inner = sizeOf(shape.slice(a + 1));
  const values = new Float64Array(channels);
  for (let c = 0; c < channels; c++) values[c] = full[c * inner]!;
  for (let i = 0; i < full.length; i++) if (full[i] !== values[Math.floor(i / inner) % channels]) return undefined;
  return values;
}

function addToBias<T extends LinearNode | ConvNode>(node: T, add: Float64Array): T {
  const bias = add.map((v, o) => v + (node.bias?.[o] ?? 0));
  return { ...node, bias };
}

function scaleOutputs<T extends LinearNode | ConvNode>(node: T, factor: Float64Array): T {
  const perOutput = node.weight.length / factor.length;
  const weight = node.weight.map((w, i) => w * factor[Math.floor(i / perOutput)]!);
  const bias = node.bias?.map((b, o) => b * factor[o]!);
  return { ...node, weight, bias };
}
