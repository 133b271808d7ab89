/**
 * Powers of tau for Groth16 setup: the local single-party default (generated here, cached), and
 * checks on user-supplied files from public ceremonies.
 *
 * A local file is as trustworthy as the machine that made it: whoever generated it saw τ. It is
 * marked `local-single-party` so the manifest can say so (DESIGN.md, "Artifacts and identity").
 * A user's file counts as a public ceremony's only when it is byte-identical to a published one
 * (ptau-ceremony.ts); anything else is refused unless the caller accepts it as `unverified`.
 * Cached local files carry the SHA-256 of their content in their name
 * (`local-bn254-NN-<sha256>.ptau`), written when the file is made and checked on every reuse,
 * so a corrupted or replaced cache file is refused rather than silently used.
 * Format: snarkjs's prepared ptau (see ptau-format.ts); generation: ptau-generate.ts.
 */

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CompileError, InputError, assertInteger } from '../shared/errors.js';
import { MAX_LOCAL_POWER, readPtauHeader } from './ptau-format.js';
import { writePreparedPtau, type GeneratePtauOptions, type PtauProgress } from './ptau-generate.js';
import { identifyCeremonyPtau, type KnownPtau } from './ptau-ceremony.js';

export interface LocalPtauOptions {
  /** Cache root (default `$ZKINFER_CACHE_DIR`, else `~/.cache/zkinfer`); files go in `ptau/`. */
  cacheDir?: string;
  onProgress?: PtauProgress;
}

export type { GeneratePtauOptions, PtauProgress } from './ptau-generate.js';

/**
 * Where a ptau came from: generated here (`local-single-party`), a published public ceremony
 * file (`public-ceremony`, identified by its BLAKE2b-512), or a file the caller chose to use
 * without either (`unverified`).
 */
export type PtauOrigin = 'local-single-party' | 'public-ceremony' | 'unverified';

export interface PtauInfo {
  path: string;
  power: number;
  origin: PtauOrigin;
  /** SHA-256 of the whole file, hex. */
  sha256: string;
  /** For files given by the caller: BLAKE2b-512 of the whole file, hex (the hash ceremonies publish). */
  blake2b512?: string;
  /** For `public-ceremony`: the published file it is identical to. */
  ceremony?: string;
}

/** Options of {@link filePtau}. */
export interface FilePtauOptions {
  /** Use a file that matches no published ceremony file, labelled `unverified`. */
  unchecked?: boolean;
  /** Published files to match against (default: the Hermez table, KNOWN_CEREMONY_PTAU). */
  known?: readonly KnownPtau[];
}

/** What a ptau file's header says. */
export interface PtauSummary {
  power: number;
  prepared: boolean;
  ceremonyPower: number;
}

const inFlight = new Map<string, Promise<PtauInfo>>();

/** The cache root: `$ZKINFER_CACHE_DIR`, else `~/.cache/zkinfer`. */
export function defaultCacheDir(): string {
  return process.env.ZKINFER_CACHE_DIR || join(homedir(), '.cache', 'zkinfer');
}

const LOCAL_NAME = /^local-bn254-(\d+)-([0-9a-f]{64})\.ptau$/;
const localName = (power: number, sha256: string): string => `local-bn254-${String(power).padStart(2, '0')}-${sha256}.ptau`;

/**
 * Returns a cached prepared local ptau of at least 2^power (the smallest cached one that is large
 * enough), generating one of exactly 2^power if there is none. A new file is written to a temp
 * file, hashed, and renamed to `local-bn254-NN-<sha256>.ptau`; a cached file is re-hashed on every
 * use and must match the hash in its name.
 * @param power log2 of the number of points, 1..27.
 * @throws {InvalidArgumentError} if `power` is out of range.
 * @throws {InputError} if a cached file is damaged or does not match its recorded hash (delete it to regenerate).
 * @throws {CompileError} if generation fails.
 */
export async function localPtau(power: number, options: LocalPtauOptions = {}): Promise<PtauInfo> {
  assertInteger(power, 'power', 1, MAX_LOCAL_POWER);
  const dir = resolve(options.cacheDir ?? defaultCacheDir(), 'ptau');
  const cached = await findCached(dir, power);
  if (cached) return cached;
  const key = `${dir}\0${power}`;
  let job = inFlight.get(key);
  if (!job) {
    job = (async () => {
      const temp = join(dir, `.local-bn254-${power}.${process.pid}-${randomBytes(4).toString('hex')}.ptau`);
      try {
        await generatePreparedPtau(power, temp, { onProgress: options.onProgress });
        const sha256 = await sha256File(temp);
        const path = join(dir, localName(power, sha256));
        await rename(temp, path);
        return { path, power, origin: 'local-single-party' as const, sha256 };
      } catch (e) {
        await rm(temp, { force: true });
        if (e instanceof CompileError) throw e;
        throw new CompileError(`${dir}: could not store a powers-of-tau file of 2^${power} in the cache`, { cause: e });
      }
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, job);
  }
  return job;
}

async function findCached(dir: string, power: number): Promise<PtauInfo | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`${dir}: cannot read the ptau cache`, { cause: e });
  }
  const candidates = names
    .map((name) => {
      const m = LOCAL_NAME.exec(name);
      return { name, p: Number(m?.[1] ?? NaN), recorded: m?.[2] ?? '' };
    })
    .filter(({ p }) => p >= power)
    .sort((a, b) => a.p - b.p || (a.name < b.name ? -1 : 1));
  if (candidates.length === 0) return undefined;
  const { name, recorded } = candidates[0]!;
  const path = join(dir, name);
  let summary: PtauSummary;
  try {
    summary = await inspectPtau(path);
  } catch (e) {
    throw new InputError(`${path}: cached powers-of-tau file is damaged; delete it to regenerate`, { cause: e });
  }
  const sha256 = await sha256File(path);
  if (sha256 !== recorded)
    throw new InputError(`${path}: cached powers-of-tau file does not match the SHA-256 recorded in its name when it was written (corrupted or replaced); delete it to regenerate`);
  return { path, power: summary.power, origin: 'local-single-party', sha256 };
}

/**
 * Generates a prepared ptau of 2^power with freshly drawn τ, α, β (which never leave memory and are
 * wiped), written atomically to `outPath` (a temp file in the same directory, then rename).
 * The file holds one ordinary contribution and passes `snarkjs powersoftau verify`.
 * @throws {InvalidArgumentError} if `power` is out of range.
 * @throws {CompileError} if generation or writing fails.
 */
export async function generatePreparedPtau(power: number, outPath: string, options: GeneratePtauOptions = {}): Promise<void> {
  assertInteger(power, 'power', 1, MAX_LOCAL_POWER);
  const dir = dirname(resolve(outPath));
  const temp = join(dir, `.${basename(outPath)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writePreparedPtau(power, temp, options);
    await rename(temp, outPath);
  } catch (e) {
    await rm(temp, { force: true });
    throw new CompileError(`${outPath}: could not generate a powers-of-tau file of 2^${power}`, { cause: e });
  }
}

/**
 * Reads a ptau file's header and section table: its power, whether it is prepared for phase 2
 * (has the Lagrange sections 12–15), and the power of the ceremony it was cut from.
 * @param options.requirePrepared throw if the file is not prepared (default true).
 * @throws {InputError} naming the file, if it is not a BN254 ptau file, is truncated, or (by
 *   default) is not prepared.
 */
export async function inspectPtau(path: string, options: { requirePrepared?: boolean } = {}): Promise<PtauSummary> {
  const { power, ceremonyPower, prepared } = await readPtauHeader(path);
  if (!prepared && options.requirePrepared !== false) {
    throw new InputError(`${path}: powers-of-tau file is not prepared for phase 2 (no Lagrange sections); run \`snarkjs powersoftau prepare phase2\` on it or use a *_final_*.ptau file`);
  }
  return { power, prepared, ceremonyPower };
}

/**
 * Describes a user-supplied prepared ptau file: `public-ceremony` when its BLAKE2b-512 is that of
 * a published ceremony file; otherwise refused, or `unverified` when `options.unchecked` is set.
 * @throws {InputError} as {@link inspectPtau}, or when the file matches no published ceremony
 *   file and `unchecked` is not set.
 */
export async function filePtau(path: string, options: FilePtauOptions = {}): Promise<PtauInfo> {
  const { power } = await inspectPtau(path);
  const { blake2b512, match } = await identifyCeremonyPtau(path, options.known);
  if (!match && !options.unchecked) {
    throw new InputError(`${path}: not a known public ceremony file (its BLAKE2b-512 matches no published powersOfTau28_hez_final*.ptau); use --ptau-unchecked to record it as unverified`);
  }
  const info: PtauInfo = { path: resolve(path), power, origin: match ? 'public-ceremony' : 'unverified', sha256: await sha256File(path), blake2b512 };
  if (match) info.ceremony = match.name;
  return info;
}

/** SHA-256 of a file, hex. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  } catch (e) {
    throw new InputError(`${path}: cannot read`, { cause: e });
  }
  return h.digest('hex');
}
