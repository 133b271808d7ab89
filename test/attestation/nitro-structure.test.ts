/**
 * Structural rejections: documents rebuilt from a recorded one with one thing changed.
 * Their signatures can no longer verify, so each test also shows that the structural error
 * is the one reported (it comes first), in one exact line.
 */
import { describe, expect, it } from 'vitest';
import { encode, Tagged } from 'cborg';
import { AttestationError } from '../../src/shared/errors.js';
import { decodeNitroAttestation } from '../../src/tee/nitro/document.js';
import { verifyNitroAttestation } from '../../src/tee/nitro/verify.js';
import { coseItems, EU_WEST_1, OPENGRADIENT, payloadOf, rejection, withCoseItem, withPayload } from './helpers.js';

const doc = EU_WEST_1.bytes;
const at = EU_WEST_1.at;

async function reason(bytes: Uint8Array): Promise<string> {
  const error = await rejection(verifyNitroAttestation(bytes, { at }));
  expect(error).toBeInstanceOf(AttestationError);
  // decoding alone reports the same structural error
  if (!error.message.startsWith('certificate chain') && !error.message.includes('signature does not verify')) {
    expect(() => decodeNitroAttestation(bytes)).toThrow(error.message);
  }
  return error.message;
}

const concat = (...parts: Array<Uint8Array | number[]>) => new Uint8Array(parts.flatMap((p) => [...p]));

describe('COSE_Sign1 envelope', () => {
  it.each([
    ['not CBOR at all', new Uint8Array([0xff, 0x00, 0x01]), 'COSE_Sign1: malformed CBOR'],
    ['a lone break byte', new Uint8Array([0xff]), 'COSE_Sign1: malformed CBOR'],
    ['text instead of CBOR', new TextEncoder().encode('hello world'), 'COSE_Sign1: malformed CBOR'],
    ['a map', encode(new Map([[1, 2]])), 'COSE_Sign1: expected an array of 4 items, got a map'],
    ['a byte string', encode(new Uint8Array(8)), 'COSE_Sign1: expected an array of 4 items, got a byte string'],
    ['an array of 3', encode(coseItems(doc).slice(0, 3)), 'COSE_Sign1: expected an array of 4 items, got an array of 3'],
    ['tag 98 (COSE_Sign)', encode(new Tagged(98, coseItems(doc))), 'COSE_Sign1: expected tag 18 or no tag, got tag 98'],
    ['tag 18 twice', encode(new Tagged(18, new Tagged(18, coseItems(doc)))), 'COSE_Sign1: expected an array of 4 items, got tag 18 again'],
    ['an undefined value', concat([0x84, 0x40, 0xa0, 0x40, 0xf7]), 'COSE_Sign1: malformed CBOR'],
    ['an indefinite-length byte string', concat([0x84, 0x5f, 0x41, 0x00, 0xff, 0xa0, 0x40, 0x40]), 'COSE_Sign1: malformed CBOR'],
  ])('rejects %s', async (_name, bytes, message) => {
    expect(await reason(bytes)).toBe(message);
  });

  it.each([
    ['protected header as a map', 0, new Map([[1, -35]]), 'COSE_Sign1: protected header must be a byte string, got a map'],
    ['protected header not CBOR', 0, new Uint8Array([0xa1, 0x01]), 'COSE_Sign1: protected header is malformed CBOR'],
    ['protected header an array', 0, encode([1, -35]), 'COSE_Sign1: protected header must be a map, got an array'],
    ['empty protected header', 0, new Uint8Array(0), 'COSE_Sign1: protected header has no algorithm'],
    ['ES256 (-7)', 0, encode(new Map([[1, -7]])), 'COSE_Sign1: unsupported algorithm -7, expected ES384 (-35)'],
    ['ES512 (-36)', 0, encode(new Map([[1, -36]])), 'COSE_Sign1: unsupported algorithm -36, expected ES384 (-35)'],
    ['EdDSA (-8)', 0, encode(new Map([[1, -8]])), 'COSE_Sign1: unsupported algorithm -8, expected ES384 (-35)'],
    ['algorithm as text', 0, encode(new Map([[1, 'ES384']])), 'COSE_Sign1: unsupported algorithm "ES384", expected ES384 (-35)'],
    ['algorithm as bytes', 0, encode(new Map([[1, new Uint8Array([0x22])]])), 'COSE_Sign1: unsupported algorithm a byte string, expected ES384 (-35)'],
    [
      'a crit header',
      0,
      encode(
        new Map<number, unknown>([
          [1, -35],
          [2, [99]],
        ]),
      ),
      'COSE_Sign1: critical header parameters are not supported',
    ],
    ['unprotected header as an array', 1, [], 'COSE_Sign1: unprotected header must be a map, got an array'],
    ['unprotected header null', 1, null, 'COSE_Sign1: unprotected header must be a map, got null'],
    ['a label in both headers', 1, new Map([[1, -35]]), 'COSE_Sign1: header label 1 appears in both protected and unprotected headers'],
    ['a detached payload', 2, null, 'COSE_Sign1: detached payloads are not supported'],
    ['payload as text', 2, 'payload', 'COSE_Sign1: payload must be a byte string, got a text string'],
    ['payload as a map', 2, new Map([['module_id', 'x']]), 'COSE_Sign1: payload must be a byte string, got a map'],
    ['signature as an array', 3, [1, 2], 'COSE_Sign1: signature must be a byte string, got an array'],
    ['a 95-byte signature', 3, new Uint8Array(95), 'COSE_Sign1: ES384 signature must be 96 bytes, got 95'],
    ['a 97-byte signature', 3, new Uint8Array(97), 'COSE_Sign1: ES384 signature must be 96 bytes, got 97'],
    [
      'a DER-encoded signature',
      3,
      concat([0x30, 0x66, 0x02, 0x31, 0x00], new Uint8Array(48).fill(0x81), [0x02, 0x31, 0x00], new Uint8Array(48).fill(0x81)),
      'COSE_Sign1: ES384 signature must be 96 bytes, got 104',
    ],
  ])('rejects %s', async (_name, index, value, message) => {
    expect(await reason(withCoseItem(doc, index as number, value))).toBe(message);
  });

  it('rejects the algorithm when it is only in the unprotected header', async () => {
    const items = coseItems(doc);
    items[0] = new Uint8Array(0);
    items[1] = new Map([[1, -35]]);
    expect(await reason(encode(items))).toBe('COSE_Sign1: protected header has no algorithm');
  });

  it('rejects an all-zero signature of the right length', async () => {
    expect(await reason(withCoseItem(doc, 3, new Uint8Array(96)))).toBe('COSE_Sign1: signature does not verify with the key of certificate');
  });

  it('rejects a non-Uint8Array input', async () => {
    expect(await reason('not bytes' as unknown as Uint8Array)).toBe('COSE_Sign1: expected a Uint8Array, got string');
  });
});

describe('attestation document fields', () => {
  const set = (field: string, value: unknown) => withPayload(doc, (p) => p.set(field, value));
  const remove = (field: string) => withPayload(doc, (p) => p.delete(field));

  it.each(['module_id', 'digest', 'timestamp', 'pcrs', 'certificate', 'cabundle'])('rejects a document without %s', async (field) => {
    expect(await reason(remove(field))).toBe(`attestation document: missing field "${field}"`);
  });

  it.each([
    ['module_id', new Uint8Array(4), 'field "module_id" must be a text string, got a byte string'],
    ['module_id', '', 'field "module_id" must not be empty'],
    ['module_id', null, 'field "module_id" must be a text string, got null'],
    ['digest', 'SHA256', 'field "digest" must be "SHA384", got "SHA256"'],
    ['digest', 384, 'field "digest" must be a text string, got an integer'],
    ['timestamp', '1668034320696', 'field "timestamp" must be an unsigned integer, got a text string'],
    ['timestamp', 1.5, 'field "timestamp" must be an unsigned integer, got a float'],
    ['timestamp', -1, 'field "timestamp" must be positive, got -1'],
    ['timestamp', 0, 'field "timestamp" must be positive, got 0'],
    ['pcrs', [new Uint8Array(48)], 'field "pcrs" must be a map, got an array'],
    ['pcrs', new Map(), 'field "pcrs" must have 1 to 32 entries, got 0'],
    [
      'pcrs',
      new Map([
        [0, new Uint8Array(48)],
        [32, new Uint8Array(48)],
      ]),
      'field "pcrs" has key 32, expected an index in [0, 31]',
    ],
    ['pcrs', new Map([[-1, new Uint8Array(48)]]), 'field "pcrs" has key -1, expected an index in [0, 31]'],
    ['pcrs', new Map([['0', new Uint8Array(48)]]), 'field "pcrs" has key a text string, expected an index in [0, 31]'],
    ['pcrs', new Map([[0, new Uint8Array(20)]]), 'field "pcrs[0]" must be 32, 48 or 64 bytes, got 20'],
    ['pcrs', new Map([[0, '00']]), 'field "pcrs[0]" must be a byte string, got a text string'],
    [
      'pcrs',
      new Map([
        [0, new Uint8Array(48)],
        [2, new Uint8Array(48)],
      ]),
      'field "pcrs" has no PCR1',
    ],
    ['certificate', 'MIIC...', 'field "certificate" must be a byte string, got a text string'],
    ['certificate', new Uint8Array(0), 'field "certificate" must not be empty'],
    ['certificate', new Uint8Array(1025), 'field "certificate" is 1025 bytes, more than the 1024 allowed'],
    ['cabundle', new Uint8Array(10), 'field "cabundle" must be an array, got a byte string'],
    ['cabundle', [], 'field "cabundle" must not be empty'],
    ['cabundle', Array.from({ length: 17 }, () => new Uint8Array(1)), 'field "cabundle" has 17 certificates, more than the 16 allowed'],
    ['cabundle', [new Uint8Array(1), 'cert'], 'field "cabundle[1]" must be a byte string, got a text string'],
    ['cabundle', [new Uint8Array(1), new Uint8Array(2000)], 'field "cabundle[1]" is 2000 bytes, more than the 1024 allowed'],
    ['public_key', 'key', 'field "public_key" must be a byte string, got a text string'],
    ['public_key', new Uint8Array(0), 'field "public_key" must not be empty'],
    ['public_key', new Uint8Array(1025), 'field "public_key" is 1025 bytes, more than the 1024 allowed'],
    ['user_data', 7, 'field "user_data" must be a byte string, got an integer'],
    ['user_data', new Uint8Array(1025), 'field "user_data" is 1025 bytes, more than the 1024 allowed'],
    ['nonce', [1, 2, 3], 'field "nonce" must be a byte string, got an array'],
    ['nonce', new Uint8Array(1025), 'field "nonce" is 1025 bytes, more than the 1024 allowed'],
    ['nonce', new Uint8Array(1_000_000), 'field "nonce" is 1000000 bytes, more than the 1024 allowed'],
    ['extra', 1, 'unexpected field "extra"'],
  ])('rejects %s = %j', async (field, value, message) => {
    const bytes = set(field, value);
    // the 1 MB nonce also trips the whole-document limit, which is checked first
    const expected = bytes.length > 65536 ? `attestation document: ${bytes.length} bytes, more than the 65536 allowed` : `attestation document: ${message}`;
    expect(await reason(bytes)).toBe(expected);
  });

  it('rejects a 257-character module_id', async () => {
    expect(await reason(set('module_id', 'i'.repeat(257)))).toBe('attestation document: field "module_id" is 257 characters, more than the 256 allowed');
  });

  it('rejects a field name that is not text', async () => {
    expect(await reason(withPayload(doc, (p) => p.set(7, 'x')))).toBe('attestation document: field names must be text strings, got an integer');
  });

  it.each([
    ['not CBOR', new Uint8Array([0x1c]), 'attestation document: payload is malformed CBOR'],
    ['an array', encode([1, 2]), 'attestation document: payload must be a map, got an array'],
    ['two items', concat(encode(new Map()), encode(new Map())), 'attestation document: payload is malformed CBOR'],
    ['a repeated key', concat([0xa2], encode('digest'), encode('SHA384'), encode('digest'), encode('SHA384')), 'attestation document: payload is malformed CBOR'],
    ['a non-minimal integer', concat([0xa1], encode('timestamp'), [0x1b, 0, 0, 0, 0, 0, 0, 0, 1]), 'attestation document: payload is malformed CBOR'],
    ['an integer beyond 2^53', concat([0xa1], encode('timestamp'), [0x1b, 0xff, 0, 0, 0, 0, 0, 0, 1]), 'attestation document: payload is malformed CBOR'],
    ['a NaN', concat([0xa1], encode('timestamp'), [0xf9, 0x7e, 0x00]), 'attestation document: payload is malformed CBOR'],
    ['a tag', concat([0xa1], encode('timestamp'), [0xc1, 0x01]), 'attestation document: payload is malformed CBOR'],
  ])('rejects a payload that is %s', async (_name, payload, message) => {
    expect(await reason(withCoseItem(doc, 2, payload))).toBe(message);
  });

  it('rejects a document over 64 KiB before decoding it', async () => {
    expect(await reason(new Uint8Array(65537))).toBe('attestation document: 65537 bytes, more than the 65536 allowed');
  });

  it('accepts null optional fields and 1024-byte ones structurally (then the signature fails)', async () => {
    const bytes = withPayload(doc, (p) => {
      p.set('user_data', null);
      p.set('nonce', new Uint8Array(1024));
      p.set('public_key', new Uint8Array(1024));
    });
    expect(decodeNitroAttestation(bytes).document).toMatchObject({ userData: undefined });
    expect(await reason(bytes)).toBe('COSE_Sign1: signature does not verify with the key of certificate');
  });

  it('signs the payload bytes as sent: re-encoding the indefinite-length map breaks the signature', async () => {
    const definite = withCoseItem(OPENGRADIENT.bytes, 2, encode(payloadOf(OPENGRADIENT.bytes)));
    expect(decodeNitroAttestation(definite).document.moduleId).toBe('i-0340e0cb833504eb6-enc019c12d31f78864d');
    const error = await rejection(verifyNitroAttestation(definite, { at: OPENGRADIENT.at }));
    expect(error.message).toBe('COSE_Sign1: signature does not verify with the key of certificate');
  });

  it('reports certificate problems with the certificate named', async () => {
    expect(await reason(set('certificate', new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])))).toBe('certificate chain: certificate is not a valid X.509 certificate');
    const bundle = payloadOf(doc).get('cabundle') as Uint8Array[];
    expect(await reason(set('cabundle', [bundle[0], bundle[2], bundle[1], bundle[3]]))).toBe('certificate chain: cabundle[1] path length constraint 1 exceeded by 2 intermediate certificates');
    expect(await reason(set('cabundle', [bundle[0], bundle[1], bundle[1], bundle[3]]))).toBe('certificate chain: cabundle[2] issuer does not match the subject of cabundle[1]');
    const otherLeaf = payloadOf(OPENGRADIENT.bytes).get('certificate');
    expect(await reason(set('certificate', otherLeaf))).toBe('certificate chain: certificate issuer does not match the subject of cabundle[3]');
    expect(await reason(set('cabundle', bundle.slice(1)))).toBe(
      'certificate chain: cabundle[0] is not the pinned root (its SHA-256 is 363614ba50b1482327c72d20551a13786a2040683c05e15dfb95145bf236832f)',
    );
    expect(await reason(set('cabundle', bundle.slice(0, 3)))).toBe('certificate chain: certificate issuer does not match the subject of cabundle[2]');
  });
});
