/**
 * `npx tsx scripts/profile-proof.ts --artifacts <dir> [--input <input.json>] [--runs 3]`:
 * where one warm Groth16 proof spends its time (issue 13, item 1). The proof is snarkjs's own
 * `groth16.prove` on the artifacts' zkey and a witness from the circuit's wasm; the script only
 * watches it: the shared BN254 curve's FFTs, coset shifts and multi-exponentiations are wrapped
 * with timers (the curve object snarkjs's prover uses), and the prover's debug log marks the
 * phases between them (reading the key, the A/B/C evaluations, joining A·B − C). Prints one JSON
 * line per run and a markdown table of medians, with the number of points (wires) in each
 * multi-exponentiation and the domain size.
 * With `--engine zkinfer` it profiles zkinfer's own prover (src/prove/groth16.ts) instead, by
 * the phase marks that prover reports (its multi-exponentiations then run one after another).
 * `--threads N` builds the curve with N threads first (default: snarkjs's, one per core).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { loadArtifacts } from '../src/prove/artifacts.js';
import { Prover } from '../src/prove/prover.js';
import { quantizeInput } from '../src/reference/execute.js';
import { readInputFile } from '../src/shared/input.js';
import { receiptContext } from '../src/shared/context.js';
import { releaseCurve } from '../src/shared/curve.js';
import { encodeSigned } from '../src/shared/field.js';
import { randomSalt } from '../src/shared/commitment.js';
import { proveGroth16, readGroth16Key, type ProverCurve } from '../src/prove/groth16.js';
import { warmCurve } from '../src/prove/curve-threads.js';
import { median, table } from './lib/bench-report.js';

const arg = (name: string, fallback?: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const dir = arg('--artifacts');
if (!dir) throw new Error('usage: profile-proof.ts --artifacts <dir> [--input <input.json>] [--runs 3]');
const inputPath = arg('--input', 'examples/lenet/input.json')!;
const runs = Number(arg('--runs', '3'));
const engine = arg('--engine', 'snarkjs');
const threads = arg('--threads');

type Fn = (...args: unknown[]) => Promise<unknown>;
interface Curve {
  Fr: Record<'ifft' | 'fft' | 'batchApplyKey', Fn>;
  G1: Record<'multiExpAffine', Fn>;
  G2: Record<'multiExpAffine', Fn>;
}

/** Section id → size of a snarkjs binary file, and the count of non-zero points of a point section. */
function zkeyCounts(bytes: Uint8Array): { nVars: number; nPublic: number; domainSize: number; nonZero: Record<number, number>; points: Record<number, number>; coefs: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sections = new Map<number, [number, number]>();
  let pos = 12;
  for (let i = 0; i < v.getUint32(8, true); i++) {
    sections.set(v.getUint32(pos, true), [pos + 12, Number(v.getBigUint64(pos + 4, true))]);
    pos += 12 + Number(v.getBigUint64(pos + 4, true));
  }
  const h = sections.get(2)![0];
  const nonZero: Record<number, number> = {};
  const points: Record<number, number> = {};
  for (const [id, size] of [
    [5, 64],
    [6, 64],
    [7, 128],
    [8, 64],
    [9, 64],
  ] as const) {
    const [at, len] = sections.get(id)!;
    let n = 0;
    for (let p = at; p < at + len; p += size) {
      let zero = true;
      for (let k = 0; k < size; k += 4)
        if (v.getUint32(p + k, true) !== 0) {
          zero = false;
          break;
        }
      if (!zero) n++;
    }
    nonZero[id] = n;
    points[id] = len / size;
  }
  return { nVars: v.getUint32(h + 72, true), nPublic: v.getUint32(h + 76, true), domainSize: v.getUint32(h + 80, true), nonZero, points, coefs: v.getUint32(sections.get(4)![0], true) };
}

/** Profiles src/prove/groth16.ts by its phase marks. */
async function profileZkinfer(artifacts: ReturnType<typeof loadArtifacts>, input: number[], context: bigint, extra: Record<string, bigint>): Promise<void> {
  const curve = await (snarkjs as unknown as { curves: { getCurveFromName(n: string): Promise<ProverCurve> } }).curves.getCurveFromName('bn128');
  const key = readGroth16Key(readFileSync(artifacts.zkeyPath));
  const { createRequire } = await import('node:module');
  const builder = createRequire(import.meta.url)(join(artifacts.wasmPath, '..', 'witness_calculator.js')) as (
    code: Uint8Array,
  ) => Promise<{ calculateWTNSBin(i: unknown, s: boolean): Promise<Uint8Array> }>;
  const calculator = await builder(readFileSync(artifacts.wasmPath));
  const rows = new Map<string, number[]>();
  const add = (name: string, ms: number) => rows.set(name, [...(rows.get(name) ?? []), ms]);
  for (let run = 0; run < runs; run++) {
    const w0 = performance.now();
    const wtns = await calculator.calculateWTNSBin({ in: input.map((v) => encodeSigned(BigInt(v))), ctx: context, ...extra }, true);
    let last = performance.now();
    add('witness (circom wasm)', last - w0);
    await proveGroth16(curve, key, wtns, (phase) => {
      const now = performance.now();
      add(phase, now - last);
      last = now;
    });
    const end = performance.now();
    add('rest (blinding, final point arithmetic)', end - last);
    add('total (witness + proof)', end - w0);
  }
  const total = median(rows.get('total (witness + proof)')!);
  const body = table(
    ['part', `median of ${runs} (ms)`, 'share'],
    [...rows].map(([name, ms]) => [name, median(ms).toFixed(0), name.startsWith('total') ? '' : `${((median(ms) / total) * 100).toFixed(1)} %`]),
  );
  process.stdout.write(`zkinfer prover; wires ${key.nVars}, public ${key.nPublic}, domain ${key.domainSize} (2^${key.power})\n\n${body}\n`);
}

async function main(): Promise<void> {
  if (threads !== undefined) await warmCurve(Number(threads));
  const artifacts = loadArtifacts(dir!);
  const zkey = readFileSync(artifacts.zkeyPath);
  const counts = zkeyCounts(zkey);
  const prover = new Prover(artifacts);
  const input = quantizeInput(artifacts.model, readInputFile(inputPath, artifacts.model.input.shape).values);
  const context = receiptContext({ modelId: artifacts.manifest.modelId, createdAt: new Date().toISOString(), nonce: '00' });
  // hashed tensors need their salts as private inputs (a fresh one per tensor, as `prove` draws)
  const extra: Record<string, bigint> = {};
  if (artifacts.manifest.io.input.visibility === 'hashed') extra.inSalt = randomSalt();
  if (artifacts.manifest.io.output.visibility === 'hashed') extra.outSalt = randomSalt();
  await prover.prove(input, context, extra); // warm: the witness program, the curve and its threads
  if (engine === 'zkinfer') {
    await profileZkinfer(artifacts, input, context, extra);
    await releaseCurve();
    return;
  }

  const curves = (snarkjs as unknown as { curves: { getCurveFromName(n: string): Promise<Curve> } }).curves;
  const curve = await curves.getCurveFromName('bn128');
  let events: Array<[string, number, number]> = [];
  const wrap = (obj: Record<string, Fn>, key: string, label: (args: unknown[]) => string): void => {
    const orig = obj[key]!.bind(obj);
    obj[key] = async (...args: unknown[]) => {
      const t0 = performance.now();
      const r = await orig(...args);
      events.push([label(args), t0, performance.now()]);
      return r;
    };
  };
  let applyKeys = 0;
  wrap(curve.Fr, 'ifft', (a) => String(a[4]));
  wrap(curve.Fr, 'fft', (a) => String(a[4]));
  wrap(curve.Fr, 'batchApplyKey', () => `coset shift ${'ABC'[applyKeys++ % 3]}`);
  wrap(curve.G1, 'multiExpAffine', (a) => String(a[3]));
  wrap(curve.G2, 'multiExpAffine', (a) => `${String(a[3])} (G2)`);

  const rows = new Map<string, number[]>();
  const add = (name: string, ms: number) => rows.set(name, [...(rows.get(name) ?? []), ms]);
  const { createRequire } = await import('node:module');
  const builder = createRequire(import.meta.url)(join(artifacts.wasmPath, '..', 'witness_calculator.js')) as (
    code: Uint8Array,
  ) => Promise<{ calculateWTNSBin(i: unknown, s: boolean): Promise<Uint8Array> }>;
  const calculator = await builder(readFileSync(artifacts.wasmPath));
  for (let run = 0; run < runs; run++) {
    const w0 = performance.now();
    const wtns = await calculator.calculateWTNSBin({ in: input.map((v) => encodeSigned(BigInt(v))), ctx: context, ...extra }, true);
    const w1 = performance.now();
    const marks: Array<[string, number]> = [];
    events = [];
    applyKeys = 0;
    const logger = { debug: (m: string) => marks.push([m, performance.now()]), info: () => {}, warn: () => {}, error: () => {} };
    const p0 = performance.now();
    await snarkjs.groth16.prove({ type: 'mem', data: zkey } as never, { type: 'mem', data: wtns }, logger as never);
    const p1 = performance.now();
    const at = (m: string) => marks.find(([s]) => s === m)?.[1] ?? NaN;
    const first = (prefix: string) => events.find(([n]) => n.startsWith(prefix))!;
    add('witness (circom wasm)', w1 - w0);
    add('read key and witness', at('Building ABC') - p0);
    add('A/B/C evaluations at the constraints (JavaScript)', first('IFFT_A')[1] - at('Building ABC'));
    for (const [name, s, e] of events.filter(([n]) => !n.startsWith('multiexp'))) add(name, e - s);
    add('join A·B − C', at('Reading A Points') - at('Join ABC'));
    for (const [name, s, e] of events.filter(([n]) => n.startsWith('multiexp'))) add(name, e - s);
    const accounted = events.reduce((a, [, s, e]) => a + (e - s), 0) + (at('Building ABC') - p0) + (first('IFFT_A')[1] - at('Building ABC')) + (at('Reading A Points') - at('Join ABC'));
    add('rest (section reads between steps, final point arithmetic)', p1 - p0 - accounted);
    add('total (witness + proof)', p1 - w0);
    console.log(JSON.stringify({ run, witnessMs: Math.round(w1 - w0), proveMs: Math.round(p1 - p0), events: events.map(([n, s, e]) => [n, Math.round(e - s)]) }));
  }
  const size: Record<string, string> = {
    'multiexp A': `${counts.points[5]} points (${counts.nonZero[5]} not zero)`,
    'multiexp B1': `${counts.points[6]} points (${counts.nonZero[6]} not zero)`,
    'multiexp B2 (G2)': `${counts.points[7]} points (${counts.nonZero[7]} not zero)`,
    'multiexp C': `${counts.points[8]} points (private wires)`,
    'multiexp H': `${counts.points[9]} points (domain)`,
    'A/B/C evaluations at the constraints (JavaScript)': `${counts.coefs} A and B coefficients`,
  };
  const total = median(rows.get('total (witness + proof)')!);
  const body = table(
    ['part', `median of ${runs} (ms)`, 'share', 'size'],
    [...rows].map(([name, ms]) => {
      const m = median(ms);
      const fft = /^(I?FFT|coset)/.test(name) ? `${counts.domainSize} elements` : '';
      return [name, m.toFixed(0), name.startsWith('total') ? '' : `${((m / total) * 100).toFixed(1)} %`, size[name] ?? fft];
    }),
  );
  process.stdout.write(`wires ${counts.nVars}, public ${counts.nPublic}, domain ${counts.domainSize} (2^${Math.log2(counts.domainSize)})\n\n${body}\n`);
  await releaseCurve();
}

await main();
