/**
 * The collateral a TDX quote is verified with, in the JSON form of Phala-Network/dcap-qvl's
 * `QuoteCollateralV3` (what its `get_collateral` writes from Intel's Provisioning
 * Certification Service or a PCCS):
 *
 * | field | content |
 * |---|---|
 * | `tcb_info` | the TDX TCB info v3 JSON text (PCS `tcbInfo`), signed as these exact bytes |
 * | `tcb_info_signature` | its ECDSA P-256 signature r‖s, lower-case hex |
 * | `tcb_info_issuer_chain` | PEM: the Intel SGX TCB Signing certificate, then the root |
 * | `qe_identity` | the TD quoting enclave identity v2 JSON text (PCS `enclaveIdentity`, id `TD_QE`) |
 * | `qe_identity_signature`, `qe_identity_issuer_chain` | as for the TCB info |
 * | `root_ca_crl` | the Intel SGX Root CA's CRL, DER in lower-case hex |
 * | `pck_crl` | the PCK CA's CRL, DER in lower-case hex |
 * | `pck_crl_issuer_chain` | PEM: the PCK CA that signs `pck_crl`, then the root |
 *
 * The TCB info and QE identity formats are Intel's PCS API v4 ("TDX TCB Info" v3,
 * "Enclave Identity" v2); their schemas below are strict, so a field this verifier does not
 * know fails instead of being ignored. Nothing is trusted here: signatures, chains and
 * times are checked by verify.ts, for every quote.
 *
 * Decoding is a pure function of the bytes and one collateral serves every quote of a
 * platform until its next update, so decoded collateral is memoised by its SHA-256
 * (bounded, oldest dropped first): PKI.js takes about 15 ms to read the 44-entry PCK CRL
 * of the recorded collateral, more than all the signature checks together.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { AttestationError } from '../../shared/errors.js';
import { parseCrl, type Crl } from './crl.js';
import { parsePemCertificates } from './pem.js';

/** Largest collateral file accepted (real ones are about 16 KiB). */
export const MAX_COLLATERAL_BYTES = 1024 * 1024;

/** Platform TCB statuses of TCB info v3 levels, best first. */
export const TCB_STATUSES = ['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded', 'ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded', 'Revoked'] as const;
export type TcbStatus = (typeof TCB_STATUSES)[number];
/** Statuses of enclave identity and TDX module identity levels. */
const IDENTITY_STATUSES = ['UpToDate', 'OutOfDate', 'Revoked'] as const;

const isoTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/, 'expected an ISO 8601 UTC time')
  .refine((t) => !Number.isNaN(Date.parse(t)), 'expected a valid time');
const hexOf = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${2 * bytes}}$`), `expected ${bytes} bytes of hex`);
const svn = z.number().int().min(0).max(255);
const svn16 = z.number().int().min(0).max(65535);
const component = z.strictObject({ svn, category: z.string().optional(), type: z.string().optional() });
const advisoryIDs = z.array(z.string()).optional();
const identityLevel = z.strictObject({ tcb: z.strictObject({ isvsvn: svn16 }), tcbDate: isoTime, tcbStatus: z.enum(IDENTITY_STATUSES), advisoryIDs });
const moduleFields = { mrsigner: hexOf(48), attributes: hexOf(8), attributesMask: hexOf(8) };

/** TDX TCB info v3 (Intel PCS API v4, "TCB Info" for TDX). */
export const tcbInfoSchema = z.strictObject({
  id: z.literal('TDX'),
  version: z.literal(3),
  issueDate: isoTime,
  nextUpdate: isoTime,
  fmspc: hexOf(6),
  pceId: hexOf(2),
  tcbType: z.literal(0),
  tcbEvaluationDataNumber: z.number().int().nonnegative(),
  tdxModule: z.strictObject(moduleFields),
  tdxModuleIdentities: z.array(z.strictObject({ id: z.string().regex(/^TDX_[0-9A-Fa-f]{2}$/), ...moduleFields, tcbLevels: z.array(identityLevel).min(1) })).optional(),
  tcbLevels: z
    .array(
      z.strictObject({
        tcb: z.strictObject({ sgxtcbcomponents: z.array(component).length(16), pcesvn: svn16, tdxtcbcomponents: z.array(component).length(16) }),
        tcbDate: isoTime,
        tcbStatus: z.enum(TCB_STATUSES),
        advisoryIDs,
      }),
    )
    .min(1),
});
export type TcbInfo = z.infer<typeof tcbInfoSchema>;

/** TD quoting enclave identity v2 (Intel PCS API v4, "Enclave Identity", id TD_QE). */
export const qeIdentitySchema = z.strictObject({
  id: z.literal('TD_QE'),
  version: z.literal(2),
  issueDate: isoTime,
  nextUpdate: isoTime,
  tcbEvaluationDataNumber: z.number().int().nonnegative(),
  miscselect: hexOf(4),
  miscselectMask: hexOf(4),
  attributes: hexOf(16),
  attributesMask: hexOf(16),
  mrsigner: hexOf(32),
  isvprodid: svn16,
  tcbLevels: z.array(identityLevel).min(1),
});
export type QeIdentity = z.infer<typeof qeIdentitySchema>;

const lowerHex = z.string().regex(/^(?:[0-9a-f]{2})+$/, 'expected lower-case hex');
const fileSchema = z.strictObject({
  pck_crl_issuer_chain: z.string(),
  root_ca_crl: lowerHex,
  pck_crl: lowerHex,
  tcb_info_issuer_chain: z.string(),
  tcb_info: z.string(),
  tcb_info_signature: lowerHex.length(128, 'expected 64 bytes of hex (r‖s)'),
  qe_identity_issuer_chain: z.string(),
  qe_identity: z.string(),
  qe_identity_signature: lowerHex.length(128, 'expected 64 bytes of hex (r‖s)'),
});

/** A structurally valid collateral whose signatures are not yet checked. */
export interface TdxCollateral {
  /** DER certificates in file order (signing certificate first, root last). */
  tcbInfoIssuerChain: Uint8Array[];
  qeIdentityIssuerChain: Uint8Array[];
  pckCrlIssuerChain: Uint8Array[];
  /** The signed JSON texts, as UTF-8 bytes, and what they say. */
  tcbInfoBytes: Uint8Array;
  tcbInfo: TcbInfo;
  tcbInfoSignature: Uint8Array;
  qeIdentityBytes: Uint8Array;
  qeIdentity: QeIdentity;
  qeIdentitySignature: Uint8Array;
  rootCaCrl: Crl;
  pckCrl: Crl;
}

function fail(message: string, cause?: unknown): never {
  throw new AttestationError(`collateral: ${message}`, cause === undefined ? {} : { cause });
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.length > 0 ? `at "${issue.path.join('.')}": ` : ''}${issue.message}`;
}

function parseSigned<T>(text: string, field: string, schema: z.ZodType<T>): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    fail(`${field} is not JSON`, error);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) fail(`${field} ${firstIssue(parsed.error)}`);
  return parsed.data;
}

function chain(text: string, field: string): Uint8Array[] {
  try {
    return parsePemCertificates(text);
  } catch (error) {
    return fail(`${field}: ${(error as Error).message}`, error);
  }
}

function crl(hex: string, field: string): Crl {
  try {
    return parseCrl(new Uint8Array(Buffer.from(hex, 'hex')));
  } catch (error) {
    return fail(`${field} is not a valid CRL: ${(error as Error).message}`, error);
  }
}

/**
 * Decodes a collateral file: the JSON object, its PEM chains, CRLs, and the TCB info and
 * QE identity it carries as signed text.
 * @param bytes - the file's bytes (UTF-8 JSON)
 * @returns every part, decoded, with the exact bytes each signature covers
 * @throws {AttestationError} one line starting "collateral:" naming the field that is wrong
 */
export function decodeTdxCollateral(bytes: Uint8Array): TdxCollateral {
  if (bytes.length > MAX_COLLATERAL_BYTES) fail(`${bytes.length} bytes, more than the ${MAX_COLLATERAL_BYTES} allowed`);
  const id = bytesToHex(sha256(bytes));
  const cached = decodedCache.get(id);
  if (cached) return cached;
  const decoded = decode(bytes);
  if (decodedCache.size >= DECODED_CACHE_LIMIT) decodedCache.delete(decodedCache.keys().next().value!);
  decodedCache.set(id, decoded);
  return decoded;
}

const decodedCache = new Map<string, TdxCollateral>();
const DECODED_CACHE_LIMIT = 32;

/** Empties the decoded-collateral memo (for cold-start measurements and tests). */
export function clearCollateralCache(): void {
  decodedCache.clear();
}

function decode(bytes: Uint8Array): TdxCollateral {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    fail('not UTF-8 JSON', error);
  }
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) fail(firstIssue(parsed.error));
  const f = parsed.data;
  const utf8 = (text: string) => new TextEncoder().encode(text);
  return {
    tcbInfoIssuerChain: chain(f.tcb_info_issuer_chain, 'tcb_info_issuer_chain'),
    qeIdentityIssuerChain: chain(f.qe_identity_issuer_chain, 'qe_identity_issuer_chain'),
    pckCrlIssuerChain: chain(f.pck_crl_issuer_chain, 'pck_crl_issuer_chain'),
    tcbInfoBytes: utf8(f.tcb_info),
    tcbInfo: parseSigned(f.tcb_info, 'tcb_info', tcbInfoSchema),
    tcbInfoSignature: new Uint8Array(Buffer.from(f.tcb_info_signature, 'hex')),
    qeIdentityBytes: utf8(f.qe_identity),
    qeIdentity: parseSigned(f.qe_identity, 'qe_identity', qeIdentitySchema),
    qeIdentitySignature: new Uint8Array(Buffer.from(f.qe_identity_signature, 'hex')),
    rootCaCrl: crl(f.root_ca_crl, 'root_ca_crl'),
    pckCrl: crl(f.pck_crl, 'pck_crl'),
  };
}
