/**
 * `npm run bench:batch` (`tsx scripts/bench-batch.ts [--ns 1,3,7,14] [--count 112] [--runs 3]`):
 * throughput of batch proving against the number of inferences per proof (issue 13 item 4),
 * on the Fashion-MNIST example (the 784-128-10 MLP). For each N it compiles the example with
 * `--inferences N` (into `--work`, reused when already there with the same N), starts a warm
 * prover pool (start-up excluded), proves `--count` inputs of the example's calibration set
 * through `proveBatch` (the library behind `prove --inputs`) into a fresh folder, and checks
 * every receipt with `verifyMany` (the library behind `verify <dir>`). Inferences per minute
 * count receipts written per minute from the batch's start to its last receipt (the summary's
 * rate, as `prove --inputs` prints it), padding excluded. Writes the
 * "Batch proving: inferences per proof" section of BENCHMARKS.md, with the load average at
 * start and end; progress on stderr.
 *
 * Why 3, 7 and 14: snarkjs's domain holds the constraints and the public signals plus one
 * (3,728 and 786 per inference for the example, outputs packed), so N = 3, 7 and 14 fill
 * 2^14, 2^15 and 2^16 to 83 %, 96 % and 96 %, while 4, 8 and 15 spill just over them and pay a
 * domain twice as large. The default count, 112, is a multiple of 7 × 2 and 14 × 2: every
 * proof is full and both provers of the default pool prove to the end.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compileModel } from '../src/compile/compile.js';
import { readManifest } from '../src/shared/manifest.js';
import { loadArtifacts } from '../src/prove/artifacts.js';
import { proveBatch } from '../src/prove/batch.js';
import { ProverPool } from '../src/prove/pool.js';
import { releaseCurve } from '../src/shared/curve.js';
import { inferencesOf } from '../src/shared/shared-proof.js';
import { listReceiptFiles, verifyMany } from '../src/verify/many.js';
import { loadVerifierKey } from '../src/verify/verify.js';
import { median, table, writeSection } from './lib/bench-report.js';

/** Writes the section with the rows so far (after each N, so a long run leaves its figures). */
function report(final: boolean): void {
  const loadEnd = loadavg()[0]!;
  if (results.length === 0) return;
  const best = results.reduce((a, b) => (b.perMinute > a.perMinute ? b : a));
  const body = `Run started ${started}; load average (1 min) ${loadStart.toFixed(2)} at start, ${loadEnd.toFixed(2)} at end${Math.max(loadStart, loadEnd) > 3 ? ' (**taken at load > 3**: other jobs shared the 2 cores)' : ''}.
\`npm run bench:batch\` (\`scripts/bench-batch.ts --ns ${ns.join(',')} --count ${count} --runs ${runs}\`): examples/fashion-mnist compiled with \`--inferences N\` (local direct setup),
a warm pool of the default shape (one prover per core, one snarkjs thread each; start-up excluded), ${count} inputs of the
example's calibration set through \`proveBatch\` (what \`prove --inputs\` runs) into a fresh folder, every receipt then checked
by \`verifyMany\` (what \`verify <dir>\` runs). Inferences per minute: receipts written per minute from the batch's start to its last
receipt (padding not counted; the rate \`prove --inputs\` prints), median of ${runs} runs (min–max). Proof time: the median time a worker spent on one shared proof (quantize,
reference, witness, Groth16 for all N slots, receipts). CPU per inference: the process's CPU time (all prover threads) over the
batch divided by the inferences proven — less sensitive to other jobs than wall time. The runs go round the Ns (run 1 of every
N, then run 2, …), so a change of load touches every N alike.

${table(
  ['N (inferences per proof)', 'constraints', 'domain', 'proofs for ' + count, 'time per proof (p50)', 'CPU per inference', 'inferences/min', 'verify <dir>'],
  [...rows].sort((a, b) => Number(a[0]) - Number(b[0])),
)}

${final ? '' : '(run in progress) '}Best so far: N = ${best.n} at ${best.perMinute.toFixed(1)} inferences/min (target ≥ 400).`;
  if (!opts['no-write']) writeSection('Batch proving: inferences per proof', body);
  if (final) process.stdout.write(`${body}\n`);
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const { values: opts } = parseArgs({
  options: {
    ns: { type: 'string', default: '1,3,7,14' },
    count: { type: 'string', default: '112' },
    runs: { type: 'string', default: '3' },
    work: { type: 'string', default: '/tmp/zkinfer-bench-batch' },
    'no-write': { type: 'boolean', default: false },
  },
});
const ns = opts.ns!.split(',').map(Number);
const count = Number(opts.count);
const runs = Number(opts.runs);
const work = resolve(opts.work!);
const example = resolve('examples/fashion-mnist');
mkdirSync(work, { recursive: true });

const inputs = join(work, `inputs-${count}.jsonl`);
const lines = readFileSync(join(example, 'calibration.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
if (lines.length < count) throw new Error(`the calibration set has ${lines.length} inputs, fewer than --count ${count}`);
writeFileSync(
  inputs,
  `${lines
    .slice(0, count)
    .map((l, i) => JSON.stringify({ id: `img-${i}`, input: (JSON.parse(l) as { input: unknown }).input }))
    .join('\n')}\n`,
);

const loadStart = loadavg()[0]!;
const started = new Date().toISOString();
const rows: string[][] = [];
const results: { n: number; perMinute: number }[] = [];
// Compile (or reuse) every N first; then the runs go round the Ns, so that a change of load
// during the run touches every N alike.
const folders = new Map<number, string>();
for (const n of ns) {
  const dir = join(work, `fm-n${n}`);
  let fresh = true;
  if (existsSync(join(dir, 'manifest.json'))) {
    try {
      fresh = inferencesOf(readManifest(dir)) !== n;
    } catch {
      fresh = true;
    }
  }
  if (fresh) {
    log(`N=${n}: compiling`);
    const t0 = performance.now();
    await compileModel(join(example, 'model.onnx'), { outDir: dir, force: true, calibrationPath: join(example, 'calibration.jsonl'), provenance: join(example, 'provenance.json'), inferences: n });
    log(`N=${n}: compiled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  folders.set(n, dir);
}
const measured = new Map<number, { perMinute: number[]; proofSeconds: number[]; cpuPerInference: number[]; verify: { valid: number; seconds: number } }>();
for (let run = 0; run < runs; run++) {
  for (const n of ns) {
    const dir = folders.get(n)!;
    const artifacts = loadArtifacts(dir);
    const key = loadVerifierKey(dir);
    const pool = new ProverPool(artifacts);
    let m = measured.get(n);
    if (!m) measured.set(n, (m = { perMinute: [], proofSeconds: [], cpuPerInference: [], verify: { valid: 0, seconds: 0 } }));
    try {
      await pool.ready();
      const out = join(work, `out-n${n}-${run}`);
      rmSync(out, { recursive: true, force: true });
      // CPU time of this process, every worker thread included: what the batch cost, whatever else ran beside it
      const cpu0 = process.cpuUsage();
      const summary = await proveBatch(artifacts, inputs, out, { pool });
      const cpu = process.cpuUsage(cpu0);
      if (summary.failed > 0) throw new Error(`N=${n}: ${summary.failed} inputs failed: ${summary.failures[0]?.reason}`);
      m.perMinute.push(summary.proofsPerMinute); // the batch's one rate (receiptRate in src/prove/batch.ts)
      m.proofSeconds.push(summary.latency.p50Ms / 1000);
      m.cpuPerInference.push((cpu.user + cpu.system) / 1e6 / summary.proved);
      const v = await verifyMany(listReceiptFiles([out]), key);
      if (v.valid !== count) throw new Error(`N=${n}: ${v.invalid} receipts invalid: ${v.results.find((r) => !r.valid)?.reason}`);
      m.verify = { valid: v.valid, seconds: v.seconds };
      log(
        `N=${n} run ${run + 1}: ${m.perMinute.at(-1)!.toFixed(1)} inferences/min, proof p50 ${m.proofSeconds.at(-1)!.toFixed(2)} s, CPU ${m.cpuPerInference.at(-1)!.toFixed(2)} s per inference; verify ${v.valid}/${count} valid in ${v.seconds.toFixed(2)} s; load ${loadavg()[0]!.toFixed(2)}`,
      );
    } finally {
      await pool.close();
      releaseCurve();
    }
  }
  rows.length = 0;
  results.length = 0;
  for (const n of ns) {
    const m = measured.get(n)!;
    const manifest = readManifest(folders.get(n)!);
    const med = median(m.perMinute);
    results.push({ n, perMinute: med });
    rows.push([
      String(n),
      manifest.circuit.constraints.toLocaleString('en-US'),
      `2^${manifest.setup?.power ?? '?'}`,
      String(Math.ceil(count / n)),
      `${median(m.proofSeconds).toFixed(2)} s`,
      `${median(m.cpuPerInference).toFixed(2)} s`,
      `**${med.toFixed(1)}** (${Math.min(...m.perMinute).toFixed(1)}–${Math.max(...m.perMinute).toFixed(1)})`,
      `${m.verify.valid}/${count} in ${m.verify.seconds.toFixed(2)} s`,
    ]);
  }
  report(false);
}
report(true);
