/**
 * The worker thread behind {@link compileCircom} (./circom.ts; started directly when
 * compiled, through `circom-worker.mjs` from the sources). It runs circom once per entry of
 * `runs` on the WebAssembly module compiled once by the parent (a Module is shared with
 * workers, not recompiled), and posts back exit codes and captured output.
 *
 * File system access is the host's, rooted at `/` (like a native circom binary); paths are
 * absolute. Every file descriptor the WASI shim opens is tracked and closed at the end of a
 * run (the shim never closes its preopened directories).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

/** What the parent sends: circom2's entry and WASI shim, the compiled compiler, the argument lists. */
export interface CircomWorkerData {
  indexPath: string;
  wasiPath: string;
  module: WebAssembly.Module;
  runs: string[][];
}

/** The outcome of one circom run. */
export interface RunOutcome {
  exitCode: number;
  crash?: { name?: string; message: string };
  log: string;
  stdout: string;
  stderr: string;
}

/** The worker's one message: every run's outcome, or why none could run. */
export type CircomWorkerMessage = { runs: RunOutcome[]; fatal?: undefined } | { runs?: undefined; fatal: string };

/** The parts of circom2 (CommonJS, untyped) the worker uses. */
interface Circom2 {
  CircomRunner: new (options: { args: string[]; env: Record<string, string>; preopens: Record<string, string>; bindings: Record<string, unknown> }) => {
    wasi: { getImports(module: WebAssembly.Module): WebAssembly.Imports; start(instance: WebAssembly.Instance): void };
  };
  bindings: Record<string, unknown>;
}
type WasiExitErrorClass = new (code: number) => Error & { code: number };

function runOnce(circom2: Circom2, WASIExitError: WasiExitErrorClass, module: WebAssembly.Module, args: string[]): RunOutcome {
  const output: { fd: 1 | 2; bytes: Buffer }[] = [];
  const openFds = new Set<number>();
  const hostFs = {
    ...fs,
    openSync(...a: Parameters<typeof fs.openSync>): number {
      const fd = fs.openSync(...a);
      openFds.add(fd);
      return fd;
    },
    closeSync(fd: number): void {
      openFds.delete(fd);
      fs.closeSync(fd);
    },
    writeSync(fd: number, buf: Uint8Array, offset?: number | null, length?: number | null, position?: number | null): number {
      if (fd === 1 || fd === 2) {
        const start = offset ?? 0;
        const end = length === undefined || length === null ? buf.byteLength : start + length;
        output.push({ fd, bytes: Buffer.from(buf.subarray(start, end)) });
        return end - start;
      }
      return fs.writeSync(fd, buf, offset, length, position);
    },
  };
  let exitCode = 0;
  let crash: RunOutcome['crash'];
  try {
    const runner = new circom2.CircomRunner({
      args,
      env: {},
      preopens: { '/': '/' },
      bindings: {
        ...circom2.bindings,
        fs: hostFs,
        exit(code: number) {
          throw new WASIExitError(code);
        },
        kill(sig: string) {
          throw new Error(`circom raised signal ${sig}`);
        },
        isTTY: () => false,
      },
    });
    const instance = new WebAssembly.Instance(module, runner.wasi.getImports(module));
    runner.wasi.start(instance);
  } catch (err) {
    if (err instanceof WASIExitError) exitCode = err.code;
    else {
      exitCode = -1;
      const e = err as { name?: string; message?: string } | undefined;
      crash = { name: e?.name, message: String(e?.message || err) };
    }
  } finally {
    for (const fd of openFds) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already closed */
      }
    }
  }
  const streams: Record<1 | 2, Buffer[]> = { 1: [], 2: [] };
  for (const o of output) streams[o.fd].push(o.bytes);
  return {
    exitCode,
    crash,
    log: Buffer.concat(output.map((o) => o.bytes)).toString('utf8'),
    stdout: Buffer.concat(streams[1]).toString('utf8'),
    stderr: Buffer.concat(streams[2]).toString('utf8'),
  };
}

if (parentPort) {
  const data = workerData as CircomWorkerData;
  let message: CircomWorkerMessage;
  try {
    const requireHere = createRequire(import.meta.url);
    const circom2 = requireHere(data.indexPath) as Circom2;
    const { WASIExitError } = requireHere(data.wasiPath) as { WASIExitError: WasiExitErrorClass };
    message = { runs: data.runs.map((args) => runOnce(circom2, WASIExitError, data.module, args)) };
  } catch (err) {
    message = { fatal: String((err as Error)?.stack ?? err) };
  }
  parentPort.postMessage(message);
}
