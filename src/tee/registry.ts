/**
 * The registry of attestation vendors (DESIGN.md "Attestation vendors"): the one list
 * that receipts, the policy, `zkinfer infer --attest` and `zkinfer attest verify` consult.
 * Adding a vendor is its folder under src/tee/, one line in {@link VENDORS} (and its
 * provider options below, when it has a provider), and its tests.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../shared/errors.js';
import { devVendor } from './dev/vendor.js';
import type { DevProviderOptions } from './dev/dev.js';
import { nitroVendor } from './nitro/vendor.js';
import type { NitroProviderOptions } from './nitro/provider.js';
import type { TdxProviderOptions } from './tdx/provider.js';
import { tdxVendor } from './tdx/vendor.js';
import type { AttestationProvider } from './provider.js';
import {
  vendorDistrust,
  vendorPolicySchema,
  wordList,
  type AttestationEvidence,
  type AttestationVendor,
  type PolicyView,
  type VendorPolicy,
  type VendorVerification,
  type VerifyEvidenceOptions,
} from './vendor.js';

/** Every vendor, in the order `attest verify` tries to recognise their documents. */
export const VENDORS: readonly AttestationVendor[] = [devVendor, nitroVendor, tdxVendor];

/** Options of each vendor's provider, by vendor name. */
export interface ProviderOptions {
  dev?: DevProviderOptions;
  nitro?: NitroProviderOptions;
  tdx?: TdxProviderOptions;
}

/** Registry names of every vendor. */
export const VENDOR_NAMES: readonly string[] = VENDORS.map((v) => v.name);

/** Vendors that can attest from here (`zkinfer infer --attest <name>`). */
export const PROVIDER_NAMES: readonly string[] = VENDORS.filter((v) => v.createProvider).map((v) => v.name);

/** The receipt `attestation.format` of each vendor's documents, by vendor name. */
export const ATTESTATION_FORMATS: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(VENDORS.map((v) => [v.name, v.format])));

/** The vendor of a name, if registered. */
export function vendorByName(name: string): AttestationVendor | undefined {
  return VENDORS.find((v) => v.name === name);
}

/** The vendor whose documents have this receipt format, if registered. */
export function vendorByFormat(format: string): AttestationVendor | undefined {
  return VENDORS.find((v) => v.format === format);
}

/**
 * The vendor whose documents look like these bytes. Bytes no vendor recognises are given
 * to the Nitro vendor, whose COSE decoder names what is wrong with them.
 */
export function detectVendor(document: Uint8Array): AttestationVendor {
  return VENDORS.find((v) => v.detect(document)) ?? nitroVendor;
}

/**
 * Creates a provider by vendor name.
 * @param options - each vendor's provider options, by vendor name
 * @throws {InvalidArgumentError} for a name without a provider
 */
export function createAttestationProvider(name: string, options: ProviderOptions = {}): AttestationProvider {
  const vendor = vendorByName(name);
  if (!vendor?.createProvider) throw new InvalidArgumentError(`expected an attestation provider (${wordList(PROVIDER_NAMES, 'or')}), got ${JSON.stringify(name)}`);
  return vendor.createProvider((options as Record<string, unknown>)[name]);
}

/** Options of {@link verifyAttestation}. */
export interface VerifyAttestationOptions extends VerifyEvidenceOptions {
  /** The vendor, by name; detected from the document when absent. */
  vendor?: string;
}

/**
 * Verifies a stand-alone attestation document of any registered vendor.
 * @param document - the document's bytes (Nitro: COSE_Sign1; TDX: a quote, with `collateral`)
 * @returns the vendor's name, the vendor-neutral evidence, its full report and summary lines
 * @throws {AttestationError} one line naming the first check that failed
 * @throws {InvalidArgumentError} for an unknown vendor or a malformed option
 */
export async function verifyAttestation(document: Uint8Array, options: VerifyAttestationOptions = {}): Promise<VendorVerification & { vendor: AttestationVendor }> {
  const { vendor: name, ...rest } = options;
  const vendor = name === undefined ? detectVendor(document) : vendorByName(name);
  if (!vendor) throw new InvalidArgumentError(`expected an attestation vendor (${wordList(VENDOR_NAMES, 'or')}), got ${JSON.stringify(name)}`);
  return { vendor, ...(await vendor.verify(document, rest)) };
}

/** The policy file's `vendors` object: one optional section per vendor with measurements or TCB levels. */
export const vendorPoliciesSchema: z.ZodType<Record<string, VendorPolicy | undefined>> = z.strictObject(
  Object.fromEntries(VENDORS.filter((v) => v.measurements || v.tcbStatuses).map((v) => [v.name, vendorPolicySchema(v).optional()])),
) as z.ZodType<Record<string, VendorPolicy | undefined>>;

/**
 * Why verified hardware evidence does not count under a policy, by its vendor's rules
 * (debug, measurement allowlist, TCB status).
 * @returns one "attestation: …" line per reason (empty: it counts)
 */
export function distrustEvidence(evidence: AttestationEvidence, policy: PolicyView): string[] {
  const vendor = vendorByName(evidence.vendor);
  if (!vendor) return [`attestation: unknown vendor ${JSON.stringify(evidence.vendor)}`];
  return vendor.distrust ? vendor.distrust(evidence, policy) : vendorDistrust(vendor, evidence, policy.vendors?.[vendor.name]);
}
