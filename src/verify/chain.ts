/**
 * Chained receipts: a pipeline of models where one model's hashed output is the next
 * model's hashed input (DESIGN.md "Visibility and commitments"). The value in between stays
 * private; the chain holds when each receipt verifies and each link's commitments are equal
 * — the same integers, committed in the same range with the same salt.
 */
import type { Receipt } from '../shared/receipt.js';
import { isHashedOutput } from '../shared/receipt.js';
import { verifyProof, type ProofVerdict, type VerifierKey, type VerifyOptions } from './verify.js';

/** The outcome for a chain of receipts. */
export interface ChainVerdict {
  valid: boolean;
  /** Why it is invalid (one line, naming the receipt or link). */
  reason?: string;
  /** Each receipt's own verdict, in order. */
  receipts: ProofVerdict[];
}

/**
 * Verifies a chain: receipt i with key i, and receipt i's hashed output commitment equal to
 * receipt i+1's hashed input commitment.
 * @param links the receipts in pipeline order, each with its model's verification key
 */
export async function verifyChain(links: readonly { receipt: Receipt; key: VerifierKey }[], options: VerifyOptions = {}): Promise<ChainVerdict> {
  const receipts: ProofVerdict[] = [];
  for (const [i, { receipt, key }] of links.entries()) {
    const v = await verifyProof(receipt, key, options);
    receipts.push(v);
    if (!v.valid) return { valid: false, reason: `receipt ${i}: ${v.reason}`, receipts };
  }
  for (let i = 0; i + 1 < links.length; i++) {
    const out = links[i]!.receipt.output;
    const next = links[i + 1]!.receipt.input;
    if (!isHashedOutput(out)) return { valid: false, reason: `link ${i}: receipt ${i}'s output is public, a chain needs it hashed`, receipts };
    if (next.visibility !== 'hashed') return { valid: false, reason: `link ${i}: receipt ${i + 1}'s input is public, a chain needs it hashed`, receipts };
    if (BigInt(out.commitment) !== BigInt(next.commitment)) return { valid: false, reason: `link ${i}: receipt ${i}'s output commitment differs from receipt ${i + 1}'s input commitment`, receipts };
  }
  return { valid: true, receipts };
}
