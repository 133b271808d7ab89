/**
 * Dataset commitments against roots computed independently in Python
 * (scripts/make_provenance_fixtures.py) over small IDX, NPY and JSONL fixtures: determinism,
 * sensitivity to any sample or contributor change, and one-line refusals of bad maps and data.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { commitDataset, walkCommittedDataset } from '../../src/provenance/commitment.js';
import { parseContributorMap, readContributorMap } from '../../src/provenance/contributors.js';
import { canonicalJson } from '../../src/shared/hash.js';

const FIX = new URL('../fixtures/provenance/', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8'));
const tensorMap = readContributorMap(join(FIX, 'contributors.json'));
const fieldMap = readContributorMap(join(FIX, 'contributors-field.json'));
const work = mkdtempSync(join(tmpdir(), 'zkinfer-commit-'));

/** A copy of the IDX training split with one byte of the (decompressed) images changed. */
function idxCopy(name: string, edit?: (images: Buffer, labels: Buffer) => void): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const images = gunzipSync(readFileSync(join(FIX, 'idx/train-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(join(FIX, 'idx/train-labels-idx1-ubyte.gz')));
  edit?.(images, labels);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(images));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), labels);
  return dir;
}

describe('dataset commitment', () => {
  it('IDX (gzipped, Fashion-MNIST layout) matches the independently computed root and counts', async () => {
    const c = await commitDataset(join(FIX, 'idx'), tensorMap, { split: 'train' });
    expect(c.root).toBe(expected.tensor.root);
    expect(c.leafCount).toBe(48);
    expect(c.contributors).toEqual([
      { id: 'atelier-a', name: 'Atelier A', leaves: expected.tensor.counts['atelier-a'] },
      { id: 'studio-b', name: 'Studio B', leaves: expected.tensor.counts['studio-b'] },
    ]);
    expect(c.source).toEqual({ kind: 'idx', split: 'train', files: ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'] });
    expect(c.sampleEncoding).toBe('zkinfer.sample.tensor/1');
  });

  it('the same samples as NPY (int64 labels) give the same root; so does an uncompressed IDX copy', async () => {
    const npy = await commitDataset(join(FIX, 'npy'), tensorMap);
    expect(npy.root).toBe(expected.tensor.root);
    expect(npy.source.kind).toBe('npy');
    const plain = await commitDataset(idxCopy('plain'), tensorMap);
    expect(plain.root).toBe(expected.tensor.root);
  });

  it('JSONL with contributors named by a field matches the independently computed root', async () => {
    const c = await commitDataset(join(FIX, 'samples.jsonl'), fieldMap);
    expect(c.root).toBe(expected.json.root);
    expect(c.leafCount).toBe(12);
    expect(Object.fromEntries(c.contributors.map((x) => [x.id, x.leaves]))).toEqual(expected.json.counts);
  });

  it('is deterministic: two runs give the same canonical file', async () => {
    const a = await commitDataset(join(FIX, 'idx'), tensorMap, { split: 'train', name: 'fixture' });
    const b = await commitDataset(join(FIX, 'idx'), tensorMap, { split: 'train', name: 'fixture' });
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('changes with any pixel, any label, any sample order and any contributor assignment', async () => {
    const roots = new Set<string>([expected.tensor.root]);
    const add = async (dir: string, map = tensorMap) => {
      const c = await commitDataset(dir, map, { split: 'train' });
      expect(roots.has(c.root)).toBe(false);
      roots.add(c.root);
    };
    await add(idxCopy('pixel', (img) => (img[16 + 47 * 16 + 15] ^= 1))); // last pixel of the last sample
    await add(idxCopy('label', (_img, lbl) => (lbl[8 + 5] = (lbl[8 + 5]! + 1) % 3)));
    await add(
      idxCopy('swap', (img) => {
        const a = Buffer.from(img.subarray(16, 32));
        img.copy(img, 16, 32, 48);
        a.copy(img, 32);
      }),
    );
    const moved = parseContributorMap(
      {
        ...tensorMap,
        assign: [
          { from: 0, to: 21, contributor: 'atelier-a' },
          { from: 21, to: 36, contributor: 'studio-b' },
          { from: 36, to: 48, contributor: 'atelier-a' },
        ],
      },
      'moved.json',
    );
    await add(join(FIX, 'idx'), { ...moved });
    const renamed = parseContributorMap(
      {
        ...tensorMap,
        contributors: [{ id: 'studio-b' }, { id: 'atelier-z' }],
        assign: (tensorMap.assign as any[]).map((r: any) => ({ ...r, contributor: r.contributor === 'atelier-a' ? 'atelier-z' : r.contributor })),
      },
      'renamed.json',
    );
    await add(join(FIX, 'idx'), renamed);
  });

  it('a JSONL sample change (one value, one label) changes the root; its id does not', async () => {
    const lines = readFileSync(join(FIX, 'samples.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const write = (name: string, rows: any[]) => {
      const p = join(work, name);
      writeFileSync(p, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      return p;
    };
    const value = structuredClone(lines);
    value[3].input[0][0][1][2] = 0.5;
    const label = structuredClone(lines);
    label[11].label = (label[11].label + 1) % 3;
    const ids = structuredClone(lines).map((r: any, i: number) => ({ ...r, id: `other-${i}` }));
    const who = structuredClone(lines);
    who[0].who = 'ben';
    expect((await commitDataset(write('value.jsonl', value), fieldMap)).root).not.toBe(expected.json.root);
    expect((await commitDataset(write('label.jsonl', label), fieldMap)).root).not.toBe(expected.json.root);
    expect((await commitDataset(write('who.jsonl', who), fieldMap)).root).not.toBe(expected.json.root);
    expect((await commitDataset(write('ids.jsonl', ids), fieldMap)).root).toBe(expected.json.root);
  });

  it('walking the data again checks it against the commitment and names a mismatch', async () => {
    const c = await commitDataset(join(FIX, 'idx'), tensorMap, { split: 'train' });
    const hashes = await walkCommittedDataset(c, join(FIX, 'idx'), 'c.json');
    expect(hashes.slice(0, 3).map((h) => Buffer.from(h).toString('hex'))).toEqual(expected.tensor.leafHashes);
    const other = idxCopy('other', (img) => (img[20] ^= 1));
    await expect(walkCommittedDataset(c, other, 'c.json')).rejects.toThrow(
      new RegExp(`^${other}: does not match c\\.json \\(48 samples with root [0-9a-f]{16}…, committed: 48 with root ${expected.tensor.root.slice(0, 16)}…\\)$`),
    );
  });

  it('refuses maps that leave gaps, overlap, use undeclared ids, or do not fit the data', async () => {
    const base = { format: 'zkinfer.contributors/1', contributors: [{ id: 'a' }, { id: 'b' }] };
    expect(() =>
      parseContributorMap(
        {
          ...base,
          assign: [
            { from: 0, to: 10, contributor: 'a' },
            { from: 11, to: 48, contributor: 'b' },
          ],
        },
        'm.json',
      ),
    ).toThrow('m.json: "assign.1": range [11, 48) should start at 10 (ranges must be in order, contiguous from 0, without gaps or overlaps)');
    expect(() => parseContributorMap({ ...base, assign: [{ from: 0, to: 48, contributor: 'c' }] }, 'm.json')).toThrow('m.json: "assign.0.contributor": "c" is not declared in "contributors"');
    expect(() => parseContributorMap({ ...base, contributors: [{ id: 'a' }, { id: 'a' }], assign: [{ from: 0, to: 1, contributor: 'a' }] }, 'm.json')).toThrow(
      'm.json: "contributors.1.id": contributor "a" is declared twice',
    );
    expect(() => parseContributorMap({ ...base, contributors: [{ id: 'no spaces' }], assign: [{ from: 0, to: 1, contributor: 'a' }] }, 'm.json')).toThrow(
      'm.json: invalid contributor map at "contributors.0.id": expected a contributor id',
    );
    const short = parseContributorMap({ ...base, assign: [{ from: 0, to: 40, contributor: 'a' }] }, 'short.json');
    await expect(commitDataset(join(FIX, 'idx'), short, { split: 'train', mapSource: 'short.json' })).rejects.toThrow(
      `${join(FIX, 'idx')}: sample 40 has no contributor in short.json (its ranges end at 40)`,
    );
    const long = parseContributorMap({ ...base, assign: [{ from: 0, to: 50, contributor: 'a' }] }, 'long.json');
    await expect(commitDataset(join(FIX, 'idx'), long, { split: 'train', mapSource: 'long.json' })).rejects.toThrow(
      `long.json: ranges assign samples up to 50, but ${join(FIX, 'idx')} holds 48 samples`,
    );
    await expect(
      commitDataset(join(FIX, 'samples.jsonl'), parseContributorMap({ ...base, contributors: [{ id: 'ana' }], assign: { field: 'who' } }, 'f.json'), { mapSource: 'f.json' }),
    ).rejects.toThrow(`${join(FIX, 'samples.jsonl')}:2: contributor "ben" is not declared in f.json`);
  });

  it('a folder with two splits needs --split; a truncated file is named', async () => {
    await expect(commitDataset(join(FIX, 'idx'), tensorMap)).rejects.toThrow(`${join(FIX, 'idx')}: 2 splits here (t10k, train); choose one with --split`);
    const dir = join(work, 'trunc');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(FIX, 'idx/t10k-labels-idx1-ubyte'), join(dir, 't10k-labels-idx1-ubyte'));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), readFileSync(join(FIX, 'idx/t10k-images-idx3-ubyte')).subarray(0, 100));
    const six = parseContributorMap({ format: 'zkinfer.contributors/1', contributors: [{ id: 'a' }], assign: [{ from: 0, to: 6, contributor: 'a' }] }, 'six.json');
    await expect(commitDataset(dir, six)).rejects.toThrow(`${join(dir, 't10k-images-idx3-ubyte')}: truncated: sample 5 needs 16 bytes at offset 96, only 4 left`);
  });
});
