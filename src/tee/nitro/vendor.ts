/**
 * The AWS Nitro Enclaves vendor plug-in (src/tee/vendor.ts): COSE_Sign1 documents from the
 * Nitro Secure Module, checked by `verifyNitroAttestation` against the pinned AWS Nitro
 * root. Measurements are the document's PCRs (`pcr0` … `pcr31`); the report data is
 * `user_data`; a receipt's document binds the receipt digest as `user_data` and the receipt
 * nonce as `nonce`, and is checked at its own signed time (how old it may be is the
 * policy's call).
 *
 * The policy's original `allowedPcrs` field is this vendor's allowlist; entries under
 * `vendors.nitro.measurements` are accepted beside it.
 */
import { InvalidArgumentError } from '../../shared/errors.js';
import type { CertificateSummary } from '../pki/x509-chain.js';
import { matchMeasurements, vendorDistrust, type AttestationEvidence, type AttestationVendor, type VerifyEvidenceOptions, type VendorVerification } from '../vendor.js';
import { decodeNitroAttestation, NITRO_FORMAT } from './document.js';
import { createNitroProvider, type NitroProviderOptions } from './provider.js';
import { verifyNitroAttestation, type NitroAttestation, type NitroVerifyOptions } from './verify.js';

const DEBUG_REASON = 'debug enclave (PCR0, PCR1 and PCR2 are all zero)';

/** The window in which every certificate of the chain is valid. */
function chainWindow(chain: readonly CertificateSummary[]): { notBefore: string; notAfter: string } {
  const notBefore = Math.max(...chain.map((c) => Date.parse(c.notBefore)));
  const notAfter = Math.min(...chain.map((c) => Date.parse(c.notAfter)));
  return { notBefore: new Date(notBefore).toISOString(), notAfter: new Date(notAfter).toISOString() };
}

/**
 * The vendor-neutral evidence of a verified Nitro document.
 * @param a - the result of `verifyNitroAttestation`
 */
export function nitroEvidence(a: NitroAttestation): AttestationEvidence {
  const measurements: Record<string, string> = {};
  for (const [index, value] of Object.entries(a.pcrs)) measurements[`pcr${index}`] = value;
  const evidence: AttestationEvidence = {
    vendor: 'nitro',
    hardware: true,
    measurements,
    reportData: a.userData ?? '',
    debug: a.debug,
    timestamp: a.timestamp,
    validity: chainWindow(a.certificateChain),
    verifiedAt: a.verifiedAt,
  };
  if (a.nonce !== undefined) evidence.nonce = a.nonce;
  if (a.publicKey !== undefined) evidence.publicKey = evidence.encryptionKey = a.publicKey;
  return evidence;
}

/** The lines `attest verify` prints for a valid document. */
function summarize(a: NitroAttestation): string[] {
  const leaf = a.certificateChain[a.certificateChain.length - 1];
  const root = a.certificateChain[0];
  return [
    `  module      ${a.moduleId}`,
    `  created     ${new Date(a.timestamp).toISOString()}`,
    `  debug       ${a.debug ? 'yes (PCR0, PCR1 and PCR2 are all zero)' : 'no'}`,
    ...[0, 1, 2, 8].filter((i) => a.pcrs[i] !== undefined).map((i) => `  PCR${i}${' '.repeat(i < 10 ? 8 : 7)}${a.pcrs[i]}`),
    `  nonce       ${a.nonce ?? '(none)'}`,
    `  user data   ${a.userData ?? '(none)'}`,
    `  chain       ${a.certificateChain.length} certificates, root SHA-256 ${root.sha256}`,
    `  leaf        valid ${leaf.notBefore} to ${leaf.notAfter}, checked at ${a.verifiedAt}`,
  ];
}

function nitroOptions(options: VerifyEvidenceOptions): NitroVerifyOptions {
  const { collateral, acceptedTcbStatuses, ...rest } = options;
  if (collateral !== undefined) throw new InvalidArgumentError('invalid option collateral: AWS Nitro Enclaves documents have no collateral');
  if (acceptedTcbStatuses !== undefined) throw new InvalidArgumentError('invalid option acceptedTcbStatuses: AWS Nitro Enclaves documents have no TCB status');
  const out: NitroVerifyOptions = { ...rest };
  for (const key of Object.keys(out) as Array<keyof NitroVerifyOptions>) if (out[key] === undefined) delete out[key];
  return out;
}

/** The `nitro` vendor. */
export const nitroVendor: AttestationVendor = {
  name: 'nitro',
  format: NITRO_FORMAT,
  title: 'an AWS Nitro Enclaves attestation document',
  hardware: true,
  measurements: { keys: /^pcr(?:[0-9]|[12][0-9]|3[01])$/, keysText: 'pcr0 to pcr31', bytes: [32, 48, 64], noun: 'PCRs' },
  debugReason: DEBUG_REASON,

  /** COSE_Sign1: a CBOR array of four (0x84) or tag 18 (0xd2). */
  detect: (document) => document[0] === 0x84 || document[0] === 0xd2,

  async verify(document, options): Promise<VendorVerification> {
    const report = await verifyNitroAttestation(document, nitroOptions(options));
    return { evidence: nitroEvidence(report), report, summary: summarize(report) };
  },

  async verifyReceiptEvidence(document, { digest, nonce, rootFingerprint }) {
    // The chain is checked at the document's own signed time; how old it may be is the policy's call.
    const at = new Date(decodeNitroAttestation(document).document.timestamp);
    const report = await verifyNitroAttestation(document, { at, expectedUserData: digest, expectedNonce: nonce, allowDebug: true, ...(rootFingerprint ? { rootFingerprint } : {}) });
    return nitroEvidence(report);
  },

  distrust(evidence, policy) {
    const section = policy.vendors?.nitro;
    const legacy = policy.allowedPcrs ?? [];
    if (section?.measurements !== undefined) return vendorDistrust(nitroVendor, evidence, { ...section, measurements: [...legacy, ...section.measurements] });
    // Only allowedPcrs: the reasons name it, as they always have.
    if (evidence.debug) return [`attestation: ${DEBUG_REASON}`];
    if (legacy.length === 0) return ['attestation: the policy allows no enclave measurement (allowedPcrs is empty)'];
    if (matchMeasurements(evidence.measurements, legacy) < 0) return ['attestation: PCRs match no allowedPcrs entry'];
    return [];
  },

  createProvider: (options) => createNitroProvider(options as NitroProviderOptions | undefined),
};
