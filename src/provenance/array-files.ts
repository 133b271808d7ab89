/**
 * Headers of the two array file formats a dataset folder may hold, read from a stream:
 * IDX (the MNIST format: magic 00 00 type ndim, big-endian u32 dims, big-endian elements;
 * http://yann.lecun.com/exdb/mnist/) and NPY (NumPy's format, version 1–3: magic
 * \x93NUMPY, a Python-literal header dict with descr, fortran_order and shape;
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html). Elements are
 * converted to little-endian, the order of the canonical sample encoding.
 */
import { ProvenanceError } from '../shared/errors.js';
import type { ByteReader } from './byte-reader.js';
import type { TensorDType } from './sample.js';

/** What an array file holds: element type, shape and byte order. */
export interface ArrayHeader {
  dtype: TensorDType | 'int64' | 'uint32' | 'uint64';
  /** Width of one element in bytes. */
  width: number;
  shape: number[];
  littleEndian: boolean;
}

const IDX_TYPES: Record<number, { dtype: ArrayHeader['dtype']; width: number }> = {
  0x08: { dtype: 'uint8', width: 1 },
  0x09: { dtype: 'int8', width: 1 },
  0x0b: { dtype: 'int16', width: 2 },
  0x0c: { dtype: 'int32', width: 4 },
  0x0d: { dtype: 'float32', width: 4 },
  0x0e: { dtype: 'float64', width: 8 },
};

/**
 * Reads an IDX header.
 * @throws {ProvenanceError} for a bad magic or an unknown element type
 */
export async function readIdxHeader(reader: ByteReader): Promise<ArrayHeader> {
  const magic = await reader.readExact(4, 'the IDX magic');
  if (magic[0] !== 0 || magic[1] !== 0) throw new ProvenanceError(`${reader.path}: not an IDX file (bad magic)`);
  const type = IDX_TYPES[magic[2]!];
  if (!type) throw new ProvenanceError(`${reader.path}: IDX element type 0x${magic[2]!.toString(16)} is not supported`);
  const ndim = magic[3]!;
  if (ndim === 0) throw new ProvenanceError(`${reader.path}: IDX file with no dimensions`);
  const dims = Buffer.from(await reader.readExact(4 * ndim, 'the IDX dimensions'));
  const shape = Array.from({ length: ndim }, (_, i) => dims.readUInt32BE(4 * i));
  return { ...type, shape, littleEndian: type.width === 1 };
}

const NPY_KINDS: Record<string, ArrayHeader['dtype']> = {
  u1: 'uint8',
  i1: 'int8',
  u2: 'uint16',
  i2: 'int16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f4: 'float32',
  f8: 'float64',
};

/**
 * Reads an NPY header (versions 1.0, 2.0 and 3.0).
 * @throws {ProvenanceError} for a bad magic, Fortran order or an unsupported dtype
 */
export async function readNpyHeader(reader: ByteReader): Promise<ArrayHeader> {
  const magic = Buffer.from(await reader.readExact(8, 'the NPY magic'));
  if (magic[0] !== 0x93 || magic.toString('latin1', 1, 6) !== 'NUMPY') throw new ProvenanceError(`${reader.path}: not an NPY file (bad magic)`);
  const major = magic[6]!;
  if (major < 1 || major > 3) throw new ProvenanceError(`${reader.path}: NPY version ${major} is not supported`);
  const lenBytes = Buffer.from(await reader.readExact(major === 1 ? 2 : 4, 'the NPY header length'));
  const len = major === 1 ? lenBytes.readUInt16LE(0) : lenBytes.readUInt32LE(0);
  const header = Buffer.from(await reader.readExact(len, 'the NPY header')).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([<>|=])([a-z])(\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeText) throw new ProvenanceError(`${reader.path}: malformed NPY header ${JSON.stringify(header.trim())}`);
  if (fortran[1] === 'True') throw new ProvenanceError(`${reader.path}: Fortran-ordered arrays are not supported; save it C-ordered (numpy.ascontiguousarray)`);
  const dtype = NPY_KINDS[`${descr[2]}${descr[3]}`];
  if (!dtype) throw new ProvenanceError(`${reader.path}: NPY dtype '${descr[1]}${descr[2]}${descr[3]}' is not supported`);
  const shape = shapeText[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new ProvenanceError(`${reader.path}: malformed NPY shape (${shapeText[1]})`);
  const width = Number(descr[3]);
  return { dtype, width, shape, littleEndian: width === 1 || descr[1] === '<' || (descr[1] === '=' && isLittleEndianHost()) || descr[1] === '|' };
}

function isLittleEndianHost(): boolean {
  return new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
}

/** Copies `bytes` with every `width`-byte element reversed (big- to little-endian). */
export function toLittleEndian(bytes: Uint8Array, width: number, littleEndian: boolean): Uint8Array {
  const out = bytes.slice();
  if (littleEndian || width === 1) return out;
  for (let i = 0; i < out.length; i += width) out.subarray(i, i + width).reverse();
  return out;
}

/** Reads one integer label of an array header's type. */
export function readLabel(bytes: Uint8Array, header: ArrayHeader, where: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = header.littleEndian;
  switch (header.dtype) {
    case 'uint8':
      return view.getUint8(0);
    case 'int8':
      return view.getInt8(0);
    case 'uint16':
      return view.getUint16(0, le);
    case 'int16':
      return view.getInt16(0, le);
    case 'int32':
      return view.getInt32(0, le);
    case 'uint32':
      return view.getUint32(0, le);
    case 'int64':
    case 'uint64': {
      const v = header.dtype === 'int64' ? view.getBigInt64(0, le) : view.getBigUint64(0, le);
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new ProvenanceError(`${where}: label ${v} is not a safe integer`);
      return Number(v);
    }
    case 'float32':
    case 'float64':
      throw new ProvenanceError(`${where}: labels must be integers, the file holds ${header.dtype}`);
    default:
      header.dtype satisfies never;
      throw new Error('unreachable');
  }
}
