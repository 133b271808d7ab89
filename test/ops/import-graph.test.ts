/**
 * Import-graph health of src/ (scripts/check-imports.ts): no import cycles, and no import
 * from an earlier pipeline stage to a later one, with stages reaching the operator modules
 * only through their registry.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImports } from '../../scripts/check-imports.js';

describe('import graph of src/', () => {
  const report = checkImports(resolve(__dirname, '../../src'));

  it('has no cycles', () => {
    expect(report.modules).toBeGreaterThan(100);
    expect(report.cycles).toEqual([]);
  });

  it('has no import from an earlier stage to a later one', () => {
    expect(report.violations.map(({ from, to }) => ({ from, to }))).toEqual([]);
  });

  it('opens an artifacts folder one way: only shared/artifacts.ts reads a manifest (readManifest)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const src = resolve(__dirname, '../../src');
    const readers = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && /\breadManifest\(/.test(readFileSync(resolve(src, f), 'utf8'))).sort();
    expect(readers).toEqual(['shared/artifacts.ts', 'shared/manifest.ts']);
  });

  it('finds a cycle and a stage-order violation when there is one', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(resolve(tmpdir(), 'zkinfer-imports-'));
    try {
      mkdirSync(resolve(dir, 'ir'));
      mkdirSync(resolve(dir, 'circuit'));
      mkdirSync(resolve(dir, 'ops'));
      writeFileSync(resolve(dir, 'ir/a.ts'), "import { b } from './b.js';\nexport const a = 1;\n");
      writeFileSync(resolve(dir, 'ir/b.ts'), "import type { a } from './a.js';\nimport { c } from '../circuit/c.js';\nexport const b = 2;\n");
      writeFileSync(resolve(dir, 'circuit/c.ts'), "import { d } from '../ops/d.js';\nexport const c = 3;\n");
      writeFileSync(resolve(dir, 'ops/d.ts'), 'export const d = 4;\n');
      const r = checkImports(dir);
      expect(r.cycles).toEqual([['ir/a.ts', 'ir/b.ts', 'ir/a.ts']]);
      expect(r.violations.map((v) => `${v.from} → ${v.to}`).sort()).toEqual(['circuit/c.ts → ops/d.ts', 'ir/b.ts → circuit/c.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
