/**
 * Models in the styles real exporters write (scripts/make_robust_models.py, fixtures in
 * test/fixtures/robust/): PyTorch exports with a fixed batch and a final Softmax or
 * LogSoftmax, tf2onnx-style Keras graphs (NHWC input with Transposes, MatMul + Add, Reshape
 * with -1, Identity, Squeeze/Unsqueeze, a dynamic `unk__` batch). Each is compiled for batch
 * 1, one input row is proven and verified, and the proven output (after the final
 * (Log)Softmax, as users see it) is compared with onnxruntime on the original file fed its
 * declared batch (the row repeated): same argmax, values within the manifest's tolerance.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile/compile.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { argmaxRows } from '../../src/reference/error.js';
import { closeTeeArtifacts, inferAttested, loadTeeArtifacts } from '../../src/tee/infer.js';
import { createDevProvider } from '../../src/tee/dev/dev.js';
import { verifyReceiptAttestation } from '../../src/tee/receipt-attestation.js';
import { checkProvenOutput, loadVerifierKey, verifyProof } from '../../src/verify/verify.js';
import { readManifest } from '../../src/shared/manifest.js';
import { softmax } from '../../src/shared/math.js';

const DIR = new URL('../fixtures/robust/', import.meta.url);
const file = (name: string) => new URL(`${name}.onnx`, DIR).pathname;

/** The first row of the fixture's sample input, flat, and the sample's declared batch. */
function sampleRow(name: string): { row: number[]; batch: number } {
  const input = JSON.parse(readFileSync(new URL(`${name}.input.json`, DIR), 'utf8')).input as unknown[];
  const rows = input.map((r) => [r].flat(Infinity) as number[]);
  return { row: rows[0]!, batch: rows.length };
}

/** onnxruntime on the original file, fed `batch` copies of `row`; the first row's output. */
async function ortRow(name: string, row: readonly number[], shape: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(readFileSync(file(name)), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const batch = shape[0]!;
    const data = Float32Array.from(Array.from({ length: batch }, () => row).flat());
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', data, shape) });
    const y = Array.from(out[session.outputNames[0]!]!.data as Float32Array);
    return y.slice(0, y.length / batch);
  } finally {
    await session.release();
  }
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'zkinfer-robust-'));
});
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await releaseCurve();
});

async function proveAndCompare(name: string, transform: 'softmax' | 'logSoftmax' | undefined): Promise<string> {
  const { row, batch } = sampleRow(name);
  const dir = join(work, name);
  const { manifest } = await compileModel(file(name), { outDir: dir, batch: 1, quant: { inputBits: 8, weightBits: 8, activationBits: 10 }, onWarning: () => {} });
  expect(manifest.io.output.transform?.log === true ? 'logSoftmax' : manifest.io.output.transform?.kind).toBe(transform);
  const receipt = await proveInference(loadArtifacts(dir), row, { nonce: '01' });
  expect(await verifyProof(receipt, loadVerifierKey(dir))).toMatchObject({ valid: true });
  const seen = receipt.input.raw.map((v) => v / 2 ** receipt.input.scale);
  const inputShape = [batch, ...manifest.io.input.shape.slice(1)];
  const reference = await ortRow(name, seen, inputShape);
  const got = transform ? receipt.output.probabilities! : receipt.output.values;
  const classes = manifest.io.output.shape.at(-1)!;
  expect(argmaxRows(got, classes)).toEqual(argmaxRows(reference, classes));
  got.forEach((v, k) => expect(Math.abs(v - reference[k]!)).toBeLessThanOrEqual(manifest.tolerance.maxAbsOutputError));
  return dir;
}

describe('exporter-style models: compile (batch 1), prove, verify, and agree with onnxruntime', () => {
  it('PyTorch MLP (fixed batch 2) ending in LogSoftmax: the receipt carries the log-probabilities', async () => {
    const dir = await proveAndCompare('torch_mlp_logsoftmax', 'logSoftmax');
    // the verifier recomputes the log-probabilities: the softmax probabilities in their place are refused
    const manifest = readManifest(dir);
    const receipt = await proveInference(loadArtifacts(dir), sampleRow('torch_mlp_logsoftmax').row, { nonce: '02' });
    expect(checkProvenOutput(receipt, manifest)).toBeUndefined();
    const probabilities = Array.from(softmax(receipt.output.values, receipt.output.shape, 1, false));
    expect(checkProvenOutput({ ...receipt, output: { ...receipt.output, probabilities } }, manifest)).toMatch(/^output probability 0 \(.*\) is not the log-softmax of the proven logits/);
  });

  it('PyTorch CNN (fixed batch 2) with BatchNorm, global average pooling, view(N, -1), LogSoftmax; TEE path too', async () => {
    const dir = await proveAndCompare('torch_cnn_gap_logsoftmax', 'logSoftmax');
    const tee = loadTeeArtifacts(dir);
    try {
      const { row } = sampleRow('torch_cnn_gap_logsoftmax');
      const { receipt, proof } = await inferAttested(tee, row, { provider: createDevProvider({ ephemeral: true }), prove: true, nonce: 'ab' });
      const seen = receipt.input.raw.map((v) => v / 2 ** receipt.input.scale);
      const reference = await ortRow('torch_cnn_gap_logsoftmax', seen, [2, 1, 5, 5]);
      receipt.output.probabilities!.forEach((p, k) => expect(Math.abs(p - reference[k]!)).toBeLessThan(1e-5));
      expect(await verifyReceiptAttestation(receipt, { outputTransform: tee.manifest.io.output.transform })).toMatchObject({ provider: 'dev' });
      const { receipt: proven } = await proof!;
      expect(await verifyProof(proven, loadVerifierKey(dir))).toMatchObject({ valid: true });
    } finally {
      await closeTeeArtifacts(tee);
    }
  });

  it('PyTorch MLP (fixed batch 4) with BatchNorm1d, Dropout and Softmax', async () => {
    await proveAndCompare('torch_mlp_bn_dropout_softmax', 'softmax');
  });

  it('an inference graph that keeps its Dropout node (opset 10, ratio attribute, unused mask output)', async () => {
    await proveAndCompare('onnx_dropout_opset10', 'softmax');
  });

  it('tf2onnx-style Keras CNN: NHWC input_1:0 with unk__ batch, Transposes, Reshape(-1, n), MatMul + Add, Softmax, Identity', async () => {
    await proveAndCompare('keras_cnn_nhwc', 'softmax');
  });
});
