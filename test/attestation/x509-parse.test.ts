/**
 * The certificate reader (PKI.js plus the DER checks of x509-certificate.ts) checked against
 * two independent parsers on every certificate of the recorded AWS chains: @peculiar/x509
 * (asn1js) and node:crypto (OpenSSL); then the DER and RFC 5280 rules it adds to PKI.js,
 * each shown on an encoding that asn1js alone accepts.
 */
import './reflect-shim.js';
import { X509Certificate as NodeX509, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BasicConstraintsExtension, KeyUsagesExtension, X509Certificate } from '@peculiar/x509';
import { ecdsaDerToRaw, parseX509Certificate } from '../../src/tee/pki/x509-certificate.js';
import { payloadOf, REAL_DOCUMENTS } from './helpers.js';

const certificates = REAL_DOCUMENTS.flatMap((doc) => {
  const payload = payloadOf(doc.bytes);
  const chain = [...(payload.get('cabundle') as Uint8Array[]), payload.get('certificate') as Uint8Array];
  return chain.map((der, i) => ({ name: `${doc.file} #${i}`, der, issuer: chain[Math.max(0, i - 1)] }));
});

const hex = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');

describe.each(certificates)('certificate $name', ({ der, issuer }) => {
  const mine = parseX509Certificate(der);

  it('matches @peculiar/x509', () => {
    const theirs = new X509Certificate(der.slice());
    expect(mine.subject).toBe(theirs.subject);
    expect(mine.issuer).toBe(theirs.issuer);
    expect(mine.notBefore.toISOString()).toBe(theirs.notBefore.toISOString());
    expect(mine.notAfter.toISOString()).toBe(theirs.notAfter.toISOString());
    expect(mine.serialNumber.replace(/^00/, '')).toBe(theirs.serialNumber.toLowerCase().replace(/^00/, ''));
    expect(hex(mine.spki)).toBe(hex(theirs.publicKey.rawData));
    const bc = theirs.getExtension(BasicConstraintsExtension);
    expect(mine.basicConstraints).toEqual(bc ? { ca: bc.ca, ...(bc.pathLength === undefined ? {} : { pathLength: bc.pathLength }) } : undefined);
    const flags = [...(mine.keyUsage ?? [])].reduce((acc, bit) => acc | (1 << bit), 0);
    expect(flags).toBe(theirs.getExtension(KeyUsagesExtension)?.usages ?? 0);
    expect(mine.extensions.map((e) => [e.oid, e.critical])).toEqual(theirs.extensions.map((e) => [e.type, e.critical]));
  });

  it('matches node:crypto (OpenSSL), which also verifies the link to its issuer', () => {
    const theirs = new NodeX509(der);
    expect(mine.subject.split(', ')).toEqual(theirs.subject.split('\n'));
    expect(mine.notBefore.getTime()).toBe(new Date(theirs.validFrom).getTime());
    expect(mine.notAfter.getTime()).toBe(new Date(theirs.validTo).getTime());
    expect(mine.basicConstraints?.ca ?? false).toBe(theirs.ca);
    expect(hex(mine.spki)).toBe(hex(theirs.publicKey.export({ type: 'spki', format: 'der' })));
    expect(theirs.verify(new NodeX509(issuer).publicKey)).toBe(true);
  });

  it('takes exactly the bytes OpenSSL signs from the input', () => {
    const { tbs, signatureAlgorithm, tbsSignatureAlgorithm, signatureValue } = mine;
    expect(hex(signatureAlgorithm)).toBe('300a06082a8648ce3d040303'); // ecdsa-with-SHA384 everywhere in AWS chains
    expect(hex(tbsSignatureAlgorithm)).toBe(hex(signatureAlgorithm));
    expect(Buffer.from(der).indexOf(Buffer.from(tbs))).toBe(4); // the input's own bytes, after the 4-byte outer header
    expect(nodeVerify('sha384', tbs, new NodeX509(issuer).publicKey, signatureValue)).toBe(true);
    expect(mine.spki.length).toBe(120); // P-384 uncompressed
  });
});

describe('DER rules added to PKI.js / asn1js', () => {
  const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));
  const int48 = (first: string) => first + '11'.repeat(47);
  const root = certificates[0].der; // the AWS Nitro root, same length after every patch
  /** The root with the first occurrence of `from` replaced by `to` (hex, same length). */
  const patched = (from: string, to: string): Uint8Array => {
    const at = Buffer.from(root).indexOf(Buffer.from(bytes(from)));
    expect(at).toBeGreaterThan(0);
    const out = root.slice();
    out.set(bytes(to), at);
    return out;
  };

  it('converts ECDSA signatures to r‖s', () => {
    const r = '00' + int48('ff'); // positive with a sign byte
    const s = '01';
    const der = bytes(`30 ${(2 + 49 + 2 + 1).toString(16)} 02 31 ${r} 02 01 ${s}`);
    const raw = ecdsaDerToRaw(der, 48);
    expect(hex(raw)).toBe(int48('ff') + '00'.repeat(47) + '01');
  });

  it.each([
    ['a negative integer', '3006 020180 020101', 'ECDSA signature integer is not positive'],
    ['a non-minimal integer', '3007 02020001 020101', 'ECDSA signature integer not minimally encoded'],
    ['an empty integer', '3005 0200 020101', 'ECDSA signature integer is not positive'],
    ['trailing bytes', '3006 020101 020101 00', 'trailing bytes after ECDSA signature'],
    ['a third integer', '3009 020101 020101 020101', 'trailing bytes inside ECDSA signature'],
    ['a SET', '3106 020101 020101', 'expected ECDSA signature SEQUENCE'],
    ['an indefinite length', '3080 020101 020101 0000', 'DER indefinite length'],
    ['a non-minimal length', '308106 020101 020101', 'DER length not minimally encoded'],
    ['a length past the end', '3010 020101', 'malformed DER in ECDSA signature: End of input reached'],
    ['an integer running past its SEQUENCE', '3003 0205 0102030405', 'DER element runs past its container'],
    ['a SEQUENCE in primitive form', '1006 020101 020101', 'DER element in the wrong primitive/constructed form'],
  ])('rejects an ECDSA signature with %s', (_name, h, message) => {
    expect(() => ecdsaDerToRaw(bytes(h), 48)).toThrow(message);
  });

  it('rejects an integer wider than the curve', () => {
    expect(() => ecdsaDerToRaw(bytes(`3036 0231 01${'11'.repeat(48)} 020101`), 48)).toThrow('ECDSA signature integer too large');
  });

  it('rejects non-minimal and truncated object identifiers', () => {
    expect(parseX509Certificate(root).extensions.map((e) => e.oid)).toEqual(['2.5.29.19', '2.5.29.14', '2.5.29.15']);
    expect(() => parseX509Certificate(patched('0603550403', '0603558003'))).toThrow('OBJECT IDENTIFIER arc not minimally encoded');
    expect(() => parseX509Certificate(patched('0603550403', '0603550483'))).toThrow('malformed DER in certificate');
  });

  it('reads validity in Z form only, and rejects dates that do not exist', () => {
    expect(parseX509Certificate(root).notBefore.toISOString()).toBe('2019-10-28T13:28:05.000Z');
    expect(parseX509Certificate(root).notAfter.toISOString()).toBe('2049-10-28T14:28:05.000Z');
    const notBefore = '170d3139313032383133323830355a'; // UTCTime 191028132805Z
    const utc = (text: string) => patched(notBefore, '170d' + Buffer.from(text, 'ascii').toString('hex'));
    expect(() => parseX509Certificate(utc('190230132805Z'))).toThrow('invalid date');
    expect(() => parseX509Certificate(utc('191028246005Z'))).toThrow('invalid date');
    expect(() => parseX509Certificate(utc('1910281328050'))).toThrow('expected a UTCTime or GeneralizedTime in Z form');
    expect(() => parseX509Certificate(utc('19102813280+1'))).toThrow('expected a UTCTime or GeneralizedTime in Z form');
  });

  it('rejects a BOOLEAN TRUE that is not 0xFF (critical flag, cA)', () => {
    expect(parseX509Certificate(root).basicConstraints).toEqual({ ca: true });
    expect(() => parseX509Certificate(patched('551d130101ff', '551d13010101'))).toThrow('extension critical flag must be DER TRUE');
    expect(() => parseX509Certificate(patched('551d130101ff', '551d13010100'))).toThrow('extension critical flag must be DER TRUE');
    expect(() => parseX509Certificate(patched('30030101ff', '3003010101'))).toThrow('BasicConstraints cA must be DER TRUE when present');
  });

  it('rejects a certificate with trailing bytes', () => {
    const longer = new Uint8Array(root.length + 1);
    longer.set(root);
    expect(() => parseX509Certificate(longer)).toThrow('trailing bytes after certificate');
  });
});
