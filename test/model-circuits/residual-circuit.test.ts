/**
 * Models with the ops of residual and gated networks: the circuit's witness equals the
 * reference executor exactly, forged outputs are rejected and the O1 constraint count is
 * exactly what the gadget costs predict. Covers Add/Sub/Mul of computed tensors with
 * broadcasting, Concat with a constant part, Transpose, Pad, Clip (ReLU6 and two-sided),
 * LeakyRelu, PRelu and a final ArgMax.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { calibrate } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import { removeTestCircuits } from '../helpers/circuit.js';
import { checkModelCircuit } from './check-model.js';
import { buildModel, randomArray, rng, type ModelSpec } from '../helpers/onnx-builder.js';

afterAll(removeTestCircuits);

const checkModel = checkModelCircuit;

function compile(spec: ModelSpec, seed: number, size: number, quant = { inputBits: 8, weightBits: 7, activationBits: 9 }) {
  const graph = optimize(importOnnx(buildModel(spec)));
  const r = rng(seed);
  const calib = Array.from({ length: 24 }, () => Float64Array.from(randomArray(r, size)));
  return { model: quantize(graph, calibrate(graph, calib), quant), inputs: Array.from({ length: 5 }, () => randomArray(r, size, -0.9, 0.9)) };
}

describe('circuits with residual connections, gates and moves equal the reference executor', () => {
  it('Conv → ReLU6 → residual Add → Pad → Conv → LeakyRelu → gate Mul → Transpose → Concat → Gemm → ArgMax', async () => {
    const r = rng(8);
    const { model, inputs } = compile(
      {
        input: { name: 'x', dims: [1, 2, 4, 4] },
        output: { name: 'y' },
        outputType: 'int64',
        nodes: [
          { op: 'Conv', inputs: ['x', 'W1', 'B1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
          { op: 'Clip', inputs: ['c1', 'zero', 'six'], outputs: ['r6'] },
          { op: 'Add', inputs: ['r6', 'x'], outputs: ['res'] },
          { op: 'Pad', inputs: ['res', 'pads'], outputs: ['pd'], attrs: { mode: { string: 'reflect' } } },
          { op: 'Conv', inputs: ['pd', 'W2'], outputs: ['c2'] },
          { op: 'LeakyRelu', inputs: ['c2'], outputs: ['lk'], attrs: { alpha: { float: 0.1 } } },
          { op: 'Sub', inputs: ['lk', 'res'], outputs: ['df'] },
          { op: 'Mul', inputs: ['df', 'r6'], outputs: ['gt'] },
          { op: 'Transpose', inputs: ['gt'], outputs: ['tr'], attrs: { perm: [0, 1, 3, 2] } },
          { op: 'Concat', inputs: ['tr', 'k'], outputs: ['cc'], attrs: { axis: 1 } },
          { op: 'Flatten', inputs: ['cc'], outputs: ['f'] },
          { op: 'Gemm', inputs: ['f', 'W3'], outputs: ['z'], attrs: { transB: 1 } },
          { op: 'ArgMax', inputs: ['z'], outputs: ['y'], attrs: { axis: 1 } },
        ],
        initializers: [
          { name: 'W1', dims: [2, 2, 3, 3], values: randomArray(r, 36) },
          { name: 'B1', dims: [2], values: randomArray(r, 2, -0.2, 0.2) },
          { name: 'zero', dims: [], values: [0] },
          { name: 'six', dims: [], values: [1.5] },
          { name: 'pads', dims: [8], values: [0, 0, 1, 1, 0, 0, 1, 1], type: 'int64' },
          { name: 'W2', dims: [2, 2, 3, 3], values: randomArray(r, 36, -0.5, 0.5) },
          { name: 'k', dims: [1, 1, 4, 4], values: randomArray(r, 16) },
          { name: 'W3', dims: [5, 48], values: randomArray(r, 240) },
        ],
      },
      9,
      32,
    );
    expect(model.nodes.map((n) => n.kind)).toEqual([
      'conv',
      'rescale',
      'clamp',
      'add',
      'pad',
      'conv',
      'leakyRelu',
      'add',
      'rescale',
      'mul',
      'transpose',
      'concat',
      'reshape',
      'rescale',
      'linear',
      'argMax',
    ]);
    const emitted = await checkModel(model, inputs);
    expect(Object.keys(emitted.gadgets).sort()).toEqual(['ArgMax', 'Max2', 'Product', 'RescaleLeakyRelu', 'RescaleRelu', 'RescaleSigned']);
  });

  it('two-sided Clip, PRelu with per-channel slopes, broadcast Add of a [C, 1, 1] computed tensor, ArgMax with select_last_index', async () => {
    const r = rng(10);
    const { model, inputs } = compile(
      {
        input: { name: 'x', dims: [1, 3, 2, 2] },
        output: { name: 'y' },
        outputType: 'int64',
        nodes: [
          { op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['c'] },
          { op: 'PRelu', inputs: ['c', 'slope'], outputs: ['p'] },
          { op: 'GlobalMaxPool', inputs: ['p'], outputs: ['g'] },
          { op: 'Add', inputs: ['p', 'g'], outputs: ['s'] },
          { op: 'Flatten', inputs: ['s'], outputs: ['f'] },
          { op: 'ArgMax', inputs: ['f'], outputs: ['y'], attrs: { axis: 1, select_last_index: 1 } },
        ],
        initializers: [
          { name: 'lo', dims: [], values: [-0.5] },
          { name: 'hi', dims: [], values: [0.6] },
          { name: 'slope', dims: [3, 1, 1], values: [0.25, -0.5, 0.3] },
        ],
      },
      11,
      12,
    );
    expect(model.nodes.map((n) => n.kind)).toEqual(['clamp', 'leakyRelu', 'maxPool', 'add', 'reshape', 'argMax']);
    await checkModel(model, inputs);
    void r;
  });

  it('piecewise-linear Sigmoid (a gate) and Tanh (the output)', async () => {
    const r = rng(12);
    const { model, inputs } = compile(
      {
        input: { name: 'x', dims: [1, 6] },
        output: { name: 'y' },
        nodes: [
          { op: 'Gemm', inputs: ['x', 'W1'], outputs: ['h'], attrs: { transB: 1 } },
          { op: 'Sigmoid', inputs: ['h'], outputs: ['s'] },
          { op: 'Mul', inputs: ['s', 'x'], outputs: ['g'] },
          { op: 'Gemm', inputs: ['g', 'W2'], outputs: ['z'], attrs: { transB: 1 } },
          { op: 'Tanh', inputs: ['z'], outputs: ['y'] },
        ],
        initializers: [
          { name: 'W1', dims: [6, 6], values: randomArray(r, 36, -2, 2) },
          { name: 'W2', dims: [3, 6], values: randomArray(r, 18, -2, 2) },
        ],
      },
      13,
      6,
    );
    expect(model.nodes.map((n) => n.kind)).toEqual(['linear', 'squash', 'rescale', 'mul', 'rescale', 'linear', 'squash']);
    const emitted = await checkModel(model, inputs);
    expect(emitted.gadgets.RescaleAbs).toBe(9);
  });
});
