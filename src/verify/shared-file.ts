/**
 * Where a receipt's shared proof lives: `proofs/<digest>.json` in the receipt's own folder
 * (src/shared/shared-proof.ts). Kept free of the verifier's heavy modules, so the commands
 * can read it before they load them.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Reads the shared-proof file a receipt names, from beside the receipt.
 * @param receiptPath the receipt's file
 * @param ref the receipt's `sharedProof` field, if any
 * @returns the file's text; undefined when the receipt names none; null when the file is missing or unreadable
 */
export function readSharedProofBeside(receiptPath: string, ref: { digest: string } | undefined): string | null | undefined {
  if (!ref) return undefined;
  try {
    return readFileSync(join(dirname(receiptPath), 'proofs', `${ref.digest}.json`), 'utf8');
  } catch {
    return null;
  }
}
