/**
 * snarkjs keeps one BN254 curve instance (with its worker threads) in
 * `globalThis.curve_bn128`; while it lives, Node cannot exit. Long-running processes keep
 * it warm on purpose; commands release it when they are done.
 */

/** Terminates the cached BN254 curve's worker threads, if any. */
export async function releaseCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const curve = g.curve_bn128;
  if (curve) {
    g.curve_bn128 = null;
    await curve.terminate();
  }
}
