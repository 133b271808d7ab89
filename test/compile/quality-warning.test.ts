/**
 * compile measures the quantized model against onnxruntime; when the two disagree badly it
 * says so on the warning channel instead of only printing the figures. The bad case is a
 * realistic one: a logistic regression on raw tabular features (a StandardScaler folded in
 * as Sub + Mul) whose features differ by four orders of magnitude — the input's single
 * scale rounds the small features away, and the proven output is nearly constant.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile/compile.js';
import { buildModel, rng } from '../helpers/onnx-builder.js';
import { debianData, skipWithout, titled } from '../helpers/system-deps.js';
import { NODE_TESTS_DIR } from '../conformance/backend.js';

const testData = debianData('libonnx-testdata', NODE_TESTS_DIR);
const skip = skipWithout(testData);

const work = mkdtempSync(join(tmpdir(), 'zkinfer-quality-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Feature means and spreads: two large features, two small ones. */
const MEANS = [650, 0.1, 20, 0.05];
const SPREADS = [300, 0.02, 5, 0.01];

function logisticModel(means: number[], spreads: number[]): string {
  const path = join(work, `logreg-${means[0]}.onnx`);
  const bytes = buildModel({
    input: { name: 'input', dims: [1, 4] },
    output: { name: 'output', dims: [1, 1] },
    nodes: [
      { op: 'Sub', inputs: ['input', 'mean'], outputs: ['centered'] },
      { op: 'Mul', inputs: ['centered', 'inv_scale'], outputs: ['scaled'] },
      { op: 'MatMul', inputs: ['scaled', 'coef'], outputs: ['z'] },
      { op: 'Add', inputs: ['z', 'intercept'], outputs: ['logit'] },
      { op: 'Sigmoid', inputs: ['logit'], outputs: ['output'] },
    ],
    initializers: [
      { name: 'mean', dims: [4], values: means },
      { name: 'inv_scale', dims: [4], values: spreads.map((s) => 1 / s) },
      { name: 'coef', dims: [4, 1], values: [0.4, -2.5, 0.3, 2] },
      { name: 'intercept', dims: [1], values: [0.1] },
    ],
  });
  writeFileSync(path, bytes);
  return path;
}

function calibration(name: string, means: number[], spreads: number[]): string {
  const r = rng(7);
  const lines = Array.from({ length: 32 }, () => JSON.stringify({ input: [means.map((m, i) => m + spreads[i]! * (2 * r() - 1) * 2)] }));
  const path = join(work, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function warningsOf(model: string, calibrationPath: string): Promise<string[]> {
  const warnings: string[] = [];
  await compileModel(model, { outDir: join(work, `out-${warnings.length}-${Math.random().toString(36).slice(2)}`), calibrationPath, skipSetup: true, onWarning: (w) => warnings.push(w) });
  return warnings;
}

describe('compile warns when the quantized model is far from onnxruntime', () => {
  it('raw features of very different magnitudes: one warning line with the measured error and what to do', async () => {
    const warnings = await warningsOf(logisticModel(MEANS, SPREADS), calibration('raw.jsonl', MEANS, SPREADS));
    const quality = warnings.filter((w) => w.startsWith('quantization error'));
    expect(quality).toHaveLength(1);
    expect(quality[0]).toMatch(/^quantization error: the quantized model's outputs differ from onnxruntime's by up to \d\.\d+ \(\d+ % of their largest magnitude\) on 32 inputs; /);
    expect(quality[0]).toContain('--input-bits');
    expect(quality[0]).not.toContain('\n');
  }, 120_000);

  it('the same model on features of like magnitudes: no warning', async () => {
    const means = [0.5, -0.2, 0.1, 0.3];
    const spreads = [0.3, 0.2, 0.25, 0.2];
    const warnings = await warningsOf(logisticModel(means, spreads), calibration('scaled.jsonl', means, spreads));
    expect(warnings).toEqual([]);
  }, 120_000);
  it.skipIf(skip)(
    titled('a final ArgMax (indices) is not measured by magnitude: the ONNX ArgMax case whose random inputs break ties differently gives no warning', testData, skip),
    async () => {
      const model = join(NODE_TESTS_DIR, 'test_argmax_keepdims_random', 'model.onnx');
      const warnings: string[] = [];
      await compileModel(model, { outDir: join(work, 'argmax'), skipSetup: true, onWarning: (w) => warnings.push(w) });
      expect(warnings.filter((w) => w.startsWith('quantization error'))).toEqual([]);
    },
    120_000,
  );
});
