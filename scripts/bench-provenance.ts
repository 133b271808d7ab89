/**
 * `npx tsx scripts/bench-provenance.ts`: measures dataset provenance and attribution on the
 * 60,000 Fashion-MNIST training images (Debian's dataset-fashion-mnist) against the targets
 * of issue 14, and writes the "Provenance and attribution (issue 14)" section of BENCHMARKS.md:
 * - committing 60,000 images ≤ 30 s;
 * - attributing one inference against the committed 60,000 (k = 10) ≤ 2 s warm (the
 *   representation index cached on disk): index load + ranking + Merkle paths + samples.
 * Also: the cold index build, the typed-array plan against the reference executor, a batch
 * of receipts, the exhaustive check, membership proofs, file sizes and peak memory.
 *
 * Receipts are built from test images with the reference executor's output (`buildReceipt`,
 * the content a proof carries; attribution reads the input and never the proof), so no
 * Groth16 setup is needed. Options: `--runs N` (warm repetitions, default 5).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../src/compile/compile.js';
import { DEFAULT_FASHION_MNIST_DIR, loadFashionMnist } from '../src/data/fashion-mnist.js';
import type { Artifacts } from '../src/prove/artifacts.js';
import { buildReceipt } from '../src/prove/prove.js';
import { attributeReceipts, loadAttributionModel, prepareAttribution } from '../src/provenance/attribution.js';
import { checkAttribution } from '../src/provenance/check-attribution.js';
import { commitDataset } from '../src/provenance/commitment.js';
import { readContributorMap } from '../src/provenance/contributors.js';
import { readSamplesAt } from '../src/provenance/dataset.js';
import { jsonText, writeNewFile } from '../src/provenance/files.js';
import { proveMembership, verifyMembership } from '../src/provenance/membership.js';
import { checkProvenanceForCompile } from '../src/provenance/record.js';
import { representationOf, sampleInput } from '../src/provenance/representation.js';
import { quantizeInput, runReference } from '../src/reference/execute.js';
import { median, table, writeSection } from './lib/bench-report.js';
import { intFlag } from './lib/args.js';

const EX = 'examples/fashion-mnist';
const DATA = DEFAULT_FASHION_MNIST_DIR;
const log = (s: string) => process.stderr.write(`${s}\n`);
const status = (ok: boolean) => (ok ? 'met' : 'missed');
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function timed<T>(f: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

async function main(): Promise<void> {
  const runs = intFlag('--runs', 5);
  const work = mkdtempSync(join(tmpdir(), 'zkinfer-bench-prov-'));
  const rows: string[][] = [];
  const map = readContributorMap(join(EX, 'provenance/contributors.json'));

  log('commit 60,000 training images (3 runs)…');
  const commitTimes: number[] = [];
  let commitment!: Awaited<ReturnType<typeof commitDataset>>;
  for (let i = 0; i < 3; i++) {
    const [c, ms] = await timed(() => commitDataset(DATA, map, { split: 'train', name: 'fashion-mnist-train' }));
    commitment = c;
    commitTimes.push(ms);
  }
  const commitPath = join(work, 'commitment.json');
  writeNewFile(commitPath, jsonText(commitment));
  rows.push(['commit 60,000 images (IDX gz → 60,000 leaves, root), median of 3', s(median(commitTimes)), '≤ 30 s', status(median(commitTimes) <= 30_000)]);

  // Bounded memory: the peak RSS of `zkinfer dataset commit` on 10,000 and on 60,000 images.
  if (existsSync('/usr/bin/time')) {
    log('peak memory of `zkinfer dataset commit`, 10,000 and 60,000 images…');
    const one = join(work, 'one.json');
    writeNewFile(one, jsonText({ format: 'zkinfer.contributors/1', contributors: [{ id: 'all' }], assign: [{ from: 0, to: 10000, contributor: 'all' }] }));
    const peak = (split: string, mapPath: string) => {
      const r = spawnSync(
        '/usr/bin/time',
        ['-f', '%M', process.execPath, 'bin/zkinfer.js', 'dataset', 'commit', DATA, '--split', split, '--contributors', mapPath, '--out', join(work, `${split}.json`), '--force'],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`zkinfer dataset commit failed: ${r.stderr}`);
      return Number(r.stderr.trim().split('\n').at(-1)) * 1024;
    };
    rows.push([
      'peak RSS of `zkinfer dataset commit` (whole process), 10,000 / 60,000 images',
      `${mb(peak('t10k', one))} / ${mb(peak('train', join(EX, 'provenance/contributors.json')))}`,
      'bounded (streaming)',
      '',
    ]);
  }

  log('compile the example with its signed record (no setup)…');
  const artifacts = join(work, 'artifacts');
  const [, compileMs] = await timed(() =>
    compileModel(join(EX, 'model.onnx'), {
      outDir: artifacts,
      calibrationPath: join(EX, 'calibration.jsonl'),
      provenance: join(EX, 'provenance/record.json'),
      provenanceChecker: checkProvenanceForCompile,
      skipSetup: true,
    }),
  );
  log(`  compiled in ${s(compileMs)}`);
  const model = loadAttributionModel(artifacts);

  log('typed-array plan against the reference executor (1,000 training images)…');
  const first = await readSamplesAt(
    DATA,
    Array.from({ length: 1000 }, (_, i) => i),
    { split: 'train' },
  );
  const inputs = [...first.values()].map((x) => sampleInput(model.rm, x, { divisor: 255 }, 'sample'));
  const [planReps, planMs] = await timed(() => inputs.map((x) => representationOf(model.rm, x)));
  const [refReps, refMs] = await timed(() => inputs.map((x) => representationOf(model.rm, x, { reference: true })));
  const equal = planReps.every((r, i) => r.length === refReps[i]!.length && r.every((v, j) => v === refReps[i]![j]));
  rows.push(['representation of one image, typed-array plan / reference executor', `${(planMs / 1000).toFixed(3)} ms / ${(refMs / 1000).toFixed(3)} ms`, 'equal', equal ? 'equal on 1,000' : 'DIFFER']);

  log('cold: build the representation index (60,000 forward passes)…');
  const indexPath = join(work, 'fm.repidx');
  const prepare = () => prepareAttribution({ artifactsDir: artifacts, commitment, commitmentSource: commitPath, dataPath: DATA, indexPath });
  const [, coldMs] = await timed(prepare);
  rows.push(['build the representation index (cold, once per model and dataset)', s(coldMs), '', '']);
  rows.push(['index file (128 int32 per image, leaf and tree hashes)', mb(statSync(indexPath).size), '', '']);

  const test = await loadFashionMnist('test', { limit: 100 });
  const receipts = test.images.map((img, i) => {
    const raw = quantizeInput(model.model, img);
    return { receipt: buildReceipt({ manifest: model.manifest, model: model.model } as Artifacts, raw, runReference(model.model, raw), i.toString(16).padStart(32, '0')), where: `test-${i}` };
  });

  log(`warm: attribute one inference, k = 10 (${runs} runs, index read each time)…`);
  const warm: number[] = [];
  const loads: number[] = [];
  let attribution!: Awaited<ReturnType<typeof attributeReceipts>>[number];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const a = await prepare();
    loads.push(performance.now() - t0);
    [attribution] = await attributeReceipts(a, [receipts[i % receipts.length]!], 10);
    warm.push(performance.now() - t0);
  }
  rows.push([
    `attribute one inference against 60,000, k = 10, warm (index load ${s(median(loads))} + rank, paths, samples), median of ${runs}`,
    s(median(warm)),
    '≤ 2 s',
    status(median(warm) <= 2000),
  ]);

  log('warm, end to end: `zkinfer attribute` in a new process (3 runs)…');
  const receiptPath = join(work, 'receipt.json');
  writeNewFile(receiptPath, jsonText(receipts[0]!.receipt));
  const cli: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      ['bin/zkinfer.js', 'attribute', receiptPath, '--artifacts', artifacts, '--dataset', DATA, '--commitment', commitPath, '--index', indexPath, '--out', join(work, `a${i}.json`)],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`zkinfer attribute failed: ${r.stderr}`);
    cli.push(performance.now() - t0);
  }
  const startup: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['bin/zkinfer.js', 'attribute', '--help'], { encoding: 'utf8' });
    startup.push(performance.now() - t0);
  }
  rows.push([`the same through the CLI in a new process, median of 3 (of which start-up, \`zkinfer attribute --help\`: ${s(median(startup))})`, s(median(cli)), '', '']);

  log('batch: 100 receipts in one call…');
  const a100 = await prepare();
  const [batch, batchMs] = await timed(() => attributeReceipts(a100, receipts, 10));
  rows.push(['attribute 100 inferences in one call (one pass for their samples), per inference', `${(batchMs / 100).toFixed(1)} ms`, '', '']);
  // A sanity check of the representation: the nearest training image's label against the test label.
  const agree = batch.filter((a, i) => (a.neighbours[0]!.sample as { label?: number }).label === test.labels[i]).length;
  const majority = batch.filter((a, i) => {
    const votes = new Map<number, number>();
    for (const n of a.neighbours) votes.set((n.sample as { label: number }).label, (votes.get((n.sample as { label: number }).label) ?? 0) + 1);
    return [...votes.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0]![0] === test.labels[i];
  }).length;
  rows.push(['test label = nearest neighbour’s label / = majority of the 10 (100 test images; a sanity check of the representation)', `${agree} % / ${majority} %`, '', '']);

  log('check one attribution: listed neighbours, then exhaustively…');
  const [local, localMs] = await timed(() => checkAttribution(attribution, model, commitment, { where: 'a' }));
  const [full, fullMs] = await timed(() => checkAttribution(attribution, model, commitment, { where: 'a', dataPath: DATA }));
  if (!local.valid || !full.valid) throw new Error(`check failed: ${local.reason ?? full.reason}`);
  rows.push(['`attribute --check`, listed neighbours (Merkle paths, 11 re-executions, order, shares)', `${localMs.toFixed(0)} ms`, '', '']);
  rows.push(['`attribute --check --dataset`, exhaustive (data checked against the root, 60,000 re-executions)', s(fullMs), '', '']);

  log('membership proof for one sample, and its verification…');
  const sample = (await readSamplesAt(DATA, [54321], { split: 'train' })).get(54321)!;
  const [proof, proveMs] = await timed(() => proveMembership(commitment, [{ sample, where: 's' }], DATA));
  const [verdict, verifyMs] = await timed(() => verifyMembership(commitment, proof));
  if (!verdict.valid) throw new Error('membership proof did not verify');
  rows.push(['`dataset prove-membership`, one sample (walks and checks all 60,000)', s(proveMs), '', '']);
  rows.push(['`dataset verify-membership`, one sample (16 hashes)', `${verifyMs.toFixed(2)} ms`, '', '']);

  const body = [
    "Measured by `npx tsx scripts/bench-provenance.ts` on the 60,000 training images of Debian's `dataset-fashion-mnist`,",
    'with the example contributor map (`examples/fashion-mnist/provenance/`) and the example model compiled with its signed',
    'record. "Warm" means the representation index is on disk; each warm run reads and checks it again (checksum, binding,',
    'tree root), ranks, builds the Merkle paths and reads the ten neighbours from the gzipped IDX file. Receipts are built',
    'from test images with the reference output (`buildReceipt`); attribution never reads the proof. The machine is shared:',
    'the load average is printed above.',
    '',
    table(['measurement', 'value', 'target', 'status'], rows),
  ].join('\n');
  writeSection('Provenance and attribution (issue 14)', body);
  process.stdout.write(`${body}\n`);
}

await main();
