import { describe, it } from 'vitest';
import { randomArray, rng, type ModelSpec, type NodeSpec } from '../helpers/onnx-builder.js';
import { ortChecker } from '../helpers/ort-check.js';

/** Imports the model, runs it in the float executor and in onnxruntime on random inputs, and compares. */
const checkAgainstOrt = ortChecker({ trials: 3, seed: 42, range: [-2, 2], graphs: 'imported' });

const r = rng(7);
const w = (n: number) => randomArray(r, n);

describe('ops against onnxruntime', () => {
  it('Gemm: plain, transB, alpha/beta, vector bias, scalar bias', async () => {
    const variants: NonNullable<NodeSpec['attrs']>[] = [{}, { transB: 1 }, { alpha: { float: 0.5 }, beta: { float: 2 }, transB: 1 }, { alpha: { float: -1.5 } }];
    for (const attrs of variants) {
      const transB = attrs.transB === 1;
      await checkAgainstOrt({
        input: { name: 'x', dims: [2, 5] },
        output: { name: 'y' },
        nodes: [{ op: 'Gemm', inputs: ['x', 'W', 'b'], outputs: ['y'], attrs }],
        initializers: [
          { name: 'W', dims: transB ? [3, 5] : [5, 3], values: w(15) },
          { name: 'b', dims: [3], values: w(3) },
        ],
      });
    }
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 4] },
      output: { name: 'y' },
      nodes: [{ op: 'Gemm', inputs: ['x', 'W', 'c'], outputs: ['y'], attrs: { beta: { float: 0.25 } } }],
      initializers: [
        { name: 'W', dims: [4, 2], values: w(8) },
        { name: 'c', dims: [1], values: [1.5] },
      ],
    });
  });

  it('Gemm: transA on a vector, no bias', async () => {
    await checkAgainstOrt({
      input: { name: 'x', dims: [4, 1] },
      output: { name: 'y' },
      nodes: [{ op: 'Gemm', inputs: ['x', 'W'], outputs: ['y'], attrs: { transA: 1 } }],
      initializers: [{ name: 'W', dims: [4, 3], values: w(12) }],
    });
  });

  it('MatMul on 2-D and 3-D inputs, typed (non-raw) weights', async () => {
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 6] },
      output: { name: 'y' },
      nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] }],
      initializers: [{ name: 'W', dims: [6, 4], values: w(24), raw: false }],
    });
    await checkAgainstOrt({
      input: { name: 'x', dims: [2, 3, 4] },
      output: { name: 'y' },
      nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] }],
      initializers: [{ name: 'W', dims: [4, 5], values: w(20) }],
    });
  });

  it('Add with broadcast constants on either side, and constant folding', async () => {
    await checkAgainstOrt({
      input: { name: 'x', dims: [2, 3] },
      output: { name: 'y' },
      nodes: [
        { op: 'Add', inputs: ['c1', 'c2'], outputs: ['c'] },
        { op: 'Add', inputs: ['c', 'x'], outputs: ['t'] },
        { op: 'Add', inputs: ['t', 'd'], outputs: ['y'] },
      ],
      initializers: [
        { name: 'c1', dims: [3], values: w(3) },
        { name: 'c2', dims: [1], values: w(1) },
        { name: 'd', dims: [2, 1], values: w(2) },
      ],
    });
  });

  it('Relu, Identity, Constant', async () => {
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 8] },
      output: { name: 'y' },
      nodes: [
        { op: 'Constant', inputs: [], outputs: ['k'], attrs: { value: { tensor: { dims: [8], values: w(8) } } } },
        { op: 'Identity', inputs: ['x'], outputs: ['i'] },
        { op: 'Add', inputs: ['i', 'k'], outputs: ['s'] },
        { op: 'Relu', inputs: ['s'], outputs: ['y'] },
      ],
    });
  });

  it('Flatten with axis 1, 2 and −1', async () => {
    for (const axis of [1, 2, -1, 0]) {
      await checkAgainstOrt({
        input: { name: 'x', dims: [1, 2, 3, 2] },
        output: { name: 'y' },
        nodes: [
          { op: 'Flatten', inputs: ['x'], outputs: ['f'], attrs: { axis } },
          { op: 'Relu', inputs: ['f'], outputs: ['y'] },
        ],
      });
    }
  });

  it('Reshape with 0 and −1, Squeeze and Unsqueeze (input axes, opset 13)', async () => {
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 2, 6] },
      output: { name: 'y' },
      nodes: [
        { op: 'Reshape', inputs: ['x', 's'], outputs: ['r'] },
        { op: 'Unsqueeze', inputs: ['r', 'ua'], outputs: ['u'] },
        { op: 'Squeeze', inputs: ['u', 'sa'], outputs: ['q'] },
        { op: 'MatMul', inputs: ['q', 'W'], outputs: ['y'] },
      ],
      initializers: [
        { name: 's', dims: [3], values: [0, -1, 3], type: 'int64' },
        { name: 'ua', dims: [1], values: [-1], type: 'int64' },
        { name: 'sa', dims: [1], values: [3], type: 'int64' },
        { name: 'W', dims: [3, 2], values: w(6) },
      ],
    });
  });

  it('Squeeze and Unsqueeze with attribute axes (opset 11)', async () => {
    await checkAgainstOrt({
      input: { name: 'x', dims: [1, 4] },
      output: { name: 'y' },
      opset: 11,
      nodes: [
        { op: 'Unsqueeze', inputs: ['x'], outputs: ['u'], attrs: { axes: [0, 3] } },
        { op: 'Squeeze', inputs: ['u'], outputs: ['s'], attrs: { axes: [0] } },
        { op: 'Squeeze', inputs: ['s'], outputs: ['y'] },
      ],
    });
  });

  it('Softmax: default axis at opset 13 and opset 11 (2-D coercion), explicit axis', async () => {
    await checkAgainstOrt({ input: { name: 'x', dims: [2, 3, 4] }, output: { name: 'y' }, nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'] }] });
    await checkAgainstOrt({ input: { name: 'x', dims: [2, 3, 4] }, output: { name: 'y' }, opset: 11, nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'] }] });
    await checkAgainstOrt({ input: { name: 'x', dims: [2, 3, 4] }, output: { name: 'y' }, nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 1 } }] });
  });

  it('Shape of a value of static shape is a constant (with start/end from opset 15), as a Reshape target', async () => {
    await checkAgainstOrt({
      input: { name: 'x', dims: [2, 3, 4] },
      output: { name: 'y' },
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Flatten', inputs: ['r'], outputs: ['f'] },
        { op: 'Shape', inputs: ['r'], outputs: ['s'] },
        { op: 'Reshape', inputs: ['f', 's'], outputs: ['y'] },
      ],
    });
    await checkAgainstOrt({
      input: { name: 'x', dims: [2, 3, 4] },
      output: { name: 'y' },
      opset: 15,
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'], attrs: { start: -2, end: 10 } },
        { op: 'Concat', inputs: ['m1', 's'], outputs: ['t'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 't'], outputs: ['y'] },
      ],
      initializers: [{ name: 'm1', dims: [1], values: [-1], type: 'int64' }],
    });
  });

  it('Dropout in inference is the identity: opset 10 (ratio attribute, unused mask), opset 13 (ratio input or none, no training_mode)', async () => {
    const mlp = (opset: number, dropout: NodeSpec, extra: NonNullable<ModelSpec['initializers']> = []): ModelSpec => ({
      input: { name: 'x', dims: [1, 4] },
      output: { name: 'y' },
      opset,
      nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['h'] }, dropout, { op: 'Relu', inputs: ['d'], outputs: ['y'] }],
      initializers: [{ name: 'W', dims: [4, 3], values: w(12) }, ...extra],
    });
    await checkAgainstOrt(mlp(10, { op: 'Dropout', inputs: ['h'], outputs: ['d', 'mask'], attrs: { ratio: { float: 0.3 } } }));
    await checkAgainstOrt(mlp(13, { op: 'Dropout', inputs: ['h', 'ratio'], outputs: ['d'] }, [{ name: 'ratio', dims: [], values: [0.3] }]));
    await checkAgainstOrt(mlp(13, { op: 'Dropout', inputs: ['h'], outputs: ['d'] }));
  });

  it('LogSoftmax (PyTorch log_softmax): default axis at opset 13 and opset 11 (2-D coercion), explicit axis', async () => {
    await checkAgainstOrt({ input: { name: 'x', dims: [2, 3, 4] }, output: { name: 'y' }, nodes: [{ op: 'LogSoftmax', inputs: ['x'], outputs: ['y'] }] });
    await checkAgainstOrt({ input: { name: 'x', dims: [2, 3, 4] }, output: { name: 'y' }, opset: 11, nodes: [{ op: 'LogSoftmax', inputs: ['x'], outputs: ['y'] }] });
    await checkAgainstOrt({ input: { name: 'x', dims: [2, 3, 4] }, output: { name: 'y' }, nodes: [{ op: 'LogSoftmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 1 } }] });
  });
});
