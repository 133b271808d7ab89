/**
 * Policy checks on an authenticated Nitro attestation document (DESIGN.md, "TEE path and
 * policy"): debug enclaves refused, PCRs against an allowlist, nonce and user data bound
 * to what the caller expects (for zkinfer, the receipt digest).
 *
 * A debug-mode enclave reports PCR0, PCR1 and PCR2 as all zeros (AWS Nitro Enclaves User
 * Guide, "Where to get an enclave's measurements": "in debug mode … PCRs 0, 1 and 2 are
 * all zeros"), so its measurements say nothing about the code that runs in it.
 *
 * These functions run only after every signature has been verified.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { AttestationError } from '../../shared/errors.js';

/** Expected PCR values, lower- or upper-case hex, keyed `pcr0` … `pcr31`; all listed must match. */
export type PcrMeasurement = Readonly<Partial<Record<`pcr${number}`, string>>>;

/** Accepted measurements: any entry matching accepts; a map names its entries for reports. */
export type PcrAllowlist = readonly PcrMeasurement[] | Readonly<Record<string, PcrMeasurement>>;

function fail(message: string): never {
  throw new AttestationError(`attestation policy: ${message}`);
}

/**
 * Tells whether a document comes from a debug-mode enclave (PCR0, PCR1 and PCR2 all zero).
 * @param pcrs - the document's PCRs (PCR0–2 are always present after decoding)
 * @returns true for a debug enclave
 */
export function isDebugEnclave(pcrs: ReadonlyMap<number, Uint8Array>): boolean {
  return [0, 1, 2].every((index) => {
    const pcr = pcrs.get(index);
    return pcr !== undefined && pcr.every((byte) => byte === 0);
  });
}

/**
 * Finds the first allowlist entry whose every listed PCR equals the document's.
 * @param pcrs - the document's PCRs, hex by index
 * @param allowlist - accepted measurements (entries were validated as non-empty hex)
 * @returns the matching entry's name (map) or index as a string (array), or undefined
 */
export function matchPcrAllowlist(pcrs: Readonly<Record<number, string>>, allowlist: PcrAllowlist): string | undefined {
  const entries: Array<[string, PcrMeasurement]> = Array.isArray(allowlist)
    ? (allowlist as readonly PcrMeasurement[]).map((entry, i) => [String(i), entry])
    : Object.entries(allowlist as Readonly<Record<string, PcrMeasurement>>);
  for (const [name, entry] of entries) {
    const matches = Object.entries(entry).every(([key, expected]) => {
      const actual = pcrs[Number(key.slice(3))];
      return actual !== undefined && expected !== undefined && actual === expected.toLowerCase();
    });
    if (matches) return name;
  }
  return undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Checks that the document carries exactly the expected value in an optional field.
 * @param field - "nonce" or "user_data", for the message
 * @param actual - the document's value, if any
 * @param expected - the caller's value
 * @throws {AttestationError} "attestation policy: document has no <field>, expected <hex>"
 *   or "attestation policy: <field> <hex> does not match the expected <hex>"
 */
export function checkBinding(field: 'nonce' | 'user_data', actual: Uint8Array | undefined, expected: Uint8Array): void {
  const show = (bytes: Uint8Array) => (bytes.length > 64 ? `${bytesToHex(bytes.subarray(0, 32))}… (${bytes.length} bytes)` : bytesToHex(bytes) || '(empty)');
  if (actual === undefined) fail(`document has no ${field}, expected ${show(expected)}`);
  if (!sameBytes(actual, expected)) fail(`${field} ${show(actual)} does not match the expected ${show(expected)}`);
}

/**
 * Refuses a debug enclave unless allowed.
 * @throws {AttestationError} "attestation policy: debug enclave (PCR0, PCR1 and PCR2 are all zero) refused"
 */
export function checkDebug(debug: boolean, allowDebug: boolean): void {
  if (debug && !allowDebug) fail('debug enclave (PCR0, PCR1 and PCR2 are all zero) refused');
}

/**
 * Requires the PCRs to match an allowlist entry.
 * @returns the matching entry's name or index
 * @throws {AttestationError} "attestation policy: PCRs match no allowlist entry"
 */
export function checkPcrAllowlist(pcrs: Readonly<Record<number, string>>, allowlist: PcrAllowlist): string {
  const match = matchPcrAllowlist(pcrs, allowlist);
  if (match === undefined) fail('PCRs match no allowlist entry');
  return match;
}
