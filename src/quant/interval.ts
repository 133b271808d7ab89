/**
 * Sound activation ranges by interval propagation: every input value in [lo, hi] gives an
 * elementwise [lo, hi] for every IR value. Never an under-estimate, but looser than
 * calibration, so it costs precision; used when no calibration data is given. Each node
 * kind's rule is in its operator module (src/ops/), found through the registry.
 */
import type { Graph, IrNode } from '../ir/graph.js';
import { FLOAT_OPS } from '../ops/registry.js';
import type { FloatOp, Interval, IntervalContext } from '../ops/types.js';
import { DEFAULT_INPUT_RANGE, type Ranges } from './ranges.js';

/** Sound ranges by interval propagation from every input lying in [lo, hi]. */
export function intervalRanges(graph: Graph, range: readonly [number, number] = DEFAULT_INPUT_RANGE): Ranges {
  const ranges: Ranges = new Map();
  const size = graph.shapes.get(graph.input.name)!.reduce((a, b) => a * b, 1);
  const env = new Map<string, Interval>();
  const note = (name: string, v: Interval) => {
    let m = 0;
    for (let i = 0; i < v.lo.length; i++) m = Math.max(m, Math.abs(v.lo[i]!), Math.abs(v.hi[i]!));
    ranges.set(name, m);
    env.set(name, v);
  };
  note(graph.input.name, { lo: new Float64Array(size).fill(range[0]), hi: new Float64Array(size).fill(range[1]) });
  const ctx: IntervalContext = { graph, shape: (name) => graph.shapes.get(name)!, interval: (name) => env.get(name)! };
  for (const node of graph.nodes) note(node.output, intervalOf(node, ctx));
  return ranges;
}

function intervalOf<N extends IrNode>(node: N, ctx: IntervalContext): Interval {
  return (FLOAT_OPS[node.kind] as unknown as FloatOp<N>).interval(node, ctx);
}
