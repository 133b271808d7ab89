/**
 * Choosing how many threads snarkjs's BN254 curve uses in this thread. snarkjs builds one
 * curve per thread and caches it in `globalThis.curve_bn128`; its MSMs and FFTs are split
 * over a pool of worker threads that ffjavascript sizes from `os.cpus().length`, with no
 * option. Worker pools that run many provers or verifiers side by side need fewer threads
 * each, so the curve is built once, up front, with the count they choose.
 */
import os from 'node:os';
import { sharedCurve } from '../shared/curve.js';

type Curve = { terminate(): Promise<void> };
type CurvesApi = { getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<Curve> };

/**
 * Builds and caches snarkjs's BN254 curve for this thread with `threads` worker threads
 * (undefined: snarkjs's default, one per core). One thread uses ffjavascript's
 * single-thread mode: the work runs in this thread, with no copies to and from workers.
 * The count is set by showing ffjavascript that many CPUs while the curve is built.
 */
export async function warmCurve(threads: number | undefined): Promise<void> {
  const curves = ((await import('snarkjs')) as unknown as { curves: CurvesApi }).curves; // loaded only when a curve is needed
  const g = globalThis as { curve_bn128?: Curve | null };
  if (threads === 1) {
    g.curve_bn128 ??= await curves.getCurveFromName('bn128', { singleThread: true });
    return;
  }
  await sharedCurve(async () => {
    if (threads === undefined) return curves.getCurveFromName('bn128');
    const cpus = os.cpus;
    const real = cpus();
    os.cpus = () => Array.from({ length: threads }, (_, i) => real[i % Math.max(real.length, 1)]!);
    try {
      return await curves.getCurveFromName('bn128');
    } finally {
      os.cpus = cpus;
    }
  });
}
