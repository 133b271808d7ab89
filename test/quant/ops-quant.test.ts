/**
 * Quantized models with residual Add, gating Mul, Concat, Pad, Transpose, Clip, LeakyRelu,
 * PRelu and ArgMax against float onnxruntime, and interval soundness through them.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { calibrate, intervalRanges } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import { measureError } from '../../src/reference/error.js';
import { quantizeInput, runReference } from '../../src/reference/execute.js';
import { oddPwl } from '../../src/quant/pwl.js';
import { buildModel, randomArray, rng, runOrt, type ModelSpec, type NodeSpec } from '../helpers/onnx-builder.js';

const r = rng(31);

/** Conv → act → residual Add → Pad → Conv → act2 → gate Mul → Transpose → Concat → Gemm [→ tail]. */
function model(act: NodeSpec[], tail: NodeSpec[] = [], outputType?: 'int64'): ModelSpec {
  return {
    input: { name: 'x', dims: [1, 2, 5, 5] },
    output: { name: tail.length ? 'y' : 'z' },
    outputType,
    nodes: [
      { op: 'Conv', inputs: ['x', 'W1', 'B1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
      ...act.map((n) => ({ ...n, inputs: ['c1', ...n.inputs], outputs: ['a1'] })),
      { op: 'Add', inputs: ['a1', 'x'], outputs: ['res'] },
      { op: 'Pad', inputs: ['res', 'pads'], outputs: ['pd'], attrs: { mode: { string: 'edge' } } },
      { op: 'Conv', inputs: ['pd', 'W2'], outputs: ['c2'] },
      { op: 'LeakyRelu', inputs: ['c2'], outputs: ['lk'], attrs: { alpha: { float: 0.05 } } },
      { op: 'Mul', inputs: ['lk', 'res'], outputs: ['gt'] },
      { op: 'Transpose', inputs: ['gt'], outputs: ['tr'], attrs: { perm: [0, 1, 3, 2] } },
      { op: 'Concat', inputs: ['tr', 'res'], outputs: ['cc'], attrs: { axis: 1 } },
      { op: 'Flatten', inputs: ['cc'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'W3', 'B3'], outputs: ['z'], attrs: { transB: 1 } },
      ...tail,
    ],
    initializers: [
      { name: 'W1', dims: [2, 2, 3, 3], values: randomArray(r, 36, -0.5, 0.5) },
      { name: 'B1', dims: [2], values: randomArray(r, 2, -0.1, 0.1) },
      { name: 'zero', dims: [], values: [0] },
      { name: 'six', dims: [], values: [1] },
      { name: 'slope', dims: [2, 1, 1], values: [0.2, -0.1] },
      { name: 'pads', dims: [8], values: [0, 0, 1, 1, 0, 0, 1, 1], type: 'int64' },
      { name: 'W2', dims: [2, 2, 3, 3], values: randomArray(r, 36, -0.5, 0.5) },
      { name: 'W3', dims: [6, 100], values: randomArray(r, 600, -0.3, 0.3) },
      { name: 'B3', dims: [6], values: randomArray(r, 6, -0.1, 0.1) },
    ],
  };
}

const RELU6: NodeSpec[] = [{ op: 'Clip', inputs: ['zero', 'six'], outputs: [] }];
const PRELU: NodeSpec[] = [{ op: 'PRelu', inputs: ['slope'], outputs: [] }];

describe('quantized residual/gated models vs float onnxruntime', () => {
  for (const [what, act] of [
    ['ReLU6', RELU6],
    ['PRelu', PRELU],
  ] as const) {
    it(`${what}: outputs within 0.05 of onnxruntime, argmax agreement ≥ 95 % on 150 random inputs`, async () => {
      const bytes = buildModel(model(act));
      const graph = optimize(importOnnx(bytes));
      const calib = Array.from({ length: 48 }, () => Float64Array.from(randomArray(r, 50)));
      const q = quantize(graph, calibrate(graph, calib));
      const test = Array.from({ length: 150 }, () => Float64Array.from(randomArray(r, 50, -0.9, 0.9)));
      const report = await measureError(q, test, (x) => runOrt(bytes, Float32Array.from(x), [1, 2, 5, 5]));
      expect(report.outOfRange).toBe(0);
      expect(report.maxAbsError).toBeLessThan(0.05);
      expect(report.argmaxAgreement).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('a final ArgMax is proven as an index: it equals onnxruntime’s on ≥ 95 % of random inputs', async () => {
    const bytes = buildModel(model(RELU6, [{ op: 'ArgMax', inputs: ['z'], outputs: ['y'], attrs: { axis: 1 } }], 'int64'));
    const graph = optimize(importOnnx(bytes));
    const q = quantize(
      graph,
      calibrate(
        graph,
        Array.from({ length: 48 }, () => Float64Array.from(randomArray(r, 50))),
      ),
    );
    expect(q.output).toMatchObject({ scale: 0, min: 0, max: 5, shape: [1, 1] });
    const session = await ort.InferenceSession.create(bytes);
    let agree = 0;
    for (let i = 0; i < 100; i++) {
      const x = randomArray(r, 50, -0.9, 0.9);
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 2, 5, 5]) });
      const expected = Number((out.y!.data as BigInt64Array)[0]);
      if (runReference(q, quantizeInput(q, x))[0] === expected) agree++;
    }
    await session.release();
    expect(agree).toBeGreaterThanOrEqual(95);
  });

  it('interval ranges are sound through Add, Mul, Pad, Transpose, Concat, Clip, PRelu and LeakyRelu', () => {
    for (const act of [RELU6, PRELU]) {
      const graph = optimize(importOnnx(buildModel(model(act))));
      const q = quantize(graph, intervalRanges(graph), { headroomBits: 0 });
      for (let i = 0; i < 100; i++) {
        const x = randomArray(r, 50).map((v) => Math.sign(v));
        expect(() => runReference(q, quantizeInput(q, x))).not.toThrow();
      }
    }
  });

  it('Sigmoid and Tanh: the piecewise-linear form is within ±0.005, the quantized model within 0.012 of onnxruntime', async () => {
    for (const fn of ['sigmoid', 'tanh'] as const) {
      const pwl = oddPwl(fn);
      expect(pwl.maxError).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(pwl.lines.length).toBe(fn === 'sigmoid' ? 5 : 7);
      const bytes = buildModel({
        input: { name: 'x', dims: [1, 8] },
        output: { name: 'y' },
        nodes: [
          { op: 'Gemm', inputs: ['x', 'W'], outputs: ['h'], attrs: { transB: 1 } },
          { op: fn === 'sigmoid' ? 'Sigmoid' : 'Tanh', inputs: ['h'], outputs: ['y'] },
        ],
        initializers: [{ name: 'W', dims: [16, 8], values: randomArray(r, 128, -1, 1) }],
      });
      const graph = optimize(importOnnx(bytes));
      const q = quantize(
        graph,
        calibrate(
          graph,
          Array.from({ length: 64 }, () => Float64Array.from(randomArray(r, 8))),
        ),
        { inputBits: 12, weightBits: 12, activationBits: 14 },
      );
      const test = Array.from({ length: 100 }, () => Float64Array.from(randomArray(r, 8, -0.9, 0.9)));
      const report = await measureError(q, test, (x) => runOrt(bytes, Float32Array.from(x), [1, 8]));
      expect(report.outOfRange).toBe(0);
      expect(report.maxAbsError, fn).toBeLessThan(0.012);
    }
  });
});
