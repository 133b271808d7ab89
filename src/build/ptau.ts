/**
 * Powers of tau for Groth16 setup: the local single-party default (generated here, cached), and
 * checks on user-supplied files from public ceremonies.
 *
 * A local file is as trustworthy as the machine that made it: whoever generated it saw τ. It is
 * marked `local-single-party` so the manifest can say so (DESIGN.md, "Artifacts and identity").
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

export interface LocalPtauOptions {
  /** Cache root (default `$ZKINFER_CACHE_DIR`, else `~/.cache/zkinfer`); files go in `ptau/`. */
  cacheDir?: string;
  onProgress?: PtauProgress;
}

export type { GeneratePtauOptions, PtauProgress } from './ptau-generate.js';

export interface PtauInfo {
  path: string;
  power: number;
  origin: 'local-single-party' | 'file';
  /** SHA-256 of the whole file, hex. */
  sha256: string;
}

/** What a ptau file's header says. */
export interface PtauSummary { power: number; prepared: boolean; ceremonyPower: number }

const inFlight = new Map<string, Promise<PtauInfo>>();

/** The cache root: `$ZKINFER_CACHE_DIR`, else `~/.cache/zkinfer`. */
export function defaultCacheDir(): string {
  return process.env.ZKINFER_CACHE_DIR || join(homedir(), '.cache', 'zkinfer');
}

const LOCAL_NAME = /^local-bn254-(\d+)\.ptau$/;
const localName = (power: number): string => `local-bn254-${String(power).padStart(2, '0')}.ptau`;

/**
 * Returns a cached prepared local ptau of at least 2^power (the smallest cached one that is large
 * enough), generating one of exactly 2^power if there is none (atomically: temp file, then rename).
 * @param power log2 of the number of points, 1..27.
 * @throws {InvalidArgumentError} if `power` is out of range.
 * @throws {InputError} if a cached file is damaged (delete it to regenerate).
 * @throws {CompileError} if generation fails.
 */
export async function localPtau(power: number, options: LocalPtauOptions = {}): Promise<PtauInfo> {
  assertInteger(power, 'power', 1, MAX_LOCAL_POWER);
  const dir = resolve(options.cacheDir ?? defaultCacheDir(), 'ptau');
  const cached = await findCached(dir, power);
  if (cached) return cached;
  const target = join(dir, localName(power));
  let job = inFlight.get(target);
  if (!job) {
    job = (async () => {
      await generatePreparedPtau(power, target, { onProgress: options.onProgress });
      return { path: target, power, origin: 'local-single-party' as const, sha256: await sha256File(target) };
    })().finally(() => inFlight.delete(target));
    inFlight.set(target, job);
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
    .map((name) => ({ name, p: Number(LOCAL_NAME.exec(name)?.[1] ?? NaN) }))
    .filter(({ p }) => p >= power)
    .sort((a, b) => a.p - b.p);
  if (candidates.length === 0) return undefined;
  const path = join(dir, candidates[0].name);
  let summary: PtauSummary;
  try {
    summary = await inspectPtau(path);
  } catch (e) {
    throw new InputError(`${path}: cached powers-of-tau file is damaged; delete it to regenerate`, { cause: e });
  }
  return { path, power: summary.power, origin: 'local-single-party', sha256: await sha256File(path) };
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
 * Describes a user-supplied prepared ptau file (origin `file`).
 * @throws {InputError} as {@link inspectPtau}.
 */
export async function filePtau(path: string): Promise<PtauInfo> {
  const { power } = await inspectPtau(path);
  return { path: resolve(path), power, origin: 'file', sha256: await sha256File(path) };
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
