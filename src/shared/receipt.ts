/**
 * The receipt: one JSON document per inference (DESIGN.md "Receipts"). It names the model,
 * carries the input (or, hashed, only its salted Poseidon commitment) and the output (or,
 * hashed, only its commitment) — dequantized values beside the
 * raw integers and their scale — and any evidence: a Groth16 proof with its public
 * signals, a TEE attestation over the receipt digest. The digest is SHA-256 over the
 * canonical JSON of {format, modelId, inputCommitment, output (shape, scale, raw), nonce,
 * createdAt}.
 *
 * Every field either is bound by the evidence and checked by the verifier, or is refused:
 * the schemas are strict (an unknown field anywhere is an error), the output's `values`,
 * `probabilities` and `semantics` are recomputed from the proven integers and the manifest,
 * and the model id, nonce and creation time are bound into the proof through the context
 * public signal (./context.ts).
 *
 * An attestation block is written once by the TEE path (src/tee/infer.ts) and never
 * changed: it records the digest its provider signed and the output the TEE computed, so
 * that when a proof is attached later (and `output` becomes the proven one, with its own
 * digest) the attestation still verifies and the two outputs can be cross-checked.
 *
 * The sealed receipt ({@link sealedReceiptSchema}) is the encrypted TEE path's variant
 * (src/tee/encrypted/): same format, but input and output are `hashed` — salted Poseidon
 * commitments (./commitment.ts) and no values — and its only evidence is the attestation
 * of the enclave that decrypted the input; it never carries a proof. Its digest covers
 * the output commitment instead of the output integers, and the enclave's HPKE key.
 */
import { z } from 'zod';
import { sha256Json } from './canonical.js';
import { isNonce, isReceiptTime } from './nonce.js';

export const RECEIPT_FORMAT = 'zkinfer.receipt/2';

/** How far `output.probabilities` may be from the softmax of the proven logits (float64 rounding in another implementation). */
export const PROBABILITY_TOLERANCE = 1e-9;

const hex = (len?: number) => (len ? z.string().regex(new RegExp(`^[0-9a-f]{${len}}$`)) : z.string().regex(/^[0-9a-f]*$/));
const decimal = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, 'expected a decimal field element')
  .max(80);
const nonce = z.string().refine(isNonce, 'expected 2 to 1024 lowercase hex digits (an even number)');
const time = z.string().refine(isReceiptTime, 'expected an ISO 8601 UTC time with milliseconds, as 2026-12-02T07:04:44.123Z');
const integers = z.array(z.number().int());

/**
 * A Groth16 proof as snarkjs writes it: affine points with their projective z fixed to 1
 * (G1: [x, y, "1"]; G2: [[x0, x1], [y0, y1], ["1", "0"]]). Coordinates are decimal strings;
 * that they are canonical (below the base field's modulus), on the curve and, for G2, in
 * the prime-order subgroup is checked by the verifier (src/verify/points.ts).
 */
export const groth16ProofSchema = z.strictObject({
  protocol: z.literal('groth16'),
  curve: z.literal('bn128'),
  pi_a: z.tuple([decimal, decimal, z.literal('1')]),
  pi_b: z.tuple([z.tuple([decimal, decimal]), z.tuple([decimal, decimal]), z.tuple([z.literal('1'), z.literal('0')])]),
  pi_c: z.tuple([decimal, decimal, z.literal('1')]),
});

/** The TEE's own output: float values from onnxruntime and their fixed-point integers. */
export const teeOutputSchema = z.strictObject({
  /** round(values[i] · 2^scale), at the receipt output's scale; these integers are in the attested digest. */
  raw: integers,
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
export const attestationSchema = z.strictObject({
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
  nonce,
  /** When the TEE asked for the document; equal to the receipt's createdAt, which the digest binds (verifiers use the document's signed time). */
  createdAt: time,
  /** The TEE's output whose integers the attested digest covers. */
  output: teeOutputSchema,
});
export type Attestation = z.infer<typeof attestationSchema>;

/** A public input: its integers, and their SHA-256 commitment (see {@link inputCommitment}). */
export const publicInputSchema = z.strictObject({
  visibility: z.literal('public'),
  shape: z.array(z.number().int().positive()),
  scale: z.number().int(),
  raw: integers,
  commitment: hex(64),
});
/**
 * A hashed input: no values, only their salted Poseidon commitment (src/shared/commitment.ts),
 * a decimal field element equal to the proof's commitment signal.
 */
export const hashedInputSchema = z.strictObject({
  visibility: z.literal('hashed'),
  shape: z.array(z.number().int().positive()),
  scale: z.number().int(),
  commitment: decimal,
});
/** A public output: the proven integers, their dequantized values and (for a final Softmax) probabilities. */
export const publicOutputSchema = z.strictObject({
  shape: z.array(z.number().int().positive()),
  scale: z.number().int(),
  raw: integers,
  values: z.array(z.number()),
  semantics: z.string(),
  probabilities: z.array(z.number()).optional(),
});
/** A hashed output: no values, only their salted Poseidon commitment (a decimal field element). */
export const hashedOutputSchema = z.strictObject({
  visibility: z.literal('hashed'),
  shape: z.array(z.number().int().positive()),
  scale: z.number().int(),
  semantics: z.string(),
  commitment: decimal,
});
export type PublicInput = z.infer<typeof publicInputSchema>;
export type HashedInput = z.infer<typeof hashedInputSchema>;
export type PublicOutput = z.infer<typeof publicOutputSchema>;
export type HashedOutput = z.infer<typeof hashedOutputSchema>;

/** The most inferences one circuit may hold (`compile --inferences`). */
export const MAX_INFERENCES = 256;

/**
 * A receipt's pointer to the shared proof that proves it (artifacts compiled with
 * `--inferences N`; ./shared-proof.ts): the shared-proof file's digest and the receipt's slot.
 */
export const sharedProofRefSchema = z.strictObject({
  /** SHA-256 of the shared-proof file's canonical content; the file is `proofs/<digest>.json` beside the receipt. */
  digest: hex(64),
  /** The receipt's slot: its public signals are the proof's `[slot·K, (slot+1)·K)`. */
  slot: z
    .number()
    .int()
    .min(0)
    .max(MAX_INFERENCES - 1),
});
export type SharedProofRef = z.infer<typeof sharedProofRefSchema>;
/**
 * The private weights a proof used (a model compiled with `--weights hashed`): only their
 * salted Poseidon commitment, a decimal field element equal to the proof's weight signal and
 * to the manifest's.
 */
export const hashedWeightsSchema = z.strictObject({ visibility: z.literal('hashed'), commitment: decimal });

export const receiptSchema = z.strictObject({
  format: z.literal(RECEIPT_FORMAT),
  modelId: hex(64),
  keyId: hex(64).nullable(),
  input: z.discriminatedUnion('visibility', [publicInputSchema, hashedInputSchema]),
  output: z.union([publicOutputSchema, hashedOutputSchema]),
  weights: hashedWeightsSchema.optional(),
  nonce,
  createdAt: time,
  digest: hex(64),
  proof: groth16ProofSchema.optional(),
  /**
   * For a model compiled with `--inferences N` (N > 1), in place of `proof`: the shared proof
   * that proves this receipt and its slot (./shared-proof.ts); `publicSignals` are then the
   * slot's signals.
   */
  sharedProof: sharedProofRefSchema.optional(),
  publicSignals: z.array(decimal).optional(),
  attestation: attestationSchema.optional(),
});
export type Receipt = z.infer<typeof receiptSchema>;
/** A receipt whose input and output are both public (every receipt of a public model; the TEE path's). */
export type PublicReceipt = Receipt & { input: PublicInput; output: PublicOutput };

/** The output's dequantized values, or undefined when the output is hashed (for displays). */
export function outputValues(output: PublicOutput | HashedOutput): number[] | undefined {
  return isHashedOutput(output) ? undefined : output.values;
}

/** Whether both the receipt's input and output are public. */
export function isPublicReceipt(r: Receipt): r is PublicReceipt {
  return r.input.visibility === 'public' && !isHashedOutput(r.output);
}

const fieldElement = decimal;

/** A tensor known by its salted Poseidon commitment only (the values stay with their owner). */
const hashedTensor = {
  visibility: z.literal('hashed'),
  shape: z.array(z.number().int().positive()),
  scale: z.number().int(),
  /** The salted Poseidon commitment (src/shared/commitment.ts), a decimal field element. */
  commitment: fieldElement,
};

/** The attestation block of a sealed receipt: as {@link attestationSchema}, without the output (which stays encrypted). */
export const sealedAttestationSchema = attestationSchema.omit({ output: true });
export type SealedAttestation = z.infer<typeof sealedAttestationSchema>;

/**
 * A receipt of the encrypted TEE path: commitments to input and output, the enclave's HPKE
 * key the request was encrypted to, and the enclave's attestation over the digest. No
 * proof: acceptance is by attestation only, where the policy allows it.
 */
export const sealedReceiptSchema = z.strictObject({
  format: z.literal(RECEIPT_FORMAT),
  modelId: hex(64),
  input: z.strictObject(hashedTensor),
  output: z.strictObject({ ...hashedTensor, semantics: z.string() }),
  /** The enclave's HPKE public key (X25519, 32 bytes, hex), which its attestation documents carry. */
  enclaveKey: hex(64),
  nonce,
  createdAt: time,
  digest: hex(64),
  attestation: sealedAttestationSchema,
});
export type SealedReceipt = z.infer<typeof sealedReceiptSchema>;

/** Whether parsed receipt data is a sealed (encrypted-path) receipt rather than a public one. */
export function isSealedReceipt(r: Receipt | SealedReceipt): r is SealedReceipt {
  return r.input.visibility === 'hashed';
}

/**
 * The digest a sealed receipt's attestation signs: SHA-256 over the canonical JSON of
 * {format, modelId, input: {shape, scale, commitment}, output: {shape, scale, commitment},
 * enclaveKey, nonce, createdAt}. Its keys differ from {@link receiptDigest}'s, so a sealed
 * and a public receipt never share a digest.
 */
export function sealedReceiptDigest(r: Pick<SealedReceipt, 'format' | 'modelId' | 'input' | 'output' | 'enclaveKey' | 'nonce' | 'createdAt'>): string {
  return sha256Json({
    format: r.format,
    modelId: r.modelId,
    input: { visibility: 'hashed', shape: r.input.shape, scale: r.input.scale, commitment: r.input.commitment },
    output: { visibility: 'hashed', shape: r.output.shape, scale: r.output.scale, commitment: r.output.commitment },
    enclaveKey: r.enclaveKey,
    nonce: r.nonce,
    createdAt: r.createdAt,
  });
}

/** SHA-256 commitment to a public input: canonical JSON of its shape, scale and integers. */
export function inputCommitment(input: { shape: readonly number[]; scale: number; raw: readonly number[] }): string {
  return sha256Json({ shape: input.shape, scale: input.scale, raw: input.raw });
}

/** A public input block: the integers in the model input's shape and scale, with their commitment. */
export function publicInput(model: { input: { shape: readonly number[]; scale: number } }, raw: number[]): PublicInput {
  const block = { visibility: 'public' as const, shape: [...model.input.shape], scale: model.input.scale, raw, commitment: '' };
  block.commitment = inputCommitment(block);
  return block;
}

/**
 * Assembles a receipt (before any proof or attestation is attached): the format, the
 * artifacts' model and key ids, the given blocks, and the digest over them.
 */
export function assembleReceipt<I extends Receipt['input'], O extends Receipt['output']>(
  manifest: { modelId: string; keyId: string | null },
  blocks: { input: I; output: O; weights?: Receipt['weights']; nonce: string; createdAt: string },
): Receipt & { input: I; output: O } {
  const body = {
    format: RECEIPT_FORMAT,
    modelId: manifest.modelId,
    keyId: manifest.keyId,
    input: blocks.input,
    output: blocks.output,
    ...(blocks.weights ? { weights: blocks.weights } : {}),
    nonce: blocks.nonce,
    createdAt: blocks.createdAt,
  } as const;
  return { ...body, digest: receiptDigest(body) };
}

/** Whether a receipt's output is hashed (carries a commitment, no values). */
export function isHashedOutput(output: PublicOutput | HashedOutput): output is HashedOutput {
  return 'visibility' in output && output.visibility === 'hashed';
}

/**
 * The receipt digest that attestations sign. A hashed output is represented by its commitment
 * in place of its integers; the weight commitment of a model with private weights is covered
 * too (absent otherwise, so public models' digests are unchanged).
 */
export function receiptDigest(r: Pick<Receipt, 'format' | 'modelId' | 'input' | 'output' | 'nonce' | 'createdAt'> & { weights?: Receipt['weights'] }): string {
  return sha256Json({
    format: r.format,
    modelId: r.modelId,
    inputCommitment: r.input.commitment,
    output: isHashedOutput(r.output) ? { shape: r.output.shape, scale: r.output.scale, commitment: r.output.commitment } : { shape: r.output.shape, scale: r.output.scale, raw: r.output.raw },
    ...(r.weights ? { weightsCommitment: r.weights.commitment } : {}),
    nonce: r.nonce,
    createdAt: r.createdAt,
  });
}
