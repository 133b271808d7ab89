/**
 * Reader for the Fashion-MNIST data set as shipped by the Debian package
 * `dataset-fashion-mnist` (IDX files, gzipped, under /usr/share/datasets/fashion-mnist).
 *
 * Preprocessing is the one the example model was trained with
 * (scripts/train_fashion_mnist.py): each pixel becomes float32(pixel / 255), a value in
 * [0, 1]; an image is 784 values in row-major order, i.e. the [1,1,28,28] model input
 * flattened. Nothing is downloaded.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../shared/errors.js';

/** Where the Debian package installs the files. */
export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Environment variable that overrides the default directory. */
export const FASHION_MNIST_DIR_ENV = 'FASHION_MNIST_DIR';

/** Install hint included in every "not found" error. */
export const FASHION_MNIST_INSTALL_HINT = 'apt-get install dataset-fashion-mnist';

/** Image height and width. */
export const FASHION_MNIST_SIDE = 28;
/** Values per image (28 × 28). */
export const FASHION_MNIST_PIXELS = FASHION_MNIST_SIDE * FASHION_MNIST_SIDE;

/** Class names by label (0..9). */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

export type FashionMnistSplit = 'train' | 'test';

/** A split: images (784 floats each, pixel/255) and their labels (0..9). */
export interface FashionMnistData {
  images: Float32Array[];
  labels: Uint8Array;
}

/** Paths of one split's two IDX files. */
export interface FashionMnistFiles {
  images: string;
  labels: string;
}

const STEMS: Record<FashionMnistSplit, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

function checkSplit(split: unknown): asserts split is FashionMnistSplit {
  if (split !== 'train' && split !== 'test') {
    throw new InputError(`expected a Fashion-MNIST split 'train' or 'test', got ${JSON.stringify(split)}`);
  }
}

/**
 * Finds the IDX files of a split. Looks in `dir` if given, else in $FASHION_MNIST_DIR if
 * set, else in /usr/share/datasets/fashion-mnist; accepts each file gzipped (`.gz`) or not.
 * @throws {InputError} naming `apt-get install dataset-fashion-mnist` when a file is missing
 */
export function findFashionMnistFiles(split: FashionMnistSplit, dir?: string): FashionMnistFiles {
  checkSplit(split);
  const base = dir ?? process.env[FASHION_MNIST_DIR_ENV] ?? DEFAULT_FASHION_MNIST_DIR;
  const find = (stem: string): string => {
    for (const name of [`${stem}.gz`, stem]) {
      const path = join(base, name);
      if (existsSync(path)) return path;
    }
    throw new InputError(`Fashion-MNIST ${split} data not found (no ${stem}.gz or ${stem} in ${base}); install it with: ${FASHION_MNIST_INSTALL_HINT}`, {
      details: `or pass a directory holding the IDX files, or set ${FASHION_MNIST_DIR_ENV}`,
    });
  };
  return { images: find(STEMS[split].images), labels: find(STEMS[split].labels) };
}

/** A decoded IDX file of unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Decodes an IDX file (gunzipping it first if it starts with the gzip magic). Only the
 * unsigned-byte type (0x08) is accepted, which is what (Fashion-)MNIST uses.
 * @throws {InputError} on a malformed file
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (cause) {
      throw new InputError(`${source}: corrupt gzip stream`, { cause });
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new InputError(`${source}: not an IDX file (bad magic)`);
  if (buf[2] !== 0x08) throw new InputError(`${source}: IDX element type 0x${buf[2]!.toString(16)} is not unsigned byte (0x08)`);
  const ndim = buf[3]!;
  const headerLen = 4 + 4 * ndim;
  if (ndim === 0 || buf.length < headerLen) throw new InputError(`${source}: truncated IDX header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length - headerLen !== count) {
    throw new InputError(`${source}: IDX dims [${dims.join(', ')}] need ${count} bytes, file has ${buf.length - headerLen}`);
  }
  return { dims, data: buf.subarray(headerLen, headerLen + count) };
}

/** float32(p / 255) for every byte value p. */
const PIXEL_TO_FLOAT = Float32Array.from({ length: 256 }, (_, p) => p / 255);

/** Converts 784 raw pixels to the model's input values (pixel / 255). */
export function normalizePixels(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = PIXEL_TO_FLOAT[pixels[i]!]!;
  return out;
}

/** Options for {@link loadFashionMnist}. */
export interface LoadFashionMnistOptions {
  /** Directory holding the IDX files (overrides $FASHION_MNIST_DIR and the Debian path). */
  dir?: string;
  /** Read only the first `limit` images. */
  limit?: number;
}

function decodeSplit(split: FashionMnistSplit, files: FashionMnistFiles, imageBytes: Uint8Array, labelBytes: Uint8Array, limit?: number): FashionMnistData {
  const img = parseIdx(imageBytes, files.images);
  const lbl = parseIdx(labelBytes, files.labels);
  if (img.dims.length !== 3 || img.dims[1] !== FASHION_MNIST_SIDE || img.dims[2] !== FASHION_MNIST_SIDE) {
    throw new InputError(`${files.images}: expected images of shape [N, 28, 28], got [${img.dims.join(', ')}]`);
  }
  if (lbl.dims.length !== 1 || lbl.dims[0] !== img.dims[0]) {
    throw new InputError(`Fashion-MNIST ${split}: ${img.dims[0]} images but labels of shape [${lbl.dims.join(', ')}]`);
  }
  const n = limit === undefined ? img.dims[0]! : Math.max(0, Math.min(limit, img.dims[0]!));
  const images: Float32Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    images[i] = normalizePixels(img.data.subarray(i * FASHION_MNIST_PIXELS, (i + 1) * FASHION_MNIST_PIXELS));
  }
  const labels = Uint8Array.from(lbl.data.subarray(0, n));
  for (let i = 0; i < n; i++) {
    if (labels[i]! > 9) throw new InputError(`${files.labels}: label ${labels[i]} at index ${i} is outside 0..9`);
  }
  return { images, labels };
}

/**
 * Reads a Fashion-MNIST split: `images[i]` holds 784 floats (pixel / 255, row-major),
 * `labels[i]` its class 0..9. Test: 10,000 images; train: 60,000.
 * @throws {InputError} when the package is not installed or a file is malformed
 */
export async function loadFashionMnist(split: FashionMnistSplit, options: LoadFashionMnistOptions = {}): Promise<FashionMnistData> {
  const files = findFashionMnistFiles(split, options.dir);
  const [imageBytes, labelBytes] = await Promise.all([readFile(files.images), readFile(files.labels)]);
  return decodeSplit(split, files, imageBytes, labelBytes, options.limit);
}

/** Synchronous {@link loadFashionMnist}. */
export function loadFashionMnistSync(split: FashionMnistSplit, options: LoadFashionMnistOptions = {}): FashionMnistData {
  const files = findFashionMnistFiles(split, options.dir);
  return decodeSplit(split, files, readFileSync(files.images), readFileSync(files.labels), options.limit);
}
