/**
 * Convolutional models: the circuit's witness equals the reference executor exactly, every
 * honest witness satisfies the constraints, forged outputs are rejected, and the constraint
 * count under O1 (the level model circuits are compiled with) is exactly what the gadget
 * costs predict (max pooling before the rescale included).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { calibrate } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import { removeTestCircuits } from '../helpers/circuit.js';
import { checkModelCircuit } from './check-model.js';
import { buildModel, randomArray, rng } from '../helpers/onnx-builder.js';

afterAll(removeTestCircuits);

/** Conv(pad 1, 2 groups) → ReLU → MaxPool(3, stride 2, pad 1) → BatchNorm → Conv(stride 2) → AvgPool(3, pad 1) → Gemm. */
function smallCnn(seed: number): Uint8Array {
  const r = rng(seed);
  return buildModel({
    input: { name: 'x', dims: [1, 2, 8, 8] },
    output: { name: 'y' },
    nodes: [
      { op: 'Conv', inputs: ['x', 'W1', 'B1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1], group: 2 } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
      { op: 'BatchNormalization', inputs: ['p1', 's', 'bb', 'mean', 'var'], outputs: ['n1'] },
      { op: 'Conv', inputs: ['n1', 'W2'], outputs: ['c2'], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'AveragePool', inputs: ['r2'], outputs: ['a2'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Flatten', inputs: ['a2'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'W3', 'B3'], outputs: ['y'], attrs: { transB: 1 } },
    ],
    initializers: [
      { name: 'W1', dims: [4, 1, 3, 3], values: randomArray(r, 36) },
      { name: 'B1', dims: [4], values: randomArray(r, 4, -0.2, 0.2) },
      { name: 's', dims: [4], values: randomArray(r, 4, 0.5, 1.5) },
      { name: 'bb', dims: [4], values: randomArray(r, 4, -0.2, 0.2) },
      { name: 'mean', dims: [4], values: randomArray(r, 4, 0, 0.5) },
      { name: 'var', dims: [4], values: randomArray(r, 4, 0.5, 1.5) },
      { name: 'W2', dims: [3, 4, 3, 3], values: randomArray(r, 108, -0.5, 0.5) },
      { name: 'W3', dims: [3, 12], values: randomArray(r, 36) },
      { name: 'B3', dims: [3], values: randomArray(r, 3, -0.2, 0.2) },
    ],
  });
}

const checkModel = checkModelCircuit;

describe('convolutional circuits equal the reference executor', () => {
  it('grouped conv, max pooling before the ReLU rescale, unfolded BatchNorm, strided conv, average pooling, Gemm', async () => {
    const graph = optimize(importOnnx(smallCnn(3)));
    expect(graph.nodes.map((n) => n.kind)).toEqual(['conv', 'maxPool', 'relu', 'mulConst', 'addConst', 'conv', 'relu', 'avgPool', 'reshape', 'linear']);
    const r = rng(4);
    const calib = Array.from({ length: 24 }, () => Float64Array.from(randomArray(r, 128)));
    const model = quantize(graph, calibrate(graph, calib), { inputBits: 8, weightBits: 7, activationBits: 9 });
    const kinds = model.nodes.map((n) => n.kind);
    expect(kinds).toEqual(['conv', 'maxPool', 'rescale', 'mulConst', 'addConst', 'rescale', 'conv', 'rescale', 'sumPool', 'reshape', 'linear']);
    const emitted = await checkModel(
      model,
      Array.from({ length: 6 }, () => randomArray(r, 128, -0.9, 0.9)),
    );
    // Only the pooled values (4 × 4 × 4) are rescaled after the first conv, not the 4 × 8 × 8 conv outputs.
    expect(emitted.gadgets).toEqual({ MaxOf: 64, RescaleRelu: 64 + 12, RescaleSigned: 64 });
  });

  it('1-D and 3-D convolutions with strides, dilations and asymmetric pads (the loop template for other ranks)', async () => {
    const cases: [number[], number[], Record<string, number[]>][] = [
      [[1, 2, 9], [3, 2, 3], { strides: [2], dilations: [2], pads: [2, 1] }],
      [[1, 1, 4, 3, 4], [2, 1, 2, 2, 3], { pads: [1, 0, 1, 0, 1, 0], strides: [1, 2, 1] }],
    ];
    for (const [dims, weight, attrs] of cases) {
      const r = rng(6);
      const n = dims.reduce((a, b) => a * b, 1);
      const bytes = buildModel({
        input: { name: 'x', dims },
        output: { name: 'y' },
        nodes: [{ op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['y'], attrs }],
        initializers: [
          {
            name: 'W',
            dims: weight,
            values: randomArray(
              r,
              weight.reduce((a, b) => a * b, 1),
            ),
          },
          { name: 'B', dims: [weight[0]!], values: randomArray(r, weight[0]!) },
        ],
      });
      const graph = optimize(importOnnx(bytes));
      const model = quantize(
        graph,
        calibrate(
          graph,
          Array.from({ length: 8 }, () => Float64Array.from(randomArray(r, n))),
        ),
        { inputBits: 8, weightBits: 7, activationBits: 9 },
      );
      await checkModel(
        model,
        Array.from({ length: 3 }, () => randomArray(r, n, -0.9, 0.9)),
      );
    }
  });
});
