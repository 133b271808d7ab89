/**
 * Arithmetic: Add, Sub, Mul and Div with a constant operand (addConst, mulConst; Div by a
 * constant is a multiply by its inverse) and Add, Sub, Mul of two computed tensors (binary),
 * all with numpy broadcasting.
 *
 * Quantization: a constant addend at the value's scale; a constant factor at the smallest
 * scale that makes every factor an integer (else the weight scale); Add/Sub align both
 * operands to the finer scale by a free power-of-two multiply; Mul rescales pending
 * operands, multiplies, and leaves the product pending at the summed scale.
 * Circuit cost: addConst, mulConst, add: none (linear expressions); mul: one product
 * signal (one constraint) per output element.
 */
import { broadcastIndex, broadcastTo } from '../ir/gather.js';
import { broadcastShape } from '../onnx/broadcast.js';
import { fail, input, isInteger, type ComputedInput, type ConvertContext, type Converter, type Input } from '../onnx/context.js';
import { foldConstants, scaled } from '../onnx/convert-helpers.js';
import { addConstant, combine, formatExpr, signalExpr } from '../circuit/linear-expr.js';
import { quantizeWeights } from './dense.js';
import { fillKinds } from '../circuit/gadget-cost.js';
import { sizeOf, type ConstTensor, type Shape } from '../ir/graph.js';
import { family, type ElementKind, type Interval } from './types.js';

/** Converts an elementwise op whose operands are both computed. */
function binaryComputed(ctx: ConvertContext, op: 'add' | 'sub' | 'mul', a: ComputedInput, b: ComputedInput): void {
  const shape = broadcastShape(a.shape, b.shape, ctx.where);
  ctx.emit({ kind: 'binary', op, input: a.name, other: b.name, output: ctx.outputName, source: ctx.source }, shape);
}

/** Checks that a constant operand does not broadcast the computed one to a larger shape. */
function checkNoGrow(ctx: ConvertContext, v: ComputedInput, c: ConstTensor): void {
  const shape = broadcastShape(v.shape, c.shape, ctx.where);
  if (shape.join() !== v.shape.join()) {
    fail(ctx, `the constant of shape [${c.shape.join(', ')}] would broadcast the input [${v.shape.join(', ')}] to [${shape.join(', ')}]`);
  }
}

function computed(x: Input): ComputedInput {
  return { name: x.name, shape: (x.value as { shape: Shape }).shape };
}

/** Add, Sub, Mul, Div with broadcasting. */
function arithmetic(op: 'Add' | 'Sub' | 'Mul' | 'Div'): Converter {
  const f = { Add: (x: number, y: number) => x + y, Sub: (x: number, y: number) => x - y, Mul: (x: number, y: number) => x * y, Div: (x: number, y: number) => x / y }[op];
  return (ctx) => {
    const a = input(ctx, 0, 'A');
    const b = input(ctx, 1, 'B');
    if (a.value.kind === 'const' && b.value.kind === 'const') return ctx.setConst(foldConstants(ctx, a.value.tensor, b.value.tensor, f));
    if (op === 'Div' && (isInteger(a) || isInteger(b))) fail(ctx, 'integer Div (truncating division) is not supported');
    if (a.value.kind === 'value' && b.value.kind === 'value') {
      if (op === 'Div') fail(ctx, 'Div of two computed tensors is not supported (the divisor must be a constant)');
      return binaryComputed(ctx, op === 'Add' ? 'add' : op === 'Sub' ? 'sub' : 'mul', computed(a), computed(b));
    }
    const constFirst = a.value.kind === 'const';
    const v = computed(constFirst ? b : a);
    const c = ((constFirst ? a : b).value as { tensor: ConstTensor }).tensor;
    checkNoGrow(ctx, v, c);
    const out = ctx.outputName;
    switch (op) {
      case 'Add':
        return ctx.emit({ kind: 'addConst', input: v.name, output: out, constant: c, source: ctx.source }, v.shape);
      case 'Mul':
        return ctx.emit({ kind: 'mulConst', input: v.name, output: out, constant: c, source: ctx.source }, v.shape);
      case 'Div':
        if (constFirst) fail(ctx, 'Div with a computed divisor is not supported (the divisor must be a constant)');
        return ctx.emit({ kind: 'mulConst', input: v.name, output: out, constant: { ...c, dtype: 'float64', data: c.data.map((d) => 1 / d) }, source: ctx.source }, v.shape);
      case 'Sub': {
        if (!constFirst) return ctx.emit({ kind: 'addConst', input: v.name, output: out, constant: scaled(c, -1), source: ctx.source }, v.shape);
        const negated = ctx.temp('negated');
        ctx.emit({ kind: 'mulConst', input: v.name, output: negated, constant: { dtype: 'float64', shape: [], data: Float64Array.of(-1) }, source: ctx.source }, v.shape);
        return ctx.emit({ kind: 'addConst', input: negated, output: out, constant: c, source: ctx.source }, v.shape);
      }
    }
  };
}

export const elementwise = family({
  onnx: { Add: arithmetic('Add'), Sub: arithmetic('Sub'), Mul: arithmetic('Mul'), Div: arithmetic('Div') },
  float: {
    addConst: {
      run(node, c) {
        const k = broadcastTo(node.constant, c.shape(node.input));
        return c.value(node.input).map((v, i) => v + k[i]!);
      },
      interval(node, c) {
        const x = c.interval(node.input);
        const k = broadcastTo(node.constant, c.shape(node.input));
        return { lo: x.lo.map((v, i) => v + k[i]!), hi: x.hi.map((v, i) => v + k[i]!) };
      },
      quantize(q, node) {
        const x = q.get(node.input, node);
        const constant = Array.from(broadcastTo(node.constant, q.shape(node.input)), (c) => Math.round(c * 2 ** x.scale));
        const cmin = Math.min(...constant);
        const cmax = Math.max(...constant);
        q.push({ kind: 'addConst', input: x.q, output: node.output, constant, source: node.source });
        q.set(node.output, q.define(node.output, { scale: x.scale, min: x.min + cmin, max: x.max + cmax, pending: x.pending }, node.output));
      },
    },
    mulConst: {
      run(node, c) {
        const k = broadcastTo(node.constant, c.shape(node.input));
        return c.value(node.input).map((v, i) => v * k[i]!);
      },
      interval(node, c) {
        const x = c.interval(node.input);
        const k = broadcastTo(node.constant, c.shape(node.input));
        return { lo: x.lo.map((v, i) => Math.min(v * k[i]!, x.hi[i]! * k[i]!)), hi: x.lo.map((v, i) => Math.max(v * k[i]!, x.hi[i]! * k[i]!)) };
      },
      quantize(q, node) {
        const x = q.get(node.input, node);
        const c = broadcastTo(node.constant, q.shape(node.input));
        const { weightScale: maxScale } = quantizeWeights(c, q.opts.weightBits);
        // The smallest scale at which every factor is an integer (exact), else maxScale.
        let weightScale = maxScale;
        for (let t = 0; t < maxScale; t++) {
          if (c.every((v) => Number.isInteger(v * 2 ** t))) {
            weightScale = t;
            break;
          }
        }
        const constant = Array.from(c, (v) => Math.round(v * 2 ** weightScale));
        let min = Infinity;
        let max = -Infinity;
        for (const k of constant) {
          min = Math.min(min, k * x.min, k * x.max);
          max = Math.max(max, k * x.min, k * x.max);
        }
        q.push({ kind: 'mulConst', input: x.q, output: node.output, constant, weightScale, source: node.source });
        q.set(node.output, q.define(node.output, { scale: x.scale + weightScale, min, max, pending: x.pending || weightScale > 0 }, node.output));
      },
    },
    binary: {
      run(node, c) {
        const outShape = c.shape(node.output);
        const ia = broadcastIndex(c.shape(node.input), outShape);
        const ib = broadcastIndex(c.shape(node.other), outShape);
        const x = c.value(node.input);
        const b = c.value(node.other);
        const f = node.op === 'add' ? (p: number, q: number) => p + q : node.op === 'sub' ? (p: number, q: number) => p - q : (p: number, q: number) => p * q;
        return Float64Array.from(ia, (i, k) => f(x[i]!, b[ib[k]!]!));
      },
      interval(node, c): Interval {
        const outShape = c.shape(node.output);
        const ia = broadcastIndex(c.shape(node.input), outShape);
        const ib = broadcastIndex(c.shape(node.other), outShape);
        const x = c.interval(node.input);
        const y = c.interval(node.other);
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
        return { lo, hi };
      },
      quantize(q, node) {
        let a = q.get(node.input, node);
        let b = q.get(node.other, node);
        if (node.op === 'mul') {
          if (a.pending) a = q.rescale(a, node.input, false, node.source);
          if (b.pending) b = q.rescale(b, node.other, false, node.source);
          const p = [a.min * b.min, a.min * b.max, a.max * b.min, a.max * b.max];
          q.push({ kind: 'mul', input: a.q, other: b.q, output: node.output, source: node.source });
          q.set(node.output, q.define(node.output, { scale: a.scale + b.scale, min: Math.min(...p), max: Math.max(...p), pending: true }, node.output));
          return;
        }
        const scale = Math.max(a.scale, b.scale);
        const shiftA = scale - a.scale;
        const shiftB = scale - b.scale;
        const [amin, amax] = [a.min * 2 ** shiftA, a.max * 2 ** shiftA];
        const [bmin, bmax] = [b.min * 2 ** shiftB, b.max * 2 ** shiftB];
        const subtract = node.op === 'sub';
        q.push({ kind: 'add', input: a.q, other: b.q, output: node.output, shiftA, shiftB, subtract, source: node.source });
        const ref = subtract ? { min: amin - bmax, max: amax - bmin } : { min: amin + bmin, max: amax + bmax };
        q.set(node.output, q.define(node.output, { scale, ...ref, pending: a.pending || b.pending }, node.output));
      },
    },
  },
  fixed: {
    addConst: {
      publicConstants: () => 'a constant operand (it would be a circuit constant)',
      // x + 0 is x itself (a zero point or bias of 0 in some channels).
      cost: (node, c) => ({ constraints: 0, output: c.kinds(node.input).map((k, i): ElementKind => (k === 'const' || node.constant[i] === 0 ? k : 'expr')) }),
      reference: (node, c) => c.value(node.input).map((v, i) => v + node.constant[i]!),
      emit: (em, node) =>
        em.set(
          node.output,
          em.get(node.input, node.source).map((e, i) => addConstant(e, node.constant[i]!)),
        ),
    },
    mulConst: {
      publicConstants: () => 'a constant operand (it would be a circuit constant)',
      // x·1 is x itself, x·0 the constant 0.
      cost: (node, c) => ({ constraints: 0, output: c.kinds(node.input).map((k, i): ElementKind => (k === 'const' || node.constant[i] === 0 ? 'const' : node.constant[i] === 1 ? k : 'expr')) }),
      reference: (node, c) => c.value(node.input).map((v, i) => v * node.constant[i]!),
      emit: (em, node) =>
        em.set(
          node.output,
          em.get(node.input, node.source).map((e, i) => combine([e], node.constant, i, 0)),
        ),
    },
    add: {
      cost: (node, c) => ({ constraints: 0, output: fillKinds(sizeOf(c.shape(node.output)), 'expr') }),
      reference(node, c) {
        const out = c.shape(node.output);
        const ia = broadcastIndex(c.shape(node.input), out);
        const ib = broadcastIndex(c.shape(node.other), out);
        const x = c.value(node.input);
        const b = c.value(node.other);
        const ka = 2 ** node.shiftA;
        const kb = (node.subtract ? -1 : 1) * 2 ** node.shiftB;
        return Array.from(ia, (i, k) => x[i]! * ka + b[ib[k]!]! * kb);
      },
      emit(em, node) {
        const shape = (name: string) => em.model.values[name]!.shape;
        const ia = broadcastIndex(shape(node.input), shape(node.output));
        const ib = broadcastIndex(shape(node.other), shape(node.output));
        const x = em.get(node.input, node.source);
        const b = em.get(node.other, node.source);
        const weights = [2 ** node.shiftA, (node.subtract ? -1 : 1) * 2 ** node.shiftB];
        em.set(
          node.output,
          Array.from(ia, (i, k) => combine([x[i]!, b[ib[k]!]!], weights, 0, 0)),
        );
      },
    },
    mul: {
      cost: (node, c) => ({ constraints: sizeOf(c.shape(node.output)), output: fillKinds(sizeOf(c.shape(node.output)), 'private') }),
      reference(node, c) {
        const out = c.shape(node.output);
        const ia = broadcastIndex(c.shape(node.input), out);
        const ib = broadcastIndex(c.shape(node.other), out);
        const x = c.value(node.input);
        const b = c.value(node.other);
        return Array.from(ia, (i, k) => x[i]! * b[ib[k]!]!);
      },
      emit(em, node, index) {
        const shape = (name: string) => em.model.values[name]!.shape;
        const ia = broadcastIndex(shape(node.input), shape(node.output));
        const ib = broadcastIndex(shape(node.other), shape(node.output));
        const x = em.get(node.input, node.source);
        const b = em.get(node.other, node.source);
        const name = `p${index}`;
        em.gadgets.Product = (em.gadgets.Product ?? 0) + ia.length;
        em.lines.push(`    signal ${name}[${ia.length}];`);
        ia.forEach((i, k) => em.lines.push(`    ${name}[${k}] <== (${formatExpr(x[i]!)}) * (${formatExpr(b[ib[k]!]!)});`));
        em.set(
          node.output,
          Array.from(ia, (_, k) => signalExpr(`${name}[${k}]`)),
        );
      },
    },
  },
});
