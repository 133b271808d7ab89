/**
 * Certificate path checks exercised with a throw-away PKI (helpers.ts): documents signed by
 * a generated leaf under a generated root, pinned by its fingerprint, each test changing
 * one property of one certificate.
 */
import './reflect-shim.js';
import { describe, expect, it } from 'vitest';
import { Extension, KeyUsageFlags } from '@peculiar/x509';
import { AttestationError } from '../../src/shared/errors.js';
import { verifyNitroAttestation, type NitroVerifyOptions } from '../../src/tee/nitro/verify.js';
import { createTestChain, rejection, signDocument, TEST_AT, testDocument, testPayload, type TestChain } from './helpers.js';

const HOUR = 3_600_000;

async function verdict(chain: TestChain, options: NitroVerifyOptions = {}, doc?: Uint8Array): Promise<string> {
  try {
    await verifyNitroAttestation(doc ?? (await testDocument(chain)), { at: TEST_AT, rootFingerprint: chain.rootFingerprint, ...options });
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(AttestationError);
    return (error as Error).message;
  }
}

describe('test PKI: accepted chains', () => {
  it('accepts a P-384 root, two intermediates and a leaf', async () => {
    const chain = await createTestChain();
    const result = await verifyNitroAttestation(await testDocument(chain), { at: TEST_AT, rootFingerprint: chain.rootFingerprint });
    expect(result.certificateChain.map((c) => [c.label, c.subject])).toEqual([
      ['cabundle[0]', 'CN=zkinfer test root'],
      ['cabundle[1]', 'CN=zkinfer test intermediate 1'],
      ['cabundle[2]', 'CN=zkinfer test intermediate 2'],
      ['certificate', 'CN=zkinfer test leaf'],
    ]);
    expect(result.debug).toBe(false);
    expect(result.nonce).toBe('22'.repeat(20));
  });

  it('accepts a root and a leaf only (cabundle of one)', async () => {
    expect(await verdict(await createTestChain({ intermediates: [] }))).toBe('accepted');
  });

  it('accepts a P-256 intermediate signed with SHA-256 and signing with SHA-256', async () => {
    const chain = await createTestChain({ intermediates: [{}, { curve: 'P-256', hash: 'SHA-256' }], leaf: { hash: 'SHA-256' } });
    expect(await verdict(chain)).toBe('accepted');
  });

  it('accepts path length constraints that hold and a non-critical unknown extension', async () => {
    const chain = await createTestChain({
      root: { pathLength: 2 },
      intermediates: [{ pathLength: 1 }, { pathLength: 0 }],
      leaf: { extensions: [new Extension('1.3.6.1.4.1.99999.1', false, new Uint8Array([0x05, 0x00]))] },
    });
    expect(await verdict(chain)).toBe('accepted');
  });

  it('is refused under the AWS root pin', async () => {
    const chain = await createTestChain();
    const error = await rejection(verifyNitroAttestation(await testDocument(chain), { at: TEST_AT }));
    expect(error.message).toBe(`certificate chain: cabundle[0] is not the pinned root (its SHA-256 is ${chain.rootFingerprint})`);
  });
});

describe('test PKI: rejected chains', () => {
  it.each<[string, Parameters<typeof createTestChain>[0], string]>([
    ['an intermediate without basic constraints', { intermediates: [{ ca: undefined }, {}] }, 'cabundle[1] is not a CA certificate (basic constraints)'],
    ['an intermediate with cA false', { intermediates: [{}, { ca: false }] }, 'cabundle[2] is not a CA certificate (basic constraints)'],
    ['a root with cA false', { root: { ca: false } }, 'cabundle[0] is not a CA certificate (basic constraints)'],
    ['an intermediate without key usage', { intermediates: [{ keyUsage: undefined }, {}] }, 'cabundle[1] has no key usage extension'],
    ['an intermediate without keyCertSign', { intermediates: [{}, { keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.cRLSign }] }, 'cabundle[2] key usage does not include keyCertSign'],
    ['a root path length of 0 with two intermediates', { root: { pathLength: 0 } }, 'cabundle[0] path length constraint 0 exceeded by 2 intermediate certificates'],
    ['an intermediate path length of 0 above another', { intermediates: [{ pathLength: 0 }, {}] }, 'cabundle[1] path length constraint 0 exceeded by 1 intermediate certificates'],
    ['a leaf that is a CA', { leaf: { ca: true } }, 'certificate is a CA certificate, expected an end-entity certificate'],
    ['a leaf without key usage', { leaf: { keyUsage: undefined } }, 'certificate has no key usage extension'],
    ['a leaf without digitalSignature', { leaf: { keyUsage: KeyUsageFlags.keyCertSign } }, 'certificate key usage does not include digitalSignature'],
    [
      'a leaf with an unknown critical extension',
      { leaf: { extensions: [new Extension('1.2.3.4', true, new Uint8Array([0x05, 0x00]))] } },
      'certificate has an unsupported critical extension 1.2.3.4',
    ],
    ['a leaf on P-256', { leaf: { curve: 'P-256' } }, 'certificate key is P-256, expected P-384 for ES384'],
    ['a leaf with an RSA key', { leaf: { rsa: true } }, 'certificate has an unsupported public key (expected EC P-256 or P-384, uncompressed)'],
    ['an intermediate signed with SHA-512', { intermediates: [{ hash: 'SHA-512' }, {}] }, 'cabundle[1] uses an unsupported signature algorithm (expected ECDSA with SHA-256 or SHA-384)'],
  ])('rejects %s', async (_name, overrides, message) => {
    const chain = await createTestChain(overrides);
    // A non-P-384 leaf key cannot make an ES384 signature: sign with another key, the chain fails first.
    const p384Leaf = overrides?.leaf?.curve !== 'P-256' && !overrides?.leaf?.rsa;
    const signer = p384Leaf ? chain.leafKeys.privateKey : ((await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign'])) as CryptoKeyPair).privateKey;
    expect(await verdict(chain, {}, await signDocument(testPayload(chain), signer))).toBe(`certificate chain: ${message}`);
  });

  it("rejects an intermediate signed by a key other than its issuer's", async () => {
    const intruder = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const chain = await createTestChain({ intermediates: [{}, { signWith: intruder.privateKey }] });
    expect(await verdict(chain)).toBe('certificate chain: cabundle[2] signature does not verify with the key of cabundle[1]');
  });

  it("rejects a leaf signed by a key other than its issuer's", async () => {
    const intruder = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const chain = await createTestChain({ leaf: { signWith: intruder.privateKey } });
    expect(await verdict(chain)).toBe('certificate chain: certificate signature does not verify with the key of cabundle[2]');
  });

  it('rejects a pinned root whose self-signature is wrong', async () => {
    const intruder = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const chain = await createTestChain({ root: { signWith: intruder.privateKey } });
    expect(await verdict(chain)).toBe('certificate chain: cabundle[0] self-signature does not verify');
  });

  it("rejects a document signed by a key other than the leaf's", async () => {
    const chain = await createTestChain();
    const other = await createTestChain({ intermediates: [] });
    const doc = await signDocument(testPayload(chain), other.leafKeys.privateKey);
    expect(await verdict(chain, {}, doc)).toBe('COSE_Sign1: signature does not verify with the key of certificate');
  });
});

describe('test PKI: validity in time', () => {
  const chainAt = (leaf: Partial<{ notBefore: Date; notAfter: Date }>, intermediate: Partial<{ notBefore: Date; notAfter: Date }> = {}) => createTestChain({ intermediates: [intermediate, {}], leaf });

  it('rejects an expired leaf, naming its end of validity', async () => {
    const notAfter = new Date(TEST_AT.getTime() - HOUR);
    const chain = await chainAt({ notBefore: new Date(TEST_AT.getTime() - 4 * HOUR), notAfter });
    expect(await verdict(chain)).toBe(`certificate chain: certificate expired at ${notAfter.toISOString()}`);
  });

  it('rejects a leaf that is not valid yet', async () => {
    const notBefore = new Date(TEST_AT.getTime() + HOUR);
    const chain = await chainAt({ notBefore, notAfter: new Date(TEST_AT.getTime() + 4 * HOUR) });
    expect(await verdict(chain)).toBe(`certificate chain: certificate is not valid before ${notBefore.toISOString()}`);
  });

  it('rejects an expired intermediate even when the leaf is valid', async () => {
    const notAfter = new Date(TEST_AT.getTime() - 1000);
    const chain = await chainAt({}, { notBefore: new Date(TEST_AT.getTime() - 48 * HOUR), notAfter });
    expect(await verdict(chain)).toBe(`certificate chain: cabundle[1] expired at ${notAfter.toISOString()}`);
  });

  it('reports validity only after the signatures: a forged, expired leaf is a signature failure', async () => {
    const intruder = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const chain = await createTestChain({ leaf: { signWith: intruder.privateKey, notBefore: new Date(0), notAfter: new Date(1000) } });
    expect(await verdict(chain)).toBe('certificate chain: certificate signature does not verify with the key of cabundle[2]');
  });

  it('uses a GeneralizedTime after 2049 correctly', async () => {
    const chain = await createTestChain({ root: { notAfter: new Date('2060-01-01T00:00:00Z') } });
    const result = await verifyNitroAttestation(await testDocument(chain), { at: TEST_AT, rootFingerprint: chain.rootFingerprint });
    expect(result.certificateChain[0].notAfter).toBe('2060-01-01T00:00:00.000Z');
  });
});

describe('test PKI: policy on authentic documents', () => {
  it('binds nonce and user data, and reports their absence', async () => {
    const chain = await createTestChain({ intermediates: [] });
    const bare = await testDocument(chain, { nonce: undefined, user_data: undefined });
    expect(await verdict(chain, { expectedNonce: '22'.repeat(20) }, bare)).toBe(`attestation policy: document has no nonce, expected ${'22'.repeat(20)}`);
    expect(await verdict(chain, { expectedUserData: 'ab'.repeat(32) }, bare)).toBe(`attestation policy: document has no user_data, expected ${'ab'.repeat(32)}`);
    expect(await verdict(chain, { expectedNonce: '22'.repeat(20), expectedUserData: '11'.repeat(32) })).toBe('accepted');
    const empty = await testDocument(chain, { nonce: new Uint8Array(0) });
    expect(await verdict(chain, { expectedNonce: '00' }, empty)).toBe('attestation policy: nonce (empty) does not match the expected 00');
  });

  it('treats a document as debug only when PCR0, PCR1 and PCR2 are all zero', async () => {
    const chain = await createTestChain({ intermediates: [] });
    const zero = new Uint8Array(48);
    const pcrs = (nonZero: number) => new Map([0, 1, 2].map((i) => [i, i === nonZero ? new Uint8Array(48).fill(1) : zero]));
    expect(await verdict(chain, {}, await testDocument(chain, { pcrs: pcrs(-1) }))).toBe('attestation policy: debug enclave (PCR0, PCR1 and PCR2 are all zero) refused');
    for (const index of [0, 1, 2]) expect(await verdict(chain, {}, await testDocument(chain, { pcrs: pcrs(index) }))).toBe('accepted');
  });
});
