/**
 * The constraint cost each operator module states (src/circuit/cost.ts over the registry)
 * equals the independent prediction of test/model-circuits/cost.ts — which the compiled circuits
 * are checked against — on every quantized model of the ONNX backend node tests and on the
 * example model.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { predictConstraints } from '../../src/circuit/cost.js';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { intervalRanges } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import { expectedConstraintsO1 } from '../model-circuits/cost.js';
import { debianData, skipWithout, titled } from '../helpers/system-deps.js';
import { NODE_TESTS_DIR, runConformance } from '../conformance/backend.js';

const testData = debianData('libonnx-testdata', NODE_TESTS_DIR);
const skip = skipWithout(testData);

describe('operator modules: constraint costs', () => {
  it('the LeNet example: the modules predict what test/model-circuits/cost.ts predicts', () => {
    const graph = optimize(importOnnx(readFileSync(new URL('../../examples/lenet/model.onnx', import.meta.url))));
    const model = quantize(graph, intervalRanges(graph));
    expect(predictConstraints(model)).toBe(expectedConstraintsO1(model));
  });

  it.skipIf(skip)(titled('every quantized backend node test model', testData, skip), () => {
    let checked = 0;
    for (const results of runConformance().values()) {
      for (const r of results) {
        if (!r.model) continue;
        expect(predictConstraints(r.model), r.name).toBe(expectedConstraintsO1(r.model));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });
});
