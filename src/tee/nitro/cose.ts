/**
 * COSE_Sign1 (RFC 9052 §4.2, §4.4) as used by AWS Nitro Enclaves attestation documents:
 * a 4-array `[protected: bstr, unprotected: map, payload: bstr, signature: bstr]`, tagged
 * with CBOR tag 18 or untagged (NSM emits it untagged). Only ES384 (alg −35, RFC 9053
 * §2.1: ECDSA P-384 with SHA-384, signature r‖s of 96 bytes) is accepted, and it must be
 * in the protected header.
 *
 * The signature covers the CBOR encoding of
 * `Sig_structure = ["Signature1", body_protected, external_aad = h'', payload]`
 * (RFC 9052 §4.4), built here from the exact protected and payload bytes received; the
 * payload is never re-encoded, so an indefinite-length payload map verifies as sent.
 */
import { encode } from 'cborg';
import { AttestationError } from '../../shared/errors.js';
import { decodeCbor, describeCbor } from './cbor.js';
import { verifyEcdsa, type EcPublicKey } from '../pki/ecdsa.js';

/** CBOR tag for COSE_Sign1 (RFC 9052 §2). */
export const COSE_SIGN1_TAG = 18;
/** COSE algorithm identifier of ES384 (RFC 9053 §2.1). */
export const COSE_ALG_ES384 = -35;
/** Length of an ES384 signature: r‖s, 48 bytes each. */
export const ES384_SIGNATURE_BYTES = 96;

const HEADER_ALG = 1;
const HEADER_CRIT = 2;

/** A decoded COSE_Sign1 message whose protected header says ES384. */
export interface CoseSign1 {
  /** Whether the message carried CBOR tag 18. */
  tagged: boolean;
  /** The protected header exactly as received (a serialized map). */
  protectedBytes: Uint8Array;
  /** The decoded protected header. */
  protectedHeader: Map<unknown, unknown>;
  /** The unprotected header. */
  unprotectedHeader: Map<unknown, unknown>;
  /** The payload exactly as received. */
  payload: Uint8Array;
  /** The r‖s signature (96 bytes). */
  signature: Uint8Array;
}

class CoseTag {
  constructor(readonly value: unknown) {}
}

/** The tag number when `bytes` starts with a CBOR tag (major type 6), for a clear message. */
function leadingTag(bytes: Uint8Array): number | bigint | undefined {
  if (bytes[0] >> 5 !== 6) return undefined;
  const minor = bytes[0] & 0x1f;
  if (minor < 24) return minor;
  const width = minor === 24 ? 1 : minor === 25 ? 2 : minor === 26 ? 4 : minor === 27 ? 8 : 0;
  if (width === 0 || bytes.length < 1 + width) return undefined;
  const value = bytes.subarray(1, 1 + width).reduce((n, byte) => n * 256n + BigInt(byte), 0n);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function describeAlg(alg: unknown): string {
  if (typeof alg === 'number') return String(alg);
  if (typeof alg === 'string') return JSON.stringify(alg);
  return describeCbor(alg);
}

function fail(message: string, cause?: unknown): never {
  throw new AttestationError(`COSE_Sign1: ${message}`, cause === undefined ? {} : { cause });
}

/**
 * Decodes a COSE_Sign1 message and checks its shape and algorithm (no signature check).
 * @param bytes - the encoded message, tagged (18) or untagged
 * @returns the decoded message
 * @throws {AttestationError} one line starting "COSE_Sign1:" naming what is wrong
 */
export function decodeCoseSign1(bytes: Uint8Array): CoseSign1 {
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array, got ${typeof bytes}`);
  if (bytes.length === 0) fail('empty input');
  const tag = leadingTag(bytes);
  if (tag !== undefined && tag !== COSE_SIGN1_TAG) fail(`expected tag ${COSE_SIGN1_TAG} or no tag, got tag ${tag}`);
  let decoded: unknown;
  try {
    decoded = decodeCbor(bytes, { [COSE_SIGN1_TAG]: (decode) => new CoseTag(decode()) });
  } catch (error) {
    fail('malformed CBOR', error);
  }
  const tagged = decoded instanceof CoseTag;
  const message = tagged ? (decoded as CoseTag).value : decoded;
  if (!Array.isArray(message) || message.length !== 4) {
    const got = Array.isArray(message) ? `an array of ${message.length}` : message instanceof CoseTag ? 'tag 18 again' : describeCbor(message);
    fail(`expected an array of 4 items, got ${got}`);
  }
  const [protectedBytes, unprotectedHeader, payload, signature] = message as unknown[];

  if (!(protectedBytes instanceof Uint8Array)) fail(`protected header must be a byte string, got ${describeCbor(protectedBytes)}`);
  let protectedHeader: unknown = new Map();
  if (protectedBytes.length > 0) {
    try {
      protectedHeader = decodeCbor(protectedBytes);
    } catch (error) {
      fail('protected header is malformed CBOR', error);
    }
  }
  if (!(protectedHeader instanceof Map)) fail(`protected header must be a map, got ${describeCbor(protectedHeader)}`);
  if (!(unprotectedHeader instanceof Map)) fail(`unprotected header must be a map, got ${describeCbor(unprotectedHeader)}`);
  for (const label of unprotectedHeader.keys()) {
    if (protectedHeader.has(label)) fail(`header label ${String(label)} appears in both protected and unprotected headers`);
  }
  if (protectedHeader.has(HEADER_CRIT)) fail('critical header parameters are not supported');
  const alg = protectedHeader.get(HEADER_ALG);
  if (alg === undefined) fail('protected header has no algorithm');
  if (alg !== COSE_ALG_ES384) fail(`unsupported algorithm ${describeAlg(alg)}, expected ES384 (-35)`);

  if (payload === null) fail('detached payloads are not supported');
  if (!(payload instanceof Uint8Array)) fail(`payload must be a byte string, got ${describeCbor(payload)}`);
  if (!(signature instanceof Uint8Array)) fail(`signature must be a byte string, got ${describeCbor(signature)}`);
  if (signature.length !== ES384_SIGNATURE_BYTES) fail(`ES384 signature must be ${ES384_SIGNATURE_BYTES} bytes, got ${signature.length}`);

  return { tagged, protectedBytes, protectedHeader, unprotectedHeader, payload, signature };
}

/**
 * Encodes the Sig_structure that a COSE_Sign1 signature covers (RFC 9052 §4.4).
 * @param cose - the decoded message
 * @returns CBOR of `["Signature1", protected, h'', payload]`
 */
export function coseSign1ToBeSigned(cose: Pick<CoseSign1, 'protectedBytes' | 'payload'>): Uint8Array {
  return encode(['Signature1', cose.protectedBytes, new Uint8Array(0), cose.payload]);
}

/**
 * Verifies the ES384 signature of a decoded COSE_Sign1 message.
 * @param cose - the decoded message
 * @param publicKey - a P-384 key (the Nitro leaf certificate's key)
 * @returns whether the signature is valid
 */
export async function verifyCoseSign1(cose: CoseSign1, publicKey: EcPublicKey): Promise<boolean> {
  if (publicKey.curve !== 'P-384') return false;
  return verifyEcdsa(publicKey, 'SHA-384', cose.signature, coseSign1ToBeSigned(cose));
}
