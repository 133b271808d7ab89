/**
 * snarkjs keeps one BN254 curve instance (with its worker threads) in
 * `globalThis.curve_bn128`; while it lives, Node cannot exit. Long-running processes keep
 * it warm on purpose; commands release it when they are done.
 *
 * ffjavascript builds the curve without remembering a build in progress: two callers that
 * ask for it before the first build ends get two curves, and the first one's worker threads
 * are orphaned — nothing can terminate them and the process never exits. Every zkinfer
 * caller therefore goes through {@link sharedCurve}, which shares one build.
 *
 * Every curve zkinfer builds ({@link buildCurve}) carries zkinfer's functions in its wasm
 * module: the batched-affine multi-exponentiation window (./wasm-msm.ts), the prover's coset
 * transform (./wasm-fft.ts) and the 29-bit-limb field multiplication (./wasm-field-mul.ts) in
 * place of wasmcurves'. Building it here, below the stages, lets a process that verifies first
 * and proves later prove on the same fast curve, and lets verification use the multiplication.
 */
import { fieldMulPlugin, type FieldModuleBuilder } from './wasm-field-mul.js';
import { fftPlugin } from './wasm-fft.js';
import { msmPlugin, type ModuleBuilder } from './wasm-msm.js';

/** The parts of ffjavascript's curve object this module touches. */
type Curve = { terminate(): Promise<void>; tm?: { workers?: Array<{ terminate?(): unknown } | undefined> } };

const g = globalThis as { curve_bn128?: Curve | null };
let building: Promise<Curve> | undefined;

/** Curves built here: their wasm module has zkinfer's functions. */
const withPlugins = new WeakSet<object>();

/** Whether a curve's wasm module has ./wasm-msm.ts's and ./wasm-fft.ts's functions (a curve built by {@link buildCurve}). */
export function hasBatchMsm(curve: object): boolean {
  return withPlugins.has(curve);
}

/**
 * Builds a BN254 curve with zkinfer's functions in its wasm module. Without singleThread,
 * ffjavascript caches it in `globalThis.curve_bn128` (snarkjs then uses it too) — and returns
 * the curve cached there, if any, instead of building one: that curve may lack the functions
 * ({@link hasBatchMsm} tells). A single-thread curve is always new and not cached.
 * @param singleThread ffjavascript's single-thread mode: the work runs in the calling thread
 */
export async function buildCurve(singleThread: boolean): Promise<Curve> {
  // snarkjs first: the copy of ffjavascript it brings (r1csfile's) empties `globalThis.curve_bn128`
  // when its module is first evaluated, which would orphan a threaded curve cached before
  if (!singleThread) await import('snarkjs');
  const { buildBn128 } = await import('ffjavascript'); // loaded only when a curve is needed
  if (!singleThread && g.curve_bn128) return g.curve_bn128;
  const curve = (await buildBn128(singleThread, (m) => {
    fieldMulPlugin(m as FieldModuleBuilder);
    msmPlugin(m as ModuleBuilder);
    fftPlugin(m as ModuleBuilder);
  })) as Curve;
  withPlugins.add(curve);
  return curve;
}

/**
 * The thread's cached BN254 curve of snarkjs, built once (with one worker per core) if there
 * is none; callers that arrive while it is being built wait for that build.
 * @param build how to build it when none is cached (default: {@link buildCurve} with worker
 *   threads); it must leave the curve in `globalThis.curve_bn128`
 */
export async function sharedCurve<T = unknown>(build?: () => Promise<unknown>): Promise<T> {
  if (g.curve_bn128) return g.curve_bn128 as T;
  building ??= (async () => {
    try {
      await (build ?? (() => buildCurve(false)))();
      if (!g.curve_bn128) throw new Error('the BN254 curve was built but not cached');
      return g.curve_bn128;
    } finally {
      building = undefined;
    }
  })();
  return (await building) as T;
}

/**
 * Terminates the cached BN254 curve's worker threads, if any. The threads are stopped
 * directly (ffjavascript's own `terminate` posts a message to each and then sleeps 200 ms,
 * and a thread that never reads the message keeps the process alive).
 */
export async function releaseCurve(): Promise<void> {
  if (building) await building.catch(() => undefined);
  const curve = g.curve_bn128;
  if (!curve) return;
  g.curve_bn128 = null;
  const workers = (curve.tm?.workers ?? []).filter((w) => typeof w?.terminate === 'function');
  if (workers.length === 0) {
    await curve.terminate();
    return;
  }
  for (const worker of workers) worker!.terminate!();
}
