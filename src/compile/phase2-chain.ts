/**
 * A Groth16 key's phase-2 contribution chain: reading it from a zkey and checking it.
 *
 * Phase 2 (BGM17, as snarkjs 0.7.6 implements it in `zkey_contribute.js`, `zkey_beacon.js` and
 * `zkey_verify_frominit.js`) multiplies δ by each contributor's secret x. A contribution
 * publishes deltaAfter = x·(δ before) in G1, a proof of knowledge of x (g1_s, g1_sx = x·g1_s,
 * g2_spx = x·g2_sp with g2_sp = hashToG2(transcript)), and its transcript: BLAKE2b-512 over the
 * circuit hash, every earlier contribution's public key, g1_s and g1_sx. So one contribution's
 * hash fixes its place in one chain of one circuit; if any contributor in the chain discarded x,
 * nobody knows δ, and nobody can forge a proof (issue: "Keys third parties can trust").
 *
 * {@link verifyPhase2Chain} checks a chain with pairings — transcripts, proofs of knowledge,
 * each deltaAfter following from the one before, beacons recomputed from their public value,
 * and the last deltaAfter against the verification key's [δ]₂ — without the zkey's large
 * sections. That the key as a whole derives from the r1cs and a ptau is `setup verify`'s job
 * (snarkjs `zkey verify`, src/compile/phase2.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { InputError, VerifyError } from '../shared/errors.js';
import type { Phase2Chain, Phase2Contribution } from '../shared/manifest.js';
import { loadFfjavascript, loadSnarkjs, type Bn128, type Rpr } from './ptau-deps.js';

/** Largest beacon iteration exponent checked (2^28 SHA-256 iterations take minutes). */
export const MAX_BEACON_ITERATIONS_EXP = 28;
/** Smallest one snarkjs accepts. */
export const MIN_BEACON_ITERATIONS_EXP = 10;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/**
 * The shared BN254 curve of ffjavascript (the one snarkjs uses; released by `releaseCurve`).
 * snarkjs is loaded first: it pulls in another copy of ffjavascript (r1csfile's), whose module
 * set-up resets `globalThis.curve_bn128`, which would orphan a curve built before it and leave
 * its worker threads keeping the process alive.
 */
async function curve(): Promise<Bn128> {
  await loadSnarkjs();
  return (await loadFfjavascript()).buildBn128();
}

/**
 * The contribution hash snarkjs prints: BLAKE2b-512 of deltaAfter ‖ g1_s ‖ g1_sx ‖ g2_spx ‖
 * transcript (points uncompressed, snarkjs `hashPubKey`).
 */
export function contributionHash(c: Pick<Phase2Contribution, 'deltaAfter' | 'g1S' | 'g1Sx' | 'g2Spx' | 'transcript'>): string {
  return hashPubKey(createHash('blake2b512'), c).digest('hex');
}

function hashPubKey(h: Hash, c: Pick<Phase2Contribution, 'deltaAfter' | 'g1S' | 'g1Sx' | 'g2Spx' | 'transcript'>): Hash {
  for (const part of [c.deltaAfter, c.g1S, c.g1Sx, c.g2Spx, c.transcript]) h.update(bytes(part));
  return h;
}

/**
 * Reads the phase-2 chain (section 10) of a snarkjs zkey file.
 * @throws {InputError} naming the file, if it is not a zkey or its section 10 is malformed.
 */
export async function readZkeyChain(zkeyPath: string): Promise<Phase2Chain> {
  let fh;
  try {
    fh = await open(zkeyPath, 'r');
  } catch (e) {
    throw new InputError(`${zkeyPath}: cannot open zkey file`, { cause: e });
  }
  let data: Uint8Array;
  try {
    const { size } = await fh.stat();
    const read = async (pos: number, len: number): Promise<Uint8Array> => {
      const buf = new Uint8Array(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      if (bytesRead !== len) throw new InputError(`${zkeyPath}: not a zkey file (truncated)`);
      return buf;
    };
    const pre = await read(0, 12);
    if (Buffer.from(pre.subarray(0, 4)).toString('latin1') !== 'zkey') throw new InputError(`${zkeyPath}: not a zkey file (expected magic "zkey")`);
    const nSections = new DataView(pre.buffer).getUint32(8, true);
    let pos = 12;
    let found: [number, number] | undefined;
    for (let i = 0; i < nSections; i++) {
      const h = new DataView((await read(pos, 12)).buffer);
      const id = h.getUint32(0, true);
      const len = Number(h.getBigUint64(4, true));
      if (pos + 12 + len > size) throw new InputError(`${zkeyPath}: zkey file is truncated (section ${id})`);
      if (id === 10) found = [pos + 12, len];
      pos += 12 + len;
    }
    if (!found) throw new InputError(`${zkeyPath}: zkey file has no contributions section (section 10)`);
    data = await read(found[0], found[1]);
  } finally {
    await fh.close();
  }
  return parseChainSection(zkeyPath, data, await curve());
}

function parseChainSection(path: string, data: Uint8Array, c: Bn128): Phase2Chain {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  const take = (n: number): Uint8Array => {
    if (pos + n > data.length) throw new InputError(`${path}: zkey contributions section is truncated`);
    const out = data.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const u32 = (): number => {
    take(4);
    return view.getUint32(pos - 4, true);
  };
  // Points are stored affine in Montgomery form (LEM); the chain keeps snarkjs's uncompressed form.
  const g1 = (): string => hex(c.G1.toUncompressed(c.G1.fromRprLEM(take(64), 0)));
  const g2 = (): string => hex(c.G2.toUncompressed(c.G2.fromRprLEM(take(128), 0)));
  const circuitHash = hex(take(64));
  const n = u32();
  const contributions: Phase2Contribution[] = [];
  for (let i = 0; i < n; i++) {
    const deltaAfter = g1();
    const g1S = g1();
    const g1Sx = g1();
    const g2Spx = g2();
    const transcript = hex(take(64));
    const type = u32();
    const paramsLength = u32();
    const end = pos + paramsLength;
    let name = '';
    let iterationsExp: number | undefined;
    let beaconValue: string | undefined;
    let last = 0;
    while (pos < end) {
      const t = take(1)[0]!;
      if (t <= last) throw new InputError(`${path}: contribution #${i + 1} has unsorted parameters`);
      last = t;
      if (t === 1) name = new TextDecoder().decode(take(take(1)[0]!));
      else if (t === 2) iterationsExp = take(1)[0]!;
      else if (t === 3) beaconValue = hex(take(take(1)[0]!));
      else throw new InputError(`${path}: contribution #${i + 1} has an unknown parameter ${t}`);
    }
    if (pos !== end) throw new InputError(`${path}: contribution #${i + 1} parameters do not match their length`);
    const entry: Phase2Contribution = { name, hash: '', type: type === 1 ? 'beacon' : 'contribution', deltaAfter, g1S, g1Sx, g2Spx, transcript };
    if (type === 1) {
      if (iterationsExp === undefined || beaconValue === undefined) throw new InputError(`${path}: beacon contribution #${i + 1} lacks its beacon value or iterations`);
      entry.beacon = { value: beaconValue, iterationsExp };
    } else if (type !== 0) throw new InputError(`${path}: contribution #${i + 1} has an unknown type ${type}`);
    entry.hash = contributionHash(entry);
    contributions.push(entry);
  }
  if (pos !== data.length) throw new InputError(`${path}: zkey contributions section has trailing bytes`);
  return { circuitHash, contributions };
}

/**
 * How a contribution is named in messages: `#2 "alice"`. The name comes from the key file, so it
 * is quoted with every control character escaped (no terminal escape sequence gets through).
 */
export function contributionLabel(index: number, c: Pick<Phase2Contribution, 'name'>): string {
  const quoted = JSON.stringify(c.name).replace(/[\u007f-\u009f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `#${index + 1}${c.name ? ` ${quoted}` : ''}`;
}

/**
 * snarkjs's beacon randomness: 2^iterationsExp iterations of SHA-256 over the beacon value, then
 * ChaCha20 seeded with the result's eight big-endian 32-bit words (snarkjs `misc.js`
 * `rngFromBeaconParams`).
 */
export async function beaconSeed(value: string, iterationsExp: number): Promise<number[]> {
  let h: Uint8Array = bytes(value);
  const n = 2 ** iterationsExp;
  for (let i = 0; i < n; i++) h = createHash('sha256').update(h).digest();
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  return Array.from({ length: 8 }, (_, i) => v.getUint32(4 * i, false));
}

/**
 * Checks a phase-2 chain: every contribution's hash, transcript and proof of knowledge, that
 * each δ follows from the one before (starting from δ = 1, as snarkjs's new zkey has), beacons
 * recomputed from their value, and — when `vkDelta2` is given (a verification key's
 * `vk_delta_2`, snarkjs JSON) — that the last δ is the key's.
 * @throws {VerifyError} naming the first contribution that fails and why.
 */
export async function verifyPhase2Chain(chain: Phase2Chain, vkDelta2?: unknown): Promise<void> {
  const c = await curve();
  const ff = await loadFfjavascript();
  const fail = (i: number, what: string): never => {
    throw new VerifyError(`phase-2 contribution ${contributionLabel(i, chain.contributions[i]!)}: ${what}`);
  };
  const g1 = (i: number, h: string, what: string): Rpr => {
    const p = c.G1.fromRprUncompressed(bytes(h), 0);
    if (c.G1.isZero(p) || !c.G1.isValid(p)) fail(i, `${what} is not a valid G1 point`);
    return p;
  };
  const g2 = (i: number, h: string, what: string): Rpr => {
    const p = c.G2.fromRprUncompressed(bytes(h), 0);
    if (c.G2.isZero(p) || !c.G2.isValid(p) || !c.G2.isZero(c.G2.timesScalar(p, c.r))) fail(i, `${what} is not a valid G2 point`);
    return p;
  };
  const sameRatio = (a1: Rpr, b1: Rpr, a2: Rpr, b2: Rpr): Promise<boolean> => c.pairingEq(a1, b2, c.G1.neg(b1), a2);

  const accumulated = createHash('blake2b512').update(bytes(chain.circuitHash));
  let delta = c.G1.g;
  for (let i = 0; i < chain.contributions.length; i++) {
    const k = chain.contributions[i]!;
    if (contributionHash(k) !== k.hash) fail(i, 'its hash does not match its public key');
    const transcript = accumulated.copy().update(bytes(k.g1S)).update(bytes(k.g1Sx)).digest('hex');
    if (transcript !== k.transcript) fail(i, 'its transcript does not follow from the circuit and the contributions before it');
    const deltaAfter = g1(i, k.deltaAfter, 'deltaAfter');
    const g1S = g1(i, k.g1S, 'g1_s');
    const g1Sx = g1(i, k.g1Sx, 'g1_sx');
    const g2Spx = g2(i, k.g2Spx, 'g2_spx');
    const t = new DataView(bytes(k.transcript).buffer);
    const g2Sp = c.G2.fromRng(new ff.ChaCha(Array.from({ length: 8 }, (_, j) => t.getUint32(4 * j, false))));
    if (!(await sameRatio(g1S, g1Sx, g2Sp, g2Spx))) fail(i, 'its proof of knowledge does not verify');
    if (!(await sameRatio(delta, deltaAfter, g2Sp, g2Spx))) fail(i, 'its δ does not follow from the δ before it');
    if (k.type === 'beacon') {
      if (!k.beacon) fail(i, 'a beacon without its value');
      const { value, iterationsExp } = k.beacon!;
      if (!(iterationsExp >= MIN_BEACON_ITERATIONS_EXP && iterationsExp <= MAX_BEACON_ITERATIONS_EXP))
        fail(i, `beacon iterations 2^${iterationsExp} outside 2^${MIN_BEACON_ITERATIONS_EXP}..2^${MAX_BEACON_ITERATIONS_EXP}`);
      const rng = new ff.ChaCha(await beaconSeed(value, iterationsExp));
      const x = c.Fr.fromRng(rng);
      const s = c.G1.toAffine(c.G1.fromRng(rng));
      if (!c.G1.eq(s, g1S) || !c.G1.eq(c.G1.toAffine(c.G1.timesFr(s, x)), g1Sx)) fail(i, `its key is not the one beacon ${value} gives`);
    }
    hashPubKey(accumulated, k);
    delta = deltaAfter;
  }
  if (vkDelta2 !== undefined) {
    let d2: Rpr;
    try {
      d2 = c.G2.fromObject((vkDelta2 as string[][]).map((xy) => xy.map((v) => BigInt(v))));
    } catch (cause) {
      throw new VerifyError('verification key: vk_delta_2 is not a G2 point in snarkjs form', { cause });
    }
    if (!c.G2.isValid(d2) || c.G2.isZero(d2)) throw new VerifyError('verification key: vk_delta_2 is not a valid G2 point');
    if (!(await sameRatio(c.G1.g, delta, c.G2.g, d2))) {
      throw new VerifyError(
        chain.contributions.length === 0
          ? 'verification key: its δ is not 1, but the chain has no contributions'
          : `verification key: its δ is not the δ after the last contribution ${contributionLabel(chain.contributions.length - 1, chain.contributions.at(-1)!)}`,
      );
    }
  }
}
