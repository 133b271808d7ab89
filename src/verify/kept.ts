/**
 * The verifier a resumed batch uses before it keeps a receipt already in its folder. The
 * batch (src/prove/batch.ts) runs before verification in the pipeline and cannot import
 * it, so the caller hands it this check; it is {@link verifyMany} — bindings checked one by
 * one, proofs in batches of one pairing equation — so checking thousands of kept receipts
 * costs seconds, not a re-proof.
 */
import type { KeptReceiptCheck } from '../prove/batch.js';
import { verifyMany } from './many.js';
import type { VerifierKey } from './verify.js';

/**
 * A {@link KeptReceiptCheck} for `proveBatch`'s `checkKept` option.
 * @param key the verification key and manifest of the artifacts being proven ({@link loadVerifierKey})
 * @param options.concurrency verifier threads (default: as {@link verifyMany})
 * @returns a function giving one verdict per receipt file, in order
 */
export function keptReceiptCheck(key: VerifierKey, options: { concurrency?: number } = {}): KeptReceiptCheck {
  return async (files) => {
    const summary = await verifyMany(files, key, { concurrency: options.concurrency });
    return summary.results.map((r) => ({ valid: r.valid, reason: r.reason }));
  };
}
