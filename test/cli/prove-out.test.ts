/**
 * `prove --input … --out <receipt.json>` never overwrites a file without --force, refuses a
 * folder in one line and leaves no temporary file behind; the atomic writer cleans up after
 * itself when the rename fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseCurve } from '../../src/shared/curve.js';
import { writeFileAtomicSync } from '../../src/shared/fs.js';
import { loadVerifierKey, verifyProof } from '../../src/verify/verify.js';
import { compileTinyModel, writeInput } from '../e2e/tiny-model.js';

function zkinfer(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/zkinfer.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let input: string;
beforeAll(async () => {
  tiny = await compileTinyModel();
  input = writeInput(tiny.work, 'x.json', [[0.3, -0.1, 0.2, 0.9, -0.4, 0.05]]);
}, 300_000);
afterAll(releaseCurve);

describe('prove --out', () => {
  it('refuses to overwrite an existing file without --force, and replaces it with --force', async () => {
    const out = join(tiny.work, 'existing.json');
    writeFileSync(out, 'my earlier work');
    const r = zkinfer('prove', tiny.dir, '--input', input, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${out}: already exists; pass --force to overwrite it\n`);
    expect(readFileSync(out, 'utf8')).toBe('my earlier work');

    const f = zkinfer('prove', tiny.dir, '--input', input, '--out', out, '--force');
    expect(f.stderr).toBe('');
    expect(f.code).toBe(0);
    expect(await verifyProof(readFileSync(out, 'utf8'), loadVerifierKey(tiny.dir))).toMatchObject({ valid: true });
    expect(readdirSync(tiny.work).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a folder as --out in one line, leaving no temporary file', () => {
    const dir = join(tiny.work, 'a-folder');
    mkdirSync(dir);
    for (const force of [[], ['--force']]) {
      const r = zkinfer('prove', tiny.dir, '--input', input, '--out', dir, ...force);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`error: ${dir}: is a folder; --out names the receipt file to write\n`);
      expect(readdirSync(dir)).toEqual([]);
      expect(readdirSync(tiny.work).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    }
  });

  it('--force applies to one input only', () => {
    const r = zkinfer('prove', tiny.dir, '--inputs', 'x.jsonl', '--out', join(tiny.work, 'o'), '--force');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --force applies to one input (--input); a batch keeps valid receipts and proves the rest\n');
  });
});

describe('writeFileAtomicSync', () => {
  it('removes its temporary file when the rename fails', () => {
    const dir = join(tiny.work, 'target-is-a-folder');
    mkdirSync(dir);
    expect(() => writeFileAtomicSync(dir, 'x')).toThrow();
    expect(readdirSync(tiny.work).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('with overwrite: false, refuses an existing file and keeps it', () => {
    const path = join(tiny.work, 'kept.txt');
    writeFileSync(path, 'first');
    expect(() => writeFileAtomicSync(path, 'second', { overwrite: false })).toThrow(`${path}: already exists`);
    expect(readFileSync(path, 'utf8')).toBe('first');
    writeFileAtomicSync(join(tiny.work, 'new.txt'), 'fresh', { overwrite: false });
    expect(readFileSync(join(tiny.work, 'new.txt'), 'utf8')).toBe('fresh');
    expect(readdirSync(tiny.work).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
