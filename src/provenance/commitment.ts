/**
 * Dataset commitments (`zkinfer dataset commit`): one pass over the training samples, in
 * order, hashing each with its contributor into an RFC 6962 leaf; the file records the
 * root, the leaf count, each contributor's leaf count, the assignment and the encodings,
 * and no time or path, so the same data and map always give the same file, byte for byte.
 */
import { z } from 'zod';
import { ProvenanceError } from '../shared/errors.js';
import { assignmentSchema, ContributorAssigner, contributorIdSchema, publicKeyHexSchema, zodIssue, type ContributorMap } from './contributors.js';
import { datasetCount, openDataset, type DatasetSource, type OpenedDataset } from './dataset.js';
import { readJsonFile } from './files.js';
import { hashLeaf, MerkleRootBuilder } from './merkle.js';
import { hashSample, LEAF_ENCODING, leafData, SAMPLE_ENCODINGS, type Sample } from './sample.js';

/** The commitment file's format tag. */
export const COMMITMENT_FORMAT = 'zkinfer.dataset-commitment/1';
/** The tree construction, recorded in every commitment. */
export const TREE_KIND = 'rfc6962-sha256';

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');

/** A commitment file (docs/provenance.md "Files"). */
export const commitmentSchema = z.strictObject({
  format: z.literal(COMMITMENT_FORMAT),
  name: z.string().optional(),
  root: hex32,
  leafCount: z.number().int().positive(),
  tree: z.literal(TREE_KIND),
  leafEncoding: z.literal(LEAF_ENCODING),
  sampleEncoding: z.enum([SAMPLE_ENCODINGS.tensor, SAMPLE_ENCODINGS.json]),
  source: z.strictObject({ kind: z.enum(['jsonl', 'idx', 'npy']), split: z.string().optional(), files: z.array(z.string()) }),
  contributors: z.array(z.strictObject({ id: contributorIdSchema, name: z.string().optional(), publicKey: publicKeyHexSchema.optional(), leaves: z.number().int().nonnegative() })).min(1),
  assign: assignmentSchema,
});
export type DatasetCommitment = z.infer<typeof commitmentSchema>;

/** Progress of a pass over a dataset. */
export interface ScanProgress {
  done: number;
  /** Total when known: samples (IDX, NPY) or bytes (JSONL, see `unit`). */
  total?: number;
  unit: 'samples' | 'bytes';
}

/** One committed leaf met during a pass. */
export interface ScannedLeaf {
  index: number;
  sample: Sample;
  sampleHash: Uint8Array;
  contributor: string;
  leafHash: Uint8Array;
}

/** Options of a pass over a dataset. */
export interface ScanOptions {
  /** Which split of a folder. */
  split?: string;
  onProgress?: (p: ScanProgress) => void;
}

const PROGRESS_EVERY = 1000;

/**
 * Walks a dataset in order, yielding each sample with its contributor and leaf hash.
 * @throws {ProvenanceError} for unreadable data or a sample without a valid contributor
 */
export async function* scanLeaves(dataset: OpenedDataset, assigner: ContributorAssigner, options: ScanOptions = {}): AsyncGenerator<ScannedLeaf> {
  const onProgress = options.onProgress;
  const total = dataset.source.kind === 'jsonl' ? dataset.bytes : undefined;
  let bytes = 0;
  let count = 0;
  for await (const r of dataset.records({ onBytes: (b) => (bytes = b) })) {
    const at = r.line !== undefined ? `${dataset.path}:${r.line}` : dataset.path;
    const contributor = assigner.contributorOf(r.index, r.contributorField, at);
    const sampleHash = hashSample(r.sample);
    yield { index: r.index, sample: r.sample, sampleHash, contributor, leafHash: hashLeaf(leafData(sampleHash, contributor)) };
    count++;
    if (onProgress && count % PROGRESS_EVERY === 0) onProgress(total === undefined ? { done: count, unit: 'samples' } : { done: bytes, total, unit: 'bytes' });
  }
  assigner.finish(count, dataset.path);
  if (onProgress && (count % PROGRESS_EVERY !== 0 || total !== undefined)) onProgress(total === undefined ? { done: count, unit: 'samples' } : { done: total, total, unit: 'bytes' });
}

/** Options for {@link commitDataset}. */
export interface CommitOptions extends ScanOptions {
  /** A label stored in the commitment. */
  name?: string;
  /** The contributor map's file name, for errors. */
  mapSource?: string;
}

/**
 * Commits to a dataset: streams every sample once, in bounded memory (a stack of log2 n
 * subtree hashes and one counter per contributor).
 * @param dataPath a JSONL file, an IDX/NPY images file or a folder of them
 * @throws {ProvenanceError} for unreadable or empty data or a map that does not fit it
 */
export async function commitDataset(dataPath: string, map: ContributorMap, options: CommitOptions = {}): Promise<DatasetCommitment> {
  const assigner = new ContributorAssigner(map, options.mapSource ?? 'the contributor map');
  const dataset = openDataset(dataPath, { split: options.split, contributorField: assigner.field });
  const total = dataset.source.kind === 'jsonl' ? undefined : await datasetCount(dataset);
  const builder = new MerkleRootBuilder();
  const counts = new Map(map.contributors.map((c) => [c.id, 0]));
  const progress = options.onProgress && total !== undefined ? (p: ScanProgress) => options.onProgress!({ ...p, total }) : options.onProgress;
  for await (const leaf of scanLeaves(dataset, assigner, { onProgress: progress })) {
    builder.push(leaf.leafHash);
    counts.set(leaf.contributor, counts.get(leaf.contributor)! + 1);
  }
  if (builder.size === 0) throw new ProvenanceError(`${dataPath}: the dataset holds no samples`);
  return {
    format: COMMITMENT_FORMAT,
    ...(options.name === undefined ? {} : { name: options.name }),
    root: Buffer.from(builder.root()).toString('hex'),
    leafCount: builder.size,
    tree: TREE_KIND,
    leafEncoding: LEAF_ENCODING,
    sampleEncoding: dataset.encoding,
    source: sourceOf(dataset.source),
    contributors: [...map.contributors]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((c) => ({ id: c.id, ...(c.name === undefined ? {} : { name: c.name }), ...(c.publicKey === undefined ? {} : { publicKey: c.publicKey }), leaves: counts.get(c.id)! })),
    assign: map.assign,
  };
}

function sourceOf(s: DatasetSource): DatasetSource {
  return { kind: s.kind, ...(s.split === undefined ? {} : { split: s.split }), files: s.files };
}

/**
 * The contributor map a commitment embeds (to walk the dataset again with the same assignment).
 */
export function commitmentMap(c: DatasetCommitment): ContributorMap {
  return { format: 'zkinfer.contributors/1', contributors: c.contributors.map(({ leaves: _leaves, ...rest }) => rest), assign: c.assign };
}

/**
 * Checks a commitment's form and consistency (counts sum to the leaf count).
 * @throws {ProvenanceError} naming `where` and the field
 */
export function parseCommitment(value: unknown, where: string): DatasetCommitment {
  const parsed = commitmentSchema.safeParse(value);
  if (!parsed.success) throw new ProvenanceError(`${where}: invalid dataset commitment at ${zodIssue(parsed.error)}`);
  const c = parsed.data;
  const sum = c.contributors.reduce((a, x) => a + x.leaves, 0);
  if (sum !== c.leafCount) throw new ProvenanceError(`${where}: contributor leaf counts sum to ${sum}, not the leaf count ${c.leafCount}`);
  return c;
}

/**
 * Reads a commitment file.
 * @throws {ProvenanceError} for an unreadable file or an invalid commitment
 */
export function readCommitment(path: string): DatasetCommitment {
  return parseCommitment(readJsonFile(path, 'commitment'), path);
}

/** Options of {@link walkCommittedDataset}. */
export interface WalkOptions extends ScanOptions {
  /** Called for each leaf in order. */
  onLeaf?: (leaf: ScannedLeaf) => void | Promise<void>;
}

/**
 * Walks a dataset against a commitment: every leaf hash, in order, and a check at the end
 * that the data is exactly the committed set (same root and count).
 * @returns the leaf hashes (32 bytes each), for proofs
 * @throws {ProvenanceError} when the data does not match the commitment
 */
export async function walkCommittedDataset(commitment: DatasetCommitment, dataPath: string, where: string, options: WalkOptions = {}): Promise<Uint8Array[]> {
  const map = commitmentMap(commitment);
  const assigner = new ContributorAssigner(map, where);
  const dataset = openDataset(dataPath, { split: options.split ?? commitment.source.split, contributorField: assigner.field });
  if (dataset.encoding !== commitment.sampleEncoding) {
    throw new ProvenanceError(`${dataPath}: holds ${dataset.encoding} samples, but ${where} commits to ${commitment.sampleEncoding} samples`);
  }
  const builder = new MerkleRootBuilder();
  const hashes: Uint8Array[] = [];
  const progress = options.onProgress ? (p: ScanProgress) => options.onProgress!(p.unit === 'samples' ? { ...p, total: commitment.leafCount } : p) : undefined;
  for await (const leaf of scanLeaves(dataset, assigner, { onProgress: progress })) {
    if (leaf.index >= commitment.leafCount) throw new ProvenanceError(`${dataPath}: holds more samples than the ${commitment.leafCount} committed in ${where}`);
    builder.push(leaf.leafHash);
    hashes.push(leaf.leafHash);
    await options.onLeaf?.(leaf);
  }
  const root = Buffer.from(builder.root()).toString('hex');
  if (builder.size !== commitment.leafCount || root !== commitment.root) {
    throw new ProvenanceError(
      `${dataPath}: does not match ${where} (${builder.size} samples with root ${root.slice(0, 16)}…, committed: ${commitment.leafCount} with root ${commitment.root.slice(0, 16)}…)`,
    );
  }
  return hashes;
}
