/**
 * How each fixed-point node becomes Circom: linear nodes (linear, conv, addConst, mulConst,
 * sumPool, reshape) only build linear expressions; rescale and maxPool instantiate gadgets
 * whose costs are asserted in test/circuits.
 */
import { windowTaps } from '../ir/window.js';
import { sizeOf } from '../ir/graph.js';
import type { QNode } from '../quant/model.js';
import { addConstant, combine, type LinearExpr } from './linear-expr.js';
import { convTemplate, denseTemplate } from './emit-layers.js';
import { convPoolAt, convPoolTemplate } from './emit-conv-pool.js';
import { emitMove } from './emit-moves.js';
import { emitActivation } from './emit-activations.js';
import type { Emitter, GadgetInstance } from './emit.js';

/** Emits one node: sets its output's expressions, declaring gadgets where needed. */
export function emitNode(em: Emitter, node: QNode, index: number): void {
  const fused = convPoolAt(em.model, index);
  if (fused) {
    // A convolution read only by a max pooling is emitted with it, at the pooling's step.
    if (node.kind === 'conv') return;
    const { conv } = fused;
    const input = em.model.values[conv.input]!.shape;
    const convOut = em.model.values[conv.output]!.shape;
    const poolOut = em.model.values[node.output]!.shape;
    const name = `ConvPool${index}`;
    const windows = sizeOf(poolOut);
    em.set(node.output, em.layer(index, convPoolTemplate(name, fused, input, convOut, poolOut), name, em.get(conv.input, conv.source), windows));
    em.gadgets.MaxOf = (em.gadgets.MaxOf ?? 0) + windows;
    return;
  }
  const x = em.get(node.input, node.source);
  const shapes = () => ({ input: em.model.values[node.input]!.shape, output: em.model.values[node.output]!.shape });
  switch (node.kind) {
    case 'linear': {
      const rows = x.length / node.inFeatures;
      const name = `Dense${index}`;
      em.set(node.output, em.layer(index, denseTemplate(name, node, rows), name, x, rows * node.outFeatures));
      return;
    }
    case 'conv': {
      const { input, output } = shapes();
      const name = `Conv${index}`;
      em.set(node.output, em.layer(index, convTemplate(name, node, input, output), name, x, sizeOf(output)));
      return;
    }
    case 'addConst':
      em.set(node.output, x.map((e, i) => addConstant(e, node.constant[i]!)));
      return;
    case 'mulConst':
      em.set(node.output, x.map((e, i) => combine([e], node.constant, i, 0)));
      return;
    case 'reshape':
      em.set(node.output, x);
      return;
    case 'sumPool':
    case 'maxPool': {
      const { input, output } = shapes();
      const taps = windowTaps(node.window, input.slice(2), output.slice(2));
      const planes = input[0]! * input[1]!;
      const inSize = sizeOf(input.slice(2));
      const windows: LinearExpr[][] = [];
      for (let p = 0; p < planes; p++) {
        for (let o = 0; o < taps.outputs; o++) {
          const w: LinearExpr[] = [];
          for (let j = taps.start[o]!; j < taps.start[o + 1]!; j++) w.push(x[p * inSize + taps.inputIndex[j]!]!);
          windows.push(w);
        }
      }
      if (node.kind === 'sumPool') {
        const mult = (i: number) => (node.multiplier.length > 0 ? node.multiplier[i % taps.outputs]! : 1);
        em.set(node.output, windows.map((w, i) => combine(w, new Array<number>(w.length).fill(mult(i)), 0, 0)));
        return;
      }
      // Windows of one element pass through; the others become MaxOf instances.
      const gadgets: GadgetInstance[] = [];
      const slots: number[] = [];
      windows.forEach((w, i) => {
        if (w.length > 1) {
          slots.push(i);
          gadgets.push({ call: `MaxOf(${w.length}, ${node.bits})`, inputs: w.map((e, k) => [`in[${k}]`, e] as const) });
        }
      });
      const outs = em.instantiate(index, gadgets);
      const y = windows.map((w) => w[0]!);
      slots.forEach((s, k) => (y[s] = outs[k]!));
      em.set(node.output, y);
      return;
    }
    case 'rescale': {
      const call = `${node.halfEven ? 'RescaleHalfEven' : node.relu ? 'RescaleRelu' : 'RescaleSigned'}(${node.shift}, ${node.bits})`;
      em.set(node.output, em.instantiate(index, x.map((e) => ({ call, inputs: [['in', e] as const] }))));
      return;
    }
    case 'add':
    case 'mul':
    case 'concat':
    case 'transpose':
    case 'pad':
      return emitMove(em, node, index);
    case 'clamp':
    case 'leakyRelu':
    case 'squash':
    case 'argMax':
      return emitActivation(em, node, index);
    default:
      node satisfies never;
  }
}
