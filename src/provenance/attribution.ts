/**
 * Per-inference attribution (`zkinfer attribute`): the k committed training samples nearest
 * to a receipt's input in the model's own representation (representation.ts), each with
 * its Merkle proof, and the share of each contributor among them (count / k).
 *
 * It is checkable by re-execution (`attribute --check`, check-attribution.ts): anyone with
 * the model, the commitment and — for the exhaustive ranking check — the data recomputes
 * every representation and distance exactly.
 *
 * Inputs: a receipt's input integers when the input is public. For hashed-input receipts
 * (Poseidon commitments, a later version) the data owner supplies an opening; the
 * `openInput` hook receives the receipt, must check the opening against the receipt's
 * commitment, and returns the input integers (docs/provenance.md "Hashed inputs").
 */
import { join } from 'node:path';
import { z } from 'zod';
import { PROVENANCE_RECORD_FORMAT, type Manifest } from '../shared/manifest.js';
import { openArtifacts } from '../shared/artifacts.js';
import { readCheckedArtifact } from '../shared/artifacts-check.js';
import { ProvenanceError } from '../shared/errors.js';
import { inputCommitment, type Receipt } from '../shared/receipt.js';
import type { QModel } from '../quant/model.js';
import type { DatasetCommitment, ScanProgress } from './commitment.js';
import { contributorIdSchema } from './contributors.js';
import { readSamplesAt } from './dataset.js';
import { hashLeaf } from './merkle.js';
import { checkProvenanceRecord } from './record.js';
import { buildIndex, readIndex, writeIndex, type IndexBinding, type RepresentationIndex } from './rep-index.js';
import { defaultTransform, nearest, REPRESENTATION_METHOD, representationModel, representationOf, type InputTransform, type RepresentationModel } from './representation.js';
import { hashSample, leafData, sampleToJson } from './sample.js';

/** The attribution file's format tag. */
export const ATTRIBUTION_FORMAT = 'zkinfer.attribution/1';

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');

/** An attribution file (docs/provenance.md "Attribution"). */
export const attributionSchema = z.strictObject({
  format: z.literal(ATTRIBUTION_FORMAT),
  modelId: hex32,
  receipt: z.strictObject({ digest: hex32, inputCommitment: hex32 }),
  input: z.strictObject({ shape: z.array(z.number().int().positive()), scale: z.number().int(), raw: z.array(z.number().int()) }),
  dataset: z.strictObject({
    root: hex32,
    leafCount: z.number().int().positive(),
    /** Whether the model's signed provenance record names this dataset. */
    boundToModel: z.boolean(),
  }),
  representation: z.strictObject({
    method: z.literal(REPRESENTATION_METHOD),
    value: z.string(),
    size: z.number().int().positive(),
    scale: z.number().int(),
    transform: z.strictObject({ divisor: z.number().positive() }),
    distance: z.literal('squared-euclidean'),
    ties: z.literal('lower index first'),
    excluded: z.number().int().nonnegative(),
  }),
  k: z.number().int().positive(),
  neighbours: z.array(
    z.strictObject({
      rank: z.number().int().positive(),
      index: z.number().int().nonnegative(),
      contributor: contributorIdSchema,
      distance: z.number().int().nonnegative(),
      sample: z.record(z.string(), z.unknown()),
      path: z.array(hex32),
    }),
  ),
  shares: z.array(z.strictObject({ contributor: contributorIdSchema, neighbours: z.number().int().positive(), share: z.number() })),
});
export type Attribution = z.infer<typeof attributionSchema>;

/** A compiled model loaded for attribution. */
export interface AttributionModel {
  dir: string;
  manifest: Manifest;
  model: QModel;
  quantizedSha256: string;
  rm: RepresentationModel;
}

/**
 * Loads the manifest and quantized model of an artifacts folder (the quantized model checked
 * against the manifest's hash).
 * @throws {ProvenanceError} when quantized.json is missing or does not match
 */
export function loadAttributionModel(dir: string): AttributionModel {
  const folder = openArtifacts(dir);
  const { manifest } = folder;
  if (manifest.io.weights) throw new ProvenanceError(`${dir}: the model's weights are private (--weights hashed); attribution needs the public model`);
  const bytes = readCheckedArtifact(folder, 'quantized', ProvenanceError);
  const model = JSON.parse(bytes.toString('utf8')) as QModel;
  return { dir, manifest, model, quantizedSha256: manifest.files.quantized.sha256, rm: representationModel(model) };
}

/**
 * Whether the model's signed provenance record names the committed dataset. A model with a
 * signed record is only attributed to a dataset its record names; a model with free-text or
 * no provenance can be attributed to any commitment, labelled not bound.
 * @throws {ProvenanceError} when the record does not check, or does not name the dataset
 */
export function datasetBoundToModel(m: AttributionModel, commitment: DatasetCommitment, commitmentSource: string): boolean {
  const p = m.manifest.provenance;
  if (!p || p.format !== PROVENANCE_RECORD_FORMAT) return false;
  const onnx = m.manifest.files.onnx;
  if (!onnx) throw new ProvenanceError(`${join(m.dir, 'manifest.json')}: the model's weights are private (--weights hashed); attribution needs the public model`);
  const check = checkProvenanceRecord(p, { where: `${join(m.dir, 'manifest.json')} provenance`, onnx: { sha256: onnx.sha256, name: onnx.path } });
  if (!check.record.datasets.some((d) => d.root === commitment.root && d.leafCount === commitment.leafCount)) {
    throw new ProvenanceError(`${commitmentSource}: dataset ${commitment.root.slice(0, 16)}… is not among the training datasets the model's signed provenance record names`);
  }
  return true;
}

/** Checks a receipt's opening and returns its input integers (hashed-input receipts). */
export type InputOpener = (receipt: Receipt) => number[];

/**
 * The input integers of a receipt: public inputs as they are (their commitment checked),
 * hashed inputs through the data owner's opening.
 * @throws {ProvenanceError} for a public input whose commitment does not match, or a hashed input without an opener
 */
export function queryInput(receipt: Receipt, where: string, openInput?: InputOpener): number[] {
  if (receipt.input.visibility !== 'public') {
    if (!openInput) throw new ProvenanceError(`${where}: the input is ${receipt.input.visibility}; attribution needs the data owner's opening of its commitment`);
    return openInput(receipt);
  }
  if (inputCommitment(receipt.input) !== receipt.input.commitment) throw new ProvenanceError(`${where}: the input commitment does not match the input`);
  return receipt.input.raw;
}

/** Everything attribution needs, loaded once for many receipts. */
export interface Attributor {
  model: AttributionModel;
  commitment: DatasetCommitment;
  index: RepresentationIndex;
  dataPath: string;
  split?: string;
  boundToModel: boolean;
}

/** Options for {@link prepareAttribution}. */
export interface PrepareOptions {
  artifactsDir: string;
  commitment: DatasetCommitment;
  commitmentSource: string;
  dataPath: string;
  split?: string;
  /** The representation index file (read if it fits, else built and written). */
  indexPath: string;
  transform?: InputTransform;
  onProgress?: (p: ScanProgress) => void;
  /** Told when the index is built or rebuilt, and why. */
  onNotice?: (message: string) => void;
}

/**
 * Loads the model, checks the dataset against the model's provenance, and reads the
 * representation index — or builds it (one pass over the data) and writes it.
 * @throws {ProvenanceError} when the model, the commitment and the data do not fit together
 */
export async function prepareAttribution(o: PrepareOptions): Promise<Attributor> {
  const model = loadAttributionModel(o.artifactsDir);
  const boundToModel = datasetBoundToModel(model, o.commitment, o.commitmentSource);
  const split = o.split ?? o.commitment.source.split;
  const contributorField = Array.isArray(o.commitment.assign) ? undefined : o.commitment.assign.field;
  const transform = o.transform ?? defaultTransform((await readSamplesAt(o.dataPath, [0], { split, contributorField })).get(0)!);
  const binding: IndexBinding = {
    modelId: model.manifest.modelId,
    quantizedSha256: model.quantizedSha256,
    datasetRoot: o.commitment.root,
    leafCount: o.commitment.leafCount,
    representation: model.rm.spec,
    transform,
  };
  let index: RepresentationIndex | undefined;
  try {
    index = readIndex(o.indexPath, binding);
  } catch (e) {
    if (!(e instanceof ProvenanceError)) throw e;
    o.onNotice?.(`${e.message.replace(/; delete it to rebuild$/, '')}: rebuilding it`);
  }
  if (!index) {
    o.onNotice?.(`computing the representations of ${o.commitment.leafCount} samples (once per model and dataset) → ${o.indexPath}`);
    index = await buildIndex(model.rm, { modelId: binding.modelId, quantizedSha256: binding.quantizedSha256 }, o.commitment, o.dataPath, {
      split,
      transform,
      commitmentSource: o.commitmentSource,
      onProgress: o.onProgress,
    });
    writeIndex(o.indexPath, index);
  }
  return { model, commitment: o.commitment, index, dataPath: o.dataPath, split, boundToModel };
}

/** Shares per contributor among ranked neighbours: count / number of neighbours, sorted by id. */
export function sharesOf(neighbours: readonly { contributor: string }[]): Attribution['shares'] {
  const counts = new Map<string, number>();
  for (const n of neighbours) counts.set(n.contributor, (counts.get(n.contributor) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([contributor, c]) => ({ contributor, neighbours: c, share: c / neighbours.length }));
}

/** A receipt to attribute, with its name for errors. */
export interface ReceiptToAttribute {
  receipt: Receipt;
  where: string;
}

/**
 * Attributes receipts: ranks the committed samples for each, then reads the neighbours'
 * samples in one pass and checks each against its indexed leaf.
 * @param k neighbours per receipt
 * @throws {ProvenanceError} for a receipt of another model or shape, or data that differs from the index
 */
export async function attributeReceipts(a: Attributor, receipts: readonly ReceiptToAttribute[], k: number, options: { openInput?: InputOpener } = {}): Promise<Attribution[]> {
  const { manifest, rm, model } = a.model;
  const ranked = receipts.map(({ receipt, where }) => {
    if (receipt.modelId !== manifest.modelId)
      throw new ProvenanceError(`${where}: the receipt is for model ${receipt.modelId.slice(0, 16)}…, the artifacts are model ${manifest.modelId.slice(0, 16)}…`);
    if (receipt.input.shape.join() !== model.input.shape.join() || receipt.input.scale !== model.input.scale)
      throw new ProvenanceError(`${where}: the receipt input does not have the model's shape and scale`);
    const raw = queryInput(receipt, where, options.openInput);
    const size = model.input.shape.reduce((x, y) => x * y, 1);
    if (raw.length !== size) throw new ProvenanceError(`${where}: the receipt input has ${raw.length} values, the model takes ${size}`);
    return { receipt, raw, best: nearest(representationOf(rm, raw), a.index.reps, a.index.valid, k) };
  });
  const contributorField = Array.isArray(a.commitment.assign) ? undefined : a.commitment.assign.field;
  const samples = await readSamplesAt(a.dataPath, new Set(ranked.flatMap((r) => r.best.map((b) => b.index))), { split: a.split, contributorField });
  const tree = a.index.tree;
  return ranked.map(({ receipt, raw, best }) => {
    const neighbours = best.map((b, i) => {
      const sample = samples.get(b.index)!;
      const contributor = a.index.contributors[a.index.contributorOf[b.index]!]!;
      if (!Buffer.from(hashLeaf(leafData(hashSample(sample), contributor))).equals(Buffer.from(a.index.leafHashes[b.index]!))) {
        throw new ProvenanceError(`${a.dataPath}: sample ${b.index} differs from the representation index; delete the index to rebuild it`);
      }
      return { rank: i + 1, index: b.index, contributor, distance: b.distance, sample: sampleToJson(sample), path: tree.inclusionProof(b.index).map((h) => Buffer.from(h).toString('hex')) };
    });
    return {
      format: ATTRIBUTION_FORMAT,
      modelId: manifest.modelId,
      receipt: { digest: receipt.digest, inputCommitment: receipt.input.commitment },
      input: { shape: [...receipt.input.shape], scale: receipt.input.scale, raw: [...raw] },
      dataset: { root: a.commitment.root, leafCount: a.commitment.leafCount, boundToModel: a.boundToModel },
      representation: { ...rm.spec, transform: a.index.transform, distance: 'squared-euclidean', ties: 'lower index first', excluded: a.index.excluded },
      k,
      neighbours,
      shares: sharesOf(neighbours),
    } satisfies Attribution;
  });
}
