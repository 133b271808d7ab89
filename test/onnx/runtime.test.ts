/**
 * OrtModel on graphs exported with a fixed batch: any number of rows runs, each row's output
 * equals what onnxruntime computes for that row inside a full batch (an onnxruntime session
 * made here, not OrtModel), and a graph whose rows cannot be told apart is refused in one line.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OrtModel } from '../../src/onnx/runtime.js';
import { ZkinferError } from '../../src/shared/errors.js';
import { buildModel, randomArray, rng } from '../helpers/onnx-builder.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/models/${name}`, import.meta.url));

/** onnxruntime directly, on exactly the declared shape. */
async function direct(bytes: Uint8Array, x: number[], dims: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(x), dims) });
    return Array.from(out[session.outputNames[0]!]!.data as Float32Array);
  } finally {
    await session.release();
  }
}

describe('OrtModel on a fixed-batch graph (mlp_batch4: input [4,3,2,2] → [4,3])', () => {
  const bytes = fixture('mlp_batch4.onnx');
  const x = randomArray(rng(5), 4 * 12);

  it('knows the declared shape and batch', async () => {
    const m = await OrtModel.load(bytes);
    try {
      expect(m.inputShape).toEqual([4, 3, 2, 2]);
      expect(m.fixedBatch).toBe(4);
    } finally {
      await m.close();
    }
    const dynamic = await OrtModel.load(fixture('keras_like_mlp.onnx'));
    expect(dynamic.fixedBatch).toBeUndefined();
    await dynamic.close();
  });

  it('runs one row, and 1 to 9 rows, giving each row what the full batch gives it', async () => {
    const full = await direct(bytes, x, [4, 3, 2, 2]);
    const m = await OrtModel.load(bytes);
    try {
      for (let row = 0; row < 4; row++) {
        expect(Array.from(await m.run(x.slice(row * 12, (row + 1) * 12), [1, 3, 2, 2]))).toEqual(full.slice(row * 3, (row + 1) * 3));
      }
      expect(Array.from(await m.run(x, [4, 3, 2, 2]))).toEqual(full);
      // 9 rows: two full chunks and one chunk of 1 (filled up); rows repeat the batch's four
      const nine = Array.from({ length: 9 }, (_, r) => x.slice((r % 4) * 12, ((r % 4) + 1) * 12)).flat();
      const got = Array.from(await m.run(nine, [9, 3, 2, 2]));
      expect(got).toEqual(Array.from({ length: 9 }, (_, r) => full.slice((r % 4) * 3, ((r % 4) + 1) * 3)).flat());
    } finally {
      await m.close();
    }
  });

  it('names the file and the reason when onnxruntime refuses an input', async () => {
    const m = await OrtModel.load(bytes, { file: 'mlp_batch4.onnx' });
    try {
      await expect(m.run(x.slice(0, 10), [1, 10])).rejects.toThrow(
        new ZkinferError(
          'mlp_batch4.onnx: onnxruntime failed to run the model on an input of shape [4, 10]: Invalid rank for input: input Got: 2 Expected: 4 Please fix either the inputs/outputs or the model.',
        ),
      );
    } finally {
      await m.close();
    }
  });

  it('refuses a graph whose output does not keep the batch as its first dimension', async () => {
    // Flatten(axis 0) of [2,3] gives [1,6]: the rows are mixed into one
    const flat = buildModel({ input: { name: 'x', dims: [2, 3] }, output: { name: 'y', dims: [1, 6] }, nodes: [{ op: 'Flatten', inputs: ['x'], outputs: ['y'], attrs: { axis: 0 } }] });
    const m = await OrtModel.load(flat, { file: 'flat.onnx' });
    try {
      await expect(m.run([1, 2, 3], [1, 3])).rejects.toThrow(
        new ZkinferError('flat.onnx: output "y" has shape [1, 6], whose first dimension is not the graph\'s fixed batch 2; cannot run 1 row(s) on it'),
      );
    } finally {
      await m.close();
    }
  });
});
