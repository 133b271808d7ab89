/**
 * `infer --out <receipt.json>` treats the user's files like `prove` does: an existing file is
 * refused in one line (exit 2) and left as it was unless --force, a folder is refused, and
 * nothing is left behind.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { receiptSchema } from '../../src/shared/receipt.js';
import { compileTinyModel, writeInput } from '../e2e/tiny-model.js';

const cache = mkdtempSync(join(tmpdir(), 'zkinfer-infer-out-cache-'));
function zkinfer(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/zkinfer.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ZKINFER_CACHE_DIR: cache } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let input: string;
beforeAll(async () => {
  tiny = await compileTinyModel();
  input = writeInput(tiny.work, 'infer-x.json', [[0.3, -0.1, 0.2, 0.9, -0.4, 0.05]]);
}, 300_000);

describe('infer --out', () => {
  it('refuses to overwrite an existing file without --force, and replaces it with --force', () => {
    const out = join(tiny.work, 'infer-existing.json');
    writeFileSync(out, 'my earlier work');
    const r = zkinfer('infer', tiny.dir, '--input', input, '--out', out);
    expect(r.stderr).toBe(`error: ${out}: already exists; pass --force to overwrite it\n`);
    expect(r.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('my earlier work');

    const f = zkinfer('infer', tiny.dir, '--input', input, '--out', out, '--force');
    expect(f.code).toBe(0);
    expect(receiptSchema.parse(JSON.parse(readFileSync(out, 'utf8')))).toMatchObject({ attestation: { provider: 'dev' } });
    expect(readdirSync(tiny.work).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a folder as --out in one line', () => {
    const dir = join(tiny.work, 'infer-a-folder');
    mkdirSync(dir);
    for (const force of [[], ['--force']]) {
      const r = zkinfer('infer', tiny.dir, '--input', input, '--out', dir, ...force);
      expect(r.stderr).toBe(`error: ${dir}: is a folder; --out names the receipt file to write\n`);
      expect(r.code).toBe(2);
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it('the encrypted path refuses an existing receipt file before contacting the enclave', () => {
    const out = join(tiny.work, 'infer-sealed-existing.json');
    writeFileSync(out, 'kept');
    const key = join(tiny.work, 'no-such-key.json');
    const r = zkinfer('infer', tiny.dir, '--input', input, '--out', out, '--encrypt-to', key, '--endpoint', 'http://127.0.0.1:9');
    expect(r.stderr).toBe(`error: ${out}: already exists; pass --force to overwrite it\n`);
    expect(r.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('kept');
  });
});
