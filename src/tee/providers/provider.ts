/**
 * Attestation providers: what the TEE path asks to sign a receipt digest (DESIGN.md "TEE
 * path and policy"). A provider turns {user data, nonce} into an attestation document; the
 * receipt stores the document with what it binds (src/shared/receipt.ts, `attestation`).
 *
 * - `dev`: a local Ed25519 key; documents say `"hardware": false` and the default policy
 *   refuses them. For development and tests only.
 * - `nitro`: the Nitro Secure Module of an AWS Nitro Enclave (/dev/nsm), whose documents
 *   are checked by `verifyNitroAttestation`.
 */
import { InvalidArgumentError } from '../../shared/errors.js';
import { MAX_NONCE_BYTES } from '../../shared/nonce.js';

/** What a provider is asked to attest. */
export interface AttestationRequest {
  /** The receipt digest (32 bytes). */
  userData: Uint8Array;
  /** The receipt nonce (1 to 512 bytes). */
  nonce: Uint8Array;
}

/** A source of attestation documents. */
export interface AttestationProvider {
  /** The provider's name, recorded in the receipt. */
  readonly name: 'dev' | 'nitro';
  /** The document format it produces (see ATTESTATION_FORMATS in src/shared/receipt.ts). */
  readonly format: string;
  /** Whether its documents are backed by hardware. */
  readonly hardware: boolean;
  /**
   * Produces a document binding the request's user data and nonce.
   * @throws {AttestationError} when the document cannot be produced
   */
  attest(request: AttestationRequest): Promise<Uint8Array>;
}

/** Largest nonce and user data the NSM accepts (aws-nitro-enclaves-nsm-api); other providers keep the same bound. */
export const MAX_BINDING_BYTES = MAX_NONCE_BYTES;

/**
 * Checks a request's sizes.
 * @throws {InvalidArgumentError} "expected <name> to be 1 to 512 bytes, got N"
 */
export function assertRequest(request: AttestationRequest): void {
  for (const [name, bytes] of [['userData', request.userData], ['nonce', request.nonce]] as const) {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > MAX_BINDING_BYTES) {
      throw new InvalidArgumentError(`expected ${name} to be 1 to ${MAX_BINDING_BYTES} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
    }
  }
}
