/**
 * Reads the fields of an X.509 v3 certificate (RFC 5280 §4.1) that path validation needs:
 * the signed bytes, algorithms, issuer and subject, validity, public key, and the basic
 * constraints (§4.2.1.9) and key usage (§4.2.1.3) extensions; and converts an ECDSA
 * signature (`Ecdsa-Sig-Value`, RFC 3279 §2.2.3) to the r‖s form WebCrypto verifies.
 *
 * Decoding is PKI.js (`pkijs`) over an `asn1js` tree. Both read BER and skip what their
 * schemas do not name: a child may run past its parent, lengths may be indefinite or
 * padded, extra SEQUENCE elements and a BOOLEAN other than 0xFF pass. This module adds the
 * DER rules (X.690 §10–11) and the field counts of RFC 5280 on that tree, and takes every
 * byte string the chain check compares or verifies (the `tbsCertificate`, algorithm
 * identifiers, names, key) from the decoded input, never from a re-encoding.
 *
 * Why not `@peculiar/x509`: its v2 needs a global `Reflect.getMetadata` polyfill (through
 * tsyringe) that a library should not install on its users' behalf. PKI.js needs none; on
 * import it registers its WebCrypto engine under `globalThis[process.pid]`, which is never
 * used here: signatures are verified by ecdsa.ts. The tests cross-check this reader against
 * `@peculiar/x509` and node:crypto on the recorded AWS certificates.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import * as asn1js from 'asn1js';
import { BasicConstraints, Certificate, type RelativeDistinguishedNames, type Time } from 'pkijs';

/** Key usage bits (RFC 5280 §4.2.1.3), numbered from the most significant bit of the first byte. */
export const KEY_USAGE_BIT = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

/** The three parts of an X.509 `Certificate` SEQUENCE, as exact byte slices of the input. */
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

/** One extension: its OID, criticality and DER value. */
export interface X509Extension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

/** The fields of a certificate used by chain validation. */
export interface X509Fields extends CertificateParts {
  serialNumber: string;
  /** DER of the issuer Name, hex (compared byte for byte with the issuer's subject). */
  issuerDer: string;
  /** DER of the subject Name, hex. */
  subjectDer: string;
  /** Readable issuer, e.g. `C=US, O=Amazon, OU=AWS, CN=aws.nitro-enclaves`. */
  issuer: string;
  /** Readable subject. */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
  extensions: X509Extension[];
  /** Basic constraints, when the extension is present. */
  basicConstraints?: { ca: boolean; pathLength?: number };
  /** Key usage bit set (bit i of the BIT STRING at index i), when the extension is present. */
  keyUsage?: Set<number>;
}

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'E',
};
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const ID_BASIC_CONSTRAINTS = '2.5.29.19';
const ID_KEY_USAGE = '2.5.29.15';
// Universal tag numbers (X.680 §8.4).
const BOOLEAN = 1;
const INTEGER = 2;
const SEQUENCE = 16;
const UTC_TIME = 23;
// [0] EXPLICIT INTEGER 2: the only DER encoding of `version v3`.
const VERSION_V3 = 'a003020102';

type Block = asn1js.BaseBlock;

const isUniversal = (block: Block | undefined, tag: number): boolean => block !== undefined && block.idBlock.tagClass === 1 && block.idBlock.tagNumber === tag;

/** The elements inside a constructed block (none for a primitive one). */
const childrenOf = (block: Block | undefined): Block[] => (block instanceof asn1js.Constructed ? block.valueBlock.value : []);

/** The content octets of a block, as decoded from the input. */
const contents = (block: Block): Uint8Array => block.valueBeforeDecodeView.subarray(block.idBlock.blockLength + block.lenBlock.blockLength);

const byteLength = (n: number): number => (n === 0 ? 0 : 1 + byteLength(Math.floor(n / 256)));

/** Checks the DER rules asn1js does not enforce, on a block and everything inside it. */
function checkDer(block: Block): void {
  const { idBlock, lenBlock } = block;
  if (idBlock.isHexOnly || idBlock.tagNumber >= 31) throw new Error('DER high tag numbers are not supported');
  if (lenBlock.isIndefiniteForm) throw new Error('DER indefinite length');
  if (lenBlock.longFormUsed && (lenBlock.length < 0x80 || lenBlock.blockLength !== 1 + byteLength(lenBlock.length))) {
    throw new Error('DER length not minimally encoded');
  }
  // asn1js reads a constructed BIT/OCTET STRING (BER only) and a primitive-flagged SEQUENCE.
  if (block instanceof asn1js.Constructed !== idBlock.isConstructed) throw new Error('DER element in the wrong primitive/constructed form');
  const children = childrenOf(block);
  // asn1js lets the last child run past its parent's length (into the next element).
  if (idBlock.isConstructed && children.reduce((sum, child) => sum + child.valueBeforeDecodeView.length, 0) !== lenBlock.length) {
    throw new Error('DER element runs past its container');
  }
  children.forEach(checkDer);
  if (block instanceof asn1js.ObjectIdentifier) {
    const arcs = block.valueBlock.value;
    if (arcs.length === 0) throw new Error('malformed OBJECT IDENTIFIER');
    for (const arc of arcs) {
      if (arc.isHexOnly || !Number.isSafeInteger(arc.valueDec)) throw new Error('OBJECT IDENTIFIER arc too large');
      if (arc.valueHexView.length > 1 && arc.valueHexView[0] === 0) throw new Error('OBJECT IDENTIFIER arc not minimally encoded');
    }
  }
}

/**
 * Decodes exactly one DER element filling `bytes`, with the DER rules asn1js does not
 * enforce checked on it and everything inside it (used for certificates here, and by
 * vendors for their other DER structures: CRLs, certificate extensions).
 * @param bytes - the encoding; nothing may follow the element
 * @param what - names the structure in messages
 * @returns the asn1js block
 * @throws {Error} when asn1js cannot decode it, bytes follow it, or it is not DER
 */
export function readDer(bytes: Uint8Array, what: string): asn1js.BaseBlock {
  let decoded: ReturnType<typeof asn1js.fromBER>;
  try {
    decoded = asn1js.fromBER(bytes, { parseEmbedded: false });
  } catch (error) {
    throw new Error(`malformed DER in ${what}`, { cause: error });
  }
  if (decoded.offset === -1) throw new Error(`malformed DER in ${what}: ${decoded.result.error}`);
  if (decoded.offset !== bytes.length) throw new Error(`trailing bytes after ${what}`);
  checkDer(decoded.result);
  return decoded.result;
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
  const sequence = readDer(signature, 'ECDSA signature');
  if (!isUniversal(sequence, SEQUENCE)) throw new Error('expected ECDSA signature SEQUENCE');
  const [r, s, ...rest] = childrenOf(sequence);
  const out = new Uint8Array(2 * size);
  [r, s].forEach((int, i) => {
    if (!isUniversal(int, INTEGER)) throw new Error('expected ECDSA signature INTEGER');
    let value = contents(int);
    if (value.length === 0 || value[0] & 0x80) throw new Error('ECDSA signature integer is not positive');
    if (value.length > 1 && value[0] === 0 && !(value[1] & 0x80)) throw new Error('ECDSA signature integer not minimally encoded');
    if (value[0] === 0) value = value.subarray(1);
    if (value.length > size) throw new Error('ECDSA signature integer too large');
    out.set(value, (i + 1) * size - value.length);
  });
  if (rest.length > 0) throw new Error('trailing bytes inside ECDSA signature');
  return out;
}

function readName(name: RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map(({ type, value }) => {
      const raw = contents(value);
      // UTF8String, PrintableString, IA5String read as text; anything else shown as hex.
      const text = value.idBlock.tagClass === 1 && [12, 19, 22].includes(value.idBlock.tagNumber) ? UTF8.decode(raw) : `#${bytesToHex(raw)}`;
      return `${ATTRIBUTE_NAMES[type] ?? type}=${text}`;
    })
    .join(', ');
}

/** RFC 5280 §4.1.2.5: `YYMMDDHHMMSSZ` or `YYYYMMDDHHMMSSZ`; asn1js also takes fractions, offsets and Feb 30. */
function readTime(block: Block, time: Time): Date {
  const utc = isUniversal(block, UTC_TIME);
  // At most 16 characters: enough to fail the patterns below, never a huge argument list.
  const text = String.fromCharCode(...contents(block).subarray(0, 16));
  if (!(utc ? /^\d{12}Z$/ : /^\d{14}Z$/).test(text)) throw new Error('expected a UTCTime or GeneralizedTime in Z form');
  // A field out of range rolls the date over, so it no longer prints as the text it came from.
  const printed = time.value
    .toISOString()
    .replace(/\D/g, '')
    .slice(utc ? 2 : 0, 14);
  if (`${printed}Z` !== text) throw new Error('invalid date');
  return time.value;
}

function readExtensions(certificate: Certificate, wrapper: Block | undefined): X509Extension[] {
  if (!certificate.extensions) return [];
  const [list, ...rest] = childrenOf(wrapper);
  if (rest.length > 0) throw new Error('trailing bytes after extensions');
  const blocks = childrenOf(list);
  return certificate.extensions.map((extension, i) => {
    const fields = childrenOf(blocks[i]);
    const flagged = isUniversal(fields[1], BOOLEAN);
    // critical BOOLEAN DEFAULT FALSE: DER omits FALSE and writes TRUE as 0xFF.
    if (flagged && bytesToHex(contents(fields[1])) !== 'ff') throw new Error('extension critical flag must be DER TRUE');
    if (fields.length !== (flagged ? 3 : 2)) throw new Error('trailing fields in extension');
    return { oid: extension.extnID, critical: extension.critical, value: extension.extnValue.valueBlock.valueHexView };
  });
}

function readBasicConstraints(value: Uint8Array): { ca: boolean; pathLength?: number } {
  const block = readDer(value, 'BasicConstraints');
  if (!isUniversal(block, SEQUENCE)) throw new Error('expected BasicConstraints SEQUENCE');
  const parsed = new BasicConstraints({ schema: block });
  const fields = childrenOf(block);
  let index = 0;
  if (isUniversal(fields[0], BOOLEAN)) {
    if (bytesToHex(contents(fields[0])) !== 'ff') throw new Error('BasicConstraints cA must be DER TRUE when present');
    index = 1;
  }
  let pathLength: number | undefined;
  if (fields[index]) {
    if (!isUniversal(fields[index], INTEGER)) throw new Error('expected pathLenConstraint INTEGER');
    const int = contents(fields[index]);
    if (int.length === 0 || int.length > 2 || int[0] & 0x80 || (int.length === 2 && int[0] === 0 && !(int[1] & 0x80)) || typeof parsed.pathLenConstraint !== 'number') {
      throw new Error('pathLenConstraint must be a small non-negative minimal INTEGER');
    }
    pathLength = parsed.pathLenConstraint;
    index++;
  }
  if (index !== fields.length) throw new Error('trailing fields in BasicConstraints');
  return pathLength === undefined ? { ca: parsed.cA } : { ca: parsed.cA, pathLength };
}

function readKeyUsage(value: Uint8Array): Set<number> {
  const block = readDer(value, 'KeyUsage');
  if (!(block instanceof asn1js.BitString)) throw new Error('expected KeyUsage BIT STRING');
  const { unusedBits, valueHexView: bits } = block.valueBlock;
  if (bits.length === 0) throw new Error('malformed KeyUsage BIT STRING');
  const usages = new Set<number>();
  for (let i = 0; i < bits.length * 8 - unusedBits; i++) {
    if (bits[i >> 3] & (0x80 >> (i & 7))) usages.add(i);
  }
  return usages;
}

/**
 * Parses a DER X.509 v3 certificate.
 * @param der - the certificate; nothing may follow it
 * @returns the fields used by chain validation
 * @throws {Error} a plain description of the first structural problem
 */
export function parseX509Certificate(der: Uint8Array): X509Fields {
  const root = readDer(der, 'certificate');
  let certificate: Certificate;
  try {
    certificate = new Certificate({ schema: root });
  } catch (error) {
    throw new Error('not an X.509 Certificate structure', { cause: error });
  }
  // The schema match found its fields in order; these checks make sure it skipped none.
  const [tbsBlock, algorithmBlock, ...rest] = childrenOf(root);
  if (rest.length !== 1) throw new Error('trailing bytes inside certificate');
  const signature = certificate.signatureValue;
  if (signature.lenBlock.length === 0 || signature.valueBlock.unusedBits !== 0) throw new Error('signatureValue has unused bits');

  const tbs = childrenOf(tbsBlock);
  const [version, , tbsAlgorithm, , validity, , spki] = tbs;
  if (!version || bytesToHex(version.valueBeforeDecodeView) !== VERSION_V3) throw new Error('expected an X.509 v3 certificate');
  const optional = [certificate.issuerUniqueID, certificate.subjectUniqueID, certificate.extensions].filter((f) => f !== undefined);
  if (tbs.length !== 7 + optional.length) throw new Error('unexpected fields in tbsCertificate');
  const times = childrenOf(validity);
  if (times.length !== 2) throw new Error('expected notBefore and notAfter');
  const extensions = readExtensions(certificate, tbs.at(-1));

  const fields: X509Fields = {
    tbs: certificate.tbsView,
    tbsSignatureAlgorithm: tbsAlgorithm.valueBeforeDecodeView,
    signatureAlgorithm: algorithmBlock.valueBeforeDecodeView,
    signatureValue: signature.valueBlock.valueHexView,
    serialNumber: bytesToHex(certificate.serialNumber.valueBlock.valueHexView),
    issuerDer: bytesToHex(new Uint8Array(certificate.issuer.valueBeforeDecode)),
    subjectDer: bytesToHex(new Uint8Array(certificate.subject.valueBeforeDecode)),
    issuer: readName(certificate.issuer),
    subject: readName(certificate.subject),
    notBefore: readTime(times[0], certificate.notBefore),
    notAfter: readTime(times[1], certificate.notAfter),
    spki: spki.valueBeforeDecodeView,
    extensions,
  };
  const seen = new Set<string>();
  for (const ext of extensions) {
    if (seen.has(ext.oid)) throw new Error(`extension ${ext.oid} appears more than once`);
    seen.add(ext.oid);
    if (ext.oid === ID_BASIC_CONSTRAINTS) fields.basicConstraints = readBasicConstraints(ext.value);
    if (ext.oid === ID_KEY_USAGE) fields.keyUsage = readKeyUsage(ext.value);
  }
  return fields;
}
