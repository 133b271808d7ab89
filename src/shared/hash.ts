/**
 * Content hashes and canonical JSON. Identities in zkinfer (model id, key id, receipt
 * digest) are SHA-256 over canonical JSON: object keys sorted, no whitespace, bigints as
 * decimal strings, so that any implementation can recompute them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

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

/** SHA-256 of bytes or a UTF-8 string, as lowercase hex. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of a file's contents, as lowercase hex. */
export function sha256File(path: string): string {
  return sha256Hex(readFileSync(path));
}

/** SHA-256 of a value's canonical JSON, as lowercase hex. */
export function sha256Json(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
