/**
 * The BN254 curve's worker threads: callers that ask for the curve together share one
 * build (ffjavascript alone would build two and orphan the first one's threads), and once
 * it is released the process exits by itself.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

const src = (path: string): string => pathToFileURL(join(ROOT, 'src', path)).href;

/** Runs a module body with tsx in a child process; resolves when it exits or after `limitMs`. */
function run(body: string, limitMs: number): Promise<{ exited: boolean; code: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'zkinfer-curve-'));
  const file = join(dir, 'main.mts');
  writeFileSync(file, body);
  return new Promise<{ exited: boolean; code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ exited: false, code: null, stdout, stderr });
    }, limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ exited: true, code, stdout, stderr });
    });
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe('the shared BN254 curve', () => {
  it('is built once for callers that ask together, and the process exits after release', async () => {
    const body = `
      import { sharedCurve, releaseCurve } from '${src('shared/curve.ts')}';
      import { warmCurve } from '${src('prove/curve-threads.ts')}';
      const curves = await Promise.all([sharedCurve(), sharedCurve(), warmCurve(2).then(() => sharedCurve()), sharedCurve()]);
      const workers = curves[0].tm.workers.length;
      console.log(JSON.stringify({ same: curves.every((c) => c === curves[0]), workers }));
      await releaseCurve();
      console.log(JSON.stringify({ cached: Boolean(globalThis.curve_bn128) }));
    `;
    // 60 s: the curve's build is ~0.3 s; a process kept alive by orphaned threads never exits
    const result = await run(body, 60_000);
    expect(result.stderr).toBe('');
    expect(result.exited).toBe(true);
    expect(result.code).toBe(0);
    const [first, second] = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toEqual({ same: true, workers: expect.any(Number) });
    expect(first!.workers as number).toBeGreaterThan(0);
    expect(second).toEqual({ cached: false });
  }, 90_000);

  it('a process that leaves the curve unreleased does not exit (the check above can fail)', async () => {
    const body = `
      import { sharedCurve } from '${src('shared/curve.ts')}';
      await sharedCurve();
      console.log('built');
    `;
    const result = await run(body, 8_000);
    expect(result.stdout.trim()).toBe('built');
    expect(result.exited).toBe(false);
  }, 30_000);
});
