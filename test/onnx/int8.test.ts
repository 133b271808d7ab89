/**
 * int8 models against onnxruntime: a QDQ model (QuantizeLinear/DequantizeLinear around a Conv
 * with per-channel quantized weights), and integer models (QLinearConv → QLinearMatMul,
 * ConvInteger, MatMulInteger) whose quantized reference must reproduce onnxruntime's integers
 * — and whose circuit must reproduce the reference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/import.js';
import { OrtModel } from '../../src/onnx/runtime.js';
import { optimize } from '../../src/ir/optimize.js';
import { runFloat } from '../../src/ir/float-exec.js';
import { sizeOf } from '../../src/ir/graph.js';
import { calibrate } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import { dequantize, quantizeInput, runReference } from '../../src/reference/execute.js';
import { emitCircuit } from '../../src/circuit/emit.js';
import { MODEL_OPTIMIZATION } from '../../src/compile/compile.js';
import { encodeSigned } from '../../src/shared/field.js';
import { compileTestCircuit, removeTestCircuits } from '../helpers/circuit.js';
import { buildModel, randomArray, rng, type ModelSpec } from '../helpers/onnx-builder.js';
import { expectedConstraintsO1 } from '../model-circuits/cost.js';
import onnxProto from 'onnx-proto';

afterAll(removeTestCircuits);

const r = rng(23);
const ints = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => Math.floor(lo + (hi - lo + 1) * r()));

/** Sets the graph input's element type (the builder writes float). */
function withInputType(bytes: Uint8Array, elemType: number): Uint8Array {
  return withType(bytes, elemType, 'input');
}

/** Sets the element type of the graph's input or output. */
function withType(bytes: Uint8Array, elemType: number, which: 'input' | 'output'): Uint8Array {
  return patch(bytes, (m) => ((which === 'input' ? m.graph!.input! : m.graph!.output!)[0]!.type!.tensorType!.elemType = elemType));
}

/** Decodes, changes and re-encodes a model. */
function patch(bytes: Uint8Array, f: (m: onnxProto.onnx.ModelProto) => void): Uint8Array {
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  f(m);
  return onnxProto.onnx.ModelProto.encode(m).finish();
}

/** x uint8 [1,2,6,6] → QLinearConv (per-channel int8 weights, int32 bias) → Flatten → QLinearMatMul → uint8 [1,3]. */
function qlinearModel(): Uint8Array {
  const spec: ModelSpec = {
    input: { name: 'x', dims: [1, 2, 6, 6] },
    output: { name: 'y' },
    opset: 13,
    nodes: [
      { op: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'cs', 'cz', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } },
      { op: 'Flatten', inputs: ['c'], outputs: ['f'] },
      { op: 'QLinearMatMul', inputs: ['f', 'cs', 'cz', 'm', 'ms', 'mz', 'ys', 'yz'], outputs: ['y'] },
    ],
    initializers: [
      { name: 'xs', dims: [], values: [0.0173] },
      { name: 'xz', dims: [], values: [120], type: 'uint8' },
      { name: 'w', dims: [4, 2, 3, 3], values: ints(72, -127, 127), type: 'int8' },
      { name: 'ws', dims: [4], values: [0.0041, 0.0053, 0.0037, 0.0062] },
      { name: 'wz', dims: [4], values: [0, 0, 0, 0], type: 'int8' },
      { name: 'b', dims: [4], values: ints(4, -2000, 2000), type: 'int32' },
      { name: 'cs', dims: [], values: [0.061] },
      { name: 'cz', dims: [], values: [97], type: 'uint8' },
      { name: 'm', dims: [36, 3], values: ints(108, -100, 100), type: 'int8' },
      { name: 'ms', dims: [], values: [0.0091] },
      { name: 'mz', dims: [], values: [3], type: 'int8' },
      { name: 'ys', dims: [], values: [0.27] },
      { name: 'yz', dims: [], values: [131], type: 'uint8' },
    ],
  };
  return withType(withInputType(buildModel(spec), 2), 2, 'output');
}

describe('int8 models against onnxruntime', () => {
  it('QDQ: QuantizeLinear → DequantizeLinear → Conv(DequantizeLinear(int8 weights, per channel)) → QuantizeLinear → DequantizeLinear', async () => {
    const spec: ModelSpec = {
      input: { name: 'x', dims: [1, 2, 5, 5] },
      output: { name: 'y' },
      nodes: [
        { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['xq'] },
        { op: 'DequantizeLinear', inputs: ['xq', 's', 'z'], outputs: ['xd'] },
        { op: 'DequantizeLinear', inputs: ['wq', 'ws', 'wz'], outputs: ['w'], attrs: { axis: 0 } },
        { op: 'Conv', inputs: ['xd', 'w'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'QuantizeLinear', inputs: ['c', 'cs', 'cz'], outputs: ['cq'] },
        { op: 'DequantizeLinear', inputs: ['cq', 'cs', 'cz'], outputs: ['y'] },
      ],
      initializers: [
        { name: 's', dims: [], values: [0.0078125] },
        { name: 'z', dims: [], values: [128], type: 'uint8' },
        { name: 'wq', dims: [3, 2, 3, 3], values: ints(54, -127, 127), type: 'int8' },
        { name: 'ws', dims: [3], values: [0.004, 0.006, 0.003] },
        { name: 'wz', dims: [3], values: [0, 0, 0], type: 'int8' },
        { name: 'cs', dims: [], values: [0.05] },
        { name: 'cz', dims: [], values: [10], type: 'int8' },
      ],
    };
    const bytes = buildModel(spec);
    const graph = optimize(importOnnx(bytes));
    const ort = await OrtModel.load(bytes);
    const calib = Array.from({ length: 16 }, () => Float64Array.from(randomArray(r, 50)));
    const model = quantize(graph, calibrate(graph, calib));
    for (let t = 0; t < 20; t++) {
      const x = Float64Array.from(randomArray(r, 50, -0.99, 0.99));
      const expected = await ort.run(x, [1, 2, 5, 5]);
      const float = runFloat(graph, x);
      const quant = dequantize(runReference(model, quantizeInput(model, x)), model.output.scale);
      for (let i = 0; i < expected.length; i++) {
        expect(float[i]).toBeCloseTo(expected[i]!, 4);
        // One output quantization step (0.05) where the rounding of a near-tie differs, plus
        // the dequantization scale 0.05 held to 10 bits (the output is at most 127 steps).
        expect(Math.abs(quant[i]! - expected[i]!)).toBeLessThanOrEqual(0.06);
      }
    }
    await ort.close();
  });

  it('QLinearConv → QLinearMatMul on uint8 inputs: the reference reproduces onnxruntime’s integers, the circuit the reference', async () => {
    const bytes = qlinearModel();
    const graph = optimize(importOnnx(bytes));
    expect(graph.nodes.map((n) => n.kind)).toEqual(['addConst', 'conv', 'requantize', 'reshape', 'addConst', 'linear', 'requantize']);
    const ort = await OrtModel.load(bytes);
    const inputs = Array.from({ length: 40 }, () => Float64Array.from(ints(72, 0, 255)));
    const model = quantize(graph, calibrate(graph, inputs.slice(0, 20)));
    let equal = 0;
    let total = 0;
    for (const x of inputs) {
      const expected = await ort.run(x, [1, 2, 6, 6]);
      const float = runFloat(graph, x);
      const quant = runReference(model, quantizeInput(model, x));
      for (let i = 0; i < expected.length; i++) {
        expect(float[i]).toBe(expected[i]);
        total++;
        if (quant[i] === expected[i]) equal++;
        expect(Math.abs(quant[i]! - expected[i]!)).toBeLessThanOrEqual(1);
      }
    }
    if (process.env.ZKINFER_PRINT_INT8) console.log(`QLinear agreement ${equal}/${total}`);
    expect(equal / total).toBeGreaterThanOrEqual(0.95);
    await ort.close();

    const circuit = await compileTestCircuit(emitCircuit(model).source, { optimization: MODEL_OPTIMIZATION });
    expect(circuit.compiled.constraints).toBe(expectedConstraintsO1(model));
    for (const x of inputs.slice(0, 3)) {
      const raw = quantizeInput(model, x);
      const witness = await circuit.witness({ in: raw.map((v) => encodeSigned(BigInt(v))), ctx: 12345n });
      expect(circuit.check(witness)).toEqual([]);
      runReference(model, raw).forEach((v, j) => expect(circuit.get(witness, `main.out[${j}]`)).toBe(encodeSigned(BigInt(v))));
    }
    expect(sizeOf(model.output.shape)).toBe(3);
  });

  it('ConvInteger: exact integer products of zero-point-shifted operands', async () => {
    const bytes = withType(
      withInputType(
        buildModel({
          input: { name: 'x', dims: [1, 1, 5, 5] },
          output: { name: 'y' },
          opset: 13,
          nodes: [
            { op: 'ConvInteger', inputs: ['x', 'w', 'xz', 'wz'], outputs: ['c'], attrs: { pads: [1, 0, 1, 0] } },
            { op: 'Flatten', inputs: ['c'], outputs: ['f'] },
          ],
          initializers: [
            { name: 'w', dims: [2, 1, 3, 3], values: ints(18, 0, 255), type: 'uint8' },
            { name: 'xz', dims: [], values: [100], type: 'uint8' },
            { name: 'wz', dims: [], values: [128], type: 'uint8' },
          ],
        }),
        2,
      ),
      6,
      'output',
    );
    const graph = optimize(importOnnx(patch(bytes, (m) => (m.graph!.output![0]!.name = 'f'))));
    const ort = await OrtModel.load(patch(bytes, (m) => (m.graph!.output![0]!.name = 'f')));
    const inputs = Array.from({ length: 10 }, () => Float64Array.from(ints(25, 0, 255)));
    const model = quantize(graph, calibrate(graph, inputs));
    for (const x of inputs) {
      const expected = await ort.run(x, [1, 1, 5, 5]);
      expect(dequantize(runReference(model, quantizeInput(model, x)), model.output.scale)).toEqual(Array.from(expected));
    }
    await ort.close();
  });
});
