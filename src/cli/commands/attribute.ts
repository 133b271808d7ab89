/**
 * `zkinfer attribute <receipt|folder>` (and `--check`): parse, call the provenance library,
 * print, exit code. A folder of receipts gives one attribution per receipt and the
 * per-contributor report (summary.json, summary.csv, shares.svg).
 */
import { readFileSync, statSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import type { Attribution, ReceiptToAttribute } from '../../provenance/attribution.js';
import type { RecomputedIndex } from '../../provenance/check-attribution.js';
import type { ScanProgress } from '../../provenance/commitment.js';
import { InvalidArgumentError, ProvenanceError } from '../../shared/errors.js';
import type { Receipt } from '../../shared/receipt.js';
import { Progress } from '../output.js';

// The library modules are imported when a command runs, so `zkinfer --help` stays fast.
let attributeReceipts: typeof import('../../provenance/attribution.js').attributeReceipts;
let loadAttributionModel: typeof import('../../provenance/attribution.js').loadAttributionModel;
let prepareAttribution: typeof import('../../provenance/attribution.js').prepareAttribution;
let checkAttribution: typeof import('../../provenance/check-attribution.js').checkAttribution;
let recomputeRepresentations: typeof import('../../provenance/check-attribution.js').recomputeRepresentations;
let readCommitment: typeof import('../../provenance/commitment.js').readCommitment;
let assertWritable: typeof import('../../provenance/files.js').assertWritable;
let jsonText: typeof import('../../provenance/files.js').jsonText;
let readJsonFile: typeof import('../../provenance/files.js').readJsonFile;
let writeNewFile: typeof import('../../provenance/files.js').writeNewFile;
let summarizeAttributions: typeof import('../../provenance/report.js').summarizeAttributions;
let summaryCsv: typeof import('../../provenance/report.js').summaryCsv;
let summarySvg: typeof import('../../provenance/report.js').summarySvg;
let listReceiptFiles: typeof import('../../verify/many.js').listReceiptFiles;
let parseReceipt: typeof import('../../verify/verify.js').parseReceipt;

/** Imports the library modules the commands use. */
async function loadAttribution(): Promise<void> {
  const [m0, m1, m2, m3, m4, m5, m6] = await Promise.all([
    import('../../provenance/attribution.js'),
    import('../../provenance/check-attribution.js'),
    import('../../provenance/commitment.js'),
    import('../../provenance/files.js'),
    import('../../provenance/report.js'),
    import('../../verify/many.js'),
    import('../../verify/verify.js'),
  ]);
  ({ attributeReceipts, loadAttributionModel, prepareAttribution } = m0);
  ({ checkAttribution, recomputeRepresentations } = m1);
  ({ readCommitment } = m2);
  ({ assertWritable, jsonText, readJsonFile, writeNewFile } = m3);
  ({ summarizeAttributions, summaryCsv, summarySvg } = m4);
  ({ listReceiptFiles } = m5);
  ({ parseReceipt } = m6);
}

/** The cache folder for representation indexes: $ZKINFER_CACHE_DIR, else $XDG_CACHE_HOME/zkinfer, else ~/.cache/zkinfer. */
function cacheDir(): string {
  const env = process.env;
  if (env.ZKINFER_CACHE_DIR) return env.ZKINFER_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'zkinfer');
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError(`expected ${name} to be an integer in [1, 10000], got ${value}`);
    return n;
  };
}

function readReceipt(path: string): Receipt {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ProvenanceError(`${path}: cannot read receipt (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  const { receipt, reason } = parseReceipt(text);
  if (!receipt) throw new ProvenanceError(`${path}: ${reason}`);
  return receipt;
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

function progressOf(progress: Progress, message: string): (p: ScanProgress) => void {
  return (p) => progress.update('attribute', message, p.done, p.total);
}

function describe(a: Attribution): string {
  const shares = a.shares.map((s) => `${s.contributor} ${(s.share * 100).toFixed(0)} %`).join(', ');
  return `  neighbours   ${a.neighbours.map((n) => `#${n.index} (${n.contributor}, d=${n.distance})`).join(' ')}\n  shares       ${shares}\n`;
}

/** Registers the attribute command. */
export function registerAttributeCommand(program: Command): void {
  program
    .command('attribute')
    .description('the training samples nearest to an inference in the model’s own representation, with Merkle proofs and contributor shares')
    .argument('[receipt]', 'a receipt, or a folder of receipts (then --out is a folder and gets the report)')
    .requiredOption('--artifacts <dir>', 'the compiled model')
    .requiredOption('--commitment <c.json>', 'the training dataset commitment')
    .option('--dataset <data>', 'the committed data (required to attribute; with --check: exhaustive ranking check)')
    .option('--k <n>', 'neighbours per inference (default 10)', positiveInt('--k'), 10)
    .option('--split <name>', "split of a dataset folder (default: the commitment's)")
    .option('--index <file>', 'representation index (default: in the zkinfer cache folder)')
    .option('--out <path>', 'attribution file to write (a folder for a folder of receipts)')
    .option('--check <attribution>', 'check an attribution (or a folder of them) by re-execution instead')
    .option('--receipt <r.json>', 'with --check: the receipt the attribution must answer')
    .option('--force', 'replace existing output files')
    .option('--json', 'print results as JSON')
    .action(async (target: string | undefined, opts) => {
      await loadAttribution();
      const progress = new Progress();
      try {
        if (opts.check) await runCheck(opts, progress);
        else await runAttribute(target, opts, progress);
      } finally {
        progress.stop();
      }
    });
}

async function runAttribute(target: string | undefined, opts: Record<string, any>, progress: Progress): Promise<void> {
  if (!target) throw new InvalidArgumentError('attribute: give a receipt (or a folder of receipts), or --check <attribution>');
  if (!opts.dataset) throw new InvalidArgumentError('attribute: --dataset <data> is required (the committed training data)');
  if (!opts.out) throw new InvalidArgumentError('attribute: --out <path> is required');
  const folder = isDir(target);
  const files = folder ? listReceiptFiles([target]) : [target];
  if (files.length === 0) throw new ProvenanceError(`${target}: no receipts (*.json) in this folder`);
  const outFor = (file: string) => (folder ? join(opts.out, `${basename(file, '.json')}.attribution.json`) : opts.out);
  const reportFiles = folder ? ['summary.json', 'summary.csv', 'shares.svg'].map((f) => join(opts.out, f)) : [];
  for (const f of [...files.map(outFor), ...reportFiles]) assertWritable(f, opts.force);
  const receipts: ReceiptToAttribute[] = files.map((f) => ({ receipt: readReceipt(f), where: f }));

  const commitment = readCommitment(opts.commitment);
  const t0 = performance.now();
  const model = loadAttributionModel(opts.artifacts);
  const indexPath = opts.index ?? join(cacheDir(), 'attribution', `${model.manifest.modelId.slice(0, 16)}-${commitment.root.slice(0, 16)}.repidx`);
  const attributor = await prepareAttribution({
    artifactsDir: opts.artifacts,
    commitment,
    commitmentSource: opts.commitment,
    dataPath: opts.dataset,
    split: opts.split,
    indexPath,
    onProgress: progressOf(progress, 'computing representations'),
    onNotice: (m) => {
      progress.stop();
      process.stderr.write(`note: ${m}\n`);
    },
  });
  progress.stop();
  const attributions = await attributeReceipts(attributor, receipts, opts.k);
  const seconds = ((performance.now() - t0) / 1000).toFixed(2);
  attributions.forEach((a, i) => writeNewFile(outFor(files[i]!), jsonText(a), { force: Boolean(opts.force) }));
  if (folder) {
    const summary = summarizeAttributions(attributions, commitment);
    writeNewFile(reportFiles[0]!, jsonText(summary), { force: Boolean(opts.force) });
    writeNewFile(reportFiles[1]!, summaryCsv(summary), { force: Boolean(opts.force) });
    writeNewFile(reportFiles[2]!, summarySvg(summary), { force: Boolean(opts.force) });
    if (opts.json) process.stdout.write(jsonText(summary));
    else {
      process.stdout.write(
        `attributed ${attributions.length} receipt${attributions.length === 1 ? '' : 's'} (k = ${opts.k}) → ${opts.out} (summary.json, summary.csv, shares.svg)\n` +
          summary.contributors
            .map((c) => `  ${c.contributor.padEnd(16)} ${(c.shareOfAll * 100).toFixed(1).padStart(5)} %  (${c.inferences} inference${c.inferences === 1 ? '' : 's'} supported)\n`)
            .join('') +
          `  time         ${seconds} s\n`,
      );
    }
    return;
  }
  const a = attributions[0]!;
  if (opts.json) process.stdout.write(jsonText(a));
  else {
    process.stdout.write(
      `attributed ${target} (k = ${opts.k}) → ${opts.out}\n` +
        describe(a) +
        `  dataset      ${a.dataset.root.slice(0, 16)}… ${a.dataset.boundToModel ? "(named by the model's signed provenance record)" : '(not bound to the model: no signed provenance record)'}\n` +
        `  time         ${seconds} s\n`,
    );
  }
}

async function runCheck(opts: Record<string, any>, progress: Progress): Promise<void> {
  const target: string = opts.check;
  const files = isDir(target)
    ? readdirSync(target)
        .filter((f) => f.endsWith('.attribution.json'))
        .sort()
        .map((f) => join(target, f))
    : [target];
  if (files.length === 0) throw new ProvenanceError(`${target}: no *.attribution.json files in this folder`);
  if (opts.receipt && files.length > 1) throw new InvalidArgumentError('--receipt applies to one attribution, not a folder');
  const commitment = readCommitment(opts.commitment);
  const model = loadAttributionModel(opts.artifacts);
  const receipt = opts.receipt ? readReceipt(opts.receipt) : undefined;
  const recomputed = new Map<number, RecomputedIndex>();
  let failures = 0;
  const results: { file: string; valid: boolean; reason?: string; exhaustive: boolean }[] = [];
  for (const file of files) {
    const value = readJsonFile(file, 'attribution') as { representation?: { transform?: { divisor?: unknown } } };
    let all: RecomputedIndex | undefined;
    const divisor = value?.representation?.transform?.divisor;
    if (opts.dataset && typeof divisor === 'number' && divisor > 0) {
      all = recomputed.get(divisor);
      if (!all) {
        all = await recomputeRepresentations(
          model,
          commitment,
          opts.dataset,
          { divisor },
          { split: opts.split, commitmentSource: opts.commitment, onProgress: progressOf(progress, 'recomputing every representation') },
        );
        progress.stop();
        recomputed.set(divisor, all);
      }
    }
    const verdict = await checkAttribution(value, model, commitment, { where: file, commitmentSource: opts.commitment, dataPath: opts.dataset, split: opts.split, receipt }, all);
    results.push({ file, ...verdict });
    if (!verdict.valid) failures++;
  }
  if (opts.json) process.stdout.write(jsonText({ valid: failures === 0, results }));
  else {
    for (const r of results) {
      process.stdout.write(
        r.valid
          ? `valid    ${r.file} (${r.exhaustive ? 'ranking checked against every committed sample' : 'listed neighbours only: pass --dataset to check that none nearer was left out'})\n`
          : `invalid  ${r.reason}\n`,
      );
    }
  }
  process.exitCode = failures === 0 ? 0 : 1;
}
