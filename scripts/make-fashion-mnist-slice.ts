/**
 * Writes the Fashion-MNIST slice committed in test/fixtures/fashion-mnist/: the first 100
 * test and the first 256 training images with their labels, as gzipped IDX files named as in
 * the Debian package `dataset-fashion-mnist` (upstream: github.com/zalandoresearch/fashion-mnist,
 * MIT licence), so the tests that need real images run on a machine without the package.
 * The bytes are the package's first records unchanged (only the header's count differs);
 * test/data/fashion-mnist.test.ts checks that against the package when it is installed.
 *
 *   npx tsx scripts/make-fashion-mnist-slice.ts [--from <dir>]   (default: the Debian path)
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { findFashionMnistFiles, parseIdx, type FashionMnistSplit } from '../src/data/fashion-mnist.js';

/** Images kept per split. */
const SLICE_COUNTS: Record<FashionMnistSplit, number> = { test: 100, train: 256 };

const OUT = resolve(fileURLToPath(import.meta.url), '../../test/fixtures/fashion-mnist');

/** An IDX file of unsigned bytes with the given dimensions. */
function idx(dims: number[], data: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

function write(path: string, bytes: Uint8Array): void {
  writeFileSync(`${path}.tmp`, gzipSync(bytes, { level: 9 }));
  renameSync(`${path}.tmp`, path);
}

const fromArg = process.argv.indexOf('--from');
const from = fromArg > 0 ? process.argv[fromArg + 1] : undefined;
mkdirSync(OUT, { recursive: true });
for (const split of ['test', 'train'] as const) {
  const files = findFashionMnistFiles(split, from);
  const n = SLICE_COUNTS[split];
  const images = parseIdx(readFileSync(files.images), files.images);
  const labels = parseIdx(readFileSync(files.labels), files.labels);
  const stem = (p: string) => p.replace(/^.*\//, '').replace(/\.gz$/, '');
  write(join(OUT, `${stem(files.images)}.gz`), idx([n, 28, 28], images.data.subarray(0, n * 784)));
  write(join(OUT, `${stem(files.labels)}.gz`), idx([n], labels.data.subarray(0, n)));
  console.log(`${split}: first ${n} of ${images.dims[0]} images from ${files.images}`);
}
