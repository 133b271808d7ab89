/**
 * Quantized convolutional models against float onnxruntime, interval soundness through
 * Conv and pooling, and how pooling is quantized: max pooling on the accumulator (fewer
 * rescales), average pooling as a sum whose divisor is folded into the scale.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { calibrate, intervalRanges } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import { measureError } from '../../src/reference/error.js';
import { quantizeInput, runReference } from '../../src/reference/execute.js';
import type { QSumPool } from '../../src/quant/model.js';
import { buildModel, randomArray, rng, runOrt, type NodeSpec } from '../helpers/onnx-builder.js';

/** Conv(3×3, pad 1) → ReLU → MaxPool(2) → Conv(3×3) → ReLU → `pool` → Flatten → Gemm → Softmax on [1, 1, 14, 14]. */
function cnn(seed: number, pool: NodeSpec, pooledSize: number) {
  const r = rng(seed);
  const bytes = buildModel({
    input: { name: 'x', dims: [1, 1, 14, 14] },
    output: { name: 'p' },
    nodes: [
      { op: 'Conv', inputs: ['x', 'W1', 'B1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Conv', inputs: ['p1', 'W2', 'B2'], outputs: ['c2'] },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { ...pool, inputs: ['r2'], outputs: ['q2'] },
      { op: 'Flatten', inputs: ['q2'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'W3', 'B3'], outputs: ['z'], attrs: { transB: 1 } },
      { op: 'Softmax', inputs: ['z'], outputs: ['p'] },
    ],
    initializers: [
      { name: 'W1', dims: [4, 1, 3, 3], values: randomArray(r, 36, -0.6, 0.6) },
      { name: 'B1', dims: [4], values: randomArray(r, 4, -0.1, 0.1) },
      { name: 'W2', dims: [6, 4, 3, 3], values: randomArray(r, 216, -0.3, 0.3) },
      { name: 'B2', dims: [6], values: randomArray(r, 6, -0.1, 0.1) },
      { name: 'W3', dims: [5, 6 * pooledSize], values: randomArray(r, 30 * pooledSize, -0.8, 0.8) },
      { name: 'B3', dims: [5], values: randomArray(r, 5, -0.1, 0.1) },
    ],
  });
  return { bytes, graph: optimize(importOnnx(bytes)) };
}

const AVG_3X3: NodeSpec = { op: 'AveragePool', inputs: [], outputs: [], attrs: { kernel_shape: [3, 3], strides: [2, 2] } };
const AVG_2X2: NodeSpec = { op: 'AveragePool', inputs: [], outputs: [], attrs: { kernel_shape: [2, 2], strides: [2, 2] } };
const GLOBAL: NodeSpec = { op: 'GlobalAveragePool', inputs: [], outputs: [] };
const MAX_2X2: NodeSpec = { op: 'MaxPool', inputs: [], outputs: [], attrs: { kernel_shape: [2, 2], strides: [2, 2] } };

describe('quantized CNNs vs float onnxruntime', () => {
  for (const [what, pool, size] of [
    ['max pooling', MAX_2X2, 4],
    ['3×3 average pooling', AVG_3X3, 4],
    ['global average pooling', GLOBAL, 1],
  ] as const) {
    it(`${what}: softmax outputs within 0.03, argmax agreement ≥ 97 % on 150 random inputs`, async () => {
      const { bytes, graph } = cnn(1, pool, size);
      const r = rng(2);
      const calib = Array.from({ length: 48 }, () => Float64Array.from(randomArray(r, 196)));
      const model = quantize(graph, calibrate(graph, calib));
      const test = Array.from({ length: 150 }, () => Float64Array.from(randomArray(r, 196, -0.9, 0.9)));
      const report = await measureError(model, test, (x) => runOrt(bytes, Float32Array.from(x), [1, 1, 14, 14]));
      expect(report.outOfRange).toBe(0);
      expect(report.maxAbsError).toBeLessThan(0.03);
      expect(report.argmaxAgreement).toBeGreaterThanOrEqual(0.97);
    });
  }

  it('interval ranges are sound through Conv, max and average pooling: no corner of [−1, 1]^n leaves a range', () => {
    for (const [pool, size] of [
      [MAX_2X2, 4],
      [AVG_3X3, 4],
    ] as const) {
      const { graph } = cnn(5, pool, size);
      const model = quantize(graph, intervalRanges(graph), { headroomBits: 0 });
      const r = rng(6);
      for (let i = 0; i < 100; i++) {
        const x = randomArray(r, 196).map((v) => Math.sign(v));
        expect(() => runReference(model, quantizeInput(model, x))).not.toThrow();
      }
    }
  });
});

describe('how pooling is quantized', () => {
  it('max pooling runs on the Conv accumulator, so only pooled values are rescaled', () => {
    const { graph } = cnn(1, MAX_2X2, 4);
    const model = quantize(graph, intervalRanges(graph));
    expect(model.nodes.map((n) => n.kind)).toEqual(['conv', 'maxPool', 'rescale', 'conv', 'maxPool', 'rescale', 'reshape', 'linear']);
    const rescales = model.nodes.filter((n) => n.kind === 'rescale').map((n) => model.values[n.output]!.shape);
    expect(rescales).toEqual([
      [1, 4, 7, 7],
      [1, 6, 2, 2],
    ]);
    const pool = model.nodes[1]!;
    expect(pool.kind === 'maxPool' && model.values[pool.input]!.scale).toBe(model.values[pool.output]!.scale);
  });

  it('a 2×2 average is an exact sum at scale + 2; a 3×3 average multiplies by round(2^m / 9)', () => {
    const two = quantize(cnn(1, AVG_2X2, 4).graph, intervalRanges(cnn(1, AVG_2X2, 4).graph));
    const sum2 = two.nodes.find((n) => n.kind === 'sumPool') as QSumPool;
    expect(sum2.multiplier).toEqual([]);
    expect(sum2.multiplierScale).toBe(2);
    expect(two.values[sum2.output]!.scale).toBe(two.values[sum2.input]!.scale + 2);

    const three = quantize(cnn(1, AVG_3X3, 4).graph, intervalRanges(cnn(1, AVG_3X3, 4).graph), { weightBits: 10 });
    const sum3 = three.nodes.find((n) => n.kind === 'sumPool') as QSumPool;
    expect(sum3.multiplierScale).toBe(9 + 4);
    expect(sum3.multiplier).toEqual(new Array(4).fill(Math.round(2 ** 13 / 9)));
    expect(three.nodes[three.nodes.indexOf(sum3) + 2]!.kind).toBe('rescale');
  });
});
