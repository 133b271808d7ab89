/**
 * The public surface: the main entry (src/index.ts, `zkinfer`) and the internals
 * (src/internals.ts, `zkinfer/internals`). Their export names and their declared types (an
 * API report of the built declarations, test/api/api-report.ts) are snapshotted, so any
 * change to either shows up in review.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import * as internals from '../../src/internals.js';
import { apiReport } from './api-report.js';

const root = resolve(__dirname, '../..');

it('exports exactly the documented public API', () => {
  expect(Object.keys(api).sort()).toMatchSnapshot();
});

it('exports exactly the documented internals, none of them also in the public API', () => {
  expect(Object.keys(internals).sort()).toMatchSnapshot();
  expect(Object.keys(internals).filter((k) => k in api)).toEqual([]);
});

it('`zkinfer/internals` is the compiled src/internals.ts', () => {
  const r = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', "const m = await import('zkinfer/internals'); console.log(JSON.stringify({ url: import.meta.resolve('zkinfer/internals'), keys: Object.keys(m).sort() }));"],
    { cwd: root, encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  const { url, keys } = JSON.parse(r.stdout) as { url: string; keys: string[] };
  expect(url).toBe(`file://${join(root, 'dist/internals.js')}`);
  expect(keys).toEqual(Object.keys(internals).sort());
});

describe('declared types (API report of dist/*.d.ts)', () => {
  it('of the public API', async () => {
    await expect(apiReport(join(root, 'dist/index.d.ts'))).toMatchFileSnapshot('./__snapshots__/index.api.txt');
  });

  it('of the internals', async () => {
    await expect(apiReport(join(root, 'dist/internals.d.ts'))).toMatchFileSnapshot('./__snapshots__/internals.api.txt');
  });
});
