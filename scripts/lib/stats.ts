/**
 * Statistics of the benchmark scripts: one median, one quantile and one summary of timed
 * runs, so every figure in BENCHMARKS.md is computed the same way.
 */
import { percentile } from '../../src/prove/batch.js';

/** Median of a non-empty list (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The q-quantile (nearest rank, q in [0, 1]) of a non-empty list: the library's own percentile. */
export function quantile(xs: readonly number[], q: number): number {
  return percentile(xs, q * 100);
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** Median, 10th and 90th percentile of timed runs in ms (rounded to µs), and their count. */
export function summary(times: readonly number[]): { medianMs: number; p10Ms: number; p90Ms: number; runs: number } {
  return { medianMs: round(median(times)), p10Ms: round(quantile(times, 0.1)), p90Ms: round(quantile(times, 0.9)), runs: times.length };
}
