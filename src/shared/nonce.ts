/**
 * One rule for nonces and one for timestamps, shared by every entry point (prove, infer,
 * attest, verify, the library). A nonce is what a verifier hands a prover so that a
 * receipt made for it cannot be older than the request: lowercase hex, an even number of
 * digits, 1 to 512 bytes (the Nitro Secure Module's bound on nonces, kept for every
 * provider so any nonce can also be attested). No `0x` prefix, no upper case: one spelling
 * per value, because the nonce's bytes are hashed into the proof's context.
 */
import { InvalidArgumentError } from './errors.js';

/** Largest nonce, in bytes (the NSM's limit, aws-nitro-enclaves-nsm-api). */
export const MAX_NONCE_BYTES = 512;

const NONCE = /^(?:[0-9a-f]{2})+$/;

/** Whether `value` is a nonce: 2 to 1024 lowercase hex digits, an even number. */
export function isNonce(value: unknown): value is string {
  return typeof value === 'string' && NONCE.test(value) && value.length <= 2 * MAX_NONCE_BYTES;
}

/**
 * Checks a nonce.
 * @param name the parameter named in the message (e.g. `--nonce`)
 * @throws {InvalidArgumentError} "expected <name> to be 2 to 1024 lowercase hex digits (an even number, no 0x), got …"
 */
export function assertNonce(value: unknown, name = 'nonce'): asserts value is string {
  if (!isNonce(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value) : String(value);
    throw new InvalidArgumentError(`expected ${name} to be 2 to ${2 * MAX_NONCE_BYTES} lowercase hex digits (an even number, no 0x), got ${shown}`);
  }
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Whether `value` is a receipt time: an ISO 8601 UTC time with milliseconds, exactly as
 * `Date.prototype.toISOString` writes it (`2026-12-02T07:04:44.123Z`), so that its
 * millisecond count, which the proof's context binds, has one spelling.
 */
export function isReceiptTime(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_MS.test(value)) return false;
  const t = Date.parse(value);
  return Number.isFinite(t) && new Date(t).toISOString() === value;
}

/** The current time as a receipt time. */
export function receiptTimeNow(): string {
  return new Date().toISOString();
}
