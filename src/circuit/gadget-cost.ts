/**
 * Gadget costs under circom's O1 (asserted by the gadget tests in test/gadgets) and the cost
 * of binding inputs, for the operator modules' cost rules (see ./cost.ts).
 */
import type { ElementKind } from '../ops/types.js';

/** Gadget costs under O1: internal constraints, excluding input bindings. */
export const GADGET_COST_O1 = {
  rescale: (k: number, b: number) => k + b + 2,
  max2: (b: number) => b + 3,
  /** Requantize(k, b, j, relu, c): j = 0 as a rescale; one bit above j costs less than more (no IsZero). */
  requantize: (k: number, b: number, j: number, relu: boolean) => k + b + (j === 0 ? 2 : relu ? (b - 2 === j ? 3 : 5) : b - 1 === j ? 5 : 10),
  argMax: (n: number, b: number) => n * (b + 4) + (n === 2 ? 1 : 2),
};

/** n elements of one kind. */
export const fillKinds = (n: number, k: ElementKind): ElementKind[] => new Array<ElementKind>(n).fill(k);

/** Constraints for binding gadget or layer inputs to these elements. */
export const bindCost = (kinds: readonly ElementKind[]): number => kinds.filter((k) => k === 'expr').length;
