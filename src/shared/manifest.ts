/**
 * The artifacts manifest (`manifest.json`): what a compiled model is (hashes of every
 * artifact, quantization, circuit size, setup origin, provenance) and its two identities.
 * The model id names the function proven — SHA-256 over the ONNX hash, the compile
 * options, the provenance block and the r1cs hash — and survives a new setup; the key id
 * is the SHA-256 of the verification key's canonical JSON.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { VerifyError } from './errors.js';
import { sha256Json } from './canonical.js';

export const MANIFEST_FORMAT = 'zkinfer.manifest/2';

/** Authors, data and licence behind a model. */
export const provenanceSchema = z
  .object({
    name: z.string().optional(),
    authors: z.array(z.string()).optional(),
    dataSources: z.array(z.unknown()).optional(),
    license: z.string().optional(),
  })
  .loose();
export type Provenance = z.infer<typeof provenanceSchema>;

/**
 * Format tag of a signed provenance record (src/provenance/record.ts). A provenance block
 * carrying it is compiled only after its signatures and ONNX hash are checked.
 */
export const PROVENANCE_RECORD_FORMAT = 'zkinfer.provenance/1';

/**
 * What compile established about the provenance block: `verified` for a signed record whose
 * signatures and ONNX hash were checked, `unverified` for free text. Anyone can re-check a
 * record, since the whole record is the manifest's provenance block.
 */
export const provenanceStatusSchema = z.object({ status: z.enum(['verified', 'unverified']), note: z.string() }).loose();
export type ProvenanceStatus = z.infer<typeof provenanceStatusSchema>;

const fileSchema = z.object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

const hexBytes = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${2 * n}}$`), `expected ${n} bytes of lowercase hex`);

/**
 * One phase-2 contribution as the zkey records it (snarkjs `zkey_utils.js`, section 10): its
 * public key — δ after it ([δ]₁), the proof-of-knowledge pair g1_s, g1_sx = x·g1_s and
 * g2_spx = x·hashToG2(transcript) — in uncompressed form (big-endian x‖y, as snarkjs hashes
 * them), the transcript, and its hash: BLAKE2b-512 of those, the hash snarkjs prints and a
 * contributor publishes. `name` is a claim (not covered by the hash); `by: "compile"` marks
 * the compiling party's own contribution and beacon.
 */
export const phase2ContributionSchema = z.strictObject({
  name: z.string(),
  hash: hexBytes(64),
  type: z.enum(['contribution', 'beacon']),
  beacon: z.strictObject({ value: z.string().regex(/^([0-9a-f]{2}){1,255}$/), iterationsExp: z.number().int() }).optional(),
  by: z.literal('compile').optional(),
  deltaAfter: hexBytes(64),
  g1S: hexBytes(64),
  g1Sx: hexBytes(64),
  g2Spx: hexBytes(128),
  transcript: hexBytes(64),
});
export type Phase2Contribution = z.infer<typeof phase2ContributionSchema>;

/** A key's phase-2 chain: the circuit hash the first contribution builds on, and the contributions in order. */
export const phase2ChainSchema = z.strictObject({ circuitHash: hexBytes(64), contributions: z.array(phase2ContributionSchema) });
export type Phase2Chain = z.infer<typeof phase2ChainSchema>;

/** The manifest's declaration of private weights. */
export const weightsDeclarationSchema = z.strictObject({
  visibility: z.literal('hashed'),
  commitment: z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/)
    .max(80),
  /** Weights and biases committed. */
  count: z.number().int().positive(),
  segments: z.array(z.strictObject({ node: z.number().int().min(0), tensor: z.enum(['weight', 'bias']), count: z.number().int().positive(), min: z.number().int(), max: z.number().int() })).min(1),
});
export type WeightsDeclaration = z.infer<typeof weightsDeclarationSchema>;

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  name: z.string(),
  modelId: z.string().regex(/^[0-9a-f]{64}$/),
  keyId: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  files: z.object({
    /** The ONNX file compiled; null for a model with private weights, whose ONNX file stays with its owner. */
    onnx: fileSchema.nullable(),
    circuit: fileSchema,
    quantized: fileSchema,
    r1cs: fileSchema,
    wasm: fileSchema,
    zkey: fileSchema.nullable(),
    vkey: fileSchema.nullable(),
  }),
  compileOptions: z.record(z.string(), z.unknown()),
  io: z.object({
    input: z.object({
      name: z.string(),
      shape: z.array(z.number()),
      scale: z.number(),
      bits: z.number(),
      min: z.number(),
      max: z.number(),
      visibility: z.enum(['public', 'hashed']),
      /** An int8 model's input quantization (its leading QuantizeLinear), applied outside the circuit. */
      quantization: z.object({ scale: z.array(z.number()), zeroPoint: z.array(z.number()), min: z.number(), max: z.number() }).optional(),
    }),
    output: z.object({
      shape: z.array(z.number()),
      scale: z.number(),
      min: z.number(),
      max: z.number(),
      visibility: z.enum(['public', 'hashed']),
      semantics: z.string(),
      transform: z.object({ kind: z.literal('softmax'), axis: z.number(), coerce2d: z.boolean(), log: z.literal(true).optional() }).optional(),
      /**
       * A public output packed into as few public signals as its width allows (src/shared/layout.ts):
       * bits per value, values per signal, signals. Absent: one signal per value (manifests
       * written before packing, or compiled with packing off).
       */
      packing: z.strictObject({ bits: z.number().int().min(1).max(252), perSignal: z.number().int().min(1), signals: z.number().int().min(1) }).optional(),
    }),
    /**
     * Private weights (`--weights hashed`, src/quant/weights.ts): the public commitment, a
     * decimal field element, and the committed segments (what the circuit range-checks and
     * hashes, in order). Absent: the weights are circuit constants.
     */
    weights: weightsDeclarationSchema.optional(),
  }),
  quantization: z.record(z.string(), z.unknown()),
  circuit: z.object({
    constraints: z.number(),
    wires: z.number(),
    publicInputs: z.number(),
    publicOutputs: z.number(),
    commitmentSignals: z.number().int().min(0).max(3).optional(),
    contextSignals: z.literal(1),
    inferences: z.number().int().min(2).optional(),
    gadgets: z.record(z.string(), z.number()),
    optimization: z.string(),
  }),
  setup: z
    .object({
      /**
       * How the keys were computed: `snarkjs` (zkey new from the powers of tau below, then phase-2
       * contributions; absent in manifests written before direct keys existed) or `direct` (from a
       * τ drawn and discarded on the compiling machine: no ptau file, no phase-2 chain).
       */
      method: z.enum(['snarkjs', 'direct']).optional(),
      /** The powers of tau the key derives from (absent for direct keys). */
      ptau: z.object({ origin: z.string(), power: z.number(), sha256: z.string(), blake2b512: z.string().optional(), ceremony: z.string().optional() }).optional(),
      power: z.number(),
      contributions: z.number(),
      localSingleParty: z.boolean(),
      note: z.string(),
      /** The key's phase-2 chain (absent in manifests written before zkinfer recorded it). */
      phase2: phase2ChainSchema.optional(),
    })
    .nullable(),
  tolerance: z.object({ maxAbsOutputError: z.number() }),
  tools: z.record(z.string(), z.string()),
  provenance: provenanceSchema.nullable(),
  provenanceStatus: provenanceStatusSchema.nullable().optional(),
  createdAt: z.string(),
});
export type Manifest = z.infer<typeof manifestSchema>;

/**
 * Computes the model id from its parts. A model with private weights is named by its weight
 * commitment in place of its ONNX hash (which would let anyone holding a candidate model
 * confirm it); a public model's id is unchanged.
 */
export function computeModelId(parts: { onnxSha256: string | null; compileOptions: unknown; provenance: unknown; r1csSha256: string; weightsCommitment?: string }): string {
  if (parts.weightsCommitment !== undefined) return sha256Json({ weights: parts.weightsCommitment, options: parts.compileOptions, provenance: parts.provenance ?? null, r1cs: parts.r1csSha256 });
  return sha256Json({ onnx: parts.onnxSha256, options: parts.compileOptions, provenance: parts.provenance ?? null, r1cs: parts.r1csSha256 });
}

/** Computes the key id of a verification key (its canonical JSON's SHA-256). */
export function computeKeyId(vkey: unknown): string {
  return sha256Json(vkey);
}

/**
 * Reads and validates `<dir>/manifest.json`.
 * @throws {VerifyError} naming the file and the first invalid field
 */
export function readManifest(dir: string): Manifest {
  const path = join(dir, 'manifest.json');
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new VerifyError(code === 'ENOENT' ? `${path}: no manifest (is ${dir} a zkinfer artifacts folder?)` : `${path}: unreadable manifest`, { cause });
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new VerifyError(`${path}: invalid manifest at "${issue.path.join('.')}": ${issue.message}`);
  }
  return parsed.data;
}
