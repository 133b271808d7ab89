/**
 * Choosing how many threads snarkjs's BN254 curve uses in this thread (the curve itself, with
 * zkinfer's functions in its wasm module, is built by ../shared/curve.ts). snarkjs builds one curve per
 * thread and caches it in `globalThis.curve_bn128`; its MSMs and FFTs are split over a pool
 * of worker threads that ffjavascript sizes from `os.cpus().length`, with no option. Worker
 * pools that run many provers or verifiers side by side need fewer threads each, so the
 * curve is built once, up front, with the count they choose.
 */
import os from 'node:os';
import { buildCurve, sharedCurve } from '../shared/curve.js';

type Curve = { terminate(): Promise<void> };

/**
 * Builds and caches snarkjs's BN254 curve for this thread with `threads` worker threads
 * (undefined: snarkjs's default, one per core), unless one is cached already. One thread uses
 * ffjavascript's single-thread mode: the work runs in this thread, with no copies to and from
 * workers. The count is set by showing ffjavascript that many CPUs while the curve is built.
 */
export async function warmCurve(threads: number | undefined): Promise<void> {
  const g = globalThis as { curve_bn128?: Curve | null };
  if (g.curve_bn128) return;
  if (threads === 1) {
    const curve = await buildCurve(true);
    // a threaded curve cached while this one was built must not be replaced (its threads would be orphaned)
    if (!g.curve_bn128) g.curve_bn128 = curve;
    return;
  }
  // one build shared with every other caller that asks meanwhile (../shared/curve.ts)
  await sharedCurve(async () => {
    if (threads === undefined) return buildCurve(false); // ffjavascript caches it
    const cpus = os.cpus;
    const real = cpus();
    os.cpus = () => Array.from({ length: threads }, (_, i) => real[i % Math.max(real.length, 1)]!);
    try {
      return await buildCurve(false);
    } finally {
      os.cpus = cpus;
    }
  });
}

/** The cached curve of this thread, built by {@link warmCurve} with snarkjs's default thread count if there is none yet. */
export async function proverCurve(): Promise<Curve> {
  await warmCurve(undefined);
  return (globalThis as { curve_bn128?: Curve | null }).curve_bn128!;
}
