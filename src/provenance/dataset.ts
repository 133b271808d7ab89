/**
 * Opening a training dataset as a stream of samples in a fixed order (the order the
 * commitment's leaves follow). Three forms:
 *
 * - a JSONL file: one JSON object a line (blank lines skipped); sample i is the i-th object;
 * - an images file (IDX, gzipped or not, or NPY) whose first dimension counts samples, with
 *   its labels file beside it when one exists (the name with "images" → "labels", and for
 *   IDX "idx3" → "idx1": train-images-idx3-ubyte.gz → train-labels-idx1-ubyte.gz);
 * - a folder holding such images files: the split is the part of the name before "images"
 *   ("train", "t10k"); a folder with several splits needs `split`.
 *
 * Nothing is held in memory beyond one chunk and one sample.
 */
import { existsSync, readdirSync, statSync, createReadStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { ProvenanceError } from '../shared/errors.js';
import { ByteReader } from './byte-reader.js';
import { readIdxHeader, readLabel, readNpyHeader, toLittleEndian, type ArrayHeader } from './array-files.js';
import { jsonSampleOf, SAMPLE_ENCODINGS, TENSOR_DTYPES, type Sample, type SampleEncoding, type TensorDType } from './sample.js';

/** Where a dataset's samples come from (recorded in commitments). */
export interface DatasetSource {
  kind: 'jsonl' | 'idx' | 'npy';
  /** The split chosen in a folder ("train", "t10k"), if any. */
  split?: string;
  /** File names (no folders): the samples file, then the labels file if any. */
  files: string[];
}

/** One sample of a dataset and, for JSONL with a contributor field, that field's value. */
export interface DatasetRecord {
  index: number;
  sample: Sample;
  /** The value of the contributor field (JSONL only), undefined when absent. */
  contributorField?: unknown;
  /** 1-based line number (JSONL only). */
  line?: number;
}

/** A dataset opened for reading. */
export interface OpenedDataset {
  /** The path given. */
  path: string;
  source: DatasetSource;
  encoding: SampleEncoding;
  /** Sample count when the header says it (IDX, NPY); undefined for JSONL. */
  count?: number;
  /** Size in bytes of the samples file (for byte-based progress on JSONL). */
  bytes: number;
  /**
   * Reads the samples in order; `onBytes` reports bytes read so far (JSONL); with `only`,
   * yields just those indices (the others are read past without being decoded).
   */
  records(options?: { onBytes?: (bytes: number) => void; only?: ReadonlySet<number> }): AsyncGenerator<DatasetRecord>;
}

/** Options for {@link openDataset}. */
export interface OpenDatasetOptions {
  /** Which split of a folder ("train", "t10k"). */
  split?: string;
  /** JSONL: a field naming each sample's contributor, left out of the sample. */
  contributorField?: string;
}

const IMAGES_FILE = /^(.*?)[-_.]?images(.*)$/i;

function isArrayFile(name: string): boolean {
  return /\.npy$/i.test(name) || /idx\d/i.test(name);
}

/** The labels file beside an images file, if present (gzipped or not, whatever the images are). */
function labelsBeside(imagesPath: string): string | undefined {
  const name = basename(imagesPath);
  const stem = name.replace(/images/i, (m) => (m === 'IMAGES' ? 'LABELS' : m[0] === 'I' ? 'Labels' : 'labels')).replace(/idx3/i, 'idx1');
  if (stem === name) return undefined;
  const plain = stem.replace(/\.gz$/i, '');
  for (const candidate of [stem, plain, `${plain}.gz`]) {
    const path = join(dirname(imagesPath), candidate);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * Resolves a data path to its samples file (and labels file).
 * @throws {ProvenanceError} when nothing usable is there or the split is ambiguous
 */
export function resolveDataset(path: string, split?: string): { samples: string; labels?: string; source: DatasetSource } {
  let stat;
  try {
    stat = statSync(path);
  } catch (cause) {
    throw new ProvenanceError(`${path}: cannot read dataset (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  if (stat.isDirectory()) {
    const found = new Map<string, string>();
    for (const name of readdirSync(path).sort()) {
      const m = IMAGES_FILE.exec(name);
      if (!m || !isArrayFile(name) || /labels/i.test(name)) continue;
      const key = m[1] === '' ? 'images' : m[1]!;
      if (!found.has(key)) found.set(key, name);
    }
    if (found.size === 0) throw new ProvenanceError(`${path}: no images file (IDX or NPY with "images" in its name) in this folder`);
    let chosen: string;
    if (split !== undefined) {
      const name = found.get(split);
      if (!name) throw new ProvenanceError(`${path}: no split "${split}" (splits here: ${[...found.keys()].join(', ')})`);
      chosen = split;
    } else if (found.size === 1) chosen = [...found.keys()][0]!;
    else throw new ProvenanceError(`${path}: ${found.size} splits here (${[...found.keys()].join(', ')}); choose one with --split`);
    const samples = join(path, found.get(chosen)!);
    const labels = labelsBeside(samples);
    return { samples, labels, source: { kind: /\.npy$/i.test(samples) ? 'npy' : 'idx', split: chosen, files: [basename(samples), ...(labels ? [basename(labels)] : [])] } };
  }
  if (/\.jsonl$/i.test(path)) return { samples: path, source: { kind: 'jsonl', files: [basename(path)] } };
  if (isArrayFile(basename(path))) {
    const labels = labelsBeside(path);
    return { samples: path, labels, source: { kind: /\.npy$/i.test(path) ? 'npy' : 'idx', files: [basename(path), ...(labels ? [basename(labels)] : [])] } };
  }
  throw new ProvenanceError(`${path}: not a dataset (expected a .jsonl file, an IDX or .npy images file, or a folder of them)`);
}

async function readArrayHeader(reader: ByteReader, kind: 'idx' | 'npy'): Promise<ArrayHeader> {
  return kind === 'npy' ? readNpyHeader(reader) : readIdxHeader(reader);
}

/**
 * Opens a dataset. The header of an array file is read when iteration starts.
 * @throws {ProvenanceError} when the path does not resolve to a dataset
 */
export function openDataset(path: string, options: OpenDatasetOptions = {}): OpenedDataset {
  const { samples, labels, source } = resolveDataset(path, options.split);
  const bytes = statSync(samples).size;
  if (source.kind === 'jsonl') {
    return { path, source, encoding: SAMPLE_ENCODINGS.json, bytes, records: (o) => jsonlRecords(samples, options.contributorField, o?.onBytes, o?.only) };
  }
  if (options.contributorField !== undefined) throw new ProvenanceError(`${path}: a contributor field only applies to JSONL datasets; assign index ranges instead`);
  const kind = source.kind;
  return { path, source, encoding: SAMPLE_ENCODINGS.tensor, bytes, records: (o) => arrayRecords(samples, labels, kind, o?.only) };
}

/**
 * The sample count of an array dataset, from its header alone.
 * @returns undefined for JSONL
 */
export async function datasetCount(dataset: OpenedDataset, options: OpenDatasetOptions = {}): Promise<number | undefined> {
  if (dataset.source.kind === 'jsonl') return undefined;
  const { samples } = resolveDataset(dataset.path, options.split ?? dataset.source.split);
  const reader = new ByteReader(samples);
  try {
    const h = await readArrayHeader(reader, dataset.source.kind);
    return h.shape[0];
  } finally {
    await reader.close();
  }
}

async function* arrayRecords(samplesPath: string, labelsPath: string | undefined, kind: 'idx' | 'npy', only?: ReadonlySet<number>): AsyncGenerator<DatasetRecord> {
  const images = new ByteReader(samplesPath);
  const labels = labelsPath ? new ByteReader(labelsPath) : undefined;
  try {
    const h = await readArrayHeader(images, kind);
    if (h.shape.length < 1) throw new ProvenanceError(`${samplesPath}: a 0-dimensional array holds no samples`);
    if (!(h.dtype in TENSOR_DTYPES)) throw new ProvenanceError(`${samplesPath}: ${h.dtype} samples are not supported (use ${Object.keys(TENSOR_DTYPES).join(', ')})`);
    const count = h.shape[0]!;
    const shape = h.shape.slice(1);
    const size = shape.reduce((a, b) => a * b, 1) * h.width;
    let lh: ArrayHeader | undefined;
    if (labels) {
      lh = await readArrayHeader(labels, labelsPath!.toLowerCase().endsWith('.npy') ? 'npy' : 'idx');
      if (lh.shape.length !== 1 || lh.shape[0] !== count) {
        throw new ProvenanceError(`${labelsPath}: ${count} samples in ${basename(samplesPath)} but labels of shape [${lh.shape.join(', ')}]`);
      }
    }
    for (let index = 0; index < count; index++) {
      const bytes = await images.readExact(size, `sample ${index}`);
      const labelBytes = labels && lh ? await labels.readExact(lh.width, `label ${index}`) : undefined;
      if (only && !only.has(index)) continue;
      const data = toLittleEndian(bytes, h.width, h.littleEndian);
      const label = labelBytes && lh ? readLabel(labelBytes, lh, `${labelsPath} label ${index}`) : undefined;
      yield { index, sample: { kind: 'tensor', dtype: h.dtype as TensorDType, shape, data, ...(label === undefined ? {} : { label }) } };
    }
    if ((await images.read(1, 'trailing data')) !== undefined) throw new ProvenanceError(`${samplesPath}: data after the ${count} samples the header declares`);
  } finally {
    await images.close();
    await labels?.close();
  }
}

async function* jsonlRecords(path: string, contributorField: string | undefined, onBytes?: (bytes: number) => void, only?: ReadonlySet<number>): AsyncGenerator<DatasetRecord> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  stream.on('data', (chunk) => {
    bytes += chunk.length;
    onBytes?.(bytes);
  });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  let index = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      if (only && !only.has(index)) {
        index++;
        continue;
      }
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (cause) {
        throw new ProvenanceError(`${path}:${line}: malformed JSON (${(cause as Error).message})`, { cause });
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new ProvenanceError(`${path}:${line}: expected a JSON object`);
      const { sample, contributor } = jsonSampleOf(obj as Record<string, unknown>, contributorField);
      yield { index: index++, sample, contributorField: contributor, line };
    }
  } catch (e) {
    if (e instanceof ProvenanceError) throw e;
    throw new ProvenanceError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  } finally {
    lines.close();
    stream.destroy();
  }
}

/**
 * Reads the samples at the given indices (one pass, stopping after the last one).
 * @throws {ProvenanceError} when an index is beyond the dataset
 */
export async function readSamplesAt(dataPath: string, indices: Iterable<number>, options: OpenDatasetOptions = {}): Promise<Map<number, Sample>> {
  const wanted = new Set(indices);
  const out = new Map<number, Sample>();
  if (wanted.size === 0) return out;
  const dataset = openDataset(dataPath, options);
  for await (const r of dataset.records({ only: wanted })) {
    out.set(r.index, r.sample);
    if (out.size === wanted.size) break;
  }
  for (const i of [...wanted].sort((a, b) => a - b)) if (!out.has(i)) throw new ProvenanceError(`${dataPath}: no sample ${i} in the dataset`);
  return out;
}
