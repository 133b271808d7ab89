/**
 * The TypeScript verifier against the shared table of tampering cases, one receipt at a
 * time and as a folder (the batch path), and the caller's expectations: the nonce it
 * asked for, the receipt's age, and pinned key ids.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { verifyMany } from '../../src/verify/many.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { receiptContext } from '../../src/shared/context.js';
import type { PublicReceipt as Receipt } from '../../src/shared/receipt.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { MODES, tamperCasesFor } from './tampering-cases.js';

/** The table's cases for the public tiny model. */
const TAMPER_CASES = tamperCasesFor(MODES.public);

let key: VerifierKey;
let receipt: Receipt;
const NONCE = '5eed'.repeat(8);
const CREATED = '2026-12-01T10:00:00.000Z';

beforeAll(async () => {
  const tiny = await compileTinyModel();
  key = loadVerifierKey(tiny.dir);
  receipt = await proveInference(loadArtifacts(tiny.dir), [0.5, -0.25, 0.75, 0.1, -0.6, 0.3], { nonce: NONCE, createdAt: CREATED });
}, 300_000);
afterAll(releaseCurve);

describe('the honest receipt', () => {
  it('verifies, and its last public signal is the context of its model id, time and nonce', async () => {
    expect(await verifyProof(JSON.stringify(receipt), key)).toMatchObject({ valid: true });
    expect(receipt.publicSignals!.at(-1)).toBe(receiptContext({ modelId: receipt.modelId, createdAt: CREATED, nonce: NONCE }).toString());
    expect(receipt.createdAt).toBe(CREATED);
  });
});

describe('every tampering case is rejected with its reason', () => {
  for (const engine of ['wasm', 'snarkjs', 'noble'] as const) {
    for (const c of TAMPER_CASES) {
      it(`${c.name} (${engine} pairing)`, async () => {
        const verdict = await verifyProof(JSON.stringify(c.tamper(receipt, key.manifest)), key, { engine });
        expect(verdict.valid).toBe(false);
        if (typeof c.reason === 'string') expect(verdict.reason).toBe(c.reason);
        else expect(verdict.reason).toMatch(c.reason);
      });
    }
  }

  it('the honest receipt verifies with every pairing engine', async () => {
    expect(await verifyProof(receipt, key, { engine: 'wasm' })).toMatchObject({ valid: true });
    expect(await verifyProof(receipt, key, { engine: 'snarkjs' })).toMatchObject({ valid: true });
    expect(await verifyProof(receipt, key, { engine: 'noble' })).toMatchObject({ valid: true });
  });

  it('in a folder, each case is named invalid and the honest receipt stays valid (batch path)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkinfer-tamper-'));
    writeFileSync(join(dir, 'honest.json'), JSON.stringify(receipt));
    TAMPER_CASES.forEach((c, i) => writeFileSync(join(dir, `case-${String(i).padStart(2, '0')}.json`), JSON.stringify(c.tamper(receipt, key.manifest))));
    const files = [join(dir, 'honest.json'), ...TAMPER_CASES.map((_, i) => join(dir, `case-${String(i).padStart(2, '0')}.json`))];
    const summary = await verifyMany(files, key, { concurrency: 1 });
    expect(summary.results[0]).toMatchObject({ valid: true });
    summary.results.slice(1).forEach((r, i) => {
      const c = TAMPER_CASES[i]!;
      expect(r.valid, c.name).toBe(false);
      if (typeof c.reason === 'string') expect(r.reason, c.name).toBe(c.reason);
      else expect(r.reason, c.name).toMatch(c.reason);
    });
  });
});

describe("the caller's expectations", () => {
  it('an expected nonce: the receipt must carry it', async () => {
    expect(await verifyProof(receipt, key, { nonce: NONCE })).toMatchObject({ valid: true });
    expect(await verifyProof(receipt, key, { nonce: '00'.repeat(16) })).toMatchObject({ valid: false, reason: 'the receipt nonce 5eed5eed5eed5eed… is not the expected nonce 0000000000000000…' });
  });

  it('a maximum age, measured from the proven createdAt', async () => {
    const at = (iso: string) => new Date(iso);
    expect(await verifyProof(receipt, key, { maxAgeSeconds: 60, now: at('2026-12-01T10:00:59.000Z') })).toMatchObject({ valid: true });
    expect(await verifyProof(receipt, key, { maxAgeSeconds: 60, now: at('2026-12-01T10:02:00.000Z') })).toMatchObject({
      valid: false,
      reason: 'the receipt is 120 s old, older than the maximum age 60 s',
    });
    expect(await verifyProof(receipt, key, { maxAgeSeconds: 60, now: at('2026-12-01T09:50:00.000Z') })).toMatchObject({
      valid: false,
      reason: 'the receipt is dated 600 s after the verification time',
    });
  });

  it('pinned key ids: the artifacts key must be one of them', async () => {
    expect(await verifyProof(receipt, key, { keyIds: [key.manifest.keyId!] })).toMatchObject({ valid: true });
    expect(await verifyProof(receipt, key, { keyIds: ['ef'.repeat(32)] })).toMatchObject({
      valid: false,
      reason: `the verification key ${key.manifest.keyId!.slice(0, 16)}… is not a trusted key id (pinned: efefefefefefefef…)`,
    });
  });

  it('malformed expectations are refused at the boundary', async () => {
    await expect(verifyProof(receipt, key, { nonce: '0xab' })).rejects.toThrow('expected options.nonce to be 2 to 1024 lowercase hex digits (an even number, no 0x), got "0xab"');
    await expect(verifyProof(receipt, key, { keyIds: ['AB'] })).rejects.toThrow('expected a key id of 64 lowercase hex digits, got "AB"');
  });
});
