/**
 * The encrypted TEE path end to end with the dev provider, client and enclave in one
 * process (the CLI test runs them as two): the enclave key's attestation binds the HPKE
 * key; a round trip yields the same output as the plain path, a receipt whose commitments
 * open to the client's input (recomputed here with commitTensor, independently of the
 * enclave) and to the decrypted output, and no raw value in anything the operator sees;
 * tampered messages, another key, replays and stale requests are refused; the policy
 * accepts a sealed receipt by attestation only where it allows, never by proof. With
 * Nitro-format documents from a throw-away CA (test/attestation/helpers.ts), the key is trusted
 * only with the enclave's PCRs allowed, and a receipt attested by another enclave is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitTensor } from '../../src/shared/commitment.js';
import { FIELD_MODULUS } from '../../src/shared/field.js';
import { AttestationError, InvalidArgumentError } from '../../src/shared/errors.js';
import { sealedReceiptDigest, type SealedReceipt } from '../../src/shared/receipt.js';
import { quantizeInput } from '../../src/reference/execute.js';
import { closeTeeArtifacts, inferAttested, loadTeeArtifacts, type TeeArtifacts } from '../../src/tee/infer.js';
import { createDevProvider, type DevProvider } from '../../src/tee/dev/dev.js';
import { decryptResponse, encryptRequest, verifyEnclaveKey } from '../../src/tee/encrypted/client.js';
import { createEncryptedSession, handleEncryptedRequest, ReplayCache, type EncryptedSession } from '../../src/tee/encrypted/enclave.js';
import { decodeRequestPlaintext, EncryptedRequestError, encodeRequestPlaintext, requestAad, requestInfo, type EncryptedRequest, type EncryptedResponse } from '../../src/tee/encrypted/protocol.js';
import { deserializePrivateKey, generateKeyPair, keySchedule, setupBaseRecipient, setupBaseSender } from '../../src/tee/encrypted/hpke.js';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { DEFAULT_POLICY, evaluateEnclaveKey, evaluateReceipt, loadPolicyKey, parsePolicy } from '../../src/verify/policy.js';
import { parseReceipt, SEALED_NO_PROOF } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { clone, createTestChain, TEST_AT, TEST_PCRS, testNitroProvider } from './helpers.js';

const x = [0.5, -0.25, 0.75, 0.1, -0.6, 0.3];
let artifacts: TeeArtifacts;
let dev: DevProvider;
let session: EncryptedSession;
let clock = Date.parse('2026-12-02T12:00:00.000Z');
const now = () => clock;

beforeAll(async () => {
  const tiny = await compileTinyModel({ skipSetup: true });
  artifacts = loadTeeArtifacts(tiny.dir);
  dev = createDevProvider({ ephemeral: true, now });
  session = await createEncryptedSession(artifacts, { provider: dev, now, replayCacheSize: 16 });
}, 300_000);
afterAll(async () => {
  await closeTeeArtifacts(artifacts);
});

const devPolicy = () => parsePolicy({ acceptDevAttestations: true, devPublicKeys: [dev.publicKey] });
const at = () => new Date(clock);

async function request(options: { requestId?: string; input?: number[]; to?: EncryptedSession } = {}) {
  const enclave = await verifyEnclaveKey((options.to ?? session).enclaveKey, { modelId: artifacts.manifest.modelId, now: at() });
  return encryptRequest(enclave, artifacts.manifest, options.input ?? x, { now: at(), ...(options.requestId ? { requestId: options.requestId } : {}) });
}

/** Flips one bit of a base64 field's bytes. */
function flip(b64: string, index = 0): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[((index % bytes.length) + bytes.length) % bytes.length]! ^= 0x01;
  return bytes.toString('base64');
}

const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const stockSuite = () => new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });

describe('HPKE (src/tee/encrypted/hpke.ts)', () => {
  it('reproduces RFC 9180 appendix A.1.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode)', () => {
    const v = {
      info: '4f6465206f6e2061204772656369616e2055726e',
      skEm: '52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736',
      pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
      skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
      pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
      sharedSecret: 'fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc',
      key: '4531685d41d65f03dc48f6b8302c05b0',
      baseNonce: '56d890e5accaaf011cff4b7d',
      exporterSecret: '45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8',
      pt: '4265617574792069732074727574682c20747275746820626561757479',
      aad: '436f756e742d30',
      ct: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
    };
    const schedule = keySchedule(hex(v.sharedSecret), hex(v.info));
    expect(Buffer.from(schedule.key).toString('hex')).toBe(v.key);
    expect(Buffer.from(schedule.baseNonce).toString('hex')).toBe(v.baseNonce);
    expect(Buffer.from(schedule.exporterSecret).toString('hex')).toBe(v.exporterSecret);
    const { enc, context } = setupBaseSender(hex(v.pkRm), hex(v.info), hex(v.skEm));
    expect(Buffer.from(enc).toString('hex')).toBe(v.pkEm);
    expect(Buffer.from(context.seal(hex(v.pt), hex(v.aad))).toString('hex')).toBe(v.ct);
    const recipient = setupBaseRecipient(enc, { privateKey: deserializePrivateKey(hex(v.skRm)), publicKey: hex(v.pkRm) }, hex(v.info));
    expect(Buffer.from(recipient.open(hex(v.ct), hex(v.aad))).toString('hex')).toBe(v.pt);
    // One message per context: a second seal or open is refused, not sent under the same nonce.
    expect(() => context.seal(hex(v.pt), hex(v.aad))).toThrow(/already sealed or opened/);
    expect(() => recipient.open(hex(v.ct), hex(v.aad))).toThrow(/already sealed or opened/);
  });

  it("interoperates with @hpke/core's suite both ways (seal, open, export), and refuses another info, aad or key", async () => {
    const info = new TextEncoder().encode('zkinfer interop');
    const aad = new Uint8Array([1, 2, 3]);
    const message = new TextEncoder().encode('x'.repeat(1000));
    const label = new TextEncoder().encode('label');
    const stock = stockSuite();
    // Ours seals, @hpke/core opens and exports the same secret.
    const stockPair = await stock.kem.generateKeyPair();
    const stockPublic = new Uint8Array(await stock.kem.serializePublicKey(stockPair.publicKey));
    const sent = setupBaseSender(stockPublic, info);
    const ct = sent.context.seal(message, aad);
    const opened = await stock.createRecipientContext({ recipientKey: stockPair, enc: sent.enc, info });
    expect(new Uint8Array(await opened.open(ct, aad))).toEqual(message);
    expect(new Uint8Array(await opened.export(label, 28))).toEqual(sent.context.export(label, 28));
    // @hpke/core seals, ours opens and exports the same secret.
    const pair = generateKeyPair();
    const s = await stock.createSenderContext({ recipientPublicKey: await stock.kem.deserializePublicKey(pair.publicKey), info });
    const ct2 = new Uint8Array(await s.seal(message, aad));
    const r = setupBaseRecipient(new Uint8Array(s.enc), pair, info);
    expect(r.open(ct2, aad)).toEqual(message);
    expect(r.export(label, 28)).toEqual(new Uint8Array(await s.export(label, 28)));
    expect(() => setupBaseRecipient(new Uint8Array(s.enc), pair, new Uint8Array(1)).open(ct2, aad)).toThrow();
    expect(() => setupBaseRecipient(new Uint8Array(s.enc), pair, info).open(ct2, new Uint8Array(1))).toThrow();
    expect(() => setupBaseRecipient(new Uint8Array(s.enc), generateKeyPair(), info).open(ct2, aad)).toThrow();
  });

  it('refuses a small-order encapsulated key (all-zero shared secret) and a malformed one', () => {
    const pair = generateKeyPair();
    expect(() => setupBaseRecipient(new Uint8Array(32), pair, new Uint8Array(0))).toThrow();
    expect(() => setupBaseRecipient(new Uint8Array(31), pair, new Uint8Array(0))).toThrow(RangeError);
  });
});

describe('enclave key', () => {
  it('is attested with the HPKE key as the document public key and trusted only where the policy allows', async () => {
    const key = session.enclaveKey;
    expect(key.publicKey).toMatch(/^[0-9a-f]{64}$/);
    const doc = JSON.parse(Buffer.from(key.attestation.document, 'base64').toString('utf8'));
    expect(doc.encryptionKey).toBe(key.publicKey);
    const { evidence } = await verifyEnclaveKey(key, { modelId: artifacts.manifest.modelId, now: at() });
    expect(evidence.encryptionKey).toBe(key.publicKey);

    expect(await evaluateEnclaveKey(key, { policy: DEFAULT_POLICY, now: at() })).toMatchObject({
      trusted: false,
      reasons: ['enclave key: dev provider, not hardware; the policy does not accept dev attestations'],
    });
    expect(await evaluateEnclaveKey(key, { policy: devPolicy(), now: at(), modelId: artifacts.manifest.modelId })).toMatchObject({ trusted: true });
    const later = new Date(clock + 301_000);
    expect((await evaluateEnclaveKey(key, { policy: devPolicy(), now: later })).reasons).toEqual(['enclave key: 301 s old, older than maxAttestationAgeSeconds 300']);
  });

  it('refuses a key swapped into an attested file, and a key for another model', async () => {
    const other = await createEncryptedSession(artifacts, { provider: dev, now });
    const swapped = { ...clone(session.enclaveKey), publicKey: other.publicKey };
    await expect(verifyEnclaveKey(swapped, { now: at() })).rejects.toThrow(AttestationError);
    await expect(verifyEnclaveKey(session.enclaveKey, { modelId: 'ab'.repeat(32), now: at() })).rejects.toThrow(
      `enclave key: it serves model ${artifacts.manifest.modelId.slice(0, 16)}…, not abababababababab…`,
    );
  });
});

describe('round trip', () => {
  let response: EncryptedResponse;
  let sent: EncryptedRequest;
  let result: Awaited<ReturnType<typeof decryptResponse>>;

  beforeAll(async () => {
    const { request: req, pending } = await request();
    sent = req;
    response = await handleEncryptedRequest(session, JSON.stringify(req));
    result = await decryptResponse(pending, JSON.stringify(response), { now: at() });
  });

  it('returns the output of the plain path and a receipt whose commitments open to the input and output', async () => {
    const plain = await inferAttested(artifacts, x, { provider: dev });
    expect(result.output).toEqual(plain.receipt.attestation!.output);
    const inputRaw = quantizeInput(artifacts.model, x);
    expect(result.opening.input.raw).toEqual(inputRaw);
    const { io } = artifacts.manifest;
    expect((await commitTensor(inputRaw, io.input, BigInt(result.opening.input.salt))).toString()).toBe(result.receipt.input.commitment);
    expect((await commitTensor(result.output.raw, io.output, BigInt(result.opening.output.salt))).toString()).toBe(result.receipt.output.commitment);
    expect(result.receipt.nonce).toBe(sent.requestId);
    expect(result.receipt.enclaveKey).toBe(session.publicKey);
    expect(result.receipt.digest).toBe(sealedReceiptDigest(result.receipt));
    expect(result.attestation).toMatchObject({ vendor: 'dev', encryptionKey: session.publicKey, reportData: result.receipt.digest, nonce: sent.requestId });
  });

  it('shows the operator no raw value: not in the request, the response or the receipt', () => {
    const inputRaw = quantizeInput(artifacts.model, x);
    const numbers = (v: unknown, out: number[] = []): number[] => {
      if (typeof v === 'number') out.push(v);
      else if (Array.isArray(v)) v.forEach((e) => numbers(e, out));
      else if (v && typeof v === 'object') Object.values(v).forEach((e) => numbers(e, out));
      return out;
    };
    const { receipt } = response;
    // The only numbers in the receipt are the tensors' shapes and scales.
    expect(numbers(receipt).sort()).toEqual([...receipt.input.shape, receipt.input.scale, ...receipt.output.shape, receipt.output.scale].sort());
    for (const text of [JSON.stringify(sent), JSON.stringify(response)]) {
      expect(text).not.toContain('"raw"');
      expect(text).not.toContain('"values"');
      expect(text).not.toContain(JSON.stringify(x).slice(1, -1));
      expect(text).not.toContain(inputRaw.join(','));
      expect(text).not.toContain(result.output.raw.join(','));
    }
    for (const v of [...x, ...result.output.values]) expect(JSON.stringify(response)).not.toMatch(new RegExp(`[\\[,:]${String(v).replace('.', '\\.')}[,\\]}]`)); // as a JSON number
  });

  it('is accepted by attestation only where the policy allows, and never as a proof', async () => {
    const key = loadPolicyKey(artifacts.dir);
    expect(await evaluateReceipt(result.receipt, { key, policy: DEFAULT_POLICY, now: at() })).toEqual({
      verdict: 'proof-required',
      by: [],
      reasons: [
        'attestation: dev provider, not hardware; the policy does not accept dev attestations',
        'sealed receipt: input and output are salted commitments; no proof can be attached (encrypted TEE path)',
      ],
    });
    const accepted = await evaluateReceipt(result.receipt, { key, policy: devPolicy(), now: at(), expect: { nonce: sent.requestId } });
    expect(accepted).toMatchObject({ verdict: 'accepted', by: ['attestation'] });
    expect(parseReceipt(JSON.stringify(result.receipt))).toEqual({ reason: SEALED_NO_PROOF, sealed: result.receipt });

    const forged: SealedReceipt = { ...clone(result.receipt), output: { ...result.receipt.output, commitment: '12345' } };
    expect((await evaluateReceipt(forged, { key, policy: devPolicy(), now: at() })).reasons).toEqual(['the receipt digest does not match its contents']);
    forged.digest = sealedReceiptDigest(forged);
    expect((await evaluateReceipt(forged, { key, policy: devPolicy(), now: at() })).reasons).toEqual([
      'attestation: the attestation digest does not match the sealed receipt (commitments, enclave key, nonce and time)',
    ]);
    forged.attestation = { ...forged.attestation, digest: forged.digest };
    expect((await evaluateReceipt(forged, { key, policy: devPolicy(), now: at() })).reasons[0]).toMatch(/^attestation: dev attestation: user data [0-9a-f]+ does not match the expected/);
    expect((await evaluateReceipt(result.receipt, { key, policy: devPolicy(), now: at(), expect: { nonce: 'ab'.repeat(16) } })).verdict).toBe('rejected');
  });
});

describe('refusals', () => {
  it('refuses a tampered ciphertext, encapsulated key or header', async () => {
    const cannot = 'encrypted request: cannot decrypt (the message or its header was altered, or it is encrypted to another key)';
    for (const change of [
      (r: EncryptedRequest) => ({ ...r, ciphertext: flip(r.ciphertext, 3) }),
      (r: EncryptedRequest) => ({ ...r, ciphertext: flip(r.ciphertext, -1) }),
      (r: EncryptedRequest) => ({ ...r, enc: flip(r.enc, 5) }),
      (r: EncryptedRequest) => ({ ...r, requestId: `${r.requestId.slice(0, -2)}00` === r.requestId ? `${r.requestId.slice(0, -2)}01` : `${r.requestId.slice(0, -2)}00` }),
      (r: EncryptedRequest) => ({ ...r, createdAt: new Date(Date.parse(r.createdAt) - 1).toISOString() }),
    ]) {
      const { request: req } = await request();
      await expect(handleEncryptedRequest(session, change(req))).rejects.toThrow(new EncryptedRequestError(cannot));
      // The genuine request is still answered: a forged copy did not burn its id.
      await expect(handleEncryptedRequest(session, req)).resolves.toMatchObject({ requestId: req.requestId });
    }
  });

  it('refuses a request encrypted to another key', async () => {
    const other = await createEncryptedSession(artifacts, { provider: dev, now });
    const { request: req } = await request({ to: other });
    await expect(handleEncryptedRequest(session, req)).rejects.toThrow(new EncryptedRequestError('encrypted request: encrypted to another enclave key'));
    // Relabelled as if for this key: the HPKE message still cannot be opened.
    await expect(handleEncryptedRequest(session, { ...req, enclaveKey: session.publicKey })).rejects.toThrow(/^encrypted request: cannot decrypt/);
  });

  it('reads the binary request plaintext exactly, and refuses a wrong length, a salt above p and a format /1 request', async () => {
    const values = [0.1, -0.25, 1 / 3, 5e-324, -0, 0.75];
    const decoded = decodeRequestPlaintext(encodeRequestPlaintext(values, FIELD_MODULUS - 1n));
    expect(Array.from(decoded.input)).toEqual(values);
    expect(Object.is(decoded.input[4], -0)).toBe(true);
    expect(decoded.inputSalt).toBe(FIELD_MODULUS - 1n);
    expect(() => decodeRequestPlaintext(new Uint8Array(32))).toThrow(EncryptedRequestError);
    expect(() => decodeRequestPlaintext(new Uint8Array(32 + 8 * 6 + 1))).toThrow(/expected a 32-byte salt and 8 bytes per input value, got 81 bytes/);

    /** A request whose sealed plaintext is `plaintext`, correctly encrypted to the session key. */
    const sealed = async (plaintext: Uint8Array, header: Partial<EncryptedRequest> = {}) => {
      const { request: genuine } = await request();
      const h = { ...genuine, ...header };
      const { enc, context } = setupBaseSender(Buffer.from(session.publicKey, 'hex'), requestInfo(h));
      return { ...h, enc: Buffer.from(enc).toString('base64'), ciphertext: Buffer.from(context.seal(plaintext, requestAad(h))).toString('base64') };
    };
    const salt = 12345n;
    await expect(handleEncryptedRequest(session, await sealed(encodeRequestPlaintext(x, salt)))).resolves.toMatchObject({ format: 'zkinfer.encrypted-response/1' });
    await expect(handleEncryptedRequest(session, await sealed(encodeRequestPlaintext(x, salt).subarray(0, 41)))).rejects.toThrow(/^encrypted request plaintext: expected a 32-byte salt/);
    await expect(handleEncryptedRequest(session, await sealed(encodeRequestPlaintext(x, FIELD_MODULUS)))).rejects.toThrow(/^encrypted request plaintext: inputSalt: expected a field element below p/);
    await expect(handleEncryptedRequest(session, await sealed(encodeRequestPlaintext(x.slice(1), salt)))).rejects.toThrow(/expected 6 input values/);
    // Format /1 (JSON plaintext) is refused by its header, before any decryption.
    const v1 = await sealed(new TextEncoder().encode(JSON.stringify({ input: x, inputSalt: '1' })), { format: 'zkinfer.encrypted-request/1' as never });
    await expect(handleEncryptedRequest(session, v1)).rejects.toThrow(/^encrypted request: malformed at "format"/);
  });

  it('refuses a replayed request, and a stale or future one', async () => {
    const { request: req } = await request();
    await handleEncryptedRequest(session, req);
    await expect(handleEncryptedRequest(session, req)).rejects.toThrow(new EncryptedRequestError(`encrypted request: request id ${req.requestId} was already answered (replay)`));
    const concurrent = await request();
    const both = await Promise.allSettled([handleEncryptedRequest(session, concurrent.request), handleEncryptedRequest(session, concurrent.request)]);
    expect(both.map((b) => b.status).sort()).toEqual(['fulfilled', 'rejected']);

    const { request: old } = await request();
    clock += 301_000;
    try {
      await expect(handleEncryptedRequest(session, old)).rejects.toThrow(new EncryptedRequestError('encrypted request: 301 s old, outside the validity window of 300 s'));
      // Once the window has closed the replayed request is still refused: its time is bound in the HPKE info.
      await expect(handleEncryptedRequest(session, req)).rejects.toThrow(/outside the validity window/);
    } finally {
      clock -= 301_000;
    }
    const { request: ahead } = await request();
    clock -= 61_000;
    try {
      await expect(handleEncryptedRequest(session, ahead)).rejects.toThrow(new EncryptedRequestError("encrypted request: dated 61 s ahead of the enclave's clock"));
    } finally {
      clock += 61_000;
    }
  });

  it('keeps a bounded replay cache that fails closed when full', () => {
    const cache = new ReplayCache(2);
    expect(cache.add('a', 1000, 0)).toBe(true);
    expect(cache.add('a', 1000, 0)).toBe(false);
    expect(cache.add('b', 2000, 0)).toBe(true);
    expect(cache.add('c', 2000, 500)).toBe(false); // full of unexpired ids
    expect(cache.add('c', 2000, 1000)).toBe(true); // 'a' expired and was dropped
    expect(cache.size).toBe(2);
    expect(() => new ReplayCache(0)).toThrow(new InvalidArgumentError('expected the replay cache size to be a positive integer, got 0'));
  });

  it('refuses a tampered response, or one for another request', async () => {
    const one = await request();
    const two = await request();
    const r1 = await handleEncryptedRequest(session, one.request);
    const r2 = await handleEncryptedRequest(session, two.request);
    await expect(decryptResponse(one.pending, { ...r1, ciphertext: flip(r1.ciphertext, 7) }, { now: at() })).rejects.toThrow(/^cannot decrypt the response/);
    await expect(decryptResponse(one.pending, r2, { now: at() })).rejects.toThrow(new EncryptedRequestError('encrypted response: it answers another request'));
    // Another answer's ciphertext under this receipt: the exported key differs.
    await expect(decryptResponse(one.pending, { ...r1, ciphertext: r2.ciphertext }, { now: at() })).rejects.toThrow(/^cannot decrypt the response/);
    // Swapped both ways between two requests in flight: neither client can open the other's answer.
    await expect(decryptResponse(two.pending, { ...r2, ciphertext: r1.ciphertext }, { now: at() })).rejects.toThrow(/^cannot decrypt the response/);
    await expect(decryptResponse(two.pending, r1, { now: at() })).rejects.toThrow(new EncryptedRequestError('encrypted response: it answers another request'));
    // A receipt with another output commitment (re-signed by the same dev key): the ciphertext is bound to the digest.
    const receipt = { ...r1.receipt, output: { ...r1.receipt.output, commitment: '7' } };
    receipt.digest = sealedReceiptDigest(receipt);
    await expect(decryptResponse(one.pending, { ...r1, receipt }, { now: at() })).rejects.toThrow(AttestationError);
    await expect(decryptResponse(one.pending, r1, { now: at() })).resolves.toMatchObject({ receipt: r1.receipt });
  });
});

describe('with a Nitro enclave (documents from a throw-away CA)', () => {
  it('trusts the key by its PCRs, and accepts the sealed receipt by attestation only', async () => {
    const chain = await createTestChain();
    const roots = { nitro: chain.rootFingerprint };
    const nitroNow = () => TEST_AT.getTime();
    const nitro = await createEncryptedSession(artifacts, { provider: testNitroProvider(chain), now: nitroNow });
    const allowed = parsePolicy({ allowedPcrs: [TEST_PCRS] });
    expect(await evaluateEnclaveKey(nitro.enclaveKey, { policy: DEFAULT_POLICY, now: TEST_AT, rootFingerprints: roots })).toMatchObject({
      trusted: false,
      reasons: ['enclave key: the policy allows no enclave measurement (allowedPcrs is empty)'],
    });
    const verdict = await evaluateEnclaveKey(nitro.enclaveKey, { policy: allowed, now: TEST_AT, rootFingerprints: roots });
    expect(verdict).toMatchObject({ trusted: true, enclave: { evidence: { vendor: 'nitro', encryptionKey: nitro.publicKey } } });
    // Without the pinned test root, the AWS root is required: refused.
    expect((await evaluateEnclaveKey(nitro.enclaveKey, { policy: allowed, now: TEST_AT })).trusted).toBe(false);

    const { request: req, pending } = await encryptRequest(verdict.enclave!, artifacts.manifest, x, { now: TEST_AT });
    const response = await handleEncryptedRequest(nitro, req);
    const result = await decryptResponse(pending, response, { now: TEST_AT, rootFingerprints: roots });
    expect(result.attestation).toMatchObject({ vendor: 'nitro', hardware: true, encryptionKey: nitro.publicKey, measurements: expect.objectContaining(TEST_PCRS) });
    const key = loadPolicyKey(artifacts.dir);
    expect(await evaluateReceipt(result.receipt, { key, policy: allowed, now: TEST_AT, nitroRootFingerprint: chain.rootFingerprint })).toMatchObject({ verdict: 'accepted', by: ['attestation'] });

    // The same request answered by another enclave image (other PCRs) holding the key: refused by the client.
    const pcrs = new Map<number, Uint8Array>();
    for (let i = 0; i < 16; i++) pcrs.set(i, new Uint8Array(48).fill(0xb0 + i));
    const impostor = { ...nitro, provider: testNitroProvider(chain, { pcrs }), replay: new ReplayCache(4) };
    const second = await encryptRequest(verdict.enclave!, artifacts.manifest, x, { now: TEST_AT });
    await expect(decryptResponse(second.pending, await handleEncryptedRequest(impostor, second.request), { now: TEST_AT, rootFingerprints: roots })).rejects.toThrow(
      new AttestationError('encrypted response: the receipt is attested by another enclave than the one whose key was verified (vendor or measurements differ)'),
    );
  });
});
