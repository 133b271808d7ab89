/**
 * Canonical JSON and its SHA-256, without Node built-ins: the identities and digests zkinfer
 * checks (receipt digest, input commitment, key id, model id) are computed here, so the
 * browser verifier (src/export/browser/) runs this same code. Canonical JSON sorts object
 * keys, has no whitespace and writes bigints as decimal strings, so that any implementation
 * can recompute it. Hashing is @noble/hashes' SHA-256 (files are hashed in ./hash.ts).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** Canonical JSON text: sorted keys, no whitespace; bigints as decimal strings. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot encode ${value} in canonical JSON`);
    return JSON.stringify(value);
  }
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`cannot encode a ${typeof value} in canonical JSON`);
}

/** SHA-256 of a value's canonical JSON (UTF-8), as lowercase hex. */
export function sha256Json(value: unknown): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(value))));
}
