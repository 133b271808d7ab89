/**
 * `zkinfer dataset commit | sample | prove-membership | verify-membership`: parse, call the
 * provenance library, print, exit code.
 */
import type { Command } from 'commander';
import type { ScanProgress } from '../../provenance/commitment.js';
import { InvalidArgumentError } from '../../shared/errors.js';
import { Progress } from '../output.js';

// The library modules are imported when a command runs, so `zkinfer --help` stays fast.
let commitDataset: typeof import('../../provenance/commitment.js').commitDataset;
let readCommitment: typeof import('../../provenance/commitment.js').readCommitment;
let readContributorMap: typeof import('../../provenance/contributors.js').readContributorMap;
let readSamplesAt: typeof import('../../provenance/dataset.js').readSamplesAt;
let assertWritable: typeof import('../../provenance/files.js').assertWritable;
let jsonText: typeof import('../../provenance/files.js').jsonText;
let readJsonFile: typeof import('../../provenance/files.js').readJsonFile;
let writeNewFile: typeof import('../../provenance/files.js').writeNewFile;
let proveMembership: typeof import('../../provenance/membership.js').proveMembership;
let readSampleLines: typeof import('../../provenance/membership.js').readSampleLines;
let verifyMembership: typeof import('../../provenance/membership.js').verifyMembership;
let sampleToJson: typeof import('../../provenance/sample.js').sampleToJson;

/** Imports the library modules the commands use. */
async function loadProvenance(): Promise<void> {
  const [m0, m1, m2, m3, m4, m5] = await Promise.all([
    import('../../provenance/commitment.js'),
    import('../../provenance/contributors.js'),
    import('../../provenance/dataset.js'),
    import('../../provenance/files.js'),
    import('../../provenance/membership.js'),
    import('../../provenance/sample.js'),
  ]);
  ({ commitDataset, readCommitment } = m0);
  ({ readContributorMap } = m1);
  ({ readSamplesAt } = m2);
  ({ assertWritable, jsonText, readJsonFile, writeNewFile } = m3);
  ({ proveMembership, readSampleLines, verifyMembership } = m4);
  ({ sampleToJson } = m5);
}

function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected ${name} to be a non-negative integer, got ${value}`);
    return n;
  };
}

function progressOf(progress: Progress, message: string): (p: ScanProgress) => void {
  return (p) => progress.update('dataset', p.unit === 'bytes' ? `${message} (bytes read)` : message, p.done, p.total);
}

/** Registers the dataset commands. */
export function registerDatasetCommand(program: Command): void {
  const dataset = program.command('dataset').description('commit to training data; prove and verify that samples are in it');

  dataset
    .command('commit')
    .description('Merkle commitment (RFC 6962, SHA-256) over the training samples and their contributors')
    .argument('<data>', 'a .jsonl file, an IDX or .npy images file, or a folder of them')
    .requiredOption('--contributors <map.json>', 'contributor map (ids, and index ranges or a JSONL field)')
    .requiredOption('--out <commitment.json>', 'commitment file to write')
    .option('--split <name>', 'split of a folder with several ("train", "t10k")')
    .option('--name <label>', 'a label stored in the commitment')
    .option('--force', 'replace an existing output file')
    .option('--json', 'print the commitment as JSON')
    .action(async (data: string, opts) => {
      await loadProvenance();
      const progress = new Progress();
      const t0 = performance.now();
      try {
        assertWritable(opts.out, opts.force);
        const map = readContributorMap(opts.contributors);
        const c = await commitDataset(data, map, { split: opts.split, name: opts.name, mapSource: opts.contributors, onProgress: progressOf(progress, 'hashing samples') });
        progress.stop();
        writeNewFile(opts.out, jsonText(c), { force: Boolean(opts.force) });
        const seconds = ((performance.now() - t0) / 1000).toFixed(1);
        if (opts.json) process.stdout.write(jsonText(c));
        else {
          process.stdout.write(
            `committed ${c.leafCount} samples of ${data}${c.source.split ? ` (split ${c.source.split})` : ''} → ${opts.out}\n` +
              `  root          ${c.root}\n` +
              c.contributors.map((x) => `  ${x.id.padEnd(13)} ${x.leaves} samples\n`).join('') +
              `  time          ${seconds} s\n`,
          );
        }
      } finally {
        progress.stop();
      }
    });

  dataset
    .command('sample')
    .description('print one sample of a dataset as a JSONL line (the form prove-membership reads)')
    .argument('<data>', 'a .jsonl file, an IDX or .npy images file, or a folder of them')
    .requiredOption('--index <n>', 'the sample index (0-based, in committed order)', nonNegativeInt('--index'))
    .option('--split <name>', 'split of a folder with several')
    .action(async (data: string, opts) => {
      await loadProvenance();
      const samples = await readSamplesAt(data, [opts.index], { split: opts.split });
      process.stdout.write(`${JSON.stringify(sampleToJson(samples.get(opts.index)!))}\n`);
    });

  dataset
    .command('prove-membership')
    .description('Merkle proofs that samples (with their contributors) are in a committed dataset')
    .argument('<commitment>', 'the commitment file')
    .argument('<samples>', 'a .jsonl file, one sample a line')
    .requiredOption('--dataset <data>', 'the committed data (walked once and checked against the root)')
    .requiredOption('--out <proof.json>', 'proof file to write')
    .option('--split <name>', "split of a folder (default: the commitment's)")
    .option('--force', 'replace an existing output file')
    .action(async (commitmentPath: string, samplesPath: string, opts) => {
      await loadProvenance();
      const progress = new Progress();
      try {
        assertWritable(opts.out, opts.force);
        const commitment = readCommitment(commitmentPath);
        const requested = readSampleLines(samplesPath, commitment);
        const proof = await proveMembership(commitment, requested, opts.dataset, {
          split: opts.split,
          commitmentSource: commitmentPath,
          onProgress: progressOf(progress, 'walking the dataset'),
        });
        progress.stop();
        writeNewFile(opts.out, jsonText(proof), { force: Boolean(opts.force) });
        process.stdout.write(
          `${proof.proofs.length} sample${proof.proofs.length === 1 ? '' : 's'} in ${commitmentPath} → ${opts.out}\n` +
            proof.proofs.map((p) => `  line ${p.line}: sample ${p.index}, contributor ${p.contributor}\n`).join(''),
        );
      } finally {
        progress.stop();
      }
    });

  dataset
    .command('verify-membership')
    .description('check a membership proof file against a commitment (exit 0 iff every proof holds)')
    .argument('<commitment>', 'the commitment file')
    .argument('<proof>', 'the proof file')
    .option('--json', 'print the verdict as JSON')
    .action(async (commitmentPath: string, proofPath: string, opts) => {
      await loadProvenance();
      const commitment = readCommitment(commitmentPath);
      const verdict = verifyMembership(commitment, readJsonFile(proofPath, 'membership proof'), proofPath);
      if (opts.json) process.stdout.write(jsonText({ file: proofPath, ...verdict }));
      else if (verdict.valid) process.stdout.write(`valid    ${proofPath} (${verdict.entries} sample${verdict.entries === 1 ? '' : 's'} in ${commitment.root.slice(0, 16)}…)\n`);
      else process.stdout.write(verdict.reasons.map((r) => `invalid  ${r}\n`).join(''));
      process.exitCode = verdict.valid ? 0 : 1;
    });
}
