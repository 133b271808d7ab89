/**
 * Shared pieces of the scale tests: the tiny model's inputs as JSONL, receipt folders,
 * and waiting on a folder's receipt count through fs.watch (with a polling fallback for
 * file systems that drop events) — never on sleeps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomArray, rng } from '../helpers/onnx-builder.js';

/** A JSONL line for the tiny model (input shape [1, 6]). */
export function tinyLine(r: () => number, id?: string): string {
  return JSON.stringify({ ...(id === undefined ? {} : { id }), input: [randomArray(r, 6)] });
}

/** Writes `n` good lines with ids `x-0` … and returns the path. */
export function writeTinyInputs(dir: string, name: string, n: number, seed = 7): string {
  const r = rng(seed);
  const path = join(dir, name);
  writeFileSync(path, Array.from({ length: n }, (_, i) => tinyLine(r, `x-${i}`)).join('\n') + '\n');
  return path;
}

/** Receipt files in a folder (every *.json). */
export function receiptNames(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
}

/** Temporary files in a folder. */
export function tmpNames(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.tmp'));
}

/** Every receipt parses as whole JSON (none is half-written). */
export function readAllReceipts(dir: string): Record<string, unknown>[] {
  return receiptNames(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>);
}

/**
 * Resolves once `dir` holds at least `count` receipts; rejects if `child` exits first.
 * @returns the count seen
 */
export function waitForReceipts(dir: string, count: number, child?: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      watcher.close();
      clearInterval(poll);
      child?.off('exit', onExit);
      fn();
    };
    const check = () => {
      const n = receiptNames(dir).length;
      if (n >= count) finish(() => resolve(n));
    };
    const onExit = (code: number | null) => finish(() => reject(new Error(`the process exited (${code}) before ${count} receipts were written`)));
    const watcher = watch(dir, check);
    const poll = setInterval(check, 50); // fallback: fs.watch may coalesce or drop events
    child?.on('exit', onExit);
    check();
  });
}

/** Spawns the CLI; resolves with its exit code and output when it ends. */
export function runCli(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['bin/zkinfer.js', ...args], { env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}
