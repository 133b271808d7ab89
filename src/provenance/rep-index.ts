/**
 * The representation index: every committed sample's representation, leaf hash and
 * contributor, computed once per (model, dataset) so that attributing an inference is a
 * scan of packed integers instead of 60,000 forward passes. The file is bound to the model
 * (model id and quantized.json hash), the dataset (root and size), the representation and
 * the input transform, and ends with a SHA-256 of its body; a stale or damaged index is
 * refused, never used. It is a cache: attribution checks recompute from the model and data.
 *
 * Layout: "ZKREPIX1" ‖ u32 LE header length ‖ header JSON (padded with spaces to 8 bytes)
 *   ‖ leaf hashes (32 bytes each) ‖ the Merkle tree's inner perfect-subtree hashes, level by
 *   level (⌊n / 2^h⌋ at level h ≥ 1) ‖ contributor number (u32 LE each) ‖ valid flag (u8
 *   each, padded to 4 bytes) ‖ representations (i32 LE, size each) ‖ SHA-256 of all before.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ProvenanceError, InputError } from '../shared/errors.js';
import { walkCommittedDataset, type DatasetCommitment, type ScanProgress } from './commitment.js';
import { writeNewFile } from './files.js';
import { MerkleTree } from './merkle.js';
import { representationOf, sampleInput, defaultTransform, type InputTransform, type RepresentationModel, type RepresentationSpec } from './representation.js';

const MAGIC = Buffer.from('ZKREPIX1', 'ascii');
/** The header's format tag. */
export const INDEX_FORMAT = 'zkinfer.representation-index/1';

/** What an index is bound to. */
export interface IndexBinding {
  modelId: string;
  quantizedSha256: string;
  datasetRoot: string;
  leafCount: number;
  representation: RepresentationSpec;
  transform: InputTransform;
}

/** A loaded (or just built) index. */
export interface RepresentationIndex extends IndexBinding {
  contributors: string[];
  leafHashes: Uint8Array[];
  /** The Merkle tree over the leaf hashes (for inclusion proofs). */
  tree: MerkleTree;
  contributorOf: Uint32Array;
  valid: Uint8Array;
  reps: Int32Array;
  /** Samples without a representation (they drive the model outside its calibrated range). */
  excluded: number;
}

const pad = (n: number, to: number) => (to - (n % to)) % to;

function headerOf(index: RepresentationIndex): Record<string, unknown> {
  return {
    format: INDEX_FORMAT,
    modelId: index.modelId,
    quantizedSha256: index.quantizedSha256,
    datasetRoot: index.datasetRoot,
    leafCount: index.leafCount,
    representation: index.representation,
    transform: index.transform,
    contributors: index.contributors,
    excluded: index.excluded,
  };
}

/** Encodes an index to bytes. */
export function encodeIndex(index: RepresentationIndex): Uint8Array {
  let header = Buffer.from(JSON.stringify(headerOf(index)), 'utf8');
  header = Buffer.concat([header, Buffer.alloc(pad(12 + header.length, 8), 0x20)]);
  const n = index.leafCount;
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const hashes = Buffer.concat([...index.leafHashes, ...index.tree.innerLevels().flat()]);
  const contributors = Buffer.from(index.contributorOf.buffer, index.contributorOf.byteOffset, n * 4);
  const valid = Buffer.concat([Buffer.from(index.valid), Buffer.alloc(pad(n, 4))]);
  const reps = Buffer.from(index.reps.buffer, index.reps.byteOffset, index.reps.byteLength);
  const body = Buffer.concat([MAGIC, len, header, hashes, contributors, valid, reps]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

/**
 * Decodes an index and checks it is whole and bound to `expected`.
 * @throws {ProvenanceError} "… is damaged" or "… was built for another model/dataset/…: rebuild it"
 */
export function decodeIndex(bytes: Uint8Array, expected: IndexBinding, where: string): RepresentationIndex {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const damaged = (why: string) => new ProvenanceError(`${where}: the representation index is damaged (${why}); delete it to rebuild`);
  if (buf.length < 12 + 32 || !buf.subarray(0, 8).equals(MAGIC)) throw damaged('bad magic');
  const body = buf.subarray(0, buf.length - 32);
  if (
    !createHash('sha256')
      .update(body)
      .digest()
      .equals(buf.subarray(buf.length - 32))
  )
    throw damaged('checksum mismatch');
  const headerLen = buf.readUInt32LE(8);
  let header: Record<string, any>;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + headerLen));
  } catch (cause) {
    throw new ProvenanceError(`${where}: the representation index is damaged (header)`, { cause });
  }
  if (header.format !== INDEX_FORMAT) throw damaged(`format ${JSON.stringify(header.format)}`);
  const stale = (what: string) => new ProvenanceError(`${where}: the representation index was built for another ${what}; delete it to rebuild`);
  if (header.modelId !== expected.modelId || header.quantizedSha256 !== expected.quantizedSha256) throw stale('model');
  if (header.datasetRoot !== expected.datasetRoot || header.leafCount !== expected.leafCount) throw stale('dataset');
  if (JSON.stringify(header.representation) !== JSON.stringify(expected.representation)) throw stale('representation');
  if (JSON.stringify(header.transform) !== JSON.stringify(expected.transform)) throw stale('input transform');
  const n = expected.leafCount;
  const size = expected.representation.size;
  let at = 12 + headerLen;
  const levelSizes: number[] = [];
  for (let m = n >> 1; m >= 1; m >>= 1) levelSizes.push(m);
  const inner = levelSizes.reduce((a, b) => a + b, 0);
  const need = at + 32 * (n + inner) + 4 * n + n + pad(n, 4) + 4 * n * size;
  if (body.length !== need) throw damaged(`size ${body.length}, expected ${need}`);
  const hashesAt = (count: number) => {
    const out = Array.from({ length: count }, (_, i) => body.subarray(at + 32 * i, at + 32 * (i + 1)));
    at += 32 * count;
    return out;
  };
  const leafHashes = hashesAt(n);
  const tree = new MerkleTree(leafHashes, levelSizes.map(hashesAt));
  if (Buffer.from(tree.root()).toString('hex') !== expected.datasetRoot) throw damaged('its tree does not lead to the dataset root');
  // Copies into fresh, aligned typed arrays (the file buffer's offset need not be aligned).
  const contributorOf = new Uint32Array(n);
  Buffer.from(contributorOf.buffer).set(body.subarray(at, at + 4 * n));
  at += 4 * n;
  const valid = Uint8Array.from(body.subarray(at, at + n));
  at += n + pad(n, 4);
  const reps = new Int32Array(n * size);
  Buffer.from(reps.buffer).set(body.subarray(at, at + 4 * n * size));
  return { ...expected, contributors: header.contributors, excluded: header.excluded, leafHashes, tree, contributorOf, valid, reps };
}

/** Options for {@link buildIndex}. */
export interface BuildIndexOptions {
  split?: string;
  /** Input transform (default: from the first sample, see defaultTransform). */
  transform?: InputTransform;
  commitmentSource?: string;
  onProgress?: (p: ScanProgress) => void;
}

/**
 * Computes every committed sample's representation in one pass over the data (checked
 * against the commitment's root). A sample the model cannot represent (it drives a value
 * outside the calibrated range) is marked invalid and never ranked.
 * @throws {ProvenanceError} when the data does not match the commitment
 */
export async function buildIndex(
  rm: RepresentationModel,
  binding: Omit<IndexBinding, 'representation' | 'transform' | 'datasetRoot' | 'leafCount'>,
  commitment: DatasetCommitment,
  dataPath: string,
  options: BuildIndexOptions = {},
): Promise<RepresentationIndex> {
  const n = commitment.leafCount;
  const size = rm.spec.size;
  const contributors = commitment.contributors.map((c) => c.id);
  const number = new Map(contributors.map((c, i) => [c, i]));
  const contributorOf = new Uint32Array(n);
  const valid = new Uint8Array(n);
  const reps = new Int32Array(n * size);
  let transform = options.transform;
  let excluded = 0;
  const leafHashes = await walkCommittedDataset(commitment, dataPath, options.commitmentSource ?? 'the commitment', {
    split: options.split,
    onProgress: options.onProgress,
    onLeaf: (leaf) => {
      transform ??= defaultTransform(leaf.sample);
      contributorOf[leaf.index] = number.get(leaf.contributor)!;
      try {
        const rep = representationOf(rm, sampleInput(rm, leaf.sample, transform, `${dataPath} sample ${leaf.index}`));
        reps.set(rep, leaf.index * size);
        valid[leaf.index] = 1;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        excluded++;
      }
    },
  });
  const tree = new MerkleTree(leafHashes);
  return { ...binding, datasetRoot: commitment.root, leafCount: n, representation: rm.spec, transform: transform!, contributors, leafHashes, tree, contributorOf, valid, reps, excluded };
}

/** Writes an index file (replacing a stale one). */
export function writeIndex(path: string, index: RepresentationIndex): void {
  writeNewFile(path, encodeIndex(index), { force: true });
}

/**
 * Reads an index file, or returns undefined when there is none.
 * @throws {ProvenanceError} for a damaged or stale index
 */
export function readIndex(path: string, expected: IndexBinding): RepresentationIndex | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ProvenanceError(`${path}: cannot read the representation index (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  return decodeIndex(bytes, expected, path);
}
