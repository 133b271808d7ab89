/**
 * Direct Groth16 keys for a local setup: the proving key (snarkjs's zkey format, so its prover
 * and zkinfer's warm pool load it unchanged) computed from the circuit's QAP evaluated at a τ
 * drawn here, instead of snarkjs `zkey new` over a powers-of-tau file followed by a contribution
 * and a beacon.
 *
 * In a local setup this machine knows τ anyway (DESIGN.md, "Artifacts and identity"), so every
 * point of the key is a known scalar times a generator (Groth16, "On the Size of Pairing-based
 * Non-interactive Arguments", 2016, §3.2; with snarkjs's layout, `zkey_new.js` and
 * `groth16_prove.js` of snarkjs 0.7.6):
 *
 *   header  [α]₁, [β]₁, [β]₂, [γ]₂, [δ]₁, [δ]₂
 *   IC (3)  [(β·u_i(τ) + α·v_i(τ) + w_i(τ))/γ]₁          i ≤ nPublic
 *   A (5)   [u_i(τ)]₁,  B1 (6) [v_i(τ)]₁,  B2 (7) [v_i(τ)]₂  every wire
 *   C (8)   [(β·u_i(τ) + α·v_i(τ) + w_i(τ))/δ]₁          i > nPublic
 *   H (9)   [L'_{2j+1}(τ)/δ]₁, j < n, L' the Lagrange basis of the 2n-point domain
 *
 * where u_i(τ) = Σ_c A[c][i]·L_c(τ) over the n-point domain, including the rows snarkjs adds
 * for the public signals (A[nConstraints + s][s] = 1). H is what snarkjs's prover expects: it
 * evaluates A·B − C on the odd coset {ω'^(2j+1)}, where Z(x) = xⁿ − 1 does not vanish, and
 * the multi-exponentiation with these points interpolates h(τ)·Z(τ)/δ, since A·B − C vanishes
 * on the even points (the n-point domain) and has degree below 2n. Section 4 (the A and B
 * coefficients the prover multiplies the witness with) is the r1cs's, as snarkjs writes it.
 *
 * The scalars are computed in the fixed-base workers (zkey-direct-worker.ts), which then multiply
 * them onto the generators with window tables, as the local powers of tau does. τ, α, β, γ, δ
 * never leave those workers' memory except as the key's scalars on their way between workers;
 * all are zeroed before the workers end. There is no phase-2 transcript (section 10): a direct
 * key is a local, development-grade key that `setup verify` refuses and no one can contribute to.
 */
import { availableParallelism } from 'node:os';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { CompileError, InputError } from '../shared/errors.js';
import { FIELD_MODULUS } from '../shared/field.js';
import { BN254_Q, G1_BYTES, G2_BYTES, MAX_LOCAL_POWER } from './ptau-format.js';
import { FixedBasePool, type GroupName, type PointsRequest } from './ptau-pool.js';
import { loadTables, sampleFr } from './ptau-generate.js';
import { loadFfjavascript } from './ptau-deps.js';
import { workerEntryFile } from '../shared/worker-thread.js';

/** The direct-key worker's entry: zkey-direct-worker.js when compiled, its loader shim from the sources. */
const DIRECT_KEY_WORKER_FILE = workerEntryFile(import.meta.url, 'zkey-direct-worker');

/** Progress of a direct key: stage name, and units done of total in that stage. */
export type DirectKeyProgress = (e: { stage: string; done?: number; total?: number }) => void;

/** Options of {@link writeDirectZkey}. */
export interface DirectKeyOptions {
  /** Worker threads (default: available parallelism). */
  threads?: number;
  /** Points per worker job, per group (default 4096 for G1, 1024 for G2); small values are for tests. */
  chunkPoints?: { G1: number; G2: number };
  /** Constraints per field-arithmetic job (default 8192). */
  chunkConstraints?: number;
  onProgress?: DirectKeyProgress;
}

/** What the r1cs says, as far as the key needs it. */
export interface R1csSystem {
  nVars: number;
  nPublic: number;
  nConstraints: number;
  /** log2 of the domain: the smallest p with 2^p > constraints + public signals. */
  power: number;
  /** The constraint section (iden3 r1cs section 2). */
  constraints: Uint8Array;
  /** Byte offset in `constraints` of each constraint, and of the end (nConstraints + 1 entries). */
  offsets: Float64Array;
}

const Fr_BYTES = 32;
const COEF_BYTES = 12 + Fr_BYTES;
const HEADER2_BYTES = 4 + 32 + 4 + 32 + 12 + 3 * G1_BYTES + 3 * G2_BYTES;
/** R² mod r, R = 2^256: snarkjs stores the coefficients of section 4 as c·R² mod r. */
const R2 = ((1n << 256n) % FIELD_MODULUS) ** 2n % FIELD_MODULUS;

/**
 * Reads and indexes an r1cs file (iden3 format, version 1) for a direct key.
 * @throws {InputError} naming the file if it is not a BN254 r1cs file or is malformed.
 */
export async function readR1csSystem(path: string): Promise<R1csSystem> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read r1cs file`, { cause: e });
  }
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const bad = (why: string) => new InputError(`${path}: not a valid r1cs file (${why})`);
  if (file.length < 12 || file.toString('latin1', 0, 4) !== 'r1cs') throw bad('expected magic "r1cs"');
  const sections = new Map<number, [number, number]>();
  let pos = 12;
  for (let i = 0, n = v.getUint32(8, true); i < n; i++) {
    if (pos + 12 > file.length) throw bad('truncated section table');
    const type = v.getUint32(pos, true);
    const len = Number(v.getBigUint64(pos + 4, true));
    if (pos + 12 + len > file.length) throw bad(`section ${type} ends past the end of the file`);
    if (!sections.has(type)) sections.set(type, [pos + 12, len]);
    pos += 12 + len;
  }
  const h = sections.get(1);
  const c = sections.get(2);
  if (!h || !c) throw bad('no header or constraint section');
  const n8 = v.getUint32(h[0], true);
  if (n8 !== 32) throw bad(`field of ${n8} bytes`);
  let prime = 0n;
  for (let k = 31; k >= 0; k--) prime = (prime << 8n) | BigInt(file[h[0] + 4 + k]!);
  if (prime !== FIELD_MODULUS) throw new InputError(`${path}: circuit is not over the BN254 scalar field`);
  const at = h[0] + 4 + 32;
  const nVars = v.getUint32(at, true);
  const nOutputs = v.getUint32(at + 4, true);
  const nPubInputs = v.getUint32(at + 8, true);
  const nConstraints = v.getUint32(at + 24, true);
  const nPublic = nOutputs + nPubInputs;
  const power = Math.max(1, 32 - Math.clz32(nConstraints + nPublic));
  const constraints = new Uint8Array(file.buffer, file.byteOffset + c[0], c[1]);
  const offsets = new Float64Array(nConstraints + 1);
  let p = c[0];
  const end = c[0] + c[1];
  for (let i = 0; i < nConstraints; i++) {
    offsets[i] = p - c[0];
    for (let m = 0; m < 3; m++) {
      if (p + 4 > end) throw bad(`constraint ${i} runs past its section`);
      p += 4 + (4 + 32) * v.getUint32(p, true);
    }
  }
  if (p !== end) throw bad(`constraint section has ${end - p} bytes after constraint ${nConstraints - 1}`);
  offsets[nConstraints] = p - c[0];
  return { nVars, nPublic, nConstraints, power, constraints, offsets };
}

/**
 * Section 4 of the zkey: the A and B coefficients in r1cs order (each constraint's A terms,
 * then its B terms), then A[nConstraints + s][s] = 1 for the public signals, each as
 * (matrix, constraint, signal, c·R² mod r).
 */
export function coefficientsSection(sys: R1csSystem): Uint8Array {
  const cv = new DataView(sys.constraints.buffer, sys.constraints.byteOffset, sys.constraints.byteLength);
  let count = sys.nPublic + 1;
  for (let i = 0; i < sys.nConstraints; i++) {
    const p = sys.offsets[i]!;
    const nA = cv.getUint32(p, true);
    count += nA + cv.getUint32(p + 4 + 36 * nA, true);
  }
  const out = new Uint8Array(4 + count * COEF_BYTES);
  const ov = new DataView(out.buffer);
  ov.setUint32(0, count, true);
  const cache = new Map<bigint, bigint>();
  let q = 4;
  const put = (m: number, c: number, s: number, coef: bigint): void => {
    let x = cache.get(coef);
    if (x === undefined) {
      x = (coef * R2) % FIELD_MODULUS;
      cache.set(coef, x);
    }
    ov.setUint32(q, m, true);
    ov.setUint32(q + 4, c, true);
    ov.setUint32(q + 8, s, true);
    for (let k = 0; k < 4; k++) ov.setBigUint64(q + 12 + 8 * k, (x >> BigInt(64 * k)) & 0xffffffffffffffffn, true);
    q += COEF_BYTES;
  };
  for (let i = 0; i < sys.nConstraints; i++) {
    let p = sys.offsets[i]!;
    for (let m = 0; m < 2; m++) {
      const k = cv.getUint32(p, true);
      p += 4;
      for (let t = 0; t < k; t++, p += 36) {
        let coef = 0n;
        for (let j = 3; j >= 0; j--) coef = (coef << 64n) | cv.getBigUint64(p + 4 + 8 * j, true);
        put(m, i, cv.getUint32(p, true), coef);
      }
    }
  }
  for (let s = 0; s <= sys.nPublic; s++) put(0, sys.nConstraints + s, s, 1n);
  return out;
}

interface PointJob {
  req: PointsRequest;
  section: number;
  within: number;
}

/**
 * Computes a Groth16 key for the r1cs directly from freshly drawn τ, α, β, γ, δ and writes it in
 * snarkjs's zkey format (sections 1–9) to `zkeyPath` (overwriting it; callers wanting atomicity
 * write to a temporary path and rename).
 * @returns the domain's log2 and the counts the key was made for.
 * @throws {InputError} if the r1cs is unreadable or malformed.
 * @throws {CompileError} if the circuit needs a domain larger than 2^27, or the computation fails.
 */
export async function writeDirectZkey(r1csPath: string, zkeyPath: string, options: DirectKeyOptions = {}): Promise<{ power: number; nVars: number; nPublic: number }> {
  const progress = options.onProgress ?? (() => undefined);
  progress({ stage: 'r1cs' });
  const sys = await readR1csSystem(r1csPath);
  if (sys.power > MAX_LOCAL_POWER) {
    throw new CompileError(`${r1csPath}: a direct local key supports domains up to 2^${MAX_LOCAL_POWER}; this circuit needs 2^${sys.power}`);
  }
  const coefs = coefficientsSection(sys);
  const ff = await loadFfjavascript();
  const curve = await ff.buildBn128(true);
  const code = curve.tm.code;
  if (!code) throw new Error('ffjavascript did not expose its BN254 wasm');
  const roots = new Uint8Array(32 * (curve.Fr.s + 1));
  for (let q = 0; q <= curve.Fr.s; q++) roots.set(curve.Fr.w[q]!, 32 * q);
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const pool = await FixedBasePool.start(threads, { code: code.slice(), roots, g1: curve.G1.g, g2: curve.G2.g }, DIRECT_KEY_WORKER_FILE);
  let fh: FileHandle | undefined;
  try {
    await loadKeySecrets(pool, sys.power + 1);
    progress({ stage: 'scalars' });
    const { a, b, k } = await evaluateQap(pool, sys, options.chunkConstraints ?? 8192);
    const n = 2 ** sys.power;
    const nC = sys.nVars - sys.nPublic - 1;
    await loadTables(pool, { G1: 3 * sys.nVars + n, G2: sys.nVars }, (e) => progress({ stage: 'tables', done: e.done, total: e.total }));

    const sizes: Array<[number, number]> = [
      [1, 4],
      [2, HEADER2_BYTES],
      [3, (sys.nPublic + 1) * G1_BYTES],
      [4, coefs.length],
      [5, sys.nVars * G1_BYTES],
      [6, sys.nVars * G1_BYTES],
      [7, sys.nVars * G2_BYTES],
      [8, nC * G1_BYTES],
      [9, n * G1_BYTES],
    ];
    const offsets = new Map<number, number>();
    let pos = 12;
    for (const [id, bytes] of sizes) {
      offsets.set(id, pos + 12);
      pos += 12 + bytes;
    }
    fh = await open(zkeyPath, 'w+');
    const file = fh;
    const write = async (buf: Uint8Array, at: number): Promise<void> => {
      await file.write(buf, 0, buf.length, at);
    };
    const pre = new Uint8Array(12);
    pre.set([0x7a, 0x6b, 0x65, 0x79]); // "zkey"
    new DataView(pre.buffer).setUint32(4, 1, true);
    new DataView(pre.buffer).setUint32(8, sizes.length, true);
    await write(pre, 0);
    for (const [id, bytes] of sizes) {
      const sh = new Uint8Array(12);
      new DataView(sh.buffer).setUint32(0, id, true);
      new DataView(sh.buffer).setBigUint64(4, BigInt(bytes), true);
      await write(sh, offsets.get(id)! - 12);
    }
    const s1 = new Uint8Array(4);
    new DataView(s1.buffer).setUint32(0, 1, true); // Groth16
    await write(s1, offsets.get(1)!);
    await write(coefs, offsets.get(4)!);

    // Header points: [α]₁ [β]₁ [δ]₁ and [β]₂ [γ]₂ [δ]₂.
    const h1 = await pool.points(0, { kind: 'points', group: 'G1', scalars: 'mults', mults: ['alpha', 'beta', 'delta'], count: 3, compressed: false });
    const h2 = await pool.points(0, { kind: 'points', group: 'G2', scalars: 'mults', mults: ['beta', 'gamma', 'delta'], count: 3, compressed: false });
    await write(header2(sys, h1.lem, h2.lem), offsets.get(2)!);

    const chunk = options.chunkPoints ?? { G1: 4096, G2: 1024 };
    const jobs: PointJob[] = [];
    const given = (section: number, group: GroupName, values: Uint8Array, first: number, count: number): void => {
      const size = Math.max(1, Math.floor(chunk[group]));
      const sG = group === 'G1' ? G1_BYTES : G2_BYTES;
      for (let i = 0; i < count; i += size) {
        const m = Math.min(size, count - i);
        jobs.push({ section, within: i * sG, req: { kind: 'points', group, scalars: 'given', values: values.subarray(32 * (first + i), 32 * (first + i + m)), count: m, compressed: false } });
      }
    };
    given(3, 'G1', k, 0, sys.nPublic + 1);
    given(5, 'G1', a, 0, sys.nVars);
    given(6, 'G1', b, 0, sys.nVars);
    given(7, 'G2', b, 0, sys.nVars);
    given(8, 'G1', k, sys.nPublic + 1, nC);
    const hSize = Math.max(1, Math.floor(chunk.G1));
    for (let j = 0; j < n; j += hSize) {
      const m = Math.min(hSize, n - j);
      jobs.push({
        section: 9,
        within: j * G1_BYTES,
        req: { kind: 'points', group: 'G1', scalars: 'lagrange', mult: 'deltaInv', level: sys.power + 1, start: 2 * j + 1, stride: 2, count: m, truncated: false, compressed: false },
      });
    }
    const total = jobs.reduce((s, j) => s + j.req.count, 0);
    let done = 0;
    let next = 0;
    const lane = async (worker: number): Promise<void> => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const req = job.req.scalars === 'given' ? { ...job.req, values: job.req.values.slice() } : job.req;
        const reply = pool.points(worker, req);
        if (req.scalars === 'given') req.values.fill(0); // the worker has its copy
        const { lem } = await reply;
        await write(lem, offsets.get(job.section)! + job.within);
        done += job.req.count;
        progress({ stage: 'points', done, total });
      }
    };
    try {
      const lanes: Promise<void>[] = [];
      for (let i = 0; i < pool.size; i++) lanes.push(lane(i), lane(i));
      await Promise.all(lanes);
    } finally {
      a.fill(0);
      b.fill(0);
      k.fill(0);
    }
    await file.sync();
    return { power: sys.power, nVars: sys.nVars, nPublic: sys.nPublic };
  } finally {
    await fh?.close();
    await pool.close();
  }
}

/** Section 2: field sizes and moduli, counts, then [α]₁ [β]₁ [β]₂ [γ]₂ [δ]₁ [δ]₂. */
function header2(sys: R1csSystem, g1: Uint8Array, g2: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER2_BYTES);
  const v = new DataView(out.buffer);
  let p = 0;
  const int = (x: bigint): void => {
    v.setUint32(p, 32, true);
    for (let i = 0; i < 32; i++, x >>= 8n) out[p + 4 + i] = Number(x & 0xffn);
    p += 36;
  };
  int(BN254_Q);
  int(FIELD_MODULUS);
  v.setUint32(p, sys.nVars, true);
  v.setUint32(p + 4, sys.nPublic, true);
  v.setUint32(p + 8, 2 ** sys.power, true);
  p += 12;
  const put = (src: Uint8Array, from: number, len: number): void => {
    out.set(src.subarray(from, from + len), p);
    p += len;
  };
  put(g1, 0, G1_BYTES); // α
  put(g1, G1_BYTES, G1_BYTES); // β
  put(g2, 0, G2_BYTES); // β
  put(g2, G2_BYTES, G2_BYTES); // γ
  put(g1, 2 * G1_BYTES, G1_BYTES); // δ
  put(g2, 2 * G2_BYTES, G2_BYTES); // δ
  return out;
}

/** Draws τ, α, β, γ, δ uniformly from Fr \ {0} (τ outside the domains used) into every worker. */
async function loadKeySecrets(pool: FixedBasePool, maxLevel: number): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const secrets = new Uint8Array(160);
    for (let i = 0; i < 5; i++) {
      const x = sampleFr();
      secrets.set(x, 32 * i);
      x.fill(0);
    }
    try {
      const replies = await Promise.all(Array.from({ length: pool.size }, (_, i) => pool.call(i, { kind: 'setKeySecrets', secrets, maxLevel })));
      if (replies.every((r) => r.ok === true)) return;
    } finally {
      secrets.fill(0);
    }
  }
  throw new Error('could not draw valid secrets');
}

/** The A, B and C/IC scalars (standard form, 32 bytes each, one per wire), computed by the workers. */
async function evaluateQap(pool: FixedBasePool, sys: R1csSystem, chunk: number): Promise<{ a: Uint8Array; b: Uint8Array; k: Uint8Array }> {
  const jobs: Array<Record<string, unknown>> = [];
  for (let c0 = 0; c0 < sys.nConstraints; c0 += chunk) {
    const count = Math.min(chunk, sys.nConstraints - c0);
    jobs.push({ c0, count, bytes: sys.constraints.slice(sys.offsets[c0]!, sys.offsets[c0 + count]!) });
  }
  jobs.push({ c0: sys.nConstraints, count: sys.nPublic + 1, publicRows: true });
  let next = 0;
  const lane = async (worker: number): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      await pool.call(worker, { kind: 'accumulate', level: sys.power, nVars: sys.nVars, ...job });
    }
  };
  const lanes: Promise<void>[] = [];
  for (let i = 0; i < pool.size; i++) lanes.push(lane(i));
  await Promise.all(lanes);
  const parts: Uint8Array[] = [];
  for (let i = 1; i < pool.size; i++) parts.push((await pool.call(i, { kind: 'takeSums' })).sums as Uint8Array);
  try {
    const r = await pool.call(0, { kind: 'finalize', parts, nPublic: sys.nPublic });
    return { a: r.a as Uint8Array, b: r.b as Uint8Array, k: r.k as Uint8Array };
  } finally {
    for (const p of parts) p.fill(0);
  }
}
