/**
 * Benchmarks local powers-of-tau generation and a full local Groth16 setup.
 *
 *   npx tsx scripts/bench-setup.ts [--powers 12,13,14,16,18] [--setup-constraints 6000] [--no-setup]
 *
 * Prints one JSON line per measurement. Every run uses a fresh temporary cache, deleted afterwards.
 */

import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { localPtau } from '../src/compile/ptau.js';
import { groth16Setup } from '../src/compile/setup.js';
import { table, writeSection } from './lib/bench-report.js';
import { flag, hasFlag } from './lib/args.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const arg = (name: string): string | undefined => flag(name);

const powers = (arg('--powers') ?? '12,13,14,16,18').split(',').map(Number);
const constraints = Number(arg('--setup-constraints') ?? 6000);
const threads = availableParallelism();
const rows: string[][] = [];

for (const power of powers) {
  const cacheDir = await mkdtemp(join(tmpdir(), 'zkinfer-bench-'));
  try {
    const t0 = performance.now();
    const info = await localPtau(power, { cacheDir });
    const seconds = (performance.now() - t0) / 1000;
    const { size } = await stat(info.path);
    console.log(JSON.stringify({ bench: 'localPtau', power, seconds: round(seconds), bytes: size, threads }));
    rows.push([`local prepared ptau 2^${power} from nothing`, `${round(seconds)} s`, `${(size / 2 ** 20).toFixed(0)} MiB`]);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

if (!hasFlag('--no-setup')) {
  const dir = await mkdtemp(join(tmpdir(), 'zkinfer-bench-setup-'));
  try {
    // A chain of squarings: one constraint per step.
    const source = `pragma circom 2.0.0;
template Chain(n) { signal input x; signal output y; signal t[n + 1]; t[0] <== x;
  for (var i = 0; i < n; i++) { t[i + 1] <== t[i] * t[i] + i; } y <== t[n]; }
component main = Chain(${constraints});
`;
    const circuit = join(dir, 'chain.circom');
    await writeFile(circuit, source);
    await promisify(execFile)(process.execPath, [join(root, 'node_modules/circom2/cli.js'), circuit, '--r1cs', '-o', dir]);
    const stages: Record<string, number> = {};
    let last = performance.now();
    let lastStage = 'start';
    const t0 = last;
    const result = await groth16Setup(join(dir, 'chain.r1cs'), join(dir, 'out'), {
      cacheDir: join(dir, 'cache'),
      onProgress: (e) => {
        const stage = e.stage.startsWith('ptau') ? 'ptau' : e.stage;
        if (stage === lastStage) return;
        const now = performance.now();
        stages[lastStage] = round((now - last) / 1000 + (stages[lastStage] ?? 0));
        last = now;
        lastStage = stage;
      },
    });
    const now = performance.now();
    stages[lastStage] = round((now - last) / 1000);
    delete stages.start;
    rows.push([
      `full local setup, ${constraints}-constraint circuit (2^${result.power}), fresh cache`,
      `${round((now - t0) / 1000)} s`,
      Object.entries(stages)
        .map(([k, v]) => `${k} ${v} s`)
        .join(', '),
    ]);
    console.log(
      JSON.stringify({
        bench: 'groth16Setup',
        constraints,
        power: result.power,
        seconds: round((now - t0) / 1000),
        stages,
        threads,
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

writeSection(
  'Local setup (powers of tau and Groth16 keys)',
  `snarkjs's own path (new, contribute, prepare phase2) took 55 s at 2^12 and 16 minutes at 2^16 on this machine.\n\n${table(['measure', 'time', 'detail'], rows)}`,
);
