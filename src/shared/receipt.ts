/**
 * The receipt: one JSON document per inference (DESIGN.md "Receipts"). It names the model,
 * carries the input (or its commitment) and the output — dequantized values beside the
 * raw integers and their scale — and any evidence: a Groth16 proof with its public
 * signals, a TEE attestation over the receipt digest. The digest is SHA-256 over the
 * canonical JSON of {format, modelId, inputCommitment, output (shape, scale, raw), nonce}.
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
  attestation: z.record(z.string(), z.unknown()).optional(),
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
