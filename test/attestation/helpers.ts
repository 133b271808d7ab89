/**
 * Shared test material for the Nitro verifier: the recorded documents (test/fixtures/tee,
 * see its README for sources and valid times), re-encoding helpers that change a real
 * document's envelope or payload while keeping its original signature, and a throw-away
 * test PKI built with `@peculiar/x509` + WebCrypto that signs documents of our own making,
 * to reach the checks that come after the signatures.
 */
import './reflect-shim.js';
import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { BasicConstraintsExtension, Extension, KeyUsageFlags, KeyUsagesExtension, X509CertificateGenerator } from '@peculiar/x509';
import { decode, encode } from 'cborg';

/** A recorded Nitro document with the time window in which it verifies. */
export interface RealDocument {
  file: string;
  bytes: Uint8Array;
  /** A time inside every certificate's validity. */
  at: Date;
  /** The leaf certificate's validity. */
  leafNotBefore: string;
  leafNotAfter: string;
  debug: boolean;
}

const fixture = (file: string): Uint8Array => {
  const raw = readFileSync(new URL(`../fixtures/tee/${file}`, import.meta.url));
  return new Uint8Array(file.endsWith('.b64') ? Buffer.from(raw.toString('ascii').trim(), 'base64') : raw);
};

/** Path of a fixture file, for the CLI tests. */
export const fixturePath = (file: string): string => new URL(`../fixtures/tee/${file}`, import.meta.url).pathname;

export const OPENGRADIENT: RealDocument = {
  file: 'nitro-opengradient-2026-02-12.cbor',
  bytes: fixture('nitro-opengradient-2026-02-12.cbor'),
  at: new Date('2026-02-12T19:00:00Z'),
  leafNotBefore: '2026-02-12T17:55:59.000Z',
  leafNotAfter: '2026-02-12T20:56:02.000Z',
  debug: false,
};
export const EU_WEST_1: RealDocument = {
  file: 'nitro-eu-west-1-2022-11-09.cbor',
  bytes: fixture('nitro-eu-west-1-2022-11-09.cbor'),
  at: new Date('2022-11-09T23:30:00Z'),
  leafNotBefore: '2022-11-09T22:51:57.000Z',
  leafNotAfter: '2022-11-10T01:52:00.000Z',
  debug: false,
};
export const DEBUG: RealDocument = {
  file: 'nitro-debug-2024-09-07.b64',
  bytes: fixture('nitro-debug-2024-09-07.b64'),
  at: new Date('2024-09-07T15:00:00Z'),
  leafNotBefore: '2024-09-07T14:38:03.000Z',
  leafNotAfter: '2024-09-07T17:38:06.000Z',
  debug: true,
};
export const REAL_DOCUMENTS = [OPENGRADIENT, EU_WEST_1, DEBUG];

export const AWS_ROOT = '641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b';

/** The four COSE_Sign1 items of a document, decoded one level (payload still bytes). */
export function coseItems(doc: Uint8Array): unknown[] {
  return decode(doc, { useMaps: true }) as unknown[];
}

/** The decoded payload map of a document. */
export function payloadOf(doc: Uint8Array): Map<string, unknown> {
  return decode(coseItems(doc)[2] as Uint8Array, { useMaps: true }) as Map<string, unknown>;
}

/** Encodes COSE_Sign1 items (untagged). */
export const encodeCose = (items: unknown[]): Uint8Array => encode(items);

/** Replaces one COSE item of a real document, keeping the others byte for byte. */
export function withCoseItem(doc: Uint8Array, index: number, value: unknown): Uint8Array {
  const items = coseItems(doc);
  items[index] = value;
  return encodeCose(items);
}

/** Re-encodes a real document's payload after `change`, keeping protected header and signature. */
export function withPayload(doc: Uint8Array, change: (payload: Map<unknown, unknown>) => void): Uint8Array {
  const payload = payloadOf(doc) as Map<unknown, unknown>;
  change(payload);
  return withCoseItem(doc, 2, encode(payload));
}

/** Specification of one certificate of a test chain. */
export interface CertSpec {
  curve: 'P-256' | 'P-384';
  /** Hash of the signature this certificate carries (made with the issuer's key). */
  hash: 'SHA-256' | 'SHA-384' | 'SHA-512';
  /** `undefined` omits the basic constraints extension. */
  ca: boolean | undefined;
  pathLength?: number;
  /** `undefined` omits the key usage extension. */
  keyUsage: number | undefined;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
  /** Sign with this key instead of the issuer's (forgery). */
  signWith?: CryptoKey;
  /** Give this certificate an RSA key (only sensible for the leaf). */
  rsa?: boolean;
}

/** Default validity of the test PKI and a time inside it. */
export const TEST_AT = new Date('2030-01-01T12:00:00Z');
const DAY = 86_400_000;

const caDefaults = (): CertSpec => ({
  curve: 'P-384',
  hash: 'SHA-384',
  ca: true,
  keyUsage: KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature,
  notBefore: new Date(TEST_AT.getTime() - DAY),
  notAfter: new Date(TEST_AT.getTime() + DAY),
  extensions: [],
});
const leafDefaults = (): CertSpec => ({
  curve: 'P-384',
  hash: 'SHA-384',
  ca: false,
  keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
  notBefore: new Date(TEST_AT.getTime() - 3_600_000),
  notAfter: new Date(TEST_AT.getTime() + 3_600_000),
  extensions: [],
});

async function generateKeys(spec: CertSpec): Promise<CryptoKeyPair> {
  if (spec.rsa) {
    return crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, [
      'sign',
      'verify',
    ]) as Promise<CryptoKeyPair>;
  }
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: spec.curve }, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

function extensionsOf(spec: CertSpec): Extension[] {
  const list: Extension[] = [];
  if (spec.ca !== undefined) list.push(new BasicConstraintsExtension(spec.ca, spec.pathLength, true));
  if (spec.keyUsage !== undefined) list.push(new KeyUsagesExtension(spec.keyUsage, true));
  return [...list, ...spec.extensions];
}

/** A generated chain: root first, then intermediates, then the leaf and its key. */
export interface TestChain {
  cabundle: Uint8Array[];
  certificate: Uint8Array;
  leafKeys: CryptoKeyPair;
  rootFingerprint: string;
}

let serial = 1;

/**
 * Generates a root, `intermediates.length` intermediates and a leaf, each overridable.
 * @param overrides - changes to the root, each intermediate and the leaf specs
 */
export async function createTestChain(
  overrides: {
    root?: Partial<CertSpec>;
    intermediates?: Array<Partial<CertSpec>>;
    leaf?: Partial<CertSpec>;
  } = {},
): Promise<TestChain> {
  const specs: CertSpec[] = [{ ...caDefaults(), ...overrides.root }, ...(overrides.intermediates ?? [{}, {}]).map((o) => ({ ...caDefaults(), ...o })), { ...leafDefaults(), ...overrides.leaf }];
  const ders: Uint8Array[] = [];
  let issuerKeys: CryptoKeyPair | undefined;
  let issuerName = '';
  let keys!: CryptoKeyPair;
  for (const [i, spec] of specs.entries()) {
    keys = await generateKeys(spec);
    const name = i === 0 ? 'CN=zkinfer test root' : i === specs.length - 1 ? 'CN=zkinfer test leaf' : `CN=zkinfer test intermediate ${i}`;
    const cert = await X509CertificateGenerator.create({
      serialNumber: (serial++).toString(16).padStart(4, '0'),
      subject: name,
      issuer: i === 0 ? name : issuerName,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      publicKey: keys.publicKey,
      signingKey: spec.signWith ?? (i === 0 ? keys.privateKey : issuerKeys!.privateKey),
      signingAlgorithm: { name: 'ECDSA', hash: spec.hash },
      extensions: extensionsOf(spec),
    });
    ders.push(new Uint8Array(cert.rawData));
    issuerKeys = keys;
    issuerName = name;
  }
  return {
    cabundle: ders.slice(0, -1),
    certificate: ders[ders.length - 1],
    leafKeys: keys,
    rootFingerprint: bytesToHex(sha256(ders[0])),
  };
}

/** A well-formed payload map for a test chain; `fields` overrides or adds entries. */
export function testPayload(chain: TestChain, fields: Record<string, unknown> = {}): Map<string, unknown> {
  const pcrs = new Map<number, Uint8Array>();
  for (let i = 0; i < 16; i++) pcrs.set(i, new Uint8Array(48).fill(i < 3 ? 0xa0 + i : 0));
  const payload = new Map<string, unknown>([
    ['module_id', 'i-0123456789abcdef0-enc0123456789abcdef'],
    ['digest', 'SHA384'],
    ['timestamp', TEST_AT.getTime() - 60_000],
    ['pcrs', pcrs],
    ['certificate', chain.certificate],
    ['cabundle', chain.cabundle],
    ['public_key', null],
    ['user_data', new Uint8Array(32).fill(0x11)],
    ['nonce', new Uint8Array(20).fill(0x22)],
  ]);
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) payload.delete(key);
    else payload.set(key, value);
  }
  return payload;
}

/** Signs a payload as NSM does: untagged COSE_Sign1, protected {1: -35}, ES384 r‖s. */
export async function signDocument(payload: Map<unknown, unknown>, key: CryptoKey, protectedHeader: Map<number, unknown> = new Map([[1, -35]])): Promise<Uint8Array> {
  const protectedBytes = encode(protectedHeader);
  const payloadBytes = encode(payload);
  const toBeSigned = encode(['Signature1', protectedBytes, new Uint8Array(0), payloadBytes]);
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, key, toBeSigned));
  return encodeCose([protectedBytes, new Map(), payloadBytes, signature]);
}

/** Builds and signs a document for a test chain in one step. */
export async function testDocument(chain: TestChain, fields: Record<string, unknown> = {}): Promise<Uint8Array> {
  return signDocument(testPayload(chain, fields), chain.leafKeys.privateKey);
}

/** Runs `promise` and returns the error it rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
