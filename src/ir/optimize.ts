/**
 * IR-to-IR rewrites that keep the function and lower the circuit's cost. Today: a
 * constant bias added right after a linear layer is fused into the layer (Gemm/MatMul+Add
 * fusion), so it costs nothing and needs no rescale of its own, and chains of reshapes
 * collapse into one.
 */
import { broadcastTo } from '../onnx/broadcast.js';
import type { Graph, IrNode, LinearNode } from './graph.js';

/** Returns an optimized copy of the graph. */
export function optimize(graph: Graph): Graph {
  const users = new Map<string, number>();
  for (const n of graph.nodes) users.set(n.input, (users.get(n.input) ?? 0) + 1);
  const out: IrNode[] = [];
  for (const node of graph.nodes) {
    const prev = out[out.length - 1];
    if (node.kind === 'addConst' && prev?.kind === 'linear' && prev.output === node.input && users.get(prev.output) === 1) {
      const fused = fuseBias(graph, prev, node.constant);
      if (fused) {
        out[out.length - 1] = { ...fused, output: node.output };
        continue;
      }
    }
    if (node.kind === 'reshape' && prev?.kind === 'reshape' && prev.output === node.input && users.get(prev.output) === 1) {
      out[out.length - 1] = { ...prev, output: node.output, shape: node.shape };
      continue;
    }
    out.push(node);
  }
  return { ...graph, nodes: out };
}

/** Folds a constant into the linear layer's bias when it is constant along every row. */
function fuseBias(graph: Graph, linear: LinearNode, constant: Parameters<typeof broadcastTo>[0]): LinearNode | undefined {
  const shape = graph.shapes.get(linear.output)!;
  const full = broadcastTo(constant, shape);
  const n = linear.outFeatures;
  for (let i = n; i < full.length; i++) if (full[i] !== full[i % n]) return undefined;
  const bias = new Float64Array(n);
  for (let o = 0; o < n; o++) bias[o] = (linear.bias?.[o] ?? 0) + full[o]!;
  return { ...linear, bias };
}
