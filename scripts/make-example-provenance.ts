/**
 * Writes examples/fashion-mnist/provenance/: the contributor map, the commitment to the
 * 60,000 Fashion-MNIST training images (Debian's dataset-fashion-mnist), the example
 * contributors' signed contributions and the trainer's signed record for model.onnx.
 *
 * The keys are EXAMPLE keys committed to the repository (keys/EXAMPLE-*.key.json, created
 * here when absent): anyone can sign with them, so they show the format and let anyone
 * regenerate the record byte for byte (Ed25519 signatures are deterministic), and prove
 * nothing about who trained the model. Real records are signed with keys kept secret.
 *
 * Usage: npx tsx scripts/make-example-provenance.ts [--dataset /usr/share/datasets/fashion-mnist]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitDataset } from '../src/provenance/commitment.js';
import { parseContributorMap } from '../src/provenance/contributors.js';
import { jsonText, writeNewFile } from '../src/provenance/files.js';
import { generateSigningKey, readKeyFile, writeKeyFile, type SigningKey } from '../src/provenance/keys.js';
import { signContribution, signRecord } from '../src/provenance/record.js';
import { DEFAULT_FASHION_MNIST_DIR } from '../src/data/fashion-mnist.js';
import { sha256File } from '../src/shared/hash.js';

const EXAMPLE = 'examples/fashion-mnist';
const OUT = join(EXAMPLE, 'provenance');
const TRAINING_SCRIPT = 'scripts/train_fashion_mnist.py';
const KEY_NOTE = 'EXAMPLE KEY, public in the zkinfer repository: anyone can sign with it. It shows the record format only; never trust a record because this key signed it.';

/** The illustrative split of the training set among three example contributors. */
const CONTRIBUTORS = [
  { id: 'example-a', name: 'Example contributor A (illustrative)', from: 0, to: 25000 },
  { id: 'example-b', name: 'Example contributor B (illustrative)', from: 25000, to: 45000 },
  { id: 'example-c', name: 'Example contributor C (illustrative)', from: 45000, to: 60000 },
];

function key(name: string, label: string): SigningKey {
  const path = join(OUT, 'keys', `EXAMPLE-${name}.key.json`);
  if (!existsSync(path)) writeKeyFile(path, generateSigningKey(label), { note: KEY_NOTE });
  return readKeyFile(path);
}

const write = (name: string, value: unknown) => writeNewFile(join(OUT, name), jsonText(value), { force: true });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--dataset');
  const dataset = flag > 0 ? process.argv[flag + 1]! : DEFAULT_FASHION_MNIST_DIR;
  const trainer = key('trainer', 'EXAMPLE trainer (public example key)');
  const contributorKeys = new Map(CONTRIBUTORS.map((c) => [c.id, key(c.id.replace('example-', 'contributor-'), `EXAMPLE ${c.id} (public example key)`)]));

  const map = parseContributorMap(
    {
      format: 'zkinfer.contributors/1',
      description:
        "EXAMPLE assignment. Fashion-MNIST has one source (Zalando's catalogue images, Zalando Research); the three contributors here are illustrative, " +
        'to show per-contributor commitments, signatures and attribution shares. They are not real contributors.',
      contributors: CONTRIBUTORS.map((c) => ({ id: c.id, name: c.name, publicKey: hex(contributorKeys.get(c.id)!.publicKey) })),
      assign: CONTRIBUTORS.map((c) => ({ from: c.from, to: c.to, contributor: c.id })),
    },
    'contributors',
  );
  write('contributors.json', map);

  const t0 = performance.now();
  const commitment = await commitDataset(dataset, map, { split: 'train', name: 'fashion-mnist-train', mapSource: join(OUT, 'contributors.json') });
  process.stderr.write(`committed ${commitment.leafCount} samples in ${((performance.now() - t0) / 1000).toFixed(1)} s: root ${commitment.root}\n`);
  write('commitment.json', commitment);

  const contributions = CONTRIBUTORS.map((c) => signContribution(commitment, c.id, contributorKeys.get(c.id)!));
  contributions.forEach((c) => write(`contribution-${c.contributor}.json`, c));

  const free = JSON.parse(readFileSync(join(EXAMPLE, 'provenance.json'), 'utf8')) as Record<string, unknown>;
  const { name, training, ...about } = free;
  write('hyperparameters.json', training);
  const record = signRecord(
    {
      name: name as string,
      about,
      datasets: [{ commitment }],
      contributions,
      trainingScript: { path: TRAINING_SCRIPT, sha256: sha256File(TRAINING_SCRIPT) },
      hyperparameters: training as Record<string, unknown>,
      onnxSha256: sha256File(join(EXAMPLE, 'model.onnx')),
      trainerName: 'zkinfer example trainer (EXAMPLE key)',
    },
    trainer,
  );
  write('record.json', record);
  process.stderr.write(`signed ${join(OUT, 'record.json')}\n`);
}

await main();
