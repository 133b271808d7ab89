/**
 * `npx tsx scripts/bench-local-setup.ts [--runs 3] [--snarkjs-runs 1] [--r1cs <file>]`: local
 * Groth16 setup of the LeNet example (issue 13, item 5) both ways — keys computed directly from a
 * local τ (compile's default) and snarkjs's zkey new + contribution + beacon from the cached local
 * powers of tau — with wall and CPU time (all threads of the process) and the time of each stage.
 * The circuit is compiled first without keys (not timed), unless `--r1cs` names one; the ptau is
 * made and cached first if missing (not timed: the target is "with a cached powers of
 * tau"). Prints JSON lines and writes the "Local setup of LeNet" section of BENCHMARKS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../src/compile/compile.js';
import { localPtau } from '../src/compile/ptau.js';
import { directSetup, groth16Setup, readR1csHeader, requiredPower } from '../src/compile/setup.js';
import { median, table, writeSection } from './lib/bench-report.js';
import { flag } from './lib/args.js';

const arg = flag;
const runs = Number(arg('--runs', '3'));
const snarkjsRuns = Number(arg('--snarkjs-runs', '1'));
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Measure {
  wall: number;
  cpu: number;
  stages: Record<string, number>;
}

async function measure(run: (onProgress: (e: { stage: string }) => void) => Promise<unknown>): Promise<Measure> {
  const stages: Record<string, number> = {};
  let stage = 'start';
  const t0 = performance.now();
  let last = t0;
  const c0 = process.cpuUsage();
  await run((e) => {
    const name = e.stage.replace(/^ptau-.*/, 'ptau');
    if (name === stage) return;
    const now = performance.now();
    stages[stage] = (stages[stage] ?? 0) + (now - last) / 1000;
    last = now;
    stage = name;
  });
  const now = performance.now();
  stages[stage] = (stages[stage] ?? 0) + (now - last) / 1000;
  delete stages.start;
  const cpu = process.cpuUsage(c0);
  return { wall: (now - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6, stages };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'zkinfer-bench-local-setup-'));
  try {
    let r1cs = arg('--r1cs', '');
    if (!r1cs) {
      log('compiling examples/lenet without keys…');
      const compiled = await compileModel('examples/lenet/model.onnx', {
        outDir: join(work, 'lenet'),
        calibrationPath: 'examples/lenet/calibration.jsonl',
        provenance: 'examples/lenet/provenance.json',
        quant: { inputBits: 8, weightBits: 8, activationBits: 9 },
        skipSetup: true,
      });
      r1cs = join(compiled.dir, compiled.manifest.files.r1cs.path);
    }
    const header = await readR1csHeader(r1cs);
    const power = requiredPower(header);
    const rows: string[][] = [];
    const fmt = (m: Measure) =>
      Object.entries(m.stages)
        .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
        .join(', ');
    const report = (label: string, ms: Measure[]) => {
      for (const m of ms) console.log(JSON.stringify({ bench: label, power, ...m }));
      if (ms.length === 0) return;
      rows.push([label, `${median(ms.map((m) => m.wall)).toFixed(1)} s (${ms.map((m) => m.wall.toFixed(1)).join(', ')})`, `${median(ms.map((m) => m.cpu)).toFixed(1)} s`, fmt(ms[0]!)]);
    };
    const direct: Measure[] = [];
    for (let i = 0; i < runs; i++) {
      log(`direct setup ${i + 1}/${runs}…`);
      direct.push(await measure((onProgress) => directSetup(r1cs, join(work, `direct-${i}`), { onProgress })));
    }
    report('direct keys from a local τ (compile default)', direct);
    if (snarkjsRuns > 0) {
      log(`making sure a local 2^${power} powers of tau is cached…`);
      await localPtau(power);
      const viaSnarkjs: Measure[] = [];
      for (let i = 0; i < snarkjsRuns; i++) {
        log(`snarkjs setup ${i + 1}/${snarkjsRuns}…`);
        viaSnarkjs.push(await measure((onProgress) => groth16Setup(r1cs, join(work, `snarkjs-${i}`), { onProgress })));
      }
      report('snarkjs: zkey new + contribution + beacon, cached local ptau (--local-setup snarkjs)', viaSnarkjs);
    }
    const body = [
      `\`npx tsx scripts/bench-local-setup.ts --runs ${runs} --snarkjs-runs ${snarkjsRuns}\`; circuit: examples/lenet as \`bench-lenet.ts\` compiles it (${header.nConstraints.toLocaleString('en-US')} constraints, ${header.nWires.toLocaleString('en-US')} wires, domain 2^${power}). Wall time median (each run); CPU time is the process's, all threads. Target (issue 13): local setup of LeNet with a cached powers of tau at most 60 s.`,
      '',
      table(['setup', 'wall', 'CPU', 'stages (first run)'], rows),
    ].join('\n');
    writeSection('Local setup of LeNet (issue 13)', body);
    process.stdout.write(`${body}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
