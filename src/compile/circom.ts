/**
 * Drives the Circom 2 compiler from Node without a native binary: the `circom2` package
 * ships circom (2.2.3) compiled to WebAssembly/WASI, and this module runs it in a worker
 * thread with captured stdout/stderr, then reads the counts from the `.r1cs` header
 * (format: iden3 r1csfile spec, https://github.com/iden3/r1csfile/blob/master/doc/r1cs_bin_format.md).
 *
 * Why a worker thread per compilation:
 * - circom runs synchronously inside WebAssembly: in-process it would block the event loop
 *   for the whole compile (seconds for a dense layer);
 * - each run grows its own WebAssembly memory (≈ 0.8 GB for a 128×784 dense layer) which can
 *   never shrink; ending the worker gives it back at once instead of waiting for a GC;
 * - the WASI shim opens a host file descriptor for every preopened directory and never closes
 *   it (one leaked fd per run in-process); the worker's file system binding tracks every fd it
 *   opens and closes the leftovers.
 * - an abort (AbortSignal) can stop a runaway compile with `worker.terminate()`.
 * At most one compilation per CPU runs at a time; further calls wait for a slot.
 *
 * Nothing is downloaded: the compiler is the `circom.wasm` file inside node_modules/circom2.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { CompileError, InvalidArgumentError } from '../shared/errors.js';
import { workerEntryFile, workerExecArgv } from '../shared/worker-thread.js';
import type { CircomWorkerData, CircomWorkerMessage, RunOutcome } from './circom-worker.js';

/** Options for {@link compileCircom}. */
export interface CircomCompileOptions {
  /** Directory that receives `<name>.r1cs`, `<name>.sym` and `<name>_js/`; created if missing. */
  outDir: string;
  /** Extra library directories for `include` (after circomlib's `circuits/` and the repo's `circuits/`). */
  includePaths?: string[];
  /** Constraint simplification level (circom `--O0/--O1/--O2`); default `O2`. */
  optimization?: 'O0' | 'O1' | 'O2';
  /** The curve whose scalar field the circuit uses; only `bn128` (BN254) is supported. */
  prime?: 'bn128';
  /** Run circom's `--inspect` pass; its findings are returned in `warnings`. Default false. */
  inspect?: boolean;
  /** Aborts the compilation (the compiler's worker is terminated). */
  signal?: AbortSignal;
}

/** What {@link compileCircom} produced. Counts come from the `.r1cs` header. */
export interface CircomCompileResult {
  /** Absolute path of the constraint system (`<outDir>/<name>.r1cs`). */
  r1csPath: string;
  /** Absolute path of the witness generator (`<outDir>/<name>_js/<name>.wasm`). */
  wasmPath: string;
  /** Absolute path of the symbol file (`<outDir>/<name>.sym`): signal name → wire index. */
  symPath: string;
  /** Absolute path of circom's CommonJS `witness_calculator.js` beside the wasm. */
  witnessCalculatorPath: string;
  /** Number of constraints in the r1cs. */
  constraints: number;
  /** Number of wires (witness length, including the constant wire 0). */
  wires: number;
  /** Number of public inputs. */
  publicInputs: number;
  /** Number of private inputs. */
  privateInputs: number;
  /** Number of public outputs. */
  outputs: number;
  /** Number of labels (all signals before simplification). */
  labels: number;
  /** Version reported by the compiler itself, e.g. `2.2.3`. */
  compilerVersion: string;
  /** Everything the compiler printed (stdout then stderr interleaved), without colour codes. */
  log: string;
  /** Lines starting with `warning[` in the log (circom's warnings, `--inspect` findings). */
  warnings: string[];
}

const requireHere = createRequire(import.meta.url);
const CIRCOM2_INDEX = requireHere.resolve('circom2');
const CIRCOM2_DIR = path.dirname(CIRCOM2_INDEX);
const CIRCOM2_WASI = path.join(CIRCOM2_DIR, 'vendor', 'wasi.js');
const CIRCOM2_WASM = path.join(CIRCOM2_DIR, 'circom.wasm');
const CIRCOMLIB_CIRCUITS = path.join(path.dirname(requireHere.resolve('circomlib/package.json')), 'circuits');
/** The repository's own gadget library (`circuits/`, containing `zkinfer/`). */
export const REPO_CIRCUITS_DIR = fileURLToPath(new URL('../../circuits/', import.meta.url));
/** The worker's entry: circom-worker.js when compiled, its loader shim from the sources. */
const WORKER_FILE = workerEntryFile(import.meta.url, 'circom-worker');

/** At most this many compilations run at once per process (each may hold ~1 GB of wasm memory). */
const MAX_PARALLEL_COMPILES = Math.max(1, availableParallelism());
let runningCompiles = 0;
const waitingCompiles: Array<() => void> = [];

/** Waits for a compile slot; rejects with the abort reason if aborted while waiting. */
function acquireCompileSlot(signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (runningCompiles < MAX_PARALLEL_COMPILES) {
    runningCompiles++;
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const grant = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      const i = waitingCompiles.indexOf(grant);
      if (i >= 0) waitingCompiles.splice(i, 1);
      reject(signal?.reason);
    };
    waitingCompiles.push(grant);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Hands the slot to the next waiting compilation, or frees it. */
function releaseCompileSlot(): void {
  const next = waitingCompiles.shift();
  if (next) next();
  else runningCompiles--;
}

let compilerModule: Promise<WebAssembly.Module> | undefined;

/** Compiles circom.wasm once per process; a failed compile is not cached. */
function loadCompilerModule(): Promise<WebAssembly.Module> {
  compilerModule ??= readFile(CIRCOM2_WASM)
    .then((bytes) => WebAssembly.compile(bytes))
    .catch((err: unknown) => {
      compilerModule = undefined;
      throw err;
    });
  return compilerModule;
}

/** Runs the circom WebAssembly compiler in a fresh worker thread, once per argument list. */
async function runCircomWorker(runs: string[][], signal: AbortSignal | undefined): Promise<RunOutcome[]> {
  const module = await loadCompilerModule();
  await acquireCompileSlot(signal);
  try {
    return await runInWorker(module, runs, signal);
  } finally {
    releaseCompileSlot();
  }
}

function runInWorker(module: WebAssembly.Module, runs: string[][], signal: AbortSignal | undefined): Promise<RunOutcome[]> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const data: CircomWorkerData = { indexPath: CIRCOM2_INDEX, wasiPath: CIRCOM2_WASI, module, runs };
    const worker = new Worker(WORKER_FILE, {
      workerData: data,
      execArgv: workerExecArgv(),
      stdout: true,
      stderr: true,
    });
    // circom's own output is captured through the WASI file system binding; anything else the
    // worker might print is discarded rather than interleaved with the caller's output.
    worker.stdout.resume();
    worker.stderr.resume();
    // Settle only once the worker has exited, so that its resources (threads, fds) are gone.
    let outcome: { runs: RunOutcome[] } | { error: unknown } | undefined;
    const onAbort = () => {
      outcome ??= { error: signal?.reason };
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (msg: CircomWorkerMessage) => {
      outcome ??= msg.runs ? { runs: msg.runs } : { error: new Error(msg.fatal ?? 'circom worker failed') };
      void worker.terminate();
    });
    worker.once('error', (err) => {
      outcome ??= { error: err };
    });
    worker.once('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (outcome === undefined) reject(new Error(`circom worker exited with code ${code} before reporting`));
      else if ('runs' in outcome) resolve(outcome.runs);
      else reject(outcome.error);
    });
  });
}

const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;

function stripAnsi(text: string): string {
  return text.replace(ANSI_ESCAPE, '');
}

/** The counts stored in the header section of an `.r1cs` file. */
interface R1csHeaderCounts {
  wires: number;
  outputs: number;
  publicInputs: number;
  privateInputs: number;
  labels: number;
  constraints: number;
}

/** Reads the header section (type 1) of an `.r1cs` file without loading the constraints. */
async function readR1csHeaderCounts(r1csPath: string): Promise<R1csHeaderCounts> {
  const fh = await open(r1csPath, 'r');
  try {
    const read = async (position: number, length: number): Promise<Buffer> => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, position);
      if (bytesRead !== length) throw new Error(`unexpected end of file at byte ${position + bytesRead}`);
      return buf;
    };
    const head = await read(0, 12);
    if (head.toString('latin1', 0, 4) !== 'r1cs') throw new Error('not an r1cs file (bad magic)');
    const version = head.readUInt32LE(4);
    if (version !== 1) throw new Error(`unsupported r1cs version ${version}`);
    const nSections = head.readUInt32LE(8);
    let pos = 12;
    for (let i = 0; i < nSections; i++) {
      const sectionHead = await read(pos, 12);
      const type = sectionHead.readUInt32LE(0);
      const size = Number(sectionHead.readBigUInt64LE(4));
      if (type === 1) {
        const n8 = (await read(pos + 12, 4)).readUInt32LE(0);
        const body = await read(pos + 16 + n8, 28);
        return {
          wires: body.readUInt32LE(0),
          outputs: body.readUInt32LE(4),
          publicInputs: body.readUInt32LE(8),
          privateInputs: body.readUInt32LE(12),
          labels: Number(body.readBigUInt64LE(16)),
          constraints: body.readUInt32LE(24),
        };
      }
      pos += 12 + size;
    }
    throw new Error('r1cs file has no header section');
  } finally {
    await fh.close();
  }
}

function errorLines(outcome: RunOutcome): string {
  const text = stripAnsi(outcome.stderr).trimEnd();
  return text.length > 0 ? text : stripAnsi(outcome.log).trimEnd();
}

/**
 * Compiles a Circom source file into an r1cs, a symbol file and a WebAssembly witness generator.
 * circomlib's `circuits/` directory and the repository's `circuits/` directory are always on the
 * include path, so sources can `include "bitify.circom"` and `include "zkinfer/rescale.circom"`.
 * Beside circom's `witness_calculator.js` a `package.json` declaring CommonJS is written, so the
 * generated code loads with `require` even inside this ESM package.
 *
 * @param sourcePath path of the `.circom` file holding the `main` component
 * @param options output directory, include paths, optimization level (default `O2`)
 * @returns artifact paths, the counts from the r1cs header, the compiler version and its log
 * @throws {InvalidArgumentError} if the options are malformed
 * @throws {CompileError} "circom could not compile <source>" with the compiler's error lines in
 *   `details`; also when the compiler crashes or the outputs cannot be read
 */
export async function compileCircom(sourcePath: string, options: CircomCompileOptions): Promise<CircomCompileResult> {
  if (typeof sourcePath !== 'string' || sourcePath.length === 0) {
    throw new InvalidArgumentError(`expected sourcePath to be a non-empty string, got ${String(sourcePath)}`);
  }
  if (options === null || typeof options !== 'object' || typeof options.outDir !== 'string' || options.outDir.length === 0) {
    throw new InvalidArgumentError(`expected options.outDir to be a non-empty string, got ${String(options?.outDir)}`);
  }
  const optimization = options.optimization ?? 'O2';
  if (!['O0', 'O1', 'O2'].includes(optimization)) {
    throw new InvalidArgumentError(`expected options.optimization to be one of O0, O1, O2, got ${String(optimization)}`);
  }
  const prime = options.prime ?? 'bn128';
  if (prime !== 'bn128') throw new InvalidArgumentError(`expected options.prime to be bn128, got ${String(prime)}`);
  const extraIncludes = options.includePaths ?? [];
  if (!Array.isArray(extraIncludes) || extraIncludes.some((p) => typeof p !== 'string' || p.length === 0)) {
    throw new InvalidArgumentError('expected options.includePaths to be an array of non-empty strings');
  }

  const source = path.resolve(sourcePath);
  const outDir = path.resolve(options.outDir);
  const name = path.basename(source).replace(/\.circom$/, '');
  try {
    const st = await stat(source);
    if (!st.isFile()) throw new Error('not a regular file');
  } catch (err) {
    throw new CompileError(`circom source ${sourcePath} cannot be read`, { cause: err });
  }
  try {
    await mkdir(outDir, { recursive: true });
  } catch (err) {
    throw new CompileError(`cannot create output directory ${options.outDir}`, { cause: err });
  }

  const includes = [...new Set([CIRCOMLIB_CIRCUITS, REPO_CIRCUITS_DIR, ...extraIncludes.map((p) => path.resolve(p))])];
  const args = [source, '--r1cs', '--sym', '--wasm', `--${optimization}`, '--prime', prime, '-o', outDir];
  if (options.inspect) args.push('--inspect');
  for (const dir of includes) args.push('-l', dir);

  let version: RunOutcome;
  let outcome: RunOutcome;
  try {
    [version, outcome] = await runCircomWorker([['--version'], args], options.signal);
  } catch (err) {
    if (options.signal?.aborted) throw new CompileError(`compilation of ${sourcePath} was aborted`, { cause: err });
    throw new CompileError(`circom could not be run on ${sourcePath}`, { cause: err });
  }
  if (outcome.crash) {
    const stackHint = /out of bounds|call stack/i.test(outcome.crash.message)
      ? "This usually means the fixed 1 MiB stack of circom2's WebAssembly build overflowed: the parser " +
        'recurses once per operator, so a flat sum of a few hundred terms is too deep; write long sums as ' +
        'a balanced tree of parenthesised groups.\n'
      : '';
    throw new CompileError(`circom crashed while compiling ${sourcePath}`, {
      details: `${outcome.crash.name ?? 'Error'}: ${outcome.crash.message}\n${stackHint}${stripAnsi(outcome.log).trimEnd()}`,
      cause: new Error(outcome.crash.message),
    });
  }
  if (outcome.exitCode !== 0) {
    throw new CompileError(`circom could not compile ${sourcePath}`, { details: errorLines(outcome) });
  }

  const r1csPath = path.join(outDir, `${name}.r1cs`);
  const jsDir = path.join(outDir, `${name}_js`);
  let counts: R1csHeaderCounts;
  try {
    counts = await readR1csHeaderCounts(r1csPath);
    await writeFile(path.join(jsDir, 'package.json'), '{ "type": "commonjs" }\n');
  } catch (err) {
    throw new CompileError(`circom output for ${sourcePath} cannot be read`, { cause: err });
  }
  const log = stripAnsi(outcome.log);
  return {
    r1csPath,
    wasmPath: path.join(jsDir, `${name}.wasm`),
    symPath: path.join(outDir, `${name}.sym`),
    witnessCalculatorPath: path.join(jsDir, 'witness_calculator.js'),
    ...counts,
    compilerVersion: /circom compiler (\S+)/.exec(stripAnsi(version.log))?.[1] ?? 'unknown',
    log,
    warnings: log.split('\n').filter((line) => line.startsWith('warning[')),
  };
}
