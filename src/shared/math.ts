/**
 * Float functions shared by the stages and the verifiers: the logistic function, Softmax
 * (applied to a proven output outside the circuit) and ArgMax with ONNX tie rules.
 */

/** Number of elements in a shape. */
function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The logistic function. */
export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/**
 * The error function: its Maclaurin series for |x| ≤ 3 (terms stay below 200, so the
 * cancellation error is below 1e-13) and, beyond, 1 − erfc(x) with erfc from Laplace's
 * continued fraction evaluated 80 levels deep.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  let r: number;
  if (z <= 3) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = z;
    for (let k = 80; k >= 1; k--) f = z + k / 2 / f;
    r = 1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

/** Index of the largest value along `axis` (first or last on ties), as floats; the axis is removed. */
export function argMax(x: ArrayLike<number>, shape: readonly number[], axis: number, selectLast: boolean): Float64Array {
  const inner = sizeOf(shape.slice(axis + 1));
  const len = shape[axis]!;
  const outer = x.length / (inner * len);
  const y = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      for (let j = 1; j < len; j++) {
        const v = x[(o * len + j) * inner + i]!;
        const m = x[(o * len + best) * inner + i]!;
        if (v > m || (selectLast && v === m)) best = j;
      }
      y[o * inner + i] = best;
    }
  }
  return y;
}

/**
 * Softmax along `axis` of a row-major tensor; with `coerce2d` (opset < 13) the tensor is
 * flattened to [prod(shape[:axis]), prod(shape[axis:])] and normalised along the second axis.
 * With `log`, its logarithm (ONNX LogSoftmax): x − max − log Σ exp(x − max).
 */
export function softmax(x: ArrayLike<number>, shape: readonly number[], axis: number, coerce2d: boolean, log = false): Float64Array {
  const inner = coerce2d ? sizeOf(shape.slice(axis)) : sizeOf(shape.slice(axis + 1));
  const len = coerce2d ? inner : shape[axis]!;
  const stride = coerce2d ? 1 : inner;
  const block = coerce2d ? inner : len * inner;
  const y = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += block) {
    const lanes = coerce2d ? 1 : inner;
    for (let lane = 0; lane < lanes; lane++) {
      let max = -Infinity;
      for (let j = 0; j < len; j++) max = Math.max(max, x[base + lane + j * stride]!);
      let sum = 0;
      for (let j = 0; j < len; j++) sum += Math.exp(x[base + lane + j * stride]! - max);
      for (let j = 0; j < len; j++) {
        const i = base + lane + j * stride;
        y[i] = log ? x[i]! - max - Math.log(sum) : Math.exp(x[i]! - max) / sum;
      }
    }
  }
  return y;
}
