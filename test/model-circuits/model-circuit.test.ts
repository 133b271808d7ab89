/**
 * Whole models: the circuit's witness equals the reference executor exactly, every honest
 * witness satisfies the constraints, forged outputs are rejected, and the constraint count
 * is exactly what the gadget costs predict.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { calibrate, intervalRanges } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import type { QModel } from '../../src/quant/model.js';
import { emitCircuit } from '../../src/circuit/emit.js';
import { sizeOf } from '../../src/ir/graph.js';
import { removeTestCircuits } from '../helpers/circuit.js';
import { checkModelCircuit } from './check-model.js';
import { expectedConstraintsO1 } from './cost.js';
import { buildModel, randomArray, rng } from '../helpers/onnx-builder.js';

afterAll(removeTestCircuits);

/**
 * Constraints a model circuit costs under O1 (MODEL_OPTIMIZATION): per rescaled element,
 * its shift + bits booleanity constraints, the linear constraint binding the gadget input
 * to its linear combination, the bit-sum constraint, and the ReLU product or the signed
 * output's linear constraint; plus one linear constraint per public output and the
 * context's square.
 */
function expectedConstraints(model: QModel): number {
  let n = sizeOf(model.output.shape) + 1;
  for (const node of model.nodes) {
    if (node.kind !== 'rescale') continue;
    const count = sizeOf(model.values[node.output]!.shape);
    n += count * (node.shift + node.bits + 3);
  }
  return n;
}

function smallMlp(seed: number): Uint8Array {
  const r = rng(seed);
  return buildModel({
    input: { name: 'x', dims: [1, 6] },
    output: { name: 'y' },
    nodes: [
      { op: 'Gemm', inputs: ['x', 'W1', 'b1'], outputs: ['h'], attrs: { transB: 1 } },
      { op: 'Relu', inputs: ['h'], outputs: ['a'] },
      { op: 'MatMul', inputs: ['a', 'W2'], outputs: ['z'] },
      { op: 'Add', inputs: ['z', 'b2'], outputs: ['z2'] },
      { op: 'MatMul', inputs: ['z2', 'W3'], outputs: ['y'] },
    ],
    initializers: [
      { name: 'W1', dims: [5, 6], values: randomArray(r, 30) },
      { name: 'b1', dims: [5], values: randomArray(r, 5, -0.2, 0.2) },
      { name: 'W2', dims: [5, 4], values: randomArray(r, 20) },
      { name: 'b2', dims: [4], values: randomArray(r, 4, -0.2, 0.2) },
      { name: 'W3', dims: [4, 3], values: randomArray(r, 12) },
    ],
  });
}

async function checkModel(model: QModel, inputs: number[][]) {
  expect(expectedConstraints(model)).toBe(expectedConstraintsO1(model));
  return checkModelCircuit(model, inputs);
}

describe('whole-model circuits equal the reference executor', () => {
  it('an MLP with ReLU, a linear-to-linear rescale and a bias-free output layer', async () => {
    const graph = optimize(importOnnx(smallMlp(4)));
    const model = quantize(graph, intervalRanges(graph), { inputBits: 8, weightBits: 6, activationBits: 8 });
    expect(model.nodes.filter((n) => n.kind === 'rescale').map((n) => (n.kind === 'rescale' ? n.relu : null))).toEqual([true, false]);
    const r = rng(5);
    await checkModel(
      model,
      Array.from({ length: 12 }, () => randomArray(r, 6)),
    );
  });

  it('the torch MLP exported with batch 4, compiled for batch 1', async () => {
    const bytes = readFileSync('test/fixtures/models/mlp_batch4.onnx');
    const graph = optimize(importOnnx(bytes, { batch: 1 }));
    const r = rng(6);
    const calib = Array.from({ length: 32 }, () => Float64Array.from(randomArray(r, 12)));
    const model = quantize(graph, calibrate(graph, calib), { inputBits: 8, weightBits: 8, activationBits: 10 });
    await checkModel(
      model,
      Array.from({ length: 8 }, () => randomArray(r, 12, -0.8, 0.8)),
    );
  });

  it('keeps ONNX names inside their comments: a name with a line break cannot add code to the circuit', async () => {
    const inject = '\n    signal injected;\n    injected <== 0;\n//';
    const r = rng(5);
    const bytes = buildModel({
      input: { name: `x${inject}`, dims: [1, 3] },
      output: { name: 'y' },
      nodes: [
        { op: 'MatMul', inputs: [`x${inject}`, 'W'], outputs: ['h'], name: `fc${inject}` },
        { op: 'Relu', inputs: ['h'], outputs: ['y'], name: `relu\r\u2028${inject}` },
      ],
      initializers: [{ name: 'W', dims: [3, 2], values: randomArray(r, 6) }],
    });
    const graph = optimize(importOnnx(bytes));
    const model = quantize(graph, intervalRanges(graph));
    const { source } = emitCircuit(model);
    expect(source).not.toMatch(/^\s*(signal injected|injected <==)/m);
    expect(source).toContain('// input: x\\u000a    signal injected;\\u000a    injected <== 0;\\u000a// [1, 3]');
    expect(source).toContain('from node 0 "fc\\u000a    signal injected;');
    expect(source).toContain('from node 1 "relu\\u000d\\u2028\\u000a');
    await checkModelCircuit(model, [[0.5, -0.25, 0.75]]);
  });

  it('emits the same source for the same model (deterministic)', () => {
    const graph = optimize(importOnnx(smallMlp(4)));
    const a = emitCircuit(quantize(graph, intervalRanges(graph))).source;
    const b = emitCircuit(quantize(optimize(importOnnx(smallMlp(4))), intervalRanges(graph))).source;
    expect(a).toBe(b);
  });
});
