/**
 * Ops built from the kinds of other modules, so they need only a converter here:
 * - Neg: x · (−1) (free);
 * - Abs: the two-slope activation with slopes 1 and −1 (one RescaleLeakyRelu per element);
 * - HardSigmoid: Clip(α·x + β, 0, 1), HardSwish: x · HardSigmoid(x) with α = 1/6, β = ½ (a
 *   clamp, and one product per element);
 * - Erf: the odd piecewise-linear squash (src/quant/pwl.ts, within 0.005 of erf);
 * - Max, Min (elementwise, n inputs): max(a, b) = a + relu(b − a), min(a, b) = a − relu(a − b),
 *   folded left (one RescaleRelu per element and pair);
 * - Sum, Mean (elementwise, n inputs): additions (free), the mean's 1/n a constant multiply.
 * Constant operands are folded where every operand is constant; a constant operand of Max,
 * Min or Sum must broadcast to the computed one's shape.
 */
import type { ConstTensor, IrNode, Shape } from '../ir/graph.js';
import { broadcastShape } from '../onnx/broadcast.js';
import { fail, input, type ConvertContext, type Converter, type Input } from '../onnx/context.js';
import { foldConstants } from '../onnx/convert-helpers.js';
import { erf } from '../shared/math.js';
import { family } from './types.js';

/** An operand while building: a computed value or a constant. */
type Operand = { name: string; shape: Shape } | { tensor: ConstTensor };

const scalar = (v: number): ConstTensor => ({ dtype: 'float64', shape: [], data: Float64Array.of(v) });
const operand = (x: Input): Operand => (x.value.kind === 'const' ? { tensor: x.value.tensor } : { name: x.name, shape: x.value.shape });

/** Emits IR nodes for one ONNX node, naming intermediates and the last one as the output. */
class Builder {
  private steps = 0;
  constructor(private readonly ctx: ConvertContext) {}

  private node(make: (output: string) => IrNode, shape: Shape, last: boolean): Operand {
    const output = last ? this.ctx.outputName : this.ctx.temp(`step${this.steps++}`);
    this.ctx.emit(make(output), shape);
    return { name: output, shape };
  }

  /** y = f(x) elementwise for a computed x (kind given by `make`). */
  unary(x: { name: string; shape: Shape }, make: (input: string, output: string) => IrNode, last = false): { name: string; shape: Shape } {
    return this.node((output) => make(x.name, output), x.shape, last) as { name: string; shape: Shape };
  }

  /** a ⊕ b with broadcasting; at least one operand computed. */
  binary(op: 'add' | 'sub' | 'mul', a: Operand, b: Operand, last = false): Operand {
    const { ctx } = this;
    const source = ctx.source;
    if ('tensor' in a && 'tensor' in b) fail(ctx, 'internal: two constants');
    if ('name' in a && 'name' in b) {
      const shape = broadcastShape(a.shape, b.shape, ctx.where);
      return this.node((output) => ({ kind: 'binary', op, input: a.name, other: b.name, output, source }), shape, last);
    }
    const v = ('name' in a ? a : b) as { name: string; shape: Shape };
    const c = ('tensor' in a ? a : b) as { tensor: ConstTensor };
    if (broadcastShape(v.shape, c.tensor.shape, ctx.where).join() !== v.shape.join()) fail(ctx, `a constant of shape [${c.tensor.shape.join(', ')}] would broadcast the input [${v.shape.join(', ')}]`);
    const negated = { ...c.tensor, dtype: 'float64' as const, data: c.tensor.data.map((d) => -d) };
    if (op === 'mul') return this.node((output) => ({ kind: 'mulConst', input: v.name, output, constant: c.tensor, source }), v.shape, last);
    if (op === 'add') return this.node((output) => ({ kind: 'addConst', input: v.name, output, constant: c.tensor, source }), v.shape, last);
    if (v === a) return this.node((output) => ({ kind: 'addConst', input: v.name, output, constant: negated, source }), v.shape, last);
    // c − v = (−1)·v + c
    const minus = this.unary(v, (i, output) => ({ kind: 'mulConst', input: i, output, constant: scalar(-1), source }));
    return this.node((output) => ({ kind: 'addConst', input: minus.name, output, constant: c.tensor, source }), v.shape, last);
  }

  relu(x: Operand, last = false): Operand {
    if ('tensor' in x) fail(this.ctx, 'internal: relu of a constant');
    return this.unary(x, (i, output) => ({ kind: 'relu', input: i, output, source: this.ctx.source }), last);
  }

  /** Defines the node's output as an operand (alias or constant). */
  finish(x: Operand): void {
    if ('tensor' in x) this.ctx.setConst(x.tensor);
    else this.ctx.alias(x.name);
  }
}

/** A unary op: folds a constant input through f, else builds nodes from the computed input. */
function unaryOp(f: (v: number) => number, build: (b: Builder, x: { name: string; shape: Shape }, ctx: ConvertContext) => void): Converter {
  return (ctx) => {
    const x = input(ctx, 0, 'X');
    if (x.value.kind === 'const') return ctx.setConst({ ...x.value.tensor, data: x.value.tensor.data.map(f) });
    build(new Builder(ctx), { name: x.name, shape: x.value.shape }, ctx);
  };
}

const hardSigmoid = (alpha: number, beta: number) => (v: number) => Math.max(0, Math.min(1, alpha * v + beta));

function hardSigmoidNodes(b: Builder, ctx: ConvertContext, x: { name: string; shape: Shape }, alpha: number, beta: number, last: boolean): { name: string; shape: Shape } {
  const scaled = b.binary('mul', x, { tensor: scalar(alpha) }) as { name: string; shape: Shape };
  const shifted = b.binary('add', scaled, { tensor: scalar(beta) }) as { name: string; shape: Shape };
  return b.unary(shifted, (i, output) => ({ kind: 'clip', input: i, output, min: 0, max: 1, source: ctx.source }), last);
}

/** Max, Min, Sum or Mean over n inputs, folded left. */
function variadic(op: 'max' | 'min' | 'sum' | 'mean'): Converter {
  const f = { max: Math.max, min: Math.min, sum: (p: number, q: number) => p + q, mean: (p: number, q: number) => p + q }[op];
  return (ctx) => {
    const inputs = ctx.inputs.map((v, i) => v ?? input(ctx, i, 'data'));
    if (inputs.length === 0) fail(ctx, 'needs at least one input');
    const b = new Builder(ctx);
    const n = inputs.length;
    let acc = operand(inputs[0]!);
    inputs.slice(1).forEach((next, k) => {
      const y = operand(next);
      const last = k === n - 2 && op !== 'mean';
      if ('tensor' in acc && 'tensor' in y) {
        acc = { tensor: foldConstants(ctx, acc.tensor, y.tensor, f) };
        if (last) b.finish(acc);
        return;
      }
      if (op === 'sum' || op === 'mean') acc = b.binary('add', acc, y, last);
      else {
        // max(a, b) = a + relu(b − a); min(a, b) = a − relu(a − b); a computed operand first.
        const [p, q] = 'name' in acc ? [acc, y] : [y, acc];
        const d = op === 'max' ? b.binary('sub', q, p) : b.binary('sub', p, q);
        acc = b.binary(op === 'max' ? 'add' : 'sub', p, b.relu(d), last);
      }
    });
    if (op === 'mean') {
      if ('tensor' in acc) return ctx.setConst({ ...acc.tensor, data: acc.tensor.data.map((v) => v / n) });
      b.binary('mul', acc, { tensor: scalar(1 / n) }, true);
    } else if (n === 1) b.finish(acc);
  };
}

export const composite = family({
  onnx: {
    Neg: unaryOp(
      (v) => -v,
      (b, x) => b.binary('mul', x, { tensor: scalar(-1) }, true),
    ),
    Abs: unaryOp(Math.abs, (b, x, ctx) => b.unary(x, (i, output) => ({ kind: 'leakyRelu', input: i, output, slope: scalar(-1), source: ctx.source }), true)),
    HardSigmoid: (ctx) => {
      const alpha = ctx.attrs.float('alpha', 0.2);
      const beta = ctx.attrs.float('beta', 0.5);
      unaryOp(hardSigmoid(alpha, beta), (b, x) => hardSigmoidNodes(b, ctx, x, alpha, beta, true))(ctx);
    },
    HardSwish: unaryOp(
      (v) => v * hardSigmoid(1 / 6, 0.5)(v),
      (b, x, ctx) => b.binary('mul', x, hardSigmoidNodes(b, ctx, x, 1 / 6, 0.5, false), true),
    ),
    Erf: unaryOp(erf, (b, x, ctx) => b.unary(x, (i, output) => ({ kind: 'squash', fn: 'erf', input: i, output, source: ctx.source }), true)),
    Max: variadic('max'),
    Min: variadic('min'),
    Sum: variadic('sum'),
    Mean: variadic('mean'),
  },
  float: {},
  fixed: {},
});
