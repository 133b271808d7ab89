/**
 * Attestation providers: what the TEE path asks to sign a receipt digest (DESIGN.md "TEE
 * path and policy"). A provider turns {receipt digest, nonce} into an attestation
 * document; the receipt stores the document with what it binds (src/shared/receipt.ts,
 * `attestation`). Each attestation vendor that can attest from here has one, in its
 * folder, created through the registry (src/tee/registry.ts `createAttestationProvider`):
 *
 * - `dev`: a local Ed25519 key; documents say `"hardware": false` and the default policy
 *   refuses them. For development and tests only.
 * - `nitro`: the Nitro Secure Module of an AWS Nitro Enclave (/dev/nsm).
 */
import { InvalidArgumentError } from '../shared/errors.js';
import { MAX_NONCE_BYTES } from '../shared/nonce.js';

/** What a provider is asked to attest. */
export interface AttestationRequest {
  /** The receipt digest (32 bytes), bound by the document as its vendor defines (Nitro, dev: the user data). */
  userData: Uint8Array;
  /** The receipt nonce (1 to 512 bytes). */
  nonce: Uint8Array;
  /**
   * A public key the document carries (1 to 1024 bytes): the enclave's HPKE key on the
   * encrypted path (src/tee/encrypted/). Nitro: the document's `public_key`; dev: its signed `encryptionKey`.
   */
  publicKey?: Uint8Array;
}

/** A source of attestation documents. */
export interface AttestationProvider {
  /** Its vendor's registry name, recorded in the receipt as `attestation.provider`. */
  readonly name: string;
  /** The document format it produces (its vendor's `format`). */
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

/** Largest public key the NSM accepts (aws-nitro-enclaves-nsm-api); the dev provider keeps the same bound. */
export const MAX_PUBLIC_KEY_BYTES = 1024;

/**
 * Checks a request's sizes.
 * @throws {InvalidArgumentError} "expected <name> to be 1 to 512 bytes, got N"
 */
export function assertRequest(request: AttestationRequest): void {
  for (const [name, bytes] of [
    ['userData', request.userData],
    ['nonce', request.nonce],
  ] as const) {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > MAX_BINDING_BYTES) {
      throw new InvalidArgumentError(`expected ${name} to be 1 to ${MAX_BINDING_BYTES} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
    }
  }
  const key = request.publicKey;
  if (key !== undefined && (!(key instanceof Uint8Array) || key.length === 0 || key.length > MAX_PUBLIC_KEY_BYTES)) {
    throw new InvalidArgumentError(`expected publicKey to be 1 to ${MAX_PUBLIC_KEY_BYTES} bytes, got ${key instanceof Uint8Array ? key.length : typeof key}`);
  }
}
