/**
 * `zkinfer infer` and `zkinfer verify --policy` as scripts use them: real processes, exit
 * codes (0 only for accepted), one clear line per failure, nothing written on failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { softmax } from '../../src/shared/math.js';
import { receiptSchema, type Receipt } from '../../src/shared/receipt.js';
import { compileTinyModel, writeInput } from '../e2e/tiny-model.js';

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let input: string;
const cache = mkdtempSync(join(tmpdir(), 'zkinfer-cli-cache-'));

function zkinfer(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/zkinfer.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ZKINFER_CACHE_DIR: cache } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The line every verify run prints on stderr: the key it trusted and its origin. */
const KEY_LINE = /^key {6}key [0-9a-f]{16}… from a local single-party setup \(convinces only whoever ran it\); not pinned: pass --key-id <id> received through a trusted channel\n$/;

const policy = (name: string, body: object) => {
  const path = join(tiny.work, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
};

beforeAll(async () => {
  tiny = await compileTinyModel();
  input = writeInput(tiny.work, 'x.json', [[0.5, -0.25, 0.75, 0.1, -0.6, 0.3]]);
}, 300_000);

describe('zkinfer infer', () => {
  it('writes a dev-attested receipt; the default policy says proof-required (exit 1), a dev-accepting one accepts (exit 0)', () => {
    const out = join(tiny.work, 'tee.json');
    const r = zkinfer('infer', tiny.dir, '--input', input, '--out', out, '--nonce', 'abcd');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`created a dev attestation key at ${join(cache, 'dev-attestation-key.json')} (not hardware; refused by the default policy)\n`);
    expect(r.stdout).toMatch(
      new RegExp(`^inferred ${input} → ${out} in [\\d.]+ ms, attested by dev \\(not hardware\\) in [\\d.]+ ms\\n  output \\[-?\\d\\.\\d{4}, -?\\d\\.\\d{4}, -?\\d\\.\\d{4}\\]\\n$`),
    );
    const receipt = receiptSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(receipt).toMatchObject({ nonce: 'abcd', attestation: { provider: 'dev', hardware: false, nonce: 'abcd' } });
    expect(receipt.proof).toBeUndefined();

    const strict = zkinfer('verify', out, '--artifacts', tiny.dir, '--policy', policy('default.json', {}));
    expect(strict).toEqual({
      code: 1,
      stderr: expect.stringMatching(KEY_LINE),
      stdout: `proof-required  ${out}\n  - attestation: dev provider, not hardware; the policy does not accept dev attestations\n`,
    });
    const devKey = JSON.parse(readFileSync(join(cache, 'dev-attestation-key.json'), 'utf8')).publicKey as string;
    const devOk = zkinfer(
      'verify',
      out,
      '--artifacts',
      tiny.dir,
      '--policy',
      policy('dev.json', { acceptDevAttestations: true, devPublicKeys: [devKey], stakesThreshold: 5 }),
      '--stakes',
      '5',
      '--json',
    );
    expect(devOk.code).toBe(0);
    expect(JSON.parse(devOk.stdout)).toEqual({
      accepted: true,
      total: 1,
      notAccepted: 0,
      key: { id: tiny.result.manifest.keyId, setup: 'local-single-party', localSingleParty: true, pinned: false },
      results: [{ file: out, verdict: 'accepted', by: ['attestation'], reasons: [expect.stringMatching(/^attestation: valid dev attestation, \d+ s old$/)] }],
    });
    const stale = zkinfer('verify', out, '--artifacts', tiny.dir, '--policy', join(tiny.work, 'dev.json'), '--at', '2099-01-01T00:00:00Z');
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/^proof-required {2}\S+\n {2}- attestation: \d+ s old, older than maxAttestationAgeSeconds 300\n$/);
    // the proof-only verifier refuses a receipt without a proof
    const proofOnly = zkinfer('verify', out, '--artifacts', tiny.dir);
    expect(proofOnly.code).toBe(1);
    expect(proofOnly.stderr.split('\n').slice(1).join('\n')).toBe(`invalid  ${out}: the receipt carries no proof\n`);
  });

  it('--prove attaches the proof: accepted by proof (exit 0); a TEE output edited beyond tolerance is rejected (exit 1)', () => {
    const out = join(tiny.work, 'proven.json');
    const r = zkinfer('infer', tiny.dir, '--input', input, '--out', out, '--prove', '--json');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ out, proven: true, attestation: { provider: 'dev', hardware: false } });
    const receipt = receiptSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(receipt.proof).toBeDefined();
    expect(receipt.digest).toBe(summary.digest);
    const v = zkinfer('verify', out, '--artifacts', tiny.dir, '--policy', policy('default.json', {}));
    expect(v.code).toBe(0);
    expect(v.stdout.split('\n')[0]).toBe(`accepted        ${out} (by proof)`);
    expect(zkinfer('verify', out, '--artifacts', tiny.dir)).toMatchObject({ code: 0, stdout: `valid    ${out}\n` });

    const edited: Receipt = JSON.parse(readFileSync(out, 'utf8'));
    edited.attestation!.output.values[0]! += 1;
    edited.attestation!.output.raw[0]! += 2 ** edited.output.scale;
    edited.attestation!.output.probabilities = Array.from(softmax(edited.attestation!.output.values, [1, 3], 1, false)); // a careful forger
    const bad = join(tiny.work, 'edited.json');
    writeFileSync(bad, JSON.stringify(edited));
    const w = zkinfer('verify', bad, out, '--artifacts', tiny.dir, '--policy', join(tiny.work, 'default.json'));
    expect(w.code).toBe(1);
    expect(w.stdout).toContain(`rejected        ${bad}\n  - attestation: the attestation digest does not match the receipt with the attested output\n`);
    expect(w.stdout).toMatch(/1 of 2 receipts accepted\n$/);
  });

  it.runIf(!existsSync('/dev/nsm'))('--attest nitro outside an enclave is one line, exit 1, and writes nothing', () => {
    const out = join(tiny.work, 'nitro.json');
    expect(zkinfer('infer', tiny.dir, '--input', input, '--out', out, '--attest', 'nitro')).toEqual({ code: 1, stdout: '', stderr: 'error: not inside a Nitro Enclave (/dev/nsm not found)\n' });
    expect(existsSync(out)).toBe(false);
  });

  it('refuses bad options with one line', () => {
    const out = join(tiny.work, 'never.json');
    expect(zkinfer('infer', tiny.dir, '--input', input, '--out', out, '--nonce', 'xyz')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: expected --nonce to be 2 to 1024 lowercase hex digits (an even number, no 0x), got "xyz"\n',
    });
    expect(zkinfer('infer', tiny.dir, '--input', input, '--out', out, '--attest', 'sgx')).toEqual({ code: 2, stdout: '', stderr: 'error: expected --attest to be dev, nitro or tdx, got "sgx"\n' });
    expect(existsSync(out)).toBe(false);
    const receipt = join(tiny.work, 'tee.json');
    expect(zkinfer('verify', receipt, '--artifacts', tiny.dir, '--stakes', '3')).toEqual({ code: 2, stdout: '', stderr: 'error: --stakes applies to a policy: give --policy <file>\n' });
    const typo = policy('typo.json', { maxAge: 3 });
    expect(zkinfer('verify', receipt, '--artifacts', tiny.dir, '--policy', typo)).toEqual({ code: 2, stdout: '', stderr: `error: ${typo}: invalid policy at "(root)": Unrecognized key: "maxAge"\n` });
    expect(zkinfer('verify', receipt, '--artifacts', tiny.dir, '--policy', typo.replace('typo', 'default'), '--stakes', '-1')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: expected --stakes to be a non-negative number, got "-1"\n',
    });
  });
});
