import { describe, expect, it } from 'vitest';
import { encode, Tagged } from 'cborg';
import { AttestationError, InvalidArgumentError } from '../../src/shared/errors.js';
import { decodeNitroAttestation } from '../../src/tee/nitro/document.js';
import { verifyNitroAttestation } from '../../src/tee/nitro/verify.js';
import { AWS_ROOT, coseItems, DEBUG, EU_WEST_1, OPENGRADIENT, REAL_DOCUMENTS, rejection } from './helpers.js';

const VALID = [OPENGRADIENT, EU_WEST_1];

describe('recorded AWS Nitro documents', () => {
  it.each(VALID)('$file verifies at its recorded time', async (doc) => {
    const result = await verifyNitroAttestation(doc.bytes, { at: doc.at });
    expect(result.debug).toBe(false);
    expect(result.digest).toBe('SHA384');
    expect(Object.keys(result.pcrs)).toHaveLength(16);
    expect(result.certificateChain).toHaveLength(5);
    expect(result.certificateChain[0].sha256).toBe(AWS_ROOT);
    expect(result.certificateChain[0].subject).toBe('C=US, O=Amazon, OU=AWS, CN=aws.nitro-enclaves');
    expect(result.certificateChain[4]).toMatchObject({ label: 'certificate', notBefore: doc.leafNotBefore, notAfter: doc.leafNotAfter });
    expect(result.certificateChain[4].subject).toContain(result.moduleId);
    expect(result.verifiedAt).toBe(doc.at.toISOString());
  });

  it('reads the OpenGradient fields as its README describes them', async () => {
    const result = await verifyNitroAttestation(OPENGRADIENT.bytes, { at: OPENGRADIENT.at });
    expect(result.moduleId).toBe('i-0340e0cb833504eb6-enc019c12d31f78864d');
    expect(result.timestamp).toBe(1770918962724);
    expect(result.nonce).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(result.userData).toHaveLength(136);
    expect(result.userData!.slice(0, 4)).toBe('1220');
    expect(result.userData!.slice(68, 72)).toBe('1220');
    expect(result.publicKey).toBe(Buffer.from('dummy').toString('hex'));
    expect(result.pcrs[0]).toBe('9baef83909784e4d2cb84466c02931bb8125e948b62029029e80bfa1698bfd7069408e4ab20d1c99c859e8f774cce0ff');
  });

  it('reads the eu-west-1 fields (public_key is null, so absent)', async () => {
    const result = await verifyNitroAttestation(EU_WEST_1.bytes, { at: EU_WEST_1.at });
    expect(result.nonce).toBe('c678c86135de539d183acff58886d98dfb9823041af9f934bf909ac0f8d96245');
    expect(result.userData).toBe('7c37108079b3e8a36d8a7970de1d6d4ff1461e0e35d9557c4d789df5e0576620');
    expect(result).not.toHaveProperty('publicKey');
  });

  it.each(REAL_DOCUMENTS)('$file is rejected at the present time as expired', async (doc) => {
    const error = await rejection(verifyNitroAttestation(doc.bytes, { allowDebug: true }));
    expect(error).toBeInstanceOf(AttestationError);
    expect(error.message).toBe(`certificate chain: certificate expired at ${doc.leafNotAfter}`);
  });

  it.each(REAL_DOCUMENTS)('$file is valid exactly within its leaf window', async (doc) => {
    const notBefore = new Date(doc.leafNotBefore);
    const notAfter = new Date(doc.leafNotAfter);
    await expect(verifyNitroAttestation(doc.bytes, { at: notBefore, allowDebug: true })).resolves.toBeTruthy();
    await expect(verifyNitroAttestation(doc.bytes, { at: notAfter, allowDebug: true })).resolves.toBeTruthy();
    await expect(verifyNitroAttestation(doc.bytes, { at: new Date(notBefore.getTime() - 1), allowDebug: true })).rejects.toThrow(
      new AttestationError(`certificate chain: certificate is not valid before ${doc.leafNotBefore}`),
    );
    await expect(verifyNitroAttestation(doc.bytes, { at: new Date(notAfter.getTime() + 1000), allowDebug: true })).rejects.toThrow(
      new AttestationError(`certificate chain: certificate expired at ${doc.leafNotAfter}`),
    );
  });

  it.each(REAL_DOCUMENTS)('$file is rejected when another root is pinned', async (doc) => {
    const error = await rejection(verifyNitroAttestation(doc.bytes, { at: doc.at, allowDebug: true, rootFingerprint: 'ab'.repeat(32) }));
    expect(error).toBeInstanceOf(AttestationError);
    expect(error.message).toBe(`certificate chain: cabundle[0] is not the pinned root (its SHA-256 is ${AWS_ROOT})`);
  });

  it('accepts the pinned root fingerprint in upper case', async () => {
    await expect(verifyNitroAttestation(EU_WEST_1.bytes, { at: EU_WEST_1.at, rootFingerprint: AWS_ROOT.toUpperCase() })).resolves.toBeTruthy();
  });

  it('refuses the debug enclave by default and accepts it with allowDebug', async () => {
    await expect(verifyNitroAttestation(DEBUG.bytes, { at: DEBUG.at })).rejects.toThrow(new AttestationError('attestation policy: debug enclave (PCR0, PCR1 and PCR2 are all zero) refused'));
    const result = await verifyNitroAttestation(DEBUG.bytes, { at: DEBUG.at, allowDebug: true });
    expect(result.debug).toBe(true);
    expect(result.pcrs[0]).toBe('00'.repeat(48));
    expect(result.nonce).toHaveLength(2048);
    expect(result.userData).toHaveLength(2048);
    expect(result.publicKey).toHaveLength(2048);
  });

  it('accepts a COSE_Sign1 carrying tag 18', async () => {
    const tagged = encode(new Tagged(18, coseItems(EU_WEST_1.bytes)));
    expect(tagged[0]).toBe(0xd2);
    expect(decodeNitroAttestation(tagged).cose.tagged).toBe(true);
    await expect(verifyNitroAttestation(tagged, { at: EU_WEST_1.at })).resolves.toMatchObject({ moduleId: 'i-04fd167167daacf3b-enc01845e97d0b3eb4e' });
  });

  it('decodes without verifying: the indefinite-length OpenGradient payload included', () => {
    const items = coseItems(OPENGRADIENT.bytes);
    expect((items[2] as Uint8Array)[0]).toBe(0xbf); // indefinite-length map
    for (const doc of REAL_DOCUMENTS) {
      const { cose, document } = decodeNitroAttestation(doc.bytes);
      expect(cose.tagged).toBe(false);
      expect(cose.signature).toHaveLength(96);
      expect(document.digest).toBe('SHA384');
      expect(document.cabundle).toHaveLength(4);
      expect(document.pcrs.size).toBe(16);
    }
    expect(decodeNitroAttestation(DEBUG.bytes).document.nonce).toHaveLength(1024);
  });
});

describe('nonce, user data and PCR policy on recorded documents', () => {
  const at = EU_WEST_1.at;
  const nonce = 'c678c86135de539d183acff58886d98dfb9823041af9f934bf909ac0f8d96245';
  const userData = '7c37108079b3e8a36d8a7970de1d6d4ff1461e0e35d9557c4d789df5e0576620';

  it('accepts the expected nonce and user data, as hex or bytes', async () => {
    await expect(verifyNitroAttestation(EU_WEST_1.bytes, { at, expectedNonce: nonce, expectedUserData: userData.toUpperCase() })).resolves.toBeTruthy();
    await expect(verifyNitroAttestation(EU_WEST_1.bytes, { at, expectedNonce: Buffer.from(nonce, 'hex'), expectedUserData: new Uint8Array(Buffer.from(userData, 'hex')) })).resolves.toBeTruthy();
  });

  it('rejects another nonce', async () => {
    await expect(verifyNitroAttestation(EU_WEST_1.bytes, { at, expectedNonce: '00'.repeat(32) })).rejects.toThrow(
      new AttestationError(`attestation policy: nonce ${nonce} does not match the expected ${'00'.repeat(32)}`),
    );
  });

  it('rejects other user data (the receipt digest it should bind)', async () => {
    const digest = 'ff'.repeat(32);
    await expect(verifyNitroAttestation(EU_WEST_1.bytes, { at, expectedUserData: digest })).rejects.toThrow(
      new AttestationError(`attestation policy: user_data ${userData} does not match the expected ${digest}`),
    );
  });

  it('shortens long values in binding messages', async () => {
    await expect(verifyNitroAttestation(DEBUG.bytes, { at: DEBUG.at, allowDebug: true, expectedNonce: 'ab' })).rejects.toThrow(
      new AttestationError(`attestation policy: nonce ${'01'.repeat(32)}… (1024 bytes) does not match the expected ab`),
    );
  });

  it('matches a PCR allowlist given as an array or a named map', async () => {
    const { pcrs } = await verifyNitroAttestation(OPENGRADIENT.bytes, { at: OPENGRADIENT.at });
    const other = 'aa'.repeat(48);
    const asArray = await verifyNitroAttestation(OPENGRADIENT.bytes, { at: OPENGRADIENT.at, pcrAllowlist: [{ pcr0: other }, { pcr0: pcrs[0].toUpperCase(), pcr1: pcrs[1] }] });
    expect(asArray.pcrAllowlistEntry).toBe('1');
    const asMap = await verifyNitroAttestation(OPENGRADIENT.bytes, {
      at: OPENGRADIENT.at,
      pcrAllowlist: { staging: { pcr0: other }, prod: { pcr0: pcrs[0], pcr1: pcrs[1], pcr2: pcrs[2], pcr8: pcrs[8] } },
    });
    expect(asMap.pcrAllowlistEntry).toBe('prod');
  });

  it('rejects PCRs that match no allowlist entry', async () => {
    const { pcrs } = await verifyNitroAttestation(OPENGRADIENT.bytes, { at: OPENGRADIENT.at });
    await expect(verifyNitroAttestation(OPENGRADIENT.bytes, { at: OPENGRADIENT.at, pcrAllowlist: [{ pcr0: pcrs[0], pcr1: 'bb'.repeat(48) }] })).rejects.toThrow(
      new AttestationError('attestation policy: PCRs match no allowlist entry'),
    );
  });

  it('refuses the debug enclave before looking at the allowlist', async () => {
    await expect(verifyNitroAttestation(DEBUG.bytes, { at: DEBUG.at, pcrAllowlist: [{ pcr0: '00'.repeat(48) }] })).rejects.toThrow(
      new AttestationError('attestation policy: debug enclave (PCR0, PCR1 and PCR2 are all zero) refused'),
    );
  });
});

describe('verifier options', () => {
  it.each([
    [{ rootFingerprint: 'abc' }, 'invalid option rootFingerprint: expected 64 hex digits (a SHA-256)'],
    [{ at: new Date('nonsense') }, 'invalid option at: expected a valid Date'],
    [{ expectedNonce: 'xyz' }, 'invalid option expectedNonce: expected an even number of hex digits'],
    [{ expectedUserData: 42 }, 'invalid option expectedUserData: expected a Uint8Array or a hex string'],
    [{ pcrAllowlist: [{ pcr0: '12' }] }, 'invalid option pcrAllowlist.0.pcr0: expected 32, 48 or 64 bytes of hex'],
    [{ pcrAllowlist: [{ pcr40: 'aa'.repeat(48) }] }, 'invalid option pcrAllowlist.0.pcr40: expected keys pcr0 to pcr31'],
    [{ pcrAllowlist: [{}] }, 'invalid option pcrAllowlist.0: an entry must list at least one PCR'],
    [{ pcrAllowlist: 'pcr0' }, 'invalid option pcrAllowlist: expected an array or a map of PCR entries'],
    [{ pcrAllowlist: [] }, 'invalid option pcrAllowlist: expected at least one entry'],
    [{ pcrAllowlist: {} }, 'invalid option pcrAllowlist: expected at least one entry'],
    [{ allowDebug: 'yes' }, 'invalid option allowDebug: expected a boolean'],
    [{ notAnOption: 1 }, 'invalid options: Unrecognized key: "notAnOption"'],
  ])('rejects %j', async (options, message) => {
    const error = await rejection(verifyNitroAttestation(EU_WEST_1.bytes, options as never));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toBe(message);
  });
});
