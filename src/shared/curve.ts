/**
 * snarkjs keeps one BN254 curve instance (with its worker threads) in
 * `globalThis.curve_bn128`; while it lives, Node cannot exit. Long-running processes keep
 * it warm on purpose; commands release it when they are done.
 *
 * ffjavascript builds the curve without remembering a build in progress: two callers that
 * ask for it before the first build ends get two curves, and the first one's worker threads
 * are orphaned — nothing can terminate them and the process never exits. Every zkinfer
 * caller therefore goes through {@link sharedCurve}, which shares one build.
 */

/** The parts of ffjavascript's curve object this module touches. */
type Curve = { terminate(): Promise<void>; tm?: { workers?: Array<{ terminate?(): unknown } | undefined> } };
type CurvesApi = { getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<Curve> };

const g = globalThis as { curve_bn128?: Curve | null };
let building: Promise<Curve> | undefined;

/**
 * The thread's cached BN254 curve of snarkjs, built once (with one worker per core) if there
 * is none; callers that arrive while it is being built wait for that build.
 * @param build how to build it when none is cached (default: snarkjs's `getCurveFromName`);
 *   it must leave the curve in `globalThis.curve_bn128`
 */
export async function sharedCurve<T = unknown>(build?: () => Promise<unknown>): Promise<T> {
  if (g.curve_bn128) return g.curve_bn128 as T;
  building ??= (async () => {
    try {
      if (build) await build();
      else await ((await import('snarkjs')) as unknown as { curves: CurvesApi }).curves.getCurveFromName('bn128');
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
