/**
 * Ceremony files and the local cache (issue "Trustworthy receipts", item 5): a `--ptau` file is
 * accepted as a public ceremony's only when its BLAKE2b-512 is a published one; zkinfer's own
 * known-τ cache file is refused; `ptauUnchecked` records a file as unverified; a cached local
 * file that no longer matches the hash recorded when it was written is refused.
 *
 * The real Hermez files (75 MB at 2^16) cannot be downloaded here, so the table lookup is tested
 * with an injected table naming a file made in the test; the embedded table itself is checked
 * against the snarkjs README's values and its BLAKE2b against @noble/hashes.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { blake2b } from '@noble/hashes/blake2.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blake2b512File, KNOWN_CEREMONY_PTAU, type KnownPtau } from '../../src/compile/ptau-ceremony.js';
import { filePtau, generatePreparedPtau, localPtau, type PtauInfo } from '../../src/compile/ptau.js';
import { groth16Setup, setupManifestBlock } from '../../src/compile/setup.js';
import { InputError } from '../../src/shared/errors.js';
import { releaseCurve } from '../../src/shared/curve.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

let tmp: string;
let cacheDir: string;
let local: PtauInfo;
let r1cs: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'zkinfer-ceremony-test-'));
  cacheDir = join(tmp, 'cache');
  local = await localPtau(4, { cacheDir });
  const dir = join(tmp, 'circuit');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'sq.circom'), 'pragma circom 2.0.0;\ntemplate Sq() { signal input a; signal output c; c <== a * a; }\ncomponent main {public [a]} = Sq();\n');
  await run(process.execPath, [join(root, 'node_modules/circom2/cli.js'), join(dir, 'sq.circom'), '--r1cs', '-o', dir]);
  r1cs = join(dir, 'sq.r1cs');
}, 120_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
  await releaseCurve();
});

const refusal = (path: string) => `${path}: not a known public ceremony file (its BLAKE2b-512 matches no published powersOfTau28_hez_final*.ptau); use --ptau-unchecked to record it as unverified`;

describe('the published ceremony table', () => {
  it('holds the 21 Hermez files of the snarkjs README, powers 8 to 28', () => {
    expect(KNOWN_CEREMONY_PTAU.map((k) => k.power)).toEqual(Array.from({ length: 21 }, (_, i) => i + 8));
    expect(KNOWN_CEREMONY_PTAU.map((k) => k.name).slice(0, 2)).toEqual(['powersOfTau28_hez_final_08.ptau', 'powersOfTau28_hez_final_09.ptau']);
    expect(KNOWN_CEREMONY_PTAU.at(-1)!.name).toBe('powersOfTau28_hez_final.ptau');
    expect(new Set(KNOWN_CEREMONY_PTAU.map((k) => k.blake2b512)).size).toBe(21);
    for (const k of KNOWN_CEREMONY_PTAU) expect(k.blake2b512).toMatch(/^[0-9a-f]{128}$/);
    // two rows as the README prints them
    expect(KNOWN_CEREMONY_PTAU.find((k) => k.power === 16)!.blake2b512).toBe(
      '6a6277a2f74e1073601b4f9fed6e1e55226917efb0f0db8a07d98ab01df1ccf43eb0e8c3159432acd4960e2f29fe84a4198501fa54c8dad9e43297453efec125',
    );
    expect(KNOWN_CEREMONY_PTAU.find((k) => k.power === 12)!.blake2b512).toBe(
      'ded2694169b7b08e898f736d5de95af87c3f1a64594013351b1a796dbee393bd825f88f9468c84505ddd11eb0b1465ac9b43b9064aa8ec97f2b73e04758b8a4a',
    );
  });

  it('hashes files with BLAKE2b-512 as b2sum does (checked against @noble/hashes)', async () => {
    const bytes = await readFile(local.path);
    expect(await blake2b512File(local.path)).toBe(Buffer.from(blake2b(bytes, { dkLen: 64 })).toString('hex'));
  });
});

describe('--ptau files', () => {
  it("refuses zkinfer's own known-tau cache file", async () => {
    await expect(filePtau(local.path)).rejects.toThrow(new InputError(refusal(local.path)));
    await expect(groth16Setup(r1cs, join(tmp, 'out-refused'), { ptauPath: local.path })).rejects.toThrow(new InputError(refusal(local.path)));
  });

  it('accepts a file whose BLAKE2b-512 is in the table, labelled with the published name', async () => {
    const file = join(tmp, 'published.ptau');
    await generatePreparedPtau(4, file);
    const known: KnownPtau[] = [...KNOWN_CEREMONY_PTAU, { name: 'test_final_04.ptau', power: 4, blake2b512: Buffer.from(blake2b(await readFile(file), { dkLen: 64 })).toString('hex') }];
    await expect(filePtau(local.path, { known })).rejects.toThrow(refusal(local.path));
    const setup = await groth16Setup(r1cs, join(tmp, 'out-published'), { ptauPath: file, knownPtau: known });
    expect(setup.ptau).toEqual({
      path: file,
      power: 4,
      origin: 'public-ceremony',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      blake2b512: known.at(-1)!.blake2b512,
      ceremony: 'test_final_04.ptau',
    });
    const block = setupManifestBlock(setup);
    expect(block).toMatchObject({ localSingleParty: false, ptau: { origin: 'public-ceremony', ceremony: 'test_final_04.ptau' } });
    expect(block.note).toMatch(/^powers of tau from a published public ceremony file/);
  });

  it('with ptauUnchecked, uses an unknown file and records it as unverified', async () => {
    const setup = await groth16Setup(r1cs, join(tmp, 'out-unchecked'), { ptauPath: local.path, ptauUnchecked: true });
    expect(setup.ptau).toEqual({ path: local.path, power: 4, origin: 'unverified', sha256: local.sha256, blake2b512: await blake2b512File(local.path) });
    const block = setupManifestBlock(setup);
    expect(block.localSingleParty).toBe(false);
    expect(block.ptau!.origin).toBe('unverified');
    expect(block.note).toMatch(/^UNVERIFIED POWERS OF TAU/);
  });
});

describe('the local cache', () => {
  it('refuses a cached file corrupted after it was written', async () => {
    const dir = join(tmp, 'cache-corrupt');
    const first = await localPtau(3, { cacheDir: dir });
    const bytes = await readFile(first.path);
    bytes[bytes.length - 7] ^= 1; // one bit in the last Lagrange point
    await writeFile(first.path, bytes);
    await expect(localPtau(3, { cacheDir: dir })).rejects.toThrow(
      new InputError(`${first.path}: cached powers-of-tau file does not match the SHA-256 recorded in its name when it was written (corrupted or replaced); delete it to regenerate`),
    );
  });

  it('refuses a valid ptau put in place of a cached one', async () => {
    const dir = join(tmp, 'cache-replaced');
    const first = await localPtau(3, { cacheDir: dir });
    await generatePreparedPtau(3, join(tmp, 'other.ptau'));
    await copyFile(join(tmp, 'other.ptau'), first.path);
    await expect(localPtau(3, { cacheDir: dir })).rejects.toThrow(`${first.path}: cached powers-of-tau file does not match the SHA-256 recorded in its name`);
    // deleting it, as the message says, makes a new one
    await rm(first.path);
    const again = await localPtau(3, { cacheDir: dir });
    expect(basename(again.path)).toBe(`local-bn254-03-${again.sha256}.ptau`);
    expect(again.sha256).not.toBe(first.sha256);
  });
});
