/**
 * The tiny exporter-made fixture models in test/fixtures/models/ (scripts/make_test_models.py)
 * load in onnxruntime and reproduce the outputs recorded in expected.json, so other tests
 * can rely on expected.json as the float ground truth.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

const DIR = new URL('../fixtures/models/', import.meta.url);

interface TensorRecord {
  name: string;
  shape: Array<number | string>;
  data: number[];
  dataShape: number[];
}
interface FixtureRecord {
  file: string;
  note: string;
  inputs: TensorRecord[];
  outputs: TensorRecord[];
}

const expected: Record<string, FixtureRecord> = JSON.parse(readFileSync(new URL('expected.json', DIR), 'utf8'));

describe('fixture models (test/fixtures/models)', () => {
  it('lists the six fixtures', () => {
    expect(Object.keys(expected).sort()).toEqual(['gemm_transb_alpha', 'keras_like_mlp', 'matmul_add_reshape', 'mlp_batch4', 'mlp_softmax', 'unsupported_op'].sort());
  });

  for (const [name, rec] of Object.entries(expected)) {
    it(`${name}: onnxruntime reproduces expected.json`, async () => {
      const bytes = readFileSync(new URL(rec.file, DIR));
      expect(bytes.length).toBeLessThan(8 * 1024);
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      try {
        expect([...session.inputNames]).toEqual(rec.inputs.map((i) => i.name));
        expect([...session.outputNames]).toEqual(rec.outputs.map((o) => o.name));
        const feeds: Record<string, ort.Tensor> = {};
        for (const i of rec.inputs) feeds[i.name] = new ort.Tensor('float32', Float32Array.from(i.data), i.dataShape);
        const out = await session.run(feeds);
        for (const o of rec.outputs) {
          const t = out[o.name]!;
          expect([...t.dims]).toEqual(o.dataShape);
          const got = t.data as Float32Array;
          o.data.forEach((v, k) => expect(Math.abs(got[k]! - v)).toBeLessThanOrEqual(1e-5));
        }
      } finally {
        await session.release();
      }
    });
  }
});
