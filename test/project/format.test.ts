import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

describe('formatting', () => {
  it('every source, test and script file is as prettier writes it (npm run format fixes it)', () => {
    const run = spawnSync(process.execPath, [resolve(root, 'node_modules/prettier/bin/prettier.cjs'), '--check', 'src', 'test', 'scripts', 'bin'], { cwd: root, encoding: 'utf8' });
    const unformatted = `${run.stdout}\n${run.stderr}`.split('\n').filter((line) => line.startsWith('[warn] ') && !line.includes('Code style issues'));
    expect(unformatted).toEqual([]);
    expect(run.status).toBe(0);
  }, 120_000);
});
