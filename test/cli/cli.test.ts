/**
 * The command line as scripts use it: real processes, exit codes, one clear line per failure.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { receiptDigest } from '../../src/shared/receipt.js';
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
  it('compile: a missing model file is one line and exit 2 (an I/O error)', () => {
    const r = zkinfer('compile', 'no-such-model.onnx', '--out', join(tiny.work, 'x'));
    expect(r.code).toBe(2);
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

  it('prove: a missing artifacts folder is one line and exit 2 (an I/O error)', () => {
    const input = writeInput(tiny.work, 'ok0.json', [[0, 0, 0, 0, 0, 0]]);
    const r = zkinfer('prove', join(tiny.work, 'nowhere'), '--input', input, '--out', join(tiny.work, 'r.json'));
    expect(r.code).toBe(2);
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
    expect(r.stderr).toMatch(new RegExp(`^key {6}key [0-9a-f]{16}… from a local single-party setup .*\ninvalid  ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: malformed JSON: .*\n$`));
  });
});

describe('trustworthy receipts from the command line', () => {
  let honest: string;
  const NONCE = 'c0ffee'.repeat(4);
  beforeAll(() => {
    honest = join(tiny.work, 'honest.json');
    const input = writeInput(tiny.work, 'honest-in.json', [[0.3, -0.1, 0.2, 0.9, -0.4, 0.05]]);
    const p = zkinfer('prove', tiny.dir, '--input', input, '--out', honest, '--nonce', NONCE);
    expect(p.code).toBe(0);
  });
  const keyId = () => tiny.result.manifest.keyId!;

  it('one nonce rule: empty, odd, upper-case and 0x nonces are usage errors (exit 2)', () => {
    const input = writeInput(tiny.work, 'n.json', [[0, 0, 0, 0, 0, 0]]);
    for (const nonce of ['', 'abc', 'ABCD', '0xabcd']) {
      const r = zkinfer('prove', tiny.dir, '--input', input, '--out', join(tiny.work, 'never.json'), '--nonce', nonce);
      expect(r).toEqual({ code: 2, stdout: '', stderr: `error: expected --nonce to be 2 to 1024 lowercase hex digits (an even number, no 0x), got ${JSON.stringify(nonce)}\n` });
    }
    expect(existsSync(join(tiny.work, 'never.json'))).toBe(false);
  });

  it('an input outside the compiled range names its file (exit 1)', () => {
    const input = writeInput(tiny.work, 'huge.json', [[1000, 0, 0, 0, 0, 0]]);
    const r = zkinfer('prove', tiny.dir, '--input', input, '--out', join(tiny.work, 'never.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: ${escape(input)}: input value 1000 at flat index 0 is outside the range the model was compiled for \\[-?[\\d.]+, [\\d.]+\\]\\n$`));
  });

  it('a replayed receipt under a new nonce (digest re-sealed) is invalid; --nonce demands the challenge', () => {
    const r = JSON.parse(readFileSync(honest, 'utf8'));
    r.nonce = 'ab'.repeat(16);
    r.digest = receiptDigest(r);
    const replay = join(tiny.work, 'replay.json');
    writeFileSync(replay, JSON.stringify(r));
    const v = zkinfer('verify', replay, '--artifacts', tiny.dir);
    expect(v.code).toBe(1);
    expect(v.stderr.split('\n')[1]).toBe(`invalid  ${replay}: the context signal does not match the receipt (model id, createdAt and nonce)`);
    expect(zkinfer('verify', honest, '--artifacts', tiny.dir, '--nonce', NONCE).code).toBe(0);
    const other = zkinfer('verify', honest, '--artifacts', tiny.dir, '--nonce', 'ab'.repeat(16));
    expect(other.code).toBe(1);
    expect(other.stderr.split('\n')[1]).toBe(`invalid  ${honest}: the receipt nonce c0ffeec0ffeec0ff… is not the expected nonce abababababababab…`);
  });

  it('--max-age refuses stale receipts', () => {
    const created = Date.parse(JSON.parse(readFileSync(honest, 'utf8')).createdAt);
    const at = new Date(created + 3_600_000).toISOString();
    const v = zkinfer('verify', honest, '--artifacts', tiny.dir, '--max-age', '60', '--at', at);
    expect(v.code).toBe(1);
    expect(v.stderr.split('\n')[1]).toBe(`invalid  ${honest}: the receipt is 3600 s old, older than the maximum age 60 s`);
    expect(zkinfer('verify', honest, '--artifacts', tiny.dir, '--max-age', '0').code).toBe(2);
  });

  it('--key-id pins the key: the right id verifies and says pinned, another refuses, a malformed one is a usage error', () => {
    const ok = zkinfer('verify', honest, '--artifacts', tiny.dir, '--key-id', keyId(), '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).key).toEqual({ id: keyId(), setup: 'local-single-party', localSingleParty: true, pinned: true });
    const text = zkinfer('verify', honest, '--artifacts', tiny.dir, '--key-id', keyId());
    expect(text.stderr).toBe(`key      key ${keyId().slice(0, 16)}… from a local single-party setup (convinces only whoever ran it); pinned\n`);
    const wrong = zkinfer('verify', honest, '--artifacts', tiny.dir, '--key-id', 'ab'.repeat(32));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.split('\n')[1]).toBe(`invalid  ${honest}: the verification key ${keyId().slice(0, 16)}… is not a trusted key id (pinned: abababababababab…)`);
    expect(zkinfer('verify', honest, '--artifacts', tiny.dir, '--key-id', 'xyz')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: expected --key-id to be 64 lowercase hex digits (the key id from the model\'s publisher), got "xyz"\n',
    });
  });

  it('a swapped key beside an honest manifest is refused even before pinning', () => {
    const other = join(tiny.work, 'swapped');
    cpSync(tiny.dir, other, { recursive: true });
    const vk = JSON.parse(readFileSync(join(other, 'circuit.vkey.json'), 'utf8'));
    vk.vk_alpha_1 = vk.vk_beta_1 ?? vk.vk_alpha_1;
    vk.IC[0] = vk.IC[1];
    writeFileSync(join(other, 'circuit.vkey.json'), JSON.stringify(vk));
    const v = zkinfer('verify', honest, '--artifacts', other);
    expect(v.code).toBe(1);
    expect(v.stderr.split('\n')[1]).toBe(`invalid  ${honest}: the verification key does not match the manifest's key id ${keyId().slice(0, 16)}…`);
  });

  it('terminal escape sequences from a receipt are printed escaped', () => {
    const r = JSON.parse(readFileSync(honest, 'utf8'));
    r['\u001b[2J\u001b[32mvalid'] = 1;
    const nasty = join(tiny.work, 'nasty.json');
    writeFileSync(nasty, JSON.stringify(r));
    const v = zkinfer('verify', nasty, '--artifacts', tiny.dir);
    expect(v.code).toBe(1);
    expect(v.stderr).not.toContain('\u001b');
    expect(v.stderr.split('\n')[1]).toBe(`invalid  ${nasty}: malformed receipt: "(root)": unknown field "\\u001b[2J\\u001b[32mvalid"`);
  });

  it('exit codes: 0 all valid, 1 any invalid, 2 for a receipt that cannot be read', () => {
    expect(zkinfer('verify', honest, '--artifacts', tiny.dir).code).toBe(0);
    const missing = join(tiny.work, 'no-such-receipt.json');
    const v = zkinfer('verify', honest, missing, '--artifacts', tiny.dir);
    expect(v.code).toBe(2);
    expect(v.stderr.split('\n')[1]).toBe(`invalid  ${missing}: cannot read (ENOENT)`);
  });

  it('under a policy, a crafted receipt gets its own verdict and the run goes on', () => {
    const r = JSON.parse(readFileSync(honest, 'utf8'));
    r.attestation = {
      provider: 'dev',
      format: 'zkinfer.dev-attestation/1',
      hardware: false,
      document: '',
      digest: r.digest,
      nonce: 'abc',
      createdAt: r.createdAt,
      output: { raw: r.output.raw, values: r.output.values },
    };
    const crafted = join(tiny.work, 'crafted.json');
    writeFileSync(crafted, JSON.stringify(r));
    const policy = join(tiny.work, 'accept-local.json');
    writeFileSync(policy, JSON.stringify({ localSetup: 'accept' }));
    const v = zkinfer('verify', crafted, honest, '--artifacts', tiny.dir, '--policy', policy, '--json');
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout);
    expect(report.results.map((x: { verdict: string }) => x.verdict)).toEqual(['rejected', 'accepted']);
    expect(report.results[0].reasons).toEqual(['malformed receipt: "attestation.nonce": expected 2 to 1024 lowercase hex digits (an even number)']);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
