/**
 * Groth16 setup of a compiled circuit with snarkjs: r1cs + prepared ptau → zkey → one random
 * phase-2 contribution → a beacon (snarkjs `zkey beacon`, 2^10 SHA-256 iterations) → verification
 * key. The ptau is the user's (a public ceremony, `--ptau`) or the local single-party default.
 * Phase 2 follows the BGM17 MPC as implemented by snarkjs 0.7.6 (`zkey_new.js`, `zkey_contribute.js`,
 * `zkey_beacon.js`). Intermediate keys live in a temporary folder; the final files are renamed into
 * place, so a failed setup leaves earlier artifacts untouched.
 */

import { createHash, randomBytes } from 'node:crypto';
import { open, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { CompileError, InputError, InvalidArgumentError, ZkinferError } from '../shared/errors.js';
import { FIELD_MODULUS } from '../shared/field.js';
import { filePtau, inspectPtau, localPtau, type PtauInfo } from './ptau.js';
import { errorCollector, loadSnarkjs, sharedCurveExists, terminateSharedCurve } from './ptau-deps.js';
import type { KnownPtau } from './ptau-ceremony.js';
import { readZkeyChain } from './phase2-chain.js';
import type { Manifest, Phase2Chain } from '../shared/manifest.js';
import { writeDirectZkey } from './zkey-direct.js';

export interface SetupOptions {
  /** A prepared ptau file to use; without it, the cached local single-party ptau. */
  ptauPath?: string;
  /**
   * Use `ptauPath` even if it is not a published public ceremony file; the result says
   * `unverified`. Without it such a file is refused.
   */
  ptauUnchecked?: boolean;
  /** Published ceremony files to recognise (default: the Hermez table; for tests). */
  knownPtau?: readonly KnownPtau[];
  /** Extra entropy mixed into the phase-2 contribution (snarkjs adds 64 random bytes of its own). */
  entropy?: Uint8Array;
  /** Beacon value, hex (1–255 bytes); default: SHA-256 of the contribution's hash. */
  beaconHash?: string;
  /** Cache root for the local ptau (see `localPtau`). */
  cacheDir?: string;
  onProgress?: (e: { stage: string; done?: number; total?: number }) => void;
}

export interface SetupResult {
  zkeyPath: string;
  vkeyPath: string;
  ptau: PtauInfo;
  /** log2 of the evaluation domain the circuit needs. */
  power: number;
  /** Phase-2 contributions in the final zkey (the random one and the beacon). */
  contributions: number;
  /** The final zkey's phase-2 chain, both entries marked as the compiling party's. */
  chain: Phase2Chain;
}

/** How a local setup computes the keys: directly from a local τ (default), or through snarkjs from the local ptau. */
export type LocalSetupMethod = 'direct' | 'snarkjs';

/** Options of {@link directSetup}. */
export interface DirectSetupOptions {
  /** Worker threads (default: available parallelism). */
  threads?: number;
  onProgress?: (e: { stage: string; done?: number; total?: number }) => void;
}

/** What {@link directSetup} made: keys computed from a local τ, with no ptau file and no phase-2 chain. */
export interface DirectSetupResult {
  method: 'direct';
  zkeyPath: string;
  vkeyPath: string;
  /** log2 of the evaluation domain the circuit needs. */
  power: number;
}

/** The counts in an r1cs header (iden3 r1cs format, section 1). */
export interface R1csHeader {
  prime: bigint;
  nWires: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nConstraints: number;
}

const BEACON_ITERATIONS_EXP = 10;

// snarkjs keeps one shared multi-threaded curve; setups running at once share it, and the last
// one to finish stops it, unless it was already running before the first of them began.
let activeSetups = 0;
let curveStartedBySetup = false;

/**
 * Sets up Groth16 keys for `r1csPath` in `outDir`: `<name>.zkey` and `<name>.vkey.json`, where
 * `<name>` is the r1cs file name without `.r1cs`.
 * @throws {InvalidArgumentError} if `beaconHash` is not 1–255 bytes of hex.
 * @throws {InputError} if the r1cs is unreadable, or the given ptau is not a prepared BN254 ptau or is too small.
 * @throws {CompileError} if a snarkjs step fails (with the snarkjs error as `cause`).
 */
export async function groth16Setup(r1csPath: string, outDir: string, options: SetupOptions = {}): Promise<SetupResult> {
  const progress = options.onProgress ?? (() => undefined);
  const header = await readR1csHeader(r1csPath);
  if (header.prime !== FIELD_MODULUS) throw new CompileError(`${r1csPath}: circuit is not over the BN254 scalar field`);
  const power = requiredPower(header);
  const beaconHash = options.beaconHash === undefined ? undefined : checkBeaconHash(options.beaconHash);

  let ptau: PtauInfo;
  if (options.ptauPath !== undefined) {
    const summary = await inspectPtau(options.ptauPath);
    if (summary.power < power) {
      const points = header.nConstraints + header.nOutputs + header.nPubInputs + 1;
      throw new InputError(`${options.ptauPath}: powers-of-tau file of 2^${summary.power} is too small for ${r1csPath}, which needs 2^${power} (constraints + public signals + 1 = ${points})`);
    }
    ptau = await filePtau(options.ptauPath, { unchecked: options.ptauUnchecked, known: options.knownPtau });
  } else {
    progress({ stage: 'ptau' });
    ptau = await localPtau(power, { cacheDir: options.cacheDir, onProgress: (e) => progress({ ...e, stage: `ptau-${e.stage}` }) });
  }

  const name = basename(r1csPath).replace(/\.r1cs$/, '');
  const zkeyPath = resolve(outDir, `${name}.zkey`);
  const vkeyPath = resolve(outDir, `${name}.vkey.json`);
  if (activeSetups++ === 0) curveStartedBySetup = !sharedCurveExists();
  let work: string | undefined;
  try {
    await mkdir(outDir, { recursive: true });
    work = await mkdtemp(join(outDir, '.setup-'));
    const snarkjs = await loadSnarkjs();
    const logger = errorCollector();
    const z = [0, 1, 2].map((i) => join(work!, `${i}.zkey`));
    const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (e) {
        throw new CompileError(`${r1csPath}: snarkjs ${name} failed${logger.last()}`, { cause: e });
      }
    };

    progress({ stage: 'zkey-new' });
    const cs = await step('newZKey', () => snarkjs.zKey.newZKey(r1csPath, ptau.path, z[0], logger));
    if (cs === -1) throw new CompileError(`${r1csPath}: snarkjs could not create a zkey${logger.last()}`);

    progress({ stage: 'zkey-contribute' });
    const entropy = Buffer.from(options.entropy ?? randomBytes(32)).toString('hex');
    const contribution = await step('contribute', () => snarkjs.zKey.contribute(z[0], z[1], 'zkinfer local contribution', entropy, logger));

    progress({ stage: 'zkey-beacon' });
    const beacon = beaconHash ?? createHash('sha256').update(contribution).digest('hex');
    const final = await step('beacon', () => snarkjs.zKey.beacon(z[1], z[2], 'zkinfer beacon', beacon, BEACON_ITERATIONS_EXP, logger));
    if (final === false) throw new CompileError(`${r1csPath}: snarkjs beacon failed${logger.last()}`);

    progress({ stage: 'vkey' });
    const vkey = await step('exportVerificationKey', () => snarkjs.zKey.exportVerificationKey(z[2], logger));
    const read = await readZkeyChain(z[2]);
    const chain: Phase2Chain = { ...read, contributions: read.contributions.map((c) => ({ ...c, by: 'compile' as const })) };
    const vkeyTemp = join(work, 'vkey.json');
    await writeFile(vkeyTemp, JSON.stringify(vkey, null, 1) + '\n');
    await rename(z[2], zkeyPath);
    await rename(vkeyTemp, vkeyPath);
    return { zkeyPath, vkeyPath, ptau, power, contributions: chain.contributions.length, chain };
  } catch (e) {
    if (e instanceof ZkinferError) throw e;
    throw new CompileError(`${outDir}: Groth16 setup of ${r1csPath} failed`, { cause: e });
  } finally {
    if (work) await rm(work, { recursive: true, force: true });
    if (--activeSetups === 0 && curveStartedBySetup) await terminateSharedCurve();
  }
}

/**
 * Groth16 keys for `r1csPath` in `outDir` (`<name>.zkey`, `<name>.vkey.json`), computed directly
 * from freshly drawn τ, α, β, γ, δ (zkey-direct.ts) in snarkjs's zkey format, with the verification
 * key exported by snarkjs. A local, development-grade setup like the local ptau's: whoever ran it
 * could have kept the secrets. The files are renamed into place at the end.
 * @throws {InputError} if the r1cs is unreadable or malformed.
 * @throws {CompileError} if the circuit is too large (over 2^27) or the computation fails.
 */
export async function directSetup(r1csPath: string, outDir: string, options: DirectSetupOptions = {}): Promise<DirectSetupResult> {
  const progress = options.onProgress ?? (() => undefined);
  const name = basename(r1csPath).replace(/\.r1cs$/, '');
  const zkeyPath = resolve(outDir, `${name}.zkey`);
  const vkeyPath = resolve(outDir, `${name}.vkey.json`);
  if (activeSetups++ === 0) curveStartedBySetup = !sharedCurveExists();
  let work: string | undefined;
  try {
    await mkdir(outDir, { recursive: true });
    work = await mkdtemp(join(outDir, '.setup-'));
    const zkeyTemp = join(work, 'direct.zkey');
    const { power } = await writeDirectZkey(r1csPath, zkeyTemp, { threads: options.threads, onProgress: (e) => progress({ ...e, stage: `direct-${e.stage}` }) });
    progress({ stage: 'vkey' });
    const snarkjs = await loadSnarkjs();
    const logger = errorCollector();
    let vkey: Record<string, unknown>;
    try {
      vkey = await snarkjs.zKey.exportVerificationKey(zkeyTemp, logger);
    } catch (e) {
      throw new CompileError(`${r1csPath}: snarkjs exportVerificationKey failed on the direct key${logger.last()}`, { cause: e });
    }
    const vkeyTemp = join(work, 'vkey.json');
    await writeFile(vkeyTemp, JSON.stringify(vkey, null, 1) + '\n');
    await rename(zkeyTemp, zkeyPath);
    await rename(vkeyTemp, vkeyPath);
    return { method: 'direct', zkeyPath, vkeyPath, power };
  } catch (e) {
    if (e instanceof ZkinferError) throw e;
    throw new CompileError(`${outDir}: direct Groth16 setup of ${r1csPath} failed`, { cause: e });
  } finally {
    if (work) await rm(work, { recursive: true, force: true });
    if (--activeSetups === 0 && curveStartedBySetup) await terminateSharedCurve();
  }
}

/** The manifest's note for a key computed directly from a local τ. */
export const DIRECT_SETUP_NOTE =
  'LOCAL SINGLE-PARTY SETUP, DIRECT KEYS (development grade): this machine drew τ, α, β, γ and δ, computed the keys from them directly and discarded them; whoever ran it could have kept them and forged proofs. There is no powers-of-tau file and no phase-2 transcript, so `zkinfer setup verify` cannot check the key and no one can contribute to it. Recompile with --ptau <file from a public ceremony> for keys others can trust.';

/** The manifest's note for each ptau origin. */
export const SETUP_NOTES = {
  'local-single-party':
    'LOCAL SINGLE-PARTY SETUP: this machine generated the powers of tau and discarded them; whoever ran it could have kept them and forged proofs. Recompile with --ptau <file from a public ceremony> for keys others can trust.',
  'public-ceremony':
    'powers of tau from a published public ceremony file (BLAKE2b-512 matches); phase 2: one contribution and a beacon by the compiling party, who could have kept its secret: add independent contributions with `zkinfer setup contribute` for keys others can trust',
  unverified: 'UNVERIFIED POWERS OF TAU: the file matches no published ceremony file and was used with --ptau-unchecked; whoever made it may know tau and could forge proofs.',
} as const;

/**
 * The manifest's `setup` block for a setup's result: the ptau's origin and hashes, the
 * contribution count and chain, and a note on whom the key asks you to trust.
 */
export function setupManifestBlock(setup: SetupResult | DirectSetupResult): NonNullable<Manifest['setup']> {
  if ('method' in setup) return { method: 'direct', power: setup.power, contributions: 0, localSingleParty: true, note: DIRECT_SETUP_NOTE };
  const ptau: NonNullable<Manifest['setup']>['ptau'] = { origin: setup.ptau.origin, power: setup.ptau.power, sha256: setup.ptau.sha256 };
  if (setup.ptau.blake2b512) ptau.blake2b512 = setup.ptau.blake2b512;
  if (setup.ptau.ceremony) ptau.ceremony = setup.ptau.ceremony;
  return {
    method: 'snarkjs',
    ptau,
    power: setup.power,
    contributions: setup.chain.contributions.length,
    localSingleParty: setup.ptau.origin === 'local-single-party',
    note: SETUP_NOTES[setup.ptau.origin],
    phase2: setup.chain,
  };
}

/**
 * Checks a beacon value: 1–255 bytes of hex (snarkjs's limits); returns it in lowercase.
 * @throws {InvalidArgumentError} "expected <name> to be 1–255 bytes of hex, got …"
 */
export function checkBeaconHash(hex: string, name = 'beaconHash'): string {
  if (!/^([0-9a-fA-F]{2}){1,255}$/.test(hex)) {
    throw new InvalidArgumentError(`expected ${name} to be 1–255 bytes of hex, got ${JSON.stringify(hex.length > 80 ? hex.slice(0, 80) + '…' : hex)}`);
  }
  return hex.toLowerCase();
}

/**
 * The power of two snarkjs needs for this circuit: the smallest p with
 * 2^p > constraints + public inputs + outputs (snarkjs `zkey_new.js`: log2(m) + 1).
 */
export function requiredPower(h: Pick<R1csHeader, 'nConstraints' | 'nPubInputs' | 'nOutputs'>): number {
  const m = h.nConstraints + h.nPubInputs + h.nOutputs;
  return Math.max(1, 32 - Math.clz32(m));
}

/**
 * Reads the header section of an iden3 r1cs file (magic "r1cs", version 1).
 * @throws {InputError} naming the file if it is unreadable or not an r1cs file.
 */
export async function readR1csHeader(path: string): Promise<R1csHeader> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new InputError(`${path}: cannot open r1cs file`, { cause: e });
  }
  try {
    const { size } = await fh.stat();
    const read = async (pos: number, len: number): Promise<DataView> => {
      const buf = new Uint8Array(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      if (bytesRead !== len) throw new InputError(`${path}: not an r1cs file (truncated)`);
      return new DataView(buf.buffer);
    };
    const pre = await read(0, 12);
    const magic = String.fromCharCode(pre.getUint8(0), pre.getUint8(1), pre.getUint8(2), pre.getUint8(3));
    if (magic !== 'r1cs') throw new InputError(`${path}: not an r1cs file (expected magic "r1cs")`);
    const nSections = pre.getUint32(8, true);
    let pos = 12;
    for (let i = 0; i < nSections && pos + 12 <= size; i++) {
      const s = await read(pos, 12);
      const type = s.getUint32(0, true);
      const len = Number(s.getBigUint64(4, true));
      if (type === 1) {
        const n8 = (await read(pos + 12, 4)).getUint32(0, true);
        if (n8 < 1 || n8 > 64) throw new InputError(`${path}: r1cs header has invalid field size ${n8}`);
        const h = await read(pos + 16, n8 + 28);
        let prime = 0n;
        for (let k = n8 - 1; k >= 0; k--) prime = (prime << 8n) | BigInt(h.getUint8(k));
        return {
          prime,
          nWires: h.getUint32(n8, true),
          nOutputs: h.getUint32(n8 + 4, true),
          nPubInputs: h.getUint32(n8 + 8, true),
          nPrvInputs: h.getUint32(n8 + 12, true),
          nConstraints: h.getUint32(n8 + 24, true),
        };
      }
      pos += 12 + len;
    }
    throw new InputError(`${path}: r1cs file has no header section`);
  } finally {
    await fh.close();
  }
}
