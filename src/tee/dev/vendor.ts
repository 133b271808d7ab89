/**
 * The `dev` vendor plug-in (src/tee/vendor.ts): Ed25519 documents signed by a key on this
 * machine (dev.ts). Never hardware, no measurements and no validity window; the policy
 * counts them only with `acceptDevAttestations` (and `devPublicKeys`), rules that live in
 * the policy itself (src/verify/policy.ts).
 */
import { InvalidArgumentError } from '../../shared/errors.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { bytesOf, type AttestationEvidence, type AttestationVendor, type VendorVerification } from '../vendor.js';
import { createDevProvider, DEV_FORMAT, verifyDevAttestation, type DevAttestation, type DevProviderOptions } from './dev.js';

const hex = (value: Uint8Array | string | undefined, name: string): string | undefined => (value === undefined ? undefined : bytesToHex(bytesOf(value, name)));

function devEvidence(a: DevAttestation, at: Date): AttestationEvidence {
  const evidence: AttestationEvidence = {
    vendor: 'dev',
    hardware: false,
    measurements: {},
    reportData: a.userData,
    nonce: a.nonce,
    publicKey: a.publicKey,
    debug: false,
    timestamp: a.timestamp,
    verifiedAt: at.toISOString(),
  };
  if (a.encryptionKey !== undefined) evidence.encryptionKey = a.encryptionKey;
  return evidence;
}

const FORMAT_FIELD = Buffer.from(`"format":"${DEV_FORMAT}"`);

/** The `dev` vendor. */
export const devVendor: AttestationVendor = {
  name: 'dev',
  format: DEV_FORMAT,
  title: 'a zkinfer dev attestation document (a local key, not hardware)',
  hardware: false,

  /** A JSON object naming the dev format (documents are canonical JSON, keys sorted). */
  detect: (document) => document[0] === 0x7b && Buffer.from(document).includes(FORMAT_FIELD),

  async verify(document, options): Promise<VendorVerification> {
    for (const name of ['rootFingerprint', 'collateral', 'acceptedTcbStatuses'] as const) {
      if (options[name] !== undefined)
        throw new InvalidArgumentError(
          `invalid option ${name}: dev attestation documents have no ${name === 'rootFingerprint' ? 'root certificate' : name === 'collateral' ? 'collateral' : 'TCB status'}`,
        );
    }
    const report = verifyDevAttestation(document, { expectedUserData: hex(options.expectedUserData, 'expectedUserData'), expectedNonce: hex(options.expectedNonce, 'expectedNonce') });
    const summary = [
      '  hardware    no (a local Ed25519 key; the default policy refuses it)',
      `  key         ${report.publicKey}`,
      `  created     ${new Date(report.timestamp).toISOString()}`,
      `  nonce       ${report.nonce}`,
      `  user data   ${report.userData}`,
      ...(report.encryptionKey ? [`  encryption  ${report.encryptionKey}`] : []),
    ];
    return { evidence: devEvidence(report, options.at ?? new Date()), report, summary };
  },

  async verifyReceiptEvidence(document, { digest, nonce, now, devPublicKeys }) {
    return devEvidence(verifyDevAttestation(document, { expectedUserData: digest, expectedNonce: nonce, publicKeys: devPublicKeys }), now);
  },

  createProvider: (options) => createDevProvider(options as DevProviderOptions | undefined),
};
