/**
 * `npm run bench`: measures the targets of the core pipeline on the bundled Fashion-MNIST
 * example (784-128-10 ReLU MLP) and writes them to BENCHMARKS.md with the machine and date.
 * Figures are medians of repeated runs in one warm process unless stated otherwise.
 */
import { tmpdir } from 'node:os';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { compileModel } from '../src/compile/compile.js';
import { loadArtifacts } from '../src/prove/artifacts.js';
import { proveInference } from '../src/prove/prove.js';
import { loadVerifierKey, verifyProof } from '../src/verify/verify.js';
import { measureError } from '../src/reference/error.js';
import { OrtModel } from '../src/onnx/runtime.js';
import { readInputFile } from '../src/shared/input.js';
import { releaseCurve } from '../src/shared/curve.js';
import { loadFashionMnist } from '../src/data/fashion-mnist.js';
import { median, table, writeSection } from './lib/bench-report.js';

const example = 'examples/fashion-mnist';
const log = (s: string) => process.stderr.write(`${s}\n`);

async function main() {
  const rows: string[][] = [];
  const work = mkdtempSync(join(tmpdir(), 'zkinfer-bench-'));
  process.env.ZKINFER_CACHE_DIR = join(work, 'cache'); // setup from nothing: no cached ptau

  log('compile (with local setup from nothing)…');
  const t0 = performance.now();
  const compiled = await compileModel(join(example, 'model.onnx'), {
    outDir: join(work, 'fashion-mnist'),
    calibrationPath: join(example, 'calibration.jsonl'),
    provenance: join(example, 'provenance.json'),
  });
  const compileSeconds = (performance.now() - t0) / 1000;
  const t = compiled.timings;
  const constraints = compiled.manifest.circuit.constraints;
  rows.push(['784-128-10 MLP: constraints', `${constraints}`, '≤ 6,000', constraints <= 6000 ? 'met' : 'missed']);
  rows.push(['circomlib-ml equivalent (1 per multiply + 517 per ReLU)', `${784 * 128 + 128 * 10 + 517 * 128}`, '—', 'reference']);
  const setupSeconds = (t.setup ?? 0) / 1000;
  rows.push([
    compiled.manifest.setup?.method === 'direct' ? 'local setup from nothing (direct keys from a local τ)' : 'local setup from nothing (ptau + zkey + contribution + beacon)',
    `${setupSeconds.toFixed(1)} s`,
    '≤ 60 s',
    setupSeconds <= 60 ? 'met' : 'missed',
  ]);
  rows.push(['circom compile (O1) of the emitted circuit', `${((t.circom ?? 0) / 1000).toFixed(1)} s`, '—', '']);
  rows.push(['whole compile incl. setup', `${compileSeconds.toFixed(1)} s`, '—', '']);

  log('prove (warm, in-process)…');
  const artifacts = loadArtifacts(compiled.dir);
  const input = readInputFile(join(example, 'input.json'), artifacts.model.input.shape).values;
  const proveTimes: number[] = [];
  let receipt = await proveInference(artifacts, input); // warm-up: curve, wasm
  for (let i = 0; i < 7; i++) {
    const s = performance.now();
    receipt = await proveInference(artifacts, input);
    proveTimes.push((performance.now() - s) / 1000);
  }
  const prove = median(proveTimes);
  rows.push(['proof, warm (witness + Groth16 prove)', `${prove.toFixed(2)} s`, '≤ 0.5 s', prove <= 0.5 ? 'met' : 'missed']);

  log('verify (warm)…');
  const key = loadVerifierKey(compiled.dir);
  await verifyProof(receipt, key);
  const verifyTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    const v = await verifyProof(receipt, key);
    verifyTimes.push(performance.now() - s);
    if (!v.valid) throw new Error(`benchmark receipt did not verify: ${v.reason}`);
  }
  const verifyMs = median(verifyTimes);
  rows.push(['verification, warm (bindings + Groth16)', `${verifyMs.toFixed(1)} ms`, '≤ 50 ms', verifyMs <= 50 ? 'met' : 'missed']);
  const pairingTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    await snarkjs.groth16.verify(key.vkey, receipt.publicSignals!, receipt.proof!);
    pairingTimes.push(performance.now() - s);
  }
  rows.push(['of which snarkjs groth16.verify', `${median(pairingTimes).toFixed(1)} ms`, '', '']);
  await releaseCurve();

  log('argmax agreement on the Fashion-MNIST test split…');
  const test = await loadFashionMnist('test');
  const ort = await OrtModel.load(readFileSync(join(example, 'model.onnx')));
  const shape = artifacts.model.input.shape;
  const images = test.images.map((im) => Float64Array.from(im));
  const report = await measureError(artifacts.model, images, (x) => ort.run(x, shape));
  await ort.close();
  rows.push([`argmax agreement with float onnxruntime (${report.inputs} test images)`, `${(report.argmaxAgreement * 100).toFixed(2)} %`, '≥ 99 %', report.argmaxAgreement >= 0.99 ? 'met' : 'missed']);
  rows.push(['max / mean |logit error| on the test split', `${report.maxAbsError.toFixed(4)} / ${report.meanAbsError.toFixed(4)}`, '', '']);
  rows.push(['test inputs outside the calibrated range', `${report.outOfRange}`, '', '']);

  const body = `Model: examples/fashion-mnist (784-128-10 ReLU MLP), default quantization (${JSON.stringify(compiled.manifest.compileOptions.quant)}).\nProofs use the warm \`Prover\` (zkey in memory, witness calculator built once); verification includes the public-signal binding checks.\n\n${table(['measure', 'value', 'target', ''], rows)}`;
  writeSection('Core pipeline (issue 2)', body);
  process.stdout.write(`${body}\n`);
}

await main();
