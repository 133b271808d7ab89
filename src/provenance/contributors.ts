/**
 * The contributor map: who gave which training samples. A sample's contributor id goes
 * into its leaf, so the commitment's root fixes every assignment.
 *
 * ```json
 * { "format": "zkinfer.contributors/1",
 *   "contributors": [{ "id": "atelier-a", "name": "…", "publicKey": "<Ed25519 hex, optional>" }],
 *   "assign": [{ "from": 0, "to": 25000, "contributor": "atelier-a" }, …] }
 * ```
 *
 * `assign` is either index ranges — half-open [from, to), in sample order, contiguous from
 * 0 and covering every sample exactly once (any dataset) — or `{ "field": "contributor" }`:
 * each JSONL line names its contributor in that field, which is then not part of the
 * sample. Every id used must be declared in `contributors`.
 */
import { z } from 'zod';
import { ProvenanceError } from '../shared/errors.js';
import { readJsonFile } from './files.js';

/** The map's format tag. */
export const CONTRIBUTORS_FORMAT = 'zkinfer.contributors/1';

/** Contributor ids: ASCII letters, digits and . _ @ + -, up to 128, starting with a letter or digit. */
export const contributorIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/, 'expected a contributor id: letters, digits and . _ @ + - (at most 128), starting with a letter or digit');

/** A 32-byte Ed25519 public key as lowercase hex. */
export const publicKeyHexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected an Ed25519 public key: 64 lowercase hex digits');

const rangeSchema = z.strictObject({ from: z.number().int().nonnegative(), to: z.number().int().positive(), contributor: contributorIdSchema });

/** How samples are assigned to contributors. */
export const assignmentSchema = z.union([z.array(rangeSchema).min(1), z.strictObject({ field: z.string().min(1) })]);
export type Assignment = z.infer<typeof assignmentSchema>;

/** A declared contributor. */
export const contributorSchema = z.strictObject({ id: contributorIdSchema, name: z.string().optional(), publicKey: publicKeyHexSchema.optional() });
export type Contributor = z.infer<typeof contributorSchema>;

/** A contributor map file (see the module header). */
export const contributorMapSchema = z.strictObject({
  format: z.literal(CONTRIBUTORS_FORMAT),
  description: z.string().optional(),
  contributors: z.array(contributorSchema).min(1),
  assign: assignmentSchema,
});
export type ContributorMap = z.infer<typeof contributorMapSchema>;

/** First zod issue as "at "path": message". */
export function zodIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `"${issue.path.join('.') || '(root)'}": ${issue.message}`;
}

/**
 * Checks a contributor map beyond its schema: unique ids, declared contributors, and ranges
 * sorted, contiguous from 0, non-empty.
 * @param where the file name used in errors
 * @throws {ProvenanceError} naming the file and the field
 */
export function parseContributorMap(value: unknown, where: string): ContributorMap {
  const parsed = contributorMapSchema.safeParse(value);
  if (!parsed.success) throw new ProvenanceError(`${where}: invalid contributor map at ${zodIssue(parsed.error)}`);
  const map = parsed.data;
  const ids = new Set<string>();
  map.contributors.forEach((c, i) => {
    if (ids.has(c.id)) throw new ProvenanceError(`${where}: "contributors.${i}.id": contributor "${c.id}" is declared twice`);
    ids.add(c.id);
  });
  if (Array.isArray(map.assign)) {
    let next = 0;
    map.assign.forEach((r, i) => {
      if (!ids.has(r.contributor)) throw new ProvenanceError(`${where}: "assign.${i}.contributor": "${r.contributor}" is not declared in "contributors"`);
      if (r.from !== next) {
        throw new ProvenanceError(`${where}: "assign.${i}": range [${r.from}, ${r.to}) should start at ${next} (ranges must be in order, contiguous from 0, without gaps or overlaps)`);
      }
      if (r.to <= r.from) throw new ProvenanceError(`${where}: "assign.${i}": range [${r.from}, ${r.to}) is empty`);
      next = r.to;
    });
  }
  return map;
}

/**
 * Reads and checks a contributor map file.
 * @throws {ProvenanceError} for an unreadable file, malformed JSON or an invalid map
 */
export function readContributorMap(path: string): ContributorMap {
  return parseContributorMap(readJsonFile(path, 'contributor map'), path);
}

/** Assigns contributors to samples in order, for one pass over a dataset. */
export class ContributorAssigner {
  private range = 0;
  private readonly ids: Set<string>;

  constructor(
    private readonly map: ContributorMap,
    private readonly where: string,
  ) {
    this.ids = new Set(map.contributors.map((c) => c.id));
  }

  /** The JSONL field naming contributors, when the map assigns by field. */
  get field(): string | undefined {
    return Array.isArray(this.map.assign) ? undefined : this.map.assign.field;
  }

  /**
   * The contributor of sample `index` (samples must come in order).
   * @param fieldValue the sample's contributor field (field assignment)
   * @param at names the sample in errors ("data.jsonl:12" or "sample 12")
   * @throws {ProvenanceError} when the sample has no contributor or an undeclared one
   */
  contributorOf(index: number, fieldValue: unknown, at: string): string {
    const assign = this.map.assign;
    if (!Array.isArray(assign)) {
      if (typeof fieldValue !== 'string') throw new ProvenanceError(`${at}: missing contributor field "${assign.field}" (${this.where} assigns contributors by field)`);
      if (!this.ids.has(fieldValue)) throw new ProvenanceError(`${at}: contributor "${fieldValue}" is not declared in ${this.where}`);
      return fieldValue;
    }
    while (this.range < assign.length && index >= assign[this.range]!.to) this.range++;
    const r = assign[this.range];
    if (!r || index < r.from) throw new ProvenanceError(`${at}: sample ${index} has no contributor in ${this.where} (its ranges end at ${assign[assign.length - 1]!.to})`);
    return r.contributor;
  }

  /**
   * Checks the ranges covered exactly `count` samples.
   * @throws {ProvenanceError} when they assign more samples than the dataset holds
   */
  finish(count: number, dataPath: string): void {
    const assign = this.map.assign;
    if (!Array.isArray(assign)) return;
    const end = assign[assign.length - 1]!.to;
    if (end !== count) throw new ProvenanceError(`${this.where}: ranges assign samples up to ${end}, but ${dataPath} holds ${count} samples`);
  }
}
