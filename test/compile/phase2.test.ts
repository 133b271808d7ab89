/**
 * Multi-party phase 2 (issue "Keys third parties can trust", item 2): contributions and a beacon
 * added to a compiled model's key, each in a new artifacts folder (same model id, new key id,
 * the chain in the manifest), and `setup verify` recomputing the key from the r1cs and the ptau.
 * Contribution hashes are checked against the ones snarkjs's own `zkey verify` prints; a
 * tampered contribution, a tampered key body and a key made from another ptau are refused.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beaconPhase2, contributePhase2, verifySetup, type Phase2Result } from '../../src/compile/phase2.js';
import { readZkeyChain } from '../../src/compile/phase2-chain.js';
import { readManifest, type Manifest } from '../../src/shared/manifest.js';
import { defaultCacheDir, generatePreparedPtau } from '../../src/compile/ptau.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { loadVerifierKey, verifyProof } from '../../src/verify/verify.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { EXIT, InputError, VerifyError } from '../../src/shared/errors.js';
import { sha256File } from '../../src/shared/hash.js';
import { compileTinyModel } from '../e2e/tiny-model.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);
let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let ptauPath: string;
const steps: Phase2Result[] = [];

/** The local ptau the tiny model was compiled with (named by its SHA-256 in the cache). */
function compiledPtau(m: Manifest): string {
  return join(defaultCacheDir(), 'ptau', `local-bn254-${String(m.setup!.ptau!.power).padStart(2, '0')}-${m.setup!.ptau!.sha256}.ptau`);
}

/** What snarkjs's own `zkey verify` says: ok, and the contribution hashes it prints (first to last). */
async function snarkjsVerify(dir: string): Promise<{ ok: boolean; hashes: string[]; names: string[] }> {
  const m = readManifest(dir);
  const info: string[] = [];
  const ignore = (): void => undefined;
  const ok = await (snarkjs as unknown as { zKey: { verifyFromR1cs(...a: unknown[]): Promise<boolean> } }).zKey.verifyFromR1cs(join(dir, m.files.r1cs.path), ptauPath, join(dir, m.files.zkey!.path), {
    info: (s: string) => info.push(s),
    debug: ignore,
    warn: ignore,
    error: ignore,
  });
  const found = info
    .flatMap((s) => {
      const match = /^contribution #(\d+) (.*):\n([\s\S]*)$/.exec(s);
      return match ? [{ i: Number(match[1]), name: match[2]!, hash: match[3]!.replace(/\s+/g, '') }] : [];
    })
    .sort((a, b) => a.i - b.i);
  return { ok, hashes: found.map((f) => f.hash), names: found.map((f) => f.name) };
}

beforeAll(async () => {
  tiny = await compileTinyModel({ localSetup: 'snarkjs' });
  ptauPath = compiledPtau(readManifest(tiny.dir));
}, 300_000);
afterAll(releaseCurve);

describe('setup verify on a fresh compile', () => {
  it('checks the key against the r1cs and the ptau and reports that only the compiling party contributed', async () => {
    const report = await verifySetup(tiny.dir, { ptauPath });
    const m = readManifest(tiny.dir);
    expect(report).toMatchObject({ modelId: m.modelId, keyId: m.keyId, onlyCompilingParty: true, ptau: { path: ptauPath, sameAsManifest: true } });
    expect(report.ptau.ceremony).toBeUndefined();
    expect(report.chain.contributions.map((c) => [c.name, c.type, c.by])).toEqual([
      ['zkinfer local contribution', 'contribution', 'compile'],
      ['zkinfer beacon', 'beacon', 'compile'],
    ]);
    const theirs = await snarkjsVerify(tiny.dir);
    expect(theirs.ok).toBe(true);
    expect(report.chain.contributions.map((c) => c.hash)).toEqual(theirs.hashes);
  });
});

describe('a chain of contributions', () => {
  it('three parties and a beacon, each in a new folder: model id kept, key id new each time, chain recorded', async () => {
    let from = tiny.dir;
    for (const name of ['alice', 'bob', 'carol']) {
      const r = await contributePhase2(from, { out: join(tiny.work, name), name });
      expect(r.contribution).toMatchObject({ name, type: 'contribution' });
      expect(r.contribution.by).toBeUndefined();
      steps.push(r);
      from = r.dir;
    }
    steps.push(await beaconPhase2(from, { out: join(tiny.work, 'final'), beacon: '00'.repeat(31) + '2a', iterationsExp: 11 }));
    const first = readManifest(tiny.dir);
    const keyIds = [first.keyId, ...steps.map((s) => s.manifest.keyId)];
    expect(new Set(keyIds).size).toBe(5);
    expect(steps.map((s) => s.previousKeyId)).toEqual(keyIds.slice(0, 4));
    for (const s of steps) {
      expect(s.manifest.modelId).toBe(first.modelId);
      expect(readManifest(s.dir)).toEqual(s.manifest);
      expect(s.manifest.files.zkey!.sha256).toBe(sha256File(join(s.dir, s.manifest.files.zkey!.path)));
      // everything but the key and manifest is carried over unchanged
      expect(s.manifest.files.r1cs).toEqual(first.files.r1cs);
    }
    const final = steps.at(-1)!;
    expect(final.contribution).toMatchObject({ name: 'beacon', type: 'beacon', beacon: { value: '00'.repeat(31) + '2a', iterationsExp: 11 } });
    expect(final.manifest.setup!.contributions).toBe(6);
  });

  it('setup verify checks the whole chain; its hashes are the ones snarkjs prints and the contributors returned', async () => {
    const dir = steps.at(-1)!.dir;
    const report = await verifySetup(dir, { ptauPath });
    expect(report.onlyCompilingParty).toBe(false);
    expect(report.chain.contributions.map((c) => c.name)).toEqual(['zkinfer local contribution', 'zkinfer beacon', 'alice', 'bob', 'carol', 'beacon']);
    expect(report.chain.contributions.slice(2).map((c) => c.hash)).toEqual(steps.map((s) => s.contribution.hash));
    const theirs = await snarkjsVerify(dir);
    expect(theirs).toEqual({ ok: true, hashes: report.chain.contributions.map((c) => c.hash), names: report.chain.contributions.map((c) => c.name) });
  });

  it('the final folder proves and verifies', async () => {
    const dir = steps.at(-1)!.dir;
    const receipt = await proveInference(loadArtifacts(dir), [0.5, -0.25, 0.75, 0.1, -0.6, 0.3], { nonce: '0102' });
    expect(receipt.keyId).toBe(steps.at(-1)!.manifest.keyId);
    expect(await verifyProof(receipt, loadVerifierKey(dir))).toMatchObject({ valid: true });
    // and not under the key it replaced
    expect(await verifyProof({ ...receipt, keyId: steps.at(-2)!.manifest.keyId! }, loadVerifierKey(steps.at(-2)!.dir))).toMatchObject({ valid: false, reason: 'the Groth16 proof does not verify' });
  });
});

/** Byte offsets of each contribution record in a zkey's section 10, and of section 8 (L). */
function zkeyLayout(bytes: Buffer): { contributions: number[]; lSection: [number, number] } {
  let pos = 12;
  const sections = new Map<number, [number, number]>();
  for (let i = 0; i < bytes.readUInt32LE(8); i++) {
    const id = bytes.readUInt32LE(pos);
    const size = Number(bytes.readBigUInt64LE(pos + 4));
    sections.set(id, [pos + 12, size]);
    pos += 12 + size;
  }
  const [start] = sections.get(10)!;
  const n = bytes.readUInt32LE(start + 64);
  const contributions: number[] = [];
  let p = start + 68;
  for (let i = 0; i < n; i++) {
    contributions.push(p);
    p += 64 * 3 + 128 + 64 + 4;
    p += 4 + bytes.readUInt32LE(p);
  }
  return { contributions, lSection: sections.get(8)! };
}

/** Copies a folder, lets `edit` change its zkey bytes, and re-seals the manifest around the edit (as an attacker would). */
async function tamperedCopy(from: string, name: string, edit: (zkey: Buffer) => void): Promise<string> {
  const dir = join(tiny.work, name);
  cpSync(from, dir, { recursive: true });
  const m = readManifest(dir);
  const zkeyPath = join(dir, m.files.zkey!.path);
  const bytes = readFileSync(zkeyPath);
  edit(bytes);
  writeFileSync(zkeyPath, bytes);
  const chain = await readZkeyChain(zkeyPath);
  const by = m.setup!.phase2!.contributions.map((c) => c.by);
  const sealed: Manifest = {
    ...m,
    files: { ...m.files, zkey: { path: m.files.zkey!.path, sha256: sha256File(zkeyPath) } },
    setup: { ...m.setup!, phase2: { ...chain, contributions: chain.contributions.map((c, i) => (by[i] ? { ...c, by: by[i] } : c)) } },
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(sealed, null, 2));
  return dir;
}

describe('setup verify refuses', () => {
  it("a tampered contribution (bob's δ put in place of carol's)", async () => {
    const dir = await tamperedCopy(steps.at(-1)!.dir, 'tampered-chain', (zkey) => {
      const { contributions } = zkeyLayout(zkey);
      zkey.copy(zkey, contributions[4]!, contributions[3]!, contributions[3]! + 64);
    });
    await expect(verifySetup(dir, { ptauPath })).rejects.toThrow(new VerifyError('phase-2 contribution #5 "carol": its δ does not follow from the δ before it'));
    // a contributor building on it is refused too
    await expect(contributePhase2(dir, { out: join(tiny.work, 'on-tampered'), name: 'dave' })).rejects.toThrow('phase-2 contribution #5 "carol": its δ does not follow from the δ before it');
    expect(existsSync(join(tiny.work, 'on-tampered'))).toBe(false);
  });

  it('a key whose proving key was altered, its chain intact (snarkjs zkey verify catches it)', async () => {
    const dir = await tamperedCopy(steps.at(-1)!.dir, 'tampered-l', (zkey) => {
      const [start] = zkeyLayout(zkey).lSection;
      zkey.copy(zkey, start, start + 64, start + 128); // L[0] := L[1]
    });
    await expect(verifySetup(dir, { ptauPath })).rejects.toThrow(
      new VerifyError(`${join(dir, 'circuit.zkey')}: the key is not the one circuit.r1cs and ${ptauPath} give with its contributions: L section does not match`),
    );
  });

  it('a key made from another ptau than the one given', async () => {
    const other = join(tiny.work, 'other.ptau');
    await generatePreparedPtau(readManifest(tiny.dir).setup!.ptau!.power, other);
    await expect(verifySetup(steps.at(-1)!.dir, { ptauPath: other })).rejects.toThrow(
      new VerifyError(`${join(steps.at(-1)!.dir, 'circuit.zkey')}: the key is not the one circuit.r1cs and ${other} give with its contributions: INVALID:  Invalid alpha1`),
    );
  });

  it('a zkey that is not the one the manifest names', async () => {
    const dir = join(tiny.work, 'swapped');
    cpSync(tiny.dir, dir, { recursive: true });
    cpSync(join(steps[0]!.dir, 'circuit.zkey'), join(dir, 'circuit.zkey'));
    await expect(verifySetup(dir, { ptauPath })).rejects.toThrow(new VerifyError(`${join(dir, 'circuit.zkey')}: does not match the SHA-256 the manifest records`));
  });
});

describe('process lifetime', () => {
  it('lets a process that used only the phase-2 module exit after releaseCurve', async () => {
    const script = join(tiny.work, 'exit-check.mts');
    writeFileSync(
      script,
      [
        `import { verifySetup } from ${JSON.stringify(join(root, 'src/compile/phase2.ts'))};`,
        `import { releaseCurve } from ${JSON.stringify(join(root, 'src/shared/curve.ts'))};`,
        `for (const dir of ${JSON.stringify([tiny.dir, steps.at(-1)!.dir])}) await verifySetup(dir, { ptauPath: ${JSON.stringify(ptauPath)} });`,
        'await releaseCurve();',
        "console.log('exited');",
      ].join('\n'),
    );
    // Without loading snarkjs before building the curve, an orphaned curve's threads keep the child alive until the timeout.
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { cwd: root, timeout: 90_000 });
    expect(stdout.trim()).toBe('exited');
  });
});

describe('outputs', () => {
  it('never replaces a folder without force; with force, replaces it whole and keeps the other files', async () => {
    const base = steps[0]!.dir;
    const work = join(tiny.work, 'in-place');
    cpSync(base, work, { recursive: true });
    mkdirSync(join(work, 'receipts'));
    writeFileSync(join(work, 'receipts', 'keep.json'), '{}');
    const before = readdirSync(work).sort();
    await expect(beaconPhase2(work, { beacon: 'ab' })).rejects.toThrow(
      new InputError(`${work}: this would replace the folder's key and invalidate its receipts; give --out <new folder>, or --force to replace it`, { exitCode: EXIT.usage }),
    );
    await expect(contributePhase2(base, { out: work })).rejects.toThrow(new InputError(`${work}: exists and is not empty; give --force to replace it`, { exitCode: EXIT.usage }));
    expect(readManifest(work).keyId).toBe(steps[0]!.manifest.keyId);

    const r = await beaconPhase2(work, { beacon: 'ab', force: true });
    expect(r.dir).toBe(work);
    expect(r.previousKeyId).toBe(steps[0]!.manifest.keyId);
    expect(readManifest(work).keyId).toBe(r.manifest.keyId);
    expect(readdirSync(work).sort()).toEqual(before);
    expect(readFileSync(join(work, 'receipts', 'keep.json'), 'utf8')).toBe('{}');
    expect(readdirSync(tiny.work).filter((f) => f.startsWith('.'))).toEqual([]); // no temporary folder left
  });

  it('refuses bad arguments before any work', async () => {
    await expect(beaconPhase2(tiny.dir, { beacon: 'xyz', out: join(tiny.work, 'never') })).rejects.toThrow('expected beacon to be 1–255 bytes of hex, got "xyz"');
    await expect(beaconPhase2(tiny.dir, { beacon: 'ab', iterationsExp: 40, out: join(tiny.work, 'never') })).rejects.toThrow('expected iterations to be an integer in [10, 28], got 40');
    await expect(contributePhase2(tiny.dir, { out: join(tiny.work, 'never'), name: 'x'.repeat(65) })).rejects.toThrow('expected name to be at most 64 bytes, got 65');
    expect(existsSync(join(tiny.work, 'never'))).toBe(false);
  });
});
