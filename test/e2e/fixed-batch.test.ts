/**
 * Models exported by PyTorch with a FIXED batch of 10 (scripts/export_fixed_batch.py: an
 * MLP and a LeNet-style CNN with BatchNormalization, each with and without a final Softmax,
 * trained briefly on Fashion-MNIST downsampled to 8×8),
 * compiled with `batch: 1`: compile measures the quantization error against onnxruntime on
 * the original batch-10 graph, each sample row is proven and verified, and the proven argmax
 * equals onnxruntime's on the original model fed the full batch (a session made here, not
 * zkinfer's wrapper). The TEE fast path runs the original graph too.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel, type CompileResult } from '../../src/compile/compile.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { releaseCurve } from '../../src/shared/curve.js';
import type { PublicReceipt as Receipt } from '../../src/shared/receipt.js';
import { closeTeeArtifacts, inferAttested, loadTeeArtifacts } from '../../src/tee/infer.js';
import { createDevProvider } from '../../src/tee/dev/dev.js';
import { verifyReceiptAttestation } from '../../src/tee/receipt-attestation.js';
import { loadVerifierKey, verifyProof } from '../../src/verify/verify.js';
import { argmaxRows } from '../../src/reference/error.js';

const DIR = new URL('../fixtures/models/', import.meta.url);
const SIDE = 8;
const ROW = SIDE * SIDE; // 1 × 8 × 8
const CLASSES = 10;

interface Fixture {
  file: string;
  input: { name: string; shape: number[]; data: number[]; labels: number[] };
  output: { name: string; shape: number[]; data: number[] };
}
const { calibration, models: fixtures } = JSON.parse(readFileSync(new URL('fixed_batch.json', DIR), 'utf8')) as { calibration: number[][][][]; models: Record<string, Fixture> };
const path = (f: Fixture) => new URL(f.file, DIR).pathname;

/** onnxruntime on the original file, fed one full batch of 10 rows. */
async function ortFullBatch(f: Fixture, rows: readonly number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(readFileSync(path(f)), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const out = await session.run({ [f.input.name]: new ort.Tensor('float32', Float32Array.from(rows), f.input.shape) });
    return out[f.output.name]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'zkinfer-fixed-batch-'));
  // the first 64 training images (8×8), in the batch-1 shape
  writeFileSync(join(work, 'calibration.jsonl'), `${calibration.map((input) => JSON.stringify({ input })).join('\n')}\n`);
});
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await releaseCurve();
});

const compiled = new Map<string, CompileResult>();
async function compile(name: string): Promise<CompileResult> {
  let result = compiled.get(name);
  if (!result) {
    const warnings: string[] = [];
    result = await compileModel(path(fixtures[name]!), {
      outDir: join(work, name),
      batch: 1,
      calibrationPath: join(work, 'calibration.jsonl'),
      onWarning: (w) => warnings.push(w),
    });
    expect(warnings).toEqual([`${path(fixtures[name]!)}: batch dimension 10 replaced by 1`]);
    compiled.set(name, result);
  }
  return result;
}

describe('fixed-batch (10) PyTorch exports compiled with batch 1', () => {
  for (const name of ['fixed_mlp_b10', 'fixed_mlp_softmax_b10', 'fixed_cnn_b10', 'fixed_cnn_softmax_b10']) {
    it(`${name}: compiles, proves and verifies every sample row; the proven argmax is onnxruntime's on the full batch`, async () => {
      const f = fixtures[name]!;
      const softmax = name.includes('softmax');
      const { manifest, dir } = await compile(name);
      expect(manifest.io.input.shape).toEqual([1, 1, SIDE, SIDE]);
      expect(manifest.io.output.shape).toEqual([1, CLASSES]);
      expect(manifest.compileOptions.batch).toBe(1);
      // the error was measured against onnxruntime on every calibration input
      expect(manifest.quantization.error).toMatchObject({ inputs: 64, outOfRange: 0 });
      expect((manifest.quantization.error as { argmaxAgreement: number }).argmaxAgreement).toBeGreaterThanOrEqual(0.9);

      const artifacts = loadArtifacts(dir);
      const key = loadVerifierKey(dir);
      const receipts: Receipt[] = [];
      for (let row = 0; row < 10; row++) {
        const receipt = await proveInference(artifacts, f.input.data.slice(row * ROW, (row + 1) * ROW), { nonce: `0${row}` });
        expect(await verifyProof(receipt, key)).toMatchObject({ valid: true });
        receipts.push(receipt);
      }
      // onnxruntime on the original batch-10 graph, fed the ten inputs the receipts hold
      const seen = receipts.flatMap((r) => r.input.raw.map((v) => v / 2 ** r.input.scale));
      const reference = await ortFullBatch(f, seen);
      expect(receipts.map((r) => argmaxRows(r.output.values, CLASSES)[0])).toEqual(argmaxRows(reference, CLASSES));
      // and the outputs themselves agree within the manifest's tolerance
      const tolerance = manifest.tolerance.maxAbsOutputError;
      receipts.forEach((r, row) => {
        const got = softmax ? r.output.probabilities! : r.output.values;
        got.forEach((v, k) => expect(Math.abs(v - reference[row * CLASSES + k]!)).toBeLessThanOrEqual(tolerance));
      });
      // torch's recorded output for the sample batch is what onnxruntime computes from it
      const torch = await ortFullBatch(f, f.input.data);
      f.output.data.forEach((v, k) => expect(Math.abs(torch[k]! - v)).toBeLessThanOrEqual(1e-5));
    });
  }

  it('the TEE fast path runs the original batch-10 graph for one input (Softmax model)', async () => {
    const f = fixtures.fixed_cnn_softmax_b10!;
    const { dir } = await compile('fixed_cnn_softmax_b10');
    const tee = loadTeeArtifacts(dir);
    try {
      const row = 3;
      const x = f.input.data.slice(row * ROW, (row + 1) * ROW);
      const { receipt, proof } = await inferAttested(tee, x, { provider: createDevProvider({ ephemeral: true }), prove: true, nonce: 'ab' });
      // onnxruntime on the full batch: rows 0..9 of the sample with row 3 replaced by what the TEE saw
      const seen = receipt.input.raw.map((v) => v / 2 ** receipt.input.scale);
      const batch = [...f.input.data];
      batch.splice(row * ROW, ROW, ...seen);
      const reference = Array.from(await ortFullBatch(f, batch)).slice(row * CLASSES, (row + 1) * CLASSES);
      expect(receipt.output.probabilities).toHaveLength(CLASSES);
      receipt.output.probabilities!.forEach((p, k) => expect(Math.abs(p - reference[k]!)).toBeLessThan(1e-6));
      expect(receipt.output.values).toHaveLength(CLASSES); // the logits, which the circuit proves
      expect(await verifyReceiptAttestation(receipt, { outputTransform: tee.manifest.io.output.transform })).toMatchObject({ provider: 'dev' });
      const { receipt: proven } = await proof!;
      expect(await verifyProof(proven, loadVerifierKey(dir))).toMatchObject({ valid: true });
      expect(argmaxRows(proven.output.values, CLASSES)).toEqual(argmaxRows(reference, CLASSES));
    } finally {
      await closeTeeArtifacts(tee);
    }
  });
});
