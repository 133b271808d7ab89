/**
 * Conv, pooling, BatchNormalization and constant Mul/Sub/Div against onnxruntime: the float
 * executor on the imported graph (before and after the optimizer) must match.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/import.js';
import { sizeOf } from '../../src/ir/graph.js';
import { buildModel, randomArray, rng, type ModelSpec, type NodeSpec } from '../helpers/onnx-builder.js';
import { ortChecker } from '../helpers/ort-check.js';

/** Checks the float executor against onnxruntime on random inputs; returns the optimized graph. */
const checkAgainstOrt = ortChecker({ trials: 2, seed: 42, range: [-2, 2], graphs: 'both' });

const r = rng(11);
const w = (n: number) => randomArray(r, n);

function convModel(dims: number[], weight: number[], attrs: NodeSpec['attrs'], bias = true, post: NodeSpec[] = []): ModelSpec {
  const out = weight[0]!;
  return {
    input: { name: 'x', dims },
    output: { name: post.length ? post[post.length - 1]!.outputs[0]! : 'y' },
    nodes: [{ op: 'Conv', inputs: bias ? ['x', 'W', 'B'] : ['x', 'W'], outputs: ['y'], attrs }, ...post],
    initializers: [{ name: 'W', dims: weight, values: w(sizeOf(weight)) }, ...(bias ? [{ name: 'B', dims: [out], values: w(out) }] : [])],
  };
}

describe('Conv against onnxruntime', () => {
  it('2-D: plain, strides, symmetric and asymmetric pads, dilations, no bias', async () => {
    await checkAgainstOrt(convModel([1, 2, 7, 7], [3, 2, 3, 3], {}));
    await checkAgainstOrt(convModel([1, 2, 7, 8], [3, 2, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }));
    await checkAgainstOrt(convModel([2, 2, 6, 7], [4, 2, 2, 3], { pads: [0, 2, 1, 0], strides: [1, 2] }, false));
    await checkAgainstOrt(convModel([1, 1, 9, 9], [2, 1, 3, 3], { dilations: [2, 3], pads: [2, 1, 2, 1] }));
  });

  it('auto_pad SAME_UPPER, SAME_LOWER and VALID (with strides)', async () => {
    for (const auto_pad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) {
      await checkAgainstOrt(convModel([1, 2, 7, 6], [2, 2, 4, 3], { auto_pad: { string: auto_pad }, strides: [2, 2] }));
      await checkAgainstOrt(convModel([1, 2, 5, 5], [2, 2, 2, 2], { auto_pad: { string: auto_pad } }));
    }
  });

  it('groups and depthwise', async () => {
    await checkAgainstOrt(convModel([1, 4, 6, 6], [6, 2, 3, 3], { group: 2, pads: [1, 1, 1, 1] }));
    await checkAgainstOrt(convModel([1, 3, 6, 6], [3, 1, 3, 3], { group: 3 }));
    await checkAgainstOrt(convModel([1, 3, 6, 6], [6, 1, 3, 3], { group: 3, strides: [2, 2] }));
  });

  it('1-D and 3-D convolutions', async () => {
    await checkAgainstOrt(convModel([1, 2, 11], [3, 2, 4], { strides: [2], pads: [1, 2] }));
    await checkAgainstOrt(convModel([1, 2, 4, 5, 4], [2, 2, 2, 3, 2], { pads: [0, 1, 0, 1, 1, 1] }));
  });
});

describe('pooling against onnxruntime', () => {
  const pool = (op: string, dims: number[], attrs: NodeSpec['attrs'], opset = 13): ModelSpec => ({
    input: { name: 'x', dims },
    output: { name: 'y' },
    opset,
    nodes: [{ op, inputs: ['x'], outputs: ['y'], attrs }],
  });

  it('MaxPool: kernel, strides, pads, dilations, ceil_mode, auto_pad', async () => {
    await checkAgainstOrt(pool('MaxPool', [1, 2, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }));
    await checkAgainstOrt(pool('MaxPool', [1, 2, 7, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }));
    await checkAgainstOrt(pool('MaxPool', [1, 1, 8, 8], { kernel_shape: [2, 2], dilations: [2, 2] }));
    await checkAgainstOrt(pool('MaxPool', [1, 2, 7, 7], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }));
    await checkAgainstOrt(pool('MaxPool', [1, 2, 5, 5], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }));
    await checkAgainstOrt(pool('MaxPool', [1, 2, 7, 5], { kernel_shape: [3, 2], strides: [2, 2], auto_pad: { string: 'SAME_UPPER' } }));
    await checkAgainstOrt(pool('MaxPool', [1, 2, 9], { kernel_shape: [3], strides: [2] }));
  });

  it('AveragePool: count_include_pad 0 and 1, pads, strides, ceil_mode, auto_pad', async () => {
    await checkAgainstOrt(pool('AveragePool', [1, 2, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }));
    await checkAgainstOrt(pool('AveragePool', [1, 2, 6, 6], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }));
    await checkAgainstOrt(pool('AveragePool', [1, 2, 6, 6], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }));
    await checkAgainstOrt(pool('AveragePool', [1, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }));
    await checkAgainstOrt(pool('AveragePool', [1, 1, 5, 6], { kernel_shape: [2, 3], strides: [2, 2], auto_pad: { string: 'SAME_LOWER' } }));
  });

  it('GlobalAveragePool and GlobalMaxPool', async () => {
    await checkAgainstOrt(pool('GlobalAveragePool', [2, 3, 5, 4], {}));
    await checkAgainstOrt(pool('GlobalMaxPool', [1, 3, 5, 4], {}));
  });

  it('GlobalAveragePool and GlobalMaxPool in models of opset 1 to 8 (their semantics are unchanged since opset 1)', async () => {
    for (const opset of [1, 8]) {
      expect((await checkAgainstOrt(pool('GlobalAveragePool', [1, 3, 5, 4], {}, opset))).opset).toBe(opset);
      await checkAgainstOrt(pool('GlobalMaxPool', [1, 3, 5, 4], {}, opset));
    }
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 2, 3, 3] },
      output: { name: 'y' },
      opset: 1,
      nodes: [
        { op: 'GlobalMaxPool', inputs: ['x'], outputs: ['m'] },
        { op: 'GlobalAveragePool', inputs: ['m'], outputs: ['y'] },
      ],
    });
  });
});

describe('BatchNormalization and constant Mul/Sub/Div', () => {
  const bn = (c: number) => [
    { name: 's', dims: [c], values: randomArray(r, c, 0.5, 1.5) },
    { name: 'bb', dims: [c], values: w(c) },
    { name: 'mean', dims: [c], values: w(c) },
    { name: 'var', dims: [c], values: randomArray(r, c, 0.2, 2) },
  ];

  it('folds Conv → BatchNormalization into the Conv', async () => {
    const spec = convModel([1, 2, 6, 6], [3, 2, 3, 3], { pads: [1, 1, 1, 1] }, true, [
      { op: 'BatchNormalization', inputs: ['y', 's', 'bb', 'mean', 'var'], outputs: ['z'], attrs: { epsilon: { float: 1e-3 } } },
    ]);
    spec.initializers!.push(...bn(3));
    const graph = await checkAgainstOrt(spec);
    expect(graph.nodes.map((n) => n.kind)).toEqual(['conv']);
  });

  it('folds Gemm → BatchNormalization (2-D) into the Gemm', async () => {
    const graph = await checkAgainstOrt({
      input: { name: 'x', dims: [1, 5] },
      output: { name: 'z' },
      nodes: [
        { op: 'Gemm', inputs: ['x', 'W'], outputs: ['y'] },
        { op: 'BatchNormalization', inputs: ['y', 's', 'bb', 'mean', 'var'], outputs: ['z'] },
      ],
      initializers: [{ name: 'W', dims: [5, 4], values: w(20) }, ...bn(4)],
    });
    expect(graph.nodes.map((n) => n.kind)).toEqual(['linear']);
  });

  it('keeps a BatchNormalization after a ReLU as a per-channel multiply and add', async () => {
    const spec = convModel([1, 2, 5, 5], [3, 2, 3, 3], {}, true, [
      { op: 'Relu', inputs: ['y'], outputs: ['a'] },
      { op: 'BatchNormalization', inputs: ['a', 's', 'bb', 'mean', 'var'], outputs: ['z'] },
    ]);
    spec.initializers!.push(...bn(3));
    const graph = await checkAgainstOrt(spec);
    expect(graph.nodes.map((n) => n.kind)).toEqual(['conv', 'relu', 'mulConst', 'addConst']);
  });

  it('Mul, Div and Sub by constants on either side', async () => {
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 2, 3] },
      output: { name: 'y' },
      nodes: [
        { op: 'Mul', inputs: ['c', 'x'], outputs: ['a'] },
        { op: 'Div', inputs: ['a', 'd'], outputs: ['b'] },
        { op: 'Sub', inputs: ['b', 'e'], outputs: ['f'] },
        { op: 'Sub', inputs: ['e', 'f'], outputs: ['y'] },
      ],
      initializers: [
        { name: 'c', dims: [3], values: w(3) },
        { name: 'd', dims: [2, 1], values: [2, -4] },
        { name: 'e', dims: [1], values: [0.3] },
      ],
    });
  });
});

describe('the optimizer', () => {
  it('moves max pooling before the ReLU that feeds it', async () => {
    const graph = await checkAgainstOrt(
      convModel([1, 1, 6, 6], [2, 1, 3, 3], { pads: [1, 1, 1, 1] }, true, [
        { op: 'Relu', inputs: ['y'], outputs: ['a'] },
        { op: 'MaxPool', inputs: ['a'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      ]),
    );
    expect(graph.nodes.map((n) => n.kind)).toEqual(['conv', 'maxPool', 'relu']);
    expect(graph.shapes.get(graph.nodes[1]!.output)).toEqual([1, 2, 3, 3]);
  });
});

describe('the optimizer, with a second reader', () => {
  it('keeps ReLU before max pooling when the ReLU output has another reader', async () => {
    const graph = await checkAgainstOrt({
      input: { name: 'x', dims: [1, 1, 4, 4] },
      output: { name: 'y' },
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'] },
        { op: 'MaxPool', inputs: ['a'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
        { op: 'GlobalAveragePool', inputs: ['a'], outputs: ['m'] },
        { op: 'Add', inputs: ['p', 'm'], outputs: ['y'] },
      ],
    });
    expect(graph.nodes.map((n) => n.kind)).toEqual(['relu', 'maxPool', 'avgPool', 'binary']);
  });
});

describe('import errors for windowed ops', () => {
  it('names the node for a non-constant weight, a bad group and the Indices output', () => {
    const spec = convModel([1, 4, 5, 5], [2, 3, 3, 3], { group: 2 });
    expect(() => importOnnx(buildModel(spec), { file: 'g.onnx' })).toThrow('g.onnx: node 0 "conv_0" (Conv): Conv weight [2, 3, 3, 3] and group 2 do not match 4 input channels');
    const indices = buildModel({
      input: { name: 'x', dims: [1, 1, 4, 4] },
      output: { name: 'i' },
      nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y', 'i'], attrs: { kernel_shape: [2, 2] } }],
    });
    expect(() => importOnnx(indices, { file: 'm.onnx' })).toThrow('m.onnx: node 0 "maxpool_0" (MaxPool): the Indices output of MaxPool is not supported');
  });
});
