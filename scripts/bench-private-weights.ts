/**
 * `npm run bench:private-weights`: the 196-32-10 MLP (test/fixtures/models/mlp_196_32_10.onnx,
 * 14×14 Fashion-MNIST; scripts/make_reduced_mlp.py) compiled twice with the same calibration —
 * public weights (constants of the circuit) and `--weights hashed` (private signals bound to a
 * salted Poseidon commitment) — and, for each, the constraints, the warm proof time (witness +
 * Groth16) and the warm verification time (bindings + pairing), proven interleaved so both see
 * the same load. Prints the cost per weight: (hashed − public constraints) / weights.
 * Usage: tsx scripts/bench-private-weights.ts [--work /tmp/zkinfer-bench-private-weights] [--runs 5]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpus, loadavg, totalmem } from 'node:os';
import { compileModel } from '../src/compile/compile.js';
import { loadArtifacts, withPrivateWeights, type Artifacts } from '../src/prove/artifacts.js';
import { proveInference } from '../src/prove/prove.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../src/verify/verify.js';
import { warmCurve } from '../src/prove/curve-threads.js';
import { releaseCurve } from '../src/shared/curve.js';
import { flag, intFlag } from './lib/args.js';
import { median } from './lib/stats.js';

const root = resolve(import.meta.dirname, '..');
const work = flag('--work', '/tmp/zkinfer-bench-private-weights');
const runs = intFlag('--runs', 5);
const onnx = join(root, 'test/fixtures/models/mlp_196_32_10.onnx');
const loadStart = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
mkdirSync(work, { recursive: true });

/** A [1,1,28,28] image to [1,1,14,14]: the mean of each 2×2 block (as scripts/make_reduced_mlp.py). */
function downsample(x: number[][][][]): number[][][][] {
  const img = x[0]![0]!;
  return [
    [
      Array.from({ length: 14 }, (_, r) =>
        Array.from({ length: 14 }, (_, c) => Math.round(((img[2 * r]![2 * c]! + img[2 * r]![2 * c + 1]! + img[2 * r + 1]![2 * c]! + img[2 * r + 1]![2 * c + 1]!) / 4) * 1e4) / 1e4),
      ),
    ],
  ];
}
const calibration = join(work, 'calibration.jsonl');
const lines = readFileSync(join(root, 'examples/fashion-mnist/calibration.jsonl'), 'utf8').trim().split('\n');
writeFileSync(calibration, `${lines.map((l) => JSON.stringify({ input: downsample((JSON.parse(l) as { input: number[][][][] }).input) })).join('\n')}\n`);
const input = downsample((JSON.parse(readFileSync(join(root, 'examples/fashion-mnist/input.json'), 'utf8')) as { input: number[][][][] }).input).flat(3);

const publicDir = join(work, 'public');
const hashedDir = join(work, 'hashed');
const weightsFile = join(work, 'weights.private.json');
const compileTimes: Record<string, number> = {};
for (const [dir, hashed] of [
  [publicDir, false],
  [hashedDir, true],
] as const) {
  if (existsSync(join(dir, 'manifest.json')) && (!hashed || existsSync(weightsFile))) continue;
  const t0 = performance.now();
  await compileModel(onnx, { outDir: dir, calibrationPath: calibration, force: true, ...(hashed ? { weights: 'hashed' as const, weightsOut: weightsFile } : {}) });
  compileTimes[hashed ? 'hashed' : 'public'] = (performance.now() - t0) / 1000;
}
const pub = { artifacts: loadArtifacts(publicDir), key: loadVerifierKey(publicDir) };
const hid = { artifacts: await withPrivateWeights(loadArtifacts(hashedDir), weightsFile), key: loadVerifierKey(hashedDir) };

await warmCurve(1);
const times = { public: { prove: [] as number[], verify: [] as number[] }, hashed: { prove: [] as number[], verify: [] as number[] } };
const outputs: string[] = [];
for (let i = 0; i <= runs; i++) {
  for (const [name, m] of [
    ['public', pub],
    ['hashed', hid],
  ] as [keyof typeof times, { artifacts: Artifacts; key: VerifierKey }][]) {
    const t0 = performance.now();
    const receipt = await proveInference(m.artifacts, input, { nonce: `0${i}` });
    const t1 = performance.now();
    const v = await verifyProof(receipt, m.key);
    const t2 = performance.now();
    if (!v.valid) throw new Error(`${name}: verification failed: ${v.reason}`);
    if (i === 0) {
      outputs.push('raw' in receipt.output ? receipt.output.raw.join(',') : '');
      continue; // warm-up
    }
    times[name].prove.push(t1 - t0);
    times[name].verify.push(t2 - t1);
  }
}
if (outputs[0] !== outputs[1]) throw new Error("the hashed-weights proof's output differs from the public-weights one");
const cp = pub.artifacts.manifest.circuit.constraints;
const ch = hid.artifacts.manifest.circuit.constraints;
const weights = hid.artifacts.manifest.io.weights!.count;
const loadEnd = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
process.stdout
  .write(`Machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${new Date().toISOString()}; load average at start ${loadStart}, at end ${loadEnd}
${
  Object.keys(compileTimes).length
    ? `compile: ${Object.entries(compileTimes)
        .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
        .join(', ')}\n`
    : ''
}
| 196-32-10 MLP, ${weights} weights and biases | public weights | --weights hashed |
|---|---|---|
| constraints (circom ${hid.artifacts.manifest.circuit.optimization}) | ${cp} | ${ch} |
| cost per weight: (hashed − public) / ${weights} | | ${((ch - cp) / weights).toFixed(2)} |
| proof, warm (witness + Groth16), median of ${runs} | ${(median(times.public.prove) / 1000).toFixed(2)} s | ${(median(times.hashed.prove) / 1000).toFixed(2)} s |
| verification, warm (bindings + Groth16), median of ${runs} | ${median(times.public.verify).toFixed(1)} ms | ${median(times.hashed.verify).toFixed(1)} ms |
| same output integers | yes | yes |
`);
await releaseCurve();
