/**
 * Constraint costs under circom's O1 (the simplification zkinfer compiles models with), as
 * the operator modules state them. Under O1 circom removes only equalities between a signal
 * and another signal or a constant, and never removes a public signal, so besides each
 * gadget's own constraints: binding a gadget (or layer) input to a linear expression that is
 * neither a bare signal nor a constant costs one linear constraint, every layer output costs
 * one, and every public output costs one unless it is a bare private signal.
 * test/circuit/cost.ts predicts the same counts independently, and the compiled circuits are
 * checked against it.
 */
import { sizeOf } from '../ir/graph.js';
import type { QModel, QNode } from '../quant/model.js';
import { FIXED_OPS } from '../ops/registry.js';
import type { CostContext, ElementKind, FixedOp } from '../ops/types.js';
import { fillKinds } from './gadget-cost.js';

export { bindCost, fillKinds, GADGET_COST_O1 } from './gadget-cost.js';

/** The O1 constraint count of the model circuit with public inputs and outputs (plus the context square). */
export function predictConstraints(model: QModel): number {
  const kinds = new Map<string, ElementKind[]>([[model.input.name, fillKinds(sizeOf(model.input.shape), 'public')]]);
  const ctx: CostContext = { model, shape: (name) => model.values[name]!.shape, kinds: (name) => kinds.get(name)! };
  let n = 0;
  for (const node of model.nodes) {
    const { constraints, output } = costOf(node, ctx);
    n += constraints;
    kinds.set(node.output, output);
  }
  return n + kinds.get(model.output.name)!.filter((k) => k !== 'private').length + 1;
}

function costOf<N extends QNode>(node: N, ctx: CostContext): { constraints: number; output: ElementKind[] } {
  return (FIXED_OPS[node.kind] as unknown as FixedOp<N>).cost(node, ctx);
}
