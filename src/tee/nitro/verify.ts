/**
 * Verification of AWS Nitro Enclaves attestation documents, in the order of the AWS Nitro
 * Enclaves User Guide, "Verifying the root of trust": syntactical validation of the
 * COSE_Sign1 envelope (RFC 9052) and of the document's fields, certificate chain from the
 * pinned AWS root to the leaf at a given time, then the ES384 signature with the leaf's key,
 * and finally zkinfer's policy (DESIGN.md, "TEE path and policy": debug enclaves refused,
 * PCR allowlist, nonce and user data bound to the receipt).
 *
 * Structural errors are reported before cryptographic ones, and time validity after
 * signatures, so each failure names its real cause.
 */
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { AttestationError, InvalidArgumentError } from '../../shared/errors.js';
import { verifyCoseSign1 } from './cose.js';
import { decodeNitroAttestation } from './document.js';
import { checkBinding, checkDebug, checkPcrAllowlist, isDebugEnclave, type PcrAllowlist } from './policy.js';
import { verifyCertificateChain, type CertificateSummary } from '../pki/x509-chain.js';

/** DER SHA-256 fingerprint of the AWS Nitro Enclaves root (CN=aws.nitro-enclaves, 2019–2049). */
export const AWS_NITRO_ROOT_SHA256 = '641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b';

/** Options of {@link verifyNitroAttestation}. */
export interface NitroVerifyOptions {
  /** Time at which the certificates must be valid; default: now. */
  at?: Date;
  /** Hex SHA-256 of the pinned root's DER; default {@link AWS_NITRO_ROOT_SHA256}. */
  rootFingerprint?: string;
  /** The nonce the document must carry (bytes or hex). */
  expectedNonce?: Uint8Array | string;
  /** The user data the document must carry (bytes or hex), e.g. the receipt digest. */
  expectedUserData?: Uint8Array | string;
  /** Accepted PCR measurements; when given, the document must match one entry. */
  pcrAllowlist?: PcrAllowlist;
  /** Accept debug-mode enclaves (PCR0–2 all zero); default false. */
  allowDebug?: boolean;
}

/** The verified, policy-relevant content of a Nitro attestation document. */
export interface NitroAttestation {
  /** Enclave module ID. */
  moduleId: string;
  /** Creation time, milliseconds since the UNIX epoch. */
  timestamp: number;
  /** PCR digest algorithm. */
  digest: 'SHA384';
  /** PCR values, lower-case hex, by index. */
  pcrs: Record<number, string>;
  /** Hex user data, when present. */
  userData?: string;
  /** Hex nonce, when present. */
  nonce?: string;
  /** Hex public key, when present. */
  publicKey?: string;
  /** Root first, leaf last. */
  certificateChain: CertificateSummary[];
  /** Whether PCR0, PCR1 and PCR2 are all zero (debug-mode enclave). */
  debug: boolean;
  /** Name (map) or index (array) of the matching allowlist entry, when an allowlist was given. */
  pcrAllowlistEntry?: string;
  /** The time at which the certificates were checked, ISO 8601. */
  verifiedAt: string;
}

const hex = z.string().regex(/^(?:[0-9a-fA-F]{2})*$/, 'expected an even number of hex digits');
const bytesOrHex = z.union([z.instanceof(Uint8Array), hex], { error: 'expected a Uint8Array or a hex string' });
const pcrHex = z.string().regex(/^(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$/, 'expected 32, 48 or 64 bytes of hex');
const measurement = z.record(z.string(), pcrHex).superRefine((entry, ctx) => {
  const keys = Object.keys(entry);
  if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'an entry must list at least one PCR' });
  for (const key of keys) {
    if (!/^pcr(?:[0-9]|[12][0-9]|3[01])$/.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'expected keys pcr0 to pcr31' });
  }
});
const optionsSchema = z.strictObject({
  at: z.date({ error: 'expected a valid Date' }).optional(),
  rootFingerprint: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits (a SHA-256)')
    .optional(),
  expectedNonce: bytesOrHex.optional(),
  expectedUserData: bytesOrHex.optional(),
  pcrAllowlist: z.custom<PcrAllowlist>((v) => v === undefined || (typeof v === 'object' && v !== null), 'expected an array or a map of PCR entries').optional(),
  allowDebug: z.boolean({ error: 'expected a boolean' }).optional(),
});

const allowlistArray = z.array(measurement).min(1, 'expected at least one entry');
const allowlistMap = z.record(z.string(), measurement).refine((map) => Object.keys(map).length > 0, 'expected at least one entry');

function check<T>(schema: z.ZodType<T>, value: unknown, prefix: PropertyKey[] = []): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [...prefix, ...issue.path];
  const where = path.length > 0 ? `option ${path.map(String).join('.')}` : 'options';
  throw new InvalidArgumentError(`invalid ${where}: ${issue.message}`);
}

function checkOptions(options: unknown): NitroVerifyOptions {
  const parsed = check(optionsSchema, options);
  if (parsed.pcrAllowlist !== undefined) {
    check<unknown>(Array.isArray(parsed.pcrAllowlist) ? allowlistArray : allowlistMap, parsed.pcrAllowlist, ['pcrAllowlist']);
  }
  return parsed as NitroVerifyOptions;
}

const toBytes = (value: Uint8Array | string): Uint8Array => (typeof value === 'string' ? hexToBytes(value) : value);

/**
 * Verifies an AWS Nitro Enclaves attestation document and applies the policy options.
 * @param doc - the document as returned by the NSM: COSE_Sign1, raw CBOR (tagged or not)
 * @param options - verification time, pinned root, expected nonce and user data, PCR
 *   allowlist, and whether debug enclaves are accepted
 * @returns the verified fields, the certificate chain and the debug flag
 * @throws {AttestationError} one line naming the first check that failed
 *   ("COSE_Sign1: …", "attestation document: …", "certificate chain: …", "attestation policy: …")
 * @throws {InvalidArgumentError} when an option is malformed
 */
export async function verifyNitroAttestation(doc: Uint8Array, options: NitroVerifyOptions = {}): Promise<NitroAttestation> {
  const opts = checkOptions(options);
  const at = opts.at ?? new Date();
  const { cose, document } = decodeNitroAttestation(doc);

  const chain = await verifyCertificateChain([...document.cabundle.map((der, i) => ({ label: `cabundle[${i}]`, der })), { label: 'certificate', der: document.certificate }], {
    at,
    rootFingerprint: (opts.rootFingerprint ?? AWS_NITRO_ROOT_SHA256).toLowerCase(),
    leafKey: { curve: 'P-384', purpose: 'ES384' },
  });
  if (!(await verifyCoseSign1(cose, chain.leafKey))) {
    throw new AttestationError('COSE_Sign1: signature does not verify with the key of certificate');
  }

  const pcrs: Record<number, string> = {};
  for (const [index, value] of [...document.pcrs].sort(([a], [b]) => a - b)) pcrs[index] = bytesToHex(value);
  const debug = isDebugEnclave(document.pcrs);
  checkDebug(debug, opts.allowDebug ?? false);
  const pcrAllowlistEntry = opts.pcrAllowlist === undefined ? undefined : checkPcrAllowlist(pcrs, opts.pcrAllowlist);
  if (opts.expectedNonce !== undefined) checkBinding('nonce', document.nonce, toBytes(opts.expectedNonce));
  if (opts.expectedUserData !== undefined) checkBinding('user_data', document.userData, toBytes(opts.expectedUserData));

  const result: NitroAttestation = {
    moduleId: document.moduleId,
    timestamp: document.timestamp,
    digest: document.digest,
    pcrs,
    certificateChain: chain.certificates,
    debug,
    verifiedAt: at.toISOString(),
  };
  if (document.userData !== undefined) result.userData = bytesToHex(document.userData);
  if (document.nonce !== undefined) result.nonce = bytesToHex(document.nonce);
  if (document.publicKey !== undefined) result.publicKey = bytesToHex(document.publicKey);
  if (pcrAllowlistEntry !== undefined) result.pcrAllowlistEntry = pcrAllowlistEntry;
  return result;
}
