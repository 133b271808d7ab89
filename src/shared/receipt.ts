/**
 * The receipt: one JSON document per inference (DESIGN.md "Receipts"). It names the model,
 * carries the input (or its commitment) and the output — dequantized values beside the
 * raw integers and their scale — and any evidence: a Groth16 proof with its public
 * signals, a TEE attestation over the receipt digest. The digest is SHA-256 over the
 * canonical JSON of {format, modelId, inputCommitment, output (shape, scale, raw), nonce}.
 *
 * An attestation block is written once by the TEE path (src/tee/infer.ts) and never
 * changed: it records the digest its provider signed and the output the TEE computed, so
 * that when a proof is attached later (and `output` becomes the proven one, with its own
 * digest) the attestation still verifies and the two outputs can be cross-checked.
 */
import { z } from 'zod';
import { sha256Json } from './hash.js';

export const RECEIPT_FORMAT = 'zkinfer.receipt/1';

const hex = (len?: number) => (len ? z.string().regex(new RegExp(`^[0-9a-f]{${len}}$`)) : z.string().regex(/^[0-9a-f]*$/));
const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/, 'expected a decimal field element');

export const groth16ProofSchema = z.object({
  protocol: z.literal('groth16'),
  curve: z.literal('bn128'),
  pi_a: z.array(decimal).length(3),
  pi_b: z.array(z.array(decimal).length(2)).length(3),
  pi_c: z.array(decimal).length(3),
});

/** The TEE's own output: float values from onnxruntime and their fixed-point integers. */
export const teeOutputSchema = z.object({
  /** round(values[i] · 2^scale), at the receipt output's scale; these integers are in the attested digest. */
  raw: z.array(z.number().int()),
  /** onnxruntime's float output of the proven part (for a model ending in Softmax: the logits). */
  values: z.array(z.number()),
  /** onnxruntime's final output (the softmax probabilities), when the model has an output transform. */
  probabilities: z.array(z.number()).optional(),
});
export type TeeOutput = z.infer<typeof teeOutputSchema>;

/**
 * A TEE attestation over a receipt digest (DESIGN.md "TEE path and policy"). Only
 * `document` is evidence; every other field says what it must bind, and a verifier checks
 * each against the document and the receipt.
 */
export const attestationSchema = z
  .object({
    /** Who made the document: an attestation vendor's name (`dev`, `nitro`, …: the registry in src/tee/registry.ts decides which exist). */
    provider: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'expected an attestation vendor name'),
    /** The document's encoding (each vendor's `format`, src/tee/registry.ts `ATTESTATION_FORMATS`). */
    format: z.string(),
    /** Whether the provider claims hardware backing; a verifier decides from the format, never from this flag. */
    hardware: z.boolean(),
    /** The attestation document, base64 (dev: JSON; nitro: the NSM's COSE_Sign1 CBOR; see each vendor). */
    document: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64'),
    /** The receipt digest the document carries as user data (the TEE receipt's digest). */
    digest: hex(64),
    /** The nonce the document carries; equal to the receipt nonce. */
    nonce: hex(),
    /** When the TEE asked for the document (informational; verifiers use the signed time). */
    createdAt: z.string(),
    /** The TEE's output whose integers the attested digest covers. */
    output: teeOutputSchema,
  })
  .loose();
export type Attestation = z.infer<typeof attestationSchema>;

export const receiptSchema = z.object({
  format: z.literal(RECEIPT_FORMAT),
  modelId: hex(64),
  keyId: hex(64).nullable(),
  input: z.object({
    visibility: z.literal('public'),
    shape: z.array(z.number().int().positive()),
    scale: z.number().int(),
    raw: z.array(z.number().int()),
    commitment: hex(64),
  }),
  output: z.object({
    shape: z.array(z.number().int().positive()),
    scale: z.number().int(),
    raw: z.array(z.number().int()),
    values: z.array(z.number()),
    semantics: z.string(),
    probabilities: z.array(z.number()).optional(),
  }),
  nonce: hex(),
  digest: hex(64),
  createdAt: z.string(),
  proof: groth16ProofSchema.optional(),
  publicSignals: z.array(z.string()).optional(),
  attestation: attestationSchema.optional(),
  timings: z.record(z.string(), z.number()).optional(),
});
export type Receipt = z.infer<typeof receiptSchema>;

/** SHA-256 commitment to a public input: canonical JSON of its shape, scale and integers. */
export function inputCommitment(input: { shape: readonly number[]; scale: number; raw: readonly number[] }): string {
  return sha256Json({ shape: input.shape, scale: input.scale, raw: input.raw });
}

/** The receipt digest that attestations sign. */
export function receiptDigest(r: Pick<Receipt, 'format' | 'modelId' | 'input' | 'output' | 'nonce'>): string {
  return sha256Json({
    format: r.format,
    modelId: r.modelId,
    inputCommitment: r.input.commitment,
    output: { shape: r.output.shape, scale: r.output.scale, raw: r.output.raw },
    nonce: r.nonce,
  });
}
