/**
 * Generates a prepared BN254 powers-of-tau file for a local, single-party setup, without the
 * point FFTs of `snarkjs powersoftau prepare phase2`.
 *
 * We draw τ, α, β ourselves, so every point is a known scalar times a generator:
 *   sections 2–6:  τ^i·G, α·τ^i·G1, β·τ^i·G1, β·G2;
 *   sections 12–15, level q (N = 2^q, ω a primitive N-th root of unity, as in ffjavascript's FFT):
 *     the inverse DFT of (τ^0..τ^(N−1))·G is Σ_j N⁻¹ω^(−ij)τ^j·G = L_i(τ)·G, with
 *     L_i(τ) = (τ^N − 1)/N · ω^i/(τ − ω^i)  (geometric sum; τ^N ≠ 1 is checked);
 *   and for the top tauG1 level (q = p + 1), whose input snarkjs pads with a zero in place of the
 *   missing τ^(N−1), the term N⁻¹ω^(−i(N−1))τ^(N−1) = ω^i·τ^(N−1)/N is subtracted.
 * Scalars are computed and multiplied onto the generators in worker threads (ptau-worker-core.ts).
 * The file records one ordinary contribution with genuine proofs of knowledge and transcript hashes,
 * so `snarkjs powersoftau verify` checks it like any other; it is single-party all the same: whoever
 * ran this saw τ, and trusts that it was wiped.
 */

import { randomFillSync } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { open, type FileHandle } from 'node:fs/promises';
import { blake2b } from '@noble/hashes/blake2.js';
import { encodeHeaderSection, encodePreamble, encodeSectionHeader, G1_BYTES, G2_BYTES, preparedSectionSizes, sectionOffsets } from './ptau-format.js';
import { FixedBasePool, type GroupName, type Multiplier, type PointsRequest } from './ptau-pool.js';
import { blake2b512, contributionsSectionBytes, encodeContributionsSection, encodePublicKey, firstChallengeHash, g2sp, toPartialHash, type KeyPart } from './ptau-transcript.js';
import { loadFfjavascript, type Bn128, type Ffjavascript, type Rpr } from './ptau-deps.js';

/** Progress of a generation: stage name, and units done of total in that stage. */
export type PtauProgress = (e: { stage: string; done: number; total: number }) => void;

export interface GeneratePtauOptions {
  onProgress?: PtauProgress;
  /** Worker threads (default: available parallelism). */
  threads?: number;
  /** Points per worker job, per group (default 4096 for G1, 1024 for G2); small values are for tests. */
  chunkPoints?: { G1: number; G2: number };
}

/** The name recorded in the contribution. */
export const LOCAL_CONTRIBUTION_NAME = 'zkinfer local single-party setup';

/** BN254 scalar field modulus r, big-endian bytes, for rejection sampling. */
const R_BE = Uint8Array.from(Buffer.from('30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001', 'hex'));

interface Job {
  req: PointsRequest;
  section: number;
  within: number;
  hashIndex: number | undefined;
}

/**
 * Writes a prepared ptau of 2^power to `path` (overwriting it). Callers wanting atomicity write to
 * a temporary path and rename.
 */
export async function writePreparedPtau(power: number, path: string, options: GeneratePtauOptions = {}): Promise<void> {
  const ff = await loadFfjavascript();
  const curve = await ff.buildBn128(true);
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const progress = options.onProgress ?? (() => undefined);
  const code = curve.tm.code;
  if (!code) throw new Error('ffjavascript did not expose its BN254 wasm');
  const roots = new Uint8Array(32 * (curve.Fr.s + 1));
  for (let q = 0; q <= curve.Fr.s; q++) roots.set(curve.Fr.w[q], 32 * q);

  const pool = await FixedBasePool.start(threads, { code: code.slice(), roots, g1: curve.G1.g, g2: curve.G2.g });
  let fh: FileHandle | undefined;
  try {
    await loadSecrets(pool, power + 1);
    const { jobs, totalPoints } = planJobs(power, options.chunkPoints ?? { G1: 4096, G2: 1024 });
    const count = (group: GroupName) => jobs.filter((j) => j.req.group === group).reduce((a, j) => a + j.req.count, 0);
    await loadTables(pool, { G1: count('G1'), G2: count('G2') }, progress);

    const challenge = firstChallengeHash(curve, power);
    const key = await proveKnowledge(pool, curve, ff, challenge);

    const s7Bytes = contributionsSectionBytes(LOCAL_CONTRIBUTION_NAME);
    const sizes = preparedSectionSizes(power, s7Bytes);
    const offsets = sectionOffsets(sizes);
    fh = await open(path, 'w+');
    const file = fh;
    await file.write(encodePreamble(sizes.length), 0, 12, 0);
    for (const [id, bytes] of sizes) await file.write(encodeSectionHeader(id, bytes), 0, 12, offsets.get(id)! - 12);
    await file.write(encodeHeaderSection(power, power), 0, sizes[0][1], offsets.get(1)!);

    // Response hash over the compressed points of sections 2–6, in order.
    const response = blake2b.create({ dkLen: 64 });
    response.update(challenge);
    const pendingC = new Map<number, Uint8Array>();
    const nHashed = jobs.filter((j) => j.hashIndex !== undefined).length;
    let nextC = 0;
    let resolveResponse!: () => void;
    const responseDone = new Promise<void>((r) => {
      resolveResponse = r;
    });
    if (nHashed === 0) resolveResponse();

    let done = 0;
    const onResult = async (job: Job, lem: Uint8Array, compressed: Uint8Array | undefined): Promise<void> => {
      await file.write(lem, 0, lem.length, offsets.get(job.section)! + job.within);
      if (job.hashIndex !== undefined) {
        pendingC.set(job.hashIndex, compressed!);
        for (let c = pendingC.get(nextC); c; c = pendingC.get(nextC)) {
          response.update(c);
          pendingC.delete(nextC++);
        }
        if (nextC === nHashed) resolveResponse();
      }
      done += job.req.count;
      progress({ stage: 'points', done, total: totalPoints });
    };

    const transcript = responseDone.then(async () => {
      const partialHash = toPartialHash(response);
      response.update(encodePublicKey(curve, key, 'uncompressed'));
      const responseHash = response.digest();
      const next = blake2b512();
      next.update(responseHash);
      const first: Record<number, Rpr> = {};
      for (const [id, group, count] of [
        [2, 'G1', 2],
        [3, 'G2', 2],
        [4, 'G1', 1],
        [5, 'G1', 1],
        [6, 'G2', 1],
      ] as const) {
        const size = sizes.find(([s]) => s === id)![1];
        const sG = group === 'G1' ? G1_BYTES : G2_BYTES;
        const chunk = sG * 16384;
        for (let pos = 0; pos < size; pos += chunk) {
          const len = Math.min(chunk, size - pos);
          const buf = new Uint8Array(len);
          const { bytesRead } = await file.read(buf, 0, len, offsets.get(id)! + pos);
          if (bytesRead !== len) throw new Error(`short read at ${offsets.get(id)! + pos}`);
          if (pos === 0) first[id] = buf.slice(sG * (count - 1), sG * count);
          next.update(await curve[group].batchLEMtoU(buf));
        }
      }
      const section = encodeContributionsSection(curve, {
        tauG1: first[2],
        tauG2: first[3],
        alphaG1: first[4],
        betaG1: first[5],
        betaG2: first[6],
        key,
        partialHash,
        nextChallenge: next.digest(),
        name: LOCAL_CONTRIBUTION_NAME,
      });
      await file.write(section, 0, section.length, offsets.get(7)!);
    });

    await Promise.all([runJobs(pool, jobs, onResult), transcript]);
    await file.sync();
  } finally {
    await fh?.close();
    await pool.close();
  }
}

/** Draws τ, α, β uniformly from Fr \ {0} (with τ outside every domain used) into the workers. */
async function loadSecrets(pool: FixedBasePool, maxLevel: number): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const secrets = new Uint8Array(96);
    for (let k = 0; k < 3; k++) {
      const x = sampleFr();
      secrets.set(x, 32 * k);
      x.fill(0);
    }
    try {
      const replies = await Promise.all(Array.from({ length: pool.size }, (_, i) => pool.call(i, { kind: 'setSecrets', secrets, maxLevel })));
      if (replies.every((r) => r.ok === true)) return;
    } finally {
      secrets.fill(0);
    }
  }
  throw new Error('could not draw valid secrets');
}

/** A uniform element of [0, r) by rejection sampling, little-endian. */
export function sampleFr(): Uint8Array {
  const be = new Uint8Array(32);
  for (;;) {
    randomFillSync(be);
    be[0] &= 0x3f;
    let lt = false;
    for (let i = 0; i < 32; i++) {
      if (be[i] !== R_BE[i]) {
        lt = be[i] < R_BE[i];
        break;
      }
    }
    if (lt) {
      const le = be.slice().reverse();
      be.fill(0);
      return le;
    }
  }
}

/** Window width minimising ⌈254/w⌉·(table entries + points) for one group. */
function chooseWindow(points: number): number {
  let best = 2;
  let bestCost = Infinity;
  for (let w = 2; w <= 16; w++) {
    const cost = Math.ceil(254 / w) * (1.3 * 2 ** w + points);
    if (cost < bestCost) {
      best = w;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * Builds each group's fixed-base window table across the pool's workers and loads the whole
 * table into every worker; the window width suits `points[group]` multiplications.
 */
export async function loadTables(pool: FixedBasePool, points: Record<GroupName, number>, progress: PtauProgress): Promise<void> {
  const groups: GroupName[] = ['G1', 'G2'];
  let done = 0;
  for (const group of groups) {
    const w = chooseWindow(points[group]);
    const windows = Math.ceil(254 / w);
    const sA = group === 'G1' ? G1_BYTES : G2_BYTES;
    const parts = await Promise.all(
      Array.from({ length: pool.size }, (_, i) => {
        const mine = Array.from({ length: windows }, (_, j) => j).filter((j) => j % pool.size === i);
        return pool.call(i, { kind: 'buildTable', group, w, windows: mine });
      }),
    );
    const table = new Uint8Array(windows * (sA << w));
    for (let j = 0; j < windows; j++) {
      table.set((parts[j % pool.size].windows as Uint8Array[])[Math.floor(j / pool.size)], j * (sA << w));
    }
    await Promise.all(Array.from({ length: pool.size }, (_, i) => pool.call(i, { kind: 'setTable', group, w, windows, bytes: table })));
    progress({ stage: 'tables', done: ++done, total: groups.length });
  }
}

/** The contribution's proofs of knowledge of τ, α, β. */
async function proveKnowledge(pool: FixedBasePool, curve: Bn128, ff: Ffjavascript, challenge: Uint8Array) {
  const seed = new Uint32Array(8);
  randomFillSync(seed);
  const rng = new ff.ChaCha(Array.from(seed));
  const mults: Multiplier[] = ['tau', 'alpha', 'beta'];
  const g1s = mults.map(() => curve.G1.toAffine(curve.G1.fromRng(rng)));
  const sx = await pool.call(0, { kind: 'mulPoints', group: 'G1', mults, points: concat(g1s) });
  const g1sx = split(sx.points as Uint8Array, G1_BYTES);
  const sp = mults.map((_, k) => g2sp(curve, ff.ChaCha, k, challenge, g1s[k], g1sx[k]));
  const spx = await pool.call(0, { kind: 'mulPoints', group: 'G2', mults, points: concat(sp) });
  const g2spx = split(spx.points as Uint8Array, G2_BYTES);
  const part = (k: number): KeyPart => ({ g1s: g1s[k], g1sx: g1sx[k], g2spx: g2spx[k] });
  return { tau: part(0), alpha: part(1), beta: part(2) };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function split(buf: Uint8Array, size: number): Uint8Array[] {
  return Array.from({ length: buf.length / size }, (_, i) => buf.slice(i * size, (i + 1) * size));
}

/** Every chunk of points to compute, in file order, with its section and byte offset in it. */
function planJobs(power: number, chunk: Record<GroupName, number>): { jobs: Job[]; totalPoints: number } {
  const n = 2 ** power;
  const jobs: Job[] = [];
  let hashIndex = 0;
  const chunkOf = (group: GroupName): number => Math.max(1, Math.floor(chunk[group]));
  const add = (section: number, group: GroupName, within: number, count: number, make: (start: number, count: number) => PointsRequest, hashed: boolean): void => {
    const sG = group === 'G1' ? G1_BYTES : G2_BYTES;
    for (let start = 0; start < count; start += chunkOf(group)) {
      const k = Math.min(chunkOf(group), count - start);
      jobs.push({ req: make(start, k), section, within: within + start * sG, hashIndex: hashed ? hashIndex++ : undefined });
    }
  };
  const powers =
    (group: GroupName, mult: Multiplier) =>
    (start: number, count: number): PointsRequest => ({ kind: 'points', group, scalars: 'powers', mult, start, count, compressed: true });
  add(2, 'G1', 0, 2 * n - 1, powers('G1', 'one'), true);
  add(3, 'G2', 0, n, powers('G2', 'one'), true);
  add(4, 'G1', 0, n, powers('G1', 'alpha'), true);
  add(5, 'G1', 0, n, powers('G1', 'beta'), true);
  add(6, 'G2', 0, 1, powers('G2', 'beta'), true);
  const lagrange = (section: number, group: GroupName, mult: Multiplier, top: number): void => {
    const sG = group === 'G1' ? G1_BYTES : G2_BYTES;
    for (let level = 0; level <= top; level++) {
      const truncated = level === power + 1;
      add(section, group, (2 ** level - 1) * sG, 2 ** level, (start, count) => ({ kind: 'points', group, scalars: 'lagrange', mult, level, start, count, truncated, compressed: false }), false);
    }
  };
  lagrange(12, 'G1', 'one', power + 1);
  lagrange(13, 'G2', 'one', power);
  lagrange(14, 'G1', 'alpha', power);
  lagrange(15, 'G1', 'beta', power);
  return { jobs, totalPoints: jobs.reduce((a, j) => a + j.req.count, 0) };
}

/** Runs the jobs with at most two in flight per worker, handing each result to `onResult`. */
async function runJobs(pool: FixedBasePool, jobs: Job[], onResult: (job: Job, lem: Uint8Array, compressed: Uint8Array | undefined) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (worker: number): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const { lem, compressed } = await pool.points(worker, job.req);
      await onResult(job, lem, compressed);
    }
  };
  const lanes: Promise<void>[] = [];
  for (let i = 0; i < pool.size; i++) lanes.push(lane(i), lane(i));
  await Promise.all(lanes);
}
