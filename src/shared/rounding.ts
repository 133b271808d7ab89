/**
 * The project's one set of rounding rules, used by the float executor, the quantizer, the
 * reference executor and the operator modules alike.
 */

/** Rounds to the nearest integer, exact halves to the even one (ONNX QuantizeLinear, numpy.round). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** floor((x + 2^(shift−1)) / 2^shift): division by 2^shift rounding half up; x itself for shift 0. */
export function rescaleValue(x: number, shift: number): number {
  return shift === 0 ? x : Math.floor((x + 2 ** (shift - 1)) / 2 ** shift);
}

/** x / 2^shift rounded half to even (shift ≥ 1). */
export function rescaleHalfEven(x: number, shift: number): number {
  const q = rescaleValue(x, shift);
  const tie = (x + 2 ** (shift - 1)) % 2 ** shift === 0;
  return tie && q % 2 !== 0 ? q - 1 : q;
}

/**
 * A rescale's output from its half-up quotient q (already range-checked): ReLU, then the
 * saturation to `saturate` bits when given ([0, 2^j − 1] after ReLU, else
 * [−2^(j−1), 2^(j−1) − 1]), as the Requantize gadget proves it.
 */
export function saturateQuotient(q: number, relu: boolean, saturate: number | undefined): number {
  const y = relu && q < 0 ? 0 : q;
  if (saturate === undefined) return y;
  return relu ? Math.min(y, 2 ** saturate - 1) : Math.min(Math.max(y, -(2 ** (saturate - 1))), 2 ** (saturate - 1) - 1);
}
