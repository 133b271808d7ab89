/**
 * Runs the ONNX project's backend node tests (the Debian package libonnx-testdata:
 * data/node/<case>/model.onnx with test_data_set_0/input_N.pb and output_N.pb) through
 * zkinfer: graph inputs after the first become constants (initializers holding input_N.pb),
 * the model is imported and optimized, the float executor is compared with output_0.pb, the
 * model is quantized (calibrated on input_0) and the reference executor's dequantized output
 * (with a final Softmax applied, as users see it) is compared with output_0.pb within a
 * stated tolerance.
 *
 * Tolerances: float |got − expected| ≤ 1e-4·max(1, |expected|). Quantized (default options:
 * 10-bit inputs and weights, 12-bit activations): |got − expected| ≤ 0.02·max(1, max|expected|)
 * elementwise, plus 0.005 for Sigmoid/Tanh (the piecewise-linear bound); ArgMax and the
 * integer ops (QuantizeLinear, QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger) must be
 * equal.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { importOnnx, SUPPORTED_OPS } from '../../src/onnx/import.js';
import { tensorFromProto } from '../../src/onnx/decode.js';
import { optimize } from '../../src/ir/optimize.js';
import { runFloat } from '../../src/ir/float-exec.js';
import { calibrate } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import type { QModel } from '../../src/quant/model.js';
import { quantizeInput, runReference } from '../../src/reference/execute.js';
import { finalOutput } from '../../src/reference/error.js';

const { onnx } = onnxProto;

/** Environment variable that moves the node test cases (default: where Debian installs them). */
export const NODE_TESTS_DIR_ENV = 'ONNX_NODE_TESTS_DIR';

/** Where the node test cases are: $ONNX_NODE_TESTS_DIR, else where Debian's libonnx-testdata installs them. */
export const NODE_TESTS_DIR = process.env[NODE_TESTS_DIR_ENV] ?? '/usr/share/libonnx-testdata/data/node';

/** One backend test case and what zkinfer made of it. */
export interface CaseResult {
  name: string;
  /** The op types in the case's graph. */
  ops: string[];
  /** 'pass', or the stage that failed. */
  status: 'pass' | 'import' | 'float' | 'quantize' | 'reference';
  reason?: string;
  /** The quantized model and its input integers (for witness checks), when quantization ran. */
  model?: QModel;
  inputRaw?: number[];
}

const readTensor = (path: string) => tensorFromProto(onnx.TensorProto.decode(readFileSync(path)), path);

/**
 * Case directories testing one of `ops`: graphs whose nodes all have that one op type (the
 * node tests of the op; the `_expanded` cases of other ops, which are built from several
 * ops, are not counted), sorted.
 */
export function casesFor(ops: readonly string[]): { name: string; ops: string[] }[] {
  if (!existsSync(NODE_TESTS_DIR)) return [];
  const out: { name: string; ops: string[] }[] = [];
  for (const name of readdirSync(NODE_TESTS_DIR).sort()) {
    const file = join(NODE_TESTS_DIR, name, 'model.onnx');
    if (!existsSync(file) || !existsSync(join(NODE_TESTS_DIR, name, 'test_data_set_0'))) continue;
    const model = onnx.ModelProto.decode(readFileSync(file));
    const types = [...new Set((model.graph?.node ?? []).map((n) => n.opType ?? ''))];
    if (types.length === 1 && ops.includes(types[0]!)) out.push({ name, ops: types });
  }
  return out;
}

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol || (Number.isNaN(a) && Number.isNaN(b));

/** Runs one case through import, the float executor, quantization and the reference executor. */
export function runCase(name: string, ops: string[]): CaseResult {
  const dir = join(NODE_TESTS_DIR, name);
  const model = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
  const graph = model.graph!;
  const data = join(dir, 'test_data_set_0');
  const inits = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !inits.has(v.name));
  const fail = (status: CaseResult['status'], reason: string): CaseResult => ({ name, ops, status, reason });
  let expected: Float64Array;
  try {
    // Inputs after the first become constants holding their test data.
    inputs.slice(1).forEach((v, i) => {
      const t = onnx.TensorProto.decode(readFileSync(join(data, `input_${i + 1}.pb`)));
      t.name = v.name ?? '';
      graph.initializer = [...(graph.initializer ?? []), t];
    });
    graph.input = inputs.slice(0, 1);
    expected = readTensor(join(data, 'output_0.pb')).data;
  } catch (e) {
    return fail('import', (e as Error).message);
  }
  let ir;
  let x: Float64Array;
  try {
    ir = optimize(importOnnx(onnx.ModelProto.encode(model).finish(), { file: name }));
    x = readTensor(join(data, 'input_0.pb')).data;
  } catch (e) {
    return fail('import', (e as Error).message.replace(`${name}: `, ''));
  }
  const float = runFloat(ir, x);
  if (float.length !== expected.length) return fail('float', `${float.length} outputs, expected ${expected.length}`);
  for (let i = 0; i < float.length; i++) {
    if (!close(float[i]!, expected[i]!, 1e-4 * Math.max(1, Math.abs(expected[i]!)))) return fail('float', `output ${i}: ${float[i]} ≠ ${expected[i]}`);
  }
  let q: QModel;
  let raw: number[];
  try {
    q = quantize(ir, calibrate(ir, [x]));
    raw = quantizeInput(q, x);
  } catch (e) {
    return fail('quantize', (e as Error).message);
  }
  let got: number[];
  try {
    got = finalOutput(q, runReference(q, raw));
  } catch (e) {
    return { ...fail('reference', (e as Error).message), model: q, inputRaw: raw };
  }
  // ArgMax and the integer ops (whose outputs are integers) must match exactly.
  const isArgMax = ['ArgMax', 'QuantizeLinear', 'QLinearConv', 'QLinearMatMul', 'MatMulInteger', 'ConvInteger'].some((op) => ops.includes(op));
  let peak = 1;
  for (const v of expected) peak = Math.max(peak, Math.abs(v));
  const tol = isArgMax ? 0 : 0.02 * peak + (ops.includes('Sigmoid') || ops.includes('Tanh') ? 0.005 : 0);
  for (let i = 0; i < got.length; i++) {
    if (!close(got[i]!, expected[i]!, tol)) return { ...fail('reference', `output ${i}: ${got[i]} ≠ ${expected[i]} (tolerance ${tol})`), model: q, inputRaw: raw };
  }
  return { name, ops, status: 'pass', model: q, inputRaw: raw };
}

/** The ops the table reports: every supported op except the structural Constant and Identity. */
export const TABLE_OPS = SUPPORTED_OPS.filter((op) => op !== 'Constant' && op !== 'Identity');

/** Runs every case of every supported op; returns results by op (a case counts for each op it uses). */
export function runConformance(): Map<string, CaseResult[]> {
  const byOp = new Map<string, CaseResult[]>(TABLE_OPS.map((op) => [op, []]));
  for (const c of casesFor(TABLE_OPS)) {
    const result = runCase(c.name, c.ops);
    for (const op of c.ops) byOp.get(op)?.push(result);
  }
  return byOp;
}

/** The markdown table: per op, cases passing / total, and the failing cases with their reasons. */
export function conformanceTable(byOp: Map<string, CaseResult[]>): string {
  const lines = ['| op | cases passing / total | not passing (stage: reason) |', '|---|---|---|'];
  for (const [op, results] of byOp) {
    const pass = results.filter((r) => r.status === 'pass').length;
    const failing = results.filter((r) => r.status !== 'pass').map((r) => `${r.name.replace(/^test_/, '')} (${r.status}: ${shorten(r.reason ?? '')})`);
    lines.push(`| ${op} | ${pass} / ${results.length} | ${failing.join('; ') || '—'} |`);
  }
  return lines.join('\n');
}

function shorten(reason: string): string {
  const r = reason
    .replace(/^node \d+ "[^"]*" \(\w+\): /, '')
    .replace(/; supported ops: .*/, '')
    .replace(/\|/g, '/');
  return r.length > 90 ? `${r.slice(0, 87)}…` : r;
}
