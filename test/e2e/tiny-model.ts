/**
 * A tiny model (circuit, local setup, manifest) shared by the end-to-end, verifier, CLI,
 * serve, export and TEE tests. It is compiled once per set of options and per content of
 * the compiler (src/, circuits/, package-lock.json and this file), not once per test file:
 * the first caller compiles it into a cache folder under the system's temp folder, and
 * every caller gets its own copy of that folder (tests alter their artifacts freely). Test
 * files run in parallel worker processes: a lock folder (mkdir is atomic) makes one of
 * them compile while the others wait, and the entry appears by an atomic rename.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileModel, type CompileOptions, type CompileResult } from '../../src/compile/compile.js';
import type { LocalSetupMethod } from '../../src/compile/setup.js';
import { buildModel, randomArray, rng } from '../helpers/onnx-builder.js';

/** Options of {@link compileTinyModel}. */
export type TinyModelOptions = { skipSetup?: boolean; localSetup?: LocalSetupMethod } & Pick<CompileOptions, 'inputVisibility' | 'outputVisibility' | 'packOutput' | 'weights' | 'inferences'>;

/** A compiled tiny model: its artifacts folder, ONNX file, compile result and the work folder holding them. */
export interface TinyModel {
  dir: string;
  onnxPath: string;
  result: CompileResult;
  work: string;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = join(tmpdir(), 'zkinfer-test-cache');
/** How long a lock may be held before it is taken as left behind by a dead process. */
const STALE_LOCK_MS = 15 * 60_000;

function hashTree(hash: ReturnType<typeof createHash>, path: string): void {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) hashTree(hash, join(path, name));
  } else {
    hash
      .update(`${path.slice(ROOT.length)}\0`)
      .update(readFileSync(path))
      .update('\0');
  }
}

/** The cache key: the options and everything the compiled artifacts depend on. */
function cacheKey(options: TinyModelOptions): string {
  const hash = createHash('sha256').update(ROOT).update('\0').update(JSON.stringify(options)).update('\0');
  for (const path of ['src', 'circuits', 'package-lock.json', 'test/e2e/tiny-model.ts', 'test/helpers/onnx-builder.ts']) hashTree(hash, join(ROOT, path));
  return hash.digest('hex').slice(0, 32);
}

const PLACEHOLDER = '<work>';
const revive = (_: string, v: unknown) => (v && typeof v === 'object' && '$bigint' in v ? BigInt((v as { $bigint: string }).$bigint) : v);
const replace = (_: string, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v);

/** Waits for the cache entry while another process holds the lock; takes the lock when free. */
async function lockOrWait(entry: string, lock: string): Promise<boolean> {
  for (;;) {
    if (existsSync(entry)) return false;
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let stale = false;
    try {
      stale = Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
      const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      if (pid > 0) process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') stale = true;
    }
    if (stale) rmSync(lock, { recursive: true, force: true });
    else await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Writes a 6-5-3 MLP with a final Softmax and compiles it (once per options and compiler
 * content, see the module header) into a fresh temporary folder of the caller's own.
 * @param options.skipSetup no zkey, for TEE-only tests.
 * @param options.localSetup how the local setup makes the keys (default: compile's default, direct);
 *   tests of the phase-2 chain need `snarkjs`.
 * @param options.inputVisibility, options.outputVisibility hashed input or output.
 * @param options.inferences inferences per proof (shared proofs).
 * @param options.weights `hashed`: private weights, written to `<work>/weights.private.json`.
 */
export async function compileTinyModel(options: TinyModelOptions = {}): Promise<TinyModel> {
  const entry = join(CACHE, cacheKey(options));
  mkdirSync(CACHE, { recursive: true });
  const lock = `${entry}.lock`;
  if (await lockOrWait(entry, lock)) {
    try {
      const built = await compileTinyModelUncached(options);
      writeFileSync(join(built.work, 'result.json'), JSON.stringify(built.result, replace).split(built.work).join(PLACEHOLDER));
      renameSync(built.work, entry);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  const work = mkdtempSync(join(tmpdir(), 'zkinfer-e2e-'));
  cpSync(entry, work, { recursive: true });
  const result = JSON.parse(readFileSync(join(work, 'result.json'), 'utf8').split(PLACEHOLDER).join(work), revive) as CompileResult;
  rmSync(join(work, 'result.json'));
  return { dir: join(work, 'artifacts'), onnxPath: join(work, 'tiny.onnx'), result, work };
}

/** Writes the 6-5-3 MLP and compiles it into a new temporary folder. */
async function compileTinyModelUncached(options: TinyModelOptions): Promise<TinyModel> {
  const work = mkdtempSync(join(tmpdir(), 'zkinfer-e2e-'));
  const r = rng(21);
  const bytes = buildModel({
    input: { name: 'features', dims: [1, 6] },
    output: { name: 'probs' },
    nodes: [
      { op: 'Gemm', inputs: ['features', 'W1', 'b1'], outputs: ['h'], attrs: { transB: 1 }, name: 'fc1' },
      { op: 'Relu', inputs: ['h'], outputs: ['a'], name: 'relu1' },
      { op: 'Gemm', inputs: ['a', 'W2', 'b2'], outputs: ['z'], attrs: { transB: 1 }, name: 'fc2' },
      { op: 'Softmax', inputs: ['z'], outputs: ['probs'], name: 'softmax' },
    ],
    initializers: [
      { name: 'W1', dims: [5, 6], values: randomArray(r, 30) },
      { name: 'b1', dims: [5], values: randomArray(r, 5, -0.2, 0.2) },
      { name: 'W2', dims: [3, 5], values: randomArray(r, 15) },
      { name: 'b2', dims: [3], values: randomArray(r, 3, -0.2, 0.2) },
    ],
  });
  const onnxPath = join(work, 'tiny.onnx');
  writeFileSync(onnxPath, bytes);
  const calib = Array.from({ length: 32 }, () => JSON.stringify({ input: [randomArray(r, 6)] })).join('\n');
  writeFileSync(join(work, 'calibration.jsonl'), `${calib}\n`);
  const dir = join(work, 'artifacts');
  const result = await compileModel(onnxPath, {
    outDir: dir,
    calibrationPath: join(work, 'calibration.jsonl'),
    quant: { inputBits: 8, weightBits: 8, activationBits: 10 },
    provenance: { name: 'tiny', authors: ['zkinfer tests'], license: 'MIT' },
    ...(options.skipSetup ? { skipSetup: true } : { localSetup: options.localSetup }),
    ...(options.inputVisibility ? { inputVisibility: options.inputVisibility } : {}),
    ...(options.outputVisibility ? { outputVisibility: options.outputVisibility } : {}),
    ...(options.packOutput !== undefined ? { packOutput: options.packOutput } : {}),
    ...(options.inferences ? { inferences: options.inferences } : {}),
    ...(options.weights === 'hashed' ? { weights: 'hashed' as const, weightsOut: join(work, 'weights.private.json') } : {}),
  });
  return { dir, onnxPath, result, work };
}

/** Writes an input file for the tiny model and returns its path. */
export function writeInput(work: string, name: string, input: unknown): string {
  const path = join(work, name);
  writeFileSync(path, typeof input === 'string' ? input : JSON.stringify({ input }));
  return path;
}
