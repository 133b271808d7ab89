/**
 * End to end on a tiny model: compile → prove → verify, and the verifier's rejections,
 * each with its message.
 */
import { readFileSync, writeFileSync, mkdtempSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { loadVerifierKey, verifyProof } from '../../src/verify/verify.js';
import { readManifest } from '../../src/shared/manifest.js';
import { compileModel } from '../../src/compile/compile.js';
import { FIELD_MODULUS } from '../../src/shared/field.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { sha256File } from '../../src/shared/hash.js';
import type { PublicReceipt as Receipt } from '../../src/shared/receipt.js';
import { compileTinyModel } from './tiny-model.js';
import { resealOutput } from '../verify/tampering-cases.js';

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let receipt: Receipt;
const x = [0.5, -0.25, 0.75, 0.1, -0.6, 0.3];

beforeAll(async () => {
  tiny = await compileTinyModel();
  receipt = await proveInference(loadArtifacts(tiny.dir), x, { nonce: '00112233' });
}, 300_000);
afterAll(releaseCurve);

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe('compile', () => {
  it('writes a manifest with hashes, scales, the constraint count and the local-setup warning', () => {
    const m = readManifest(tiny.dir);
    expect(m.files.r1cs.sha256).toBe(sha256File(join(tiny.dir, m.files.r1cs.path)));
    expect(m.files.onnx!.sha256).toBe(sha256File(tiny.onnxPath));
    const [step] = m.quantization.steps as { shift: number; bits: number; relu: boolean }[];
    // 5 hidden units: shift + bits booleanity, bit sum, input binding and ReLU product each; 3 outputs;
    // their packing (bits booleanity and a bit sum each, one packed public signal); the context's square
    const { bits } = m.io.output.packing!;
    expect(m.io.output.packing).toEqual({ bits, perSignal: Math.floor(252 / bits), signals: 1 });
    expect(m.circuit.constraints).toBe(5 * (step!.shift + step!.bits + 3) + 3 + 3 * (bits + 1) + 1 + 1);
    expect(m.circuit.optimization).toBe('O1');
    expect(m.setup?.localSingleParty).toBe(true);
    expect(m.setup?.note).toMatch(/^LOCAL SINGLE-PARTY SETUP/);
    expect(m.io.output.transform).toEqual({ kind: 'softmax', axis: 1, coerce2d: false });
    expect(m.io.output.semantics).toMatch(/^logits/);
    expect(m.provenance).toEqual({ name: 'tiny', authors: ['zkinfer tests'], license: 'MIT' });
    expect(tiny.result.error.argmaxAgreement).toBeGreaterThanOrEqual(0.9);
  });

  it('is deterministic: the same model and options give the same circuit, r1cs and model id', async () => {
    const again = await compileModel(tiny.onnxPath, {
      outDir: join(tiny.work, 'again'),
      calibrationPath: join(tiny.work, 'calibration.jsonl'),
      quant: { inputBits: 8, weightBits: 8, activationBits: 10 },
      provenance: { name: 'tiny', authors: ['zkinfer tests'], license: 'MIT' },
      skipSetup: true,
    });
    const first = readManifest(tiny.dir);
    expect(again.manifest.files.circuit.sha256).toBe(first.files.circuit.sha256);
    expect(again.manifest.files.r1cs.sha256).toBe(first.files.r1cs.sha256);
    expect(again.manifest.modelId).toBe(first.modelId);
  });
});

describe('prove and verify', () => {
  it('proves an inference whose receipt verifies, with logits and softmax probabilities', async () => {
    expect(receipt.output.values).toHaveLength(3);
    expect(receipt.output.probabilities!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(receipt.publicSignals).toHaveLength(1 + 6 + 1); // the 3 outputs packed in one signal, 6 inputs, the context
    const verdict = await verifyProof(receipt, loadVerifierKey(tiny.dir));
    expect(verdict).toMatchObject({ valid: true });
  });

  it('rejects an altered output', async () => {
    const r = clone(receipt);
    r.output.raw[1] += 1;
    resealOutput(r, readManifest(tiny.dir));
    // re-seal the digest so the check that fails is the proof binding, not the digest
    const { receiptDigest } = await import('../../src/shared/receipt.js');
    r.digest = receiptDigest(r);
    expect(await verifyProof(r, loadVerifierKey(tiny.dir))).toMatchObject({
      valid: false,
      reason: `output 1 in the receipt (${r.output.raw[1]}) differs from the proven public signal (${receipt.output.raw[1]})`,
    });
  });

  it('rejects an altered output public signal with its receipt altered to match', async () => {
    const r = clone(receipt);
    // the packed signal's lowest digit is output 0 − min: one more is output 0 + 1
    r.publicSignals![0] = ((BigInt(r.publicSignals![0]!) + 1n) % FIELD_MODULUS).toString();
    r.output.raw[0] += 1;
    resealOutput(r, readManifest(tiny.dir));
    const { receiptDigest } = await import('../../src/shared/receipt.js');
    r.digest = receiptDigest(r);
    expect(await verifyProof(r, loadVerifierKey(tiny.dir))).toMatchObject({ valid: false, reason: 'the Groth16 proof does not verify' });
  });

  it('rejects an altered proof point', async () => {
    const r = clone(receipt);
    r.proof!.pi_a[0] = ((BigInt(r.proof!.pi_a[0]!) + 1n) % FIELD_MODULUS).toString();
    const verdict = await verifyProof(r, loadVerifierKey(tiny.dir));
    expect(verdict.valid).toBe(false);
    expect(verdict.reason).toMatch(/^(the Groth16 proof (does not verify|is malformed)|pi_a is not a point of G1$)/);
  });

  it('rejects a swapped verification key', async () => {
    const key = loadVerifierKey(tiny.dir);
    const other = clone(key.vkey) as { vk_alpha_1: string[] };
    other.vk_alpha_1 = [...(key.vkey as { vk_beta_1?: string[]; vk_alpha_1: string[] }).vk_alpha_1].reverse();
    expect(await verifyProof(receipt, { ...key, vkey: other })).toMatchObject({
      valid: false,
      reason: `the verification key does not match the manifest's key id ${key.manifest.keyId!.slice(0, 16)}…`,
    });
  });

  it('rejects a public signal shifted by the field modulus', async () => {
    const r = clone(receipt);
    r.publicSignals![4] = (BigInt(r.publicSignals![4]!) + FIELD_MODULUS).toString();
    expect(await verifyProof(r, loadVerifierKey(tiny.dir))).toMatchObject({ valid: false, reason: 'public signal 4 is not a canonical field element' });
  });

  it('rejects malformed JSON and malformed receipts', async () => {
    const key = loadVerifierKey(tiny.dir);
    expect(await verifyProof('{"format": ', key)).toMatchObject({ valid: false });
    expect((await verifyProof('{"format": ', key)).reason).toMatch(/^malformed JSON: /);
    const r = clone(receipt) as Record<string, unknown>;
    delete r.digest;
    expect(await verifyProof(JSON.stringify(r), key)).toMatchObject({ valid: false, reason: 'malformed receipt: "digest": Invalid input: expected string, received undefined' });
  });

  it('rejects a receipt whose digest does not match its contents', async () => {
    const r = clone(receipt);
    r.nonce = 'ff';
    expect(await verifyProof(r, loadVerifierKey(tiny.dir))).toMatchObject({ valid: false, reason: 'the receipt digest does not match its contents' });
  });

  it('rejects a receipt checked against another model’s artifacts', async () => {
    const other = mkdtempSync(join(tmpdir(), 'zkinfer-other-'));
    cpSync(tiny.dir, other, { recursive: true });
    const manifestPath = join(other, 'manifest.json');
    const m = JSON.parse(readFileSync(manifestPath, 'utf8'));
    m.modelId = 'a'.repeat(64);
    writeFileSync(manifestPath, JSON.stringify(m));
    expect(await verifyProof(receipt, loadVerifierKey(other))).toMatchObject({
      valid: false,
      reason: `the receipt is for model ${receipt.modelId.slice(0, 16)}…, the artifacts are model aaaaaaaaaaaaaaaa…`,
    });
  });
});
