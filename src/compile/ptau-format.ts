/**
 * The snarkjs powers-of-tau file format ("ptau", version 1), as written by snarkjs 0.7.6
 * (`powersoftau_new.js`, `powersoftau_utils.js`, `powersoftau_preparephase2.js`):
 *
 *   "ptau" · u32 version · u32 nSections · nSections × (u32 id · u64 size · data)
 *
 *   1 header         u32 n8 · q (n8 bytes LE) · u32 power · u32 ceremonyPower
 *   2 tauG1          τ^i·G1,   i < 2^(p+1) − 1
 *   3 tauG2          τ^i·G2,   i < 2^p
 *   4 alphaTauG1     α·τ^i·G1, i < 2^p
 *   5 betaTauG1      β·τ^i·G1, i < 2^p
 *   6 betaG2         β·G2
 *   7 contributions
 *  12–15 (prepared)  for each level q ≤ p (and q = p + 1 for section 12), the 2^q points of the
 *                    inverse DFT of the first 2^q points of sections 2–5 ("Lagrange evaluations").
 *
 * Points are affine, coordinates little-endian in Montgomery form ("LEM"); G1 64 bytes, G2 128.
 * All integers little-endian.
 */

import { open } from 'node:fs/promises';
import { InputError } from '../shared/errors.js';

/** The BN254 base field modulus q (the curve every Circom/snarkjs Groth16 key uses). */
export const BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

export const G1_BYTES = 64;
export const G2_BYTES = 128;
export const HEADER_SECTION_BYTES = 4 + 32 + 4 + 4;
/** Largest power this module generates: level p + 1 of section 12 must stay ≤ 2-adicity 28. */
export const MAX_LOCAL_POWER = 27;

/** Section ids in file order, with their sizes, for a prepared file of 2^power. */
export function preparedSectionSizes(power: number, contributionsBytes: number): Array<[id: number, bytes: number]> {
  const n = 2 ** power;
  return [
    [1, HEADER_SECTION_BYTES],
    [2, (2 * n - 1) * G1_BYTES],
    [3, n * G2_BYTES],
    [4, n * G1_BYTES],
    [5, n * G1_BYTES],
    [6, G2_BYTES],
    [7, contributionsBytes],
    [12, (4 * n - 1) * G1_BYTES],
    [13, (2 * n - 1) * G2_BYTES],
    [14, (2 * n - 1) * G1_BYTES],
    [15, (2 * n - 1) * G1_BYTES],
  ];
}

/** File offsets of each section's data, for sections written in the order given. */
export function sectionOffsets(sizes: Array<[number, number]>): Map<number, number> {
  const offsets = new Map<number, number>();
  let pos = 12;
  for (const [id, bytes] of sizes) {
    offsets.set(id, pos + 12);
    pos += 12 + bytes;
  }
  return offsets;
}

/** Encodes the file preamble. */
export function encodePreamble(nSections: number): Uint8Array {
  const b = new Uint8Array(12);
  b.set([0x70, 0x74, 0x61, 0x75]); // "ptau"
  const v = new DataView(b.buffer);
  v.setUint32(4, 1, true);
  v.setUint32(8, nSections, true);
  return b;
}

/** Encodes a section header (id, size). */
export function encodeSectionHeader(id: number, bytes: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint32(0, id, true);
  v.setBigUint64(4, BigInt(bytes), true);
  return b;
}

/** Encodes section 1 for BN254. */
export function encodeHeaderSection(power: number, ceremonyPower: number): Uint8Array {
  const b = new Uint8Array(HEADER_SECTION_BYTES);
  const v = new DataView(b.buffer);
  v.setUint32(0, 32, true);
  let q = BN254_Q;
  for (let i = 0; i < 32; i++, q >>= 8n) b[4 + i] = Number(q & 0xffn);
  v.setUint32(36, power, true);
  v.setUint32(40, ceremonyPower, true);
  return b;
}

/** What the header and section table of a ptau file say. */
export interface PtauHeader {
  power: number;
  ceremonyPower: number;
  prepared: boolean;
  /** Section id → [offset of data, size]; only the first of duplicated ids. */
  sections: Map<number, [number, number]>;
}

/**
 * Reads and checks a ptau file's preamble, section table and header section. Checks that the
 * sections a prepared file needs have the sizes its power implies and that the file is not cut short.
 * @throws {InputError} naming the file, when it is not a BN254 ptau file or is truncated.
 */
export async function readPtauHeader(path: string): Promise<PtauHeader> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new InputError(`${path}: cannot open powers-of-tau file`, { cause: e });
  }
  try {
    const { size: fileSize } = await fh.stat();
    const read = async (pos: number, len: number): Promise<DataView> => {
      const buf = new Uint8Array(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      if (bytesRead !== len) throw new InputError(`${path}: not a powers-of-tau file (truncated at byte ${pos + bytesRead})`);
      return new DataView(buf.buffer);
    };
    if (fileSize < 12) throw new InputError(`${path}: not a powers-of-tau file (only ${fileSize} bytes)`);
    const pre = await read(0, 12);
    const magic = String.fromCharCode(pre.getUint8(0), pre.getUint8(1), pre.getUint8(2), pre.getUint8(3));
    if (magic !== 'ptau') throw new InputError(`${path}: not a powers-of-tau file (expected magic "ptau")`);
    const version = pre.getUint32(4, true);
    if (version !== 1) throw new InputError(`${path}: unsupported ptau version ${version} (expected 1)`);
    const nSections = pre.getUint32(8, true);
    const sections = new Map<number, [number, number]>();
    let pos = 12;
    for (let i = 0; i < nSections; i++) {
      const h = await read(pos, 12);
      const id = h.getUint32(0, true);
      const size = Number(h.getBigUint64(4, true));
      if (pos + 12 + size > fileSize) throw new InputError(`${path}: powers-of-tau file is truncated (section ${id} ends past the end of the file)`);
      if (!sections.has(id)) sections.set(id, [pos + 12, size]);
      pos += 12 + size;
    }
    const header = sections.get(1);
    if (!header || header[1] !== HEADER_SECTION_BYTES) throw new InputError(`${path}: powers-of-tau file has no valid header section`);
    const h = await read(header[0], HEADER_SECTION_BYTES);
    let q = 0n;
    for (let i = 31; i >= 0; i--) q = (q << 8n) | BigInt(h.getUint8(4 + i));
    if (h.getUint32(0, true) !== 32 || q !== BN254_Q) throw new InputError(`${path}: powers-of-tau file is not for the BN254 curve`);
    const power = h.getUint32(36, true);
    const ceremonyPower = h.getUint32(40, true);
    if (power < 1 || power > 28) throw new InputError(`${path}: powers-of-tau file has invalid power ${power}`);
    const n = 2 ** power;
    const expected: Array<[number, number]> = [
      [2, (2 * n - 1) * G1_BYTES],
      [3, n * G2_BYTES],
      [4, n * G1_BYTES],
      [5, n * G1_BYTES],
      [6, G2_BYTES],
    ];
    const lagrange: Array<[number, number]> = [
      [12, (4 * n - 1) * G1_BYTES],
      [13, (2 * n - 1) * G2_BYTES],
      [14, (2 * n - 1) * G1_BYTES],
      [15, (2 * n - 1) * G1_BYTES],
    ];
    for (const [id, bytes] of expected) {
      const s = sections.get(id);
      if (!s || s[1] !== bytes) throw new InputError(`${path}: powers-of-tau section ${id} is missing or has the wrong size for power ${power}`);
    }
    const present = lagrange.filter(([id]) => sections.has(id));
    for (const [id, bytes] of present) {
      if (sections.get(id)![1] !== bytes) throw new InputError(`${path}: powers-of-tau section ${id} has the wrong size for power ${power}`);
    }
    return { power, ceremonyPower, prepared: present.length === lagrange.length, sections };
  } finally {
    await fh.close();
  }
}
