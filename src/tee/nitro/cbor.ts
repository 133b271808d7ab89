/**
 * Strict CBOR decoding (RFC 8949) for attestation evidence, on top of `cborg`.
 *
 * The options are chosen for untrusted input:
 * - `useMaps`: maps decode to `Map`, so integer keys (COSE header labels, PCR indexes)
 *   keep their type; cborg would otherwise reject them (plain objects need text keys).
 * - `allowIndefinite` stays on: cborg decodes indefinite-length *maps and arrays*
 *   (the OpenGradient Nitro document's payload is an indefinite-length map). cborg never
 *   accepts indefinite-length *byte or text strings*; NSM does not produce them.
 * - `strict`: integers and lengths must be minimally encoded (all recorded documents are).
 * - `rejectDuplicateMapKeys`, no `undefined`, no NaN/Infinity, no bigints; no tags except
 *   those the caller names (COSE_Sign1's tag 18).
 */
import { decode, type TagDecoder } from 'cborg';

/** Options shared by every decode of attestation evidence. */
const STRICT = {
  useMaps: true,
  strict: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: true,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
} as const;

/**
 * Decodes one CBOR item that must span all of `bytes`.
 * @param bytes - encoded item
 * @param tags - tag decoders to accept (any other tag is an error)
 * @returns the decoded value (maps as `Map`, byte strings as `Uint8Array`)
 * @throws {Error} cborg's error when the bytes are not one well-formed item
 */
export function decodeCbor(bytes: Uint8Array, tags: Record<number, TagDecoder> = {}): unknown {
  return decode(bytes, { ...STRICT, tags });
}

/**
 * Names the CBOR type of a decoded value for "expected X, got Y" messages.
 * @param value - a value returned by {@link decodeCbor}
 * @returns e.g. `"a byte string"`, `"an array"`, `"null"`
 */
export function describeCbor(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'a byte string';
  if (value instanceof Map) return 'a map';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a text string';
    case 'number':
      return Number.isInteger(value) ? 'an integer' : 'a float';
    case 'bigint':
      return 'an integer';
    case 'boolean':
      return 'a boolean';
    default:
      return 'an unsupported value';
  }
}
