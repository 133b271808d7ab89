/**
 * `npm run bench:cli`: the command line as a user runs it, whole process from spawn to exit
 * — `zkinfer --help`, one `zkinfer prove --input` of the example and one `zkinfer verify`
 * of that receipt — over several runs, with medians, and the CPU time of each process (all
 * its threads). Writes the "Command line" section of BENCHMARKS.md.
 *
 *   npm run build && npx tsx scripts/bench-cli.ts [--artifacts artifacts/fashion-mnist] [--runs 9] [--bin bin/zkinfer.js] [--no-write]
 *
 * Missing artifacts are compiled first with `zkinfer compile` (as `npm run demo` does).
 * `--bin` measures another checkout's CLI (to compare); `--no-write` only prints.
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

const { values: opts } = parseArgs({
  options: {
    artifacts: { type: 'string', default: 'artifacts/fashion-mnist' },
    input: { type: 'string', default: 'examples/fashion-mnist/input.json' },
    runs: { type: 'string', default: '9' },
    bin: { type: 'string', default: 'bin/zkinfer.js' },
    'no-write': { type: 'boolean', default: false },
  },
});

interface Run {
  ms: number;
  cpuMs: number;
}

/** Runs `node [--import CPU_HOOK] <bin> ...args` and times it from spawn to exit. */
function run(args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', CPU_HOOK, resolve(ROOT, opts.bin!), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) return fail(new Error(`zkinfer ${args.join(' ')} exited with ${code}:\n${stderr}`));
      done({ ms, cpuMs: Number(/cpu-us=(\d+)/.exec(stderr)?.[1] ?? NaN) / 1000 });
    });
  });
}

const runs = Number(opts.runs);
const artifacts = resolve(ROOT, opts.artifacts!);
if (opts.bin === 'bin/zkinfer.js' && !existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is not built: run `npm run build` first');
if (!existsSync(join(artifacts, 'manifest.json'))) {
  process.stderr.write(`compiling examples/fashion-mnist into ${artifacts}\n`);
  const example = join(ROOT, 'examples/fashion-mnist');
  await run(['compile', join(example, 'model.onnx'), '--out', artifacts, '--calibration', join(example, 'calibration.jsonl'), '--provenance', join(example, 'provenance.json')]);
}
const work = mkdtempSync(join(tmpdir(), 'zkinfer-bench-cli-'));
const receipt = (i: number) => join(work, `r${i}.json`);

const commands = {
  help: () => ['--help'],
  prove: (i: number) => ['prove', artifacts, '--input', resolve(ROOT, opts.input!), '--out', receipt(i)],
  verify: (i: number) => ['verify', receipt(i), '--artifacts', artifacts],
};
type Name = keyof typeof commands;
const results: Record<Name, Run[]> = { help: [], prove: [], verify: [] };
const loadStart = loadavg()[0]!;

// one unmeasured round first (file cache), then the runs, the three commands interleaved
await run(commands.help());
await run(commands.prove(0));
await run(commands.verify(0));
for (let i = 1; i <= runs; i++) {
  for (const name of Object.keys(commands) as Name[]) {
    const r = await run(commands[name](i));
    results[name].push(r);
    process.stderr.write(`${name.padEnd(6)} run ${i}/${runs}: ${r.ms.toFixed(0)} ms (cpu ${r.cpuMs.toFixed(0)} ms)\n`);
  }
}
const loadEnd = loadavg()[0]!;

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const targets: Record<Name, { label: string; ms: number }> = {
  help: { label: '`zkinfer --help`', ms: 300 },
  prove: { label: '`zkinfer prove --input` (one proof)', ms: 1500 },
  verify: { label: '`zkinfer verify` (one receipt)', ms: 500 },
};
const rows = (Object.keys(commands) as Name[]).map((name) => {
  const wall = results[name].map((r) => r.ms);
  const m = median(wall);
  return [targets[name].label, fmt(m), `${fmt(Math.min(...wall))} – ${fmt(Math.max(...wall))}`, fmt(median(results[name].map((r) => r.cpuMs))), `≤ ${fmt(targets[name].ms)}`, m <= targets[name].ms ? 'met' : 'not met'];
});
const body = [
  `Whole process, from spawn to exit, of \`node ${opts.bin}\` (the compiled CLI in dist/) on examples/fashion-mnist (784-128-10 MLP, artifacts in ${opts.artifacts}); ${runs} runs of each command, interleaved, after one unmeasured round. CPU is the process's user + system time over all its threads (reported by an exit hook). The machine is shared: load average ${loadStart.toFixed(2)} at the start, ${loadEnd.toFixed(2)} at the end.`,
  '',
  table(['command', 'median', 'min – max', 'median CPU', 'target', ''], rows),
].join('\n');
process.stdout.write(`${body}\n`);
if (!opts['no-write']) writeSection('Command line (issue 8)', body);
