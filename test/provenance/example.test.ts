/**
 * The example model's signed provenance record (examples/fashion-mnist/provenance/) checks
 * on a fresh clone: signatures, the ONNX and training-script hashes, and agreement with the
 * committed contributor map, commitment, contributions and (public example) keys. When
 * Debian's dataset-fashion-mnist is installed, the commitment is recomputed from the data.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { commitDataset, readCommitment } from '../../src/provenance/commitment.js';
import { readContributorMap } from '../../src/provenance/contributors.js';
import { readKeyFile } from '../../src/provenance/keys.js';
import { readProvenanceRecord } from '../../src/provenance/record.js';
import { sha256File } from '../../src/shared/hash.js';

const EX = 'examples/fashion-mnist';
const DIR = join(EX, 'provenance');
const json = (name: string) => JSON.parse(readFileSync(join(DIR, name), 'utf8'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const datasetPresent = existsSync(join(DEFAULT_FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));

describe('examples/fashion-mnist signed provenance record', () => {
  it('checks against model.onnx, and names the training script as it is', () => {
    const check = readProvenanceRecord(join(DIR, 'record.json'), { onnx: { sha256: sha256File(join(EX, 'model.onnx')), name: 'model.onnx' } });
    expect(check.signed.map((s) => s.contributor)).toEqual(['example-a', 'example-b', 'example-c']);
    expect(check.unsigned).toEqual([]);
    expect(check.record.training.script).toEqual({ path: 'scripts/train_fashion_mnist.py', sha256: sha256File('scripts/train_fashion_mnist.py') });
    expect(check.record.training.hyperparameters).toEqual(JSON.parse(readFileSync(join(EX, 'provenance.json'), 'utf8')).training);
  });

  it('agrees with the committed map, commitment, contributions and example keys', () => {
    const record = json('record.json');
    const commitment = readCommitment(join(DIR, 'commitment.json'));
    const map = readContributorMap(join(DIR, 'contributors.json'));
    expect(commitment.leafCount).toBe(60000);
    expect(commitment.assign).toEqual(map.assign);
    expect(record.datasets).toEqual([{ name: 'fashion-mnist-train', root: commitment.root, leafCount: 60000, contributors: commitment.contributors }]);
    for (const c of record.contributions) expect(json(`contribution-${c.contributor}.json`)).toEqual(c);
    const trainer = readKeyFile(join(DIR, 'keys/EXAMPLE-trainer.key.json'));
    expect(hex(trainer.publicKey)).toBe(record.trainer.publicKey);
    for (const c of map.contributors) {
      const key = readKeyFile(join(DIR, `keys/EXAMPLE-${c.id.replace('example-', 'contributor-')}.key.json`));
      expect(hex(key.publicKey)).toBe(c.publicKey);
    }
    for (const name of ['trainer', 'contributor-a', 'contributor-b', 'contributor-c']) {
      expect(JSON.parse(readFileSync(join(DIR, `keys/EXAMPLE-${name}.key.json`), 'utf8')).note).toMatch(/^EXAMPLE KEY, public in the zkinfer repository/);
    }
  });

  it.skipIf(!datasetPresent)(
    `the commitment recomputes from Debian's Fashion-MNIST training split${datasetPresent ? '' : ' (skipped: dataset-fashion-mnist is not installed)'}`,
    async () => {
      const c = await commitDataset(DEFAULT_FASHION_MNIST_DIR, readContributorMap(join(DIR, 'contributors.json')), { split: 'train', name: 'fashion-mnist-train' });
      expect(c).toEqual(readCommitment(join(DIR, 'commitment.json')));
    },
    120_000,
  );
});
