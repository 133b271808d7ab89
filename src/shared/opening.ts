/**
 * Openings: what the data owner keeps so that a hashed tensor can later be disclosed to an
 * auditor (DESIGN.md "Visibility and commitments"). An opening holds, for each hashed tensor
 * of one receipt, its integers and the salt of its commitment; `checkOpening` recomputes the
 * commitment (src/shared/commitment.ts, circomlibjs's Poseidon) and checks every value lies in
 * the range the manifest declares. Nobody without the opening learns the values: the salt
 * is a uniformly random field element, so hashing guesses of a low-entropy tensor finds nothing.
 *
 * Format `zkinfer.opening/1`, strict JSON:
 *   { format, modelId, receiptDigest, input?: { raw, salt }, output?: { raw, salt } }
 * `salt` is a decimal field element; `raw` the tensor's integers, row-major.
 */
import { z } from 'zod';
import { commitTensor, type ValueRange } from './commitment.js';
import { FIELD_MODULUS } from './field.js';
import type { IoDeclaration } from './layout.js';
import { isHashedOutput, type Receipt } from './receipt.js';

export const OPENING_FORMAT = 'zkinfer.opening/1';

const decimal = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, 'expected a decimal field element')
  .max(80)
  .refine((s) => BigInt(s) < FIELD_MODULUS, 'expected a field element below p');
const tensorOpeningSchema = z.strictObject({ raw: z.array(z.number().int()), salt: decimal });

export const openingSchema = z.strictObject({
  format: z.literal(OPENING_FORMAT),
  modelId: z.string().regex(/^[0-9a-f]{64}$/),
  /** The digest of the receipt this opens. */
  receiptDigest: z.string().regex(/^[0-9a-f]{64}$/),
  input: tensorOpeningSchema.optional(),
  output: tensorOpeningSchema.optional(),
});
export type Opening = z.infer<typeof openingSchema>;
export type TensorOpening = z.infer<typeof tensorOpeningSchema>;

/**
 * The range a hashed tensor is committed in: the smallest signed range [−2^(k−1), 2^(k−1) − 1]
 * holding the declared [min, max]. For an input it is the declared range itself; for an
 * output it depends only on its width, so that an output committed by one model and the
 * same integers as the input of another (same width) have one commitment.
 */
export function commitmentRange(declared: ValueRange): ValueRange {
  let k = 1;
  while (-(2 ** (k - 1)) > declared.min || 2 ** (k - 1) - 1 < declared.max) k++;
  return { min: -(2 ** (k - 1)), max: 2 ** (k - 1) - 1 };
}

/** The outcome of {@link checkOpening}. */
export interface OpeningVerdict {
  valid: boolean;
  /** Why it is refused (one line). */
  reason?: string;
  /** The disclosed integers of each hashed tensor, when valid. */
  disclosed?: { input?: number[]; output?: number[] };
}

/**
 * Parses an opening from JSON text.
 * @returns the opening, or the reason it is malformed
 */
export function parseOpening(text: string): { opening?: Opening; reason?: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { reason: `malformed JSON: ${(e as Error).message}` };
  }
  const parsed = openingSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { reason: `malformed opening: "${issue.path.join('.') || '(root)'}": ${issue.message}` };
  }
  return { opening: parsed.data };
}

/**
 * Checks that an opening discloses the receipt's hashed tensors: same model and receipt, and
 * for each hashed tensor the right number of integers, each in the declared range, whose
 * salted commitment is the receipt's. It does not check the receipt's proof (verify it too).
 * @param io the manifest's `io` block (ranges and shapes)
 */
export async function checkOpening(receipt: Receipt, opening: Opening, io: IoDeclaration): Promise<OpeningVerdict> {
  const refuse = (reason: string): OpeningVerdict => ({ valid: false, reason });
  if (opening.modelId !== receipt.modelId) return refuse('the opening is for another model than the receipt');
  if (opening.receiptDigest !== receipt.digest) return refuse('the opening is for another receipt (its receiptDigest differs)');
  const disclosed: { input?: number[]; output?: number[] } = {};
  let any = false;
  for (const of of ['input', 'output'] as const) {
    const tensor = receipt[of];
    const hashed = of === 'input' ? receipt.input.visibility === 'hashed' : isHashedOutput(receipt.output);
    const part = opening[of];
    if (!hashed) {
      if (part) return refuse(`the receipt's ${of} is public; the opening must not carry it`);
      continue;
    }
    if (!part) return refuse(`the opening does not carry the hashed ${of}`);
    const declared = io[of];
    const n = declared.shape.reduce((a, b) => a * b, 1);
    if (part.raw.length !== n) return refuse(`the opening's ${of} has ${part.raw.length} values, the model's ${of} has ${n}`);
    for (let i = 0; i < n; i++) {
      const v = part.raw[i]!;
      if (v < declared.min || v > declared.max) return refuse(`${of} value ${i} (${v}) is outside the declared range [${declared.min}, ${declared.max}]`);
    }
    const commitment = await commitTensor(part.raw, commitmentRange(declared), BigInt(part.salt));
    if (commitment !== BigInt((tensor as { commitment: string }).commitment)) return refuse(`the opening's ${of} does not match the receipt's ${of} commitment`);
    disclosed[of] = part.raw;
    any = true;
  }
  if (!any) return refuse('the receipt has no hashed tensor to open');
  return { valid: true, disclosed };
}

export { openingPathFor } from './opening-path.js';
