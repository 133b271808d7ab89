/**
 * `zkinfer attest verify` on TDX evidence: the recorded quote with `--collateral` (raw and
 * as hex text), a bundle carrying its collateral, at its time and at the present time,
 * and the options that do not apply to TDX; the format is detected from the first bytes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerAttestCommand } from '../../src/cli/commands/attest.js';
import { createDevProvider } from '../../src/tee/dev/dev.js';
import { encodeTdxBundle } from '../../src/tee/tdx/evidence.js';

const QUOTE = new URL('../fixtures/tee/tdx/tdx_quote', import.meta.url).pathname;
const COLLATERAL = new URL('../fixtures/tee/tdx/tdx_quote_collateral.json', import.meta.url).pathname;
const AT = '2025-07-01T00:00:00Z';
const MRTD = '91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7';

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

const tmp = (name: string, content: string | Uint8Array): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'zkinfer-tdx-')), name);
  writeFileSync(path, content);
  return path;
};

describe('zkinfer attest verify on a TDX quote', () => {
  it('verifies the recorded quote with --collateral at its time and prints a summary', async () => {
    expect(await run(QUOTE, '--collateral', COLLATERAL, '--at', AT)).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain(`valid: ${QUOTE} is an Intel TDX quote (DCAP v4)\n`);
    expect(stdout).toContain('  TCB status  UpToDate (platform UpToDate, TDX module TDX_01 UpToDate, QE UpToDate), TCB date 2024-03-13T00:00:00Z\n');
    expect(stdout).toContain(`  MRTD        ${MRTD}\n`);
    expect(stdout).toContain('  valid       2025-06-19T10:32:27.000Z to 2025-07-19T10:00:35.000Z, checked at 2025-07-01T00:00:00.000Z\n');
  });

  it('prints JSON with --json, naming the vendor', async () => {
    expect(await run(QUOTE, '--collateral', COLLATERAL, '--at', AT, '--json')).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ valid: true, document: QUOTE, vendor: 'tdx', attestation: { tcbStatus: 'UpToDate', td: { mrTd: MRTD }, debug: false } });
  });

  it('reads a quote written as hex text, and a bundle that carries its collateral', async () => {
    const hex = tmp('quote.hex', `${readFileSync(QUOTE).toString('hex')}\n`);
    expect(await run(hex, '--collateral', COLLATERAL, '--at', AT)).toBe(0);
    const bundle = tmp('bundle.json', encodeTdxBundle({ quote: new Uint8Array(readFileSync(QUOTE)), collateral: new Uint8Array(readFileSync(COLLATERAL)) }));
    expect(await run(bundle, '--at', AT)).toBe(0);
    expect(await run(bundle, '--at', AT, '--collateral', COLLATERAL)).toBe(2);
    expect(stderr).toBe('error: invalid option collateral: the TDX evidence bundle carries its own collateral\n');
  });

  it('refuses it at the present time with one line', async () => {
    expect(await run(QUOTE, '--collateral', COLLATERAL)).toBe(1);
    expect(stderr).toBe(`invalid: ${QUOTE}: validity: pck_crl expired at 2025-07-19T10:00:35.000Z\n`);
    expect(stdout).toBe('');
  });

  it('applies --accept-tcb, --user-data and --root-fingerprint', async () => {
    expect(await run(QUOTE, '--collateral', COLLATERAL, '--at', AT, '--accept-tcb', 'OutOfDate')).toBe(1);
    expect(stderr).toBe(`invalid: ${QUOTE}: policy: TCB status UpToDate is not accepted (accepted: OutOfDate)\n`);
    stderr = '';
    expect(await run(QUOTE, '--collateral', COLLATERAL, '--at', AT, '--user-data', '00'.repeat(64))).toBe(1);
    expect(stderr).toMatch(new RegExp(`^invalid: ${QUOTE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: policy: report data 9a9d48e7[0-9a-f]{120} does not match the expected 0{128}\\n$`));
    stderr = '';
    expect(await run(QUOTE, '--collateral', COLLATERAL, '--at', AT, '--root-fingerprint', '00'.repeat(32))).toBe(1);
    expect(stderr).toBe(`invalid: ${QUOTE}: certificate chain: PCK chain[2] is not the pinned root (its SHA-256 is 44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3)\n`);
  });

  it.each([
    [[QUOTE, '--at', AT], 'error: invalid option collateral: an Intel TDX quote is verified with its collateral (TCB info, QE identity, CRLs)\n'],
    [[QUOTE, '--collateral', COLLATERAL, '--nonce', 'ab'], 'error: invalid option expectedNonce: an Intel TDX quote has no nonce field (bind it in the report data)\n'],
    [[QUOTE, '--collateral', '/nonexistent/collateral.json'], 'error: cannot read /nonexistent/collateral.json: ENOENT\n'],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    expect(await run(...args)).toBe(2);
    expect(stderr).toBe(message);
  });

  it('detects a dev document too', async () => {
    const doc = await createDevProvider({ ephemeral: true }).attest({ userData: new Uint8Array(32).fill(9), nonce: new Uint8Array([1, 2]) });
    const path = tmp('dev.json', doc);
    expect(await run(path, '--nonce', '0102')).toBe(0);
    expect(stdout).toContain(`valid: ${path} is a zkinfer dev attestation document (a local key, not hardware)\n  hardware    no`);
  });
});
