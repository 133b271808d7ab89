import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { calibrate, intervalRanges } from '../../src/quant/calibrate.js';
import { quantize, scaleFor, signedBits } from '../../src/quant/quantize.js';
import { measureError } from '../../src/reference/error.js';
import { dequantize, quantizeInput, rescaleValue, runReference } from '../../src/reference/execute.js';
import { buildModel, randomArray, rng, runOrt } from '../helpers/onnx-builder.js';

/** A random 16-12-8-4 MLP with ReLUs and a final Softmax. */
function randomMlp(seed: number) {
  const r = rng(seed);
  const bytes = buildModel({
    input: { name: 'x', dims: [1, 16] },
    output: { name: 'p' },
    nodes: [
      { op: 'Gemm', inputs: ['x', 'W1', 'b1'], outputs: ['h1'], attrs: { transB: 1 } },
      { op: 'Relu', inputs: ['h1'], outputs: ['a1'] },
      { op: 'MatMul', inputs: ['a1', 'W2'], outputs: ['m2'] },
      { op: 'Add', inputs: ['m2', 'b2'], outputs: ['h2'] },
      { op: 'Relu', inputs: ['h2'], outputs: ['a2'] },
      { op: 'Gemm', inputs: ['a2', 'W3', 'b3'], outputs: ['z'] },
      { op: 'Softmax', inputs: ['z'], outputs: ['p'] },
    ],
    initializers: [
      { name: 'W1', dims: [12, 16], values: randomArray(r, 192, -0.5, 0.5) },
      { name: 'b1', dims: [12], values: randomArray(r, 12, -0.1, 0.1) },
      { name: 'W2', dims: [12, 8], values: randomArray(r, 96, -0.5, 0.5) },
      { name: 'b2', dims: [8], values: randomArray(r, 8, -0.1, 0.1) },
      { name: 'W3', dims: [8, 4], values: randomArray(r, 32, -1, 1) },
      { name: 'b3', dims: [4], values: randomArray(r, 4, -0.1, 0.1) },
    ],
  });
  return { bytes, graph: optimize(importOnnx(bytes)) };
}

describe('quantized reference vs float onnxruntime', () => {
  it('stays within 0.02 of onnxruntime’s softmax output and agrees on argmax for 200 random inputs', async () => {
    const { bytes, graph } = randomMlp(1);
    const r = rng(2);
    const calib = Array.from({ length: 64 }, () => Float64Array.from(randomArray(r, 16)));
    const model = quantize(graph, calibrate(graph, calib));
    const test = Array.from({ length: 200 }, () => Float64Array.from(randomArray(r, 16, -0.9, 0.9)));
    const report = await measureError(model, test, (x) => runOrt(bytes, Float32Array.from(x), [1, 16]));
    expect(report.outOfRange).toBe(0);
    expect(report.maxAbsError).toBeLessThan(0.02);
    expect(report.argmaxAgreement).toBeGreaterThanOrEqual(0.98);
  });

  it('fuses the MatMul+Add bias and rescales once per hidden layer, not at the output', () => {
    const { graph } = randomMlp(1);
    const model = quantize(graph, intervalRanges(graph));
    expect(model.nodes.map((n) => n.kind)).toEqual(['linear', 'rescale', 'linear', 'rescale', 'linear']);
    expect(model.output.transform).toEqual({ kind: 'softmax', axis: 1, coerce2d: false });
  });

  it('interval ranges are sound: no input in [−1, 1] leaves a range', () => {
    const { graph } = randomMlp(5);
    const model = quantize(graph, intervalRanges(graph), { headroomBits: 0 });
    const r = rng(11);
    for (let i = 0; i < 300; i++) {
      const x = randomArray(r, 16).map((v) => Math.sign(v)); // corners of the box
      expect(() => runReference(model, quantizeInput(model, x))).not.toThrow();
    }
  });

  it('refuses an input that drives a layer outside its calibrated range, naming the node', () => {
    const { graph } = randomMlp(1);
    const calib = [Float64Array.from(new Array(16).fill(0).map((_, i) => (i === 0 ? 1 : 0)))];
    const model = quantize(graph, calibrate(graph, calib), { headroomBits: 0 });
    const big = new Array(16).fill(0).map((_, i) => (i % 2 ? 1 : -1));
    expect(() => runReference(model, quantizeInput(model, big))).toThrow(/^the input drives node 1 "relu_1" \(Relu\) outside its calibrated range: value \d+ at index \d+ is not in \[-2048, 2047\]/);
  });

  it('refuses non-finite and out-of-range inputs', () => {
    const { graph } = randomMlp(1);
    const model = quantize(graph, intervalRanges(graph));
    const x = new Array(16).fill(0);
    x[3] = NaN;
    expect(() => quantizeInput(model, x)).toThrow('input value at flat index 3 is NaN; inputs must be finite numbers');
    x[3] = 1e9;
    expect(() => quantizeInput(model, x)).toThrow(/^input value 1000000000 at flat index 3 is outside the range the model was compiled for/);
  });
});

describe('fixed-point arithmetic properties', () => {
  it('rescaleValue is round-half-up division by 2^shift (checked with bigint)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: 0, max: 20 }), (x, shift) => {
        const q = rescaleValue(x, shift);
        if (shift === 0) return q === x;
        const X = BigInt(x);
        const d = 1n << BigInt(shift);
        // q·2^k ≤ x + 2^(k−1) < (q+1)·2^k
        const Q = BigInt(q);
        return Q * d <= X + d / 2n && X + d / 2n < (Q + 1n) * d;
      }),
    );
  });

  it('quantize then dequantize is within half a step, and the step fits the bits', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.integer({ min: 4, max: 24 }), fc.double({ min: -1, max: 1, noNaN: true }), (maxAbs, bits, frac) => {
        const scale = scaleFor(maxAbs, bits);
        const v = frac * maxAbs;
        const q = Math.round(v * 2 ** scale);
        expect(Math.abs(q)).toBeLessThanOrEqual(2 ** (bits - 1) - 1);
        expect(Math.abs(dequantize([q], scale)[0]! - v)).toBeLessThanOrEqual(2 ** -(scale + 1) + 1e-12);
      }),
    );
  });

  it('signedBits is the smallest width holding the interval', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 30), max: 2 ** 30 }), fc.integer({ min: 0, max: 2 ** 30 }), (lo, span) => {
        const hi = lo + span;
        const b = signedBits(lo, hi);
        const fits = (w: number) => lo >= -(2 ** (w - 1)) && hi <= 2 ** (w - 1) - 1;
        return fits(b) && (b === 1 || !fits(b - 1));
      }),
    );
  });
});
