/**
 * The command line as scripts use it: real processes, exit codes, one clear line per failure.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SUPPORTED_OPS } from '../../src/onnx/import.js';
import { compileTinyModel, writeInput } from '../e2e/tiny-model.js';

function zkinfer(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/zkinfer.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
beforeAll(async () => {
  tiny = await compileTinyModel();
}, 300_000);

describe('zkinfer CLI', () => {
  it('compile: a missing model file is one line and exit 1', () => {
    const r = zkinfer('compile', 'no-such-model.onnx', '--out', join(tiny.work, 'x'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: no-such-model.onnx: cannot read model (ENOENT)\n');
  });

  it('compile: an unsupported op names the op, node and index, and lists the supported ops', () => {
    const model = 'test/fixtures/models/unsupported_op.onnx';
    const r = zkinfer('compile', model, '--out', join(tiny.work, 'y'), '--skip-setup');
    expect(r.code).toBe(1);
    // progress lines may precede it; the failure itself is exactly one line, the last
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('error:'))).toHaveLength(1);
    expect(lines.at(-1)).toBe(`error: ${model}: node 1 "weird_cos" (Cos): unsupported op Cos; supported ops: ${SUPPORTED_OPS.join(', ')}`);
  });

  it('prove: a wrong input shape is one line naming the file and the field', () => {
    const input = writeInput(tiny.work, 'short.json', [[1, 2, 3, 4, 5]]);
    const r = zkinfer('prove', tiny.dir, '--input', input, '--out', join(tiny.work, 'r.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${input}: "input"[0] has length 5, expected 6 (expected shape [1, 6])\n`);
  });

  it('prove: NaN and infinite inputs are refused', () => {
    const nan = writeInput(tiny.work, 'nan.json', '{"input": [[0.1, 0.2, NaN, 0.4, 0.5, 0.6]]}');
    let r = zkinfer('prove', tiny.dir, '--input', nan, '--out', join(tiny.work, 'r.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${nan}: "input"[0][2] is NaN; inputs must be finite numbers\n`);
    const inf = writeInput(tiny.work, 'inf.json', '{"input": [[0.1, 0.2, 0.3, -Infinity, 0.5, 0.6]]}');
    r = zkinfer('prove', tiny.dir, '--input', inf, '--out', join(tiny.work, 'r.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${inf}: "input"[0][3] is -Infinity; inputs must be finite numbers\n`);
  });

  it('prove: a missing artifacts folder is one line', () => {
    const input = writeInput(tiny.work, 'ok0.json', [[0, 0, 0, 0, 0, 0]]);
    const r = zkinfer('prove', join(tiny.work, 'nowhere'), '--input', input, '--out', join(tiny.work, 'r.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${join(tiny.work, 'nowhere', 'manifest.json')}: no manifest (is ${join(tiny.work, 'nowhere')} a zkinfer artifacts folder?)\n`);
  });

  it('prove then verify: exit 0 for a valid receipt, 1 with one line for a tampered one', () => {
    const input = writeInput(tiny.work, 'ok.json', [[0.3, -0.1, 0.2, 0.9, -0.4, 0.05]]);
    const out = join(tiny.work, 'receipt.json');
    const p = zkinfer('prove', tiny.dir, '--input', input, '--out', out);
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    const junit = join(tiny.work, 'report.xml');
    const v = zkinfer('verify', out, '--artifacts', tiny.dir, '--junit', junit);
    expect(v.code).toBe(0);
    expect(v.stdout).toBe(`valid    ${out}\n`);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite [^>]*tests="1"[^>]*failures="0"/);

    const receipt = JSON.parse(readFileSync(out, 'utf8'));
    receipt.publicSignals[0] = '1';
    const bad = join(tiny.work, 'bad.json');
    writeFileSync(bad, JSON.stringify(receipt));
    const w = zkinfer('verify', bad, '--artifacts', tiny.dir, '--json');
    expect(w.code).toBe(1);
    const report = JSON.parse(w.stdout);
    expect(report).toMatchObject({ valid: false, total: 1, failed: 1 });
    expect(report.results[0].reason).toMatch(/^output 0 in the receipt/);
  });

  it('verify: malformed JSON is one line and exit 1', () => {
    const bad = join(tiny.work, 'malformed.json');
    writeFileSync(bad, '{"format": "zkinfer.receipt/1",');
    const r = zkinfer('verify', bad, '--artifacts', tiny.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^invalid  ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: malformed JSON: .*\n$`));
  });
});
