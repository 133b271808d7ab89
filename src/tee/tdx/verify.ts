/**
 * Verification of an Intel TDX DCAP quote v4 with its collateral, in pure TypeScript
 * (WebCrypto ECDSA P-256, PKI.js/asn1js for X.509 and CRLs), following the order of
 * Intel's Quote Verification Library (QuoteVerifier.cpp §4.1.2.4) and the "Intel TDX DCAP
 * Quoting Library API":
 *
 * 1. structure: the quote (quote.ts) and the collateral (collateral.ts);
 * 2. certificate chains, each to the pinned Intel SGX Root CA (DER SHA-256
 *    {@link INTEL_SGX_ROOT_CA_SHA256}): the quote's PCK chain, the TCB info and QE
 *    identity signing chains, the PCK CRL issuer chain;
 * 3. the CRLs' signatures (root CA CRL by the root, PCK CRL by its issuer, which must be
 *    the PCK certificate's issuer), then the TCB info's and QE identity's signatures;
 * 4. the QE report's signature by the PCK key, its report data binding the attestation
 *    key (SHA-256(key ‖ QE authentication data) ‖ 32 zero bytes), then the quote's
 *    signature over header ‖ TD report by the attestation key;
 * 5. time: every certificate, both CRLs (thisUpdate–nextUpdate) and the TCB info and QE
 *    identity (issueDate–nextUpdate) must be valid at T. Their intersection is the
 *    evidence's validity window; outside it the error names the item that bounds it
 *    (the first to expire, or the last to begin);
 * 6. revocation: no certificate issued by the root is on the root CA CRL, the PCK
 *    certificate is not on the PCK CRL;
 * 7. TCB: FMSPC and PCE-ID of the PCK certificate match the TCB info, then tcb.ts
 *    decides the status;
 * 8. policy: a debug TD (TDATTRIBUTES bit 0) is refused unless allowed; the status must
 *    be accepted (default `UpToDate` only); the report data, when expected, must match.
 *
 * Every failure is one line naming the part and the check.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { AttestationError, InvalidArgumentError } from '../../shared/errors.js';
import { importEcdsaPublicKey, verifyEcdsa, type EcPublicKey } from '../pki/ecdsa.js';
import { ecdsaDerToRaw } from '../pki/x509-certificate.js';
import { verifyCertificateChain, type CertificateSummary, type VerifiedChain } from '../pki/x509-chain.js';
import { decodeTdxCollateral, TCB_STATUSES, type TcbStatus, type TdxCollateral } from './collateral.js';
import type { Crl } from './crl.js';
import { parsePckExtensions, SGX_EXTENSIONS_OID, type PckExtensions } from './pck.js';
import { parsePemCertificates } from './pem.js';
import { decodeTdxQuote, type TdxQuote } from './quote.js';
import { evaluateTcb, type TcbEvaluation } from './tcb.js';

/**
 * DER SHA-256 fingerprint of the Intel SGX Root CA (CN=Intel SGX Root CA, O=Intel
 * Corporation, 2018-05-21 to 2049-12-31, P-256), the root of every DCAP certificate; Intel
 * publishes it at certificates.trustedservices.intel.com
 * (Intel_SGX_Provisioning_Certification_RootCA.cer).
 */
export const INTEL_SGX_ROOT_CA_SHA256 = '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3';

/** Options of {@link verifyTdxQuote}. */
export interface TdxVerifyOptions {
  /** The collateral JSON (collateral.ts), as bytes. */
  collateral: Uint8Array;
  /** Time T at which certificates, CRLs, TCB info and QE identity must be valid; default now. */
  at?: Date;
  /** Hex SHA-256 of the pinned root's DER; default {@link INTEL_SGX_ROOT_CA_SHA256}. */
  rootFingerprint?: string;
  /** Accepted TCB statuses; default `["UpToDate"]`. */
  acceptedTcbStatuses?: readonly TcbStatus[];
  /** Accept a debug TD (TDATTRIBUTES.DEBUG); default false. */
  allowDebug?: boolean;
  /** The 64 bytes of REPORTDATA the TD must have bound (bytes or hex). */
  expectedReportData?: Uint8Array | string;
}

/** The verified content of a TDX quote. */
export interface TdxVerification {
  teeType: 'TDX';
  quoteVersion: 4;
  /** The converged TCB status (tcb.ts), and its parts. */
  tcbStatus: TcbStatus;
  platformTcbStatus: TcbStatus;
  tcbDate: string;
  tdxModule?: { id: string; status: string };
  qeTcbStatus: string;
  advisoryIds: string[];
  /** TDATTRIBUTES.DEBUG is set. */
  debug: boolean;
  /** The TD report, hex. */
  td: {
    teeTcbSvn: string;
    mrSeam: string;
    mrSignerSeam: string;
    seamAttributes: string;
    tdAttributes: string;
    xfam: string;
    mrTd: string;
    mrConfigId: string;
    mrOwner: string;
    mrOwnerConfig: string;
    rtmr0: string;
    rtmr1: string;
    rtmr2: string;
    rtmr3: string;
    reportData: string;
  };
  /** The quoting enclave. */
  qe: { mrEnclave: string; mrSigner: string; isvProdId: number; isvSvn: number };
  /** The platform, from the PCK certificate. */
  platform: PckExtensions;
  /** The PCK chain, root first. */
  pckCertificateChain: CertificateSummary[];
  /** Validity of the collateral items. */
  collateral: {
    tcbInfo: { issueDate: string; nextUpdate: string; tcbEvaluationDataNumber: number };
    qeIdentity: { issueDate: string; nextUpdate: string; tcbEvaluationDataNumber: number };
    rootCaCrl: { thisUpdate: string; nextUpdate: string };
    pckCrl: { thisUpdate: string; nextUpdate: string };
  };
  /** The window in which every certificate and collateral item is valid. */
  validity: { notBefore: string; notAfter: string };
  /** The time T of the check, ISO 8601. */
  verifiedAt: string;
}

const optionsSchema = z.strictObject({
  collateral: z.instanceof(Uint8Array, { error: 'expected the collateral JSON as bytes' }),
  at: z.date({ error: 'expected a valid Date' }).optional(),
  rootFingerprint: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits (a SHA-256)')
    .optional(),
  acceptedTcbStatuses: z.array(z.enum(TCB_STATUSES)).min(1, 'expected at least one status').optional(),
  allowDebug: z.boolean({ error: 'expected a boolean' }).optional(),
  expectedReportData: z
    .union([z.instanceof(Uint8Array), z.string().regex(/^[0-9a-fA-F]*$/)], { error: 'expected a Uint8Array or a hex string' })
    .refine((v) => (typeof v === 'string' ? v.length === 128 : v.length === 64), 'expected 64 bytes')
    .optional(),
});

function checkOptions(options: unknown): TdxVerifyOptions {
  const parsed = optionsSchema.safeParse(options);
  if (parsed.success) return parsed.data as TdxVerifyOptions;
  const issue = parsed.error.issues[0]!;
  throw new InvalidArgumentError(`invalid ${issue.path.length > 0 ? `option ${issue.path.map(String).join('.')}` : 'options'}: ${issue.message}`);
}

const fail = (part: string, message: string, cause?: unknown): never => {
  throw new AttestationError(`${part}: ${message}`, cause === undefined ? {} : { cause });
};

/** Verifies a chain given leaf first (as DCAP writes it) against the pinned root; time is checked later with the collateral's. */
function verifyChain(ders: readonly Uint8Array[], name: string, rootFingerprint: string, leaf: { purpose: string; crlIssuer?: boolean }): Promise<VerifiedChain> {
  const chain = ders.map((der, i) => ({ label: `${name}[${i}]`, der })).reverse();
  return verifyCertificateChain(chain, { rootFingerprint, leafKey: { curve: 'P-256', purpose: leaf.purpose }, crlIssuer: leaf.crlIssuer === true });
}

async function verifyRawSignature(key: EcPublicKey, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  return signature.length === 64 && verifyEcdsa(key, 'SHA-256', signature, data);
}

/** Checks that a CRL is issued by the certificate at `index` of a verified chain and signed by its key. */
async function verifyCrl(crl: Crl, issuer: VerifiedChain, index: number, field: string): Promise<void> {
  const cert = issuer.fields[index]!;
  const label = issuer.certificates[index]!.label;
  if (crl.issuerDer !== cert.subjectDer) fail('collateral', `${field} is not issued by ${label} (${cert.subject})`);
  let raw: Uint8Array;
  try {
    raw = ecdsaDerToRaw(crl.signature, 32);
  } catch (error) {
    return fail('collateral', `${field} signature is not a valid ECDSA signature encoding`, error);
  }
  if (!(await verifyEcdsa(issuer.keys[index]!, 'SHA-256', raw, crl.tbs))) fail('collateral', `${field} signature does not verify with the key of ${label}`);
}

/** One time-bounded item of the evidence. */
interface Window {
  what: string;
  notBefore: Date;
  notAfter: Date;
}

/** The intersection of every window, or the item that excludes `at`. */
function checkTime(windows: readonly Window[], at: Date): { notBefore: string; notAfter: string } {
  const t = at.getTime();
  const expired = windows.filter((w) => t > w.notAfter.getTime()).sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime())[0];
  if (expired) fail('validity', `${expired.what} expired at ${expired.notAfter.toISOString()}`);
  const early = windows.filter((w) => t < w.notBefore.getTime()).sort((a, b) => b.notBefore.getTime() - a.notBefore.getTime())[0];
  if (early) fail('validity', `${early.what} is not valid before ${early.notBefore.toISOString()}`);
  const notBefore = Math.max(...windows.map((w) => w.notBefore.getTime()));
  const notAfter = Math.min(...windows.map((w) => w.notAfter.getTime()));
  return { notBefore: new Date(notBefore).toISOString(), notAfter: new Date(notAfter).toISOString() };
}

/** The time-bounded collateral items: both CRLs, the TCB info and the QE identity. */
function collateralWindows(collateral: TdxCollateral): Window[] {
  const { tcbInfo, qeIdentity, rootCaCrl, pckCrl } = collateral;
  return [
    { what: 'root_ca_crl', notBefore: rootCaCrl.thisUpdate, notAfter: rootCaCrl.nextUpdate },
    { what: 'pck_crl', notBefore: pckCrl.thisUpdate, notAfter: pckCrl.nextUpdate },
    { what: 'tcb_info', notBefore: new Date(tcbInfo.issueDate), notAfter: new Date(tcbInfo.nextUpdate) },
    { what: 'qe_identity', notBefore: new Date(qeIdentity.issueDate), notAfter: new Date(qeIdentity.nextUpdate) },
  ];
}

/**
 * When a collateral file expires: the earliest `nextUpdate` of its CRLs, TCB info and QE
 * identity (its certificates live for years). Nothing is verified.
 * @param collateral - the collateral JSON, as bytes
 * @throws {AttestationError} when it is malformed
 */
export function collateralExpiry(collateral: Uint8Array): Date {
  return new Date(Math.min(...collateralWindows(decodeTdxCollateral(collateral)).map((w) => w.notAfter.getTime())));
}

const certWindows = (chain: VerifiedChain): Window[] => chain.fields.map((f, i) => ({ what: chain.certificates[i]!.label, notBefore: f.notBefore, notAfter: f.notAfter }));

function pckExtensionsOf(chain: VerifiedChain): PckExtensions {
  const leaf = chain.fields[chain.fields.length - 1]!;
  const label = chain.certificates[chain.certificates.length - 1]!.label;
  if (!/(^|, )CN=[^,]*SGX PCK Certificate/.test(leaf.subject)) fail('certificate chain', `${label} is not an SGX PCK certificate (subject ${leaf.subject})`);
  const ext = leaf.extensions.find((e) => e.oid === SGX_EXTENSIONS_OID);
  if (!ext) fail('certificate chain', `${label} has no SGX extensions (${SGX_EXTENSIONS_OID})`);
  try {
    return parsePckExtensions(ext!.value);
  } catch (error) {
    return fail('certificate chain', `${label} SGX extensions: ${(error as Error).message}`, error);
  }
}

function checkRevocation(chains: readonly VerifiedChain[], pck: VerifiedChain, collateral: TdxCollateral): void {
  for (const chain of chains) {
    chain.fields.forEach((f, i) => {
      // The root CA CRL lists what the root issued: the root itself and the CAs and signing certificates below it.
      if (i <= 1 && collateral.rootCaCrl.revokedSerials.has(f.serialNumber)) fail('revocation', `${chain.certificates[i]!.label} (serial ${f.serialNumber}) is revoked by root_ca_crl`);
    });
  }
  const leaf = pck.fields[pck.fields.length - 1]!;
  if (collateral.pckCrl.revokedSerials.has(leaf.serialNumber)) fail('revocation', `${pck.certificates[pck.certificates.length - 1]!.label} (serial ${leaf.serialNumber}) is revoked by pck_crl`);
}

function reportOf(quote: TdxQuote): TdxVerification['td'] {
  const r = quote.report;
  const h = bytesToHex;
  return {
    teeTcbSvn: h(r.teeTcbSvn),
    mrSeam: h(r.mrSeam),
    mrSignerSeam: h(r.mrSignerSeam),
    seamAttributes: h(r.seamAttributes),
    tdAttributes: h(r.tdAttributes),
    xfam: h(r.xfam),
    mrTd: h(r.mrTd),
    mrConfigId: h(r.mrConfigId),
    mrOwner: h(r.mrOwner),
    mrOwnerConfig: h(r.mrOwnerConfig),
    rtmr0: h(r.rtmrs[0]),
    rtmr1: h(r.rtmrs[1]),
    rtmr2: h(r.rtmrs[2]),
    rtmr3: h(r.rtmrs[3]),
    reportData: h(r.reportData),
  };
}

/**
 * Verifies an Intel TDX DCAP quote v4 with its collateral at a time T.
 * @param quoteBytes - the quote, binary
 * @param options - the collateral, time, pinned root, accepted TCB statuses, debug, expected report data
 * @returns the TD's measurements and report data, the TCB status and the evidence's validity window
 * @throws {AttestationError} one line naming the first check that failed ("TDX quote: …",
 *   "collateral: …", "certificate chain: …", "signature: …", "validity: …", "revocation: …",
 *   "TCB: …", "policy: …")
 * @throws {InvalidArgumentError} when an option is malformed
 */
export async function verifyTdxQuote(quoteBytes: Uint8Array, options: TdxVerifyOptions): Promise<TdxVerification> {
  const opts = checkOptions(options);
  const at = opts.at ?? new Date();
  const rootFingerprint = (opts.rootFingerprint ?? INTEL_SGX_ROOT_CA_SHA256).toLowerCase();

  const quote = decodeTdxQuote(quoteBytes);
  let pckDers: Uint8Array[];
  try {
    pckDers = parsePemCertificates(Buffer.from(quote.pckChainPem).toString('latin1'), { trailingNul: true });
  } catch (error) {
    return fail('TDX quote', `PCK certificate chain: ${(error as Error).message}`, error);
  }
  const collateral = decodeTdxCollateral(opts.collateral);

  const pckChain = await verifyChain(pckDers, 'PCK chain', rootFingerprint, { purpose: 'the QE report signature' });
  const tcbChain = await verifyChain(collateral.tcbInfoIssuerChain, 'tcb_info_issuer_chain', rootFingerprint, { purpose: 'the TCB info signature' });
  const qeChain = await verifyChain(collateral.qeIdentityIssuerChain, 'qe_identity_issuer_chain', rootFingerprint, { purpose: 'the QE identity signature' });
  const crlChain = await verifyChain(collateral.pckCrlIssuerChain, 'pck_crl_issuer_chain', rootFingerprint, { purpose: 'the PCK CRL signature', crlIssuer: true });
  const platform = pckExtensionsOf(pckChain);

  await verifyCrl(collateral.rootCaCrl, pckChain, 0, 'root_ca_crl');
  await verifyCrl(collateral.pckCrl, crlChain, crlChain.fields.length - 1, 'pck_crl');
  const pckLeaf = pckChain.fields[pckChain.fields.length - 1]!;
  if (collateral.pckCrl.issuerDer !== pckLeaf.issuerDer) fail('collateral', `pck_crl is not issued by the PCK certificate's issuer (${pckLeaf.issuer})`);
  if (!(await verifyRawSignature(tcbChain.leafKey, collateral.tcbInfoSignature, collateral.tcbInfoBytes)))
    fail('signature', 'tcb_info_signature does not verify with the key of tcb_info_issuer_chain[0]');
  if (!(await verifyRawSignature(qeChain.leafKey, collateral.qeIdentitySignature, collateral.qeIdentityBytes)))
    fail('signature', 'qe_identity_signature does not verify with the key of qe_identity_issuer_chain[0]');

  if (!(await verifyRawSignature(pckChain.leafKey, quote.qeReportSignature, quote.qeReport.raw))) fail('signature', 'the QE report signature does not verify with the key of PCK chain[0]');
  const binding = sha256(new Uint8Array([...quote.attestationKey, ...quote.qeAuthData]));
  const expectedQeData = bytesToHex(binding) + '00'.repeat(32);
  if (bytesToHex(quote.qeReport.reportData) !== expectedQeData) fail('signature', 'the QE report data is not SHA-256(attestation key ‖ QE authentication data) followed by 32 zero bytes');
  let attestationKey: EcPublicKey;
  try {
    attestationKey = await importEcdsaPublicKey(new Uint8Array([...Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'), 0x04, ...quote.attestationKey]), 'P-256');
  } catch (error) {
    return fail('signature', 'the attestation key is not a P-256 point', error);
  }
  if (!(await verifyRawSignature(attestationKey, quote.signature, quote.signedBytes))) fail('signature', 'the quote signature does not verify with the attestation key');

  const { tcbInfo, qeIdentity, rootCaCrl, pckCrl } = collateral;
  const validity = checkTime([...[pckChain, tcbChain, qeChain, crlChain].flatMap(certWindows), ...collateralWindows(collateral)], at);
  checkRevocation([pckChain, tcbChain, qeChain, crlChain], pckChain, collateral);

  if (platform.fmspc !== tcbInfo.fmspc.toLowerCase()) fail('TCB', `the PCK certificate's FMSPC ${platform.fmspc} is not the TCB info's ${tcbInfo.fmspc.toLowerCase()}`);
  if (platform.pceId !== tcbInfo.pceId.toLowerCase()) fail('TCB', `the PCK certificate's PCE-ID ${platform.pceId} is not the TCB info's ${tcbInfo.pceId.toLowerCase()}`);
  const tcb: TcbEvaluation = evaluateTcb(tcbInfo, qeIdentity, platform, quote.report, quote.qeReport);

  const debug = (quote.report.tdAttributes[0]! & 0x01) !== 0;
  if (debug && !opts.allowDebug) fail('policy', 'debug TD (TDATTRIBUTES.DEBUG is set) refused');
  const accepted = opts.acceptedTcbStatuses ?? ['UpToDate'];
  if (!accepted.includes(tcb.status))
    fail('policy', `TCB status ${tcb.status} is not accepted (accepted: ${accepted.join(', ')})${tcb.advisoryIds.length > 0 ? `; advisories ${tcb.advisoryIds.join(', ')}` : ''}`);
  const td = reportOf(quote);
  if (opts.expectedReportData !== undefined) {
    const expected = typeof opts.expectedReportData === 'string' ? opts.expectedReportData.toLowerCase() : bytesToHex(opts.expectedReportData);
    if (td.reportData !== expected) fail('policy', `report data ${td.reportData} does not match the expected ${expected}`);
  }

  const result: TdxVerification = {
    teeType: 'TDX',
    quoteVersion: 4,
    tcbStatus: tcb.status,
    platformTcbStatus: tcb.platformStatus,
    tcbDate: tcb.tcbDate,
    qeTcbStatus: tcb.qeStatus,
    advisoryIds: tcb.advisoryIds,
    debug,
    td,
    qe: { mrEnclave: bytesToHex(quote.qeReport.mrEnclave), mrSigner: bytesToHex(quote.qeReport.mrSigner), isvProdId: quote.qeReport.isvProdId, isvSvn: quote.qeReport.isvSvn },
    platform,
    pckCertificateChain: pckChain.certificates,
    collateral: {
      tcbInfo: { issueDate: tcbInfo.issueDate, nextUpdate: tcbInfo.nextUpdate, tcbEvaluationDataNumber: tcbInfo.tcbEvaluationDataNumber },
      qeIdentity: { issueDate: qeIdentity.issueDate, nextUpdate: qeIdentity.nextUpdate, tcbEvaluationDataNumber: qeIdentity.tcbEvaluationDataNumber },
      rootCaCrl: { thisUpdate: rootCaCrl.thisUpdate.toISOString(), nextUpdate: rootCaCrl.nextUpdate.toISOString() },
      pckCrl: { thisUpdate: pckCrl.thisUpdate.toISOString(), nextUpdate: pckCrl.nextUpdate.toISOString() },
    },
    validity,
    verifiedAt: at.toISOString(),
  };
  if (tcb.tdxModule) result.tdxModule = tcb.tdxModule;
  return result;
}
