/**
 * How the reference executor refuses an input the circuit cannot prove: a quotient or a
 * proven difference outside the width it was compiled for. Shared by the operator modules.
 */
import { InputError } from '../shared/errors.js';
import { describeSource, type NodeSource } from '../ir/graph.js';

/** Throws the InputError naming the node whose calibrated range the input leaves. */
export function refuse(node: { source: NodeSource }, what: string): never {
  throw new InputError(`the input drives ${describeSource(node.source)} outside its calibrated range: ${what}; recompile with calibration data that covers such inputs`);
}

/** Checks that a proven difference d lies in [−2^bits, 2^bits). */
export function checkDifference(node: { source: NodeSource }, d: number, bits: number): void {
  const limit = 2 ** bits;
  if (d < -limit || d >= limit) refuse(node, `a difference of ${d} is not in [${-limit}, ${limit - 1}]`);
}

/** Checks that q lies in the signed range of `bits` bits. */
export function checkSigned(node: { source: NodeSource }, q: number, bits: number, i: number): void {
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  if (q < lo || q > hi) refuse(node, `value ${q} at index ${i} is not in [${lo}, ${hi}]`);
}
