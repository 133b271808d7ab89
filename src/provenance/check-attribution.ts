/**
 * Checking an attribution by re-execution (`zkinfer attribute --check`). With the model and
 * the commitment alone: the model and dataset are the ones named, each neighbour's sample
 * and contributor are a committed leaf (Merkle path), the query's and each neighbour's
 * representation and distance recompute exactly, the ranking is in (distance, index) order
 * and the shares follow from it. With the data too, exhaustively: every committed sample's
 * representation is recomputed (the data checked against the root first) and the listed
 * neighbours must be exactly the k nearest. The first failure is the one line reported.
 */
import { ProvenanceError, InputError } from '../shared/errors.js';
import { inputCommitment, type Receipt } from '../shared/receipt.js';
import { zodIssue } from './contributors.js';
import type { DatasetCommitment, ScanProgress } from './commitment.js';
import { checkMembershipEntry } from './membership.js';
import { attributionSchema, datasetBoundToModel, sharesOf, type Attribution, type AttributionModel, type InputOpener } from './attribution.js';
import { buildIndex } from './rep-index.js';
import { nearest, representationOf, sampleInput, squaredDistance } from './representation.js';
import { sampleFromJson, type SampleJson } from './sample.js';

/** What a check established. */
export interface AttributionVerdict {
  valid: boolean;
  reason?: string;
  /** Whether the ranking was checked against every committed sample (data given). */
  exhaustive: boolean;
}

/** Options for {@link checkAttribution}. */
export interface CheckAttributionOptions {
  /** Names the attribution in reasons. */
  where?: string;
  commitmentSource?: string;
  /** The committed data, for the exhaustive ranking check. */
  dataPath?: string;
  split?: string;
  /** The receipt the attribution answers, to check it is that receipt's. */
  receipt?: Receipt;
  /** For hashed-input receipts: checks the opening against the receipt's input commitment. */
  openInput?: InputOpener;
  onProgress?: (p: ScanProgress) => void;
}

/** Representations of every committed sample, recomputed from the data (checked against the root). */
export type RecomputedIndex = Awaited<ReturnType<typeof buildIndex>>;

/**
 * Recomputes every committed sample's representation (for exhaustive checks of many
 * attributions with one pass over the data).
 * @throws {ProvenanceError} when the data does not match the commitment
 */
export function recomputeRepresentations(
  m: AttributionModel,
  commitment: DatasetCommitment,
  dataPath: string,
  transform: { divisor: number },
  options: Pick<CheckAttributionOptions, 'split' | 'commitmentSource' | 'onProgress'> = {},
): Promise<RecomputedIndex> {
  return buildIndex(m.rm, { modelId: m.manifest.modelId, quantizedSha256: m.quantizedSha256 }, commitment, dataPath, {
    split: options.split ?? commitment.source.split,
    transform,
    commitmentSource: options.commitmentSource,
    onProgress: options.onProgress,
  });
}

/**
 * Checks an attribution. Never throws for a bad attribution: the verdict names the first
 * failing check.
 * @param recomputed every sample's representation from {@link recomputeRepresentations}, for
 *   an exhaustive check without another pass over the data
 * @throws {ProvenanceError} only when the data given does not match the commitment
 */
export async function checkAttribution(
  value: unknown,
  m: AttributionModel,
  commitment: DatasetCommitment,
  options: CheckAttributionOptions = {},
  recomputed?: RecomputedIndex,
): Promise<AttributionVerdict> {
  const where = options.where ?? 'attribution';
  const exhaustive = recomputed !== undefined || options.dataPath !== undefined;
  const fail = (reason: string): AttributionVerdict => ({ valid: false, reason: `${where}: ${reason}`, exhaustive });
  const parsed = attributionSchema.safeParse(value);
  if (!parsed.success) return { valid: false, reason: `${where}: invalid attribution at ${zodIssue(parsed.error)}`, exhaustive };
  const a: Attribution = parsed.data;
  const { manifest, rm, model } = m;

  // The model, the dataset and the receipt named.
  if (a.modelId !== manifest.modelId) return fail(`made with model ${a.modelId.slice(0, 16)}…, the artifacts are model ${manifest.modelId.slice(0, 16)}…`);
  if (a.dataset.root !== commitment.root || a.dataset.leafCount !== commitment.leafCount)
    return fail(`ranks dataset ${a.dataset.root.slice(0, 16)}…, not the committed ${commitment.root.slice(0, 16)}…`);
  let bound: boolean;
  try {
    bound = datasetBoundToModel(m, commitment, options.commitmentSource ?? 'the commitment');
  } catch (e) {
    if (e instanceof ProvenanceError) return fail(e.message);
    throw e;
  }
  if (a.dataset.boundToModel !== bound) return fail(`says the dataset is ${a.dataset.boundToModel ? '' : 'not '}bound to the model by its signed provenance record; it is${bound ? '' : ' not'}`);
  const r = a.representation;
  if (r.value !== rm.spec.value || r.size !== rm.spec.size || r.scale !== rm.spec.scale)
    return fail(`representation "${r.value}" (${r.size} values) is not the model's penultimate value "${rm.spec.value}" (${rm.spec.size})`);
  if (a.input.shape.join() !== model.input.shape.join() || a.input.scale !== model.input.scale || a.input.raw.length !== model.input.shape.reduce((x, y) => x * y, 1)) {
    return fail("the input does not have the model's shape and scale");
  }
  if (options.receipt) {
    const rc = options.receipt;
    if (rc.digest !== a.receipt.digest || rc.input.commitment !== a.receipt.inputCommitment || rc.modelId !== a.modelId)
      return fail('it answers another receipt (digest, input commitment or model differ)');
    if (options.openInput) {
      if (options.openInput(rc).join() !== a.input.raw.join()) return fail("its input differs from the receipt's opened input");
    } else if (rc.input.visibility !== 'public' || rc.input.raw.join() !== a.input.raw.join()) return fail("its input differs from the receipt's");
  }
  const visibility = options.receipt ? (options.receipt.input as { visibility: string }).visibility : 'public';
  if (visibility === 'public' && inputCommitment(a.input) !== a.receipt.inputCommitment) return fail('the input does not match the receipt input commitment it names');

  // Each neighbour: a committed leaf, with the distance its representation gives.
  let query: Int32Array;
  try {
    query = representationOf(rm, a.input.raw);
  } catch (e) {
    if (e instanceof InputError) return fail(`the input cannot be run by the model: ${e.message}`);
    throw e;
  }
  const expectedCount = Math.min(a.k, commitment.leafCount - r.excluded);
  if (a.neighbours.length !== expectedCount) return fail(`lists ${a.neighbours.length} neighbours, k = ${a.k} needs ${expectedCount}`);
  for (let i = 0; i < a.neighbours.length; i++) {
    const n = a.neighbours[i]!;
    const at = `neighbour ${i + 1}`;
    if (n.rank !== i + 1) return fail(`${at} has rank ${n.rank}`);
    const membership = checkMembershipEntry(commitment, { index: n.index, contributor: n.contributor, sample: n.sample as SampleJson, path: n.path }, at);
    if (membership) return fail(membership);
    const sample = sampleFromJson(n.sample, commitment.sampleEncoding, at);
    let d: number;
    try {
      d = squaredDistance(query, representationOf(rm, sampleInput(rm, sample, r.transform, at)), 0);
    } catch (e) {
      if (e instanceof InputError) return fail(`${at} (sample ${n.index}) has no representation: ${e.message}`);
      throw e;
    }
    if (d !== n.distance) return fail(`${at} (sample ${n.index}): distance ${n.distance} is stated, re-execution gives ${d}`);
    if (i > 0) {
      const p = a.neighbours[i - 1]!;
      if (p.distance > n.distance || (p.distance === n.distance && p.index >= n.index))
        return fail(`${at} (sample ${n.index}, distance ${n.distance}) is ranked after sample ${p.index} (distance ${p.distance}): not in (distance, index) order`);
    }
  }
  const shares = sharesOf(a.neighbours);
  if (JSON.stringify(shares) !== JSON.stringify(a.shares)) return fail('the contributor shares do not follow from the neighbours');

  // Exhaustively: no committed sample is nearer than the listed ones.
  if (exhaustive) {
    const all = recomputed ?? (await recomputeRepresentations(m, commitment, options.dataPath!, r.transform, options));
    if (JSON.stringify(all.transform) !== JSON.stringify(r.transform)) return fail('recomputed with another input transform');
    if (all.excluded !== r.excluded) return fail(`states ${r.excluded} samples without a representation, re-execution finds ${all.excluded}`);
    const truth = nearest(query, all.reps, all.valid, a.k);
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i]!;
      const n = a.neighbours[i]!;
      if (t.index !== n.index) return fail(`rank ${i + 1} should be sample ${t.index} (distance ${t.distance}), not sample ${n.index} (distance ${n.distance})`);
    }
  }
  return { valid: true, exhaustive };
}
