/**
 * Shared proofs: one Groth16 proof for N inferences of the same model (a model compiled with
 * `--inferences N`). The circuit holds N copies of the model's circuit; its public signals are
 * N consecutive slots, each laid out exactly as a single inference's public signals
 * (./layout.ts: output values or commitment, input values or commitment, then that
 * inference's own receipt context). Each real inference gets its own receipt, which holds
 * its slot's public signals and points at the shared-proof file by its digest and slot;
 * the shared-proof file sits beside the receipts, in `proofs/<digest>.json`.
 *
 * Padding: the last proof of a batch may have fewer inputs than slots. Each empty slot
 * proves a real input again (so the witness exists) with the context signal 0, and the file
 * lists it in `padding`. No receipt can name a padding slot: a receipt's context is a
 * SHA-256 (reduced mod 2^253) and is 0 with probability 2^-253, and the verifier refuses a
 * receipt that names a slot the file lists as padding, and a file whose padding slots do not
 * carry the context 0.
 *
 * The digest is SHA-256 over the canonical JSON of every field of the file, so a receipt
 * names exactly one file: a swapped, edited or re-labelled file has another digest.
 */
import { z } from 'zod';
import { sha256Json } from './canonical.js';
import { groth16ProofSchema, MAX_INFERENCES } from './receipt.js';

export { MAX_INFERENCES, sharedProofRefSchema, type SharedProofRef } from './receipt.js';

export const SHARED_PROOF_FORMAT = 'zkinfer.shared-proof/1';

/** The folder, beside the receipts, that holds shared-proof files. */
export const SHARED_PROOF_DIR = 'proofs';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const decimal = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, 'expected a decimal field element')
  .max(80);

/** A shared-proof file. */
export const sharedProofSchema = z.strictObject({
  format: z.literal(SHARED_PROOF_FORMAT),
  modelId: hex64,
  keyId: hex64,
  /** Slots in the proof (the manifest's `compileOptions.inferences`). */
  inferences: z.number().int().min(2).max(MAX_INFERENCES),
  /** Slots that carry padding (context 0), ascending; no receipt names them. */
  padding: z.array(z.number().int().min(0)),
  proof: groth16ProofSchema,
  /** All the proof's public signals: `inferences` slots of K signals each. */
  publicSignals: z.array(decimal),
  /** The digest of the other fields (see {@link sharedProofDigest}). */
  digest: hex64,
});
export type SharedProof = z.infer<typeof sharedProofSchema>;

/** SHA-256 over the canonical JSON of every field of a shared-proof file but `digest`. */
export function sharedProofDigest(p: Omit<SharedProof, 'digest'> & { digest?: string }): string {
  return sha256Json({ format: p.format, modelId: p.modelId, keyId: p.keyId, inferences: p.inferences, padding: p.padding, proof: p.proof, publicSignals: p.publicSignals });
}

/** The path of a shared-proof file relative to its receipts' folder. */
export function sharedProofFileName(digest: string): string {
  return `${SHARED_PROOF_DIR}/${digest}.json`;
}

/**
 * Parses a shared-proof file's text; never throws.
 * @returns the file, or the reason it is malformed
 */
export function parseSharedProof(text: string): { sharedProof?: SharedProof; reason?: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { reason: `malformed JSON: ${(e as Error).message}` };
  }
  const parsed = sharedProofSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { reason: `malformed shared proof: "${issue.path.join('.') || '(root)'}": ${issue.message}` };
  }
  return { sharedProof: parsed.data };
}

/**
 * The number of inferences per proof a manifest's artifacts hold: `compileOptions.inferences`,
 * recorded only when it is more than 1 (so single-inference model ids stay as they were).
 * @returns an integer in [1, MAX_INFERENCES], or undefined when the recorded value is malformed
 */
export function inferencesOf(manifest: { compileOptions: Record<string, unknown> }): number | undefined {
  const n = manifest.compileOptions.inferences;
  if (n === undefined) return 1;
  return typeof n === 'number' && Number.isInteger(n) && n >= 2 && n <= MAX_INFERENCES ? n : undefined;
}
