/**
 * An int8 QDQ model end to end (test/fixtures/models/qdq_tiny_cnn.onnx): compile with a local
 * setup, prove, verify, and the TEE path. The input QuantizeLinear is applied outside the
 * circuit, so the manifest declares it and the receipt's input integers are int8 values; the
 * TEE path hands onnxruntime their dequantized floats, which quantize back to the same integers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile/compile.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { closeTeeArtifacts, inferAttested, loadTeeArtifacts } from '../../src/tee/infer.js';
import { createDevProvider } from '../../src/tee/dev/dev.js';
import { verifyReceiptAttestation } from '../../src/tee/receipt-attestation.js';
import { loadVerifierKey, verifyProof } from '../../src/verify/verify.js';
import { OrtModel } from '../../src/onnx/runtime.js';
import { rng } from '../helpers/onnx-builder.js';

const work = mkdtempSync(join(tmpdir(), 'zkinfer-qdq-e2e-'));
afterAll(async () => {
  await releaseCurve();
  rmSync(work, { recursive: true, force: true });
});

const FIXTURE = 'test/fixtures/models/qdq_tiny_cnn.onnx';
const argmax = (y: ArrayLike<number>) => Array.prototype.indexOf.call(y, Math.max(...Array.from(y)));

describe('int8 QDQ CNN: compile, prove, verify, TEE path', () => {
  it('proves the int8 inference; the receipt verifies; its argmax is onnxruntime’s; the TEE receipt agrees', async () => {
    const r = rng(77);
    const x = Array.from({ length: 64 }, () => r());
    const dir = join(work, 'qdq');
    const { manifest } = await compileModel(FIXTURE, { outDir: dir, onWarning: () => {} });
    expect(manifest.io.input).toMatchObject({ scale: 0, bits: 8, quantization: { zeroPoint: [0], min: -128, max: 127 } });
    const scale = manifest.io.input.quantization!.scale[0]!;
    const receipt = await proveInference(loadArtifacts(dir), x, { nonce: '0a' });
    expect(await verifyProof(receipt, loadVerifierKey(dir))).toMatchObject({ valid: true });
    // The public input integers are the model's own QuantizeLinear of x.
    receipt.input.raw.forEach((v, i) => expect(v).toBe(Math.min(127, Math.max(-128, Math.round(Math.fround(x[i]! / scale))))));
    const ort = await OrtModel.load(readFileSync(FIXTURE));
    const expected = await ort.run(Float64Array.from(x), [1, 1, 8, 8]);
    await ort.close();
    expect(argmax(receipt.output.probabilities!)).toBe(argmax(expected));

    const tee = loadTeeArtifacts(dir);
    try {
      const { receipt: attested } = await inferAttested(tee, x, { provider: createDevProvider({ ephemeral: true }), nonce: 'ab' });
      expect(attested.input.raw).toEqual(receipt.input.raw);
      attested.output.probabilities!.forEach((p, k) => expect(Math.abs(p - expected[k]!)).toBeLessThan(1e-5));
      expect(await verifyReceiptAttestation(attested, { outputTransform: tee.manifest.io.output.transform })).toMatchObject({ provider: 'dev' });
    } finally {
      await closeTeeArtifacts(tee);
    }
  }, 600_000);
});
