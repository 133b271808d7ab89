/**
 * The Fashion-MNIST reader and the examples' data files, against real Fashion-MNIST bytes.
 *
 * - Always: the committed slice in test/fixtures/fashion-mnist/ (the first 100 test and 256
 *   training images of the Debian package `dataset-fashion-mnist`, made by
 *   scripts/make-fashion-mnist-slice.ts) is read by the reader, and the examples' input.json,
 *   inputs.jsonl and calibration.jsonl are checked against it.
 * - With the package installed (CI installs it; see test/helpers/system-deps.ts): the full
 *   splits, the example model's recorded accuracy on the 10,000 test images, and that the
 *   slice is the package's first records byte for byte. Without it these are skipped with one
 *   line naming `apt-get install dataset-fashion-mnist`. $FASHION_MNIST_DIR moves the package
 *   path (set it to a missing folder to see the tests behave as on a machine without it).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_FASHION_MNIST_DIR,
  FASHION_MNIST_DIR_ENV,
  FASHION_MNIST_PIXELS,
  findFashionMnistFiles,
  loadFashionMnist,
  loadFashionMnistSync,
  parseIdx,
  type FashionMnistData,
} from '../../src/data/fashion-mnist.js';
import { InputError } from '../../src/shared/errors.js';
import { debianData, skipWithout, titled } from '../helpers/system-deps.js';

const SLICE_DIR = fileURLToPath(new URL('../fixtures/fashion-mnist/', import.meta.url));
const EXAMPLES = ['fashion-mnist', 'lenet'] as const;
const exampleDir = (name: string) => new URL(`../../examples/${name}/`, import.meta.url);
const readJson = (example: string, name: string): any => JSON.parse(readFileSync(new URL(name, exampleDir(example)), 'utf8'));
const readJsonl = (example: string, name: string): any[] =>
  readFileSync(new URL(name, exampleDir(example)), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

const PACKAGE_DIR = process.env[FASHION_MNIST_DIR_ENV] ?? DEFAULT_FASHION_MNIST_DIR;
const fashionMnist = debianData('dataset-fashion-mnist', PACKAGE_DIR);
const skipFull = skipWithout(fashionMnist);

function idx(dims: number[], data: number[]): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** Largest |a[k] − b[k]| (the sample files hold pixel/255 rounded to 4 decimals). */
function maxDiff(a: readonly number[], b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k]! - b[k]!));
  return max;
}

/** Index of the largest logit. */
function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k]! > values[best]!) best = k;
  return best;
}

/** Runs an example model in onnxruntime on every image; returns how many it labels right. */
async function correct(example: string, data: FashionMnistData): Promise<number> {
  const session = await ort.InferenceSession.create(fileURLToPath(new URL('model.onnx', exampleDir(example))), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    let right = 0;
    for (let i = 0; i < data.images.length; i++) {
      const out = await session.run({ input: new ort.Tensor('float32', data.images[i]!, [1, 1, 28, 28]) });
      if (argmax(out.logits!.data as Float32Array) === data.labels[i]) right++;
    }
    return right;
  } finally {
    await session.release();
  }
}

describe('the committed Fashion-MNIST slice (test/fixtures/fashion-mnist)', () => {
  let test: FashionMnistData;
  let train: FashionMnistData;
  beforeAll(async () => {
    test = await loadFashionMnist('test', { dir: SLICE_DIR });
    train = loadFashionMnistSync('train', { dir: SLICE_DIR });
  });

  it('holds the first 100 test and 256 training images: 784 values in [0,1], labels in 0..9', () => {
    expect(test.images.length).toBe(100);
    expect(train.images.length).toBe(256);
    for (const split of [test, train]) {
      expect(split.labels.length).toBe(split.images.length);
      for (const l of split.labels) expect(l >= 0 && l <= 9).toBe(true);
      for (const img of split.images) {
        expect(img).toBeInstanceOf(Float32Array);
        expect(img.length).toBe(FASHION_MNIST_PIXELS);
        expect(img.every((v) => v >= 0 && v <= 1)).toBe(true);
      }
    }
    expect(new Set(test.labels).size).toBe(10);
  });

  for (const example of EXAMPLES) {
    it(`matches examples/${example}/input.json (test image 0) and inputs.jsonl`, () => {
      const input = readJson(example, 'input.json');
      const samples = readJsonl(example, 'inputs.jsonl');
      expect(samples.length).toBe(16);
      const checks: Array<{ id: string; label: number; input: number[][][][] }> = [{ id: input.id ?? 'test-0', label: input.label, input: input.input }, ...samples];
      for (const s of checks) {
        const i = Number(/^test-(\d+)$/.exec(s.id)![1]);
        expect(s.label).toBe(test.labels[i]);
        const flat = s.input.flat(3);
        expect(flat.length).toBe(FASHION_MNIST_PIXELS);
        expect(maxDiff(flat, test.images[i]!)).toBeLessThanOrEqual(5e-5 + 1e-7);
      }
    });

    it(`examples/${example}/calibration.jsonl holds the first 256 training images`, () => {
      const calib = readJsonl(example, 'calibration.jsonl');
      expect(calib.length).toBe(256);
      for (const [j, s] of calib.entries()) {
        expect(s.id).toBe(`train-${j}`);
        expect(s.label).toBe(train.labels[j]);
        expect(maxDiff(s.input.flat(3), train.images[j]!)).toBeLessThanOrEqual(5e-5 + 1e-7);
      }
    });
  }

  it('the example models label at least 80 % of the 100 test images right (onnxruntime; 87.58 % and 89.66 % on the full split)', async () => {
    for (const example of EXAMPLES) expect(await correct(example, test)).toBeGreaterThanOrEqual(80);
  });

  it('limit reads only the first images', async () => {
    const few = await loadFashionMnist('train', { dir: SLICE_DIR, limit: 3 });
    expect(few.images.length).toBe(3);
    expect(few.labels.length).toBe(3);
    expect(Array.from(few.labels)).toEqual(Array.from(train.labels.subarray(0, 3)));
  });
});

describe.skipIf(skipFull)(titled('Fashion-MNIST full splits (Debian dataset-fashion-mnist)', fashionMnist, skipFull), () => {
  let test: FashionMnistData;
  beforeAll(async () => {
    test = await loadFashionMnist('test');
  });

  it('the test split has 10000 images of 784 values in [0,1] and labels in 0..9', () => {
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

  it('the example model reaches its recorded test accuracy on the full split (onnxruntime)', async () => {
    const provenance = readJson('fashion-mnist', 'provenance.json');
    expect(Math.abs((await correct('fashion-mnist', test)) / test.images.length - provenance.testAccuracy)).toBeLessThanOrEqual(0.001);
  });

  it('the train split has 60000 labelled images', () => {
    const train = loadFashionMnistSync('train');
    expect(train.images.length).toBe(60000);
    expect(train.labels.length).toBe(60000);
  });

  it('the committed slice is the first records of the package, byte for byte', () => {
    for (const split of ['test', 'train'] as const) {
      const full = findFashionMnistFiles(split);
      const slice = findFashionMnistFiles(split, SLICE_DIR);
      for (const kind of ['images', 'labels'] as const) {
        const a = parseIdx(readFileSync(slice[kind]), slice[kind]);
        const b = parseIdx(readFileSync(full[kind]), full[kind]);
        expect(a.dims.slice(1)).toEqual(b.dims.slice(1));
        expect(Buffer.from(a.data).equals(Buffer.from(b.data.subarray(0, a.data.length)))).toBe(true);
      }
    }
  });

  it('finds the Debian files by default', () => {
    const files = findFashionMnistFiles('test');
    expect(files.images).toMatch(/t10k-images-idx3-ubyte(\.gz)?$/);
    expect(files.labels).toMatch(/t10k-labels-idx1-ubyte(\.gz)?$/);
  });
});

describe('IDX reading and path finding', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zkinfer-fmnist-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
