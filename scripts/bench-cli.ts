/**
 * `npm run bench:cli`: the command line as a user runs it, whole process from spawn to exit
 * — `zkinfer --help`, one `zkinfer prove --input` of the example and one `zkinfer verify`
 * of that receipt — over several runs, with medians, and the CPU time of each process (all
 * its threads). Writes the "Command line" section of BENCHMARKS.md.
 *
 *   npm run build && npx tsx scripts/bench-cli.ts [--artifacts artifacts/fashion-mnist] [--runs 9]
 *       [--baseline <other checkout>/bin/zkinfer.js --baseline-name "main at abc123"] [--no-write]
 *
 * Missing artifacts are compiled first with `zkinfer compile` (as `npm run demo` does).
 * `--baseline` runs another checkout's CLI on the same artifacts, interleaved with this one,
 * for a before/after comparison under the same load; `--no-write` only prints.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { median, table, writeSection } from './lib/bench-report.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
/** Prints the process's CPU time (user + system, every thread) on stderr as it exits. */
const CPU_HOOK = `data:text/javascript,process.on("exit",()=>{const u=process.resourceUsage();process.stderr.write("\\ncpu-us="+(u.userCPUTime+u.systemCPUTime)+"\\n")})`;
const BIN = join(ROOT, 'bin/zkinfer.js');

const { values: opts } = parseArgs({
  options: {
    artifacts: { type: 'string', default: 'artifacts/fashion-mnist' },
    input: { type: 'string', default: 'examples/fashion-mnist/input.json' },
    runs: { type: 'string', default: '9' },
    baseline: { type: 'string' },
    'baseline-name': { type: 'string', default: 'baseline' },
    'no-write': { type: 'boolean', default: false },
  },
});

interface Run {
  ms: number;
  cpuMs: number;
}

/** Runs `node --import CPU_HOOK <bin> ...args` and times it from spawn to exit. */
function run(bin: string, args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', CPU_HOOK, bin, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) return fail(new Error(`${bin} ${args.join(' ')} exited with ${code}:\n${stderr}`));
      done({ ms, cpuMs: Number(/cpu-us=(\d+)/.exec(stderr)?.[1] ?? NaN) / 1000 });
    });
  });
}

const runs = Number(opts.runs);
const artifacts = resolve(ROOT, opts.artifacts!);
if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is not built: run `npm run build` first');
if (!existsSync(join(artifacts, 'manifest.json'))) {
  process.stderr.write(`compiling examples/fashion-mnist into ${artifacts}\n`);
  const example = join(ROOT, 'examples/fashion-mnist');
  await run(BIN, ['compile', join(example, 'model.onnx'), '--out', artifacts, '--calibration', join(example, 'calibration.jsonl'), '--provenance', join(example, 'provenance.json')]);
}
const work = mkdtempSync(join(tmpdir(), 'zkinfer-bench-cli-'));

const commands = {
  help: () => ['--help'],
  prove: (tag: string) => ['prove', artifacts, '--input', resolve(ROOT, opts.input!), '--out', join(work, `${tag}.json`)],
  verify: (tag: string) => ['verify', join(work, `${tag}.json`), '--artifacts', artifacts],
};
type Name = keyof typeof commands;
const names = Object.keys(commands) as Name[];
const bins: { label: string; path: string }[] = [{ label: 'this', path: BIN }];
if (opts.baseline) bins.push({ label: 'baseline', path: resolve(opts.baseline) });
const results = new Map(bins.map((b) => [b.label, Object.fromEntries(names.map((n) => [n, [] as Run[]])) as Record<Name, Run[]>]));
const loadStart = loadavg()[0]!;

// one unmeasured round first (file cache), then the runs, commands and CLIs interleaved
for (const b of bins) for (const n of names) await run(b.path, commands[n](`${b.label}-0`));
for (let i = 1; i <= runs; i++) {
  for (const n of names) {
    for (const b of bins) {
      const r = await run(b.path, commands[n](`${b.label}-${i}`));
      results.get(b.label)![n].push(r);
      process.stderr.write(`${b.label.padEnd(8)} ${n.padEnd(6)} run ${i}/${runs}: ${r.ms.toFixed(0)} ms (cpu ${r.cpuMs.toFixed(0)} ms)\n`);
    }
  }
}
const loadEnd = loadavg()[0]!;

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const targets: Record<Name, { label: string; ms: number }> = {
  help: { label: '`zkinfer --help`', ms: 300 },
  prove: { label: '`zkinfer prove --input` (one proof)', ms: 1500 },
  verify: { label: '`zkinfer verify` (one receipt)', ms: 500 },
};
const mine = results.get('this')!;
const base = results.get('baseline');
const rows = names.map((n) => {
  const wall = mine[n].map((r) => r.ms);
  const m = median(wall);
  const row = [targets[n].label, fmt(m), `${fmt(Math.min(...wall))} – ${fmt(Math.max(...wall))}`, fmt(median(mine[n].map((r) => r.cpuMs)))];
  if (base) row.push(`${fmt(median(base[n].map((r) => r.ms)))} (CPU ${fmt(median(base[n].map((r) => r.cpuMs)))})`);
  return [...row, `≤ ${fmt(targets[n].ms)}`, m <= targets[n].ms ? 'met' : 'not met'];
});
const head = ['command', 'median', 'min – max', 'median CPU', ...(base ? [`before: ${opts['baseline-name']}, median`] : []), 'target', ''];
const body = [
  `Whole process, from spawn to exit, of \`node bin/zkinfer.js\` (the compiled CLI in dist/) on examples/fashion-mnist (784-128-10 MLP, artifacts in ${opts.artifacts}); ${runs} runs of each command${base ? ', this CLI and the one before interleaved' : ''}, after one unmeasured round. CPU is the process's user + system time over all its threads (reported by an exit hook). The machine is shared: load average ${loadStart.toFixed(2)} at the start, ${loadEnd.toFixed(2)} at the end.`,
  '',
  table(head, rows),
].join('\n');
process.stdout.write(`${body}\n`);
if (!opts['no-write']) writeSection('Command line (issue 8)', body);
