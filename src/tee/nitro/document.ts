/**
 * The AWS Nitro Enclaves attestation document: the CBOR map carried as the COSE_Sign1
 * payload, decoded and checked field by field as the AWS Nitro Enclaves User Guide,
 * "Verifying the root of trust" (attestation document specification and "syntactical
 * validation"), and the NSM API's CDDL describe:
 *
 * ```
 * AttestationDocument = {
 *   module_id: text, digest: "SHA384", timestamp: uint .size 8,
 *   pcrs: { + index => pcr }, certificate: cert, cabundle: [* cert],
 *   ? public_key: user_data, ? user_data: user_data, ? nonce: user_data }
 * cert = bytes .size (1..1024)   pcr = bytes .size (32/48/64)   index = 0..31
 * ```
 *
 * Size limits. The CDDL allows `user_data` up to 1024 bytes while the validation section
 * says `user_data` and `nonce` hold at most 512; real hardware produced a document with
 * 1024-byte `public_key`, `user_data` and `nonce` (the recorded debug vector). This module
 * therefore accepts up to 1024 bytes for each of the three (the CDDL bound) and rejects
 * anything larger; `module_id` is capped at 256 characters, `cabundle` at 16 certificates
 * and a whole document at 64 KiB, far above anything NSM emits (about 4–8 KiB).
 *
 * Unknown fields are rejected: the map's keys are fixed by the specification, and a
 * verifier for security evidence fails closed. Optional fields may be absent or null
 * (NSM writes `public_key: null` when none was given).
 */
import { AttestationError } from '../../shared/errors.js';
import { decodeCbor, describeCbor } from './cbor.js';
import { decodeCoseSign1, type CoseSign1 } from './cose.js';

/** The receipt `attestation.format` of Nitro documents (the NSM's COSE_Sign1 bytes, base64). */
export const NITRO_FORMAT = 'aws-nitro-enclaves/cose-sign1';

/** Size limits applied while decoding (see the module header for why these values). */
export const NITRO_DOCUMENT_LIMITS = {
  /** Largest encoded COSE_Sign1 message accepted, in bytes. */
  documentBytes: 64 * 1024,
  /** Longest `module_id`, in UTF-16 code units. */
  moduleIdChars: 256,
  /** Largest DER certificate (`certificate` and each `cabundle` entry), in bytes. */
  certificateBytes: 1024,
  /** Most certificates in `cabundle`. */
  cabundleEntries: 16,
  /** Largest `public_key`, `user_data` and `nonce`, in bytes. */
  userDataBytes: 1024,
  /** PCR value lengths allowed (SHA-256, SHA-384, SHA-512). */
  pcrBytes: [32, 48, 64] as readonly number[],
  /** Highest PCR index. */
  maxPcrIndex: 31,
} as const;

/** The fields of a Nitro attestation document, with their CBOR types checked. */
export interface NitroDocument {
  /** Issuing Nitro hypervisor module (enclave) ID. */
  moduleId: string;
  /** Digest used for the PCRs; always "SHA384". */
  digest: 'SHA384';
  /** Creation time, milliseconds since the UNIX epoch (UTC). */
  timestamp: number;
  /** Locked PCRs by index. */
  pcrs: Map<number, Uint8Array>;
  /** DER leaf certificate whose key signed the document. */
  certificate: Uint8Array;
  /** DER CA bundle, root first. */
  cabundle: Uint8Array[];
  /** Optional key supplied by the enclave application. */
  publicKey?: Uint8Array;
  /** Optional data supplied by the enclave application. */
  userData?: Uint8Array;
  /** Optional nonce supplied by the attestation consumer. */
  nonce?: Uint8Array;
}

/** A decoded, structurally valid attestation document whose signature is not yet checked. */
export interface DecodedNitroAttestation {
  /** The COSE_Sign1 envelope. */
  cose: CoseSign1;
  /** The payload's fields. */
  document: NitroDocument;
}

const FIELDS = ['module_id', 'digest', 'timestamp', 'pcrs', 'certificate', 'cabundle', 'public_key', 'user_data', 'nonce'];

function fail(message: string, cause?: unknown): never {
  throw new AttestationError(`attestation document: ${message}`, cause === undefined ? {} : { cause });
}

function required(map: Map<unknown, unknown>, field: string): unknown {
  const value = map.get(field);
  if (value === undefined) fail(`missing field "${field}"`);
  return value;
}

function bytesField(value: unknown, field: string, min: number, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) fail(`field "${field}" must be a byte string, got ${describeCbor(value)}`);
  if (value.length > max) fail(`field "${field}" is ${value.length} bytes, more than the ${max} allowed`);
  if (value.length < min) fail(`field "${field}" must not be empty`);
  return value;
}

function optionalBytes(map: Map<unknown, unknown>, field: string, min: number): Uint8Array | undefined {
  const value = map.get(field);
  if (value === undefined || value === null) return undefined;
  return bytesField(value, field, min, NITRO_DOCUMENT_LIMITS.userDataBytes);
}

function parsePcrs(value: unknown): Map<number, Uint8Array> {
  if (!(value instanceof Map)) fail(`field "pcrs" must be a map, got ${describeCbor(value)}`);
  const { maxPcrIndex, pcrBytes } = NITRO_DOCUMENT_LIMITS;
  if (value.size < 1 || value.size > maxPcrIndex + 1) fail(`field "pcrs" must have 1 to ${maxPcrIndex + 1} entries, got ${value.size}`);
  const pcrs = new Map<number, Uint8Array>();
  for (const [index, pcr] of value) {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > maxPcrIndex) {
      fail(`field "pcrs" has key ${typeof index === 'number' ? index : describeCbor(index)}, expected an index in [0, ${maxPcrIndex}]`);
    }
    if (!(pcr instanceof Uint8Array)) fail(`field "pcrs[${index}]" must be a byte string, got ${describeCbor(pcr)}`);
    if (!pcrBytes.includes(pcr.length)) fail(`field "pcrs[${index}]" must be 32, 48 or 64 bytes, got ${pcr.length}`);
    pcrs.set(index, pcr);
  }
  for (const index of [0, 1, 2]) {
    if (!pcrs.has(index)) fail(`field "pcrs" has no PCR${index}`);
  }
  return pcrs;
}

/**
 * Decodes and checks the payload of a Nitro attestation document (no signature check).
 * @param payload - the COSE_Sign1 payload bytes
 * @returns the document's fields
 * @throws {AttestationError} one line starting "attestation document:" naming the field
 */
export function parseNitroDocument(payload: Uint8Array): NitroDocument {
  let decoded: unknown;
  try {
    decoded = decodeCbor(payload);
  } catch (error) {
    fail('payload is malformed CBOR', error);
  }
  if (!(decoded instanceof Map)) fail(`payload must be a map, got ${describeCbor(decoded)}`);
  const map = decoded;

  const moduleId = required(map, 'module_id');
  if (typeof moduleId !== 'string') fail(`field "module_id" must be a text string, got ${describeCbor(moduleId)}`);
  if (moduleId.length === 0) fail('field "module_id" must not be empty');
  if (moduleId.length > NITRO_DOCUMENT_LIMITS.moduleIdChars) {
    fail(`field "module_id" is ${moduleId.length} characters, more than the ${NITRO_DOCUMENT_LIMITS.moduleIdChars} allowed`);
  }

  const digest = required(map, 'digest');
  if (typeof digest !== 'string') fail(`field "digest" must be a text string, got ${describeCbor(digest)}`);
  if (digest !== 'SHA384') fail(`field "digest" must be "SHA384", got ${JSON.stringify(digest.slice(0, 32))}`);

  const timestamp = required(map, 'timestamp');
  if (typeof timestamp !== 'number' || !Number.isInteger(timestamp)) fail(`field "timestamp" must be an unsigned integer, got ${describeCbor(timestamp)}`);
  if (timestamp <= 0) fail(`field "timestamp" must be positive, got ${timestamp}`);

  const pcrs = parsePcrs(required(map, 'pcrs'));

  const { certificateBytes, cabundleEntries } = NITRO_DOCUMENT_LIMITS;
  const certificate = bytesField(required(map, 'certificate'), 'certificate', 1, certificateBytes);

  const bundle = required(map, 'cabundle');
  if (!Array.isArray(bundle)) fail(`field "cabundle" must be an array, got ${describeCbor(bundle)}`);
  if (bundle.length === 0) fail('field "cabundle" must not be empty');
  if (bundle.length > cabundleEntries) fail(`field "cabundle" has ${bundle.length} certificates, more than the ${cabundleEntries} allowed`);
  const cabundle = bundle.map((der, i) => bytesField(der, `cabundle[${i}]`, 1, certificateBytes));

  const publicKey = optionalBytes(map, 'public_key', 1);
  const userData = optionalBytes(map, 'user_data', 0);
  const nonce = optionalBytes(map, 'nonce', 0);

  for (const key of map.keys()) {
    if (typeof key !== 'string') fail(`field names must be text strings, got ${describeCbor(key)}`);
    if (!FIELDS.includes(key)) fail(`unexpected field ${JSON.stringify(key.slice(0, 64))}`);
  }

  return { moduleId, digest, timestamp, pcrs, certificate, cabundle, publicKey, userData, nonce };
}

/**
 * Decodes a Nitro attestation document: the COSE_Sign1 envelope and the payload's fields,
 * with every structural check but no cryptographic one. Use {@link verifyNitroAttestation}
 * (verify.ts) to trust its contents.
 * @param bytes - the document as returned by the NSM (raw CBOR, not base64)
 * @returns the envelope and the fields
 * @throws {AttestationError} one line naming the envelope part or the field that is wrong
 */
export function decodeNitroAttestation(bytes: Uint8Array): DecodedNitroAttestation {
  if (bytes instanceof Uint8Array && bytes.length > NITRO_DOCUMENT_LIMITS.documentBytes) {
    throw new AttestationError(`attestation document: ${bytes.length} bytes, more than the ${NITRO_DOCUMENT_LIMITS.documentBytes} allowed`);
  }
  const cose = decodeCoseSign1(bytes);
  return { cose, document: parseNitroDocument(cose.payload) };
}
