/**
 * `npx tsx scripts/bench-lenet-qdq.ts`: the int8 QDQ LeNet (examples/lenet/model-int8.onnx,
 * made by scripts/make_qdq_models.py) against the float LeNet it was quantized from, as
 * scripts/bench-lenet.ts compiles it (issue 13, item 3; target: QDQ constraints ≤ float):
 * - constraints and wires of the QDQ circuit (circom, no setup), and the float circuit's
 *   constraints as the cost model predicts them (equal to circom's count, test/ops/cost.test.ts);
 * - argmax agreement of the QDQ circuit's semantics (the reference executor, equal to the
 *   witness) with onnxruntime running the QDQ model, on the 10,000 test images;
 * - the same for the QDQ model compiled with `--int8 fold` (power-of-two rescales at the float
 *   widths instead of the requantization multiplier; QuantOptions.int8).
 * Options: `--images N`, `--skip-circom` (predicted counts only), `--artifacts <dir>` (the
 * counts of a QDQ LeNet already compiled into <dir> by this script, instead of compiling).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { compileModel } from '../src/compile/compile.js';
import { readManifest } from '../src/shared/manifest.js';
import { importOnnx } from '../src/onnx/import.js';
import { optimize } from '../src/ir/optimize.js';
import { calibrate } from '../src/quant/calibrate.js';
import { quantize } from '../src/quant/quantize.js';
import { predictConstraints } from '../src/circuit/cost.js';
import { readInputLines } from '../src/shared/input.js';
import { quantizeInput, runReference } from '../src/reference/execute.js';
import { OrtModel } from '../src/onnx/runtime.js';
import { loadFashionMnist } from '../src/data/fashion-mnist.js';
import { flag, hasFlag, intFlag } from './lib/args.js';
import { machineLine, table, writeSection } from './lib/bench-report.js';

const example = 'examples/lenet';
/** The float LeNet's quantization in scripts/bench-lenet.ts; the QDQ model keeps its own int8 widths. */
const QUANT = { inputBits: 7, weightBits: 8, activationBits: 9 };
const log = (s: string) => process.stderr.write(`${s}\n`);
const argmax = (y: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < y.length; i++) if (y[i]! > y[b]!) b = i;
  return b;
};

/** The quantized model of an ONNX file as compileModel makes it (same calibration and options). */
function quantized(file: string, int8: 'exact' | 'fold' = 'exact') {
  const graph = optimize(importOnnx(readFileSync(file)));
  const calib = readInputLines(join(example, 'calibration.jsonl'), graph.input.shape).records.map((r) => r.values);
  return quantize(graph, calibrate(graph, calib), { ...QUANT, int8 });
}

/**
 * The constraints of each comparison or rescale step, with what precedes it since the last
 * one (the layers' output bindings): differences of the predicted counts of model prefixes.
 */
function breakdown(model: ReturnType<typeof quantized>): { label: string; constraints: number }[] {
  const parts: { label: string; constraints: number }[] = [];
  let prev = 0;
  model.nodes.forEach((n, i) => {
    if (n.kind !== 'maxPool' && n.kind !== 'rescale') return;
    const info = model.values[n.output]!;
    const count = predictConstraints({ ...model, nodes: model.nodes.slice(0, i + 1), output: { ...model.output, name: n.output, shape: info.shape } }) - 1;
    const elements = info.shape.reduce((a, b) => a * b, 1);
    const label =
      n.kind === 'maxPool'
        ? `max pooling of ${elements} outputs, comparisons of ${n.bits} bits`
        : `${n.saturate !== undefined || n.multiplier ? 'Requantize' : 'rescale'}${n.relu ? ' (ReLU)' : ''} of ${elements}: k ${n.shift}, b ${n.bits}${n.saturate !== undefined ? `, saturated to ${n.saturate} bits` : ''}`;
    parts.push({ label, constraints: count - prev });
    prev = count;
  });
  return parts;
}

async function main() {
  const machine = machineLine();
  const rows: string[][] = [];
  const floatModel = quantized(join(example, 'model.onnx'));
  const qdqModel = quantized(join(example, 'model-int8.onnx'));
  const foldModel = quantized(join(example, 'model-int8.onnx'), 'fold');
  const floatCount = predictConstraints(floatModel);
  const qdqPredicted = predictConstraints(qdqModel);
  const foldCount = predictConstraints(foldModel);
  let qdqCount = qdqPredicted;
  let wires = '—';
  let circom = '';
  const artifacts = flag('--artifacts');
  if (artifacts !== undefined) {
    const circuit = readManifest(artifacts).circuit;
    if (circuit.constraints !== qdqPredicted) throw new Error(`the artifacts hold ${circuit.constraints} constraints, the cost model predicts ${qdqPredicted}`);
    wires = circuit.wires.toLocaleString('en-US');
    rows.push([
      'gadgets (QDQ)',
      Object.entries(circuit.gadgets)
        .map(([k, v]) => `${v} ${k}`)
        .join(', '),
      '',
      '',
    ]);
  } else if (!hasFlag('--skip-circom')) {
    log('compiling the QDQ LeNet (circom, no setup)…');
    const compiled = await compileModel(join(example, 'model-int8.onnx'), {
      outDir: join(mkdtempSync(join(tmpdir(), 'zkinfer-lenet-qdq-')), 'lenet-int8'),
      calibrationPath: join(example, 'calibration.jsonl'),
      quant: QUANT,
      skipSetup: true,
    });
    qdqCount = compiled.manifest.circuit.constraints;
    if (qdqCount !== qdqPredicted) throw new Error(`circom counted ${qdqCount} constraints, the cost model ${qdqPredicted}`);
    wires = compiled.manifest.circuit.wires.toLocaleString('en-US');
    circom = `${((compiled.timings.circom ?? 0) / 1000).toFixed(1)} s`;
    rows.push([
      'gadgets (QDQ)',
      Object.entries(compiled.manifest.circuit.gadgets)
        .map(([k, v]) => `${v} ${k}`)
        .join(', '),
      '',
      '',
    ]);
    log('compiling the QDQ LeNet with --int8 fold (circom, no setup)…');
    const folded = await compileModel(join(example, 'model-int8.onnx'), {
      outDir: join(mkdtempSync(join(tmpdir(), 'zkinfer-lenet-qdq-fold-')), 'lenet-int8-fold'),
      calibrationPath: join(example, 'calibration.jsonl'),
      quant: { ...QUANT, int8: 'fold' },
      skipSetup: true,
    });
    if (folded.manifest.circuit.constraints !== foldCount) throw new Error(`circom counted ${folded.manifest.circuit.constraints} constraints with --int8 fold, the cost model ${foldCount}`);
    rows.push(['circom count, `--int8 fold`', `${folded.manifest.circuit.constraints.toLocaleString('en-US')} (wires ${folded.manifest.circuit.wires.toLocaleString('en-US')})`, '', '']);
    circom += `; --int8 fold ${((folded.timings.circom ?? 0) / 1000).toFixed(1)} s`;
  }
  rows.unshift(
    ['constraints, QDQ LeNet (exact int8 requantization)', qdqCount.toLocaleString('en-US'), `≤ float (${floatCount.toLocaleString('en-US')})`, qdqCount <= floatCount ? 'met' : 'missed'],
    ['constraints, QDQ LeNet with `--int8 fold` (predicted)', foldCount.toLocaleString('en-US'), `≤ float (${floatCount.toLocaleString('en-US')})`, foldCount <= floatCount ? 'met' : 'missed'],
    ['constraints, float LeNet (bench-lenet.ts widths 7/8/9, predicted)', floatCount.toLocaleString('en-US'), '', ''],
    ['wires, QDQ LeNet', wires, '', ''],
  );
  if (circom) rows.push(['circom (QDQ, O1)', circom, '', '']);

  const count = intFlag('--images', 10_000);
  log(`argmax agreement on ${count} test images…`);
  const test = await loadFashionMnist('test');
  const ortQdq = await OrtModel.load(readFileSync(join(example, 'model-int8.onnx')));
  const ortFloat = await OrtModel.load(readFileSync(join(example, 'model.onnx')));
  let agree = 0;
  let agreeFloat = 0;
  let correct = 0;
  let correctOrt = 0;
  let refused = 0;
  const fold = { agree: 0, agreeFloat: 0, correct: 0, refused: 0 };
  for (let i = 0; i < count; i++) {
    const x = Float64Array.from(test.images[i]!);
    const o = argmax(await ortQdq.run(x, qdqModel.input.shape));
    const f = argmax(await ortFloat.run(x, qdqModel.input.shape));
    let c = -1;
    try {
      c = argmax(runReference(qdqModel, quantizeInput(qdqModel, x)));
    } catch {
      refused++;
    }
    let d = -1;
    try {
      d = argmax(runReference(foldModel, quantizeInput(foldModel, x)));
    } catch {
      fold.refused++;
    }
    if (d === o) fold.agree++;
    if (d === f) fold.agreeFloat++;
    if (d === test.labels[i]) fold.correct++;
    if (c === o) agree++;
    if (c === f) agreeFloat++;
    if (c === test.labels[i]) correct++;
    if (o === test.labels[i]) correctOrt++;
  }
  await Promise.all([ortQdq.close(), ortFloat.close()]);
  const pct = (n: number) => `${((n / count) * 100).toFixed(2)} %`;
  rows.push([`argmax agreement, QDQ circuit vs onnxruntime on the QDQ model (${count} test images)`, pct(agree), '', '']);
  rows.push(['argmax agreement, QDQ circuit vs onnxruntime on the float model', pct(agreeFloat), '', '']);
  rows.push(['test accuracy, QDQ circuit / onnxruntime QDQ', `${pct(correct)} / ${pct(correctOrt)}`, '', '']);
  rows.push(['test images the circuit cannot prove (outside the calibrated widths)', `${refused}`, '', '']);
  rows.push(['`--int8 fold`: argmax agreement with onnxruntime on the QDQ model', pct(fold.agree), '', '']);
  rows.push(['`--int8 fold`: argmax agreement with onnxruntime on the float model', pct(fold.agreeFloat), '', '']);
  rows.push(['`--int8 fold`: test accuracy / images it cannot prove', `${pct(fold.correct)} / ${fold.refused}`, '', '']);
  const fb = breakdown(floatModel);
  const qb = breakdown(qdqModel);
  const db = breakdown(foldModel);
  const cell = (b: { label: string; constraints: number }[], i: number) => (b[i] ? `${b[i]!.label}: ${b[i]!.constraints.toLocaleString('en-US')}` : '—');
  const parts = Array.from({ length: Math.max(fb.length, qb.length, db.length) }, (_, i) => [cell(fb, i), cell(qb, i), cell(db, i)]);
  const body = [
    `${machine}; load average at end ${loadavg()[0]!.toFixed(2)}.`,
    '',
    'Model: examples/lenet/model-int8.onnx (`/usr/bin/python3 scripts/make_qdq_models.py lenet`: the LeNet example with symmetric int8 weights per output channel, int32 biases, symmetric int8 activations calibrated on 10,000 Fashion-MNIST training images; QuantizeLinear on the input, DequantizeLinear → Conv/Gemm → Relu → QuantizeLinear, QDQ pairs around MaxPool and Flatten, final DequantizeLinear → Softmax), compiled with the calibration file and options of the float example.',
    '',
    table(['measure', 'value', 'target', ''], rows),
    '',
    'Where the constraints go, step by step (the cost model, equal to circom’s count; each step with the layer bindings before it):',
    '',
    table(['float LeNet (7/8/9)', 'int8 QDQ LeNet, exact', 'int8 QDQ LeNet, `--int8 fold` (7/8/9)'], parts),
  ].join('\n');
  writeSection('int8 QDQ LeNet (issue 13, item 3)', body);
  process.stdout.write(`${body}\n`);
}

await main();
