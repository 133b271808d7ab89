/**
 * TDX verification past the signatures, on quotes and collateral of our own making signed
 * by a throw-away DCAP PKI (tdx-helpers.ts): TCB level matching and status convergence as
 * Intel's Quote Verification Library decides them (TcbLevelCheck.cpp, TdxModuleCheck.cpp),
 * TDX module and QE identities, revocation by either CRL, FMSPC, debug TDs, and the
 * collateral's window.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AttestationError } from '../../src/shared/errors.js';
import { INTEL_SGX_ROOT_CA_SHA256, verifyTdxQuote, type TdxVerifyOptions } from '../../src/tee/tdx/verify.js';
import { createTdxTestPki, DEFAULT_LEVELS, DEFAULT_MODULE_LEVELS, DEFAULT_QE_LEVELS, makeTdxCollateral, makeTdxQuote, platformLevel, TDX_TEST_AT, TEST_MRTD, type TdxTestPki } from './tdx-helpers.js';

let pki: TdxTestPki;
let collateral: Uint8Array;
const options = (extra: Partial<TdxVerifyOptions> = {}): TdxVerifyOptions => ({ collateral, at: TDX_TEST_AT, rootFingerprint: pki.rootFingerprint, ...extra });
const ALL = { acceptedTcbStatuses: ['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded', 'ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded', 'Revoked'] } as const;
const SGX = [2, 2, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0];
const TDX = [5, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

beforeAll(async () => {
  pki = await createTdxTestPki();
  collateral = await makeTdxCollateral(pki);
});

describe('a test quote from the throw-away PKI', () => {
  it('verifies with its root pinned: UpToDate, module TDX_01, its measurements', async () => {
    const result = await verifyTdxQuote(await makeTdxQuote(pki), options());
    expect(result).toMatchObject({ tcbStatus: 'UpToDate', platformTcbStatus: 'UpToDate', tdxModule: { id: 'TDX_01', status: 'UpToDate' }, qeTcbStatus: 'UpToDate', advisoryIds: [], debug: false });
    expect(result.td.mrTd).toBe(TEST_MRTD);
    expect(result.platform).toMatchObject({ fmspc: '90c06f000000', pceSvn: 11 });
  });

  it('is refused under the real Intel root', async () => {
    const error = await verifyTdxQuote(await makeTdxQuote(pki), options({ rootFingerprint: INTEL_SGX_ROOT_CA_SHA256 })).catch((e: Error) => e);
    expect(error).toEqual(new AttestationError(`certificate chain: PCK chain[2] is not the pinned root (its SHA-256 is ${pki.rootFingerprint})`));
  });
});

describe('TCB status', () => {
  it('an older PCESVN matches the OutOfDate level: refused by default, accepted by option, with its advisories', async () => {
    const old = await createTdxTestPki({ tcbComponents: [3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0], pceSvn: 7, fmspc: '90c06f000000' });
    const c = await makeTdxCollateral(old);
    const quote = await makeTdxQuote(old);
    await expect(verifyTdxQuote(quote, { collateral: c, at: TDX_TEST_AT, rootFingerprint: old.rootFingerprint })).rejects.toThrow(
      new AttestationError('policy: TCB status OutOfDate is not accepted (accepted: UpToDate); advisories INTEL-SA-00000'),
    );
    const result = await verifyTdxQuote(quote, { collateral: c, at: TDX_TEST_AT, rootFingerprint: old.rootFingerprint, acceptedTcbStatuses: ['UpToDate', 'OutOfDate'] });
    expect(result).toMatchObject({ tcbStatus: 'OutOfDate', platformTcbStatus: 'OutOfDate', advisoryIds: ['INTEL-SA-00000'] });
  });

  it('a platform below every level is not supported', async () => {
    const low = await createTdxTestPki({ tcbComponents: [1, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0], pceSvn: 11, fmspc: '90c06f000000' });
    await expect(verifyTdxQuote(await makeTdxQuote(low), { collateral: await makeTdxCollateral(low), at: TDX_TEST_AT, rootFingerprint: low.rootFingerprint })).rejects.toThrow(
      new AttestationError("TCB: the platform's SGX TCB (components 1.3.2.2.4.1.0.5.0.0.0.0.0.0.0.0, PCESVN 11) is below every level of the TCB info"),
    );
  });

  it('TEE_TCB_SVN: bytes 0–1 are judged by the module identity when the module version is above 0, else by the level', async () => {
    // Module version 1: TEE_TCB_SVN[0] = 4 is below the level's 5 but only bytes 2… count there.
    await expect(verifyTdxQuote(await makeTdxQuote(pki, { teeTcbSvn: [4, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }), options())).resolves.toMatchObject({ tcbStatus: 'UpToDate' });
    // TEE_TCB_SVN[2] = 1 is below every level's 2.
    await expect(verifyTdxQuote(await makeTdxQuote(pki, { teeTcbSvn: [6, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }), options())).rejects.toThrow(
      new AttestationError("TCB: the TD's TEE_TCB_SVN 06010100000000000000000000000000 is below every level of the TCB info"),
    );
    // Module version 0: no module identity, and byte 0 is compared with the level (4 < 5).
    await expect(verifyTdxQuote(await makeTdxQuote(pki, { teeTcbSvn: [4, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }), options())).rejects.toThrow(
      new AttestationError("TCB: the TD's TEE_TCB_SVN 04000200000000000000000000000000 is below every level of the TCB info"),
    );
    await expect(verifyTdxQuote(await makeTdxQuote(pki, { teeTcbSvn: [5, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }), options())).resolves.not.toHaveProperty('tdxModule');
  });

  it('converges the TDX module and QE statuses as Intel QVL does', async () => {
    const cases: Array<[string, { platform?: string; module?: number; qe?: number }, string]> = [
      ['module OutOfDate lowers UpToDate', { module: 3 }, 'OutOfDate'],
      ['module OutOfDate lowers SWHardeningNeeded', { platform: 'SWHardeningNeeded', module: 3 }, 'OutOfDate'],
      ['module OutOfDate lowers ConfigurationNeeded', { platform: 'ConfigurationNeeded', module: 3 }, 'OutOfDateConfigurationNeeded'],
      ['QE OutOfDate lowers ConfigurationAndSWHardeningNeeded', { platform: 'ConfigurationAndSWHardeningNeeded', qe: 3 }, 'OutOfDateConfigurationNeeded'],
      ['QE OutOfDate leaves OutOfDate', { platform: 'OutOfDate', qe: 3 }, 'OutOfDate'],
      ['a level of its own stays', { platform: 'SWHardeningNeeded' }, 'SWHardeningNeeded'],
    ];
    for (const [name, c, expected] of cases) {
      const col = await makeTdxCollateral(pki, { tcbLevels: [platformLevel(SGX, 11, TDX, c.platform ?? 'UpToDate')] });
      const quote = await makeTdxQuote(pki, { teeTcbSvn: [c.module ?? 6, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], qeIsvSvn: c.qe ?? 4 });
      const result = await verifyTdxQuote(quote, { ...options(ALL), collateral: col });
      expect({ name, status: result.tcbStatus }).toEqual({ name, status: expected });
    }
  });

  it('a revoked module or QE level makes the status Revoked', async () => {
    const col = await makeTdxCollateral(pki, { moduleLevels: [...DEFAULT_MODULE_LEVELS, { tcb: { isvsvn: 0 }, tcbDate: '2028-01-01T00:00:00Z', tcbStatus: 'Revoked' }] });
    await expect(verifyTdxQuote(await makeTdxQuote(pki, { teeTcbSvn: [1, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }), { ...options(ALL), collateral: col })).resolves.toMatchObject({
      tcbStatus: 'Revoked',
      tdxModule: { id: 'TDX_01', status: 'Revoked' },
    });
    const qe = await makeTdxCollateral(pki, { qeLevels: [...DEFAULT_QE_LEVELS, { tcb: { isvsvn: 1 }, tcbDate: '2028-01-01T00:00:00Z', tcbStatus: 'Revoked' }] });
    await expect(verifyTdxQuote(await makeTdxQuote(pki, { qeIsvSvn: 1 }), { ...options(ALL), collateral: qe })).resolves.toMatchObject({ tcbStatus: 'Revoked', qeTcbStatus: 'Revoked' });
  });

  it('levels are matched highest first, whatever their order in the file', async () => {
    const col = await makeTdxCollateral(pki, { tcbLevels: [...DEFAULT_LEVELS].reverse() });
    await expect(verifyTdxQuote(await makeTdxQuote(pki), { ...options(), collateral: col })).resolves.toMatchObject({ tcbStatus: 'UpToDate' });
  });
});

describe('identities', () => {
  it('the TDX module must be the identity for its version, signed by its signer, with zero SEAM attributes', async () => {
    await expect(verifyTdxQuote(await makeTdxQuote(pki, { teeTcbSvn: [6, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }), options())).rejects.toThrow(
      new AttestationError("TCB: the TCB info has no TDX module identity TDX_02 for the quote's module version 2"),
    );
    await expect(verifyTdxQuote(await makeTdxQuote(pki, { mrSignerSeam: new Uint8Array(48).fill(1) }), options())).rejects.toThrow(
      new AttestationError(`TCB: MRSIGNERSEAM ${'01'.repeat(48)} is not the TDX module signer ${'00'.repeat(48)}`),
    );
    await expect(verifyTdxQuote(await makeTdxQuote(pki, { teeTcbSvn: [1, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }), options())).rejects.toThrow(
      new AttestationError("TCB: the TDX module's ISVSVN 1 is below every level of TDX_01"),
    );
  });

  it('the QE must be the QE identity', async () => {
    await expect(verifyTdxQuote(await makeTdxQuote(pki, { qeMrSigner: '66'.repeat(32) }), options())).rejects.toThrow(
      new AttestationError(`TCB: the QE's MRSIGNER ${'66'.repeat(32)} is not the QE identity's ${'55'.repeat(32)}`),
    );
    await expect(verifyTdxQuote(await makeTdxQuote(pki, { qeIsvSvn: 1 }), options())).rejects.toThrow(new AttestationError("TCB: the QE's ISVSVN 1 is below every level of the QE identity"));
  });

  it("the PCK certificate must be for the TCB info's FMSPC", async () => {
    const col = await makeTdxCollateral(pki, { fmspc: '00906ed50000' });
    await expect(verifyTdxQuote(await makeTdxQuote(pki), { ...options(), collateral: col })).rejects.toThrow(
      new AttestationError("TCB: the PCK certificate's FMSPC 90c06f000000 is not the TCB info's 00906ed50000"),
    );
  });
});

describe('revocation', () => {
  it('a PCK certificate on the PCK CRL is refused', async () => {
    const col = await makeTdxCollateral(pki, { revokedPcks: ['0fff', pki.serials.pck] });
    await expect(verifyTdxQuote(await makeTdxQuote(pki), { ...options(), collateral: col })).rejects.toThrow(
      new AttestationError(`revocation: PCK chain[0] (serial ${pki.serials.pck}) is revoked by pck_crl`),
    );
  });

  it('a CA on the root CA CRL is refused', async () => {
    const col = await makeTdxCollateral(pki, { revokedCas: [pki.serials.pckCa] });
    await expect(verifyTdxQuote(await makeTdxQuote(pki), { ...options(), collateral: col })).rejects.toThrow(
      new AttestationError(`revocation: PCK chain[1] (serial ${pki.serials.pckCa}) is revoked by root_ca_crl`),
    );
  });

  it('other serials revoke nothing', async () => {
    const col = await makeTdxCollateral(pki, { revokedPcks: ['0fff', '1000'], revokedCas: ['0ffe'] });
    await expect(verifyTdxQuote(await makeTdxQuote(pki), { ...options(), collateral: col })).resolves.toMatchObject({ tcbStatus: 'UpToDate' });
  });
});

describe('debug TDs and the collateral window', () => {
  it('a debug TD is refused unless allowed', async () => {
    const quote = await makeTdxQuote(pki, { tdAttributes: Uint8Array.from([1, 0, 0, 0x10, 0, 0, 0, 0]) });
    await expect(verifyTdxQuote(quote, options())).rejects.toThrow(new AttestationError('policy: debug TD (TDATTRIBUTES.DEBUG is set) refused'));
    await expect(verifyTdxQuote(quote, options({ allowDebug: true }))).resolves.toMatchObject({ debug: true });
  });

  it("the window is the collateral's; outside it the bounding item is named", async () => {
    const quote = await makeTdxQuote(pki);
    const result = await verifyTdxQuote(quote, options());
    expect(result.validity).toEqual({ notBefore: '2029-12-31T12:00:00.000Z', notAfter: '2030-01-31T12:00:00.000Z' });
    await expect(verifyTdxQuote(quote, options({ at: new Date('2030-02-01T00:00:00Z') }))).rejects.toThrow(new AttestationError('validity: root_ca_crl expired at 2030-01-31T12:00:00.000Z'));
    await expect(verifyTdxQuote(quote, options({ at: new Date('2029-12-31T00:00:00Z') }))).rejects.toThrow(new AttestationError('validity: root_ca_crl is not valid before 2029-12-31T12:00:00.000Z'));
  });
});
