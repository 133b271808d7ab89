/**
 * Reads the fields of an X.509 v3 certificate (RFC 5280 §4.1) that path validation needs:
 * the signed bytes, algorithms, issuer and subject, validity, public key, and the basic
 * constraints (§4.2.1.9) and key usage (§4.2.1.3) extensions.
 *
 * Why not `@peculiar/x509` here: its v2 needs a global `Reflect.getMetadata` polyfill
 * (through tsyringe) that a library should not install on its users' behalf, and its
 * asn1js parser accepts BER. This reader is strict DER and small; the tests cross-check
 * it against `@peculiar/x509` and node:crypto on the recorded AWS certificates.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { decodeDerTime, decodeOid, derContents, readDerChildren, readDerElement, splitCertificate, type CertificateParts, type DerElement } from './der.js';

/** Key usage bits (RFC 5280 §4.2.1.3), numbered from the most significant bit of the first byte. */
export const KEY_USAGE_BIT = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

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
  '2.5.4.3': 'CN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST',
  '2.5.4.10': 'O', '2.5.4.11': 'OU', '1.2.840.113549.1.9.1': 'E',
};
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const ID_BASIC_CONSTRAINTS = '2.5.29.19';
const ID_KEY_USAGE = '2.5.29.15';

function expect(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (!element || element.tag !== tag) throw new Error(`expected ${what}`);
  return element;
}

function readName(der: Uint8Array, name: DerElement): string {
  const parts: string[] = [];
  for (const rdn of readDerChildren(der, expect(name, 0x30, 'Name SEQUENCE'))) {
    for (const atv of readDerChildren(der, expect(rdn, 0x31, 'RelativeDistinguishedName SET'))) {
      const [type, value] = readDerChildren(der, expect(atv, 0x30, 'AttributeTypeAndValue SEQUENCE'));
      const oid = decodeOid(derContents(der, expect(type, 0x06, 'attribute type OID')));
      if (!value) throw new Error('attribute without value');
      const raw = derContents(der, value);
      // UTF8String, PrintableString, IA5String read as text; anything else shown as hex.
      const text = [0x0c, 0x13, 0x16].includes(value.tag) ? UTF8.decode(raw) : `#${bytesToHex(raw)}`;
      parts.push(`${ATTRIBUTE_NAMES[oid] ?? oid}=${text}`);
    }
  }
  return parts.join(', ');
}

function readExtensions(der: Uint8Array, wrapper: DerElement): X509Extension[] {
  const list = readDerElement(der, wrapper.contentStart, wrapper.end);
  if (list.end !== wrapper.end) throw new Error('trailing bytes after extensions');
  return readDerChildren(der, expect(list, 0x30, 'Extensions SEQUENCE')).map((ext) => {
    const fields = readDerChildren(der, expect(ext, 0x30, 'Extension SEQUENCE'));
    const oid = decodeOid(derContents(der, expect(fields[0], 0x06, 'extension OID')));
    let critical = false;
    let next = 1;
    if (fields[1]?.tag === 0x01) {
      const flag = derContents(der, fields[1]);
      if (flag.length !== 1 || flag[0] !== 0xff) throw new Error('extension critical flag must be DER TRUE');
      critical = true;
      next = 2;
    }
    const value = expect(fields[next], 0x04, 'extension value OCTET STRING');
    if (fields.length !== next + 1) throw new Error('trailing fields in extension');
    return { oid, critical, value: derContents(der, value) };
  });
}

function readBasicConstraints(value: Uint8Array): { ca: boolean; pathLength?: number } {
  const seq = expect(readDerElement(value, 0), 0x30, 'BasicConstraints SEQUENCE');
  if (seq.end !== value.length) throw new Error('trailing bytes after BasicConstraints');
  const fields = readDerChildren(value, seq);
  let ca = false;
  let index = 0;
  if (fields[0]?.tag === 0x01) {
    const flag = derContents(value, fields[0]);
    if (flag.length !== 1 || flag[0] !== 0xff) throw new Error('BasicConstraints cA must be DER TRUE when present');
    ca = true;
    index = 1;
  }
  let pathLength: number | undefined;
  if (fields[index]) {
    const int = derContents(value, expect(fields[index], 0x02, 'pathLenConstraint INTEGER'));
    if (int.length === 0 || int.length > 2 || int[0] & 0x80 || (int.length === 2 && int[0] === 0 && !(int[1] & 0x80))) {
      throw new Error('pathLenConstraint must be a small non-negative minimal INTEGER');
    }
    pathLength = int.reduce((n, byte) => n * 256 + byte, 0);
    index++;
  }
  if (index !== fields.length) throw new Error('trailing fields in BasicConstraints');
  return pathLength === undefined ? { ca } : { ca, pathLength };
}

function readKeyUsage(value: Uint8Array): Set<number> {
  const bits = expect(readDerElement(value, 0), 0x03, 'KeyUsage BIT STRING');
  if (bits.end !== value.length) throw new Error('trailing bytes after KeyUsage');
  const contents = derContents(value, bits);
  if (contents.length < 2 || contents[0] > 7) throw new Error('malformed KeyUsage BIT STRING');
  const usages = new Set<number>();
  for (let i = 0; i < (contents.length - 1) * 8 - contents[0]; i++) {
    if (contents[1 + (i >> 3)] & (0x80 >> (i & 7))) usages.add(i);
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
  const parts = splitCertificate(der);
  const tbsRoot = readDerElement(parts.tbs, 0);
  const tbs = readDerChildren(parts.tbs, tbsRoot);
  const versionWrapper = expect(tbs[0], 0xa0, 'X.509 v3 version field');
  const version = expect(readDerElement(parts.tbs, versionWrapper.contentStart, versionWrapper.end), 0x02, 'version INTEGER');
  const versionBytes = derContents(parts.tbs, version);
  if (version.end !== versionWrapper.end || versionBytes.length !== 1 || versionBytes[0] !== 2) throw new Error('expected an X.509 v3 certificate');
  let i = 1;
  const serial = expect(tbs[i++], 0x02, 'serialNumber INTEGER');
  expect(tbs[i++], 0x30, 'signature AlgorithmIdentifier');
  const issuer = expect(tbs[i++], 0x30, 'issuer Name');
  const validity = readDerChildren(parts.tbs, expect(tbs[i++], 0x30, 'Validity SEQUENCE'));
  if (validity.length !== 2) throw new Error('expected notBefore and notAfter');
  const subject = expect(tbs[i++], 0x30, 'subject Name');
  const spki = expect(tbs[i++], 0x30, 'SubjectPublicKeyInfo SEQUENCE');
  while (tbs[i] && (tbs[i].tag === 0x81 || tbs[i].tag === 0xa1 || tbs[i].tag === 0x82 || tbs[i].tag === 0xa2)) i++;
  const extensions = tbs[i]?.tag === 0xa3 ? readExtensions(parts.tbs, tbs[i++]) : [];
  if (i !== tbs.length) throw new Error('unexpected fields in tbsCertificate');

  const fields: X509Fields = {
    ...parts,
    serialNumber: bytesToHex(derContents(parts.tbs, serial)),
    issuerDer: bytesToHex(parts.tbs.subarray(issuer.start, issuer.end)),
    subjectDer: bytesToHex(parts.tbs.subarray(subject.start, subject.end)),
    issuer: readName(parts.tbs, issuer),
    subject: readName(parts.tbs, subject),
    notBefore: decodeDerTime(parts.tbs, validity[0]),
    notAfter: decodeDerTime(parts.tbs, validity[1]),
    spki: parts.tbs.subarray(spki.start, spki.end),
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
