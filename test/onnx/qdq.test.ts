/**
 * int8 QDQ models in the form onnxruntime's quantizer writes (QuantizeLinear on the float
 * input; DequantizeLinear → Conv/Gemm → Relu → QuantizeLinear chains with per-channel int8
 * weights and int32 biases; QDQ pairs around MaxPool and Flatten; a final DequantizeLinear →
 * Softmax): test/fixtures/models/qdq_tiny_cnn.onnx, made by scripts/make_qdq_models.py.
 * They compile to int8 arithmetic: the model's own integer weights, one Requantize per
 * requantized element (the ReLU and the int8 saturation fused), max pooling before it, the
 * input QuantizeLinear outside the circuit, no node for a DequantizeLinear or for a QDQ pair
 * around MaxPool or Flatten. The reference agrees with onnxruntime (argmax, and the int8
 * activations almost everywhere), the circuit with the reference exactly.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/import.js';
import { OrtModel } from '../../src/onnx/runtime.js';
import { optimize } from '../../src/ir/optimize.js';
import { runFloat } from '../../src/ir/float-exec.js';
import { calibrate } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import { quantizeInput, runReference } from '../../src/reference/execute.js';
import { emitCircuit } from '../../src/circuit/emit.js';
import { predictConstraints } from '../../src/circuit/cost.js';
import { MODEL_OPTIMIZATION } from '../../src/compile/compile.js';
import { encodeSigned } from '../../src/shared/field.js';
import { compileTestCircuit, removeTestCircuits } from '../helpers/circuit.js';
import { rng } from '../helpers/onnx-builder.js';
import { expectedConstraintsO1 } from '../model-circuits/cost.js';
import onnxProto from 'onnx-proto';

afterAll(removeTestCircuits);

const FIXTURE = 'test/fixtures/models/qdq_tiny_cnn.onnx';
const argmax = (y: ArrayLike<number>) => Array.prototype.indexOf.call(y, Math.max(...Array.from(y)));

describe('int8 QDQ CNN (exporter form)', () => {
  const bytes = readFileSync(FIXTURE);
  const graph = optimize(importOnnx(bytes));
  const r = rng(31);
  const inputs = Array.from({ length: 60 }, () => Float64Array.from({ length: 64 }, () => r()));
  const model = quantize(graph, calibrate(graph, inputs.slice(0, 30)));

  it('imports as int8 arithmetic: pooling before requantization, no QDQ pair around MaxPool or Flatten', () => {
    expect(graph.nodes.map((n) => n.kind)).toEqual([
      'requantize',
      'dequantize',
      'conv',
      'maxPool',
      'relu',
      'requantize',
      'dequantize',
      'conv',
      'relu',
      'requantize',
      'reshape',
      'dequantize',
      'linear',
      'requantize',
      'dequantize',
      'softmax',
    ]);
    // The input QuantizeLinear is the input quantization; the layers keep the int8 weights.
    expect(model.input).toMatchObject({ scale: 0, bits: 8, quantization: { zeroPoint: [0], min: -128, max: 127 } });
    const kinds = model.nodes.map((n) => (n.kind === 'rescale' ? `rescale(${n.relu ? 'relu, ' : ''}saturate ${n.saturate})` : n.kind));
    expect(kinds).toEqual(['conv', 'maxPool', 'rescale(relu, saturate 7)', 'conv', 'rescale(relu, saturate 7)', 'reshape', 'linear', 'rescale(saturate 8)', 'mulConst']);
    for (const n of model.nodes) if (n.kind === 'conv' || n.kind === 'linear') expect(n.weightScale).toBe(0);
  });

  it('agrees with onnxruntime: the argmax always, the float executor closely, the int8 logits exactly but near rounding boundaries', async () => {
    const ort = await OrtModel.load(bytes);
    // The same model answering with its int8 logits (the last QuantizeLinear's output).
    const logitsModel = onnxProto.onnx.ModelProto.decode(bytes);
    const out = logitsModel.graph!.output![0]!;
    out.name = 'gemm_6_QuantizeLinear_Output';
    out.type!.tensorType!.elemType = 3; // int8
    const ortLogits = await OrtModel.load(onnxProto.onnx.ModelProto.encode(logitsModel).finish());
    const logitNode = model.nodes.find((n) => n.kind === 'rescale' && n.saturate === 8)!;
    let equal = 0;
    let total = 0;
    for (const x of inputs) {
      const expected = await ort.run(x, [1, 1, 8, 8]);
      runFloat(graph, x).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
      let logits: number[] = [];
      const raw = runReference(model, quantizeInput(model, x), (name, v) => {
        if (name === logitNode.output) logits = v;
      });
      expect(argmax(raw)).toBe(argmax(expected));
      const ortInt8 = Array.from(await ortLogits.run(x, [1, 1, 8, 8]));
      logits.forEach((v, i) => {
        expect(Math.abs(v - ortInt8[i]!)).toBeLessThanOrEqual(1);
        total++;
        if (v === ortInt8[i]) equal++;
      });
    }
    expect(total).toBe(4 * inputs.length);
    expect(equal / total).toBeGreaterThanOrEqual(0.97);
    await Promise.all([ort.close(), ortLogits.close()]);
  });

  it('compiles to the predicted constraint count; the witness equals the reference', async () => {
    const circuit = await compileTestCircuit(emitCircuit(model).source, { optimization: MODEL_OPTIMIZATION });
    expect(circuit.compiled.constraints).toBe(expectedConstraintsO1(model));
    expect(circuit.compiled.constraints).toBe(predictConstraints(model));
    for (const x of inputs.slice(0, 4)) {
      const raw = quantizeInput(model, x);
      const witness = await circuit.witness({ in: raw.map((v) => encodeSigned(BigInt(v))), ctx: 7n });
      expect(circuit.check(witness)).toEqual([]);
      runReference(model, raw).forEach((v, j) => expect(circuit.get(witness, `main.out[${j}]`)).toBe(encodeSigned(BigInt(v))));
    }
  });
});

describe('onnxruntime-quantizer-style QDQ fixtures (uint8 activations with zero points, test/fixtures/robust/)', () => {
  for (const name of ['qdq_conv_per_channel', 'qdq_conv_per_tensor', 'qdq_gemm_flatten', 'qdq_mlp_s8']) {
    it(`${name}: argmax as onnxruntime on 40 inputs; the circuit equals the reference and its predicted count`, async () => {
      const bytes = readFileSync(`test/fixtures/robust/${name}.onnx`);
      const graph = optimize(importOnnx(bytes));
      const n = graph.input.shape.reduce((a, b) => a * b, 1);
      const r = rng(5);
      const inputs = Array.from({ length: 40 }, () => Float64Array.from({ length: n }, () => r()));
      const model = quantize(graph, calibrate(graph, inputs.slice(0, 20)));
      const ort = await OrtModel.load(bytes);
      let agree = 0;
      for (const x of inputs) {
        const expected = await ort.run(x, graph.input.shape);
        if (argmax(runReference(model, quantizeInput(model, x))) === argmax(expected)) agree++;
      }
      await ort.close();
      expect(agree / inputs.length).toBeGreaterThanOrEqual(0.95);
      const circuit = await compileTestCircuit(emitCircuit(model).source, { optimization: MODEL_OPTIMIZATION });
      expect(circuit.compiled.constraints).toBe(expectedConstraintsO1(model));
      for (const x of inputs.slice(0, 3)) {
        const raw = quantizeInput(model, x);
        const witness = await circuit.witness({ in: raw.map((v) => encodeSigned(BigInt(v))), ctx: 7n });
        expect(circuit.check(witness)).toEqual([]);
        runReference(model, raw).forEach((v, j) => expect(circuit.get(witness, `main.out[${j}]`)).toBe(encodeSigned(BigInt(v))));
      }
    });
  }
});

/**
 * QuantOptions.int8 `fold`: every QuantizeLinear that only a DequantizeLinear reads becomes the
 * float path's power-of-two rescale (no multiplier, no saturation), the input is quantized at
 * inputBits, per-tensor int8 weights are kept as they are; the circuit still equals the
 * reference exactly, and the argmax mostly equals onnxruntime's.
 */
describe('int8 fold: power-of-two rescales instead of the requantization multiplier', () => {
  const FOLD = { int8: 'fold' } as const;
  const foldedSteps = (model: ReturnType<typeof quantize>) => model.nodes.filter((n) => n.kind === 'rescale');

  it('the tiny QDQ CNN: no multiplier, no saturation, no clamp, the input at a power-of-two scale, fewer constraints than exact', () => {
    const graph = optimize(importOnnx(readFileSync(FIXTURE)));
    const r = rng(31);
    const calib = Array.from({ length: 30 }, () => Float64Array.from({ length: 64 }, () => r()));
    const ranges = calibrate(graph, calib);
    const exact = quantize(graph, ranges);
    const folded = quantize(graph, ranges, FOLD);
    expect(folded.input.quantization).toBeUndefined();
    expect(folded.input.scale).toBeGreaterThan(0);
    expect(foldedSteps(folded).length).toBeGreaterThan(0);
    for (const n of foldedSteps(folded)) {
      expect(n).not.toHaveProperty('multiplier');
      expect(n).not.toHaveProperty('saturate');
    }
    expect(folded.nodes.some((n) => n.kind === 'clamp')).toBe(false);
    expect(predictConstraints(folded)).toBeLessThan(predictConstraints(exact));
  });

  it('a QuantizeLinear whose int8 values are the output keeps the exact requantization', () => {
    const m = onnxProto.onnx.ModelProto.decode(readFileSync(FIXTURE));
    const out = m.graph!.output![0]!;
    out.name = 'gemm_6_QuantizeLinear_Output';
    out.type!.tensorType!.elemType = 3; // int8
    m.graph!.node = m.graph!.node!.filter((n) => n.output![0] !== 'gemm_6_DequantizeLinear_Output' && n.opType !== 'Softmax');
    const graph = optimize(importOnnx(onnxProto.onnx.ModelProto.encode(m).finish()));
    const r = rng(3);
    const folded = quantize(
      graph,
      calibrate(
        graph,
        Array.from({ length: 20 }, () => Float64Array.from({ length: 64 }, () => r())),
      ),
      FOLD,
    );
    const steps = foldedSteps(folded);
    expect(steps[steps.length - 1]).toMatchObject({ saturate: 8 });
    expect(steps[steps.length - 1]).toHaveProperty('multiplier');
    for (const n of steps.slice(0, -1)) expect(n).not.toHaveProperty('multiplier');
  });

  for (const name of ['qdq_tiny_cnn', 'qdq_conv_per_channel', 'qdq_conv_per_tensor', 'qdq_gemm_flatten', 'qdq_mlp_s8']) {
    it(`${name} folded: argmax as onnxruntime on most of 40 inputs; the circuit equals the reference and its predicted count`, async () => {
      const bytes = readFileSync(name === 'qdq_tiny_cnn' ? FIXTURE : `test/fixtures/robust/${name}.onnx`);
      const graph = optimize(importOnnx(bytes));
      const n = graph.input.shape.reduce((a, b) => a * b, 1);
      const r = rng(5);
      const inputs = Array.from({ length: 40 }, () => Float64Array.from({ length: n }, () => r()));
      const model = quantize(graph, calibrate(graph, inputs.slice(0, 20)), { ...FOLD, inputBits: 8, weightBits: 8, activationBits: 9 });
      for (const s of foldedSteps(model)) expect(s).not.toHaveProperty('multiplier');
      // Per-tensor int8 weights are kept as the model's integers; per-channel ones are requantized.
      const layers = model.nodes.filter((l) => l.kind === 'conv' || l.kind === 'linear');
      const perTensor = name === 'qdq_conv_per_tensor' || name === 'qdq_mlp_s8';
      for (const l of layers) if (perTensor) expect(l.weightScale).toBe(0);
      if (name === 'qdq_conv_per_channel') expect(layers.every((l) => l.weightScale > 0)).toBe(true);
      const ort = await OrtModel.load(bytes);
      let agree = 0;
      for (const x of inputs) {
        const expected = await ort.run(x, graph.input.shape);
        if (argmax(runReference(model, quantizeInput(model, x))) === argmax(expected)) agree++;
      }
      await ort.close();
      if (process.env.ZKINFER_PRINT_INT8) console.log(`${name} folded: argmax agreement ${agree}/${inputs.length}`);
      expect(agree / inputs.length).toBeGreaterThanOrEqual(0.9);
      const circuit = await compileTestCircuit(emitCircuit(model).source, { optimization: MODEL_OPTIMIZATION });
      expect(circuit.compiled.constraints).toBe(expectedConstraintsO1(model));
      expect(circuit.compiled.constraints).toBe(predictConstraints(model));
      for (const x of inputs.slice(0, 3)) {
        const raw = quantizeInput(model, x);
        const witness = await circuit.witness({ in: raw.map((v) => encodeSigned(BigInt(v))), ctx: 7n });
        expect(circuit.check(witness)).toEqual([]);
        runReference(model, raw).forEach((v, j) => expect(circuit.get(witness, `main.out[${j}]`)).toBe(encodeSigned(BigInt(v))));
      }
    });
  }
});

describe('int8 fold: a uint8 QuantizeLinear with zero point 0 and no Relu before it (the exporter fused the ReLU into it)', () => {
  it('becomes a rescale with the ReLU, and the argmax follows onnxruntime', async () => {
    const m = onnxProto.onnx.ModelProto.decode(readFileSync('test/fixtures/robust/qdq_conv_per_channel.onnx'));
    const relu = m.graph!.node!.find((n) => n.opType === 'Relu')!;
    const [from, to] = [relu.input![0]!, relu.output![0]!];
    m.graph!.node = m.graph!.node!.filter((n) => n !== relu);
    for (const n of m.graph!.node!) n.input = n.input!.map((i) => (i === to ? from : i));
    const bytes = onnxProto.onnx.ModelProto.encode(m).finish();
    const graph = optimize(importOnnx(bytes));
    expect(graph.nodes.some((n) => n.kind === 'relu')).toBe(false);
    const n = graph.input.shape.reduce((a, b) => a * b, 1);
    const r = rng(9);
    const inputs = Array.from({ length: 40 }, () => Float64Array.from({ length: n }, () => r()));
    const model = quantize(graph, calibrate(graph, inputs.slice(0, 20)), { int8: 'fold', inputBits: 8, weightBits: 8, activationBits: 9 });
    expect(model.nodes.filter((s) => s.kind === 'rescale' && s.relu).length).toBeGreaterThan(0);
    const ort = await OrtModel.load(bytes);
    let agree = 0;
    for (const x of inputs) if (argmax(runReference(model, quantizeInput(model, x))) === argmax(await ort.run(x, graph.input.shape))) agree++;
    await ort.close();
    expect(agree / inputs.length).toBeGreaterThanOrEqual(0.9);
  });
});
