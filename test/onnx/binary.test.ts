/**
 * Ops added for residual and gated models, against onnxruntime: Add/Sub/Mul of two computed
 * tensors with broadcasting, Concat (with a constant part), Transpose, Pad (all modes),
 * Clip (ReLU6), LeakyRelu, PRelu, Sigmoid, Tanh and ArgMax.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/import.js';
import { buildModel, randomArray, rng } from '../helpers/onnx-builder.js';
import { ortChecker } from '../helpers/ort-check.js';

/** Checks the float executor (optimized graph) against onnxruntime on random inputs; returns that graph. */
const checkAgainstOrt = ortChecker({ trials: 2, seed: 17, range: [-3, 3], graphs: 'optimized' });

const r = rng(5);
const w = (n: number) => randomArray(r, n);

describe('two computed operands', () => {
  it('Add, Sub and Mul with broadcasting (a residual block and a gate)', async () => {
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 2, 3, 4] },
      output: { name: 'y' },
      nodes: [
        { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Add', inputs: ['c', 'x'], outputs: ['res'] },
        { op: 'Conv', inputs: ['res', 'V'], outputs: ['g'] },
        { op: 'Sub', inputs: ['res', 'g'], outputs: ['d'] },
        { op: 'Mul', inputs: ['d', 'res'], outputs: ['y'] },
      ],
      initializers: [
        { name: 'W', dims: [2, 2, 3, 3], values: w(36) },
        { name: 'V', dims: [1, 2, 1, 1], values: w(2) },
      ],
    });
    await checkAgainstOrt({
      input: { name: 'x', dims: [2, 3] },
      output: { name: 'y' },
      nodes: [
        { op: 'MatMul', inputs: ['x', 'W'], outputs: ['a'] },
        { op: 'Add', inputs: ['a', 'x'], outputs: ['s'] },
        { op: 'MatMul', inputs: ['x', 'V'], outputs: ['b'] },
        { op: 'Sub', inputs: ['s', 'b'], outputs: ['d'] },
        { op: 'Mul', inputs: ['d', 'b'], outputs: ['y'] },
      ],
      initializers: [
        { name: 'W', dims: [3, 3], values: w(9) },
        { name: 'V', dims: [3, 1], values: w(3) },
      ],
    });
  });
});

describe('moves', () => {
  it('Concat of computed and constant parts, negative axis', async () => {
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 2, 3] },
      output: { name: 'y' },
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'] },
        { op: 'Concat', inputs: ['x', 'k', 'a'], outputs: ['y'], attrs: { axis: -2 } },
      ],
      initializers: [{ name: 'k', dims: [1, 1, 3], values: w(3) }],
    });
  });

  it('Transpose with and without perm', async () => {
    await checkAgainstOrt({ input: { name: 'x', dims: [2, 3, 4] }, output: { name: 'y' }, nodes: [{ op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm: [1, 2, 0] } }] });
    await checkAgainstOrt({ input: { name: 'x', dims: [2, 3, 4] }, output: { name: 'y' }, nodes: [{ op: 'Transpose', inputs: ['x'], outputs: ['y'] }] });
  });

  it('Pad in constant, reflect, edge and wrap modes (opset 19), and with attributes (opset 9)', async () => {
    for (const mode of ['constant', 'reflect', 'edge', 'wrap']) {
      await checkAgainstOrt({
        input: { name: 'x', dims: [1, 2, 3, 4] },
        output: { name: 'y' },
        opset: 19,
        nodes: [{ op: 'Pad', inputs: mode === 'constant' ? ['x', 'p', 'v'] : ['x', 'p'], outputs: ['y'], attrs: { mode: { string: mode } } }],
        initializers: [
          { name: 'p', dims: [8], values: [0, 0, 1, 2, 0, 1, 2, 1], type: 'int64' },
          { name: 'v', dims: [], values: [0.75] },
        ],
      });
    }
    await checkAgainstOrt({
      input: { name: 'x', dims: [2, 3] },
      output: { name: 'y' },
      opset: 9,
      nodes: [{ op: 'Pad', inputs: ['x'], outputs: ['y'], attrs: { pads: [1, 0, 0, 2], value: { float: -1.5 } } }],
    });
  });
});

describe('activations', () => {
  it('Clip as ReLU6 (opset 13 inputs), with one bound, and with attributes (opset 9)', async () => {
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 8] },
      output: { name: 'y' },
      nodes: [{ op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }],
      initializers: [
        { name: 'lo', dims: [], values: [0] },
        { name: 'hi', dims: [], values: [2] },
      ],
    });
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 8] },
      output: { name: 'y' },
      nodes: [{ op: 'Clip', inputs: ['x', '', 'hi'], outputs: ['y'] }],
      initializers: [{ name: 'hi', dims: [], values: [0.5] }],
    });
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 8] },
      output: { name: 'y' },
      opset: 9,
      nodes: [{ op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { min: { float: -1 }, max: { float: 1.5 } } }],
    });
  });

  it('LeakyRelu (default and explicit alpha) and PRelu with a per-channel slope', async () => {
    await checkAgainstOrt({ input: { name: 'x', dims: [1, 8] }, output: { name: 'y' }, nodes: [{ op: 'LeakyRelu', inputs: ['x'], outputs: ['y'] }] });
    await checkAgainstOrt({ input: { name: 'x', dims: [1, 8] }, output: { name: 'y' }, nodes: [{ op: 'LeakyRelu', inputs: ['x'], outputs: ['y'], attrs: { alpha: { float: 0.2 } } }] });
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 3, 2, 2] },
      output: { name: 'y' },
      nodes: [{ op: 'PRelu', inputs: ['x', 's'], outputs: ['y'] }],
      initializers: [{ name: 's', dims: [3, 1, 1], values: [0.25, -0.5, 1.5] }],
    });
  });

  it('Sigmoid and Tanh', async () => {
    await checkAgainstOrt({ input: { name: 'x', dims: [1, 8] }, output: { name: 'y' }, nodes: [{ op: 'Sigmoid', inputs: ['x'], outputs: ['y'] }] });
    await checkAgainstOrt({ input: { name: 'x', dims: [1, 8] }, output: { name: 'y' }, nodes: [{ op: 'Tanh', inputs: ['x'], outputs: ['y'] }] });
  });

  it('ArgMax: axis, keepdims, select_last_index', async () => {
    await checkAgainstOrt({ input: { name: 'x', dims: [2, 5] }, output: { name: 'y' }, outputType: 'int64', nodes: [{ op: 'ArgMax', inputs: ['x'], outputs: ['y'], attrs: { axis: 1 } }] });
    await checkAgainstOrt({
      input: { name: 'x', dims: [3, 4, 2] },
      output: { name: 'y' },
      outputType: 'int64',
      nodes: [{ op: 'ArgMax', inputs: ['x'], outputs: ['y'], attrs: { axis: 1, keepdims: 0 } }],
    });
    // Ties: Relu makes many zeros, so first and last index differ.
    for (const last of [0, 1]) {
      await checkAgainstOrt({
        input: { name: 'x', dims: [4, 6] },
        output: { name: 'y' },
        outputType: 'int64',
        nodes: [
          { op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['c'] },
          { op: 'ArgMax', inputs: ['c'], outputs: ['y'], attrs: { axis: -1, select_last_index: last } },
        ],
        initializers: [
          { name: 'lo', dims: [], values: [-0.5] },
          { name: 'hi', dims: [], values: [0.5] },
        ],
      });
    }
  });

  it('Softmax or LogSoftmax then a final ArgMax along the same axis: the ArgMax of the logits is proven', async () => {
    for (const op of ['Softmax', 'LogSoftmax']) {
      for (const [opset, axis] of [
        [13, 1],
        [11, 1],
        [13, -1],
      ] as const) {
        const graph = await checkAgainstOrt({
          input: { name: 'x', dims: [3, 5] },
          output: { name: 'y' },
          outputType: 'int64',
          opset,
          nodes: [
            { op: 'MatMul', inputs: ['x', 'W'], outputs: ['z'] },
            { op, inputs: ['z'], outputs: ['p'], attrs: { axis } },
            { op: 'ArgMax', inputs: ['p'], outputs: ['y'], attrs: { axis: 1, keepdims: 0 } },
          ],
          initializers: [{ name: 'W', dims: [5, 5], values: w(25) }],
        });
        expect(graph.nodes.map((n) => n.kind)).toEqual(['linear', 'argMax']);
      }
    }
    // along another axis the Softmax changes the order: still refused
    const other = buildModel({
      input: { name: 'x', dims: [3, 5] },
      output: { name: 'y' },
      outputType: 'int64',
      nodes: [
        { op: 'Softmax', inputs: ['x'], outputs: ['p'], attrs: { axis: 0 }, name: 'sm' },
        { op: 'ArgMax', inputs: ['p'], outputs: ['y'], attrs: { axis: 1 } },
      ],
    });
    expect(() => importOnnx(other, { file: 'o.onnx' })).toThrow('o.onnx: node 0 "sm" (Softmax): Softmax is supported only as the model\'s final step');
  });

  it('ArgMax only as the final step', () => {
    const bytes = buildModel({
      input: { name: 'x', dims: [2, 5] },
      output: { name: 'y' },
      nodes: [
        { op: 'ArgMax', inputs: ['x'], outputs: ['a'], attrs: { axis: 1 } },
        { op: 'Relu', inputs: ['a'], outputs: ['y'] },
      ],
    });
    expect(() => importOnnx(bytes, { file: 'a.onnx' })).toThrow('a.onnx: node 0 "argmax_0" (ArgMax): ArgMax is supported only as the model\'s final step');
  });
});
