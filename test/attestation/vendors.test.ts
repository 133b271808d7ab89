/**
 * The vendor registry and the vendor-neutral evidence: recorded Nitro documents and dev
 * documents through `verifyAttestation` (format detected), what each proves in the shared
 * terms, and the policy's per-vendor sections (`vendors.<name>`) with their reasons.
 */
import { describe, expect, it } from 'vitest';
import { hexToBytes } from '@noble/hashes/utils.js';
import { AttestationError, InvalidArgumentError, VerifyError } from '../../src/shared/errors.js';
import { createDevProvider } from '../../src/tee/dev/dev.js';
import { verifyNitroAttestation } from '../../src/tee/nitro/verify.js';
import { ATTESTATION_FORMATS, createAttestationProvider, detectVendor, distrustEvidence, PROVIDER_NAMES, VENDOR_NAMES, verifyAttestation } from '../../src/tee/registry.js';
import type { AttestationEvidence } from '../../src/tee/vendor.js';
import { parsePolicy } from '../../src/verify/policy.js';
import { DEBUG, EU_WEST_1, OPENGRADIENT } from './helpers.js';

const nitroEvidence = async (): Promise<AttestationEvidence> => (await verifyAttestation(EU_WEST_1.bytes, { at: EU_WEST_1.at })).evidence;

describe('the vendor registry', () => {
  it('lists the vendors, their formats and providers', () => {
    expect(VENDOR_NAMES).toEqual(expect.arrayContaining(['dev', 'nitro']));
    expect(ATTESTATION_FORMATS).toMatchObject({ dev: 'zkinfer.dev-attestation/1', nitro: 'aws-nitro-enclaves/cose-sign1' });
    expect(PROVIDER_NAMES).toEqual(expect.arrayContaining(['dev', 'nitro']));
  });

  it('detects the vendor from the first bytes; unknown bytes go to the Nitro decoder', async () => {
    expect(detectVendor(EU_WEST_1.bytes).name).toBe('nitro');
    const dev = await createDevProvider({ ephemeral: true }).attest({ userData: new Uint8Array(32).fill(1), nonce: new Uint8Array([2]) });
    expect(detectVendor(dev).name).toBe('dev');
    expect(detectVendor(new Uint8Array([0xff, 0xfe])).name).toBe('nitro');
    await expect(verifyAttestation(new Uint8Array([0xff, 0xfe]))).rejects.toThrow(new AttestationError('COSE_Sign1: malformed CBOR'));
  });

  it('refuses an unknown vendor by name', async () => {
    await expect(verifyAttestation(EU_WEST_1.bytes, { vendor: 'sev' })).rejects.toThrow(
      new InvalidArgumentError(`expected an attestation vendor (${VENDOR_NAMES.slice(0, -1).join(', ')} or ${VENDOR_NAMES.at(-1)}), got "sev"`),
    );
    expect(() => createAttestationProvider('sev')).toThrow(InvalidArgumentError);
  });
});

describe('Nitro evidence in vendor-neutral terms', () => {
  it('names the PCRs pcr0…, the user data as report data, and the chain window as validity', async () => {
    const { vendor, evidence, report } = await verifyAttestation(OPENGRADIENT.bytes, { at: OPENGRADIENT.at });
    const direct = await verifyNitroAttestation(OPENGRADIENT.bytes, { at: OPENGRADIENT.at });
    expect(vendor.name).toBe('nitro');
    expect(report).toEqual(direct);
    expect(evidence).toEqual({
      vendor: 'nitro',
      hardware: true,
      measurements: Object.fromEntries(Object.entries(direct.pcrs).map(([i, v]) => [`pcr${i}`, v])),
      reportData: direct.userData,
      nonce: '0123456789abcdef0123456789abcdef01234567',
      publicKey: Buffer.from('dummy').toString('hex'),
      encryptionKey: Buffer.from('dummy').toString('hex'),
      debug: false,
      timestamp: 1770918962724,
      // The leaf is the shortest-lived certificate of the chain.
      validity: { notBefore: OPENGRADIENT.leafNotBefore, notAfter: OPENGRADIENT.leafNotAfter },
      verifiedAt: OPENGRADIENT.at.toISOString(),
    });
    expect(Object.keys(evidence.measurements)).toHaveLength(16);
  });

  it('reports a debug enclave (when allowed) and refuses options Nitro has no use for', async () => {
    await expect(verifyAttestation(DEBUG.bytes, { at: DEBUG.at })).rejects.toThrow(new AttestationError('attestation policy: debug enclave (PCR0, PCR1 and PCR2 are all zero) refused'));
    expect((await verifyAttestation(DEBUG.bytes, { at: DEBUG.at, allowDebug: true })).evidence.debug).toBe(true);
    await expect(verifyAttestation(EU_WEST_1.bytes, { at: EU_WEST_1.at, collateral: new Uint8Array(1) })).rejects.toThrow(
      new InvalidArgumentError('invalid option collateral: AWS Nitro Enclaves documents have no collateral'),
    );
    await expect(verifyAttestation(EU_WEST_1.bytes, { at: EU_WEST_1.at, acceptedTcbStatuses: ['OutOfDate'] })).rejects.toThrow(
      new InvalidArgumentError('invalid option acceptedTcbStatuses: AWS Nitro Enclaves documents have no TCB status'),
    );
  });
});

describe('dev evidence', () => {
  it('is never hardware, has no measurements and binds user data and nonce', async () => {
    const provider = createDevProvider({ ephemeral: true, now: () => 1_700_000_000_000 });
    const userData = new Uint8Array(32).fill(7);
    const doc = await provider.attest({ userData, nonce: hexToBytes('abcd') });
    const { evidence, summary } = await verifyAttestation(doc, { expectedUserData: userData, expectedNonce: 'abcd', at: new Date(0) });
    expect(evidence).toEqual({
      vendor: 'dev',
      hardware: false,
      measurements: {},
      reportData: '07'.repeat(32),
      nonce: 'abcd',
      publicKey: provider.publicKey,
      debug: false,
      timestamp: 1_700_000_000_000,
      verifiedAt: new Date(0).toISOString(),
    });
    expect(summary[0]).toBe('  hardware    no (a local Ed25519 key; the default policy refuses it)');
    await expect(verifyAttestation(doc, { expectedNonce: 'abce' })).rejects.toThrow(new AttestationError('dev attestation: nonce abcd does not match the expected abce'));
    await expect(verifyAttestation(doc, { rootFingerprint: '00'.repeat(32) })).rejects.toThrow(
      new InvalidArgumentError('invalid option rootFingerprint: dev attestation documents have no root certificate'),
    );
  });
});

describe('policy sections by vendor', () => {
  const pcrs = async () => (await nitroEvidence()).measurements;

  it('keeps allowedPcrs as the Nitro allowlist, with its original reasons', async () => {
    const evidence = await nitroEvidence();
    const { pcr0, pcr1 } = await pcrs();
    expect(distrustEvidence(evidence, parsePolicy({}))).toEqual(['attestation: the policy allows no enclave measurement (allowedPcrs is empty)']);
    expect(distrustEvidence(evidence, parsePolicy({ allowedPcrs: [{ pcr0, pcr1 }] }))).toEqual([]);
    expect(distrustEvidence(evidence, parsePolicy({ allowedPcrs: [{ pcr0, pcr1: '00'.repeat(48) }] }))).toEqual(['attestation: PCRs match no allowedPcrs entry']);
  });

  it('accepts vendors.nitro.measurements beside allowedPcrs, and names it in reasons', async () => {
    const evidence = await nitroEvidence();
    const { pcr0, pcr2 } = await pcrs();
    const other = { pcr0: 'ab'.repeat(48) };
    expect(distrustEvidence(evidence, parsePolicy({ vendors: { nitro: { measurements: [other, { pcr0: pcr0!.toUpperCase(), pcr2 }] } } }))).toEqual([]);
    expect(distrustEvidence(evidence, parsePolicy({ allowedPcrs: [{ pcr0 }], vendors: { nitro: { measurements: [other] } } }))).toEqual([]);
    expect(distrustEvidence(evidence, parsePolicy({ vendors: { nitro: { measurements: [other] } } }))).toEqual(['attestation: PCRs match no vendors.nitro.measurements entry']);
    expect(distrustEvidence(evidence, parsePolicy({ vendors: { nitro: { measurements: [] } } }))).toEqual([
      'attestation: the policy allows no nitro measurement (vendors.nitro.measurements is empty)',
    ]);
    expect(distrustEvidence({ ...evidence, debug: true }, parsePolicy({ vendors: { nitro: { measurements: [other] } } }))).toEqual(['attestation: debug enclave (PCR0, PCR1 and PCR2 are all zero)']);
  });

  it.each([
    [{ vendors: { nitro: { measurements: [{ mrtd: 'ab'.repeat(48) }] } } }, 'invalid policy at "vendors.nitro.measurements.0.mrtd": expected keys pcr0 to pcr31'],
    [{ vendors: { nitro: { measurements: [{ pcr0: 'ab' }] } } }, 'invalid policy at "vendors.nitro.measurements.0.pcr0": expected 32, 48 or 64 bytes of hex'],
    [{ vendors: { nitro: { measurements: [{}] } } }, 'invalid policy at "vendors.nitro.measurements.0": an entry must list at least one measurement'],
    [{ vendors: { nitro: { acceptedTcbStatuses: ['UpToDate'] } } }, 'invalid policy at "vendors.nitro": Unrecognized key: "acceptedTcbStatuses"'],
    [{ vendors: { dev: {} } }, 'invalid policy at "vendors": Unrecognized key: "dev"'],
    [{ vendors: { sev: {} } }, 'invalid policy at "vendors": Unrecognized key: "sev"'],
  ])('refuses a malformed vendor section: %j', (policy, message) => {
    expect(() => parsePolicy(policy, 'p.json')).toThrow(new VerifyError(`p.json: ${message}`, { exitCode: 2 }));
  });
});
