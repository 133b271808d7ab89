/**
 * How zkinfer carries and binds TDX evidence in a receipt (docs/tee.md, "Intel TDX").
 *
 * A quote proves nothing without its collateral, and a receipt must verify offline, so the
 * receipt's document is a bundle, UTF-8 JSON:
 *
 * ```
 * {"format": "intel-tdx/dcap-quote-v4+collateral", "quote": "<base64 of the quote>",
 *  "collateral": { …the collateral object (collateral.ts)… }}
 * ```
 *
 * Binding: a TD quote has no nonce field, only 64 bytes of REPORTDATA, so the zkinfer TDX
 * provider writes `REPORTDATA = receipt digest (32 bytes) ‖ SHA-256(nonce bytes) (32)`,
 * and a verifier recomputes both halves from the receipt. Freshness comes from the nonce
 * (chosen by the party that asks) and from verifying at the evaluation time against
 * collateral valid then: the quote itself has no signed time.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { AttestationError } from '../../shared/errors.js';

/** The receipt `attestation.format` of TDX documents, and the bundle's `format` field. */
export const TDX_FORMAT = 'intel-tdx/dcap-quote-v4+collateral';

/** A quote with the collateral it is verified with. */
export interface TdxEvidenceBundle {
  quote: Uint8Array;
  /** The collateral JSON, as bytes. */
  collateral: Uint8Array;
}

const bundleSchema = z.strictObject({
  format: z.literal(TDX_FORMAT),
  quote: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64'),
  collateral: z.record(z.string(), z.unknown()),
});

const FORMAT_FIELD = Buffer.from(`"format":"${TDX_FORMAT}"`);

/** Tells whether bytes look like a TDX evidence bundle (a JSON object naming the format). */
export function looksLikeTdxBundle(bytes: Uint8Array): boolean {
  return bytes[0] === 0x7b && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(FORMAT_FIELD);
}

/**
 * Writes a bundle.
 * @param bundle - the quote and the collateral JSON bytes
 * @returns UTF-8 JSON
 * @throws {AttestationError} when the collateral is not a JSON object
 */
export function encodeTdxBundle(bundle: TdxEvidenceBundle): Uint8Array {
  let collateral: unknown;
  try {
    collateral = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bundle.collateral));
  } catch (cause) {
    throw new AttestationError('TDX evidence: the collateral is not UTF-8 JSON', { cause });
  }
  return new TextEncoder().encode(JSON.stringify({ format: TDX_FORMAT, quote: Buffer.from(bundle.quote).toString('base64'), collateral }));
}

/**
 * Reads a bundle.
 * @throws {AttestationError} "TDX evidence: …" naming what is malformed
 */
export function decodeTdxBundle(bytes: Uint8Array): TdxEvidenceBundle {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new AttestationError('TDX evidence: not UTF-8 JSON', { cause });
  }
  const parsed = bundleSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AttestationError(`TDX evidence: ${issue.path.length > 0 ? `at "${issue.path.join('.')}": ` : ''}${issue.message}`);
  }
  const quote = Buffer.from(parsed.data.quote, 'base64');
  if (quote.toString('base64') !== parsed.data.quote) throw new AttestationError('TDX evidence: at "quote": base64 is not canonical');
  return { quote: new Uint8Array(quote), collateral: new TextEncoder().encode(JSON.stringify(parsed.data.collateral)) };
}

/**
 * The REPORTDATA a zkinfer TDX provider binds for a receipt: digest ‖ SHA-256(nonce).
 * @param digest - the receipt digest, 32 bytes (bytes or hex)
 * @param nonce - the receipt nonce (bytes or hex)
 * @returns 64 bytes
 * @throws {AttestationError} when the digest is not 32 bytes
 */
export function receiptReportData(digest: Uint8Array | string, nonce: Uint8Array | string): Uint8Array {
  const d = typeof digest === 'string' ? hexToBytes(digest) : digest;
  const n = typeof nonce === 'string' ? hexToBytes(nonce) : nonce;
  if (d.length !== 32) throw new AttestationError(`TDX evidence: the receipt digest must be 32 bytes to be bound, got ${d.length}`);
  const out = new Uint8Array(64);
  out.set(d, 0);
  out.set(sha256(n), 32);
  return out;
}

/** {@link receiptReportData} as hex. */
export const receiptReportDataHex = (digest: Uint8Array | string, nonce: Uint8Array | string): string => bytesToHex(receiptReportData(digest, nonce));
