/**
 * The `dev` attestation provider: an Ed25519 key on this machine signs the receipt digest
 * and nonce. It proves only that whoever holds the key signed — no hardware, no
 * measurement — so every document says `"hardware": false` and the default policy refuses
 * it (DESIGN.md "TEE path and policy"). It exists so the TEE path can be developed and
 * tested anywhere.
 *
 * Document (UTF-8 JSON, keys sorted): {format, hardware: false, algorithm: "Ed25519",
 * publicKey, userData, nonce, timestamp, [encryptionKey], signature}; the signature (RFC
 * 8032 Ed25519, via @noble/curves) covers the canonical JSON of every other field, so the
 * format, the `hardware: false` label and the time are signed with the digest and nonce.
 * `encryptionKey` (hex, present when the request carries a public key) is the dev
 * counterpart of a Nitro document's `public_key`: the HPKE key of the encrypted path.
 *
 * The key is cached in `$ZKINFER_CACHE_DIR` (default `$XDG_CACHE_HOME/zkinfer` or
 * `~/.cache/zkinfer`) as `dev-attestation-key.json`, mode 0600, created on first use
 * (the provider reports `keyCreated`), or kept in memory only (`ephemeral`).
 */
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { AttestationError } from '../../shared/errors.js';
import { canonicalJson } from '../../shared/hash.js';
import { assertRequest, type AttestationProvider, type AttestationRequest } from '../provider.js';

/** The receipt `attestation.format` of dev documents (UTF-8 JSON, base64). */
export const DEV_FORMAT = 'zkinfer.dev-attestation/1' as const;

/** File name of the cached key inside the cache folder. */
export const DEV_KEY_FILE = 'dev-attestation-key.json';
const KEY_FORMAT = 'zkinfer.dev-key/1';

/** Options of the dev provider. */
export interface DevProviderOptions {
  /** Folder of the cached key; default {@link devCacheDir}(). */
  cacheDir?: string;
  /** Use a fresh in-memory key, never written to disk. */
  ephemeral?: boolean;
  /** Clock for the signed timestamp (ms since the epoch); default Date.now. */
  now?: () => number;
}

/** The cache folder: `$ZKINFER_CACHE_DIR`, else `$XDG_CACHE_HOME/zkinfer`, else `~/.cache/zkinfer`. */
export function devCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ZKINFER_CACHE_DIR) return env.ZKINFER_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'zkinfer');
}

const hexString = (bytes?: number) =>
  z.string().regex(bytes ? new RegExp(`^[0-9a-f]{${2 * bytes}}$`) : /^(?:[0-9a-f]{2})+$/, bytes ? `expected ${bytes} bytes of lowercase hex` : 'expected lowercase hex bytes');

const keyFileSchema = z.object({ format: z.literal(KEY_FORMAT), algorithm: z.literal('Ed25519'), secretKey: hexString(32), publicKey: hexString(32), createdAt: z.string() });

const documentSchema = z.strictObject({
  format: z.literal(DEV_FORMAT),
  hardware: z.literal(false),
  algorithm: z.literal('Ed25519'),
  publicKey: hexString(32),
  userData: hexString(),
  nonce: hexString(),
  timestamp: z.number().int().nonnegative(),
  encryptionKey: hexString().optional(),
  signature: hexString(64),
});
type DevDocument = z.infer<typeof documentSchema>;

/** A dev key and where it lives. */
export interface DevKey {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  /** The key file, or undefined for an ephemeral key. */
  path?: string;
  /** Whether this call created the key file. */
  created: boolean;
}

/**
 * Reads the cached dev key, creating it when absent (atomically: a concurrent creator wins
 * and its key is used).
 * @throws {AttestationError} when the key file is unreadable or malformed, or cannot be written
 */
export function loadDevKey(options: Pick<DevProviderOptions, 'cacheDir' | 'ephemeral'> = {}): DevKey {
  if (options.ephemeral) {
    const { secretKey, publicKey } = ed25519.keygen();
    return { secretKey, publicKey, created: true };
  }
  const dir = options.cacheDir ?? devCacheDir();
  const path = join(dir, DEV_KEY_FILE);
  const existing = readKeyFile(path);
  if (existing) return { ...existing, path, created: false };
  const { secretKey, publicKey } = ed25519.keygen();
  const text = `${JSON.stringify({ format: KEY_FORMAT, algorithm: 'Ed25519', secretKey: bytesToHex(secretKey), publicKey: bytesToHex(publicKey), createdAt: new Date().toISOString() }, null, 2)}\n`;
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, text, { mode: 0o600 });
    linkSync(tmp, path); // fails with EEXIST if another process created the key meanwhile
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw new AttestationError(`${path}: cannot write the dev attestation key`, { cause });
    const winner = readKeyFile(path);
    if (!winner) throw new AttestationError(`${path}: cannot read the dev attestation key`, { cause });
    return { ...winner, path, created: false };
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* never written */
    }
  }
  return { secretKey, publicKey, path, created: true };
}

function readKeyFile(path: string): { secretKey: Uint8Array; publicKey: Uint8Array } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AttestationError(`${path}: cannot read the dev attestation key`, { cause });
  }
  let parsed: z.infer<typeof keyFileSchema>;
  try {
    parsed = keyFileSchema.parse(JSON.parse(text));
  } catch (cause) {
    throw new AttestationError(`${path}: not a zkinfer dev attestation key; delete it to create a new one`, { cause });
  }
  const secretKey = hexToBytes(parsed.secretKey);
  const publicKey = ed25519.getPublicKey(secretKey);
  if (bytesToHex(publicKey) !== parsed.publicKey) throw new AttestationError(`${path}: the public key does not belong to the secret key; delete the file to create a new key`);
  return { secretKey, publicKey };
}

const signedBytes = (doc: Omit<DevDocument, 'signature'>): Uint8Array => new TextEncoder().encode(canonicalJson(doc));

/** The dev provider: signs with a local Ed25519 key; never hardware. */
export class DevProvider implements AttestationProvider {
  readonly name = 'dev' as const;
  readonly format = DEV_FORMAT;
  readonly hardware = false;
  /** Hex Ed25519 public key. */
  readonly publicKey: string;
  /** The key file, or undefined for an ephemeral key. */
  readonly keyPath?: string;
  /** Whether the key file was created by this provider. */
  readonly keyCreated: boolean;
  private readonly secretKey: Uint8Array;
  private readonly now: () => number;

  constructor(options: DevProviderOptions = {}) {
    const key = loadDevKey(options);
    this.secretKey = key.secretKey;
    this.publicKey = bytesToHex(key.publicKey);
    this.keyPath = key.path;
    this.keyCreated = key.created && key.path !== undefined;
    this.now = options.now ?? Date.now;
  }

  /**
   * Signs the request into a dev document.
   * @throws {InvalidArgumentError} for empty or oversized user data or nonce
   */
  async attest(request: AttestationRequest): Promise<Uint8Array> {
    assertRequest(request);
    const body = {
      format: this.format,
      hardware: false as const,
      algorithm: 'Ed25519' as const,
      publicKey: this.publicKey,
      userData: bytesToHex(request.userData),
      nonce: bytesToHex(request.nonce),
      timestamp: this.now(),
      ...(request.publicKey ? { encryptionKey: bytesToHex(request.publicKey) } : {}),
    };
    const signature = bytesToHex(ed25519.sign(signedBytes(body), this.secretKey));
    return new TextEncoder().encode(canonicalJson({ ...body, signature }));
  }
}

/**
 * Creates the dev provider (reading or creating its key).
 * @throws {AttestationError} when the cached key cannot be read or written
 */
export function createDevProvider(options: DevProviderOptions = {}): DevProvider {
  return new DevProvider(options);
}

/** The verified content of a dev document. */
export interface DevAttestation {
  hardware: false;
  algorithm: 'Ed25519';
  /** Hex public key that signed. */
  publicKey: string;
  /** Hex user data (the receipt digest). */
  userData: string;
  /** Hex nonce. */
  nonce: string;
  /** Signed creation time, ms since the epoch. */
  timestamp: number;
  /** Hex encryption key the document carries, if any (the encrypted path's HPKE key). */
  encryptionKey?: string;
}

/** Options of {@link verifyDevAttestation}. */
export interface DevVerifyOptions {
  /** Hex user data the document must carry. */
  expectedUserData?: string;
  /** Hex nonce the document must carry. */
  expectedNonce?: string;
  /** Accepted public keys (hex); any key when absent. */
  publicKeys?: readonly string[];
}

const fail = (message: string, cause?: unknown): never => {
  throw new AttestationError(`dev attestation: ${message}`, cause === undefined ? {} : { cause });
};

/**
 * Verifies a dev attestation document: its form, the Ed25519 signature, then the bound
 * user data and nonce and the key.
 * @param doc the document bytes (UTF-8 JSON)
 * @returns the signed fields
 * @throws {AttestationError} "dev attestation: <first check that failed>"
 */
export function verifyDevAttestation(doc: Uint8Array, options: DevVerifyOptions = {}): DevAttestation {
  let parsed: DevDocument;
  try {
    parsed = documentSchema.parse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(doc)));
  } catch (cause) {
    const issue = cause instanceof z.ZodError ? cause.issues[0] : undefined;
    return fail(issue ? `malformed document at "${issue.path.join('.')}": ${issue.message}` : 'malformed document (not JSON)', cause);
  }
  const { signature, ...body } = parsed;
  let ok = false;
  try {
    ok = ed25519.verify(hexToBytes(signature), signedBytes(body), hexToBytes(body.publicKey));
  } catch {
    ok = false; // an invalid public key point
  }
  if (!ok) fail('signature does not verify');
  if (options.expectedUserData !== undefined && body.userData !== options.expectedUserData.toLowerCase()) fail(`user data ${body.userData} does not match the expected ${options.expectedUserData}`);
  if (options.expectedNonce !== undefined && body.nonce !== options.expectedNonce.toLowerCase()) fail(`nonce ${body.nonce} does not match the expected ${options.expectedNonce}`);
  if (options.publicKeys && !options.publicKeys.some((k) => k.toLowerCase() === body.publicKey)) fail(`key ${body.publicKey} is not a trusted dev key`);
  const result: DevAttestation = { hardware: false, algorithm: 'Ed25519', publicKey: body.publicKey, userData: body.userData, nonce: body.nonce, timestamp: body.timestamp };
  if (body.encryptionKey !== undefined) result.encryptionKey = body.encryptionKey;
  return result;
}
