/**
 * Signed provenance records (DESIGN.md "Provenance and attribution"). Contributors sign
 * their part — a dataset root and how many of its leaves are theirs — and the trainer signs
 * the whole record: the dataset roots with every contributor's count, the training script's
 * hash, the hyper-parameters, the resulting ONNX file's hash, the contributors' signatures
 * and any free-text description. `compile --provenance` checks every signature and the ONNX
 * hash and then binds the record into the model id.
 *
 * Signed messages are domain-separated: "<format>\n" followed by the canonical JSON (sorted
 * keys, no whitespace) of every field but `signature`, so a contribution can never be
 * replayed as a record or the other way round. Ed25519, RFC 8032 (see keys.ts).
 */
import { z } from 'zod';
import { PROVENANCE_RECORD_FORMAT, type Provenance, type ProvenanceStatus } from '../shared/manifest.js';
import { ProvenanceError } from '../shared/errors.js';
import { canonicalJson } from '../shared/hash.js';
import type { DatasetCommitment } from './commitment.js';
import { contributorIdSchema, publicKeyHexSchema, zodIssue } from './contributors.js';
import { readJsonFile } from './files.js';
import { signMessage, verifySignature, type SigningKey } from './keys.js';

/** The contribution statement's format tag. */
export const CONTRIBUTION_FORMAT = 'zkinfer.contribution/1';
/** The signed record's format tag (the manifest's provenance block carries it). */
export const RECORD_FORMAT = PROVENANCE_RECORD_FORMAT;

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const signatureHex = z.string().regex(/^[0-9a-f]{128}$/, 'expected an Ed25519 signature: 128 lowercase hex digits');

/** A contributor's signed statement: "these `leafCount` leaves of dataset `datasetRoot` are mine". */
export const contributionSchema = z.strictObject({
  format: z.literal(CONTRIBUTION_FORMAT),
  contributor: contributorIdSchema,
  datasetRoot: hex32,
  leafCount: z.number().int().nonnegative(),
  publicKey: publicKeyHexSchema,
  signature: signatureHex,
});
export type Contribution = z.infer<typeof contributionSchema>;

const datasetEntrySchema = z.strictObject({
  name: z.string().optional(),
  root: hex32,
  leafCount: z.number().int().positive(),
  contributors: z.array(z.strictObject({ id: contributorIdSchema, name: z.string().optional(), publicKey: publicKeyHexSchema.optional(), leaves: z.number().int().nonnegative() })).min(1),
});
export type RecordDataset = z.infer<typeof datasetEntrySchema>;

/** The signed record. */
export const recordSchema = z.strictObject({
  format: z.literal(RECORD_FORMAT),
  name: z.string().optional(),
  /** Free text (authors, licence, data sources…): signed, but only as what the trainer says. */
  about: z.record(z.string(), z.unknown()).optional(),
  datasets: z.array(datasetEntrySchema).min(1),
  training: z.strictObject({
    script: z.strictObject({ path: z.string().min(1), sha256: hex32 }),
    hyperparameters: z.record(z.string(), z.unknown()),
  }),
  model: z.strictObject({ onnxSha256: hex32 }),
  contributions: z.array(contributionSchema),
  trainer: z.strictObject({ name: z.string().optional(), publicKey: publicKeyHexSchema }),
  signature: signatureHex,
});
export type ProvenanceRecord = z.infer<typeof recordSchema>;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

/** The bytes a signature covers: "<format>\n" ‖ canonical JSON of every field but `signature`. */
export function signedBytes(body: { format: string; signature?: string }): Uint8Array {
  const { signature: _signature, ...rest } = body;
  return new Uint8Array(Buffer.from(`${body.format}\n${canonicalJson(rest)}`, 'utf8'));
}

/**
 * A contributor signs their share of a committed dataset.
 * @throws {ProvenanceError} when the contributor is not in the commitment, or the commitment
 *   declares another public key for them
 */
export function signContribution(commitment: DatasetCommitment, contributor: string, key: SigningKey): Contribution {
  const entry = commitment.contributors.find((c) => c.id === contributor);
  if (!entry) throw new ProvenanceError(`contributor "${contributor}" is not in the commitment (contributors: ${commitment.contributors.map((c) => c.id).join(', ')})`);
  const publicKey = hex(key.publicKey);
  if (entry.publicKey !== undefined && entry.publicKey !== publicKey) {
    throw new ProvenanceError(`the commitment declares key ${entry.publicKey.slice(0, 16)}… for contributor "${contributor}", not this key (${publicKey.slice(0, 16)}…)`);
  }
  const body = { format: CONTRIBUTION_FORMAT, contributor, datasetRoot: commitment.root, leafCount: entry.leaves, publicKey } as const;
  return { ...body, signature: hex(signMessage(key, signedBytes(body))) };
}

/** What the trainer puts into a record. */
export interface RecordInput {
  name?: string;
  about?: Record<string, unknown>;
  /** The committed datasets (each with an optional name). */
  datasets: { commitment: DatasetCommitment; name?: string }[];
  contributions?: Contribution[];
  trainingScript: { path: string; sha256: string };
  hyperparameters: Record<string, unknown>;
  onnxSha256: string;
  trainerName?: string;
}

/** A record's datasets as listed in it. */
function datasetEntries(input: RecordInput): RecordDataset[] {
  return input.datasets.map(({ commitment: c, name }) => ({
    ...((name ?? c.name) ? { name: name ?? c.name } : {}),
    root: c.root,
    leafCount: c.leafCount,
    contributors: c.contributors.map((x) => ({ ...x })),
  }));
}

/**
 * The trainer signs a record. Every contribution is checked first, so a trainer never signs
 * one that does not hold.
 * @throws {ProvenanceError} for a contribution that does not check against the datasets
 */
export function signRecord(input: RecordInput, key: SigningKey): ProvenanceRecord {
  const body = {
    format: RECORD_FORMAT,
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.about === undefined ? {} : { about: input.about }),
    datasets: datasetEntries(input),
    training: { script: { path: input.trainingScript.path, sha256: input.trainingScript.sha256 }, hyperparameters: input.hyperparameters },
    model: { onnxSha256: input.onnxSha256 },
    contributions: input.contributions ?? [],
    trainer: { ...(input.trainerName === undefined ? {} : { name: input.trainerName }), publicKey: hex(key.publicKey) },
  } as const;
  checkContributions(body, 'record');
  const record = { ...body, signature: hex(signMessage(key, signedBytes(body))) };
  return recordSchema.parse(record);
}

/** Checks the contributions of a record body against its datasets. */
function checkContributions(record: Pick<ProvenanceRecord, 'datasets' | 'contributions'>, where: string): void {
  const seen = new Set<string>();
  record.contributions.forEach((c, i) => {
    const at = `${where}: "contributions.${i}"`;
    const dataset = record.datasets.find((d) => d.root === c.datasetRoot);
    if (!dataset) throw new ProvenanceError(`${at}: dataset root ${c.datasetRoot.slice(0, 16)}… is not in "datasets"`);
    const entry = dataset.contributors.find((x) => x.id === c.contributor);
    if (!entry) throw new ProvenanceError(`${at}: "${c.contributor}" is not a contributor of dataset ${c.datasetRoot.slice(0, 16)}…`);
    const key = `${c.datasetRoot}/${c.contributor}`;
    if (seen.has(key)) throw new ProvenanceError(`${at}: contributor "${c.contributor}" signs dataset ${c.datasetRoot.slice(0, 16)}… twice`);
    seen.add(key);
    if (c.leafCount !== entry.leaves) throw new ProvenanceError(`${at}: "${c.contributor}" signs ${c.leafCount} samples, the dataset assigns ${entry.leaves}`);
    if (entry.publicKey !== undefined && entry.publicKey !== c.publicKey) {
      throw new ProvenanceError(`${at}: signed with key ${c.publicKey.slice(0, 16)}…, the dataset declares ${entry.publicKey.slice(0, 16)}… for "${c.contributor}"`);
    }
    if (!verifySignature(bytes(c.publicKey), signedBytes(c), bytes(c.signature))) throw new ProvenanceError(`${at}: the signature of contributor "${c.contributor}" does not verify`);
  });
}

/** What a record that checks establishes. */
export interface RecordCheck {
  record: ProvenanceRecord;
  trainerKey: string;
  /** Contributors who signed, per dataset root. */
  signed: { datasetRoot: string; contributor: string }[];
  /** Contributors listed in a dataset without a signature of theirs. */
  unsigned: { datasetRoot: string; contributor: string }[];
}

/** Options for {@link checkProvenanceRecord}. */
export interface CheckRecordOptions {
  /** Names the record in errors (its file). */
  where?: string;
  /** The ONNX file's SHA-256 the record must name, with the file's name for errors. */
  onnx?: { sha256: string; name: string };
  /** Trainer public keys (hex) to accept; any key when absent. */
  trustedTrainerKeys?: readonly string[];
}

/**
 * Checks a signed record: its form, each dataset's counts, every contributor's signature
 * (and declared key), the trainer's signature, and — when given — the ONNX hash and the
 * trainer's key. The first failure is one line.
 * @throws {ProvenanceError} naming the record and the field
 */
export function checkProvenanceRecord(value: unknown, options: CheckRecordOptions = {}): RecordCheck {
  const where = options.where ?? 'provenance record';
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) throw new ProvenanceError(`${where}: invalid provenance record at ${zodIssue(parsed.error)}`);
  const record = parsed.data;
  record.datasets.forEach((d, i) => {
    const sum = d.contributors.reduce((a, c) => a + c.leaves, 0);
    if (sum !== d.leafCount) throw new ProvenanceError(`${where}: "datasets.${i}": contributor counts sum to ${sum}, not the leaf count ${d.leafCount}`);
  });
  if (!verifySignature(bytes(record.trainer.publicKey), signedBytes(record), bytes(record.signature))) {
    throw new ProvenanceError(`${where}: the trainer's signature does not verify (key ${record.trainer.publicKey.slice(0, 16)}…)`);
  }
  checkContributions(record, where);
  if (options.trustedTrainerKeys && !options.trustedTrainerKeys.includes(record.trainer.publicKey)) {
    throw new ProvenanceError(`${where}: signed by trainer key ${record.trainer.publicKey.slice(0, 16)}…, which is not a trusted trainer key`);
  }
  if (options.onnx && options.onnx.sha256 !== record.model.onnxSha256) {
    throw new ProvenanceError(`${where}: the record is for an ONNX file with sha256 ${record.model.onnxSha256.slice(0, 16)}…, not ${options.onnx.name} (sha256 ${options.onnx.sha256.slice(0, 16)}…)`);
  }
  const signed = record.contributions.map((c) => ({ datasetRoot: c.datasetRoot, contributor: c.contributor }));
  const unsigned = record.datasets.flatMap((d) =>
    d.contributors.filter((x) => !signed.some((s) => s.datasetRoot === d.root && s.contributor === x.id)).map((x) => ({ datasetRoot: d.root, contributor: x.id })),
  );
  return { record, trainerKey: record.trainer.publicKey, signed, unsigned };
}

/**
 * Reads and checks a record file.
 * @throws {ProvenanceError} as {@link checkProvenanceRecord}, or for an unreadable file
 */
export function readProvenanceRecord(path: string, options: Omit<CheckRecordOptions, 'where'> = {}): RecordCheck {
  return checkProvenanceRecord(readJsonFile(path, 'provenance record'), { ...options, where: path });
}

/**
 * The check `compile` runs on a signed record (pass it as `provenanceChecker` to
 * compileModel): every signature and the ONNX hash, then the manifest's label.
 * @throws {ProvenanceError} one line naming the record file and what failed
 */
export function checkProvenanceForCompile(block: Provenance, context: { onnxSha256: string; onnxPath: string; source: string }): ProvenanceStatus {
  const check = checkProvenanceRecord(block, { where: context.source, onnx: { sha256: context.onnxSha256, name: context.onnxPath } });
  const n = check.signed.length;
  return {
    status: 'verified',
    note:
      `signed record checked at compile: the trainer's signature (key ${check.trainerKey.slice(0, 16)}…), ${n} contributor signature${n === 1 ? '' : 's'}, and the ONNX hash; ` +
      'the keys prove who signed, not who they are: pin the trainer key you expect',
    trainerKey: check.trainerKey,
    datasets: check.record.datasets.map((d) => ({ root: d.root, leafCount: d.leafCount })),
    signedContributors: check.signed,
    unsignedContributors: check.unsigned,
  };
}
