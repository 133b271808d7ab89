/**
 * Multi-party phase 2 for a compiled model: `setup contribute`, `setup beacon` and
 * `setup verify` as library functions.
 *
 * Whoever knows a key's δ can forge a proof for any output (test/compile/phase2-forgery.test.ts),
 * and the compiling party could have kept its own contribution's secret. So a key others can
 * trust needs a contribution from someone they trust to have discarded theirs: an auditor runs
 * {@link contributePhase2} on the artifacts and publishes the contribution hash it prints; a
 * public random value closes the chain ({@link beaconPhase2}); anyone checks the result against
 * the r1cs and a public ceremony file ({@link verifySetup}: snarkjs `zkey verify` does the
 * arithmetic). Each step writes a new artifacts folder — same model id, new key id, the chain in
 * the manifest — atomically (a temporary folder, then a rename), and replaces an existing folder
 * only when told to (`force`).
 *
 * These functions use snarkjs's shared BN254 curve; callers release it (`releaseCurve`).
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CompileError, EXIT, InputError, InvalidArgumentError, VerifyError, ZkinferError, assertInteger } from '../shared/errors.js';
import { canonicalJson, sha256Hex } from '../shared/hash.js';
import { computeKeyId, type Manifest, type Phase2Chain, type Phase2Contribution } from '../shared/manifest.js';
import { openArtifacts } from '../shared/artifacts.js';
import { contributionLabel, MAX_BEACON_ITERATIONS_EXP, MIN_BEACON_ITERATIONS_EXP, readZkeyChain, verifyPhase2Chain } from './phase2-chain.js';
import { identifyCeremonyPtau, type KnownPtau } from './ptau-ceremony.js';
import { inspectPtau, sha256File } from './ptau.js';
import { errorCollector, loadSnarkjs, type SnarkjsLogger } from './ptau-deps.js';
import { SETUP_NOTES, checkBeaconHash } from './setup.js';
import { closingLeakedFileHandles } from '../shared/file-handles.js';

/** Where to write a new artifacts folder. */
export interface Phase2Output {
  /** The folder to write; default (beacon only): the artifacts folder itself, which needs `force`. */
  out?: string;
  /** Replace `out` if it exists and is not empty (its files are replaced, never merged). */
  force?: boolean;
}

/** Options of {@link contributePhase2}. */
export interface ContributeOptions extends Phase2Output {
  out: string;
  /** The contributor's name, stored in the key (at most 64 bytes; a claim, not covered by the hash). */
  name?: string;
  /** Extra entropy (snarkjs mixes in 64 random bytes of its own); default 32 random bytes. */
  entropy?: Uint8Array;
}

/** Options of {@link beaconPhase2}. */
export interface BeaconOptions extends Phase2Output {
  /** The public random value, hex (1–255 bytes), e.g. a block hash chosen in advance. */
  beacon: string;
  /** log2 of the SHA-256 iterations applied to it (snarkjs numIterationsExp), 10–28; default 10. */
  iterationsExp?: number;
  /** Name stored in the key; default "beacon". */
  name?: string;
}

/** What {@link contributePhase2} and {@link beaconPhase2} return. */
export interface Phase2Result {
  /** The folder written. */
  dir: string;
  manifest: Manifest;
  /** The contribution just added (its hash is what a contributor publishes). */
  contribution: Phase2Contribution;
  /** The key id before this contribution. */
  previousKeyId: string;
}

/** Options of {@link verifySetup}. */
export interface VerifySetupOptions {
  /** The public ceremony ptau file to recompute the key from. */
  ptauPath: string;
  /** Published ceremony files to recognise (default: the Hermez table; for tests). */
  knownPtau?: readonly KnownPtau[];
  onProgress?: (stage: 'files' | 'chain' | 'zkey-verify') => void;
}

/** What {@link verifySetup} found (it throws instead when a check fails). */
export interface SetupReport {
  dir: string;
  modelId: string;
  keyId: string;
  ptau: { path: string; power: number; blake2b512: string; ceremony?: string; sameAsManifest: boolean };
  /** The chain as the manifest records it (with `by`), checked against the key. */
  chain: Phase2Chain;
  /** True when every contribution that is not a beacon is the compiling party's. */
  onlyCompilingParty: boolean;
  seconds: number;
}

interface Source {
  dir: string;
  manifest: Manifest & { setup: NonNullable<Manifest['setup']> };
  zkeyPath: string;
  vkeyPath: string;
  vkey: Record<string, unknown>;
  chain: Phase2Chain;
}

/**
 * Adds a phase-2 contribution with fresh secret randomness to a model's key, writing a new
 * artifacts folder at `options.out` (model id unchanged, new key id, chain extended).
 * @throws {VerifyError} if the artifacts' key does not match their manifest or its chain does not verify.
 * @throws {InputError} if `out` exists and is not empty and `force` is not set.
 * @throws {CompileError} if snarkjs fails.
 */
export async function contributePhase2(artifactsDir: string, options: ContributeOptions): Promise<Phase2Result> {
  if (options.name !== undefined && Buffer.byteLength(options.name) > 64) throw new InvalidArgumentError(`expected name to be at most 64 bytes, got ${Buffer.byteLength(options.name)}`);
  const out = resolve(options.out);
  await checkOutput(resolve(artifactsDir), out, options.force);
  const source = await loadSource(artifactsDir, { purpose: 'contribute' });
  const entropy = Buffer.from(options.entropy ?? randomBytes(32)).toString('hex');
  return writeWithNewKey(source, out, options.force, async (snarkjs, newZkey, logger) => {
    await snarkjs.zKey.contribute(source.zkeyPath, newZkey, options.name ?? '', entropy, logger);
  });
}

/**
 * Adds a beacon — a contribution whose randomness is a public value, so anyone can recompute it —
 * to a model's key: in a new folder `options.out`, or in place with `force`.
 * @throws {InvalidArgumentError} if the beacon is not 1–255 bytes of hex or iterationsExp is not in 10..28.
 * @throws as {@link contributePhase2}.
 */
export async function beaconPhase2(artifactsDir: string, options: BeaconOptions): Promise<Phase2Result> {
  const beacon = checkBeaconHash(options.beacon, 'beacon');
  const iterationsExp = options.iterationsExp ?? MIN_BEACON_ITERATIONS_EXP;
  assertInteger(iterationsExp, 'iterations', MIN_BEACON_ITERATIONS_EXP, MAX_BEACON_ITERATIONS_EXP);
  if (options.name !== undefined && Buffer.byteLength(options.name) > 64) throw new InvalidArgumentError(`expected name to be at most 64 bytes, got ${Buffer.byteLength(options.name)}`);
  const out = resolve(options.out ?? artifactsDir);
  await checkOutput(resolve(artifactsDir), out, options.force);
  const source = await loadSource(artifactsDir, { purpose: 'beacon' });
  return writeWithNewKey(source, out, options.force, async (snarkjs, newZkey, logger) => {
    const r = await snarkjs.zKey.beacon(source.zkeyPath, newZkey, options.name ?? 'beacon', beacon, iterationsExp, logger);
    if (r === false) throw new CompileError(`${source.zkeyPath}: snarkjs beacon failed${logger.last()}`);
  });
}

/**
 * Checks a model's key from scratch: the r1cs, zkey and verification key against the manifest,
 * the phase-2 chain (each contribution's transcript and proof of knowledge, δ after δ, beacons
 * recomputed, the last δ against the verification key) and, with snarkjs `zkey verify`, that the
 * key is the one the r1cs and `ptauPath` give followed by exactly that chain.
 * @returns who contributed, the key and model ids, and whether `ptauPath` is a published ceremony file.
 * @throws {VerifyError} naming the first check that fails.
 * @throws {InputError} if the ptau file is unreadable or not a prepared BN254 ptau.
 */
export async function verifySetup(artifactsDir: string, options: VerifySetupOptions): Promise<SetupReport> {
  const t0 = performance.now();
  const progress = options.onProgress ?? (() => undefined);
  progress('files');
  const source = await loadSource(artifactsDir, { checkChain: false, purpose: 'verify' });
  const { manifest } = source;
  const r1csPath = join(source.dir, manifest.files.r1cs.path);
  await checkFileHash(r1csPath, manifest.files.r1cs.sha256);
  const { power } = await inspectPtau(options.ptauPath);
  const { blake2b512, match } = await identifyCeremonyPtau(options.ptauPath, options.knownPtau);

  progress('chain');
  await verifyPhase2Chain(source.chain, source.vkey.vk_delta_2);

  progress('zkey-verify');
  const snarkjs = await loadSnarkjs();
  const logger = errorCollector();
  let ok: boolean;
  try {
    // snarkjs leaves the ptau file open; see closingLeakedFileHandles
    ok = await closingLeakedFileHandles(() => snarkjs.zKey.verifyFromR1cs(r1csPath, options.ptauPath, source.zkeyPath, logger));
  } catch (cause) {
    throw new VerifyError(`${source.zkeyPath}: snarkjs zkey verify failed against ${options.ptauPath}${logger.last()}`, { cause });
  }
  if (!ok) throw new VerifyError(`${source.zkeyPath}: the key is not the one ${manifest.files.r1cs.path} and ${options.ptauPath} give with its contributions${logger.last()}`);
  const ptau: SetupReport['ptau'] = { path: resolve(options.ptauPath), power, blake2b512, sameAsManifest: (await sha256OfFile(options.ptauPath)) === manifest.setup.ptau?.sha256 };
  if (match) ptau.ceremony = match.name;
  return {
    dir: source.dir,
    modelId: manifest.modelId,
    keyId: manifest.keyId!,
    ptau,
    chain: source.chain,
    onlyCompilingParty: onlyCompilingParty(source.chain),
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Why phase-2 commands refuse a direct key: it was computed from a local τ, with no ptau file
 * and no phase-2 transcript, so there is nothing to check against and no chain to extend.
 */
export function directKeyRefusal(dir: string, purpose: 'verify' | 'contribute' | 'beacon'): string {
  const what = purpose === 'verify' ? 'cannot be verified' : purpose === 'contribute' ? 'cannot take contributions' : 'cannot take a beacon';
  return `${dir}: the key ${what}: it is a local, development-grade key computed directly from a τ the compiling machine drew (--local-setup direct), with no powers-of-tau file and no phase-2 transcript; recompile with --ptau <public ceremony file> for a key that can be verified and contributed to`;
}

/** True when no contribution other than beacons comes from anyone but the compiling party. */
export function onlyCompilingParty(chain: Phase2Chain): boolean {
  return chain.contributions.every((c) => c.type === 'beacon' || c.by === 'compile');
}

/** Reads an artifacts folder's key and checks it against the manifest (and its chain, unless told not to). */
async function loadSource(artifactsDir: string, options: { checkChain?: boolean; purpose: 'verify' | 'contribute' | 'beacon' }): Promise<Source> {
  const { dir, manifest } = openArtifacts(artifactsDir);
  if (!manifest.setup || !manifest.files.zkey || !manifest.files.vkey || !manifest.keyId) throw new VerifyError(`${dir}: the artifacts have no key (compiled with --skip-setup)`);
  if (manifest.setup.method === 'direct') throw new VerifyError(directKeyRefusal(dir, options.purpose));
  const zkeyPath = join(dir, manifest.files.zkey.path);
  const vkeyPath = join(dir, manifest.files.vkey.path);
  await checkFileHash(zkeyPath, manifest.files.zkey.sha256);
  await checkFileHash(vkeyPath, manifest.files.vkey.sha256);
  let vkey: Record<string, unknown>;
  try {
    vkey = JSON.parse(await readFile(vkeyPath, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new VerifyError(`${vkeyPath}: cannot read verification key`, { cause });
  }
  if (computeKeyId(vkey) !== manifest.keyId) throw new VerifyError(`${vkeyPath}: the verification key's id is not the manifest's key id`);
  const fromKey = await readZkeyChain(zkeyPath);
  // Manifests written before zkinfer recorded the chain: the key could only have come from compile.
  const recorded = manifest.setup.phase2 ?? { ...fromKey, contributions: fromKey.contributions.map((c) => ({ ...c, by: 'compile' as const })) };
  compareChains(zkeyPath, fromKey, recorded);
  if (options.checkChain !== false) await verifyPhase2Chain(recorded, vkey.vk_delta_2);
  return { dir, manifest: manifest as Source['manifest'], zkeyPath, vkeyPath, vkey, chain: recorded };
}

function compareChains(zkeyPath: string, key: Phase2Chain, recorded: Phase2Chain): void {
  if (key.circuitHash !== recorded.circuitHash) throw new VerifyError(`${zkeyPath}: the key's circuit hash is not the one the manifest records`);
  if (key.contributions.length !== recorded.contributions.length)
    throw new VerifyError(`${zkeyPath}: the key has ${key.contributions.length} phase-2 contributions, the manifest records ${recorded.contributions.length}`);
  key.contributions.forEach((k, i) => {
    const r = recorded.contributions[i]!;
    const { by: _by, ...rest } = r;
    if (canonicalJson(rest) !== canonicalJson(k)) {
      throw new VerifyError(`${zkeyPath}: the key's contribution ${contributionLabel(i, k)} is not the manifest's ${contributionLabel(i, r)}`);
    }
  });
}

async function checkFileHash(path: string, sha256: string): Promise<void> {
  if ((await sha256OfFile(path)) !== sha256) throw new VerifyError(`${path}: does not match the SHA-256 the manifest records`);
}

/** SHA-256 of a file, streamed (keys and ceremony files can be large). */
async function sha256OfFile(path: string): Promise<string> {
  try {
    return await sha256File(path);
  } catch (cause) {
    throw new VerifyError(`${path}: cannot read (${((cause as Error).cause as NodeJS.ErrnoException)?.code ?? 'error'})`, { cause });
  }
}

/** Refuses before any work when `out` would replace something without `force`. */
async function checkOutput(source: string, out: string, force = false): Promise<void> {
  let entries: string[];
  try {
    const s = await stat(out);
    if (!s.isDirectory()) throw new InputError(`${out}: exists and is not a folder`, { exitCode: EXIT.usage });
    entries = await readdir(out);
  } catch (e) {
    if (e instanceof ZkinferError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new InputError(`${out}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e });
  }
  if (entries.length === 0 || force) return;
  if (out === source) throw new InputError(`${out}: this would replace the folder's key and invalidate its receipts; give --out <new folder>, or --force to replace it`, { exitCode: EXIT.usage });
  throw new InputError(`${out}: exists and is not empty; give --force to replace it`, { exitCode: EXIT.usage });
}

type Logger = SnarkjsLogger & { last(): string };

/**
 * Copies the source folder into a temporary folder beside `out`, lets `makeKey` write the new
 * zkey there, exports its verification key, writes the manifest, then renames the folder into place.
 */
async function writeWithNewKey(
  source: Source,
  out: string,
  force: boolean | undefined,
  makeKey: (snarkjs: Awaited<ReturnType<typeof loadSnarkjs>>, newZkey: string, logger: Logger) => Promise<void>,
): Promise<Phase2Result> {
  const { manifest } = source;
  const zkeyRel = manifest.files.zkey!.path;
  const vkeyRel = manifest.files.vkey!.path;
  await mkdir(dirname(out), { recursive: true });
  const temp = await mkdtemp(join(dirname(out), `.${basename(out)}.tmp-`));
  try {
    const skip = new Set([join(source.dir, zkeyRel), join(source.dir, vkeyRel), join(source.dir, 'manifest.json')]);
    // Everything but the key and the manifest is copied as it is (never the output folder itself).
    await cp(source.dir, temp, {
      recursive: true,
      filter: (src) => {
        const path = resolve(src);
        return path === source.dir || (!skip.has(path) && path !== temp && path !== out);
      },
    });
    const newZkey = join(temp, zkeyRel);
    const snarkjs = await loadSnarkjs();
    const logger = errorCollector();
    try {
      await makeKey(snarkjs, newZkey, logger);
    } catch (e) {
      if (e instanceof ZkinferError) throw e;
      throw new CompileError(`${source.zkeyPath}: snarkjs failed to add the contribution${logger.last()}`, { cause: e });
    }
    const vkey = await snarkjs.zKey.exportVerificationKey(newZkey, logger);
    const vkeyText = `${JSON.stringify(vkey, null, 1)}\n`;
    await writeFile(join(temp, vkeyRel), vkeyText);
    const fromKey = await readZkeyChain(newZkey);
    const chain: Phase2Chain = {
      circuitHash: fromKey.circuitHash,
      contributions: [...source.chain.contributions, ...fromKey.contributions.slice(source.chain.contributions.length)],
    };
    compareChains(newZkey, fromKey, chain);
    await verifyPhase2Chain(chain, vkey.vk_delta_2);
    const contribution = chain.contributions.at(-1)!;
    const next: Manifest = {
      ...manifest,
      keyId: computeKeyId(vkey),
      files: { ...manifest.files, zkey: { path: zkeyRel, sha256: await sha256OfFile(newZkey) }, vkey: { path: vkeyRel, sha256: sha256Hex(vkeyText) } },
      setup: { ...manifest.setup, contributions: chain.contributions.length, note: setupNote(manifest.setup, chain), phase2: chain },
    };
    await writeFile(join(temp, 'manifest.json'), `${JSON.stringify(next, null, 2)}\n`);
    await moveIntoPlace(temp, out, force);
    return { dir: out, manifest: next, contribution, previousKeyId: manifest.keyId! };
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    if (e instanceof ZkinferError) throw e;
    throw new CompileError(`${out}: could not write the new artifacts folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
}

function setupNote(setup: NonNullable<Manifest['setup']>, chain: Phase2Chain): string {
  const origin = setup.ptau?.origin as keyof typeof SETUP_NOTES;
  if (origin !== 'public-ceremony' || onlyCompilingParty(chain)) return SETUP_NOTES[origin] ?? setup.note;
  return 'powers of tau from a published public ceremony file (BLAKE2b-512 matches); phase 2 has contributions beyond the compiling party: no one can forge proofs unless every contributor kept its secret (check with `zkinfer setup verify`)';
}

/** Renames `temp` to `out`; an existing `out` (allowed by checkOutput) is moved aside first and removed after. */
async function moveIntoPlace(temp: string, out: string, force: boolean | undefined): Promise<void> {
  let existing = false;
  try {
    existing = (await stat(out)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (!existing) {
    await rename(temp, out);
    return;
  }
  if ((await readdir(out)).length > 0 && !force) throw new InputError(`${out}: exists and is not empty; give --force to replace it`, { exitCode: EXIT.usage });
  const aside = join(dirname(out), `.${basename(out)}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
  await rename(out, aside);
  try {
    await rename(temp, out);
  } catch (e) {
    await rename(aside, out);
    throw e;
  }
  await rm(aside, { recursive: true, force: true });
}
