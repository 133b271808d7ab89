/**
 * The ops allowed only as a model's final step: Softmax and LogSoftmax (monotone, so the
 * circuit proves their input and the verifier applies them to the proven output) and ArgMax
 * (proven).
 *
 * Quantization: Softmax becomes the model's output transform; ArgMax proves indices at
 * scale 0 with a comparison width from the static and calibrated spans.
 * Circuit cost: softmax none; argMax an ArgMax(n, b) per lane of n values:
 * n·(b + 4) + (2 when n > 2, else 1), plus input bindings.
 */
import { sizeOf } from '../ir/graph.js';
import { argMax, softmax } from '../shared/math.js';
import { refuse } from '../reference/refuse.js';
import { combine, type LinearExpr } from '../circuit/linear-expr.js';
import { bindCost, fillKinds, GADGET_COST_O1 } from '../circuit/gadget-cost.js';
import { argMaxConverter, softmaxConverter } from './activation.js';
import { family } from './types.js';

export const finalOps = family({
  onnx: { Softmax: softmaxConverter(false), LogSoftmax: softmaxConverter(true), ArgMax: argMaxConverter },
  float: {
    softmax: {
      run: (node, c) => softmax(c.value(node.input), c.shape(node.input), node.axis, node.coerce2d, node.log === true),
      interval: (node, c) => {
        const n = c.interval(node.input).lo.length;
        return { lo: new Float64Array(n), hi: new Float64Array(n).fill(1) };
      },
      quantize(q, node) {
        q.transform = { kind: 'softmax', axis: node.axis, coerce2d: node.coerce2d, ...(node.log ? { log: true as const } : {}) };
        q.set(node.output, q.get(node.input, node));
      },
    },
    argMax: {
      run: (node, c) => argMax(c.value(node.input), c.shape(node.input), node.axis, node.selectLast),
      interval: (node, c) => {
        const n = c.shape(node.input)[node.axis]!;
        const size = sizeOf(c.shape(node.output));
        return { lo: new Float64Array(size), hi: new Float64Array(size).fill(n - 1) };
      },
      quantize(q, node) {
        const x = q.get(node.input, node);
        const span = Math.min(x.max - x.min, 2 * Math.ceil(q.range(node.input) * 2 ** (x.scale + q.opts.headroomBits)));
        const bits = Math.max(1, Math.ceil(Math.log2(span + 1)));
        const n = q.shape(node.input)[node.axis]!;
        q.push({ kind: 'argMax', input: x.q, output: node.output, axis: node.axis, selectLast: node.selectLast, bits, source: node.source });
        q.set(node.output, q.define(node.output, { scale: 0, min: 0, max: n - 1, pending: false }, node.output));
      },
    },
  },
  fixed: {
    argMax: {
      cost(node, c) {
        const x = c.kinds(node.input);
        const len = c.shape(node.input)[node.axis]!;
        return { constraints: bindCost(x) + (x.length / len) * GADGET_COST_O1.argMax(len, node.bits), output: fillKinds(sizeOf(c.shape(node.output)), node.selectLast ? 'expr' : 'private') };
      },
      reference(node, c) {
        const x = c.value(node.input);
        const shape = c.shape(node.input);
        const inner = sizeOf(shape.slice(node.axis + 1));
        const len = shape[node.axis]!;
        const outer = x.length / (inner * len);
        const y: number[] = [];
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < inner; i++) {
            const at = (j: number) => x[(o * len + j) * inner + i]!;
            let best = 0;
            for (let j = 1; j < len; j++) if (at(j) > at(best) || (node.selectLast && at(j) === at(best))) best = j;
            // The gadget proves m − x_j ≥ 1 for candidates before (after, with selectLast) the index, ≥ 0 for the others.
            for (let j = 0; j < len; j++) {
              const strict = node.selectLast ? j > best : j < best;
              const d = at(best) - at(j) - (strict ? 1 : 0);
              if (d >= 2 ** node.bits) refuse(node, `a difference of ${d} is not in [0, ${2 ** node.bits - 1}]`);
            }
            y.push(best);
          }
        }
        return y;
      },
      emit(em, node, index) {
        const x = em.get(node.input, node.source);
        const shape = em.model.values[node.input]!.shape;
        const inner = sizeOf(shape.slice(node.axis + 1));
        const len = shape[node.axis]!;
        const outer = x.length / (inner * len);
        const lanes: LinearExpr[][] = [];
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < inner; i++) {
            const lane = Array.from({ length: len }, (_, j) => x[(o * len + j) * inner + i]!);
            lanes.push(node.selectLast ? lane.reverse() : lane);
          }
        }
        const outs = em.instantiate(
          index,
          lanes.map((lane) => ({ call: `ArgMax(${len}, ${node.bits})`, inputs: lane.map((e, j) => [`in[${j}]`, e] as const) })),
        );
        // With selectLast the lane is reversed: the last maximum is at len − 1 − (first in reverse).
        em.set(node.output, node.selectLast ? outs.map((e) => combine([e], [-1], 0, len - 1)) : outs);
      },
    },
  },
});
