/**
 * The Groth16 prover (Groth, "On the size of pairing-based non-interactive arguments",
 * 2016, §3.2) over a snarkjs proving key, on snarkjs's WebAssembly BN254 curve. It computes
 * what snarkjs 0.7's `groth16.prove` computes — the same key sections, the same odd-coset
 * evaluation of H, the same blinding — and differs only where that costs time for the
 * model circuits zkinfer proves:
 *
 * - the key is parsed once per {@link Groth16Key}, not once per proof;
 * - A, B and C at the constraints are evaluated by the curve's own wasm routine
 *   (`qap_buildABC`), not by one JavaScript field multiply-add per coefficient;
 * - the multi-exponentiations over the witness (A, B in G1 and G2, C) fold each witness
 *   value w into ±|w| (negating the point) and group the values by width: a model's witness
 *   is mostly bits and small integers, negative ones being p − |x|, and a bucket method that
 *   walks all 254 bits of every scalar spends most of its additions on zero digits. Values
 *   up to 8 bits, up to 64 bits and wider each get their own multi-exponentiation with
 *   scalars that many bytes wide; zero values are left out;
 * - on a curve built by zkinfer (../shared/curve.ts), every multi-exponentiation (H, whose
 *   scalars are full-width, and the witness ones) runs ./msm.ts's batched-affine bucket
 *   method (about 1.5 times fewer CPU cycles than ffjavascript's `multiExpAffine`), and each
 *   coset transform is ../shared/wasm-fft.ts's one wasm call (about half the cycles of
 *   wasmcurves' FFTs);
 *   on a curve built elsewhere, ffjavascript's multi-exponentiation and wasmcurves'
 *   transforms (each still one curve task);
 * - the transforms are queued before the witness multi-exponentiations, and the join and H
 *   ahead of waiting tasks, so the quotient's chain does not wait behind work that can run
 *   at any time.
 * zkey layout: snarkjs `src/zkey_utils.js` (sections 1 header, 2 Groth16 header,
 * 4 coefficients, 5–9 the points of A, B1, B2, C, H); wtns: section 2 holds the witness.
 */
import { randomBytes } from 'node:crypto';
import { FIELD_MODULUS } from '../shared/field.js';
import { hasBatchMsm } from '../shared/curve.js';
import { msmBatchAffine, queueTasks, type MsmCurve } from './msm.js';

type Point = Uint8Array;
interface Group {
  add(a: Point, b: Point): Point;
  neg(p: Point): Point;
  timesFr(p: Point, s: Uint8Array): Point;
  toAffine(p: Point): Point;
  toObject(p: Point): unknown;
  multiExpAffine(points: Uint8Array, scalars: Uint8Array): Promise<Point>;
  zero: Point;
}
interface Fr {
  n8: number;
  s: number;
  shift: Uint8Array;
  w: Uint8Array[];
  e(v: bigint | number): Uint8Array;
  mul(a: Uint8Array, b: Uint8Array): Uint8Array;
  neg(a: Uint8Array): Uint8Array;
  inv(a: Uint8Array): Uint8Array;
  ifft(b: Uint8Array): Promise<Uint8Array>;
  fft(b: Uint8Array): Promise<Uint8Array>;
  batchApplyKey(b: Uint8Array, first: Uint8Array, inc: Uint8Array): Promise<Uint8Array>;
}
/** One step of an ffjavascript thread task (threadman_thread.js). */
type TaskStep =
  | { cmd: 'ALLOCSET'; var: number; buff: Uint8Array }
  | { cmd: 'ALLOC'; var: number; len: number }
  | { cmd: 'CALL'; fnName: string; params: Array<{ var: number } | { val: number }> }
  | { cmd: 'GET'; out: number; var: number; len: number };
interface ThreadManager {
  /** Threads (1 in single-thread mode). */
  concurrency: number;
  /** Runs a task in a curve thread (this one in single-thread mode); resolves to the GET outputs. */
  queueAction(task: TaskStep[]): Promise<Uint8Array[]>;
}
/** The parts of ffjavascript's BN254 curve object the prover uses (it ships no types). */
export interface ProverCurve {
  G1: Group;
  G2: Group;
  Fr: Fr;
  tm: ThreadManager;
}

/** A parsed Groth16 proving key (snarkjs zkey), kept for many proofs. */
export interface Groth16Key {
  nVars: number;
  nPublic: number;
  domainSize: number;
  power: number;
  alpha1: Point;
  beta1: Point;
  beta2: Point;
  delta1: Point;
  delta2: Point;
  /** Section 4 without its count: (matrix, constraint, signal, Montgomery value) entries (a copy, not a view of the zkey). */
  coefs: Uint8Array;
  nCoefs: number;
  pointsA: Uint8Array;
  pointsB1: Uint8Array;
  pointsB2: Uint8Array;
  pointsC: Uint8Array;
  pointsH: Uint8Array;
}

/** Section id → [offset, length] of a snarkjs binary file (zkey, wtns). */
function sections(bytes: Uint8Array, what: string): Map<number, [number, number]> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<number, [number, number]>();
  let pos = 12;
  const n = v.getUint32(8, true);
  for (let i = 0; i < n; i++) {
    if (pos + 12 > bytes.byteLength) throw new Error(`the ${what} file is truncated`);
    const size = Number(v.getBigUint64(pos + 4, true));
    out.set(v.getUint32(pos, true), [pos + 12, size]);
    pos += 12 + size;
  }
  if (pos > bytes.byteLength) throw new Error(`the ${what} file is truncated`);
  return out;
}

/**
 * Parses a Groth16 zkey (BN254, 32-byte field elements) for {@link proveGroth16}.
 * @throws {Error} for a key that is not a BN254 Groth16 zkey
 */
export function readGroth16Key(zkey: Uint8Array): Groth16Key {
  if (String.fromCharCode(...zkey.subarray(0, 4)) !== 'zkey') throw new Error('not a zkey file');
  const s = sections(zkey, 'zkey');
  const v = new DataView(zkey.buffer, zkey.byteOffset, zkey.byteLength);
  const section = (id: number) => {
    const at = s.get(id);
    if (!at) throw new Error(`the zkey has no section ${id}`);
    return zkey.subarray(at[0], at[0] + at[1]);
  };
  if (v.getUint32(s.get(1)?.[0] ?? 0, true) !== 1) throw new Error('the zkey is not a Groth16 key');
  const h = s.get(2)![0];
  if (v.getUint32(h, true) !== 32 || v.getUint32(h + 36, true) !== 32) throw new Error('the zkey is not over BN254');
  let r = 0n;
  for (let i = 31; i >= 0; i--) r = (r << 8n) | BigInt(zkey[h + 40 + i]!);
  if (r !== FIELD_MODULUS) throw new Error('the zkey is not over BN254');
  const domainSize = v.getUint32(h + 80, true);
  const coefSection = section(4);
  const nCoefs = new DataView(coefSection.buffer, coefSection.byteOffset).getUint32(0, true);
  const point = (at: number, n: number) => zkey.slice(h + at, h + at + n);
  return {
    nVars: v.getUint32(h + 72, true),
    nPublic: v.getUint32(h + 76, true),
    domainSize,
    power: Math.log2(domainSize),
    alpha1: point(84, 64),
    beta1: point(148, 64),
    beta2: point(212, 128),
    delta1: point(468, 64),
    delta2: point(532, 128),
    coefs: coefSection.slice(4), // copies: a view would send the whole zkey to a curve thread with every proof
    nCoefs,
    pointsA: section(5),
    pointsB1: section(6),
    pointsB2: section(7),
    pointsC: section(8),
    pointsH: section(9).slice(),
  };
}

/** The witness values (32-byte little-endian, normal form) of a wtns file. */
export function readWitness(wtns: Uint8Array): Uint8Array {
  if (String.fromCharCode(...wtns.subarray(0, 4)) !== 'wtns') throw new Error('not a wtns file');
  const at = sections(wtns, 'wtns').get(2);
  if (!at) throw new Error('the wtns file has no witness section');
  return wtns.subarray(at[0], at[0] + at[1]);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A little-endian 32-byte value as a bigint. */
function le(bytes: Uint8Array, at: number): bigint {
  let hex = '0x';
  for (let i = at + 31; i >= at; i--) hex += HEX[bytes[i]!];
  return BigInt(hex);
}

/** p − 2^64: a value above it is −m for an m below 2^64. */
const NEGATIVE_64 = FIELD_MODULUS - (1n << 64n);

/** One width class of the witness for the multi-exponentiations: wire indices, signs and scalars. */
interface WitnessClass {
  width: number;
  wires: number[];
  negative: boolean[];
  scalars: Uint8Array;
}

/**
 * Splits the witness values of wires [from, to) into classes by the width of ±|w|: up to
 * 8 bits, up to 64 bits (both as magnitudes, the sign kept apart) and wider (as they are).
 * Zero values are left out.
 */
function groupWitness(witness: Uint8Array, from: number, to: number): WitnessClass[] {
  const narrow: number[] = [];
  const medium: number[] = [];
  const wide: number[] = [];
  const mediumMags: bigint[] = [];
  const narrowMags: number[] = [];
  const narrowNeg: boolean[] = [];
  const mediumNeg: boolean[] = [];
  const view = new DataView(witness.buffer, witness.byteOffset, witness.byteLength);
  for (let i = from; i < to; i++) {
    const at = i * 32;
    let high = 0;
    for (let k = 8; k < 32; k += 4) high |= view.getUint32(at + k, true);
    if (high === 0) {
      const lo = view.getUint32(at, true);
      const hi = view.getUint32(at + 4, true);
      if (hi === 0 && lo < 256) {
        if (lo === 0) continue;
        narrow.push(i);
        narrowMags.push(lo);
        narrowNeg.push(false);
      } else {
        medium.push(i);
        mediumMags.push((BigInt(hi) << 32n) | BigInt(lo));
        mediumNeg.push(false);
      }
      continue;
    }
    const w = le(witness, at);
    if (w > NEGATIVE_64) {
      const m = FIELD_MODULUS - w;
      if (m < 256n) {
        narrow.push(i);
        narrowMags.push(Number(m));
        narrowNeg.push(true);
      } else {
        medium.push(i);
        mediumMags.push(m);
        mediumNeg.push(true);
      }
    } else wide.push(i);
  }
  const mediumScalars = new Uint8Array(8 * medium.length);
  const mv = new DataView(mediumScalars.buffer);
  mediumMags.forEach((m, j) => mv.setBigUint64(j * 8, m, true));
  const wideScalars = new Uint8Array(32 * wide.length);
  wide.forEach((wire, j) => wideScalars.set(witness.subarray(wire * 32, wire * 32 + 32), j * 32));
  return [
    { width: 1, wires: narrow, negative: narrowNeg, scalars: Uint8Array.from(narrowMags) },
    { width: 8, wires: medium, negative: mediumNeg, scalars: mediumScalars },
    { width: 32, wires: wide, negative: wide.map(() => false), scalars: wideScalars },
  ];
}

/** A multi-exponentiation in one group: affine bases, little-endian scalars of one width. */
type Msm = (bases: Uint8Array, scalars: Uint8Array) => Promise<Point>;

/** Which points of a key section are the point at infinity (all-zero bytes: a wire absent from that matrix). */
const zeroMaps = new WeakMap<Uint8Array, Uint8Array>();
function zeroPoints(points: Uint8Array, size: number): Uint8Array {
  let map = zeroMaps.get(points);
  if (!map) {
    const n = points.byteLength / size;
    map = new Uint8Array(n);
    const words = new Uint32Array(points.buffer.slice(points.byteOffset, points.byteOffset + points.byteLength));
    const per = size / 4;
    for (let i = 0; i < n; i++) {
      let any = 0;
      for (let k = i * per; k < (i + 1) * per; k++) any |= words[k]!;
      map[i] = any === 0 ? 1 : 0;
    }
    zeroMaps.set(points, map);
  }
  return map;
}

/**
 * Σ w_i · P_i over the grouped wires, P_i the points of `points` (size bytes each) at index
 * i − offset; points at infinity (wires the matrix does not use) are left out.
 */
async function witnessMsm(group: Group, msm: Msm, points: Uint8Array, size: number, offset: number, classes: readonly WitnessClass[]): Promise<Point> {
  const zero = zeroPoints(points, size);
  const parts = await Promise.all(
    classes.map((c) => {
      const bases = new Uint8Array(size * c.wires.length);
      const scalars = new Uint8Array(c.width * c.wires.length);
      let n = 0;
      c.wires.forEach((wire, j) => {
        const at = wire - offset;
        if (zero[at]) return;
        const p = points.subarray(at * size, (at + 1) * size);
        bases.set(c.negative[j] ? group.neg(p) : p, n * size);
        scalars.set(c.scalars.subarray(j * c.width, (j + 1) * c.width), n * c.width);
        n++;
      });
      if (n === 0) return group.zero;
      return msm(bases.slice(0, n * size), scalars.slice(0, n * c.width));
    }),
  );
  return parts.reduce((a, b) => group.add(a, b), group.zero);
}

/** A uniformly random element of the scalar field, as ffjavascript's Fr element. */
function randomFr(curve: ProverCurve): Uint8Array {
  const r = BigInt(`0x${randomBytes(48).toString('hex')}`) % FIELD_MODULUS; // 384 bits: bias below 2^-128
  return curve.Fr.e(r);
}

/** A snarkjs-shaped proof: affine points as decimal strings. */
export interface Groth16ProofObject {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: 'groth16';
  curve: 'bn128';
}

const decimals = (v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : Array.isArray(v) ? v.map(decimals) : v);

/**
 * Proves a witness under a parsed key.
 * @param curve snarkjs's BN254 curve (single- or multi-threaded)
 * @param wtns a wtns file's bytes (circom's witness calculator `calculateWTNSBin`)
 * @param mark called with a phase's name as it ends (for profiles)
 * @returns the proof and public signals as snarkjs's `groth16.prove` returns them
 * @throws {Error} when the witness does not fit the key
 */
export async function proveGroth16(curve: ProverCurve, key: Groth16Key, wtns: Uint8Array, mark?: (phase: string) => void): Promise<{ proof: Groth16ProofObject; publicSignals: string[] }> {
  const witness = readWitness(wtns);
  if (witness.byteLength !== key.nVars * 32) throw new Error(`invalid witness length: circuit ${key.nVars}, witness ${witness.byteLength / 32}`);
  const { Fr, G1, G2, tm } = curve;
  const n8 = 32;
  const n = key.domainSize;

  // A, B, C at the constraints, in wasm (C = A·B pointwise)
  const [a, b, c] = await tm.queueAction([
    { cmd: 'ALLOCSET', var: 0, buff: key.coefs },
    { cmd: 'ALLOCSET', var: 1, buff: witness },
    { cmd: 'ALLOC', var: 2, len: n * n8 },
    { cmd: 'ALLOC', var: 3, len: n * n8 },
    { cmd: 'ALLOC', var: 4, len: n * n8 },
    { cmd: 'CALL', fnName: 'qap_buildABC', params: [{ var: 0 }, { val: key.nCoefs }, { var: 1 }, { var: 2 }, { var: 3 }, { var: 4 }, { val: 0 }, { val: n }, { val: 0 }, { val: key.nVars }] },
    { cmd: 'GET', out: 0, var: 2, len: n * n8 },
    { cmd: 'GET', out: 1, var: 3, len: n * n8 },
    { cmd: 'GET', out: 2, var: 4, len: n * n8 },
  ]);
  mark?.('A/B/C at the constraints');
  const all = groupWitness(witness, 0, key.nVars);
  const firstPrivate = key.nPublic + 1;
  const priv = all.map((c) => {
    const k = c.wires.findIndex((w) => w >= firstPrivate); // wires are in increasing order
    const from = k < 0 ? c.wires.length : k;
    return { ...c, wires: c.wires.slice(from), negative: c.negative.slice(from), scalars: c.scalars.subarray(from * c.width) };
  });
  mark?.('witness grouped');
  const batch = hasBatchMsm(curve);
  const msm1: Msm = batch ? (p, s) => msmBatchAffine(curve as unknown as MsmCurve, 'G1', p, s) : (p, s) => G1.multiExpAffine(p, s);
  const msm2: Msm = batch ? (p, s) => msmBatchAffine(curve as unknown as MsmCurve, 'G2', p, s) : (p, s) => G2.multiExpAffine(p, s);
  const witnessMsms: Array<[string, () => Promise<Point>]> = [
    ['multiexp B2 (G2)', () => witnessMsm(G2, msm2, key.pointsB2, 128, 0, all)],
    ['multiexp A', () => witnessMsm(G1, msm1, key.pointsA, 64, 0, all)],
    ['multiexp B1', () => witnessMsm(G1, msm1, key.pointsB1, 64, 0, all)],
    ['multiexp C', () => witnessMsm(G1, msm1, key.pointsC, 64, firstPrivate, priv)],
  ];
  // to the odd coset, as snarkjs does (H's points in the key are laid out for it): one curve
  // task per polynomial (inverse FFT, shift, FFT in the thread's wasm memory), where
  // ffjavascript's Fr.ifft/fft split each transform into chunk tasks and join passes, with the
  // data going to and from the threads at every pass
  const inc = key.power === Fr.s ? Fr.shift : Fr.w[key.power + 1]!;
  const one = Fr.e(1);
  // (../shared/wasm-fft.ts's one on a curve built with it: tabled twiddles, half the multiplications)
  const cosetTask = (t: Uint8Array): TaskStep[] =>
    batch
      ? [
          { cmd: 'ALLOCSET', var: 0, buff: t },
          { cmd: 'ALLOCSET', var: 1, buff: Fr.inv(Fr.e(n)) },
          { cmd: 'ALLOCSET', var: 2, buff: inc },
          { cmd: 'ALLOCSET', var: 3, buff: Fr.w[key.power]! },
          { cmd: 'ALLOCSET', var: 4, buff: Fr.inv(Fr.w[key.power]!) },
          { cmd: 'ALLOC', var: 5, len: (n / 2) * n8 },
          { cmd: 'ALLOC', var: 6, len: (n / 2) * n8 },
          { cmd: 'ALLOC', var: 7, len: n8 },
          { cmd: 'CALL', fnName: 'frm_zkPowers', params: [{ var: 3 }, { val: n / 2 }, { var: 5 }] },
          { cmd: 'CALL', fnName: 'frm_zkPowers', params: [{ var: 4 }, { val: n / 2 }, { var: 6 }] },
          { cmd: 'CALL', fnName: 'frm_zkCoset', params: [{ var: 0 }, { val: key.power }, { var: 6 }, { var: 5 }, { var: 1 }, { var: 2 }, { var: 7 }] },
          { cmd: 'GET', out: 0, var: 0, len: n * n8 },
        ]
      : [
          { cmd: 'ALLOCSET', var: 0, buff: t },
          { cmd: 'ALLOCSET', var: 1, buff: one },
          { cmd: 'ALLOCSET', var: 2, buff: inc },
          { cmd: 'CALL', fnName: 'frm_ifft', params: [{ var: 0 }, { val: n }] },
          { cmd: 'CALL', fnName: 'frm_batchApplyKey', params: [{ var: 0 }, { val: n }, { var: 1 }, { var: 2 }, { var: 0 }] },
          { cmd: 'CALL', fnName: 'frm_fft', params: [{ var: 0 }, { val: n }] },
          { cmd: 'GET', out: 0, var: 0, len: n * n8 },
        ];
  const coset = (t: Uint8Array) => queueTasks(tm, [cosetTask(t)], true)[0]!.then((r) => r[0]!);
  // Without marks, the three transforms are queued first, then the witness multi-exponentiations
  // (they need no FFT: the curve's threads take them up as the transforms leave a thread free),
  // and the join and H go to the front of the queue as soon as they can start. With marks,
  // every step runs alone, to be timed.
  const transforms = mark ? undefined : Promise.all([coset(a!), coset(b!), coset(c!)]);
  const early = mark ? undefined : Promise.all(witnessMsms.map(([, run]) => run()));
  early?.catch(() => undefined); // awaited below; a failure of a later step must not leave it unhandled
  transforms?.catch(() => undefined);
  const [aOdd, bOdd, cOdd] = transforms ? await transforms : [await coset(a!), await coset(b!), await coset(c!)];
  mark?.('FFTs');
  const [h] = await queueTasks(
    tm,
    [
      [
        { cmd: 'ALLOCSET', var: 0, buff: aOdd },
        { cmd: 'ALLOCSET', var: 1, buff: bOdd },
        { cmd: 'ALLOCSET', var: 2, buff: cOdd },
        { cmd: 'ALLOC', var: 3, len: n * n8 },
        { cmd: 'CALL', fnName: 'qap_joinABC', params: [{ var: 0 }, { var: 1 }, { var: 2 }, { val: n }, { var: 3 }] },
        { cmd: 'CALL', fnName: 'frm_batchFromMontgomery', params: [{ var: 3 }, { val: n }, { var: 3 }] },
        { cmd: 'GET', out: 0, var: 3, len: n * n8 },
      ],
    ],
    true,
  )[0]!;
  mark?.('join A·B − C');
  const msmH = await (batch ? msmBatchAffine(curve as unknown as MsmCurve, 'G1', key.pointsH, h!, { first: true }) : G1.multiExpAffine(key.pointsH, h!));
  mark?.('multiexp H');
  let results: Point[];
  if (early) results = await early;
  else {
    results = [];
    for (const [name, run] of witnessMsms) {
      results.push(await run());
      mark?.(name);
    }
  }
  const [msmB2, msmA, msmB1, msmC] = results as [Point, Point, Point, Point];

  const r = randomFr(curve);
  const s = randomFr(curve);
  const piA = G1.add(G1.add(msmA, key.alpha1), G1.timesFr(key.delta1, r));
  const piB = G2.add(G2.add(msmB2, key.beta2), G2.timesFr(key.delta2, s));
  const b1 = G1.add(G1.add(msmB1, key.beta1), G1.timesFr(key.delta1, s));
  let piC = G1.add(msmC, msmH);
  piC = G1.add(piC, G1.timesFr(piA, s));
  piC = G1.add(piC, G1.timesFr(b1, r));
  piC = G1.add(piC, G1.timesFr(key.delta1, Fr.neg(Fr.mul(r, s))));

  const publicSignals: string[] = [];
  for (let i = 1; i <= key.nPublic; i++) publicSignals.push(le(witness, i * n8).toString());
  return {
    proof: {
      pi_a: decimals(G1.toObject(G1.toAffine(piA))) as string[],
      pi_b: decimals(G2.toObject(G2.toAffine(piB))) as string[][],
      pi_c: decimals(G1.toObject(G1.toAffine(piC))) as string[],
      protocol: 'groth16',
      curve: 'bn128',
    },
    publicSignals,
  };
}
