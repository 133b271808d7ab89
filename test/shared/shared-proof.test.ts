/**
 * Many inferences per proof: a tiny model compiled with --inferences 3 (and once with 1, to
 * compare), 7 inputs proven in shared proofs (3 + 3 + 1 with two padding slots), every receipt
 * verifying alone and in its folder; the shared tampering table refused both ways; resume
 * keeping valid receipts; duplicated slots refused.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts, type Artifacts } from '../../src/prove/artifacts.js';
import { proveBatch } from '../../src/prove/batch.js';
import { proveShared } from '../../src/prove/shared.js';
import { proveInference } from '../../src/prove/prove.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { SHARED_PROOF_FORMAT, sharedProofDigest, type SharedProof } from '../../src/shared/shared-proof.js';
import { receiptDigest, type Receipt } from '../../src/shared/receipt.js';
import { keptReceiptCheck } from '../../src/verify/kept.js';
import { listReceiptFiles, verifyMany, verifyReceiptFile } from '../../src/verify/many.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { runCli, writeTinyInputs } from '../scale/helpers.js';
import { SHARED_TAMPER_CASES, type Folder } from './shared-tampering-cases.js';

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let single: Awaited<ReturnType<typeof compileTinyModel>>;
let artifacts: Artifacts;
let key: VerifierKey;
let honest: string;

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

beforeAll(async () => {
  tiny = await compileTinyModel({ inferences: 3 });
  single = await compileTinyModel();
  artifacts = loadArtifacts(tiny.dir);
  key = loadVerifierKey(tiny.dir);
  honest = join(tiny.work, 'honest');
  const summary = await proveBatch(artifacts, writeTinyInputs(tiny.work, 'seven.jsonl', 7), honest, { workers: 1 });
  expect(summary).toMatchObject({ total: 7, proved: 7, failed: 0, skipped: 0 });
}, 600_000);
afterAll(() => releaseCurve());

/** The honest folder's shared proofs, with their receipts in slot order. */
function groupsOf(dir: string): Folder['groups'] {
  const receipts = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ f, r: readJson<Receipt>(join(dir, f)) }));
  return readdirSync(join(dir, 'proofs'))
    .map((name) => readJson<SharedProof>(join(dir, 'proofs', name)))
    .map((p) => ({
      digest: p.digest,
      padding: p.padding,
      files: receipts
        .filter((x) => x.r.sharedProof?.digest === p.digest)
        .sort((a, b) => a.r.sharedProof!.slot - b.r.sharedProof!.slot)
        .map((x) => x.f),
    }))
    .sort((a, b) => a.files[0]!.localeCompare(b.files[0]!));
}

/** A copy of the honest folder to tamper with. */
function copyHonest(): Folder {
  const dir = join(mkdtempSync(join(tmpdir(), 'zkinfer-shared-')), 'out');
  cpSync(honest, dir, { recursive: true });
  return { dir, manifest: key.manifest, groups: groupsOf(dir) };
}

describe('compile --inferences', () => {
  it('records N in the manifest and the model id, and costs N times the single circuit', () => {
    const m = tiny.result.manifest;
    expect(m.compileOptions.inferences).toBe(3);
    expect(m.circuit.inferences).toBe(3);
    expect(m.circuit.constraints).toBe(3 * single.result.manifest.circuit.constraints);
    // a single-inference compile records nothing new: its manifest has no inferences at all
    expect(single.result.manifest.compileOptions).not.toHaveProperty('inferences');
    expect(single.result.manifest.circuit).not.toHaveProperty('inferences');
    expect(m.modelId).not.toBe(single.result.manifest.modelId);
    expect(readFileSync(join(tiny.dir, 'circuit.circom'), 'utf8')).toContain('component main {public [pub]} = ZkinferModelInferences();');
    expect(readFileSync(join(single.dir, 'circuit.circom'), 'utf8')).toContain('component main {public [in, ctx]} = ZkinferModel();');
  });

  it('keeps single-inference receipts as they were: a proof of their own, no shared-proof field', async () => {
    const single1 = loadArtifacts(single.dir);
    const r = await proveInference(single1, [0.1, -0.2, 0.3, 0.4, -0.5, 0.6]);
    expect(r.proof).toBeDefined();
    expect(r).not.toHaveProperty('sharedProof');
    expect((await verifyProof(r, loadVerifierKey(single.dir))).valid).toBe(true);
    // proveInference refuses N > 1 artifacts with one line
    await expect(proveInference(artifacts, [0, 0, 0, 0, 0, 0])).rejects.toThrow(/compiled for 3 inferences per proof; prove it with shared proofs/);
  });
});

describe('batch proving with shared proofs', () => {
  it('proves 7 inputs in 3 shared proofs, the last padded twice and marked, one receipt per input', () => {
    const groups = groupsOf(honest);
    expect(groups.map((g) => g.files.length)).toEqual([3, 3, 1]);
    expect(groups.map((g) => g.padding)).toEqual([[], [], [1, 2]]);
    expect(
      readdirSync(honest)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(Array.from({ length: 7 }, (_, i) => `x-${i}.json`).sort());
    for (const g of groups) {
      const p = readJson<SharedProof>(join(honest, 'proofs', `${g.digest}.json`));
      expect(p.format).toBe(SHARED_PROOF_FORMAT);
      expect(sharedProofDigest(p)).toBe(g.digest);
      expect(p.inferences).toBe(3);
      const k = p.publicSignals.length / 3;
      for (const slot of p.padding) expect(p.publicSignals[slot * k + k - 1]).toBe('0');
    }
  });

  it('every receipt verifies alone, and the folder verifies with each shared proof paired once', async () => {
    for (const file of listReceiptFiles([honest])) {
      const alone = await verifyReceiptFile(file, key);
      expect(alone, file).toMatchObject({ valid: true });
    }
    const summary = await verifyMany(listReceiptFiles([honest]), key, { concurrency: 1 });
    expect(summary.results.filter((r) => !r.valid)).toEqual([]);
    expect(summary.valid).toBe(7);
  });

  it('proveShared refuses more inputs than slots and names a refused input by its index', async () => {
    await expect(
      proveShared(
        artifacts,
        Array.from({ length: 4 }, () => ({ values: [0, 0, 0, 0, 0, 0] })),
      ),
    ).rejects.toThrow('expected 1 to 3 inputs for one shared proof, got 4');
    await expect(proveShared(artifacts, [{ values: [0, 0, 0, 0, 0, 0] }, { values: [0, 0, 9, 0, 0, 0] }])).rejects.toMatchObject({ index: 1 });
  });

  it('a resumed batch keeps every valid receipt and re-proves a corrupted one in a new shared proof', async () => {
    const f = copyHonest();
    const inputs = join(tiny.work, 'seven.jsonl');
    const again = await proveBatch(artifacts, inputs, f.dir, { workers: 1, checkKept: keptReceiptCheck(key, { concurrency: 1 }) });
    expect(again).toMatchObject({ proved: 0, skipped: 7, failed: 0 });
    const victim = join(f.dir, f.groups[0]!.files[1]!);
    const r = readJson<Receipt>(victim);
    r.nonce = 'ff'.repeat(16);
    r.digest = receiptDigest(r); // whole and re-sealed: only verification shows it is not valid
    writeFileSync(victim, JSON.stringify(r));
    const resumed = await proveBatch(artifacts, inputs, f.dir, { workers: 1, checkKept: keptReceiptCheck(key, { concurrency: 1 }) });
    expect(resumed).toMatchObject({ proved: 1, skipped: 6, failed: 0 });
    expect(resumed.rejected.map((x) => x.file)).toEqual([victim]);
    expect(readdirSync(join(f.dir, 'proofs'))).toHaveLength(4);
    const summary = await verifyMany(listReceiptFiles([f.dir]), key, { concurrency: 1 });
    expect(summary.valid).toBe(7);
  });

  it('a bad line fails alone; the rest of its group is proven', async () => {
    const lines = readFileSync(join(tiny.work, 'seven.jsonl'), 'utf8').trim().split('\n').slice(0, 4);
    lines.splice(1, 0, JSON.stringify({ id: 'far', input: [[0.1, 0.2, 7, 0.4, 0.5, 0.6]] }));
    const path = join(tiny.work, 'with-bad.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const out = join(tiny.work, 'with-bad');
    const summary = await proveBatch(artifacts, path, out, { workers: 1 });
    expect(summary).toMatchObject({ proved: 4, failed: 1 });
    expect((await verifyMany(listReceiptFiles([out]), key, { concurrency: 1 })).valid).toBe(4);
    rmSync(out, { recursive: true });
  });
});

describe('shared tampering table', () => {
  for (const c of SHARED_TAMPER_CASES) {
    it(`refuses: ${c.name}`, async () => {
      const f = copyHonest();
      const { file, reason } = c.tamper(f);
      const path = join(f.dir, file);
      const alone = await verifyReceiptFile(path, key);
      expect(alone.valid).toBe(false);
      if (typeof reason === 'string') expect(alone.reason).toBe(reason);
      else expect(alone.reason).toMatch(reason);
      // the folder's check (batched pairing) refuses it too
      const summary = await verifyMany(listReceiptFiles([f.dir]), key, { concurrency: 1 });
      const row = summary.results.find((r) => r.file === path)!;
      expect(row.valid).toBe(false);
    });
  }

  it('refuses two receipts that claim the same slot (verify <dir>), naming both', async () => {
    const f = copyHonest();
    const original = f.groups[1]!.files[2]!;
    cpSync(join(f.dir, original), join(f.dir, 'copy.json'));
    const summary = await verifyMany(listReceiptFiles([f.dir]), key, { concurrency: 1 });
    const bad = summary.results.filter((r) => !r.valid);
    expect(bad.map((r) => r.file).sort()).toEqual([join(f.dir, 'copy.json'), join(f.dir, original)].sort());
    expect(bad[0]!.reason).toBe(`slot 2 of the shared proof ${f.groups[1]!.digest.slice(0, 16)}… is claimed by 2 receipts (copy.json, ${original}); a slot proves one inference`);
    expect(summary.valid).toBe(6);
  });

  it('refuses a shared-proof receipt against single-inference artifacts', async () => {
    const f = copyHonest();
    const v = await verifyReceiptFile(join(f.dir, f.groups[0]!.files[0]!), loadVerifierKey(single.dir));
    expect(v.valid).toBe(false);
    expect(v.reason).toMatch(/^the receipt is for model/);
  });
});

describe('command line', () => {
  const cli = async (args: string[]) => runCli(args).done;

  it('prove --inputs fills shared proofs; verify <receipt> checks one alone, verify <dir> the folder', async () => {
    const out = join(tiny.work, 'cli-out');
    const proved = await cli(['prove', tiny.dir, '--inputs', join(tiny.work, 'seven.jsonl'), '--out', out, '--workers', '1', '--json']);
    expect(proved.code, proved.stderr).toBe(0);
    expect(JSON.parse(proved.stdout)).toMatchObject({ proved: 7, failed: 0 });
    expect(readdirSync(join(out, 'proofs'))).toHaveLength(3);
    const one = await cli(['verify', join(out, 'x-4.json'), '--artifacts', tiny.dir]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe(`valid    ${join(out, 'x-4.json')}\n`);
    const all = await cli(['verify', out, '--artifacts', tiny.dir]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('7 of 7 receipts valid');
    // a duplicated slot in the folder: exit 1, both named
    cpSync(join(out, 'x-4.json'), join(out, 'x-4-again.json'));
    const dup = await cli(['verify', out, '--artifacts', tiny.dir]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/invalid {2}.*x-4-again\.json: slot 1 of the shared proof [0-9a-f]{16}… is claimed by 2 receipts \(x-4-again\.json, x-4\.json\)/);
  });

  it('prove --input writes one receipt and its padded shared proof beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkinfer-shared-cli-'));
    const input = join(dir, 'x.json');
    writeFileSync(input, JSON.stringify({ input: [[0.1, -0.2, 0.3, 0.4, -0.5, 0.6]] }));
    const proved = await cli(['prove', tiny.dir, '--input', input, '--out', join(dir, 'r.json'), '--nonce', 'abcd']);
    expect(proved.code, proved.stderr).toBe(0);
    const r = readJson<Receipt>(join(dir, 'r.json'));
    expect(r.nonce).toBe('abcd');
    expect(r.sharedProof?.slot).toBe(0);
    const p = readJson<SharedProof>(join(dir, 'proofs', `${r.sharedProof!.digest}.json`));
    expect(p.padding).toEqual([1, 2]);
    const v = await cli(['verify', join(dir, 'r.json'), '--artifacts', tiny.dir, '--nonce', 'abcd']);
    expect(v.code, v.stderr).toBe(0);
    // under a policy too: the shared proof beside the receipt is loaded; without it, refused
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ localSetup: 'accept' }));
    const accepted = await cli(['verify', join(dir, 'r.json'), '--artifacts', tiny.dir, '--policy', policy, '--json']);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(JSON.parse(accepted.stdout).results[0]).toMatchObject({ verdict: 'accepted', by: ['proof'] });
    rmSync(join(dir, 'proofs'), { recursive: true });
    const refused = await cli(['verify', join(dir, 'r.json'), '--artifacts', tiny.dir, '--policy', policy, '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.stringify(JSON.parse(refused.stdout).results[0].reasons)).toContain(`proof: the shared proof ${r.sharedProof!.digest.slice(0, 16)}… the receipt names was not found`);
  });

  it('export refuses artifacts with more than one inference per proof, in one line', async () => {
    const r = await cli(['export', tiny.dir, '--target', 'solidity', '--out', join(tiny.work, 'sol')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${tiny.dir}: the solidity verifier checks one inference per proof; this model proves 3 per proof (verify its receipts with \`zkinfer verify\`)\n`);
  });
});
