/**
 * Hashed visibility end to end on the tiny model: compile with a hashed input, prove (the
 * receipt carries the salted Poseidon commitment and none of the values; the opening holds
 * them), verify, check openings (a changed value, another salt, a value out of range are
 * refused), the CLI's prove → open with its exit codes, and the public-signal layout.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts, type Artifacts } from '../../src/prove/artifacts.js';
import { proveWithOpening } from '../../src/prove/prove.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { quantizeInput } from '../../src/reference/execute.js';
import { commitTensor } from '../../src/shared/commitment.js';
import { checkOpening, commitmentRange, type Opening } from '../../src/shared/opening.js';
import { publicSignalLayout } from '../../src/shared/layout.js';
import type { Receipt } from '../../src/shared/receipt.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { compileTinyModel, writeInput } from './tiny-model.js';
import buildDist from '../helpers/build-dist.js';

let pub: Awaited<ReturnType<typeof compileTinyModel>>;
let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let artifacts: Artifacts;
let key: VerifierKey;
let receipt: Receipt;
let opening: Opening;
const x = [0.5, -0.25, 0.75, 0.1, -0.6, 0.3];
const SALT = 123456789012345678901234567890n;

beforeAll(async () => {
  [pub, tiny] = [await compileTinyModel(), await compileTinyModel({ inputVisibility: 'hashed' })];
  artifacts = loadArtifacts(tiny.dir);
  key = loadVerifierKey(tiny.dir);
  const proven = await proveWithOpening(artifacts, x, { nonce: '00112233', salts: { input: SALT } });
  receipt = proven.receipt;
  opening = proven.opening!;
}, 600_000);
afterAll(releaseCurve);

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe('compile --input-visibility hashed', () => {
  it('records the modes, lays out the output values, the input commitment and the context', () => {
    const m = artifacts.manifest;
    expect([m.io.input.visibility, m.io.output.visibility]).toEqual(['hashed', 'public']);
    expect(m.compileOptions.visibility).toEqual({ input: 'hashed', output: 'public' });
    expect(m.circuit).toMatchObject({ publicInputs: 0, publicOutputs: 1, commitmentSignals: 1, contextSignals: 1 });
    const { bits } = m.io.output.packing!;
    expect(publicSignalLayout(m.io)).toEqual([
      { kind: 'packed', of: 'output', start: 0, count: 1, values: 3, min: m.io.output.min, max: m.io.output.max, bits, perSignal: Math.floor(252 / bits) },
      { kind: 'commitment', of: 'input', start: 1, count: 1 },
      { kind: 'context', start: 2, count: 1 },
    ]);
    expect(m.modelId).not.toBe(pub.result.manifest.modelId);
  });

  it('costs exactly the range checks (6 values × 9), the S-boxes of one Poseidon(2) (3·(8·3 + 57)) and one linear constraint more than the public input', () => {
    // 6 inputs of 8 bits: 48 bits, one packed element, absorbed with the salt in one Poseidon(2) call (t = 3, 57 partial rounds)
    expect(artifacts.manifest.circuit.constraints - pub.result.manifest.circuit.constraints).toBe(6 * 9 + 3 * (8 * 3 + 57) + 1);
  });
});

describe('prove and verify with a hashed input', () => {
  it('the receipt carries the commitment circomlibjs computes, and none of the input values', async () => {
    const raw = quantizeInput(artifacts.model, x);
    expect(receipt.input).toEqual({
      visibility: 'hashed',
      shape: [1, 6],
      scale: artifacts.model.input.scale,
      commitment: (await commitTensor(raw, commitmentRange(artifacts.manifest.io.input), SALT)).toString(),
    });
    expect(receipt.publicSignals![1]).toBe(receipt.input.commitment);
    const text = JSON.stringify(receipt, null, 2);
    expect(text).not.toMatch(/"raw"\s*:\s*\[\s*-?\d+\s*,\s*-?\d+\s*,\s*-?\d+\s*,\s*-?\d+\s*,\s*-?\d+\s*,\s*-?\d+\s*\]/); // no 6-value array
    expect(text).not.toContain(JSON.stringify(raw));
    expect(text.replace(/\s+/g, '')).not.toContain(raw.join(','));
    for (const v of x) expect(JSON.stringify(receipt.input)).not.toContain(String(v)); // (public output values may share digits with x)
    expect(text).not.toContain(SALT.toString());
    // every number left in the input block is its shape or scale
    expect(Object.keys(receipt.input).sort()).toEqual(['commitment', 'scale', 'shape', 'visibility']);
  });

  it('verifies, and a changed commitment or visibility is refused', async () => {
    expect(await verifyProof(receipt, key)).toMatchObject({ valid: true });
    const other = clone(receipt) as Receipt & { input: { commitment: string } };
    other.input.commitment = (BigInt(other.input.commitment) + 1n).toString();
    expect((await verifyProof(other, key)).reason).toBe('the receipt digest does not match its contents');
    const resealed = clone(other);
    const { receiptDigest } = await import('../../src/shared/receipt.js');
    resealed.digest = receiptDigest(resealed);
    expect((await verifyProof(resealed, key)).reason).toBe('the input commitment in the receipt differs from the proven public signal');
    const opened = { ...clone(receipt), input: { visibility: 'public', shape: [1, 6], scale: receipt.input.scale, raw: [1, 2, 3, 4, 5, 6], commitment: '0'.repeat(64) } };
    expect((await verifyProof(JSON.stringify(opened), key)).reason).toBe('the receipt input is public, the manifest declares it hashed');
  });

  it('a forged proof for another input under the same commitment signal does not verify', async () => {
    const forged = clone(receipt);
    const at = forged.publicSignals!.indexOf(forged.input.commitment);
    forged.publicSignals![at] = (BigInt(forged.publicSignals![at]!) + 1n).toString();
    (forged.input as { commitment: string }).commitment = forged.publicSignals![at]!;
    const { receiptDigest } = await import('../../src/shared/receipt.js');
    forged.digest = receiptDigest(forged);
    expect(await verifyProof(forged, key)).toMatchObject({ valid: false, reason: 'the Groth16 proof does not verify' });
  });

  it('draws a fresh salt per proof unless one is given', async () => {
    const a = await proveWithOpening(artifacts, x, { nonce: '01' });
    const b = await proveWithOpening(artifacts, x, { nonce: '01' });
    expect(a.opening!.input!.salt).not.toBe(b.opening!.input!.salt);
    expect(a.receipt.input.commitment).not.toBe(b.receipt.input.commitment);
    await expect(proveWithOpening(artifacts, x, { salts: { input: -1n } })).rejects.toThrow('salts.input: expected a field element below p, got -1');
  });
});

describe('checkOpening', () => {
  const io = () => artifacts.manifest.io;

  it('accepts the opening prove wrote and discloses the input integers', async () => {
    expect(await checkOpening(receipt, opening, io())).toEqual({ valid: true, disclosed: { input: quantizeInput(artifacts.model, x) } });
  });

  it('refuses one value changed, another salt, a value out of range, a wrong length, another receipt', async () => {
    const changed = clone(opening);
    changed.input!.raw[2]! += 1;
    expect(await checkOpening(receipt, changed, io())).toEqual({ valid: false, reason: "the opening's input does not match the receipt's input commitment" });
    const salted = clone(opening);
    salted.input!.salt = (SALT + 1n).toString();
    expect((await checkOpening(receipt, salted, io())).reason).toBe("the opening's input does not match the receipt's input commitment");
    const outside = clone(opening);
    outside.input!.raw[0] = 128;
    expect((await checkOpening(receipt, outside, io())).reason).toBe('input value 0 (128) is outside the declared range [-128, 127]');
    const short = clone(opening);
    short.input!.raw.pop();
    expect((await checkOpening(receipt, short, io())).reason).toBe("the opening's input has 5 values, the model's input has 6");
    const elsewhere = clone(opening);
    elsewhere.receiptDigest = '0'.repeat(64);
    expect((await checkOpening(receipt, elsewhere, io())).reason).toBe('the opening is for another receipt (its receiptDigest differs)');
  });
});

describe('batch prove', () => {
  it('writes one opening (0600) beside each receipt, and a re-run keeps them', async () => {
    const { proveBatch } = await import('../../src/prove/batch.js');
    const inputs = join(tiny.work, 'batch.jsonl');
    writeFileSync(inputs, `${JSON.stringify({ id: 'a', input: [x] })}\n${JSON.stringify({ id: 'b', input: [x.map((v) => -v)] })}\n`);
    const out = join(tiny.work, 'batch');
    const summary = await proveBatch(artifacts, inputs, out, { workers: 1 });
    expect(summary).toMatchObject({ proved: 2, failed: 0 });
    for (const id of ['a', 'b']) {
      const r = JSON.parse(readFileSync(join(out, `${id}.json`), 'utf8')) as Receipt;
      const o = JSON.parse(readFileSync(join(out, `${id}.opening.json`), 'utf8')) as Opening;
      expect(statSync(join(out, `${id}.opening.json`)).mode & 0o777).toBe(0o600);
      expect(await checkOpening(r, o, artifacts.manifest.io)).toMatchObject({ valid: true });
      expect(await verifyProof(r, key)).toMatchObject({ valid: true });
    }
    const { keptReceiptCheck } = await import('../../src/verify/kept.js');
    expect(await proveBatch(artifacts, inputs, out, { workers: 1, checkKept: keptReceiptCheck(key) })).toMatchObject({ proved: 0, skipped: 2 });
  }, 300_000);
});

describe('CLI: prove writes the opening (0600), open checks it', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/zkinfer.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  beforeAll(() => buildDist(), 300_000);

  it('prove → receipt + opening; open exits 0, 1 for a changed value, 2 for a missing file', () => {
    const input = writeInput(tiny.work, 'hashed-input.json', [x]);
    const out = join(tiny.work, 'hashed-receipt.json');
    const proved = cli('prove', tiny.dir, '--input', input, '--out', out);
    expect(proved.stderr).toBe('');
    expect(proved.status).toBe(0);
    const openingPath = join(tiny.work, 'hashed-receipt.opening.json');
    expect(statSync(openingPath).mode & 0o777).toBe(0o600);
    const receiptText = readFileSync(out, 'utf8');
    expect(receiptText).not.toContain(JSON.stringify(quantizeInput(artifacts.model, x)));
    // refuses to overwrite either file without --force
    const again = cli('prove', tiny.dir, '--input', input, '--out', out);
    expect(again.status).toBe(2);
    expect(again.stderr).toBe(`error: ${out}: already exists; pass --force to overwrite it\n`);

    const ok = cli('open', out, '--opening', openingPath, '--artifacts', tiny.dir);
    expect(ok.stdout).toBe(`${out}: valid proof; ${openingPath} opens its hashed input (6 values)\n`);
    expect(ok.status).toBe(0);

    const bad = JSON.parse(readFileSync(openingPath, 'utf8')) as Opening;
    bad.input!.raw[0]! -= 1;
    const badPath = join(tiny.work, 'bad.opening.json');
    writeFileSync(badPath, JSON.stringify(bad));
    const refused = cli('open', out, '--opening', badPath, '--artifacts', tiny.dir);
    expect(refused.stderr).toBe(`error: ${badPath}: the opening's input does not match the receipt's input commitment\n`);
    expect(refused.status).toBe(1);

    const missing = cli('open', out, '--opening', join(tiny.work, 'nope.json'), '--artifacts', tiny.dir);
    expect(missing.stderr).toBe(`error: ${join(tiny.work, 'nope.json')}: cannot read the opening (ENOENT)\n`);
    expect(missing.status).toBe(2);
  });

  it('the TEE path refuses a hashed model with one line; the exporters serve it', () => {
    const input = writeInput(tiny.work, 'tee-input.json', [x]);
    const tee = cli('infer', tiny.dir, '--input', input, '--out', join(tiny.work, 'tee.json'), '--attest', 'dev');
    expect(tee.status).toBe(1);
    expect(tee.stderr).toMatch(/the TEE path serves models with public input and output; this model's input is hashed and output public/);
    const exported = cli('export', tiny.dir, '--target', 'solidity', '--out', join(tiny.work, 'sol'));
    expect(exported.stderr).toBe('');
    expect(exported.status).toBe(0);
    expect(JSON.parse(readFileSync(join(tiny.work, 'sol', 'deployment.json'), 'utf8')).model.layout).toBe('3 outputs packed in 1 signal, the input commitment, the context');
  }, 120_000);
});
