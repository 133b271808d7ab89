/**
 * Sound activation ranges by interval propagation: every input value in [lo, hi] gives an
 * elementwise [lo, hi] for every IR value. Never an under-estimate, but looser than
 * calibration, so it costs precision; used when no calibration data is given.
 */
import { broadcastTo } from '../onnx/broadcast.js';
import { avgPoolForward, convInterval, poolForward, windowMax } from '../ir/conv.js';
import { broadcastIndex, concatIndex, padIndex, transposeIndex } from '../ir/gather.js';
import { roundHalfEven, sigmoid } from '../ir/float-exec.js';
import type { Graph } from '../ir/graph.js';
import { DEFAULT_INPUT_RANGE, type Ranges } from './calibrate.js';

interface Interval {
  lo: Float64Array;
  hi: Float64Array;
}

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
  for (const node of graph.nodes) {
    const x = env.get(node.input)!;
    const geometry = () => ({ input: graph.shapes.get(node.input)!, output: graph.shapes.get(node.output)! });
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
      case 'conv':
        note(node.output, convInterval(x.lo, x.hi, node.weight, node.bias, { ...geometry(), group: node.group, window: node.window }));
        break;
      case 'addConst': {
        const c = broadcastTo(node.constant, graph.shapes.get(node.input)!);
        note(node.output, { lo: x.lo.map((v, i) => v + c[i]!), hi: x.hi.map((v, i) => v + c[i]!) });
        break;
      }
      case 'mulConst': {
        const c = broadcastTo(node.constant, graph.shapes.get(node.input)!);
        note(node.output, { lo: x.lo.map((v, i) => Math.min(v * c[i]!, x.hi[i]! * c[i]!)), hi: x.lo.map((v, i) => Math.max(v * c[i]!, x.hi[i]! * c[i]!)) });
        break;
      }
      case 'binary': {
        const outShape = graph.shapes.get(node.output)!;
        const ia = broadcastIndex(graph.shapes.get(node.input)!, outShape);
        const ib = broadcastIndex(graph.shapes.get(node.other)!, outShape);
        const y = env.get(node.other)!;
        const lo = new Float64Array(ia.length);
        const hi = new Float64Array(ia.length);
        for (let k = 0; k < ia.length; k++) {
          const [a0, a1, b0, b1] = [x.lo[ia[k]!]!, x.hi[ia[k]!]!, y.lo[ib[k]!]!, y.hi[ib[k]!]!];
          if (node.op === 'add') [lo[k], hi[k]] = [a0 + b0, a1 + b1];
          else if (node.op === 'sub') [lo[k], hi[k]] = [a0 - b1, a1 - b0];
          else {
            const p = [a0 * b0, a0 * b1, a1 * b0, a1 * b1];
            [lo[k], hi[k]] = [Math.min(...p), Math.max(...p)];
          }
        }
        note(node.output, { lo, hi });
        break;
      }
      case 'relu':
        note(node.output, { lo: x.lo.map((v) => Math.max(v, 0)), hi: x.hi.map((v) => Math.max(v, 0)) });
        break;
      case 'clip':
        note(node.output, { lo: x.lo.map((v) => Math.min(Math.max(v, node.min), node.max)), hi: x.hi.map((v) => Math.min(Math.max(v, node.min), node.max)) });
        break;
      case 'requantize': {
        const s = broadcastTo(node.scale, graph.shapes.get(node.input)!);
        const z = broadcastTo(node.zeroPoint, graph.shapes.get(node.input)!);
        const f = (v: number, i: number) => Math.min(Math.max(roundHalfEven(v / s[i]!) + z[i]!, node.min), node.max);
        note(node.output, { lo: x.lo.map(f), hi: x.hi.map(f) });
        break;
      }
      case 'leakyRelu': {
        const s = broadcastTo(node.slope, graph.shapes.get(node.input)!);
        const f = (v: number, i: number) => (v >= 0 ? v : s[i]! * v);
        const cands = (i: number) => [f(x.lo[i]!, i), f(x.hi[i]!, i), x.lo[i]! < 0 && x.hi[i]! > 0 ? 0 : f(x.lo[i]!, i)];
        note(node.output, { lo: x.lo.map((_, i) => Math.min(...cands(i))), hi: x.lo.map((_, i) => Math.max(...cands(i))) });
        break;
      }
      case 'squash': {
        const f = node.fn === 'sigmoid' ? sigmoid : Math.tanh;
        note(node.output, { lo: x.lo.map(f), hi: x.hi.map(f) });
        break;
      }
      case 'transpose': {
        const map = transposeIndex(graph.shapes.get(node.input)!, node.perm);
        note(node.output, { lo: Float64Array.from(map, (i) => x.lo[i]!), hi: Float64Array.from(map, (i) => x.hi[i]!) });
        break;
      }
      case 'pad': {
        const map = padIndex(graph.shapes.get(node.input)!, node.pads, node.mode);
        note(node.output, { lo: Float64Array.from(map, (i) => (i < 0 ? node.value : x.lo[i]!)), hi: Float64Array.from(map, (i) => (i < 0 ? node.value : x.hi[i]!)) });
        break;
      }
      case 'concat': {
        const parts = node.parts.map((p) => ('value' in p ? { shape: graph.shapes.get(p.value)!, v: env.get(p.value)! } : { shape: p.constant.shape, v: { lo: p.constant.data, hi: p.constant.data } }));
        const { part, index } = concatIndex(parts.map((p) => p.shape), node.axis);
        note(node.output, { lo: Float64Array.from(part, (p, i) => parts[p]!.v.lo[index[i]!]!), hi: Float64Array.from(part, (p, i) => parts[p]!.v.hi[index[i]!]!) });
        break;
      }
      case 'argMax': {
        const n = graph.shapes.get(node.input)![node.axis]!;
        const size = graph.shapes.get(node.output)!.reduce((a, b) => a * b, 1);
        note(node.output, { lo: new Float64Array(size), hi: new Float64Array(size).fill(n - 1) });
        break;
      }
      case 'maxPool': {
        const g = { ...geometry(), window: node.window };
        note(node.output, { lo: poolForward(x.lo, g, windowMax), hi: poolForward(x.hi, g, windowMax) });
        break;
      }
      case 'avgPool': {
        const g = { ...geometry(), window: node.window };
        note(node.output, { lo: avgPoolForward(x.lo, g, node.countIncludePad), hi: avgPoolForward(x.hi, g, node.countIncludePad) });
        break;
      }
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
