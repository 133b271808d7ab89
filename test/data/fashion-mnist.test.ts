/**
 * The Fashion-MNIST reader against the Debian package `dataset-fashion-mnist`. The package
 * is required (CI installs it): when it is missing these tests fail with the reader's
 * InputError, which names `apt-get install dataset-fashion-mnist`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FASHION_MNIST_PIXELS,
  findFashionMnistFiles,
  loadFashionMnist,
  loadFashionMnistSync,
  parseIdx,
  type FashionMnistData,
} from '../../src/data/fashion-mnist.js';
import { InputError } from '../../src/shared/errors.js';

const EXAMPLE_DIR = new URL('../../examples/fashion-mnist/', import.meta.url);
const readJson = (name: string): any => JSON.parse(readFileSync(new URL(name, EXAMPLE_DIR), 'utf8'));
const readJsonl = (name: string): any[] =>
  readFileSync(new URL(name, EXAMPLE_DIR), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

function idx(dims: number[], data: number[]): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

describe('Fashion-MNIST test split (Debian dataset-fashion-mnist)', () => {
  let test: FashionMnistData;
  beforeAll(async () => {
    test = await loadFashionMnist('test');
  });

  it('has 10000 images of 784 values in [0,1] and labels in 0..9', () => {
    expect(test.images.length).toBe(10000);
    expect(test.labels.length).toBe(10000);
    const counts = new Array(10).fill(0);
    for (const l of test.labels) {
      expect(l).toBeGreaterThanOrEqual(0);
      expect(l).toBeLessThanOrEqual(9);
      counts[l]++;
    }
    expect(counts).toEqual(new Array(10).fill(1000)); // Fashion-MNIST's test split is balanced
    for (const img of [test.images[0]!, test.images[9999]!]) {
      expect(img).toBeInstanceOf(Float32Array);
      expect(img.length).toBe(FASHION_MNIST_PIXELS);
      for (const v of img) expect(v >= 0 && v <= 1).toBe(true);
    }
  });

  it('matches examples/fashion-mnist/input.json (test image 0) and inputs.jsonl', () => {
    const example = readJson('input.json');
    const samples = readJsonl('inputs.jsonl');
    expect(samples.length).toBe(16);
    const checks: Array<{ id: string; label: number; input: number[][][][] }> = [
      { id: example.id ?? 'test-0', label: example.label, input: example.input },
      ...samples,
    ];
    for (const s of checks) {
      const i = Number(/^test-(\d+)$/.exec(s.id)![1]);
      expect(s.label).toBe(test.labels[i]);
      const flat = s.input.flat(3);
      expect(flat.length).toBe(FASHION_MNIST_PIXELS);
      const img = test.images[i]!;
      for (let k = 0; k < flat.length; k++) expect(Math.abs(flat[k]! - img[k]!)).toBeLessThanOrEqual(5e-5 + 1e-7);
    }
  });

  it('the example model reaches its recorded test accuracy on the full split (onnxruntime)', async () => {
    const provenance = readJson('provenance.json');
    const session = await ort.InferenceSession.create(new URL('model.onnx', EXAMPLE_DIR).pathname, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
    try {
      let correct = 0;
      for (let i = 0; i < test.images.length; i++) {
        const out = await session.run({ input: new ort.Tensor('float32', test.images[i]!, [1, 1, 28, 28]) });
        const logits = out.logits!.data as Float32Array;
        let best = 0;
        for (let k = 1; k < logits.length; k++) if (logits[k]! > logits[best]!) best = k;
        if (best === test.labels[i]) correct++;
      }
      expect(Math.abs(correct / test.images.length - provenance.testAccuracy)).toBeLessThanOrEqual(0.001);
    } finally {
      await session.release();
    }
  });
});

describe('Fashion-MNIST train split', () => {
  it('has 60000 labelled images; calibration.jsonl holds the first 256', () => {
    const train = loadFashionMnistSync('train');
    expect(train.images.length).toBe(60000);
    expect(train.labels.length).toBe(60000);
    const calib = readJsonl('calibration.jsonl');
    expect(calib.length).toBe(256);
    for (const [j, s] of calib.entries()) {
      expect(s.id).toBe(`train-${j}`);
      expect(s.label).toBe(train.labels[j]);
    }
    const flat = calib[255].input.flat(3) as number[];
    flat.forEach((v, k) => expect(Math.abs(v - train.images[255]![k]!)).toBeLessThanOrEqual(5e-5 + 1e-7));
  });

  it('limit reads only the first images', async () => {
    const few = await loadFashionMnist('train', { limit: 3 });
    expect(few.images.length).toBe(3);
    expect(few.labels.length).toBe(3);
  });
});

describe('IDX reading and path finding', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zkinfer-fmnist-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the Debian files by default', () => {
    const files = findFashionMnistFiles('test');
    expect(files.images).toMatch(/t10k-images-idx3-ubyte(\.gz)?$/);
    expect(files.labels).toMatch(/t10k-labels-idx1-ubyte(\.gz)?$/);
  });

  it('reports a missing package with an InputError naming apt-get install dataset-fashion-mnist', () => {
    let err: unknown;
    try {
      findFashionMnistFiles('test', join(dir, 'nope'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('apt-get install dataset-fashion-mnist');
  });

  it('reads plain and gzipped IDX files from an override directory', () => {
    const pixels = Array.from({ length: 2 * 784 }, (_, i) => i % 256);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx([2, 28, 28], pixels));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([2], [7, 0])));
    const data = loadFashionMnistSync('train', { dir });
    expect(Array.from(data.labels)).toEqual([7, 0]);
    expect(data.images[0]![255]).toBe(Math.fround(1));
    expect(data.images[1]![1]).toBe(Math.fround(((784 + 1) % 256) / 255));
  });

  it('rejects malformed IDX data', () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]))).toThrow(InputError);
    expect(() => parseIdx(idx([3], [1, 2]))).toThrow(/need 3 bytes/);
    expect(() => parseIdx(new Uint8Array([1, 2, 3, 4]))).toThrow(/bad magic/);
  });
});
