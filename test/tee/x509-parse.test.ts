/**
 * The strict DER certificate reader checked against two independent parsers on every
 * certificate of the recorded AWS chains: @peculiar/x509 (asn1js) and node:crypto
 * (OpenSSL), plus unit checks of the DER primitives' rejections.
 */
import './reflect-shim.js';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BasicConstraintsExtension, KeyUsagesExtension, X509Certificate } from '@peculiar/x509';
import { decodeDerTime, decodeOid, ecdsaDerToRaw, readDerElement, splitCertificate } from '../../src/tee/der.js';
import { parseX509Certificate } from '../../src/tee/x509-certificate.js';
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

  it('splits out exactly the bytes OpenSSL signs', () => {
    const { tbs, signatureAlgorithm, tbsSignatureAlgorithm } = splitCertificate(der);
    expect(hex(signatureAlgorithm)).toBe('300a06082a8648ce3d040303'); // ecdsa-with-SHA384 everywhere in AWS chains
    expect(hex(tbsSignatureAlgorithm)).toBe(hex(signatureAlgorithm));
    expect(tbs.length).toBeLessThan(der.length);
    expect(mine.spki.length).toBe(120); // P-384 uncompressed
  });
});

describe('DER primitives', () => {
  const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));
  const int48 = (first: string) => first + '11'.repeat(47);

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
    ['a length past the end', '3010 020101', 'DER element runs past its container'],
  ])('rejects an ECDSA signature with %s', (_name, h, message) => {
    expect(() => ecdsaDerToRaw(bytes(h), 48)).toThrow(message);
  });

  it('rejects an integer wider than the curve', () => {
    expect(() => ecdsaDerToRaw(bytes(`3036 0231 01${'11'.repeat(48)} 020101`), 48)).toThrow('ECDSA signature integer too large');
  });

  it('decodes object identifiers', () => {
    expect(decodeOid(bytes('2a8648ce3d040303'))).toBe('1.2.840.10045.4.3.3');
    expect(decodeOid(bytes('2b81040022'))).toBe('1.3.132.0.34');
    expect(decodeOid(bytes('551d13'))).toBe('2.5.29.19');
    expect(() => decodeOid(bytes('2a80 01'))).toThrow('OBJECT IDENTIFIER arc not minimally encoded');
    expect(() => decodeOid(bytes('2a86'))).toThrow('malformed OBJECT IDENTIFIER');
  });

  it('decodes UTCTime and GeneralizedTime in Z form only', () => {
    const time = (tag: number, text: string) => {
      const data = new Uint8Array([tag, text.length, ...Buffer.from(text, 'ascii')]);
      return decodeDerTime(data, readDerElement(data, 0));
    };
    expect(time(0x17, '491028142805Z').toISOString()).toBe('2049-10-28T14:28:05.000Z');
    expect(time(0x17, '500101000000Z').toISOString()).toBe('1950-01-01T00:00:00.000Z');
    expect(time(0x18, '20600101000000Z').toISOString()).toBe('2060-01-01T00:00:00.000Z');
    expect(() => time(0x17, '230230000000Z')).toThrow('invalid date');
    expect(() => time(0x17, '2302280000Z')).toThrow('expected a UTCTime or GeneralizedTime in Z form');
    expect(() => time(0x17, '230228000000+0100')).toThrow('expected a UTCTime or GeneralizedTime in Z form');
    expect(() => time(0x04, '230228000000Z')).toThrow('expected a UTCTime or GeneralizedTime in Z form');
  });

  it('rejects a certificate with trailing bytes', () => {
    const der = certificates[0].der;
    const longer = new Uint8Array(der.length + 1);
    longer.set(der);
    expect(() => parseX509Certificate(longer)).toThrow('trailing bytes after certificate');
  });
});
