/**
 * Constraint costs under circom's O1 (the simplification zkinfer compiles models with), as
 * the operator modules state them. Under O1 circom removes only equalities between a signal
 * and another signal or a constant, and never removes a public signal, so besides each
 * gadget's own constraints: binding a gadget (or layer) input to a linear expression that is
 * neither a bare signal nor a constant costs one linear constraint, every layer output costs
 * one, and every public output costs one unless it is a bare private signal.
 * test/model-circuits/cost.ts predicts the same counts independently, and the compiled circuits are
 * checked against it.
 */
import { sizeOf } from '../ir/graph.js';
import type { QModel, QNode } from '../quant/model.js';
import { FIXED_OPS } from '../ops/registry.js';
import type { CostContext, ElementKind, FixedOp } from '../ops/types.js';
import { bindCost, fillKinds, GADGET_COST_O1 } from './gadget-cost.js';
import { convPoolAt } from './emit-conv-pool.js';

export { bindCost, fillKinds, GADGET_COST_O1 } from './gadget-cost.js';

/** The O1 constraint count of the model circuit with public inputs and outputs (plus the context square). */
export function predictConstraints(model: QModel): number {
  const kinds = new Map<string, ElementKind[]>([[model.input.name, fillKinds(sizeOf(model.input.shape), 'public')]]);
  const ctx: CostContext = { model, shape: (name) => model.values[name]!.shape, kinds: (name) => kinds.get(name)! };
  let n = 0;
  model.nodes.forEach((node, index) => {
    const fused = convPoolAt(model, index);
    if (fused) {
      // A convolution read only by a max pooling is emitted inside the pooling's template
      // (./emit-conv-pool.ts): its outputs stay expressions, and the comparisons need no bindings.
      const count = sizeOf(ctx.shape(node.output));
      if (node.kind === 'conv') {
        n += bindCost(ctx.kinds(node.input));
        kinds.set(node.output, fillKinds(count, 'expr'));
      } else {
        n += count * (fused.taps - 1) * GADGET_COST_O1.max2(fused.pool.bits);
        kinds.set(node.output, fillKinds(count, 'private'));
      }
      return;
    }
    const { constraints, output } = costOf(node, ctx);
    n += constraints;
    kinds.set(node.output, output);
  });
  return n + kinds.get(model.output.name)!.filter((k) => k !== 'private').length + 1;
}

function costOf<N extends QNode>(node: N, ctx: CostContext): { constraints: number; output: ElementKind[] } {
  return (FIXED_OPS[node.kind] as unknown as FixedOp<N>).cost(node, ctx);
}
