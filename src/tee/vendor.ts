/**
 * The attestation vendor interface (DESIGN.md "Attestation vendors"): every kind of TEE
 * evidence zkinfer understands — AWS Nitro Enclaves, Intel TDX, the local `dev` key — is a
 * plug-in in its own folder (`src/tee/<vendor>/`) that implements {@link AttestationVendor},
 * listed once in the registry (src/tee/registry.ts). A plug-in decodes its evidence,
 * verifies it at a time T against its pinned roots, and returns what it proves in the
 * vendor-neutral terms of {@link AttestationEvidence}: measurements named as the vendor
 * names them (Nitro `pcr0`…; TDX `mrtd`, `rtmr0`…), the report data the enclave chose
 * (Nitro `user_data`, TDX `REPORTDATA`), a nonce where the vendor has one, the debug flag
 * and the window in which the evidence verifies.
 *
 * Receipts, the policy and the `attest` command only talk to this interface: a receipt's
 * `attestation.provider` names the vendor, the policy keys its measurement allowlists by
 * vendor (`vendors.<name>.measurements`), and `attest verify` detects the vendor from the
 * document's first bytes.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { InvalidArgumentError } from '../shared/errors.js';
import type { AttestationProvider } from './provider.js';

/** What verified evidence proves, in the same terms for every vendor. */
export interface AttestationEvidence {
  /** The vendor's registry name (`nitro`, `tdx`, `dev`). */
  vendor: string;
  /** Whether the evidence comes from hardware (decided by the vendor, never by a receipt field). */
  hardware: boolean;
  /** Measurements, lower-case hex, keyed as the vendor names them (Nitro `pcr0`…`pcr31`; TDX `mrtd`, `rtmr0`…`rtmr3`, …). */
  measurements: Record<string, string>;
  /** The data the enclave bound into the evidence, lower-case hex (Nitro `user_data`, TDX `REPORTDATA`, dev `userData`); empty when none. */
  reportData: string;
  /** The nonce, lower-case hex, for vendors whose evidence has a nonce field (Nitro, dev). */
  nonce?: string;
  /** A public key the evidence carries, hex (Nitro `public_key`; dev: the signing key). */
  publicKey?: string;
  /** The encryption key the evidence carries, hex (Nitro `public_key`; dev: the signed `encryptionKey`): the enclave's HPKE key on the encrypted path. */
  encryptionKey?: string;
  /** Whether the enclave runs in a debug mode whose measurements prove nothing. */
  debug: boolean;
  /** The signed creation time, ms since the epoch, for vendors that sign one (Nitro, dev). */
  timestamp?: number;
  /** The platform's TCB status, for vendors with TCB levels (TDX: `UpToDate`, `OutOfDate`, …). */
  tcbStatus?: string;
  /** The window in which every certificate and collateral item is valid, ISO 8601; absent for dev keys. */
  validity?: { notBefore: string; notAfter: string };
  /** The time T at which the evidence was verified, ISO 8601. */
  verifiedAt: string;
}

/** Vendor-neutral options of a stand-alone verification (`zkinfer attest verify`, {@link AttestationVendor.verify}). */
export interface VerifyEvidenceOptions {
  /** Time T at which certificates and collateral must be valid; default now. */
  at?: Date;
  /** Hex SHA-256 of the root certificate to pin instead of the vendor's own root. */
  rootFingerprint?: string;
  /** Accept evidence from a debug-mode enclave; default false. */
  allowDebug?: boolean;
  /** The nonce the evidence must carry (vendors with a nonce field only). */
  expectedNonce?: Uint8Array | string;
  /** The report data / user data the evidence must carry, exactly. */
  expectedUserData?: Uint8Array | string;
  /** Evidence the vendor signs but delivers apart from the document (TDX: the collateral JSON). */
  collateral?: Uint8Array;
  /** TCB statuses accepted (vendors with TCB levels only); default `["UpToDate"]`. */
  acceptedTcbStatuses?: readonly string[];
}

/** The outcome of a stand-alone verification. */
export interface VendorVerification {
  /** The vendor-neutral evidence. */
  evidence: AttestationEvidence;
  /** The vendor's own, complete result, as `attest verify --json` prints it. */
  report: object;
  /** Readable lines for `attest verify` (after the "valid: <file> is <title>" line). */
  summary: string[];
}

/** What a receipt's attestation must bind (src/tee/receipt-attestation.ts). */
export interface ReceiptEvidenceOptions {
  /** The attested receipt digest, hex. */
  digest: string;
  /** The receipt nonce, hex. */
  nonce: string;
  /** The evaluation time (used by vendors whose evidence has no signed time, such as TDX). */
  now: Date;
  /** Hex SHA-256 of a root to pin instead of the vendor's (tests with throw-away CAs only). */
  rootFingerprint?: string;
  /** Dev keys accepted (hex); any when absent. */
  devPublicKeys?: readonly string[];
}

/** One accepted measurement set: every listed measurement must match. */
export type MeasurementEntry = Readonly<Record<string, string>>;

/** A vendor's section of the policy file (`vendors.<name>`). */
export interface VendorPolicy {
  /** Accepted measurement sets, keyed as the vendor names its measurements. */
  measurements?: readonly MeasurementEntry[];
  /** Accepted TCB statuses (vendors with TCB levels); default `["UpToDate"]`. */
  acceptedTcbStatuses?: readonly string[];
}

/** The parts of the policy file vendors read. */
export interface PolicyView {
  /** Nitro's allowlist under its original name (src/verify/policy.ts). */
  allowedPcrs?: readonly MeasurementEntry[];
  /** Per-vendor sections. */
  vendors?: Readonly<Record<string, VendorPolicy | undefined>>;
}

/** How a vendor's measurements look, to validate policy entries. */
export interface MeasurementSpec {
  /** Accepted keys. */
  keys: RegExp;
  /** The keys in words, for messages ("pcr0 to pcr31"). */
  keysText: string;
  /** Accepted value lengths in bytes. */
  bytes: readonly number[];
  /** What the measurements are called in reasons ("PCRs"). */
  noun: string;
}

/** An attestation vendor plug-in. */
export interface AttestationVendor {
  /** Registry name, recorded as a receipt's `attestation.provider`. */
  readonly name: string;
  /** The receipt's `attestation.format` for this vendor's documents. */
  readonly format: string;
  /** What a document is, for messages: "an AWS Nitro Enclaves attestation document". */
  readonly title: string;
  /** Whether its evidence is hardware evidence. */
  readonly hardware: boolean;
  /** Its measurements, for policy entries; absent for vendors without measurements (dev). */
  readonly measurements?: MeasurementSpec;
  /** TCB statuses its evidence can report, best first (vendors with TCB levels). */
  readonly tcbStatuses?: readonly string[];
  /** Why a debug-mode enclave's evidence does not count, for policy reasons. */
  readonly debugReason?: string;
  /** Tells whether bytes look like this vendor's document (for `attest verify`). */
  detect(document: Uint8Array): boolean;
  /**
   * Verifies a stand-alone document.
   * @throws {AttestationError} one line naming the first check that failed
   * @throws {InvalidArgumentError} for a malformed option
   */
  verify(document: Uint8Array, options: VerifyEvidenceOptions): Promise<VendorVerification>;
  /**
   * Verifies a receipt's document and that it binds the receipt digest and nonce the way
   * this vendor's provider binds them.
   * @throws {AttestationError} one line naming the first check that failed
   */
  verifyReceiptEvidence(document: Uint8Array, options: ReceiptEvidenceOptions): Promise<AttestationEvidence>;
  /**
   * Why verified hardware evidence does not count under a policy (empty: it counts), for
   * the vendor-specific rules (debug, measurements, TCB status); age and stakes are the
   * policy's. Defaults to {@link vendorDistrust}.
   */
  distrust?(evidence: AttestationEvidence, policy: PolicyView): string[];
  /** Creates this vendor's provider, for vendors that can attest from here. */
  createProvider?(options?: unknown): AttestationProvider;
}

const hexPattern = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * Converts bytes or hex to bytes.
 * @throws {InvalidArgumentError} "expected <name> to be bytes or hex, got …"
 */
export function bytesOf(value: Uint8Array | string, name: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string' && hexPattern.test(value)) return hexToBytes(value);
  throw new InvalidArgumentError(`expected ${name} to be bytes or hex, got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 20)) : typeof value}`);
}

/**
 * Finds the first entry whose every listed measurement equals the evidence's.
 * @returns the index of the matching entry, or -1
 */
export function matchMeasurements(measurements: Readonly<Record<string, string>>, entries: readonly MeasurementEntry[]): number {
  return entries.findIndex((entry) => Object.entries(entry).every(([key, expected]) => measurements[key] !== undefined && measurements[key] === expected.toLowerCase()));
}

/**
 * The zod schema of a vendor's policy section: `measurements` entries with the vendor's
 * keys and lengths, and `acceptedTcbStatuses` for vendors with TCB levels.
 */
export function vendorPolicySchema(vendor: AttestationVendor): z.ZodType<VendorPolicy> {
  const spec = vendor.measurements;
  const lengths = spec?.bytes ?? [];
  const value = z.string().regex(new RegExp(`^(?:${lengths.map((b) => `[0-9a-fA-F]{${2 * b}}`).join('|')})$`), `expected ${wordList(lengths.map(String), 'or')} bytes of hex`);
  const entry = z.record(z.string(), value).superRefine((e, ctx) => {
    const keys = Object.keys(e);
    if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'an entry must list at least one measurement' });
    for (const key of keys) if (!spec?.keys.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: `expected keys ${spec?.keysText ?? '(none)'}` });
  });
  const shape: Record<string, z.ZodType> = {};
  if (spec) shape.measurements = z.array(entry).optional();
  if (vendor.tcbStatuses)
    shape.acceptedTcbStatuses = z
      .array(z.enum(vendor.tcbStatuses as [string, ...string[]]))
      .min(1, 'expected at least one status')
      .optional();
  return z.strictObject(shape) as z.ZodType<VendorPolicy>;
}

/** "a", "a or b", "a, b or c". */
export function wordList(words: readonly string[], last: 'and' | 'or'): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} ${last} ${words[words.length - 1]}`;
}

/**
 * The vendor-specific reasons why verified hardware evidence does not count: a debug
 * enclave, no or no matching `vendors.<name>.measurements` entry, a TCB status the policy
 * does not accept (default: only `UpToDate`).
 * @returns one "attestation: …" line per reason (empty: it counts)
 */
export function vendorDistrust(vendor: AttestationVendor, evidence: AttestationEvidence, section: VendorPolicy | undefined): string[] {
  const out: string[] = [];
  const field = `vendors.${vendor.name}`;
  if (evidence.debug) out.push(`attestation: ${vendor.debugReason ?? 'debug enclave'}`);
  else if (vendor.measurements) {
    const entries = section?.measurements ?? [];
    if (entries.length === 0) out.push(`attestation: the policy allows no ${vendor.name} measurement (${field}.measurements is empty)`);
    else if (matchMeasurements(evidence.measurements, entries) < 0) out.push(`attestation: ${vendor.measurements.noun} match no ${field}.measurements entry`);
  }
  if (vendor.tcbStatuses) {
    const accepted = section?.acceptedTcbStatuses ?? ['UpToDate'];
    if (!accepted.includes(evidence.tcbStatus ?? '')) out.push(`attestation: TCB status ${evidence.tcbStatus ?? '(none)'} is not accepted (${field}.acceptedTcbStatuses: ${accepted.join(', ')})`);
  }
  return out;
}
