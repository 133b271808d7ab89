/**
 * A minimal, strict DER reader (ITU-T X.690 §8, §10) for X.509 certificates. It exists for
 * the places where the Nitro verifier needs the exact encoded bytes:
 *
 * - an X.509 certificate (RFC 5280 §4.1) split into the raw `tbsCertificate` bytes that
 *   the issuer signed, the outer `signatureAlgorithm` and the `signatureValue`;
 * - an ECDSA signature (`Ecdsa-Sig-Value`, RFC 5480 §2.2 / RFC 3279 §2.2.3) converted to
 *   the fixed-width r‖s form that WebCrypto verifies.
 *
 * plus the few primitives (children, OBJECT IDENTIFIER, UTCTime/GeneralizedTime) that
 * x509-certificate.ts reads the remaining fields with. Only definite, minimally encoded
 * lengths and low tag numbers are accepted; every function throws a plain `Error` that
 * callers wrap in an `AttestationError`.
 */

/** One DER tag-length-value: the tag byte and the offsets of its header and contents. */
export interface DerElement {
  /** The identifier octet (only single-byte tags are accepted). */
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset one past the last content byte. */
  end: number;
}

const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_SEQUENCE = 0x30;
const TAG_CONTEXT_0 = 0xa0;

/**
 * Reads the DER element that starts at `offset`, not going past `limit`.
 * @throws {Error} when the header or the length is malformed or runs past `limit`
 */
export function readDerElement(bytes: Uint8Array, offset: number, limit = bytes.length): DerElement {
  if (offset + 2 > limit) throw new Error('DER element truncated');
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new Error('DER high tag numbers are not supported');
  const first = bytes[offset + 1];
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new Error('DER indefinite length');
    if (count > 4) throw new Error('DER length too large');
    if (offset + 2 + count > limit) throw new Error('DER length truncated');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i];
    if (bytes[offset + 2] === 0 || length < 0x80) throw new Error('DER length not minimally encoded');
    contentStart = offset + 2 + count;
  }
  const end = contentStart + length;
  if (end > limit) throw new Error('DER element runs past its container');
  return { tag, start: offset, contentStart, end };
}

function expectTag(element: DerElement, tag: number, what: string): DerElement {
  if (element.tag !== tag) throw new Error(`expected ${what}`);
  return element;
}

/** The three parts of an X.509 `Certificate` SEQUENCE, as exact byte slices. */
export interface CertificateParts {
  /** The DER `tbsCertificate`: the bytes covered by the issuer's signature. */
  tbs: Uint8Array;
  /** The DER `signature` AlgorithmIdentifier inside `tbsCertificate`. */
  tbsSignatureAlgorithm: Uint8Array;
  /** The DER outer `signatureAlgorithm` AlgorithmIdentifier. */
  signatureAlgorithm: Uint8Array;
  /** The contents of the `signatureValue` BIT STRING (no unused bits). */
  signatureValue: Uint8Array;
}

/**
 * Splits a DER certificate into its signed part, its algorithm identifiers and its signature.
 * The certificate must be exactly one SEQUENCE with no trailing bytes.
 * @throws {Error} when the structure is not a certificate
 */
export function splitCertificate(der: Uint8Array): CertificateParts {
  const outer = expectTag(readDerElement(der, 0), TAG_SEQUENCE, 'certificate SEQUENCE');
  if (outer.end !== der.length) throw new Error('trailing bytes after certificate');
  const tbs = expectTag(readDerElement(der, outer.contentStart, outer.end), TAG_SEQUENCE, 'tbsCertificate SEQUENCE');
  const algorithm = expectTag(readDerElement(der, tbs.end, outer.end), TAG_SEQUENCE, 'signatureAlgorithm SEQUENCE');
  const value = expectTag(readDerElement(der, algorithm.end, outer.end), TAG_BIT_STRING, 'signatureValue BIT STRING');
  if (value.end !== outer.end) throw new Error('trailing bytes inside certificate');
  if (value.end - value.contentStart < 1 || der[value.contentStart] !== 0) throw new Error('signatureValue has unused bits');

  // tbsCertificate: [0] EXPLICIT version (optional), serialNumber INTEGER, signature AlgorithmIdentifier, ...
  let cursor = readDerElement(der, tbs.contentStart, tbs.end);
  if (cursor.tag === TAG_CONTEXT_0) cursor = readDerElement(der, cursor.end, tbs.end);
  expectTag(cursor, TAG_INTEGER, 'serialNumber INTEGER');
  const inner = expectTag(readDerElement(der, cursor.end, tbs.end), TAG_SEQUENCE, 'tbsCertificate signature SEQUENCE');

  return {
    tbs: der.subarray(tbs.start, tbs.end),
    tbsSignatureAlgorithm: der.subarray(inner.start, inner.end),
    signatureAlgorithm: der.subarray(algorithm.start, algorithm.end),
    signatureValue: der.subarray(value.contentStart + 1, value.end),
  };
}

/**
 * Converts a DER `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` into r‖s, each
 * left-padded to `size` bytes. Integers must be positive, minimal and fit in `size` bytes.
 * @param signature - DER signature
 * @param size - byte length of one scalar (48 for P-384, 32 for P-256)
 * @returns the 2·size-byte raw signature
 * @throws {Error} when the encoding is not a well-formed ECDSA signature
 */
export function ecdsaDerToRaw(signature: Uint8Array, size: number): Uint8Array {
  const seq = expectTag(readDerElement(signature, 0), TAG_SEQUENCE, 'ECDSA signature SEQUENCE');
  if (seq.end !== signature.length) throw new Error('trailing bytes after ECDSA signature');
  const out = new Uint8Array(2 * size);
  let offset = seq.contentStart;
  for (let i = 0; i < 2; i++) {
    const int = expectTag(readDerElement(signature, offset, seq.end), TAG_INTEGER, 'ECDSA signature INTEGER');
    let value = signature.subarray(int.contentStart, int.end);
    if (value.length === 0 || value[0] & 0x80) throw new Error('ECDSA signature integer is not positive');
    if (value.length > 1 && value[0] === 0 && !(value[1] & 0x80)) throw new Error('ECDSA signature integer not minimally encoded');
    if (value[0] === 0) value = value.subarray(1);
    if (value.length > size) throw new Error('ECDSA signature integer too large');
    out.set(value, (i + 1) * size - value.length);
    offset = int.end;
  }
  if (offset !== seq.end) throw new Error('trailing bytes inside ECDSA signature');
  return out;
}

/**
 * Lists the elements directly inside a constructed element.
 * @throws {Error} when the contents are not a sequence of well-formed elements
 */
export function readDerChildren(bytes: Uint8Array, parent: DerElement): DerElement[] {
  const children: DerElement[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readDerElement(bytes, offset, parent.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** The content bytes of an element. */
export function derContents(bytes: Uint8Array, element: DerElement): Uint8Array {
  return bytes.subarray(element.contentStart, element.end);
}

/**
 * Decodes an OBJECT IDENTIFIER's contents to dotted form (X.690 §8.19).
 * @throws {Error} when the encoding is empty or not minimal
 */
export function decodeOid(contents: Uint8Array): string {
  if (contents.length === 0 || contents[contents.length - 1] & 0x80) throw new Error('malformed OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < contents.length; i++) {
    if (value === 0 && contents[i] === 0x80) throw new Error('OBJECT IDENTIFIER arc not minimally encoded');
    value = value * 128 + (contents[i] & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new Error('OBJECT IDENTIFIER arc too large');
    if (!(contents[i] & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs[0] < 80 ? Math.floor(arcs[0] / 40) : 2;
  return [first, arcs[0] - 40 * first, ...arcs.slice(1)].join('.');
}

/**
 * Decodes a UTCTime (tag 0x17, `YYMMDDHHMMSSZ`, RFC 5280 §4.1.2.5.1) or GeneralizedTime
 * (tag 0x18, `YYYYMMDDHHMMSSZ`, §4.1.2.5.2) element.
 * @throws {Error} for any other tag or form
 */
export function decodeDerTime(bytes: Uint8Array, element: DerElement): Date {
  const text = String.fromCharCode(...derContents(bytes, element));
  const match = element.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    : element.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    : null;
  if (!match) throw new Error('expected a UTCTime or GeneralizedTime in Z form');
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const fullYear = element.tag === 0x17 ? (year >= 50 ? 1900 + year : 2000 + year) : year;
  const date = new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
  if (date.getUTCFullYear() !== fullYear || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day
    || date.getUTCHours() !== hour || date.getUTCMinutes() !== minute || date.getUTCSeconds() !== second) {
    throw new Error('invalid date');
  }
  return date;
}
