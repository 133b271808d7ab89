/**
 * A throw-away Intel DCAP PKI for the TDX tests: a root, a PCK CA, a PCK certificate with
 * SGX extensions, a TCB signing certificate and their CRLs (`@peculiar/x509` + WebCrypto),
 * and builders for TDX quotes v4 and collateral files laid out as Intel's are (the recorded
 * quote and collateral show the layout), so that the checks after the signatures — TCB
 * levels, TDX module and QE identities, revocation, debug, report data — can be reached
 * with inputs of our own making. The root is pinned through `rootFingerprint`.
 */
import './reflect-shim.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import * as asn1js from 'asn1js';
import { BasicConstraintsExtension, Extension, KeyUsageFlags, KeyUsagesExtension, X509CertificateGenerator, X509CrlGenerator, X509CrlReason } from '@peculiar/x509';

/** The test PKI's time: every certificate and collateral item is valid around it. */
export const TDX_TEST_AT = new Date('2030-01-01T12:00:00Z');
const DAY = 86_400_000;
const SGX = '1.2.840.113741.1.13.1';
const ROOT = 'CN=zkinfer test SGX Root CA';
const PCK_CA = 'CN=zkinfer test SGX PCK Platform CA';
const FMSPC = '90c06f000000';
const QE_MRSIGNER = '55'.repeat(32);

/** A generated PKI. */
export interface TdxTestPki {
  rootFingerprint: string;
  der: { root: Uint8Array; pckCa: Uint8Array; pck: Uint8Array; tcbSigner: Uint8Array };
  keys: { root: CryptoKeyPair; pckCa: CryptoKeyPair; pck: CryptoKeyPair; tcbSigner: CryptoKeyPair };
  serials: { pckCa: string; pck: string };
}

/** What the PCK certificate says about its platform. */
export interface PlatformSpec {
  tcbComponents: number[];
  pceSvn: number;
  fmspc: string;
}

export const DEFAULT_PLATFORM: PlatformSpec = { tcbComponents: [3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0], pceSvn: 11, fmspc: FMSPC };

let serial = 0x100;
const newKeys = () => crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

function sgxExtension(platform: PlatformSpec): Extension {
  const seq = (...value: asn1js.BaseBlock[]) => new asn1js.Sequence({ value });
  const entry = (oid: string, value: asn1js.BaseBlock) => seq(new asn1js.ObjectIdentifier({ value: oid }), value);
  const octets = (hex: string) => new asn1js.OctetString({ valueHex: Buffer.from(hex, 'hex') });
  const tcb = seq(
    ...platform.tcbComponents.map((svn, i) => entry(`${SGX}.2.${i + 1}`, new asn1js.Integer({ value: svn }))),
    entry(`${SGX}.2.17`, new asn1js.Integer({ value: platform.pceSvn })),
    entry(`${SGX}.2.18`, octets(Buffer.from(platform.tcbComponents).toString('hex'))),
  );
  const value = seq(
    entry(`${SGX}.1`, octets('ab'.repeat(16))),
    entry(`${SGX}.2`, tcb),
    entry(`${SGX}.3`, octets('0000')),
    entry(`${SGX}.4`, octets(platform.fmspc)),
    entry(`${SGX}.5`, new asn1js.Enumerated({ value: 1 })),
  );
  return new Extension(SGX, false, value.toBER());
}

async function certificate(subject: string, issuer: string, keys: CryptoKeyPair, signer: CryptoKey, ca: boolean, extra: Extension[] = []): Promise<{ der: Uint8Array; serial: string }> {
  const serialNumber = (serial++).toString(16).padStart(4, '0');
  const cert = await X509CertificateGenerator.create({
    serialNumber,
    subject,
    issuer,
    notBefore: new Date(TDX_TEST_AT.getTime() - 365 * DAY),
    notAfter: new Date(TDX_TEST_AT.getTime() + 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: signer,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new BasicConstraintsExtension(ca, undefined, true),
      new KeyUsagesExtension(ca ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign : KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation, true),
      ...extra,
    ],
  });
  return { der: new Uint8Array(cert.rawData), serial: serialNumber };
}

/**
 * Generates the test PKI.
 * @param platform - the PCK certificate's TCB and FMSPC
 */
export async function createTdxTestPki(platform: PlatformSpec = DEFAULT_PLATFORM): Promise<TdxTestPki> {
  const keys = { root: await newKeys(), pckCa: await newKeys(), pck: await newKeys(), tcbSigner: await newKeys() };
  const root = await certificate(ROOT, ROOT, keys.root, keys.root.privateKey, true);
  const pckCa = await certificate(PCK_CA, ROOT, keys.pckCa, keys.root.privateKey, true);
  const pck = await certificate('CN=Intel SGX PCK Certificate (zkinfer test)', PCK_CA, keys.pck, keys.pckCa.privateKey, false, [sgxExtension(platform)]);
  const tcbSigner = await certificate('CN=zkinfer test SGX TCB Signing', ROOT, keys.tcbSigner, keys.root.privateKey, false);
  return {
    rootFingerprint: bytesToHex(sha256(root.der)),
    der: { root: root.der, pckCa: pckCa.der, pck: pck.der, tcbSigner: tcbSigner.der },
    keys,
    serials: { pckCa: pckCa.serial, pck: pck.serial },
  };
}

const pem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
const sign = async (key: CryptoKey, data: Uint8Array) => new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, new Uint8Array(data)));
const le = (n: number, bytes: number) => Uint8Array.from({ length: bytes }, (_, i) => Math.floor(n / 256 ** i) % 256);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};
const filled = (n: number, byte: number) => new Uint8Array(n).fill(byte);

/** What a test quote's TD and QE say. */
export interface QuoteSpec {
  reportData: Uint8Array;
  teeTcbSvn: number[];
  tdAttributes: Uint8Array;
  mrSignerSeam: Uint8Array;
  mrTd: Uint8Array;
  rtmr0: Uint8Array;
  qeIsvSvn: number;
  qeMrSigner: string;
}

/** The measurements of a default test quote. */
export const TEST_MRTD = 'd1'.repeat(48);
export const TEST_RTMR0 = 'e0'.repeat(48);

const DEFAULT_QUOTE: QuoteSpec = {
  reportData: filled(64, 0x42),
  teeTcbSvn: [6, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  tdAttributes: Uint8Array.from([0, 0, 0, 0x10, 0, 0, 0, 0]),
  mrSignerSeam: filled(48, 0),
  mrTd: Buffer.from(TEST_MRTD, 'hex'),
  rtmr0: Buffer.from(TEST_RTMR0, 'hex'),
  qeIsvSvn: 4,
  qeMrSigner: QE_MRSIGNER,
};

/**
 * Builds and signs a TDX quote v4 for the test PKI, laid out as the recorded quote is.
 * @param spec - changes to the default TD and QE
 */
export async function makeTdxQuote(pki: TdxTestPki, spec: Partial<QuoteSpec> = {}): Promise<Uint8Array> {
  const s = { ...DEFAULT_QUOTE, ...spec };
  const header = concat(Uint8Array.from([4, 0, 2, 0, 0x81, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex'), filled(20, 0));
  const body = concat(
    Uint8Array.from(s.teeTcbSvn),
    filled(48, 0x5b),
    s.mrSignerSeam,
    filled(8, 0),
    s.tdAttributes,
    Uint8Array.from([0xe7, 0x02, 0x06, 0, 0, 0, 0, 0]),
    s.mrTd,
    filled(48, 0),
    filled(48, 0),
    filled(48, 0),
    s.rtmr0,
    filled(48, 0xe1),
    filled(48, 0xe2),
    filled(48, 0),
    s.reportData,
  );
  const attestationKeys = await newKeys();
  const attestationKey = new Uint8Array(await crypto.subtle.exportKey('raw', attestationKeys.publicKey)).subarray(1);
  const signature = await sign(attestationKeys.privateKey, concat(header, body));
  const authData = Uint8Array.from({ length: 32 }, (_, i) => i);
  const qeReport = concat(
    filled(16, 3),
    le(0, 4),
    filled(28, 0),
    Uint8Array.from([0x11, ...filled(15, 0)]),
    filled(32, 0xee),
    filled(32, 0),
    Buffer.from(s.qeMrSigner, 'hex'),
    filled(96, 0),
    le(2, 2),
    le(s.qeIsvSvn, 2),
    filled(60, 0),
    sha256(concat(attestationKey, authData)),
    filled(32, 0),
  );
  const qeSignature = await sign(pki.keys.pck.privateKey, qeReport);
  const chain = new TextEncoder().encode(`${pem(pki.der.pck)}${pem(pki.der.pckCa)}${pem(pki.der.root)}\0`);
  const inner = concat(le(5, 2), le(chain.length, 4), chain);
  const certData = concat(qeReport, qeSignature, le(authData.length, 2), authData, inner);
  const signatureData = concat(signature, attestationKey, le(6, 2), le(certData.length, 4), certData);
  return concat(header, body, le(signatureData.length, 4), signatureData);
}

type Level = { tcb: Record<string, unknown>; tcbDate: string; tcbStatus: string; advisoryIDs?: string[] };
const components = (svns: number[]) => svns.map((svn) => ({ svn }));

/** The test TCB info's platform levels: UpToDate at PCESVN 11, OutOfDate at PCESVN 5. */
export function platformLevel(sgx: number[], pcesvn: number, tdx: number[], tcbStatus: string, advisoryIDs?: string[]): Level {
  return { tcb: { sgxtcbcomponents: components(sgx), pcesvn, tdxtcbcomponents: components(tdx) }, tcbDate: '2029-01-01T00:00:00Z', tcbStatus, ...(advisoryIDs ? { advisoryIDs } : {}) };
}
const SGX_LEVEL = [2, 2, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0];
const TDX_LEVEL = [5, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
export const DEFAULT_LEVELS: Level[] = [platformLevel(SGX_LEVEL, 11, TDX_LEVEL, 'UpToDate'), platformLevel(SGX_LEVEL, 5, TDX_LEVEL, 'OutOfDate', ['INTEL-SA-00000'])];
const identityLevel = (isvsvn: number, tcbStatus: string, advisoryIDs?: string[]): Level => ({ tcb: { isvsvn }, tcbDate: '2029-01-01T00:00:00Z', tcbStatus, ...(advisoryIDs ? { advisoryIDs } : {}) });
export const DEFAULT_MODULE_LEVELS = [identityLevel(4, 'UpToDate'), identityLevel(2, 'OutOfDate', ['INTEL-SA-00001'])];
export const DEFAULT_QE_LEVELS = [identityLevel(4, 'UpToDate'), identityLevel(2, 'OutOfDate', ['INTEL-SA-00002'])];

/** What a test collateral says. */
export interface CollateralSpec {
  tcbLevels: Level[];
  moduleLevels: Level[];
  qeLevels: Level[];
  fmspc: string;
  /** Serials (hex) on the PCK CRL and the root CA CRL. */
  revokedPcks: string[];
  revokedCas: string[];
  /** The collateral window: issue/thisUpdate and nextUpdate. */
  issued: Date;
  nextUpdate: Date;
}

/**
 * Builds a collateral file (the JSON of dcap-qvl's QuoteCollateralV3) for the test PKI.
 * @param spec - changes to the default TCB info, QE identity, CRLs and window
 */
export async function makeTdxCollateral(pki: TdxTestPki, spec: Partial<CollateralSpec> = {}): Promise<Uint8Array> {
  const s: CollateralSpec = {
    tcbLevels: DEFAULT_LEVELS,
    moduleLevels: DEFAULT_MODULE_LEVELS,
    qeLevels: DEFAULT_QE_LEVELS,
    fmspc: FMSPC,
    revokedPcks: [],
    revokedCas: [],
    issued: new Date(TDX_TEST_AT.getTime() - DAY),
    nextUpdate: new Date(TDX_TEST_AT.getTime() + 30 * DAY),
    ...spec,
  };
  const iso = (d: Date) => d.toISOString().replace(/\.000Z$/, 'Z');
  const tcbInfo = JSON.stringify({
    id: 'TDX',
    version: 3,
    issueDate: iso(s.issued),
    nextUpdate: iso(s.nextUpdate),
    fmspc: s.fmspc.toUpperCase(),
    pceId: '0000',
    tcbType: 0,
    tcbEvaluationDataNumber: 17,
    tdxModule: { mrsigner: '00'.repeat(48), attributes: '00'.repeat(8), attributesMask: 'FF'.repeat(8) },
    tdxModuleIdentities: [{ id: 'TDX_01', mrsigner: '00'.repeat(48), attributes: '00'.repeat(8), attributesMask: 'FF'.repeat(8), tcbLevels: s.moduleLevels }],
    tcbLevels: s.tcbLevels,
  });
  const qeIdentity = JSON.stringify({
    id: 'TD_QE',
    version: 2,
    issueDate: iso(s.issued),
    nextUpdate: iso(s.nextUpdate),
    tcbEvaluationDataNumber: 17,
    miscselect: '00000000',
    miscselectMask: 'FFFFFFFF',
    attributes: '11000000000000000000000000000000',
    attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
    mrsigner: QE_MRSIGNER.toUpperCase(),
    isvprodid: 2,
    tcbLevels: s.qeLevels,
  });
  const crl = async (issuer: string, key: CryptoKey, revoked: string[]) => {
    const list = await X509CrlGenerator.create({
      issuer,
      thisUpdate: s.issued,
      nextUpdate: s.nextUpdate,
      signingKey: key,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      // With a reason code, as Intel's entries have (an entry without one gets an empty, invalid extensions SEQUENCE here).
      entries: revoked.map((serialNumber) => ({ serialNumber, revocationDate: s.issued, reason: X509CrlReason.keyCompromise })),
    });
    return Buffer.from(list.rawData).toString('hex');
  };
  const signHex = async (text: string) => Buffer.from(await sign(pki.keys.tcbSigner.privateKey, new TextEncoder().encode(text))).toString('hex');
  const signingChain = `${pem(pki.der.tcbSigner)}${pem(pki.der.root)}`;
  return new TextEncoder().encode(
    JSON.stringify(
      {
        pck_crl_issuer_chain: `${pem(pki.der.pckCa)}${pem(pki.der.root)}`,
        root_ca_crl: await crl(ROOT, pki.keys.root.privateKey, s.revokedCas),
        pck_crl: await crl(PCK_CA, pki.keys.pckCa.privateKey, s.revokedPcks),
        tcb_info_issuer_chain: signingChain,
        tcb_info: tcbInfo,
        tcb_info_signature: await signHex(tcbInfo),
        qe_identity_issuer_chain: signingChain,
        qe_identity: qeIdentity,
        qe_identity_signature: await signHex(qeIdentity),
      },
      null,
      2,
    ),
  );
}
