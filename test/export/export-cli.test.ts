/**
 * `zkinfer export` as scripts use it: real processes, the folders it writes, exit codes and
 * one line per failure; `--target calldata` encodes an honest receipt and refuses a tampered
 * one with verify's reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { releaseCurve } from '../../src/shared/curve.js';
import type { PublicReceipt as Receipt } from '../../src/shared/receipt.js';
import { loadVerifierKey, verifyProof } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { TAMPER_CASES } from '../verify/tampering-cases.js';

function zkinfer(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/zkinfer.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let receipt: Receipt;
let receiptPath: string;
beforeAll(async () => {
  tiny = await compileTinyModel();
  receipt = await proveInference(loadArtifacts(tiny.dir), [0.5, -0.25, 0.75, 0.1, -0.6, 0.3], { nonce: '5eed'.repeat(8) });
  receiptPath = join(tiny.work, 'receipt.json');
  writeFileSync(receiptPath, JSON.stringify(receipt));
}, 300_000);
afterAll(releaseCurve);

describe('the export command', () => {
  it("lists the library's targets (it names them itself so --help loads no export code)", async () => {
    const { EXPORT_TARGETS } = await import('../../src/export/export.js');
    const { readFileSync: read } = await import('node:fs');
    const cli = read('src/cli/commands/export.ts', 'utf8');
    expect(cli).toContain(`const TARGETS = [${[...EXPORT_TARGETS, 'calldata'].map((t) => `'${t}'`).join(', ')}] as const;`);
  });
});

describe('zkinfer export', () => {
  it('--target solidity writes the contracts, their build and the deployment; refuses a non-empty folder without --force', () => {
    const out = join(tiny.work, 'sol');
    let r = zkinfer('export', tiny.dir, '--target', 'solidity', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'build', 'contracts', 'deployment.json']);
    expect(readdirSync(join(out, 'contracts')).sort()).toEqual(['IZkinferVerifier.sol', 'ZkinferGroth16.sol', 'ZkinferRegistry.sol', 'ZkinferVerifier.sol']);
    const deployment = JSON.parse(readFileSync(join(out, 'deployment.json'), 'utf8'));
    expect(deployment.model).toMatchObject({ modelId: `0x${receipt.modelId}`, keyId: `0x${receipt.keyId}`, layout: '3 outputs packed in 1 signal, 6 inputs, the context' });
    expect(deployment.keyData).toHaveLength(0); // 9 IC points: in the verifier's code
    expect(JSON.parse(readFileSync(join(out, 'build', 'ZkinferVerifier.json'), 'utf8')).bytecode).toMatch(/^0x[0-9a-f]+$/);
    writeFileSync(join(out, 'mine.txt'), 'keep me');
    r = zkinfer('export', tiny.dir, '--target', 'solidity', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${out}: exists and is not empty; choose another --out, or pass --force to replace it\n`);
    expect(readFileSync(join(out, 'mine.txt'), 'utf8')).toBe('keep me');
  }, 120_000);

  it('--target browser writes the page, the module and the key by id; --force replaces the folder', () => {
    const out = join(tiny.work, 'web');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'old.txt'), 'old');
    const r = zkinfer('export', tiny.dir, '--target', 'browser', '--out', out, '--force', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ target: 'browser', files: ['README.md', 'index.html', `keys/${receipt.keyId}.json`, 'zkinfer-verifier.mjs'] });
    expect(existsSync(join(out, 'old.txt'))).toBe(false);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain(`data-key-id="${receipt.keyId}"`);
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link[^>]*\shref=/); // nothing fetched: it works from file://
  }, 120_000);

  it('usage errors are one line and exit 2', () => {
    let r = zkinfer('export', tiny.dir, '--target', 'wasm', '--out', join(tiny.work, 'w'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: expected --target to be solidity, browser, calldata, got "wasm"\n');
    r = zkinfer('export', tiny.dir, '--target', 'browser');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --target browser needs --out <dir>\n');
    r = zkinfer('export', join(tiny.work, 'nowhere'), '--target', 'browser', '--out', join(tiny.work, 'w'));
    expect(r.code).toBe(2);
  });

  it('--target calldata encodes an honest receipt, and refuses what a contract cannot check with verify’s reason', async () => {
    let r = zkinfer('export', tiny.dir, '--target', 'calldata', '--receipt', receiptPath);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.verifyReceipt).toMatch(/^0x[0-9a-f]{8}/);
    expect(out.receipt).toMatchObject({ modelId: `0x${receipt.modelId}`, nonce: `0x${receipt.nonce}`, publicSignals: receipt.publicSignals });
    const forged = TAMPER_CASES.find((c) => c.name === 'forged semantics')!.tamper(receipt, loadVerifierKey(tiny.dir).manifest);
    const forgedPath = join(tiny.work, 'forged.json');
    writeFileSync(forgedPath, JSON.stringify(forged));
    const ts = await verifyProof(JSON.stringify(forged), loadVerifierKey(tiny.dir));
    r = zkinfer('export', tiny.dir, '--target', 'calldata', '--receipt', forgedPath);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${forgedPath}: ${ts.reason}\n`);
    const file = join(tiny.work, 'calldata.json');
    expect(zkinfer('export', tiny.dir, '--target', 'calldata', '--receipt', receiptPath, '--out', file).code).toBe(0);
    r = zkinfer('export', tiny.dir, '--target', 'calldata', '--receipt', receiptPath, '--out', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${file}: already exists; pass --force to overwrite it\n`);
    r = zkinfer('export', tiny.dir, '--target', 'calldata', '--receipt', receiptPath, '--nonce', '00'.repeat(16));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${receiptPath}: the receipt nonce 5eed5eed5eed5eed… is not the expected nonce 0000000000000000…\n`);
  }, 120_000);
});
