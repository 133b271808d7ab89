/**
 * Steps that compute nothing: a Clip with neither bound is an identity (no IR node, no
 * rescale), and a model whose proven part is its input (a lone Clip without bounds, a lone
 * Softmax, a Clip whose bounds lie outside the calibrated range) is refused by compile with
 * one line naming the file, not a crash inside the circuit emitter.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile/compile.js';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { runFloat } from '../../src/ir/float-exec.js';
import { intervalRanges } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import { CompileError, OnnxImportError } from '../../src/shared/errors.js';
import { buildModel, randomArray, rng, runOrt, type NodeSpec } from '../helpers/onnx-builder.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'zkinfer-identity-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const r = rng(8);
const W1 = randomArray(r, 12);
const W2 = randomArray(r, 8);

/** Gemm(3→4) → middle → Gemm(4→2). */
function mlp(middle: NodeSpec[], opset = 13): Uint8Array {
  return buildModel({
    input: { name: 'x', dims: [1, 3] },
    output: { name: 'y' },
    opset,
    nodes: [
      { op: 'Gemm', inputs: ['x', 'W1', 'b1'], outputs: ['h'], attrs: { transB: 1 } },
      ...middle,
      { op: 'Gemm', inputs: [middle.length ? middle[middle.length - 1]!.outputs[0]! : 'h', 'W2', 'b2'], outputs: ['y'], attrs: { transB: 1 } },
    ],
    initializers: [
      { name: 'W1', dims: [4, 3], values: W1 },
      { name: 'b1', dims: [4], values: [0.1, -0.2, 0.3, -0.1] },
      { name: 'W2', dims: [2, 4], values: W2 },
      { name: 'b2', dims: [2], values: [0.05, -0.05] },
    ],
  });
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(work, name);
  writeFileSync(path, bytes);
  return path;
}

describe('Clip with neither min nor max', () => {
  it('is an identity: no IR node, the same quantized model as without it, onnxruntime’s output', async () => {
    const plain = quantize(optimize(importOnnx(mlp([]))), intervalRanges(optimize(importOnnx(mlp([]))), [-1, 1]));
    const cases: Array<[number, NodeSpec]> = [
      [13, { op: 'Clip', inputs: ['h'], outputs: ['c'] }],
      [13, { op: 'Clip', inputs: ['h', '', ''], outputs: ['c'] }],
      [9, { op: 'Clip', inputs: ['h'], outputs: ['c'] }],
    ];
    for (const [opset, clip] of cases) {
      const bytes = mlp([clip], opset);
      const graph = optimize(importOnnx(bytes));
      expect(graph.nodes.map((n) => n.kind)).toEqual(['linear', 'linear']);
      const x = Float32Array.of(0.5, -0.75, 0.25);
      const expected = await runOrt(bytes, x, [1, 3]);
      Array.from(runFloat(graph, Float64Array.from(x))).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
      const q = quantize(graph, intervalRanges(graph, [-1, 1]));
      // the same steps (only the ONNX node indices they cite differ)
      const steps = (nodes: typeof q.nodes) => nodes.map(({ source, ...step }) => ({ ...step, op: source.opType }));
      expect(steps(q.nodes)).toEqual(steps(plain.nodes));
    }
  });

  it('alone, it leaves nothing to prove: compile refuses with one line', async () => {
    const path = write('clip-only.onnx', buildModel({ input: { name: 'x', dims: [1, 3] }, output: { name: 'y' }, nodes: [{ op: 'Clip', inputs: ['x'], outputs: ['y'] }] }));
    await expect(compileModel(path, { outDir: join(work, 'clip-only'), skipSetup: true })).rejects.toThrow(new OnnxImportError(`${path}: the output is the input itself; nothing to prove`));
  });
});

describe('a model whose quantized form is its input', () => {
  const message = (path: string) =>
    `${path}: after quantization the model's output is its input (a final Softmax is applied outside the circuit; Clip bounds outside the input's range are dropped); nothing to prove`;

  it('a lone Softmax: compile refuses with one line naming the file', async () => {
    const path = write('softmax-only.onnx', buildModel({ input: { name: 'x', dims: [1, 3] }, output: { name: 'y' }, nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'] }] }));
    await expect(compileModel(path, { outDir: join(work, 'softmax-only'), skipSetup: true })).rejects.toThrow(new CompileError(message(path)));
  });

  it('a lone Clip whose bounds lie outside the input range: compile refuses with one line', async () => {
    const path = write(
      'clip-wide.onnx',
      buildModel({
        input: { name: 'x', dims: [1, 3] },
        output: { name: 'y' },
        nodes: [{ op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }],
        initializers: [
          { name: 'lo', dims: [], values: [-5] },
          { name: 'hi', dims: [], values: [5] },
        ],
      }),
    );
    // without calibration, inputs are assumed in [-1, 1]: both bounds are dropped
    await expect(compileModel(path, { outDir: join(work, 'clip-wide'), skipSetup: true })).rejects.toThrow(new CompileError(message(path)));
  });
});
