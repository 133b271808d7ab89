/**
 * The TEE fast path on the tiny Softmax model (test/e2e/tiny-model.ts): the receipt holds
 * onnxruntime's output in the proven fixed-point form (checked against onnxruntime on the
 * original file and the float IR executor, not against itself), a dev attestation verifies
 * but does not satisfy the default policy, `prove` attaches a proof whose output
 * cross-checks with the TEE's, and a TEE output beyond tolerance is rejected.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile/compile.js';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { runFloat } from '../../src/ir/float-exec.js';
import { softmax } from '../../src/shared/math.js';
import { OrtModel } from '../../src/onnx/runtime.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { quantizeInput, runReference } from '../../src/reference/execute.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { InputError, InvalidArgumentError, ProveError } from '../../src/shared/errors.js';
import { receiptDigest, receiptSchema, type PublicReceipt as Receipt, type TeeOutput } from '../../src/shared/receipt.js';
import { attachProof, closeTeeArtifacts, inferAttested, loadTeeArtifacts, type TeeArtifacts } from '../../src/tee/infer.js';
import { createDevProvider, type DevProvider } from '../../src/tee/dev/dev.js';
import { verifyReceiptAttestation } from '../../src/tee/receipt-attestation.js';
import { DEFAULT_POLICY, evaluateReceipt, loadPolicyKey, parsePolicy } from '../../src/verify/policy.js';
import { verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { clone, createTestChain, reattest, TEST_AT, TEST_PCRS, testNitroProvider } from './helpers.js';

const x = [0.5, -0.25, 0.75, 0.1, -0.6, 0.3];
const NONCE = '5eed000000000000000000000000cafe';

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let artifacts: TeeArtifacts;
let dev: DevProvider;
let key: VerifierKey;
let attested: Receipt;
let proven: Receipt;

beforeAll(async () => {
  tiny = await compileTinyModel();
  artifacts = loadTeeArtifacts(tiny.dir);
  dev = createDevProvider({ ephemeral: true });
  key = loadPolicyKey(tiny.dir) as VerifierKey;
  const run = await inferAttested(artifacts, x, { provider: dev, prove: true, nonce: NONCE });
  attested = run.receipt;
  proven = (await run.proof!).receipt;
}, 300_000);
afterAll(async () => {
  await closeTeeArtifacts(artifacts);
  await releaseCurve();
});

/** A TEE output shifted by `delta` on element `index` (raw, values and probabilities kept consistent). */
function shifted(output: TeeOutput, index: number, delta: number, scale: number): TeeOutput {
  const values = output.values.map((v, i) => (i === index ? v + delta : v));
  return { raw: values.map((v) => Math.round(v * 2 ** scale)), values, probabilities: Array.from(softmax(values, [1, 3], 1, false)) };
}

describe('infer with the dev provider', () => {
  it('records onnxruntime output in fixed point: logits as values, Softmax output as probabilities', async () => {
    expect(receiptSchema.parse(attested)).toEqual(attested);
    const { model } = artifacts;
    expect(attested.input.raw).toEqual(quantizeInput(model, x));
    const seen = attested.input.raw.map((v) => v / 2 ** model.input.scale);
    // onnxruntime on the original file, unmodified: its output is the probabilities
    const ort = await OrtModel.load(readFileSync(tiny.onnxPath));
    try {
      expect(attested.output.probabilities).toEqual(Array.from(await ort.run(seen, model.input.shape)));
    } finally {
      await ort.close();
    }
    // the float IR executor's Softmax input: the logits the circuit proves
    const graph = optimize(importOnnx(readFileSync(tiny.onnxPath)));
    const last = graph.nodes[graph.nodes.length - 1]!;
    expect(last.kind).toBe('softmax');
    let logits: Float64Array | undefined;
    runFloat(graph, Float64Array.from(seen), (name, data) => {
      if (name === last.input) logits = data;
    });
    attested.output.values.forEach((v, i) => expect(Math.abs(v - logits![i]!)).toBeLessThan(1e-5));
    expect(attested.output.raw).toEqual(attested.output.values.map((v) => Math.round(v * 2 ** model.output.scale)));
    expect(attested.digest).toBe(receiptDigest(attested));
    expect(attested.nonce).toBe(NONCE);
    expect(attested.proof).toBeUndefined();
    expect(attested.attestation).toMatchObject({
      provider: 'dev',
      format: 'zkinfer.dev-attestation/1',
      hardware: false,
      digest: attested.digest,
      nonce: NONCE,
      output: { raw: attested.output.raw, values: attested.output.values },
    });
  });

  it('verifies as a dev attestation, and the default policy requires a proof', async () => {
    expect(await verifyReceiptAttestation(attested, { outputTransform: artifacts.manifest.io.output.transform })).toMatchObject({ provider: 'dev', hardware: false, publicKey: dev.publicKey });
    expect(await evaluateReceipt(attested, { key, policy: DEFAULT_POLICY })).toEqual({
      verdict: 'proof-required',
      by: [],
      reasons: ['attestation: dev provider, not hardware; the policy does not accept dev attestations'],
    });
    const devOk = parsePolicy({ acceptDevAttestations: true, devPublicKeys: [dev.publicKey] });
    expect(await evaluateReceipt(attested, { key, policy: devOk })).toMatchObject({ verdict: 'accepted', by: ['attestation'] });
    expect(await evaluateReceipt(attested, { key, policy: { ...devOk, devPublicKeys: ['00'.repeat(32)] } })).toEqual({
      verdict: 'rejected',
      by: [],
      reasons: [`attestation: dev attestation: key ${dev.publicKey} is not a trusted dev key`],
    });
  });

  it('refuses a bad nonce and an input outside the compiled range before any work', async () => {
    await expect(inferAttested(artifacts, x, { provider: dev, nonce: 'abc' })).rejects.toThrow(
      new InvalidArgumentError('expected nonce to be 2 to 1024 lowercase hex digits (an even number, no 0x), got "abc"'),
    );
    await expect(inferAttested(artifacts, [9, 0, 0, 0, 0, 0], { provider: dev })).rejects.toThrow(InputError);
  });
});

describe('infer --prove', () => {
  it('attaches the proof, keeps the attestation unchanged, and the outputs cross-check', async () => {
    expect(proven.proof).toBeDefined();
    expect(proven.attestation).toEqual(attested.attestation);
    expect(proven.output.raw).toEqual(runReference(artifacts.model, attested.input.raw));
    expect(proven.input).toEqual(attested.input);
    expect(proven.nonce).toBe(NONCE);
    expect(proven.createdAt).toBe(attested.createdAt);
    expect((await verifyProof(clone(proven), key)).valid).toBe(true);
    const verdict = await evaluateReceipt(clone(proven), { key, policy: DEFAULT_POLICY });
    expect(verdict.verdict).toBe('accepted');
    expect(verdict.by).toEqual(['proof']);
    expect(verdict.reasons[0]).toMatch(/^proof: valid Groth16 proof under key [0-9a-f]{16}… from a local single-party setup/);
    expect(verdict.reasons[1]).toBe('warning: the proof key comes from a local single-party setup; whoever ran it could forge proofs (localSetup: "warn")');
    expect(verdict.reasons[2]).toMatch(/^cross-check: the TEE and proven outputs agree within 0\.\d+ \(largest difference \d\.\d+(e-\d+)?\)$/);
    expect(verdict.reasons[3]).toBe('not counted: attestation: dev provider, not hardware; the policy does not accept dev attestations');
    const both = await evaluateReceipt(clone(proven), { key, policy: parsePolicy({ acceptDevAttestations: true, devPublicKeys: [dev.publicKey] }) });
    expect(both).toMatchObject({ verdict: 'accepted', by: ['proof', 'attestation'] });
  });

  it('refuses to attach a proof of another input', async () => {
    const other = await proveInference(loadArtifacts(tiny.dir), [0, 0, 0, 0, 0, 0], { nonce: NONCE });
    expect(() => attachProof(attested, other)).toThrow(new ProveError('cannot attach the proof: it is for another model, input, nonce or time than the attested receipt'));
  });
});

describe('tampered TEE output', () => {
  it('a genuinely attested TEE output beyond tolerance is rejected once a proof disagrees', async () => {
    const chain = await createTestChain();
    const hw = testNitroProvider(chain);
    const policy = parsePolicy({ allowedPcrs: [TEST_PCRS] });
    const options = { key, policy, now: TEST_AT, nitroRootFingerprint: chain.rootFingerprint };
    const { receipt: honest } = await inferAttested(artifacts, x, { provider: hw, nonce: NONCE });
    // a proof of the same inference for this receipt's nonce and time (the context both bind)
    const proven = await proveInference(loadArtifacts(tiny.dir), x, { nonce: honest.nonce, createdAt: honest.createdAt });
    expect(await evaluateReceipt(honest, options)).toMatchObject({ verdict: 'accepted', by: ['attestation'] });
    expect(await evaluateReceipt(attachProof(honest, proven), options)).toMatchObject({ verdict: 'accepted', by: ['proof', 'attestation'] });

    // A lying TEE: its logit 1 is 2.0 higher; the hardware signs whatever the TEE asks.
    const lying = await reattest(honest, shifted(honest.attestation!.output, 1, 2, artifacts.model.output.scale), hw);
    expect(await evaluateReceipt(lying, options)).toMatchObject({ verdict: 'accepted', by: ['attestation'] }); // only a proof can catch it
    const caught = await evaluateReceipt(attachProof(lying, proven), options);
    expect(caught.verdict).toBe('rejected');
    const tolerance = artifacts.manifest.tolerance.maxAbsOutputError;
    expect(caught.reasons).toEqual([
      expect.stringMatching(new RegExp(`^cross-check: the TEE output differs from the proven output by 0\\.\\d+ at index 1, more than the tolerance ${tolerance.toPrecision(3).replace('.', '\\.')}$`)),
    ]);
    // a looser tolerance from the policy accepts the same receipt
    expect(await evaluateReceipt(attachProof(lying, proven), { ...options, policy: { ...policy, tolerance: 1 } })).toMatchObject({ verdict: 'accepted' });
  });

  it('editing the attested output without a new attestation breaks the binding', async () => {
    const edited = clone(proven);
    edited.attestation!.output = shifted(edited.attestation!.output, 0, 1, artifacts.model.output.scale);
    expect(await evaluateReceipt(edited, { key, policy: DEFAULT_POLICY })).toEqual({
      verdict: 'rejected',
      by: [],
      reasons: ['attestation: the attestation digest does not match the receipt with the attested output'],
    });
    const unproven = clone(attested);
    unproven.output.raw[0]! += 1;
    unproven.output.values[0]! += 2 ** -artifacts.model.output.scale;
    unproven.digest = receiptDigest(unproven);
    expect((await evaluateReceipt(unproven, { key, policy: DEFAULT_POLICY })).reasons).toEqual(['attestation: the receipt has no proof and its output is not the attested output']);
    const floats = clone(attested);
    floats.attestation!.output.values[2] = 0.5;
    floats.output.values[2] = 0.5;
    expect((await evaluateReceipt(floats, { key, policy: DEFAULT_POLICY })).reasons).toEqual([
      `attestation: attested output value 2 (0.5) does not round to its integer ${attested.output.raw[2]} at scale ${artifacts.model.output.scale}`,
    ]);
  });
});

describe('a model without output transform, compiled without setup', () => {
  it('records onnxruntime output as values and needs no verification key', async () => {
    const expected = JSON.parse(readFileSync(new URL('../fixtures/models/expected.json', import.meta.url), 'utf8')).gemm_transb_alpha;
    const onnx = new URL('../fixtures/models/gemm_transb_alpha.onnx', import.meta.url).pathname;
    const { dir } = await compileModel(onnx, { outDir: join(tiny.work, 'gemm'), skipSetup: true });
    const gemm = loadTeeArtifacts(dir);
    try {
      const { receipt, proof } = await inferAttested(gemm, expected.inputs[0].data, { provider: dev });
      expect(proof).toBeUndefined();
      const ort = await OrtModel.load(readFileSync(onnx));
      const seen = receipt.input.raw.map((v) => v / 2 ** receipt.input.scale);
      expect(receipt.output.values).toEqual(Array.from(await ort.run(seen, gemm.model.input.shape)));
      await ort.close();
      expect(receipt.output.probabilities).toBeUndefined();
      receipt.output.values.forEach((v, i) => expect(Math.abs(v - expected.outputs[0].data[i])).toBeLessThan(0.01));
      const policyKey = loadPolicyKey(dir);
      expect(policyKey.vkey).toBeUndefined();
      expect(await evaluateReceipt(receipt, { key: policyKey, policy: parsePolicy({ acceptDevAttestations: true, devPublicKeys: [dev.publicKey] }) })).toMatchObject({
        verdict: 'accepted',
        by: ['attestation'],
      });
      await expect(inferAttested(gemm, expected.inputs[0].data, { provider: dev, prove: true })).rejects.toThrow(`${dir}: compiled without a setup (no zkey); run compile again without --skip-setup`);
    } finally {
      await closeTeeArtifacts(gemm);
    }
  });
});
