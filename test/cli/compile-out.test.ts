/**
 * `compile --out` never loses the user's files: it builds in a temporary folder beside the
 * target and swaps it in at the end; it refuses a non-empty folder that is not this model's
 * artifacts unless --force; it keeps the keys of an unchanged circuit, so earlier receipts
 * stay valid; and a compile that fails leaves the old folder as it was (or no folder).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile/compile.js';
import { readManifest } from '../../src/shared/manifest.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { sha256File } from '../../src/shared/hash.js';
import { loadVerifierKey, verifyProof } from '../../src/verify/verify.js';
import { buildModel, randomArray, rng } from '../helpers/onnx-builder.js';

function zkinfer(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/zkinfer.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A 6-4-3 MLP; `seed` picks its weights, so two seeds are two models. */
function writeModel(path: string, seed: number): string {
  const r = rng(seed);
  writeFileSync(
    path,
    buildModel({
      input: { name: 'x', dims: [1, 6] },
      output: { name: 'y' },
      nodes: [
        { op: 'Gemm', inputs: ['x', 'W1', 'b1'], outputs: ['h'], attrs: { transB: 1 }, name: 'fc1' },
        { op: 'Relu', inputs: ['h'], outputs: ['a'], name: 'relu1' },
        { op: 'Gemm', inputs: ['a', 'W2', 'b2'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc2' },
      ],
      initializers: [
        { name: 'W1', dims: [4, 6], values: randomArray(r, 24) },
        { name: 'b1', dims: [4], values: randomArray(r, 4, -0.2, 0.2) },
        { name: 'W2', dims: [3, 4], values: randomArray(r, 12) },
        { name: 'b2', dims: [3], values: randomArray(r, 3, -0.2, 0.2) },
      ],
    }),
  );
  return path;
}

/** Every file under `dir` (relative path → sha256), to show a folder did not change. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = sha256File(p);
    }
  };
  walk(dir);
  return out;
}

let work: string;
let modelA: string;
let modelB: string;
let calibration: string;
const quantArgs = ['--input-bits', '8', '--weight-bits', '8', '--activation-bits', '10'];
const quant = { inputBits: 8, weightBits: 8, activationBits: 10 };
const x = [0.5, -0.25, 0.75, 0.1, -0.6, 0.3];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'zkinfer-compile-out-'));
  modelA = writeModel(join(work, 'a.onnx'), 1);
  modelB = writeModel(join(work, 'b.onnx'), 2);
  const r = rng(5);
  calibration = join(work, 'calibration.jsonl');
  writeFileSync(calibration, Array.from({ length: 16 }, () => JSON.stringify({ input: [randomArray(r, 6)] })).join('\n') + '\n');
});
afterAll(releaseCurve);

/** Names beside `dir` in its parent (to show no temporary folder is left). */
const siblings = (parent: string) => readdirSync(parent).sort();

describe('compile --out', () => {
  it('refuses a non-empty folder that is not an artifacts folder, and leaves its files as they were', () => {
    const parent = join(work, 'p1');
    const dir = join(parent, 'mine');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.onnx'), 'my own model, not to be overwritten');
    writeFileSync(join(dir, 'manifest.json'), '{"mine": true}');
    writeFileSync(join(dir, 'circuit.zkey'), 'my keys');
    const before = snapshot(dir);
    const r = zkinfer('compile', modelA, '--out', dir, '--skip-setup', ...quantArgs);
    expect(r.code).toBe(2); // a usage error: the output cannot be written
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`error: ${dir}: not empty and not a zkinfer artifacts folder; choose another --out, or pass --force to replace the folder`);
    expect(snapshot(dir)).toEqual(before);
    expect(siblings(parent)).toEqual(['mine']);
  });

  it('refuses an --int8 mode other than exact or fold, before writing anything', () => {
    const out = join(work, 'int8-mode');
    const r = zkinfer('compile', modelA, '--out', out, '--skip-setup', '--int8', 'fast', ...quantArgs);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('error: expected --int8 to be exact or fold, got fast');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a path that is a file', () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'keep me');
    const r = zkinfer('compile', modelA, '--out', file, '--skip-setup', ...quantArgs);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`error: ${file}: exists and is not a folder; choose another --out`);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('refuses another model’s artifacts without --force; with --force replaces them only once the new folder is complete', async () => {
    const parent = join(work, 'p2');
    const dir = join(parent, 'art');
    const a = await compileModel(modelA, { outDir: dir, calibrationPath: calibration, quant });
    const before = snapshot(dir);

    const refused = zkinfer('compile', modelB, '--out', dir, '--calibration', calibration, ...quantArgs);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trimEnd().split('\n').at(-1)).toBe(
      `error: ${dir}: holds the artifacts of another model (a, ONNX sha256 ${a.manifest.files.onnx!.sha256.slice(0, 12)}…); choose another --out, or pass --force to replace them`,
    );
    expect(snapshot(dir)).toEqual(before);

    // --force with a compile that fails late (a bad --ptau, after circom): the old folder stays whole
    const badPtau = join(work, 'bad.ptau');
    writeFileSync(badPtau, 'not a ptau file');
    const failed = zkinfer('compile', modelB, '--out', dir, '--calibration', calibration, '--ptau', badPtau, '--force', ...quantArgs);
    expect(failed.code).toBe(1);
    expect(failed.stderr.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^error: ${badPtau.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    expect(snapshot(dir)).toEqual(before);
    expect(siblings(parent)).toEqual(['art']);
    expect(() => loadArtifacts(dir)).not.toThrow();

    const forced = zkinfer('compile', modelB, '--out', dir, '--calibration', calibration, '--force', '--skip-setup', ...quantArgs);
    expect(forced.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
    expect(forced.code).toBe(0);
    expect(readManifest(dir).files.onnx!.sha256).toBe(sha256File(modelB));
    expect(siblings(parent)).toEqual(['art']);
  });

  it('refuses this model’s artifacts folder when it holds files compile did not write', async () => {
    const dir = join(work, 'with-notes');
    await compileModel(modelA, { outDir: dir, calibrationPath: calibration, quant, skipSetup: true });
    writeFileSync(join(dir, 'notes.txt'), 'my notes');
    mkdirSync(join(dir, 'receipts'));
    const before = snapshot(dir);
    await expect(compileModel(modelA, { outDir: dir, calibrationPath: calibration, quant, skipSetup: true })).rejects.toThrow(
      `${dir}: holds files compile did not write (notes.txt, receipts); move them, choose another --out, or pass --force to replace the folder`,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it('recompiling the same model keeps its keys, so an earlier receipt still verifies; says so on stderr', async () => {
    const dir = join(work, 'same');
    const first = await compileModel(modelA, { outDir: dir, calibrationPath: calibration, quant });
    expect(first.keys).toBe('generated');
    const receipt = await proveInference(loadArtifacts(dir), x, { nonce: 'aa55' });
    const zkey = sha256File(join(dir, 'circuit.zkey'));

    const r = zkinfer('compile', modelA, '--out', dir, '--calibration', calibration, ...quantArgs);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')).toContain(
      `kept the keys of ${dir}: circuit unchanged (r1cs sha256 ${first.manifest.files.r1cs.sha256.slice(0, 12)}…), key id ${first.manifest.keyId}; receipts made with them stay valid`,
    );
    const m = readManifest(dir);
    expect(m.keyId).toBe(first.manifest.keyId);
    expect(m.setup).toEqual(first.manifest.setup);
    expect(sha256File(join(dir, 'circuit.zkey'))).toBe(zkey);
    expect(await verifyProof(receipt, loadVerifierKey(dir))).toMatchObject({ valid: true });
    expect(siblings(work).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('recompiling with another circuit makes new keys and warns that earlier receipts will not verify', async () => {
    const dir = join(work, 'changed');
    const first = await compileModel(modelA, { outDir: dir, calibrationPath: calibration, quant });
    const warnings: string[] = [];
    const second = await compileModel(modelA, { outDir: dir, calibrationPath: calibration, quant: { ...quant, activationBits: 12 }, onWarning: (w) => warnings.push(w) });
    expect(second.keys).toBe('generated');
    expect(second.manifest.keyId).not.toBe(first.manifest.keyId);
    expect(warnings).toContain(
      `${dir}: the circuit changed (r1cs sha256 ${first.manifest.files.r1cs.sha256.slice(0, 12)}… → ${second.manifest.files.r1cs.sha256.slice(0, 12)}…): new keys replace key id ${first.manifest.keyId}; receipts made with it will not verify against this folder`,
    );
  });

  it('a recompile that fails late (bad --ptau) leaves the folder as it was, and prove still accepts it', async () => {
    const dir = join(work, 'late');
    await compileModel(modelA, { outDir: dir, calibrationPath: calibration, quant });
    const before = snapshot(dir);
    const badPtau = join(work, 'bad2.ptau');
    writeFileSync(badPtau, 'not a ptau file either');
    // other options: another quantized.json and r1cs, so the setup must run, and fails
    const r = zkinfer('compile', modelA, '--out', dir, '--calibration', calibration, '--ptau', badPtau, '--input-bits', '8', '--weight-bits', '8', '--activation-bits', '12');
    expect(r.code).toBe(1);
    expect(snapshot(dir)).toEqual(before);
    const input = join(work, 'x.json');
    writeFileSync(input, JSON.stringify({ input: [x] }));
    const p = zkinfer('prove', dir, '--input', input, '--out', join(work, 'late-receipt.json'));
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
  });

  it('a failed compile into a new folder leaves no folder behind (nor an empty parent it made)', () => {
    const parent = join(work, 'fresh-parent');
    const dir = join(parent, 'deeper', 'out');
    const r = zkinfer('compile', 'test/fixtures/models/unsupported_op.onnx', '--out', dir, '--skip-setup');
    expect(r.code).toBe(1);
    expect(existsSync(parent)).toBe(false);

    const badPtau = join(work, 'bad3.ptau');
    writeFileSync(badPtau, 'nope');
    const late = join(work, 'p3');
    mkdirSync(late);
    const s = zkinfer('compile', modelA, '--out', join(late, 'out'), '--calibration', calibration, '--ptau', badPtau, ...quantArgs);
    expect(s.code).toBe(1);
    expect(siblings(late)).toEqual([]);
  });

  it('compiles into an existing empty folder', async () => {
    const dir = join(work, 'empty');
    mkdirSync(dir);
    const result = await compileModel(modelA, { outDir: dir, calibrationPath: calibration, quant, skipSetup: true });
    expect(result.dir).toBe(dir);
    expect(readManifest(dir).files.onnx!.sha256).toBe(sha256File(modelA));
  });
});
