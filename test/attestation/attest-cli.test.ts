import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerAttestCommand } from '../../src/cli/commands/attest.js';
import { AWS_ROOT, DEBUG, EU_WEST_1, fixturePath, OPENGRADIENT } from './helpers.js';

let stdout = '';
let stderr = '';

beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  process.exitCode = undefined;
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(...args: string[]): Promise<number | undefined> {
  const program = new Command('zkinfer').exitOverride();
  registerAttestCommand(program);
  await program.parseAsync(['attest', 'verify', ...args], { from: 'user' });
  const code = process.exitCode;
  process.exitCode = undefined;
  return code as number | undefined;
}

describe('zkinfer attest verify', () => {
  it('verifies a raw CBOR document at its time and prints a summary', async () => {
    expect(await run(fixturePath(EU_WEST_1.file), '--at', EU_WEST_1.at.toISOString())).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain(`valid: ${fixturePath(EU_WEST_1.file)} is an AWS Nitro Enclaves attestation document`);
    expect(stdout).toContain('module      i-04fd167167daacf3b-enc01845e97d0b3eb4e');
    expect(stdout).toContain('debug       no');
    expect(stdout).toContain(`root SHA-256 ${AWS_ROOT}`);
  });

  it('prints JSON with --json', async () => {
    expect(await run(fixturePath(OPENGRADIENT.file), '--at', '2026-02-12T19:00:00Z', '--json', '--nonce', '0123456789abcdef0123456789abcdef01234567')).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ valid: true, attestation: { moduleId: 'i-0340e0cb833504eb6-enc019c12d31f78864d', debug: false, publicKey: '64756d6d79' } });
    expect(out.attestation.certificateChain).toHaveLength(5);
  });

  it('reads a base64 file, refuses the debug enclave, and accepts it with --allow-debug', async () => {
    const path = fixturePath(DEBUG.file);
    expect(await run(path, '--at', DEBUG.at.toISOString())).toBe(1);
    expect(stderr).toBe(`invalid: ${path}: attestation policy: debug enclave (PCR0, PCR1 and PCR2 are all zero) refused\n`);
    stderr = '';
    expect(await run(path, '--at', DEBUG.at.toISOString(), '--allow-debug')).toBe(0);
    expect(stdout).toContain('debug       yes (PCR0, PCR1 and PCR2 are all zero)');
  });

  it('reads URL-safe base64 with line breaks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkinfer-attest-'));
    const path = join(dir, 'doc.txt');
    const text = Buffer.from(EU_WEST_1.bytes)
      .toString('base64url')
      .replace(/(.{76})/g, '$1\n');
    writeFileSync(path, text);
    expect(await run(path, '--at', EU_WEST_1.at.toISOString())).toBe(0);
  });

  it('rejects an expired document at the present time with one line', async () => {
    expect(await run(fixturePath(EU_WEST_1.file))).toBe(1);
    expect(stderr).toBe(`invalid: ${fixturePath(EU_WEST_1.file)}: certificate chain: certificate expired at ${EU_WEST_1.leafNotAfter}\n`);
    expect(stdout).toBe('');
  });

  it('reports the reason in JSON too', async () => {
    expect(await run(fixturePath(EU_WEST_1.file), '--json')).toBe(1);
    expect(JSON.parse(stdout)).toEqual({ valid: false, document: fixturePath(EU_WEST_1.file), reason: `certificate chain: certificate expired at ${EU_WEST_1.leafNotAfter}` });
  });

  it('binds --nonce and --user-data', async () => {
    const at = EU_WEST_1.at.toISOString();
    expect(await run(fixturePath(EU_WEST_1.file), '--at', at, '--user-data', '0x7c37108079b3e8a36d8a7970de1d6d4ff1461e0e35d9557c4d789df5e0576620')).toBe(0);
    expect(await run(fixturePath(EU_WEST_1.file), '--at', at, '--nonce', 'ab')).toBe(1);
    expect(stderr).toBe(`invalid: ${fixturePath(EU_WEST_1.file)}: attestation policy: nonce c678c86135de539d183acff58886d98dfb9823041af9f934bf909ac0f8d96245 does not match the expected ab\n`);
  });

  it('rejects another pinned root', async () => {
    expect(await run(fixturePath(EU_WEST_1.file), '--at', EU_WEST_1.at.toISOString(), '--root-fingerprint', '00'.repeat(32))).toBe(1);
    expect(stderr).toBe(`invalid: ${fixturePath(EU_WEST_1.file)}: certificate chain: cabundle[0] is not the pinned root (its SHA-256 is ${AWS_ROOT})\n`);
  });

  it('rejects a file that is not a document', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkinfer-attest-'));
    const path = join(dir, 'junk.bin');
    writeFileSync(path, Buffer.from([0xff, 0xfe, 0x00]));
    expect(await run(path)).toBe(1);
    expect(stderr).toBe(`invalid: ${path}: COSE_Sign1: malformed CBOR\n`);
  });

  it.each([
    [['/nonexistent/doc.cbor'], 'error: cannot read /nonexistent/doc.cbor: ENOENT\n'],
    [['DOC', '--at', 'yesterday'], 'error: --at expects an ISO 8601 time, got "yesterday"\n'],
    [['DOC', '--nonce', 'xyz'], 'error: expected --nonce to be 2 to 1024 lowercase hex digits (an even number, no 0x), got "xyz"\n'],
    [['DOC', '--nonce', '0xab'], 'error: expected --nonce to be 2 to 1024 lowercase hex digits (an even number, no 0x), got "0xab"\n'],
    [['DOC', '--root-fingerprint', 'abcd'], 'error: invalid option rootFingerprint: expected 64 hex digits (a SHA-256)\n'],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const resolved = args.map((a) => (a === 'DOC' ? fixturePath(EU_WEST_1.file) : a));
    expect(await run(...resolved)).toBe(2);
    expect(stderr).toBe(message);
  });
});
