/**
 * Piecewise-linear approximations of Sigmoid, Tanh and Erf for the circuit. Both are odd around a
 * centre: f(x) = c + sign(x)·g(|x|) with g concave, increasing and saturating on [0, ∞)
 * (sigmoid: c = ½, g(u) = σ(u) − ½; tanh: c = 0, g = tanh; erf: c = 0, g = erf). g is replaced by the minimum of
 * a few lines — the chords of g between greedily chosen knots, each segment as long as its
 * chord stays within `tolerance` of g, then a flat line once g is within `tolerance` of its
 * limit — all lifted by tolerance/2, so |min(lines) − g| ≤ tolerance/2 everywhere (a concave
 * function lies above its chords, and the minimum of the chord lines is the interpolant).
 */
import { erf, sigmoid } from '../shared/math.js';

/** A line a·u + b. */
export interface Line {
  a: number;
  b: number;
}

/** The approximation of one function. */
export interface OddPwl {
  /** f(x) = centre + sign(x)·g(|x|). */
  centre: number;
  /** g(u) ≈ min over lines, for u ≥ 0; slopes decrease. */
  lines: Line[];
  /** max |min(lines)(u) − g(u)| over u ≥ 0 (checked on a fine grid). */
  maxError: number;
}

/** Default tolerance: the approximation is within ±0.005 of the function. */
export const PWL_TOLERANCE = 0.01;

const cache = new Map<string, OddPwl>();

/** The piecewise-linear approximation of sigmoid or tanh within tolerance/2. */
export function oddPwl(fn: 'sigmoid' | 'tanh' | 'erf', tolerance = PWL_TOLERANCE): OddPwl {
  const key = `${fn}:${tolerance}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const g = fn === 'sigmoid' ? (u: number) => sigmoid(u) - 0.5 : fn === 'erf' ? erf : Math.tanh;
  const limit = fn === 'sigmoid' ? 0.5 : 1;
  const step = 1 / 256;
  const chordError = (t0: number, t1: number) => {
    const a = (g(t1) - g(t0)) / (t1 - t0);
    let e = 0;
    for (let u = t0; u <= t1; u += step / 4) e = Math.max(e, g(u) - (g(t0) + a * (u - t0)));
    return e;
  };
  const lines: Line[] = [];
  let t0 = 0;
  while (limit - g(t0) > tolerance) {
    let t1 = t0 + step;
    while (chordError(t0, t1 + step) <= tolerance && limit - g(t1) > tolerance) t1 += step;
    const a = (g(t1) - g(t0)) / (t1 - t0);
    lines.push({ a, b: g(t0) - a * t0 + tolerance / 2 });
    t0 = t1;
  }
  lines.push({ a: 0, b: g(t0) + tolerance / 2 });
  let maxError = 0;
  for (let u = 0; u <= t0 + 4; u += step) maxError = Math.max(maxError, Math.abs(Math.min(...lines.map((l) => l.a * u + l.b)) - g(u)));
  maxError = Math.max(maxError, Math.abs(lines[lines.length - 1]!.b - limit));
  const pwl = { centre: fn === 'sigmoid' ? 0.5 : 0, lines, maxError };
  cache.set(key, pwl);
  return pwl;
}
