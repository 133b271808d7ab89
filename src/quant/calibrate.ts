/**
 * Activation ranges for quantization. With calibration data, the largest magnitude each
 * value reaches over the calibration inputs; without it, a sound interval propagation
 * from a default input range (DEFAULT_INPUT_RANGE), which never under-estimates but is
 * looser, and costs precision.
 */
import { broadcastTo } from '../onnx/broadcast.js';
import { runFloat } from '../ir/float-exec.js';
import type { Graph } from '../ir/graph.js';

/** The input range assumed when no calibration data is given: every input value in [−1, 1]. */
export const DEFAULT_INPUT_RANGE: readonly [number, number] = [-1, 1];

/** Largest |value| of every IR value (graph input included), by value name. */
export type Ranges = Map<string, number>;

/**
 * Measures ranges by running the float model on each calibration input.
 * @param inputs flat inputs in the graph input's shape
 */
export function calibrate(graph: Graph, inputs: Iterable<Float64Array>): Ranges {
  const ranges: Ranges = new Map();
  const note = (name: string, data: Float64Array) => {
    let m = ranges.get(name) ?? 0;
    for (const v of data) m = Math.max(m, Math.abs(v));
    ranges.set(name, m);
  };
  let count = 0;
  for (const input of inputs) {
    note(graph.input.name, input);
    runFloat(graph, input, note);
    count++;
  }
  if (count === 0) throw new RangeError('calibration needs at least one input');
  return ranges;
}

/** Sound ranges by interval propagation from every input lying in [lo, hi]. */
export function intervalRanges(graph: Graph, range: readonly [number, number] = DEFAULT_INPUT_RANGE): Ranges {
  const ranges: Ranges = new Map();
  const size = graph.shapes.get(graph.input.name)!.reduce((a, b) => a * b, 1);
  const env = new Map<string, { lo: Float64Array; hi: Float64Array }>();
  env.set(graph.input.name, { lo: new Float64Array(size).fill(range[0]), hi: new Float64Array(size).fill(range[1]) });
  const note = (name: string, v: { lo: Float64Array; hi: Float64Array }) => {
    let m = 0;
    for (let i = 0; i < v.lo.length; i++) m = Math.max(m, Math.abs(v.lo[i]!), Math.abs(v.hi[i]!));
    ranges.set(name, m);
    env.set(name, v);
  };
  note(graph.input.name, env.get(graph.input.name)!);
  for (const node of graph.nodes) {
    const x = env.get(node.input)!;
    switch (node.kind) {
      case 'linear': {
        const rows = x.lo.length / node.inFeatures;
        const lo = new Float64Array(rows * node.outFeatures);
        const hi = new Float64Array(rows * node.outFeatures);
        for (let r = 0; r < rows; r++) {
          for (let o = 0; o < node.outFeatures; o++) {
            let a = node.bias?.[o] ?? 0;
            let b = a;
            for (let i = 0; i < node.inFeatures; i++) {
              const w = node.weight[o * node.inFeatures + i]!;
              const p = w * x.lo[r * node.inFeatures + i]!;
              const q = w * x.hi[r * node.inFeatures + i]!;
              a += Math.min(p, q);
              b += Math.max(p, q);
            }
            lo[r * node.outFeatures + o] = a;
            hi[r * node.outFeatures + o] = b;
          }
        }
        note(node.output, { lo, hi });
        break;
      }
      case 'addConst': {
        const c = broadcastTo(node.constant, graph.shapes.get(node.input)!);
        note(node.output, { lo: x.lo.map((v, i) => v + c[i]!), hi: x.hi.map((v, i) => v + c[i]!) });
        break;
      }
      case 'relu':
        note(node.output, { lo: x.lo.map((v) => Math.max(v, 0)), hi: x.hi.map((v) => Math.max(v, 0)) });
        break;
      case 'reshape':
        note(node.output, x);
        break;
      case 'softmax':
        note(node.output, { lo: new Float64Array(x.lo.length), hi: new Float64Array(x.lo.length).fill(1) });
        break;
      default:
        node satisfies never;
    }
  }
  return ranges;
}
