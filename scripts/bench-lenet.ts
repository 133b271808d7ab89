/**
 * `npx tsx scripts/bench-lenet.ts`: measures the LeNet-5 example (examples/lenet) against the
 * targets of issues 3 and 13 and prints a markdown section:
 * - constraints ≤ 131,000, so the circuit fits a 2^17 evaluation domain (issue 3: ≤ 200,000);
 * - compile without setup (import → calibrate → quantize → measure → emit → circom) ≤ 60 s;
 * - proof (witness + Groth16, warm prover) ≤ 5 s (issue 3: ≤ 15 s), after a local setup with direct keys (issue 13: ≤ 60 s);
 * - argmax agreement of the quantized model with float onnxruntime ≥ 99 % on the test split.
 * Options: `--skip-prove` (no setup or proof), `--images N` (test images for the agreement).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../src/compile/compile.js';
import { directSetup } from '../src/compile/setup.js';
import { receiptContext } from '../src/shared/context.js';
import { Prover } from '../src/prove/prover.js';
import { measureError } from '../src/reference/error.js';
import { quantizeInput, runReference } from '../src/reference/execute.js';
import { OrtModel } from '../src/onnx/runtime.js';
import { readInputFile } from '../src/shared/input.js';
import { releaseCurve } from '../src/shared/curve.js';
import { decodeSigned } from '../src/shared/field.js';
import { publicSignalLayout, unpackOutputs } from '../src/shared/layout.js';
import { loadFashionMnist } from '../src/data/fashion-mnist.js';
import { hasFlag, intFlag } from './lib/args.js';
import { median, table, writeSection } from './lib/bench-report.js';

const example = 'examples/lenet';
/** The quantization the example is compiled with (see examples/lenet/README.md). */
const QUANT = { inputBits: 7, weightBits: 8, activationBits: 9 };
const log = (s: string) => process.stderr.write(`${s}\n`);
const status = (ok: boolean) => (ok ? 'met' : 'missed');

async function main() {
  const rows: string[][] = [];
  const work = mkdtempSync(join(tmpdir(), 'zkinfer-lenet-'));

  log('compile without setup…');
  const t0 = performance.now();
  const compiled = await compileModel(join(example, 'model.onnx'), {
    outDir: join(work, 'lenet'),
    calibrationPath: join(example, 'calibration.jsonl'),
    provenance: join(example, 'provenance.json'),
    quant: QUANT,
    skipSetup: true,
  });
  const compileSeconds = (performance.now() - t0) / 1000;
  const { constraints, gadgets } = compiled.manifest.circuit;
  const t = compiled.timings;
  rows.push(['constraints', constraints.toLocaleString('en-US'), '≤ 131,000 (issue 13; issue 3: ≤ 200,000)', status(constraints <= 131_000)]);
  const publicSignals = compiled.manifest.circuit.publicInputs + compiled.manifest.circuit.publicOutputs + compiled.manifest.circuit.contextSignals;
  rows.push(['Groth16 evaluation domain (constraints + public signals + 1)', `2^${Math.ceil(Math.log2(constraints + publicSignals + 1))}`, '2^17', '']);
  rows.push([
    'gadgets',
    Object.entries(gadgets)
      .map(([k, v]) => `${v} ${k}`)
      .join(', '),
    '',
    '',
  ]);
  rows.push(['compile without setup', `${compileSeconds.toFixed(1)} s`, '≤ 60 s', status(compileSeconds <= 60)]);
  rows.push([`of which circom (${compiled.manifest.circuit.optimization})`, `${((t.circom ?? 0) / 1000).toFixed(1)} s`, '', '']);
  rows.push(['of which import, calibrate, quantize, measure, emit', `${(((t.import ?? 0) + (t.calibrate ?? 0) + (t.quantize ?? 0) + (t.measure ?? 0) + (t.emit ?? 0)) / 1000).toFixed(1)} s`, '', '']);

  if (!hasFlag('--skip-prove')) {
    log('Groth16 setup (local, direct keys; scripts/bench-local-setup.ts compares it with snarkjs)…');
    const s0 = performance.now();
    const setup = await directSetup(join(compiled.dir, 'circuit.r1cs'), compiled.dir);
    const setupSeconds = (performance.now() - s0) / 1000;
    rows.push([`local setup, direct keys (2^${setup.power})`, `${setupSeconds.toFixed(1)} s`, '≤ 60 s (issue 13)', status(setupSeconds <= 60)]);
    log('prove (warm prover)…');
    const prover = new Prover({ zkeyPath: setup.zkeyPath, wasmPath: join(compiled.dir, 'circuit_js', 'circuit.wasm') });
    const input = quantizeInput(compiled.model, readInputFile(join(example, 'input.json'), compiled.model.input.shape).values);
    const expected = runReference(compiled.model, input);
    const context = receiptContext({ modelId: '00'.repeat(32), createdAt: new Date().toISOString(), nonce: '00' });
    const first = await prover.prove(input, context);
    // the outputs' public signals: one per value, or packed into field elements
    const segment = publicSignalLayout(compiled.manifest.io)[0]!;
    let outputs: number[];
    if (segment.kind === 'packed') {
      const read = unpackOutputs(segment, first.publicSignals);
      if ('problem' in read) throw new Error(`the proof's packed outputs are refused: ${read.problem}`);
      outputs = read.values.map(Number);
    } else outputs = first.publicSignals.slice(0, expected.length).map((v) => Number(decodeSigned(BigInt(v))));
    if (outputs.join() !== expected.join()) throw new Error('the proof’s public outputs differ from the reference executor');
    const times: { witness: number; prove: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await prover.prove(input, context);
      times.push({ witness: p.witnessMs / 1000, prove: p.proveMs / 1000 });
    }
    const total = median(times.map((x) => x.witness + x.prove));
    rows.push(['proof, warm (witness + Groth16), median of 3', `${total.toFixed(2)} s`, '≤ 5 s (issue 13; issue 3: ≤ 15 s)', status(total <= 5)]);
    rows.push(['of which witness', `${median(times.map((x) => x.witness)).toFixed(2)} s`, '', '']);
    await releaseCurve();
  }

  const count = intFlag('--images', 10_000);
  log(`argmax agreement on ${count} test images…`);
  const test = await loadFashionMnist('test');
  const ort = await OrtModel.load(readFileSync(join(example, 'model.onnx')));
  const shape = compiled.model.input.shape;
  const images = test.images.slice(0, count).map((im) => Float64Array.from(im));
  const report = await measureError(compiled.model, images, (x) => ort.run(x, shape));
  let correct = 0;
  images.forEach((x, i) => {
    const y = runReference(compiled.model, quantizeInput(compiled.model, x));
    if (y.indexOf(Math.max(...y)) === test.labels[i]) correct++;
  });
  await ort.close();
  rows.push([`argmax agreement with float onnxruntime (${report.inputs} test images)`, `${(report.argmaxAgreement * 100).toFixed(2)} %`, '≥ 99 %', status(report.argmaxAgreement >= 0.99)]);
  rows.push([
    'test accuracy, quantized / float (provenance.json)',
    `${((correct / images.length) * 100).toFixed(2)} % / ${(JSON.parse(readFileSync(join(example, 'provenance.json'), 'utf8')).testAccuracy * 100).toFixed(2)} %`,
    '',
    '',
  ]);
  rows.push(['max / mean absolute logit error', `${report.maxAbsError.toFixed(3)} / ${report.meanAbsError.toFixed(4)}`, '', '']);
  rows.push(['test images outside the calibrated range', `${report.outOfRange}`, '', '']);

  const body = [
    `Model: examples/lenet (Conv 6@5×5 pad 2 → ReLU → MaxPool 2 → Conv 16@5×5 → ReLU → MaxPool 2 → 400-120-84-10), quantization ${JSON.stringify(QUANT)}, calibrated on examples/lenet/calibration.jsonl. Max pooling runs before the ReLU rescale (only pooled values are rescaled) and each Conv is emitted inside its pooling's template (its outputs are never signals); the dense layers are loop templates.`,
    '',
    table(['measure', 'value', 'target', ''], rows),
  ].join('\n');
  writeSection('LeNet-5 (issues 3 and 13)', body);
  process.stdout.write(`${body}\n`);
}

await main();
