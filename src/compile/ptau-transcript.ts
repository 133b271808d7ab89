/**
 * The transcript of a powers-of-tau contribution, byte-compatible with snarkjs 0.7.6 so that
 * `snarkjs powersoftau verify` accepts our single local contribution:
 *
 * - the first challenge is BLAKE2b-512 of (BLAKE2b-512("") ‖ the blank accumulator, uncompressed);
 * - the contributor's proofs of knowledge of τ, α, β: for each, a random G1 point s, s·x, and
 *   (g2_sp)·x where g2_sp is hashed to G2 from (personalisation ‖ challenge ‖ s ‖ s·x)
 *   (the "same ratio" proof of the Zcash/BGM17 ceremonies);
 * - the response hash, BLAKE2b-512 of (challenge ‖ new points, compressed ‖ public key); the file
 *   stores the hasher state before the public key ("partial hash", snarkjs `misc.toPartialHash`);
 * - the next challenge, BLAKE2b-512 of (response hash ‖ new points, uncompressed).
 */

import { createHash, getHashes } from 'node:crypto';
import { blake2b } from '@noble/hashes/blake2.js';
import type { Bn128, ChaChaRng, Rpr } from './ptau-deps.js';

/** An incremental 64-byte BLAKE2b. */
export interface Blake2b512 {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** BLAKE2b-512 from OpenSSL when available (≈20× faster than pure JS), else @noble/hashes. */
export function blake2b512(): Blake2b512 {
  if (getHashes().includes('blake2b512')) {
    const h = createHash('blake2b512');
    return { update: (d) => void h.update(d), digest: () => new Uint8Array(h.digest()) };
  }
  const h = blake2b.create({ dkLen: 64 });
  return { update: (d) => void h.update(d), digest: () => h.digest() };
}

/**
 * The 216-byte resumable BLAKE2b state snarkjs stores as a contribution's partial hash:
 * the pending 128-byte block, the eight 64-bit chain words as (low, high) 32-bit pairs, then
 * 64-bit (bytes absorbed − pending) and 64-bit pending. Reads the internal fields of @noble/hashes'
 * BLAKE2b, as snarkjs itself does.
 * @throws {Error} if the hasher does not have the expected internal shape.
 */
export function toPartialHash(hasher: ReturnType<typeof blake2b.create>): Uint8Array {
  const h = hasher as unknown as Record<string, unknown>;
  const names = ['v0l', 'v0h', 'v1l', 'v1h', 'v2l', 'v2h', 'v3l', 'v3h', 'v4l', 'v4h', 'v5l', 'v5h', 'v6l', 'v6h', 'v7l', 'v7h'];
  const buffer = h.buffer;
  const { length, pos } = h;
  if (!(buffer instanceof Uint8Array) || buffer.length !== 128 || typeof length !== 'number' || typeof pos !== 'number' || names.some((n) => typeof h[n] !== 'number')) {
    throw new Error('unexpected @noble/hashes BLAKE2b internals: cannot export a partial hash');
  }
  const out = new Uint8Array(216);
  out.set(buffer);
  const v = new DataView(out.buffer);
  names.forEach((n, i) => v.setUint32(128 + 4 * i, (h[n] as number) >>> 0, true));
  const absorbed = length - pos;
  v.setUint32(192, absorbed % 2 ** 32, true);
  v.setUint32(196, Math.floor(absorbed / 2 ** 32), true);
  v.setUint32(200, pos, true);
  return out;
}

/** The challenge hash of a blank accumulator of 2^power (snarkjs `calculateFirstChallengeHash`). */
export function firstChallengeHash(curve: Bn128, power: number): Uint8Array {
  const h = blake2b512();
  h.update(blake2b512().digest());
  const g1 = curve.G1.toUncompressed(curve.G1.g);
  const g2 = curve.G2.toUncompressed(curve.G2.g);
  const repeat = (p: Uint8Array, count: number): void => {
    const per = 16384;
    const block = new Uint8Array(per * p.length);
    for (let i = 0; i < per; i++) block.set(p, i * p.length);
    for (let done = 0; done < count; done += per) {
      const k = Math.min(per, count - done);
      h.update(k === per ? block : block.subarray(0, k * p.length));
    }
  };
  const n = 2 ** power;
  repeat(g1, 2 * n - 1);
  repeat(g2, n);
  repeat(g1, n);
  repeat(g1, n);
  h.update(g2);
  return h.digest();
}

/** g2_sp of a proof of knowledge (snarkjs `keypair.getG2sp`), affine. */
export function g2sp(curve: Bn128, ChaCha: new (seed: number[]) => ChaChaRng, personalization: number, challenge: Uint8Array, g1s: Rpr, g1sx: Rpr): Rpr {
  const h = blake2b.create({ dkLen: 64 });
  h.update(new Uint8Array([personalization]));
  h.update(challenge);
  h.update(curve.G1.toUncompressed(g1s));
  h.update(curve.G1.toUncompressed(g1sx));
  const digest = h.digest();
  const dv = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  const seed = Array.from({ length: 8 }, (_, i) => dv.getUint32(4 * i, false));
  return curve.G2.toAffine(curve.G2.fromRng(new ChaCha(seed)));
}

/** Proof of knowledge of one secret: g1_s, g1_s·x, g2_sp·x (affine LEM). */
export interface KeyPart {
  g1s: Rpr;
  g1sx: Rpr;
  g2spx: Rpr;
}

/** The public key of a contribution, in snarkjs order. */
export interface PtauPublicKey {
  tau: KeyPart;
  alpha: KeyPart;
  beta: KeyPart;
}

/** Encodes a public key uncompressed (for the response hash) or as LEM (for the file). */
export function encodePublicKey(curve: Bn128, key: PtauPublicKey, form: 'uncompressed' | 'lem'): Uint8Array {
  const out = new Uint8Array(6 * 64 + 3 * 128);
  let pos = 0;
  const put = (g: 'G1' | 'G2', p: Rpr): void => {
    if (form === 'lem') out.set(p, pos);
    else curve[g].toRprUncompressed(out, pos, p);
    pos += g === 'G1' ? 64 : 128;
  };
  for (const k of [key.tau, key.alpha, key.beta]) {
    put('G1', k.g1s);
    put('G1', k.g1sx);
  }
  for (const k of [key.tau, key.alpha, key.beta]) put('G2', k.g2spx);
  return out;
}

/** One contribution record (snarkjs `writeContribution`, type 0 = ordinary contribution). */
export interface Contribution {
  tauG1: Rpr;
  tauG2: Rpr;
  alphaG1: Rpr;
  betaG1: Rpr;
  betaG2: Rpr;
  key: PtauPublicKey;
  partialHash: Uint8Array;
  nextChallenge: Uint8Array;
  name: string;
}

function nameBytes(name: string): Uint8Array {
  const b = new TextEncoder().encode(name);
  if (b.length > 64) throw new RangeError('contribution name longer than 64 bytes');
  return b;
}

/** Size of a contributions section holding one contribution with this name. */
export function contributionsSectionBytes(name: string): number {
  return 4 + 64 + 128 + 64 + 64 + 128 + 768 + 216 + 64 + 4 + 4 + 2 + nameBytes(name).length;
}

/** Encodes section 7 with a single contribution. */
export function encodeContributionsSection(curve: Bn128, c: Contribution): Uint8Array {
  const name = nameBytes(c.name);
  const out = new Uint8Array(contributionsSectionBytes(c.name));
  const v = new DataView(out.buffer);
  let pos = 0;
  const put = (b: Uint8Array): void => {
    out.set(b, pos);
    pos += b.length;
  };
  v.setUint32(pos, 1, true);
  pos += 4;
  for (const p of [c.tauG1, c.tauG2, c.alphaG1, c.betaG1, c.betaG2]) put(p);
  put(encodePublicKey(curve, c.key, 'lem'));
  put(c.partialHash);
  put(c.nextChallenge);
  v.setUint32(pos, 0, true);
  pos += 4; // type: contribution (not beacon)
  v.setUint32(pos, 2 + name.length, true);
  pos += 4; // parameters length
  put(new Uint8Array([1, name.length])); // parameter 1: name
  put(name);
  return out;
}
