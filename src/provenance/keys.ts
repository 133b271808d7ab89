/**
 * Ed25519 signing keys of trainers and contributors (RFC 8032, via @noble/curves). A key
 * file holds the 32-byte secret and its public key as hex; it is written with mode 0600
 * and never replaced without `force`. Signatures are verified strictly (RFC 8032 §5.1.7,
 * not ZIP-215), so one message has one valid encoding of a signature per key, as
 * node:crypto (OpenSSL) accepts.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { z } from 'zod';
import { ProvenanceError } from '../shared/errors.js';
import { publicKeyHexSchema, zodIssue } from './contributors.js';
import { jsonText, readJsonFile, writeNewFile } from './files.js';

/** The key file's format tag. */
export const KEY_FORMAT = 'zkinfer.ed25519-key/1';

const keyFileSchema = z.strictObject({
  format: z.literal(KEY_FORMAT),
  algorithm: z.literal('Ed25519'),
  name: z.string().optional(),
  note: z.string().optional(),
  publicKey: publicKeyHexSchema,
  secretKey: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
});

/** A signing key in memory. */
export interface SigningKey {
  name?: string;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A fresh key from the OS random source. */
export function generateSigningKey(name?: string): SigningKey {
  const { secretKey, publicKey } = ed25519.keygen();
  return { ...(name === undefined ? {} : { name }), publicKey, secretKey };
}

/** The key derived from a 32-byte secret (hex). */
export function signingKeyFromSecret(secretHex: string, name?: string): SigningKey {
  const secretKey = new Uint8Array(Buffer.from(secretHex, 'hex'));
  return { ...(name === undefined ? {} : { name }), publicKey: ed25519.getPublicKey(secretKey), secretKey };
}

/**
 * Writes a key file, mode 0600.
 * @param note a line stored in the file (e.g. that a key is an example key)
 * @throws {ProvenanceError} when the file exists and `force` is not set, or cannot be written
 */
export function writeKeyFile(path: string, key: SigningKey, options: { force?: boolean; note?: string } = {}): void {
  const body = {
    format: KEY_FORMAT,
    algorithm: 'Ed25519',
    ...(key.name === undefined ? {} : { name: key.name }),
    ...(options.note === undefined ? {} : { note: options.note }),
    publicKey: hex(key.publicKey),
    secretKey: hex(key.secretKey),
  };
  writeNewFile(path, jsonText(body), { force: options.force, mode: 0o600 });
}

/**
 * Reads a key file and checks its public key belongs to its secret.
 * @throws {ProvenanceError} naming the file and the field
 */
export function readKeyFile(path: string): SigningKey {
  const parsed = keyFileSchema.safeParse(readJsonFile(path, 'key'));
  if (!parsed.success) throw new ProvenanceError(`${path}: invalid key file at ${zodIssue(parsed.error)}`);
  const key = signingKeyFromSecret(parsed.data.secretKey, parsed.data.name);
  if (hex(key.publicKey) !== parsed.data.publicKey) throw new ProvenanceError(`${path}: "publicKey" does not belong to "secretKey"`);
  return key;
}

/** Signs a message (RFC 8032 Ed25519). */
export function signMessage(key: SigningKey, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, key.secretKey);
}

/** Whether `signature` (64 bytes) is a valid strict RFC 8032 signature of `message` under `publicKey`. */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
