/**
 * Tampering with recorded documents: every sampled single-byte change, truncation or
 * extension must be rejected with an AttestationError of one line, never accepted and
 * never a crash (TypeError, RangeError …). Each document is checked at a time when it is
 * valid, with debug allowed, so only the tampering can cause the rejection.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttestationError } from '../../src/shared/errors.js';
import { decodeNitroAttestation } from '../../src/tee/nitro/document.js';
import { verifyNitroAttestation } from '../../src/tee/nitro/verify.js';
import { coseItems, REAL_DOCUMENTS, type RealDocument } from './helpers.js';

async function outcome(doc: RealDocument, bytes: Uint8Array): Promise<string> {
  try {
    await verifyNitroAttestation(bytes, { at: doc.at, allowDebug: true });
    return 'accepted';
  } catch (error) {
    if (!(error instanceof AttestationError)) return `crash: ${String(error)}`;
    if (error.message.includes('\n')) return `multi-line: ${error.message}`;
    return error.message;
  }
}

/** Offsets of the payload, the signature and the leaf certificate inside a document. */
function regions(doc: Uint8Array): Record<string, [number, number]> {
  const [, , payload, signature] = coseItems(doc) as Uint8Array[];
  const find = (needle: Uint8Array) => Buffer.from(doc).indexOf(Buffer.from(needle));
  const payloadAt = find(payload);
  const signatureAt = doc.length - signature.length;
  const leaf = Buffer.from(doc).indexOf(Buffer.from('certificate'));
  return {
    header: [0, payloadAt],
    payload: [payloadAt, payloadAt + payload.length],
    leafCertificate: [leaf, leaf + 700],
    signature: [signatureAt, doc.length],
  };
}

describe.each(REAL_DOCUMENTS)('tampered $file', (doc) => {
  it('is accepted untouched (control)', async () => {
    expect(await outcome(doc, doc.bytes)).toBe('accepted');
  });

  it('rejects a flipped byte at every sampled position', async () => {
    const r = regions(doc.bytes);
    const positions = new Set<number>();
    for (let i = 0; i < doc.bytes.length; i += 13) positions.add(i);
    for (const [start, end] of [r.header, r.signature]) for (let i = start; i < end; i++) positions.add(i);
    for (let i = r.leafCertificate[0]; i < r.leafCertificate[1]; i += 4) positions.add(i);
    const failures: string[] = [];
    const reasons = new Map<string, number>();
    for (const position of positions) {
      for (const mask of [0x01, 0x80]) {
        const bytes = doc.bytes.slice();
        bytes[position] ^= mask;
        const result = await outcome(doc, bytes);
        if (result === 'accepted' || result.startsWith('crash') || result.startsWith('multi-line')) failures.push(`${position}^${mask}: ${result}`);
        const kind = result.split(':')[0];
        reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
      }
    }
    expect(failures).toEqual([]);
    expect(positions.size).toBeGreaterThan(500);
    // Changes are caught at every layer: envelope, payload, chain and signature.
    expect([...reasons.keys()].sort()).toEqual(['COSE_Sign1', 'attestation document', 'certificate chain']);
  });

  it('rejects the signature of another document', async () => {
    const other = REAL_DOCUMENTS.find((d) => d !== doc)!;
    const items = coseItems(doc.bytes);
    items[3] = coseItems(other.bytes)[3];
    const { encode } = await import('cborg');
    expect(await outcome(doc, encode(items))).toBe('COSE_Sign1: signature does not verify with the key of certificate');
  });

  it('rejects every sampled truncation as malformed CBOR', async () => {
    expect(await outcome(doc, doc.bytes.subarray(0, 0))).toBe('COSE_Sign1: empty input');
    const results = new Set<string>();
    for (let length = 1; length < doc.bytes.length; length += 7) results.add(await outcome(doc, doc.bytes.subarray(0, length)));
    results.add(await outcome(doc, doc.bytes.subarray(0, doc.bytes.length - 1)));
    expect([...results]).toEqual(['COSE_Sign1: malformed CBOR']);
  });

  it('rejects trailing bytes after the document', async () => {
    const longer = new Uint8Array(doc.bytes.length + 1);
    longer.set(doc.bytes);
    expect(await outcome(doc, longer)).toBe('COSE_Sign1: malformed CBOR');
  });
});

describe('random mutations (fast-check)', () => {
  const mutation = fc.record({
    doc: fc.constantFrom(...REAL_DOCUMENTS),
    edits: fc.array(fc.record({ at: fc.nat(), kind: fc.constantFrom('set', 'insert', 'delete'), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
  });

  const apply = (bytes: Uint8Array, edits: Array<{ at: number; kind: string; byte: number }>): Uint8Array => {
    let out = [...bytes];
    for (const { at, kind, byte } of edits) {
      const i = at % (out.length + 1);
      if (kind === 'set' && i < out.length) out[i] = out[i] === byte ? byte ^ 0xff : byte;
      else if (kind === 'insert' || i >= out.length) out = [...out.slice(0, i), byte, ...out.slice(i)];
      else out = [...out.slice(0, i), ...out.slice(i + 1)];
    }
    return new Uint8Array(out);
  };

  it('decoding never crashes: it returns or throws one AttestationError line', () => {
    fc.assert(
      fc.property(mutation, ({ doc, edits }) => {
        try {
          decodeNitroAttestation(apply(doc.bytes, edits));
        } catch (error) {
          return error instanceof AttestationError && !error.message.includes('\n');
        }
        return true;
      }),
      { numRuns: 1000 },
    );
  });

  /**
   * Edits can cancel out (an insert then a delete at one place), and COSE_Sign1 may be sent
   * with or without its CBOR tag 18 (0xd2) in front: neither is a different document.
   */
  const untagged = (bytes: Uint8Array): Buffer => Buffer.from(bytes[0] === 0xd2 ? bytes.subarray(1) : bytes);
  const sameDocument = (a: Uint8Array, b: Uint8Array): boolean => untagged(a).equals(untagged(b));

  it('the tagged and untagged forms of a document are the same document', async () => {
    const doc = REAL_DOCUMENTS.find((d) => d.bytes[0] !== 0xd2) ?? REAL_DOCUMENTS[0]!;
    const tagged = doc.bytes[0] === 0xd2 ? doc.bytes : new Uint8Array([0xd2, ...doc.bytes]);
    expect(await outcome(doc, tagged)).toBe('accepted');
    expect(await outcome(doc, new Uint8Array([0xd2, ...tagged]))).not.toBe('accepted');
  });

  it('verification never accepts a mutated document', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async ({ doc, edits }) => {
        const mutated = apply(doc.bytes, edits);
        fc.pre(!sameDocument(mutated, doc.bytes));
        const result = await outcome(doc, mutated);
        return result !== 'accepted' && !result.startsWith('crash') && !result.startsWith('multi-line');
      }),
      { numRuns: 150 },
    );
  });
});
