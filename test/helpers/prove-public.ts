/**
 * proveInference for tests of public models: the same call, with the receipt checked to be
 * public (input and output values in it) and typed so.
 */
import { proveInference, type ProveOptions } from '../../src/prove/prove.js';
import type { Artifacts } from '../../src/prove/artifacts.js';
import { isPublicReceipt, type PublicReceipt } from '../../src/shared/receipt.js';

/** {@link proveInference}, refusing a receipt with a hashed input or output. */
export async function provePublic(artifacts: Artifacts, input: ArrayLike<number>, options: ProveOptions = {}): Promise<PublicReceipt> {
  const receipt = await proveInference(artifacts, input, options);
  if (!isPublicReceipt(receipt)) throw new Error('expected a receipt with public input and output');
  return receipt;
}
