/**
 * `zkinfer provenance keygen | sign-contribution | sign-record | check`: Ed25519 keys, the
 * contributors' and the trainer's signatures, and the check `compile --provenance` runs.
 */
import type { Command } from 'commander';
import type { Contribution } from '../../provenance/record.js';
import { ProvenanceError } from '../../shared/errors.js';

// The library modules are imported when a command runs, so `zkinfer --help` stays fast.
let readCommitment: typeof import('../../provenance/commitment.js').readCommitment;
let assertWritable: typeof import('../../provenance/files.js').assertWritable;
let jsonText: typeof import('../../provenance/files.js').jsonText;
let readJsonFile: typeof import('../../provenance/files.js').readJsonFile;
let writeNewFile: typeof import('../../provenance/files.js').writeNewFile;
let generateSigningKey: typeof import('../../provenance/keys.js').generateSigningKey;
let readKeyFile: typeof import('../../provenance/keys.js').readKeyFile;
let writeKeyFile: typeof import('../../provenance/keys.js').writeKeyFile;
let contributionSchema: typeof import('../../provenance/record.js').contributionSchema;
let readProvenanceRecord: typeof import('../../provenance/record.js').readProvenanceRecord;
let signContribution: typeof import('../../provenance/record.js').signContribution;
let signRecord: typeof import('../../provenance/record.js').signRecord;
let zodIssue: typeof import('../../provenance/contributors.js').zodIssue;
let sha256File: typeof import('../../shared/hash.js').sha256File;

/** Imports the library modules the commands use. */
async function loadProvenance(): Promise<void> {
  const [m0, m1, m2, m3, m4, m5] = await Promise.all([
    import('../../provenance/commitment.js'),
    import('../../provenance/files.js'),
    import('../../provenance/keys.js'),
    import('../../provenance/record.js'),
    import('../../provenance/contributors.js'),
    import('../../shared/hash.js'),
  ]);
  ({ sha256File } = m5);
  ({ readCommitment } = m0);
  ({ assertWritable, jsonText, readJsonFile, writeNewFile } = m1);
  ({ generateSigningKey, readKeyFile, writeKeyFile } = m2);
  ({ contributionSchema, readProvenanceRecord, signContribution, signRecord } = m3);
  ({ zodIssue } = m4);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function fileSha256(path: string, what: string): string {
  try {
    return sha256File(path);
  } catch (cause) {
    throw new ProvenanceError(`${path}: cannot read ${what} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
}

function jsonObject(path: string, what: string): Record<string, unknown> {
  const value = readJsonFile(path, what);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProvenanceError(`${path}: ${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function readContribution(path: string): Contribution {
  const parsed = contributionSchema.safeParse(readJsonFile(path, 'contribution'));
  if (!parsed.success) throw new ProvenanceError(`${path}: invalid contribution at ${zodIssue(parsed.error)}`);
  return parsed.data;
}

/** Registers the provenance commands. */
export function registerProvenanceCommand(program: Command): void {
  const provenance = program.command('provenance').description('signing keys, signed contributions and signed provenance records');

  provenance
    .command('keygen')
    .description('make an Ed25519 signing key (written with mode 0600; prints the public key)')
    .requiredOption('--out <key.json>', 'key file to write')
    .option('--name <label>', 'a label stored with the key')
    .option('--force', 'replace an existing key file')
    .action(async (opts) => {
      await loadProvenance();
      const key = generateSigningKey(opts.name);
      writeKeyFile(opts.out, key, { force: Boolean(opts.force) });
      process.stdout.write(`${Buffer.from(key.publicKey).toString('hex')}\n`);
    });

  provenance
    .command('sign-contribution')
    .description("a contributor signs a committed dataset's root and their leaf count")
    .argument('<commitment>', 'the dataset commitment')
    .requiredOption('--contributor <id>', 'your contributor id in the commitment')
    .requiredOption('--key <key.json>', 'your signing key')
    .requiredOption('--out <contribution.json>', 'signed contribution to write')
    .option('--force', 'replace an existing output file')
    .action(async (commitmentPath: string, opts) => {
      await loadProvenance();
      assertWritable(opts.out, opts.force);
      const contribution = signContribution(readCommitment(commitmentPath), opts.contributor, readKeyFile(opts.key));
      writeNewFile(opts.out, jsonText(contribution), { force: Boolean(opts.force) });
      process.stdout.write(`signed ${contribution.leafCount} samples of ${contribution.datasetRoot.slice(0, 16)}… for ${contribution.contributor} → ${opts.out}\n`);
    });

  provenance
    .command('sign-record')
    .description('the trainer signs the record: dataset roots, training script, hyper-parameters, ONNX hash')
    .requiredOption('--commitment <c.json>', 'a training dataset commitment (repeat for several)', collect)
    .requiredOption('--onnx <model.onnx>', 'the trained model')
    .requiredOption('--training-script <file>', 'the training script (its SHA-256 is recorded)')
    .requiredOption('--hyperparameters <h.json>', 'hyper-parameters, a JSON object')
    .requiredOption('--key <key.json>', "the trainer's signing key")
    .requiredOption('--out <record.json>', 'signed record to write')
    .option('--contribution <file>', 'a signed contribution (repeat for several)', collect)
    .option('--about <about.json>', 'free-text description (authors, licence, data sources), a JSON object')
    .option('--name <label>', 'the model name (also the manifest name)')
    .option('--trainer-name <name>', "the trainer's name")
    .option('--force', 'replace an existing output file')
    .action(async (opts) => {
      await loadProvenance();
      assertWritable(opts.out, opts.force);
      const record = signRecord(
        {
          name: opts.name,
          about: opts.about ? jsonObject(opts.about, 'description') : undefined,
          datasets: (opts.commitment as string[]).map((p) => ({ commitment: readCommitment(p) })),
          contributions: ((opts.contribution as string[] | undefined) ?? []).map(readContribution),
          trainingScript: { path: opts.trainingScript, sha256: fileSha256(opts.trainingScript, 'training script') },
          hyperparameters: jsonObject(opts.hyperparameters, 'hyper-parameters'),
          onnxSha256: fileSha256(opts.onnx, 'model'),
          trainerName: opts.trainerName,
        },
        readKeyFile(opts.key),
      );
      writeNewFile(opts.out, jsonText(record), { force: Boolean(opts.force) });
      process.stdout.write(
        `signed record for ${opts.onnx} (${record.datasets.length} dataset${record.datasets.length === 1 ? '' : 's'}, ${record.contributions.length} contributor signatures) → ${opts.out}\n`,
      );
    });

  provenance
    .command('check')
    .description('check a signed record (exit 0 iff every signature, and the ONNX hash if given, holds)')
    .argument('<record>', 'the signed provenance record')
    .option('--onnx <model.onnx>', 'the model the record must name')
    .option('--trainer-key <hex>', 'a trusted trainer public key (repeat for several)', collect)
    .option('--commitment <c.json>', 'a commitment that must be one of the record’s datasets (repeat)', collect)
    .option('--json', 'print the result as JSON')
    .action(async (recordPath: string, opts) => {
      await loadProvenance();
      const check = readProvenanceRecord(recordPath, {
        onnx: opts.onnx ? { sha256: fileSha256(opts.onnx, 'model'), name: opts.onnx } : undefined,
        trustedTrainerKeys: opts.trainerKey,
      });
      for (const path of (opts.commitment as string[] | undefined) ?? []) {
        const c = readCommitment(path);
        const d = check.record.datasets.find((x) => x.root === c.root);
        if (!d) throw new ProvenanceError(`${recordPath}: dataset ${c.root.slice(0, 16)}… of ${path} is not in the record`);
        const counts = (xs: { id: string; leaves: number }[]) => JSON.stringify(xs.map((x) => [x.id, x.leaves]).sort());
        if (d.leafCount !== c.leafCount || counts(d.contributors) !== counts(c.contributors)) {
          throw new ProvenanceError(`${recordPath}: the record's counts for dataset ${c.root.slice(0, 16)}… differ from ${path}`);
        }
      }
      const summary = {
        valid: true,
        record: recordPath,
        trainerKey: check.trainerKey,
        onnxSha256: check.record.model.onnxSha256,
        datasets: check.record.datasets.map((d) => ({ root: d.root, leafCount: d.leafCount })),
        signed: check.signed,
        unsigned: check.unsigned,
      };
      if (opts.json) process.stdout.write(jsonText(summary));
      else {
        process.stdout.write(
          `valid    ${recordPath}\n` +
            `  trainer key   ${check.trainerKey}\n` +
            `  onnx sha256   ${check.record.model.onnxSha256}${opts.onnx ? ` (= ${opts.onnx})` : ''}\n` +
            check.record.datasets.map((d) => `  dataset       ${d.root} (${d.leafCount} samples)\n`).join('') +
            `  signed by     ${check.signed.map((s) => s.contributor).join(', ') || '(no contributor)'}\n` +
            (check.unsigned.length ? `  not signed by ${check.unsigned.map((s) => s.contributor).join(', ')}\n` : ''),
        );
      }
    });
}
