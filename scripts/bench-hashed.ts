/**
 * `npm run bench:hashed`: the 784-128-10 example (examples/fashion-mnist) compiled with a
 * hashed input and a public output — constraints, warm proof time (witness + Groth16, with
 * a fresh salt each), and verification time (bindings + pairing) — beside the issue's targets.
 * Interleaved in the same loop, as same-load references: the public-input example, and the
 * previous engines on the hashed model — snarkjs's own `groth16.prove` on the same witness
 * (Prover with engine `snarkjs`) against zkinfer's prover (src/prove/groth16.ts), and
 * snarkjs's `groth16.verify` against the default wasm check (src/verify/groth16-wasm.ts).
 * Usage: tsx scripts/bench-hashed.ts [--out artifacts/fashion-mnist-hashed] [--runs 5] [--threads 1]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, cpus, totalmem } from 'node:os';
import { compileModel } from '../src/compile/compile.js';
import { loadArtifacts } from '../src/prove/artifacts.js';
import { proveWithOpening } from '../src/prove/prove.js';
import { Prover } from '../src/prove/prover.js';
import { quantizeInput } from '../src/reference/execute.js';
import { receiptContext } from '../src/shared/context.js';
import { randomSalt } from '../src/shared/commitment.js';
import { loadVerifierKey, verifyProof } from '../src/verify/verify.js';
import { checkOpening } from '../src/shared/opening.js';
import { warmCurve } from '../src/prove/curve-threads.js';
import { releaseCurve } from '../src/shared/curve.js';
import { flag } from './lib/args.js';
import { median } from './lib/stats.js';

const arg = flag;
const out = arg('--out', 'artifacts/fashion-mnist-hashed');
/** The public-input example's artifacts, proven interleaved with the hashed one as a same-load baseline (skipped if absent). */
const baselineDir = arg('--baseline', 'artifacts/fashion-mnist');
const runs = Number(arg('--runs', '5'));
/** snarkjs curve threads (1: ffjavascript's single-thread mode, as a pool worker; 2: both cores of this machine). */
const threads = Number(arg('--threads', '1'));
const example = 'examples/fashion-mnist';
const load = loadavg()[0]!.toFixed(2);

if (!existsSync(join(out, 'manifest.json'))) {
  const t0 = performance.now();
  await compileModel(join(example, 'model.onnx'), {
    outDir: out,
    calibrationPath: join(example, 'calibration.jsonl'),
    inputVisibility: 'hashed',
    onProgress: (p) => process.stderr.write(`${p.stage}: ${p.message}\n`),
  });
  process.stderr.write(`compiled in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
const artifacts = loadArtifacts(out);
const key = loadVerifierKey(out);
const input = (JSON.parse(readFileSync(join(example, 'input.json'), 'utf8')) as { input: number[][][][] }).input.flat(3);
await warmCurve(threads);
const prove: number[] = [];
const verify: number[] = [];
const baseProve: number[] = [];
const baseVerify: number[] = [];
const baseline = existsSync(join(baselineDir, 'manifest.json')) ? { artifacts: loadArtifacts(baselineDir), key: loadVerifierKey(baselineDir) } : undefined;
// the Groth16 engines alone, on the same witness inputs (quantized input, context, fresh salt)
const engines = { zkinfer: new Prover(artifacts), snarkjs: new Prover(artifacts, { engine: 'snarkjs' }) };
const engineProve = { zkinfer: [] as number[], snarkjs: [] as number[] };
const engineVerify = { wasm: [] as number[], snarkjs: [] as number[] };
const inputRaw = quantizeInput(artifacts.model, input);
let last;
for (let i = 0; i <= runs; i++) {
  const context = receiptContext({ modelId: artifacts.manifest.modelId, createdAt: new Date().toISOString(), nonce: `2${i}` });
  for (const name of ['snarkjs', 'zkinfer'] as const) {
    const t0 = performance.now();
    await engines[name].prove(inputRaw, context, { inSalt: randomSalt() });
    if (i > 0) engineProve[name].push(performance.now() - t0);
  }
  if (baseline) {
    const t0 = performance.now();
    const { receipt } = await proveWithOpening(baseline.artifacts, input, { nonce: `1${i}` });
    const t1 = performance.now();
    if (!(await verifyProof(receipt, baseline.key)).valid) throw new Error('baseline verification failed');
    if (i > 0) {
      baseProve.push(t1 - t0);
      baseVerify.push(performance.now() - t1);
    }
  }
  const t0 = performance.now();
  last = await proveWithOpening(artifacts, input, { nonce: `0${i}` });
  const t1 = performance.now();
  const v = await verifyProof(last.receipt, key);
  const t2 = performance.now();
  if (!v.valid) throw new Error(`verification failed: ${v.reason}`);
  for (const engine of ['snarkjs', 'wasm'] as const) {
    const t0 = performance.now();
    if (!(await verifyProof(last.receipt, key, { engine })).valid) throw new Error(`verification (${engine}) failed`);
    if (i > 0) engineVerify[engine].push(performance.now() - t0);
  }
  if (i === 0) continue; // warm-up
  prove.push(t1 - t0);
  verify.push(t2 - t1);
}
const opened = await checkOpening(last!.receipt, last!.opening!, key.manifest.io);
if (!opened.valid) throw new Error(`opening refused: ${opened.reason}`);
const m = artifacts.manifest;
process.stdout
  .write(`Machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average at start ${load}, at end ${loadavg()[0]!.toFixed(2)}; curve threads ${threads}; ${new Date().toISOString().slice(0, 10)}

| measure | value | target |
|---|---|---|
| constraints (hashed input, public output; circom ${m.circuit.optimization}) | ${m.circuit.constraints} | ≤ 15,000 |
| wires | ${m.circuit.wires} | |
| proof, warm (witness + Groth16), median of ${runs} | ${(median(prove) / 1000).toFixed(2)} s | ≤ 0.6 s |
| verification, warm (bindings + Groth16), median of ${runs} | ${median(verify).toFixed(1)} ms | ≤ 15 ms |
| same loop, witness + Groth16 only: snarkjs \`groth16.prove\` (previous) / zkinfer's prover, median of ${runs} | ${(median(engineProve.snarkjs) / 1000).toFixed(2)} s / ${(median(engineProve.zkinfer) / 1000).toFixed(2)} s | |
| same loop, verification: snarkjs \`groth16.verify\` engine (previous default) / wasm engine, median of ${runs} | ${median(engineVerify.snarkjs).toFixed(1)} ms / ${median(engineVerify.wasm).toFixed(1)} ms | |
${
  baseline
    ? `| same load, public input (${baselineDir}, ${baseline.artifacts.manifest.circuit.constraints} constraints): proof / verification | ${(median(baseProve) / 1000).toFixed(2)} s / ${median(baseVerify).toFixed(1)} ms | |
`
    : ''
}`);
await releaseCurve();
