/**
 * Training samples and their canonical encodings: what a dataset commitment hashes, so that
 * anyone holding a sample can recompute its leaf (docs/provenance.md "Canonical encodings").
 *
 * A sample is either a tensor (from IDX or NPY files: element type, shape, little-endian
 * element bytes, optional integer label) or a JSON object (a line of a JSONL file without
 * its "id" and contributor fields). Encodings, hashed with SHA-256:
 *
 *   tensor: "zkinfer.sample.tensor/1" 0x00 ‖ dtype (ASCII) 0x00 ‖ ndim (u8) ‖ dims (u32 BE each)
 *           ‖ 0x00 (no label) | 0x01 ‖ label (i64 BE) ‖ element bytes (little-endian, row-major)
 *   json:   "zkinfer.sample.json/1" 0x00 ‖ canonical JSON (sorted keys, no whitespace, UTF-8)
 *
 *   leaf data = "zkinfer.leaf/1" 0x00 ‖ sample hash (32 bytes) ‖ contributor id (UTF-8)
 *
 * The leaf data is what RFC 6962 hashes as SHA-256(0x00 ‖ leaf data) (see merkle.ts).
 */
import { createHash } from 'node:crypto';
import { ProvenanceError } from '../shared/errors.js';
import { canonicalJson } from '../shared/hash.js';

/** Element types of tensor samples and their byte widths. */
export const TENSOR_DTYPES = { uint8: 1, int8: 1, uint16: 2, int16: 2, int32: 4, float32: 4, float64: 8 } as const;
/** A tensor sample's element type. */
export type TensorDType = keyof typeof TENSOR_DTYPES;

/** Sample encoding names, recorded in every commitment. */
export const SAMPLE_ENCODINGS = { tensor: 'zkinfer.sample.tensor/1', json: 'zkinfer.sample.json/1' } as const;
/** A sample encoding name. */
export type SampleEncoding = (typeof SAMPLE_ENCODINGS)[keyof typeof SAMPLE_ENCODINGS];

/** Leaf encoding name, recorded in every commitment. */
export const LEAF_ENCODING = 'zkinfer.leaf/1';

/** A tensor sample (IDX, NPY): `data` holds the elements little-endian, row-major. */
export interface TensorSample {
  kind: 'tensor';
  dtype: TensorDType;
  shape: number[];
  data: Uint8Array;
  label?: number;
}

/** A JSON sample: one JSONL line's object without "id" and the contributor field. */
export interface JsonSample {
  kind: 'json';
  value: Record<string, unknown>;
}

/** A training sample. */
export type Sample = TensorSample | JsonSample;

/** The portable JSON form of a sample, used in proofs, attributions and sample files. */
export type SampleJson = { dtype: TensorDType; shape: number[]; data: string; label?: number } | { json: Record<string, unknown> };

const TENSOR_TAG = Buffer.from(`${SAMPLE_ENCODINGS.tensor}\0`, 'ascii');
const JSON_TAG = Buffer.from(`${SAMPLE_ENCODINGS.json}\0`, 'ascii');
const LEAF_TAG = Buffer.from(`${LEAF_ENCODING}\0`, 'ascii');

/** The header of a tensor sample's encoding (everything before the element bytes). */
function tensorHeader(s: TensorSample): Buffer {
  const dtype = Buffer.from(`${s.dtype}\0`, 'ascii');
  const head = Buffer.alloc(1 + 4 * s.shape.length + 1 + (s.label === undefined ? 0 : 8));
  head[0] = s.shape.length;
  s.shape.forEach((d, i) => head.writeUInt32BE(d, 1 + 4 * i));
  let at = 1 + 4 * s.shape.length;
  if (s.label === undefined) head[at] = 0;
  else {
    head[at++] = 1;
    head.writeBigInt64BE(BigInt(s.label), at);
  }
  return Buffer.concat([TENSOR_TAG, dtype, head]);
}

/** The canonical encoding of a sample (the bytes its hash covers). */
export function encodeSample(s: Sample): Uint8Array {
  if (s.kind === 'json') return Buffer.concat([JSON_TAG, Buffer.from(canonicalJson(s.value), 'utf8')]);
  return Buffer.concat([tensorHeader(s), s.data]);
}

/** SHA-256 of a sample's canonical encoding. */
export function hashSample(s: Sample): Uint8Array {
  const h = createHash('sha256');
  if (s.kind === 'json') h.update(JSON_TAG).update(canonicalJson(s.value), 'utf8');
  else h.update(tensorHeader(s)).update(s.data);
  return h.digest();
}

/** The leaf data of a sample hash and its contributor: "zkinfer.leaf/1" 0x00 ‖ sample hash ‖ contributor id. */
export function leafData(sampleHash: Uint8Array, contributor: string): Uint8Array {
  return Buffer.concat([LEAF_TAG, sampleHash, Buffer.from(contributor, 'utf8')]);
}

/** The encoding name of a sample's kind. */
export function sampleEncodingOf(s: Sample): SampleEncoding {
  return s.kind === 'json' ? SAMPLE_ENCODINGS.json : SAMPLE_ENCODINGS.tensor;
}

/** The portable JSON form of a sample (tensor bytes as base64). */
export function sampleToJson(s: Sample): SampleJson {
  if (s.kind === 'json') return { json: s.value };
  return { dtype: s.dtype, shape: [...s.shape], data: Buffer.from(s.data).toString('base64'), ...(s.label === undefined ? {} : { label: s.label }) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const DTYPE_RANGES: Partial<Record<TensorDType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
};

/** Writes numbers as little-endian elements of `dtype`, checking each fits. */
function packElements(values: readonly unknown[], dtype: TensorDType, where: string): Uint8Array {
  const width = TENSOR_DTYPES[dtype];
  const out = Buffer.alloc(values.length * width);
  const range = DTYPE_RANGES[dtype];
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ProvenanceError(`${where}: "data"[${i}] must be a finite number`);
    if (range && (!Number.isInteger(v) || v < range[0] || v > range[1])) throw new ProvenanceError(`${where}: "data"[${i}] is ${v}, not a ${dtype}`);
    const at = i * width;
    if (dtype === 'uint8') out.writeUInt8(v, at);
    else if (dtype === 'int8') out.writeInt8(v, at);
    else if (dtype === 'uint16') out.writeUInt16LE(v, at);
    else if (dtype === 'int16') out.writeInt16LE(v, at);
    else if (dtype === 'int32') out.writeInt32LE(v, at);
    else if (dtype === 'float32') out.writeFloatLE(v, at);
    else out.writeDoubleLE(v, at);
  });
  return out;
}

/**
 * Reads a sample from its portable JSON form, or — for a JSON dataset — from a dataset line
 * (its "id" and `contributorField` are dropped, as when the dataset was committed).
 * Tensor "data" may be base64 of the little-endian elements or a flat array of numbers.
 * @param encoding the commitment's sample encoding, which decides how `value` is read
 * @throws {ProvenanceError} naming `where` and the field
 */
export function sampleFromJson(value: unknown, encoding: SampleEncoding, where: string, contributorField?: string): Sample {
  if (!isObject(value)) throw new ProvenanceError(`${where}: expected a JSON object`);
  if (encoding === SAMPLE_ENCODINGS.json) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'json' && isObject(value.json)) return jsonSampleOf(value.json, contributorField).sample;
    return jsonSampleOf(value, contributorField).sample;
  }
  const { dtype, shape, data, label } = value;
  if (typeof dtype !== 'string' || !(dtype in TENSOR_DTYPES)) {
    throw new ProvenanceError(`${where}: "dtype" must be one of ${Object.keys(TENSOR_DTYPES).join(', ')} (this dataset holds tensor samples)`);
  }
  const t = dtype as TensorDType;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0 || d > 0xffffffff) || shape.length > 255) {
    throw new ProvenanceError(`${where}: "shape" must be an array of non-negative integers`);
  }
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  let bytes: Uint8Array;
  if (typeof data === 'string') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw new ProvenanceError(`${where}: "data" must be base64 or an array of numbers`);
    bytes = new Uint8Array(Buffer.from(data, 'base64'));
  } else if (Array.isArray(data)) bytes = packElements(data, t, where);
  else throw new ProvenanceError(`${where}: "data" must be base64 or an array of numbers`);
  if (bytes.length !== count * TENSOR_DTYPES[t]) {
    throw new ProvenanceError(`${where}: "data" holds ${bytes.length} bytes, shape [${(shape as number[]).join(', ')}] of ${t} needs ${count * TENSOR_DTYPES[t]}`);
  }
  if (label !== undefined && !Number.isSafeInteger(label)) throw new ProvenanceError(`${where}: "label" must be an integer`);
  return { kind: 'tensor', dtype: t, shape: shape as number[], data: bytes, ...(label === undefined ? {} : { label: label as number }) };
}

/**
 * Splits a JSONL line's object into the JSON sample (without "id" and `contributorField`)
 * and the value of its contributor field.
 */
export function jsonSampleOf(obj: Record<string, unknown>, contributorField?: string): { sample: JsonSample; contributor?: unknown } {
  const value: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (k !== 'id' && k !== contributorField) value[k] = v;
  return { sample: { kind: 'json', value }, contributor: contributorField === undefined ? undefined : obj[contributorField] };
}

/** The elements of a tensor sample as numbers, row-major. */
export function tensorValues(s: TensorSample): Float64Array {
  if (s.dtype === 'uint8') return new Float64Array(s.data);
  if (s.dtype === 'int8') return new Float64Array(new Int8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength));
  const width = TENSOR_DTYPES[s.dtype];
  const n = s.data.length / width;
  const out = new Float64Array(n);
  const view = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
  for (let i = 0; i < n; i++) {
    const at = i * width;
    switch (s.dtype) {
      case 'uint16':
        out[i] = view.getUint16(at, true);
        break;
      case 'int16':
        out[i] = view.getInt16(at, true);
        break;
      case 'int32':
        out[i] = view.getInt32(at, true);
        break;
      case 'float32':
        out[i] = view.getFloat32(at, true);
        break;
      case 'float64':
        out[i] = view.getFloat64(at, true);
        break;
      default:
        s.dtype satisfies 'uint8' | 'int8';
    }
  }
  return out;
}
