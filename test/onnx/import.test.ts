import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importOnnx, SUPPORTED_OPS } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { runFloat } from '../../src/ir/float-exec.js';
import { sizeOf } from '../../src/ir/graph.js';
import { OnnxImportError } from '../../src/shared/errors.js';
import { buildModel, randomArray, rng, runOrt, type NodeSpec, type TensorSpec } from '../helpers/onnx-builder.js';

const fixture = (name: string) => `test/fixtures/models/${name}`;

async function matchesOrt(file: string, trials = 3) {
  const bytes = readFileSync(fixture(file));
  const graph = optimize(importOnnx(bytes, { file }));
  const dims = graph.input.shape as number[];
  const r = rng(3);
  for (let t = 0; t < trials; t++) {
    const x = Float32Array.from(randomArray(r, sizeOf(dims)));
    const expected = await runOrt(bytes, x, dims);
    const actual = runFloat(graph, Float64Array.from(x));
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 4);
  }
  return graph;
}

describe('importing models from real exporters', () => {
  it('imports a torch MLP with a fixed batch of 4 as exported', async () => {
    const graph = await matchesOrt('mlp_batch4.onnx');
    expect(graph.input.shape).toEqual([4, 3, 2, 2]);
    expect(graph.originalBatch).toBeUndefined();
  });

  it('compiles a fixed batch of 4 for batch 1, computing what onnxruntime computes for each row', async () => {
    const bytes = readFileSync(fixture('mlp_batch4.onnx'));
    const graph = importOnnx(bytes, { batch: 1 });
    expect(graph.input.shape).toEqual([1, 3, 2, 2]);
    expect(graph.originalBatch).toBe(4);
    const x = Float32Array.from(randomArray(rng(9), 48));
    const full = await runOrt(bytes, x, [4, 3, 2, 2]);
    const outPerRow = full.length / 4;
    for (let row = 0; row < 4; row++) {
      const y = runFloat(graph, Float64Array.from(x.slice(row * 12, (row + 1) * 12)));
      for (let i = 0; i < outPerRow; i++) expect(y[i]).toBeCloseTo(full[row * outPerRow + i]!, 4);
    }
  });

  it('imports a final Softmax and marks it as the last step', async () => {
    const graph = await matchesOrt('mlp_softmax.onnx');
    expect(graph.nodes.at(-1)?.kind).toBe('softmax');
  });

  it('imports Gemm with alpha, beta, transB and a raw_data bias', async () => {
    const graph = await matchesOrt('gemm_transb_alpha.onnx');
    expect(graph.nodes.map((n) => n.kind)).toEqual(['linear']);
  });

  it('imports Reshape (0, −1), MatMul with typed weights, Add, Relu, Squeeze, Unsqueeze, Identity', async () => {
    const graph = await matchesOrt('matmul_add_reshape.onnx');
    expect(graph.nodes.some((n) => n.kind === 'linear' && n.bias !== undefined)).toBe(true);
  });

  it('imports a tf2onnx-style MatMul+Add+Relu with a symbolic batch (opset 11)', async () => {
    const graph = await matchesOrt('keras_like_mlp.onnx');
    expect(graph.input.shape[0]).toBe(1);
    expect(graph.opset).toBe(11);
  });
});

describe('import errors', () => {
  it('names the op, node and index of an unsupported op and lists the supported ones', () => {
    const bytes = readFileSync(fixture('unsupported_op.onnx'));
    expect(() => importOnnx(bytes, { file: 'unsupported_op.onnx' })).toThrow(`unsupported_op.onnx: node 1 "weird_cos" (Cos): unsupported op Cos; supported ops: ${SUPPORTED_OPS.join(', ')}`);
  });

  it('refuses an opset below 9 for ops whose semantics changed since, naming the node', () => {
    const relu = (opset: number) =>
      buildModel({
        input: { name: 'x', dims: [1, 2, 3, 3] },
        output: { name: 'y' },
        opset,
        nodes: [
          { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['g'], name: 'gap' },
          { op: 'Relu', inputs: ['g'], outputs: ['y'], name: 'act' },
        ],
      });
    expect(() => importOnnx(relu(8), { file: 'old.onnx' })).toThrow(
      new OnnxImportError('old.onnx: node 1 "act" (Relu): opset 8 is not supported for Relu (supported: opsets 9 to 21; GlobalAveragePool from opset 1, GlobalMaxPool from opset 1)'),
    );
    expect(importOnnx(relu(9)).opset).toBe(9);
    expect(() => importOnnx(relu(22), { file: 'new.onnx' })).toThrow(new OnnxImportError('new.onnx: opset 22 is not supported (supported: 9 to 21)'));
  });

  it('names an unsupported op as unsupported in a model of an old opset, not its opset', () => {
    const bytes = buildModel({ input: { name: 'x', dims: [1, 3] }, output: { name: 'y' }, opset: 7, nodes: [{ op: 'Cos', inputs: ['x'], outputs: ['y'], name: 'c' }] });
    expect(() => importOnnx(bytes, { file: 'old.onnx' })).toThrow(new OnnxImportError(`old.onnx: node 0 "c" (Cos): unsupported op Cos; supported ops: ${SUPPORTED_OPS.join(', ')}`));
  });

  it('refuses Dropout whose mask output is used, or in training mode, naming the node', () => {
    const model = (opset: number, nodes: NodeSpec[], initializers: (TensorSpec & { name: string })[] = []) =>
      buildModel({ input: { name: 'x', dims: [1, 3] }, output: { name: 'y' }, opset, nodes, initializers });
    const masked = model(10, [
      { op: 'Dropout', inputs: ['x'], outputs: ['d', 'mask'], name: 'drop', attrs: { ratio: { float: 0.5 } } },
      { op: 'Add', inputs: ['d', 'mask'], outputs: ['y'], name: 'add' },
    ]);
    expect(() => importOnnx(masked, { file: 'm.onnx' })).toThrow(new OnnxImportError('m.onnx: node 0 "drop" (Dropout): the mask output of Dropout is not supported'));
    const training = model(13, [{ op: 'Dropout', inputs: ['x', 'r', 'x'], outputs: ['y'], name: 'drop' }], [{ name: 'r', dims: [], values: [0.5] }]);
    expect(() => importOnnx(training, { file: 't.onnx' })).toThrow(
      new OnnxImportError('t.onnx: node 0 "drop" (Dropout): Dropout in training mode is not supported (training_mode must be a constant false)'),
    );
  });

  it('rejects bytes that are not an ONNX model', () => {
    expect(() => importOnnx(new Uint8Array([1, 2, 3, 4, 5]), { file: 'junk.onnx' })).toThrow('junk.onnx: not an ONNX model');
  });
});
