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

/** Returns an optimized copy of the graph. */
export function optimize(graph: Graph): Graph {
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
