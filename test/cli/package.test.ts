/**
 * The package as users get it: package.json's `bin`, `exports` and `types` name built
 * JavaScript in dist/ (built by the tests' global setup, as `npm ci` builds it through
 * `prepare`), their types check in a strict consumer, `zkinfer --version` prints
 * package.json's version, `--help` loads none of the heavy modules, and the compiled worker
 * threads (prover pool with snarkjs threads of its own, verifier pool) run from dist/.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { beforeAll, describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { workerEntryFile } from '../../src/shared/worker-thread.js';
import { loadVerifierKey } from '../../src/verify/verify.js';
import { compileTinyModel, writeInput } from '../e2e/tiny-model.js';

const root = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  exports: Record<string, { types: string; default: string } | string>;
  types: string;
  files: string[];
  dependencies: Record<string, string>;
};

function node(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the zkinfer package', () => {
  it('zkinfer --version and -V print the version in package.json', () => {
    expect(node([pkg.bin.zkinfer!, '--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    expect(node([pkg.bin.zkinfer!, '-V'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('bin, exports and types name built files in dist/, and the bin runs dist/cli', () => {
    const main = pkg.exports['.'] as { types: string; default: string };
    expect(main).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(pkg.types).toBe(main.types);
    for (const file of [main.types, main.default, pkg.bin.zkinfer!, 'dist/cli/main.js']) expect(existsSync(join(root, file)), file).toBe(true);
    expect(readFileSync(join(root, pkg.bin.zkinfer!), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(readFileSync(join(root, pkg.bin.zkinfer!), 'utf8')).toContain("import('../dist/cli/main.js')");
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'bin', 'circuits']));
    for (const f of pkg.files.filter((f) => !f.startsWith('!'))) expect(existsSync(join(root, f)), `files: ${f}`).toBe(true);
    expect(pkg.dependencies.tsx).toBeUndefined(); // nothing at run time compiles TypeScript
  });

  it('importing the package by name gives the compiled library with the same exports as src/index.ts', () => {
    const r = node(['--input-type=module', '-e', "const m = await import('zkinfer'); console.log(JSON.stringify({ url: import.meta.resolve('zkinfer'), keys: Object.keys(m).sort() }));"]);
    expect(r.stderr).toBe('');
    const { url, keys } = JSON.parse(r.stdout) as { url: string; keys: string[] };
    expect(url).toBe(`file://${join(root, 'dist/index.js')}`);
    expect(keys).toEqual(Object.keys(api).sort());
  });

  it("the package's types check in a strict consumer that does not skip library checks", () => {
    const work = mkdtempSync(join(tmpdir(), 'zkinfer-consumer-'));
    mkdirSync(join(work, 'node_modules/@types'), { recursive: true });
    symlinkSync(root, join(work, 'node_modules/zkinfer'));
    symlinkSync(join(root, 'node_modules/@types/node'), join(work, 'node_modules/@types/node'));
    writeFileSync(join(work, 'package.json'), '{"type": "module"}');
    const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] };
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['use.ts'] }));
    writeFileSync(
      join(work, 'use.ts'),
      [
        "import { loadArtifacts, loadVerifierKey, proveInference, Prover, verifyProof, type Receipt } from 'zkinfer';",
        "const artifacts = loadArtifacts('artifacts');",
        'const receipt: Receipt = await proveInference(artifacts, [0.5]);',
        "const verdict: boolean = (await verifyProof(receipt, loadVerifierKey('artifacts'))).valid;",
        "type Proof = Awaited<ReturnType<Prover['prove']>>['proof']; // snarkjs's proof type, declared by the package",
        'const proof: string[] = (JSON.parse(\'{"pi_a": []}\') as Proof).pi_a;',
        'console.log(verdict, proof);',
      ].join('\n'),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    expect(node([tsc, '-p', work], work)).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('--help loads commander and the command definitions, none of the heavy modules', () => {
    // a module resolution hook that names every module the process loads
    const work = mkdtempSync(join(tmpdir(), 'zkinfer-pkg-'));
    writeFileSync(join(work, 'hooks.mjs'), 'export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write(`LOADED ${r.url}\\n`); return r; }\n');
    writeFileSync(join(work, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    const r = node(['--import', join(work, 'register.mjs'), pkg.bin.zkinfer!, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: zkinfer [options] [command]');
    const loaded = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('LOADED '))
      .map((l) => l.slice('LOADED '.length));
    expect(loaded).toContain(`file://${join(root, 'dist/cli/main.js')}`);
    const packages = [...new Set(loaded.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((p) => p !== undefined))];
    expect(packages).toEqual(['commander']);
  });

  it('a missing build is one line naming the fix', () => {
    const work = mkdtempSync(join(tmpdir(), 'zkinfer-unbuilt-'));
    writeFileSync(join(work, 'package.json'), '{"type": "module"}');
    cpSync(join(root, 'bin'), join(work, 'bin'), { recursive: true });
    expect(node([join(work, 'bin/zkinfer.js'), '--help'])).toEqual({ code: 2, stdout: '', stderr: 'error: zkinfer is not built (no dist/cli/main.js): run `npm run build` in the zkinfer folder\n' });
  });
});

describe('compiled worker threads', () => {
  let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
  beforeAll(async () => {
    tiny = await compileTinyModel();
  }, 300_000);

  it('the worker entry is the .mjs loader shim from the sources and the .js module from dist/', () => {
    expect(workerEntryFile('file:///x/src/prove/pool.ts', 'prove-worker')).toBe('/x/src/prove/prove-worker.mjs');
    expect(workerEntryFile('file:///x/dist/prove/pool.js', 'prove-worker')).toBe('/x/dist/prove/prove-worker.js');
    for (const f of ['src/prove/prove-worker.mjs', 'src/verify/verify-worker.mjs', 'dist/prove/prove-worker.js', 'dist/verify/verify-worker.js']) expect(existsSync(join(root, f)), f).toBe(true);
  });

  it('the CLI proves a batch on dist/ workers with two snarkjs threads each, and dist/verify-worker.js verifies the receipts', async () => {
    const lines = [0.1, -0.3, 0.7].map((v, i) => JSON.stringify({ id: `x${i}`, input: [[v, 0.2, -0.1, 0.4, 0.0, -0.5]] }));
    const inputs = writeInput(tiny.work, 'pkg.jsonl', `${lines.join('\n')}\n`);
    const out = join(tiny.work, 'pkg-out');
    const proved = node([pkg.bin.zkinfer!, 'prove', tiny.dir, '--inputs', inputs, '--out', out, '--workers', '1', '--threads', '2', '--json']);
    expect(proved.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
    expect(proved.code).toBe(0);
    expect(JSON.parse(proved.stdout)).toMatchObject({ proved: 3, failed: 0, workers: 1, threadsPerWorker: 2 });

    const pool = new Piscina({ filename: join(root, 'dist/verify/verify-worker.js'), minThreads: 1, maxThreads: 1, workerData: { key: loadVerifierKey(tiny.dir) } });
    try {
      const results = (await pool.run(['x0', 'x1', 'x2'].map((id) => join(out, `${id}.json`)))) as { valid: boolean; reason?: string }[];
      expect(results.map((r) => [r.valid, r.reason])).toEqual([
        [true, undefined],
        [true, undefined],
        [true, undefined],
      ]);
    } finally {
      await pool.destroy();
    }
  });
});
