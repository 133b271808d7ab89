/**
 * Private weights (`--weights hashed`) keep only dense and convolution weights private: a
 * node with other model constants is refused, naming the node and the constant, as its
 * operator module describes it (FixedOp.publicConstants).
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { intervalRanges } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import { weightSegments } from '../../src/quant/weights.js';
import { buildModel, randomArray, rng, type NodeSpec, type TensorSpec } from '../helpers/onnx-builder.js';

/** Gemm [1, 4] → [1, 3], then `tail` reading `z` and writing `y`. */
function model(tail: NodeSpec[], extra: (TensorSpec & { name: string })[] = []) {
  const r = rng(7);
  const graph = optimize(
    importOnnx(
      buildModel({
        input: { name: 'x', dims: [1, 4] },
        output: { name: 'y' },
        nodes: [{ op: 'Gemm', inputs: ['x', 'W', 'B'], outputs: ['z'], attrs: { transB: 1 } }, ...tail],
        initializers: [{ name: 'W', dims: [3, 4], values: randomArray(r, 12, -1, 1) }, { name: 'B', dims: [3], values: randomArray(r, 3, -0.1, 0.1) }, ...extra],
      }),
    ),
  );
  return quantize(graph, intervalRanges(graph));
}

const refusal = (node: string, what: string) => `${node}: --weights hashed keeps only dense and convolution (Gemm, MatMul, Conv) weights private; this node has ${what}`;

describe('weightSegments', () => {
  it('gives the weight and bias segments of a dense layer', () => {
    const segments = weightSegments(model([{ op: 'Relu', inputs: ['z'], outputs: ['y'] }]), 8);
    expect(segments.map((s) => [s.node, s.tensor, s.count])).toEqual([
      [0, 'weight', 12],
      [0, 'bias', 3],
    ]);
  });

  it('refuses a constant operand, a constant part, per-channel slopes, a constant Where branch', () => {
    const cases: [NodeSpec[], (TensorSpec & { name: string })[], string][] = [
      [
        [
          { op: 'Relu', inputs: ['z'], outputs: ['r'] },
          { op: 'Add', inputs: ['r', 'C'], outputs: ['y'], name: 'add' },
        ],
        [{ name: 'C', dims: [3], values: [0.5, -0.25, 1] }],
        refusal('node 2 "add" (Add)', 'a constant operand (it would be a circuit constant)'),
      ],
      [
        [
          { op: 'Relu', inputs: ['z'], outputs: ['r'] },
          { op: 'Concat', inputs: ['r', 'C'], outputs: ['y'], name: 'cat', attrs: { axis: 1 } },
        ],
        [{ name: 'C', dims: [1, 2], values: [0.5, -0.25] }],
        refusal('node 2 "cat" (Concat)', 'a constant part (it would be a circuit constant)'),
      ],
      [
        [{ op: 'PRelu', inputs: ['z', 'S'], outputs: ['y'], name: 'prelu' }],
        [{ name: 'S', dims: [3], values: [0.1, 0.2, 0.3] }],
        refusal('node 1 "prelu" (PRelu)', 'per-channel slopes (PRelu; they would be circuit constants)'),
      ],
      [
        [
          { op: 'Relu', inputs: ['z'], outputs: ['r'] },
          { op: 'Where', inputs: ['M', 'r', 'C'], outputs: ['y'], name: 'where' },
        ],
        [
          { name: 'M', dims: [3], values: [1, 0, 1], type: 'uint8' },
          { name: 'C', dims: [3], values: [0.5, -0.25, 1] },
        ],
        refusal('node 2 "where" (Where)', 'a constant part (it would be a circuit constant)'),
      ],
    ];
    for (const [tail, extra, message] of cases) expect(() => weightSegments(model(tail, extra), 8), message).toThrow(new RangeError(message));
  });
});
