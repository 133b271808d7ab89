/**
 * `tsx scripts/bench-scale.ts --artifacts <dir>`: proving at scale on the Fashion-MNIST
 * example (issue #4). Compares, for N proofs:
 *   (a) `proveBatch` on the pool of warm provers (the default workers × threads split),
 *   (b) one `node bin/zkinfer.js prove --input` process per proof (a smaller N, extrapolated),
 *   (c) a plain loop over `snarkjs.groth16.fullProve` on the same artifacts,
 * sweeps the pool's workers × snarkjs-threads split, and measures `verifyMany` on the
 * batch's folder (in this thread and on verifier threads) and the `zkinfer verify` command.
 * Each measurement runs in its own process so that its peak RSS is its own. Prints a
 * markdown section on stdout (progress on stderr), with the load average before and after:
 * other jobs on the machine skew every figure.
 *
 * The artifacts are not built here (no hidden work): compile them first, e.g.
 *   npx tsx -e "…compileModel('examples/fashion-mnist/model.onnx', { outDir: '/tmp/fm',
 *     calibrationPath: 'examples/fashion-mnist/calibration.jsonl' })"
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import { loadArtifacts } from '../src/prove/artifacts.js';
import { percentile, proveBatch } from '../src/prove/batch.js';
import { defaultPoolShape, ProverPool } from '../src/prove/pool.js';
import { quantizeInput } from '../src/reference/execute.js';
import { releaseCurve } from '../src/shared/curve.js';
import { encodeSigned } from '../src/shared/field.js';
import { readInputLines } from '../src/shared/input.js';
import { listReceiptFiles, verifyMany } from '../src/verify/many.js';
import { loadVerifierKey } from '../src/verify/verify.js';
import { writeSection } from './lib/bench-report.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = resolve(SELF, '../..');
const log = (s: string) => process.stderr.write(`${s}\n`);
/** Reports a child's peak RSS (kB on Linux) on stderr as it exits. */
const RSS_HOOK = `data:text/javascript,process.on("exit",()=>process.stderr.write("\\nmaxrss-kb="+process.resourceUsage().maxRSS+"\\n"))`;

const { values: opts } = parseArgs({
  options: {
    artifacts: { type: 'string' },
    inputs: { type: 'string', default: join(ROOT, 'examples/fashion-mnist/calibration.jsonl') },
    n: { type: 'string', default: '40' },
    'cli-n': { type: 'string', default: '5' },
    'loop-n': { type: 'string', default: '40' },
    'sweep-n': { type: 'string', default: '16' },
    phase: { type: 'string' },
    arg: { type: 'string', multiple: true, default: [] },
  },
});

interface PhaseResult {
  [k: string]: unknown;
  maxRssMb: number;
}

const mb = (kb: number) => Math.round(kb / 1024);
const rssMb = () => mb(process.resourceUsage().maxRSS);

/** Runs one phase of this script in a fresh process and returns its JSON result. */
function runPhase(phase: string, args: string[]): Promise<PhaseResult> {
  return new Promise((resolvePhase, reject) => {
    const argv = ['--import', 'tsx', SELF, '--phase', phase, '--artifacts', opts.artifacts!, '--inputs', opts.inputs!, ...args.flatMap((a) => ['--arg', a])];
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolvePhase(JSON.parse(out) as PhaseResult) : reject(new Error(`phase ${phase} exited with ${code}`))));
  });
}

/** Runs a command, timing it, with its peak RSS from the exit hook. */
function timeCommand(args: string[]): Promise<{ ms: number; maxRssMb: number; code: number | null; stdout: string }> {
  return new Promise((resolveRun) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', RSS_HOOK, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const kb = Number(/maxrss-kb=(\d+)/.exec(stderr)?.[1] ?? 0);
      if (code !== 0) log(stderr);
      resolveRun({ ms: performance.now() - t0, maxRssMb: mb(kb), code, stdout });
    });
  });
}

function firstLines(n: number): string[] {
  const lines = readFileSync(opts.inputs!, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (lines.length < n) throw new Error(`${opts.inputs}: ${lines.length} lines, need ${n}`);
  return lines.slice(0, n);
}

// ---- phases (each in its own process) ----

/** Pool split sweep: start-up, then steady-state throughput over `m` proofs. */
async function phaseSweep([w, t, m]: string[]): Promise<PhaseResult> {
  const artifacts = loadArtifacts(opts.artifacts!);
  const { records } = readInputLines(opts.inputs!, artifacts.model.input.shape);
  const t0 = performance.now();
  const pool = new ProverPool(artifacts, { workers: Number(w), threadsPerWorker: Number(t) });
  await pool.ready();
  const startMs = performance.now() - t0;
  await Promise.all(records.slice(0, pool.workers).map((r) => pool.prove(r.values))); // first proofs (witness calculators)
  const count = Number(m);
  const ms: number[] = [];
  let next = 0;
  const cpu0 = process.cpuUsage(); // every thread of this process: the workers and their snarkjs threads
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: pool.capacity }, async () => {
      while (next < count) {
        const r = records[pool.workers + next++]!;
        ms.push((await pool.prove(r.values)).workerMs);
      }
    }),
  );
  const seconds = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await pool.close();
  return {
    workers: pool.workers,
    threads: pool.threadsPerWorker,
    startMs,
    cpuMsPerProof: (cpu.user + cpu.system) / 1000 / count,
    proofsPerMinute: (count / seconds) * 60,
    p50Ms: percentile(ms, 50),
    p95Ms: percentile(ms, 95),
    maxRssMb: rssMb(),
  };
}

/** (a) proveBatch over the first n lines, default pool split. */
async function phaseBatch([n, out]: string[]): Promise<PhaseResult> {
  const artifacts = loadArtifacts(opts.artifacts!);
  const inputs = join(out!, '..', 'batch.jsonl');
  writeFileSync(inputs, `${firstLines(Number(n)).join('\n')}\n`);
  const t0 = performance.now();
  const s = await proveBatch(artifacts, inputs, out!);
  const ms = performance.now() - t0;
  if (s.proved !== Number(n)) throw new Error(`batch proved ${s.proved} of ${n}: ${JSON.stringify(s.failures.slice(0, 3))}`);
  return { ms, proofsPerMinute: s.proofsPerMinute, p50Ms: s.latency.p50Ms, p95Ms: s.latency.p95Ms, workers: s.workers, threads: s.threadsPerWorker, maxRssMb: rssMb() };
}

/** (c) plain snarkjs fullProve loop (re-reads the zkey and recompiles the wasm each time). */
async function phaseLoop([n]: string[]): Promise<PhaseResult> {
  const artifacts = loadArtifacts(opts.artifacts!);
  const { records } = readInputLines(opts.inputs!, artifacts.model.input.shape);
  const ms: number[] = [];
  const t0 = performance.now();
  for (const r of records.slice(0, Number(n))) {
    const input = { in: quantizeInput(artifacts.model, r.values).map((v) => encodeSigned(BigInt(v))) };
    const t = performance.now();
    await snarkjs.groth16.fullProve(input, artifacts.wasmPath, artifacts.zkeyPath);
    ms.push(performance.now() - t);
  }
  const total = performance.now() - t0;
  await releaseCurve();
  return { ms: total, proofsPerMinute: (ms.length / total) * 60000, p50Ms: percentile(ms, 50), p95Ms: percentile(ms, 95), maxRssMb: rssMb() };
}

/** verifyMany over a folder with a given concurrency. */
async function phaseVerify([dir, concurrency]: string[]): Promise<PhaseResult> {
  const key = loadVerifierKey(opts.artifacts!);
  const paths = listReceiptFiles([dir!]);
  const s = await verifyMany(paths, key, { concurrency: Number(concurrency) });
  await releaseCurve();
  if (s.invalid !== 0) throw new Error(`${s.invalid} receipts invalid`);
  return { receipts: s.total, seconds: s.seconds, perSecond: s.total / s.seconds, threads: s.threads, maxRssMb: rssMb() };
}

// ---- driver ----

const fmt = (x: number, d = 1) => x.toFixed(d);
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const n = Number(opts.n);
  const cliN = Number(opts['cli-n']);
  const loopN = Number(opts['loop-n']);
  const sweepN = Number(opts['sweep-n']);
  const artifacts = loadArtifacts(opts.artifacts!); // checks the folder up front
  const load0 = os.loadavg();
  const work = mkdtempSync(join(os.tmpdir(), 'zkinfer-bench-scale-'));
  const cores = os.availableParallelism();
  log(`load average ${load0.map((x) => x.toFixed(2)).join(' ')} on ${cores} cores`);

  const shapes = [...new Set([`1x1`, `1x${cores}`, `${cores}x1`, `${cores}x${cores}`])];
  const sweep: PhaseResult[] = [];
  for (const s of shapes) {
    const [w, t] = s.split('x');
    log(`sweep ${s}…`);
    sweep.push(await runPhase('sweep', [w!, t!, String(sweepN)]));
  }

  log(`(a) batch of ${n} on the pool…`);
  const out = join(work, 'receipts');
  const a = await runPhase('batch', [String(n), out]);

  log(`(b) ${cliN} separate CLI runs…`);
  const lines = firstLines(cliN);
  const runs: { ms: number; maxRssMb: number }[] = [];
  for (const [i, line] of lines.entries()) {
    const input = join(work, `one-${i}.json`);
    writeFileSync(input, JSON.stringify({ input: (JSON.parse(line) as { input: unknown }).input }));
    const r = await timeCommand(['bin/zkinfer.js', 'prove', opts.artifacts!, '--input', input, '--out', join(work, `one-${i}.receipt.json`)]);
    if (r.code !== 0) throw new Error(`zkinfer prove exited with ${r.code}`);
    runs.push(r);
  }
  const bMs = runs.map((r) => r.ms);
  const bPer = bMs.reduce((x, y) => x + y, 0) / bMs.length;

  log(`(c) fullProve loop of ${loopN}…`);
  const c = await runPhase('loop', [String(loopN)]);

  log('verify…');
  const many = join(work, 'many'); // the batch's receipts five times over, for the verifier pool
  mkdirSync(many);
  for (const f of listReceiptFiles([out])) for (let k = 0; k < 5; k++) copyFileSync(f, join(many, `${k}-${basename(f)}`));
  const manyN = listReceiptFiles([many]).length;
  const vDefault = await runPhase('verify', [out, String(cores)]);
  const vInline = await runPhase('verify', [many, '1']);
  const vPool = await runPhase('verify', [many, String(cores)]);
  const vCli = await timeCommand(['bin/zkinfer.js', 'verify', out, '--artifacts', opts.artifacts!]);
  const load1 = os.loadavg();

  const aPer = (a.ms as number) / n;
  const cPer = (c.ms as number) / loopN;
  const { constraints, publicInputs, publicOutputs } = artifacts.manifest.circuit;
  const md = [
    `## Proving at scale (issue #4)`,
    '',
    `Fashion-MNIST example (${constraints} constraints, ${publicInputs + publicOutputs} public signals), ${cores} cores (\`os.availableParallelism()\`), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    `Load average (1/5/15 min) before: ${load0.map((x) => fmt(x, 2)).join(' / ')}, after: ${load1.map((x) => fmt(x, 2)).join(' / ')}${Math.max(load0[0]!, load1[0]!) > cores * 0.5 ? ' — **other jobs were running; figures are pessimistic and noisy**' : ''}.`,
    '',
    `### Pool split: workers × snarkjs threads (${sweepN} proofs after warm-up, each split in a fresh process)`,
    '',
    '| workers × threads | start-up (until ready) | proofs/min (steady) | CPU time per proof | p50 | p95 | peak RSS |',
    '|---|---|---|---|---|---|---|',
    ...sweep.map(
      (s) =>
        `| ${s.workers} × ${s.threads} | ${sec(s.startMs as number)} | ${fmt(s.proofsPerMinute as number)} | ${sec(s.cpuMsPerProof as number)} | ${sec(s.p50Ms as number)} | ${sec(s.p95Ms as number)} | ${s.maxRssMb} MB |`,
    ),
    '',
    'CPU time per proof (all threads of the process) does not depend on what else the machine runs: on idle cores, a split of W workers can reach at most W proofs at a time, and the cores bound it to cores ÷ CPU time per proof.',
    '',
    `Default: ${defaultPoolShape(cores).workers} × ${defaultPoolShape(cores).threadsPerWorker}.`,
    '',
    `### ${n} proofs`,
    '',
    '| way | wall time per proof | proofs/min | p50 latency | p95 latency | peak RSS | time per proof ÷ that of (a) |',
    '|---|---|---|---|---|---|---|',
    `| (a) \`proveBatch\`, pool ${a.workers} × ${a.threads}, ${n} proofs (start-up included) | ${sec(aPer)} | ${fmt(a.proofsPerMinute as number)} | ${sec(a.p50Ms as number)} | ${sec(a.p95Ms as number)} | ${a.maxRssMb} MB | 1 |`,
    `| (b) one \`zkinfer prove --input\` process per proof — ${cliN} runs, extrapolated to ${n} | ${sec(bPer)} | ${fmt(60000 / bPer)} | ${sec(percentile(bMs, 50))} | ${sec(percentile(bMs, 95))} | ${Math.max(...runs.map((r) => r.maxRssMb))} MB | ${fmt(bPer / aPer, 2)}× (${n} runs ≈ ${fmt((bPer * n) / 1000, 0)} s) |`,
    `| (c) loop over \`snarkjs.groth16.fullProve\`, ${loopN} proofs | ${sec(cPer)} | ${fmt(c.proofsPerMinute as number)} | ${sec(c.p50Ms as number)} | ${sec(c.p95Ms as number)} | ${c.maxRssMb} MB | ${fmt(cPer / aPer, 2)}× |`,
    '',
    '(a) latency is the time a proof spends in its worker (quantize, reference, witness, Groth16, receipt); (b) is the wall time of a whole process; (c) one `fullProve` call.',
    '',
    `### Verifying receipts`,
    '',
    '| way | receipts | receipts/s | peak RSS |',
    '|---|---|---|---|',
    `| \`verifyMany\` default (${vDefault.threads ? `${vDefault.threads} verifier threads` : 'this thread: below the pool threshold'}) | ${n} | ${fmt(vDefault.perSecond as number)} | ${vDefault.maxRssMb} MB |`,
    `| \`verifyMany\`, this thread (single-threaded curve) | ${manyN} | ${fmt(vInline.perSecond as number)} | ${vInline.maxRssMb} MB |`,
    `| \`verifyMany\`, ${vPool.threads} verifier threads (start-up included) | ${manyN} | ${fmt(vPool.perSecond as number)} | ${vPool.maxRssMb} MB |`,
    `| \`zkinfer verify <folder>\` (whole process, start-up included) | ${n} | ${fmt(n / (vCli.ms / 1000))} | ${vCli.maxRssMb} MB |`,
    '',
  ].join('\n');
  process.stdout.write(`${md}\n`);
  writeSection('Proving at scale (issue 4)', md.split('\n').slice(1).join('\n'));
}

const phases: Record<string, (args: string[]) => Promise<PhaseResult>> = { sweep: phaseSweep, batch: phaseBatch, loop: phaseLoop, verify: phaseVerify };

if (!opts.artifacts) {
  log('usage: tsx scripts/bench-scale.ts --artifacts <compiled fashion-mnist folder> [--n 40] [--cli-n 5] [--loop-n 40] [--sweep-n 16]');
  process.exitCode = 2;
} else if (opts.phase) {
  const run = phases[opts.phase];
  if (!run) throw new Error(`unknown phase ${opts.phase}`);
  process.stdout.write(JSON.stringify(await run(opts.arg!)));
} else await main();
