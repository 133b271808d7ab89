/**
 * Intel TDX on the TEE path: the `tdx` provider (configfs-tsm, driven here through a stand-in
 * quote source that makes quotes with the throw-away DCAP PKI of test/attestation/tdx-helpers.ts),
 * receipts whose TDX evidence binds digest ‖ SHA-256(nonce), and the policy's
 * `vendors.tdx` rules: measurement allowlist, accepted TCB statuses, debug TDs, collateral
 * that expired before the evaluation (then the attestation is that old), wrong binding,
 * another root. The test root is pinned through `evaluateReceipt`'s test-only
 * `rootFingerprints`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseCurve } from '../../src/shared/curve.js';
import { AttestationError, InvalidArgumentError } from '../../src/shared/errors.js';
import type { Receipt } from '../../src/shared/receipt.js';
import { closeTeeArtifacts, inferAttested, loadTeeArtifacts, type TeeArtifacts } from '../../src/tee/infer.js';
import { createAttestationProvider } from '../../src/tee/registry.js';
import { receiptReportData, TDX_FORMAT } from '../../src/tee/tdx/evidence.js';
import { configfsQuoteSource, TdxProvider, type TdxQuoteSource } from '../../src/tee/tdx/provider.js';
import { INTEL_SGX_ROOT_CA_SHA256 } from '../../src/tee/tdx/verify.js';
import { evaluateReceipt, loadPolicyKey, parsePolicy, type EvaluateOptions } from '../../src/verify/policy.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { createTdxTestPki, makeTdxCollateral, makeTdxQuote, TDX_TEST_AT, TEST_MRTD, TEST_RTMR0, type QuoteSpec, type TdxTestPki } from '../attestation/tdx-helpers.js';
import { clone } from './helpers.js';

const x = [0.1, 0.2, -0.3, 0.4, -0.5, 0.6];
const NONCE = '0123456789abcdef0123456789abcdef';
const DAY = 86_400_000;
const LISTED = { vendors: { tdx: { measurements: [{ mrtd: TEST_MRTD, rtmr0: TEST_RTMR0 }] } } };

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let artifacts: TeeArtifacts;
let key: EvaluateOptions['key'];
let pki: TdxTestPki;
let collateralPath: string;
const receipts = new Map<string, Receipt>();

const source =
  (spec: Partial<QuoteSpec> = {}, bind = true): TdxQuoteSource =>
  (reportData) =>
    makeTdxQuote(pki, bind ? { ...spec, reportData } : spec);

beforeAll(async () => {
  tiny = await compileTinyModel();
  artifacts = loadTeeArtifacts(tiny.dir);
  key = loadPolicyKey(tiny.dir);
  pki = await createTdxTestPki();
  collateralPath = join(mkdtempSync(join(tmpdir(), 'zkinfer-tdx-')), 'collateral.json');
  writeFileSync(collateralPath, await makeTdxCollateral(pki));
  const providers: Record<string, TdxProvider> = {
    good: new TdxProvider({ collateral: collateralPath, quoteSource: source() }),
    debug: new TdxProvider({ collateral: collateralPath, quoteSource: source({ tdAttributes: Uint8Array.from([1, 0, 0, 0x10, 0, 0, 0, 0]) }) }),
    outOfDate: new TdxProvider({ collateral: collateralPath, quoteSource: source({ teeTcbSvn: [3, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }) }),
    unbound: new TdxProvider({ collateral: collateralPath, quoteSource: source({}, false) }),
  };
  for (const [name, provider] of Object.entries(providers)) receipts.set(name, (await inferAttested(artifacts, x, { provider, nonce: NONCE })).receipt);
  const proved = await inferAttested(artifacts, x, { provider: providers.good!, nonce: NONCE, prove: true });
  receipts.set('proven', (await proved.proof!).receipt);
}, 300_000);
afterAll(async () => {
  await closeTeeArtifacts(artifacts);
  await releaseCurve();
});

const evaluate = (name: string, policy: object, extra: Partial<EvaluateOptions> = {}) =>
  evaluateReceipt(clone(receipts.get(name)!), { key, policy: parsePolicy({ stakesThreshold: 10, ...policy }), now: TDX_TEST_AT, rootFingerprints: { tdx: pki.rootFingerprint }, ...extra });

describe('the tdx provider', () => {
  it('writes a receipt whose bundle binds digest ‖ SHA-256(nonce)', () => {
    const receipt = receipts.get('good')!;
    expect(receipt.attestation).toMatchObject({ provider: 'tdx', format: TDX_FORMAT, hardware: true, digest: receipt.digest, nonce: NONCE });
    const bundle = JSON.parse(Buffer.from(receipt.attestation!.document, 'base64').toString('utf8'));
    expect(Object.keys(bundle)).toEqual(['format', 'quote', 'collateral']);
    const quote = Buffer.from(bundle.quote, 'base64');
    expect(quote.subarray(568, 632).toString('hex')).toBe(Buffer.from(receiptReportData(receipt.digest, NONCE)).toString('hex'));
  });

  it('is created by name and needs its collateral and a TD', async () => {
    expect(createAttestationProvider('tdx', { tdx: { collateral: collateralPath } })).toBeInstanceOf(TdxProvider);
    const request = { userData: new Uint8Array(32).fill(1), nonce: new Uint8Array([1]) };
    await expect(new TdxProvider({ quoteSource: source() }).attest(request)).rejects.toThrow(
      new AttestationError('tdx provider: no collateral file (set ZKINFER_TDX_COLLATERAL or the collateral option)'),
    );
    await expect(new TdxProvider({ collateral: collateralPath, quoteSource: source() }).attest({ ...request, userData: new Uint8Array(31) })).rejects.toThrow(
      new InvalidArgumentError('expected userData to be the 32-byte receipt digest, got 31 bytes'),
    );
    await expect(new TdxProvider({ collateral: collateralPath, tsmDir: '/nonexistent/tsm/report' }).attest(request)).rejects.toThrow(
      new AttestationError('not inside an Intel TDX guest (/nonexistent/tsm/report not found)'),
    );
  });

  it('talks to configfs-tsm: a report folder without a TDX provider is refused and removed', async () => {
    const tsm = mkdtempSync(join(tmpdir(), 'zkinfer-tsm-'));
    const error = await configfsQuoteSource(tsm)(new Uint8Array(64)).catch((e: Error) => e);
    expect(error).toBeInstanceOf(AttestationError);
    expect((error as Error).message).toMatch(new RegExp(`^configfs-tsm: cannot get a quote in ${tsm}/zkinfer-\\d+-\\d+ \\(ENOENT\\)$`));
  });
});

describe('the policy on TDX receipts', () => {
  it('accepts a listed, up-to-date TD by attestation', async () => {
    expect(await evaluate('good', LISTED)).toEqual({ verdict: 'accepted', by: ['attestation'], reasons: [`attestation: valid tdx attestation, verified at ${TDX_TEST_AT.toISOString()}`] });
  });

  it.each([
    ['no TDX measurement', 'good', {}, 'attestation: the policy allows no tdx measurement (vendors.tdx.measurements is empty)'],
    ['an unlisted TD', 'good', { vendors: { tdx: { measurements: [{ mrtd: 'ab'.repeat(48) }] } } }, 'attestation: TD measurements match no vendors.tdx.measurements entry'],
    ['an out-of-date TDX module', 'outOfDate', LISTED, 'attestation: TCB status OutOfDate is not accepted (vendors.tdx.acceptedTcbStatuses: UpToDate)'],
    ['a debug TD', 'debug', LISTED, 'attestation: debug TD (TDATTRIBUTES.DEBUG is set)'],
  ])('requires a proof for %s', async (_, name, policy, reason) => {
    expect(await evaluate(name, policy)).toEqual({ verdict: 'proof-required', by: [], reasons: [reason] });
  });

  it('accepts an out-of-date TDX module when the policy accepts that status', async () => {
    const policy = { vendors: { tdx: { ...LISTED.vendors.tdx, acceptedTcbStatuses: ['UpToDate', 'OutOfDate'] } } };
    expect((await evaluate('outOfDate', policy)).verdict).toBe('accepted');
  });

  it('once the collateral has expired, the attestation is as old as its collateral, and a proof still counts', async () => {
    const now = new Date(TDX_TEST_AT.getTime() + 40 * DAY); // the collateral expired at +30 days
    const stale = `attestation: ${10 * 86_400} s old, older than maxAttestationAgeSeconds 300`;
    expect(await evaluate('good', LISTED, { now })).toEqual({ verdict: 'proof-required', by: [], reasons: [stale] });
    const proven = await evaluate('proven', LISTED, { now });
    expect(proven.verdict).toBe('accepted');
    expect(proven.by).toEqual(['proof']);
    expect(proven.reasons).toContain(`not counted: ${stale}`);
  });

  it('rejects a quote that does not bind the receipt, and one under another root', async () => {
    const unbound = await evaluate('unbound', LISTED);
    expect(unbound.verdict).toBe('rejected');
    expect(unbound.reasons).toEqual([expect.stringMatching(/^attestation: TDX evidence: report data (42){64} is not the receipt digest ‖ SHA-256\(nonce\) [0-9a-f]{128}$/)]);
    expect(await evaluate('good', LISTED, { rootFingerprints: {} })).toEqual({
      verdict: 'rejected',
      by: [],
      reasons: [`attestation: certificate chain: PCK chain[2] is not the pinned root (its SHA-256 is ${pki.rootFingerprint})`],
    });
    expect(INTEL_SGX_ROOT_CA_SHA256).not.toBe(pki.rootFingerprint);
  });
});
