/**
 * Membership proofs (`zkinfer dataset prove-membership | verify-membership`): an RFC 6962
 * audit path showing that a sample, with its contributor, is a leaf of a committed dataset.
 * Proving walks the data once, checks it is exactly the committed set, and refuses — writes
 * nothing — when any requested sample is not in it; verifying needs only the commitment.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ProvenanceError } from '../shared/errors.js';
import { walkCommittedDataset, type DatasetCommitment, type ScanProgress } from './commitment.js';
import { contributorIdSchema, zodIssue } from './contributors.js';
import { hashLeaf, MerkleTree, verifyInclusion } from './merkle.js';
import { hashSample, leafData, sampleFromJson, sampleToJson, type Sample, type SampleJson } from './sample.js';

/** The proof file's format tag. */
export const MEMBERSHIP_FORMAT = 'zkinfer.membership/1';

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');

/** One sample's proof: where it sits, whose it is, the sample itself and its audit path. */
export const membershipEntrySchema = z.strictObject({
  /** The line of the samples file it answers (1-based). */
  line: z.number().int().positive().optional(),
  index: z.number().int().nonnegative(),
  contributor: contributorIdSchema,
  sample: z.record(z.string(), z.unknown()),
  path: z.array(hex32),
});
/** One entry of a membership proof file. */
export type MembershipEntry = Omit<z.infer<typeof membershipEntrySchema>, 'sample'> & { sample: SampleJson };

/** A membership proof file: the dataset it proves membership in and one entry per sample. */
export const membershipProofSchema = z.strictObject({
  format: z.literal(MEMBERSHIP_FORMAT),
  datasetRoot: hex32,
  leafCount: z.number().int().positive(),
  proofs: z.array(membershipEntrySchema).min(1),
});
/** A membership proof file. */
export type MembershipProof = Omit<z.infer<typeof membershipProofSchema>, 'proofs'> & { proofs: MembershipEntry[] };

/** A sample requested for a proof, with where it came from. */
export interface RequestedSample {
  sample: Sample;
  /** Names it in errors ("samples.jsonl:3"). */
  where: string;
  line?: number;
}

/**
 * Reads a JSONL file of samples in the commitment's encoding (tensor: {dtype, shape, data,
 * label}; JSON: a dataset line, or {"json": …}).
 * @throws {ProvenanceError} for an unreadable file, malformed line or a sample of the wrong form
 */
export function readSampleLines(path: string, commitment: DatasetCommitment): RequestedSample[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ProvenanceError(`${path}: cannot read samples (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  const field = Array.isArray(commitment.assign) ? undefined : commitment.assign.field;
  const out: RequestedSample[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const where = `${path}:${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (cause) {
      throw new ProvenanceError(`${where}: malformed JSON (${(cause as Error).message})`, { cause });
    }
    out.push({ sample: sampleFromJson(obj, commitment.sampleEncoding, where, field), where, line: i + 1 });
  });
  if (out.length === 0) throw new ProvenanceError(`${path}: no samples`);
  return out;
}

/** Options for {@link proveMembership}. */
export interface ProveMembershipOptions {
  /** Which split of a dataset folder (default: the commitment's). */
  split?: string;
  /** The commitment's file name, for errors. */
  commitmentSource?: string;
  onProgress?: (p: ScanProgress) => void;
}

/**
 * Proves that each requested sample is in the committed dataset (its first occurrence).
 * @throws {ProvenanceError} when the data does not match the commitment, or a sample is not
 *   in it ("… is not in the committed dataset"): no proof is returned for any sample then
 */
export async function proveMembership(commitment: DatasetCommitment, requested: readonly RequestedSample[], dataPath: string, options: ProveMembershipOptions = {}): Promise<MembershipProof> {
  const where = options.commitmentSource ?? 'the commitment';
  const wanted = new Map<string, number[]>();
  requested.forEach((r, i) => {
    const key = Buffer.from(hashSample(r.sample)).toString('hex');
    wanted.set(key, [...(wanted.get(key) ?? []), i]);
  });
  const found = new Map<number, { index: number; contributor: string }>();
  const hashes = await walkCommittedDataset(commitment, dataPath, where, {
    split: options.split,
    onProgress: options.onProgress,
    onLeaf: (leaf) => {
      const hits = wanted.get(Buffer.from(leaf.sampleHash).toString('hex'));
      if (!hits) return;
      for (const i of hits) if (!found.has(i)) found.set(i, { index: leaf.index, contributor: leaf.contributor });
    },
  });
  requested.forEach((r, i) => {
    if (!found.has(i)) {
      const h = Buffer.from(hashSample(r.sample)).toString('hex');
      throw new ProvenanceError(
        `${r.where}: the sample (sha256 ${h.slice(0, 16)}…) is not in the committed dataset (${commitment.leafCount} samples, root ${commitment.root.slice(0, 16)}…); no proof written`,
      );
    }
  });
  const tree = new MerkleTree(hashes);
  return {
    format: MEMBERSHIP_FORMAT,
    datasetRoot: commitment.root,
    leafCount: commitment.leafCount,
    proofs: requested.map((r, i) => {
      const { index, contributor } = found.get(i)!;
      return {
        ...(r.line === undefined ? {} : { line: r.line }),
        index,
        contributor,
        sample: sampleToJson(r.sample),
        path: tree.inclusionProof(index).map((h) => Buffer.from(h).toString('hex')),
      };
    }),
  };
}

/**
 * Checks one proof entry against a commitment.
 * @returns the reason it fails, or undefined when it holds
 */
export function checkMembershipEntry(commitment: DatasetCommitment, entry: MembershipEntry, where: string): string | undefined {
  let sample: Sample;
  try {
    sample = sampleFromJson(entry.sample, commitment.sampleEncoding, `${where} "sample"`);
  } catch (e) {
    if (e instanceof ProvenanceError) return e.message;
    throw e;
  }
  if (!commitment.contributors.some((c) => c.id === entry.contributor)) return `${where}: contributor "${entry.contributor}" is not in the commitment`;
  const leaf = hashLeaf(leafData(hashSample(sample), entry.contributor));
  const ok = verifyInclusion(
    entry.index,
    commitment.leafCount,
    leaf,
    entry.path.map((h) => Buffer.from(h, 'hex')),
    Buffer.from(commitment.root, 'hex'),
  );
  return ok ? undefined : `${where}: the Merkle path does not lead from sample ${entry.index} (contributor "${entry.contributor}") to the committed root`;
}

/** The outcome of checking a membership proof file. */
export interface MembershipVerdict {
  valid: boolean;
  /** One line per failing entry (or for the file). */
  reasons: string[];
  /** Entries checked. */
  entries: number;
}

/**
 * Verifies a membership proof file against a commitment: same root and size, and every
 * entry's sample, contributor and path lead to the root.
 */
export function verifyMembership(commitment: DatasetCommitment, proof: unknown, where = 'proof'): MembershipVerdict {
  const parsed = membershipProofSchema.safeParse(proof);
  if (!parsed.success) return { valid: false, reasons: [`${where}: invalid membership proof at ${zodIssue(parsed.error)}`], entries: 0 };
  const p = parsed.data as MembershipProof;
  if (p.datasetRoot !== commitment.root || p.leafCount !== commitment.leafCount) {
    return {
      valid: false,
      reasons: [`${where}: proves membership in dataset ${p.datasetRoot.slice(0, 16)}… (${p.leafCount} samples), not the committed ${commitment.root.slice(0, 16)}… (${commitment.leafCount})`],
      entries: 0,
    };
  }
  const reasons = p.proofs.flatMap((e, i) => checkMembershipEntry(commitment, e, `${where} "proofs.${i}"`) ?? []);
  return { valid: reasons.length === 0, reasons, entries: p.proofs.length };
}
