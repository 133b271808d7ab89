/**
 * Content hashes and canonical JSON. Identities in zkinfer (model id, key id, receipt
 * digest) are SHA-256 over canonical JSON: object keys sorted, no whitespace, bigints as
 * decimal strings, so that any implementation can recompute them. The JSON half lives in
 * ./canonical.ts (no Node built-ins, shared with the browser verifier); files are hashed here.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export { canonicalJson, sha256Json } from './canonical.js';

/** SHA-256 of bytes or a UTF-8 string, as lowercase hex. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of a file's contents, as lowercase hex. */
export function sha256File(path: string): string {
  return sha256Hex(readFileSync(path));
}
