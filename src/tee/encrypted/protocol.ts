/**
 * The encrypted TEE path's messages and its use of HPKE (RFC 9180), shared by the client
 * (./client.ts) and the enclave (./enclave.ts). DESIGN.md "Visibility and commitments":
 * the client encrypts its input to a key the enclave put in its attestation, so the
 * operator of the machine sees ciphertext only.
 *
 * Suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM (RFC 9180 §7; KEM 0x0020,
 * KDF 0x0001, AEAD 0x0001), mode base, through @hpke/core (native Web Crypto X25519 and
 * AES-GCM). Messages:
 *
 * - Enclave key (`zkinfer.enclave-key/1`): the enclave's HPKE public key, the model it
 *   serves, and an attestation document whose user data is SHA-256 of the canonical JSON
 *   {format, suite, modelId, publicKey} and whose public key field (Nitro `public_key`,
 *   dev `encryptionKey`) is the key itself.
 * - Request (`zkinfer.encrypted-request/1`): a header {format, suite, modelId,
 *   enclaveKey, requestId, createdAt} in the clear, the HPKE encapsulated key `enc` and one
 *   sealed message. The header's canonical JSON is the HPKE `info` and the request id is
 *   the `aad`: change a byte of the header and the enclave cannot open the message. The
 *   request id is the receipt nonce, and the enclave refuses a request id it has seen
 *   within the validity window (replay).
 * - Response (`zkinfer.encrypted-response/1`): the sealed receipt (commitments only, with
 *   the enclave's attestation) in the clear, and the output with its commitment opening
 *   encrypted back to the client.
 *
 * Why the response key comes from HPKE's exporter rather than a second HPKE message to a
 * client key: RFC 9180 §9.8 ("Bidirectional Encryption") recommends exactly this. The
 * exporter secret of the request's context is known to the client that made `enc` and to
 * the holder of the enclave's private key, and to no one else; a response key derived
 * from it (`export("zkinfer.encrypted-response/1 key and nonce", 28)`: the AES-128 key,
 * then the 12-byte nonce; one message per key) is
 * fresh per request and bound to that request, with no extra key pair, no extra
 * Diffie-Hellman and nothing more to authenticate. The response AEAD's additional data is
 * the receipt digest, so the ciphertext cannot be moved to another receipt.
 */
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { expand as hkdfExpand, extract as hkdfExtract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { canonicalJson, sha256Json } from '../../shared/canonical.js';
import { ZkinferError } from '../../shared/errors.js';
import { isNonce, isReceiptTime } from '../../shared/nonce.js';
import { sealedReceiptSchema, teeOutputSchema } from '../../shared/receipt.js';

/** The encrypted path failed: an undecryptable, replayed, stale or malformed message. */
export class EncryptedRequestError extends ZkinferError {
  override name = 'EncryptedRequestError';
}

/** The HPKE suite, as messages name it. */
export const HPKE_SUITE = 'DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM' as const;
export const ENCLAVE_KEY_FORMAT = 'zkinfer.enclave-key/1' as const;
export const ENCRYPTED_REQUEST_FORMAT = 'zkinfer.encrypted-request/1' as const;
export const ENCRYPTED_RESPONSE_FORMAT = 'zkinfer.encrypted-response/1' as const;

/** Request ids: 16 to 64 random bytes, lowercase hex (a receipt nonce). */
export const MIN_REQUEST_ID_BYTES = 16;
export const MAX_REQUEST_ID_BYTES = 64;

/**
 * HPKE's HKDF-SHA256 with its two RFC 5869 primitives computed by @noble/hashes instead of
 * Web Crypto: @hpke/core keeps the labelling (RFC 9180 §4, `LabeledExtract` and
 * `LabeledExpand` with the suite id) and the key schedule; only HMAC runs synchronously,
 * which saves an import and a thread-pool round trip per step (a key schedule has about
 * ten). Byte-for-byte the same function: the tests open messages sealed by the stock suite.
 */
class HkdfSha256Sync extends HkdfSha256 {
  override async extract(salt: ArrayBuffer, ikm: ArrayBuffer): Promise<ArrayBuffer> {
    const saltBytes = salt.byteLength === 0 ? new Uint8Array(32) : new Uint8Array(salt);
    if (saltBytes.length !== 32) return super.extract(salt, ikm); // the library's own check and error
    return toArrayBuffer(hkdfExtract(sha256, new Uint8Array(ikm), saltBytes));
  }

  override async expand(prk: ArrayBuffer, info: ArrayBuffer, len: number): Promise<ArrayBuffer> {
    if (len > 255 * 32) return super.expand(prk, info, len);
    return toArrayBuffer(hkdfExpand(sha256, new Uint8Array(prk), new Uint8Array(info), len));
  }

  /** The KEM's ExtractAndExpand (RFC 9180 §4.1): the library runs it as one Web Crypto HKDF derivation. */
  override async extractAndExpand(salt: ArrayBuffer, ikm: ArrayBuffer, info: ArrayBuffer, len: number): Promise<ArrayBuffer> {
    if (len > 255 * 32) return super.extractAndExpand(salt, ikm, info, len);
    const saltBytes = salt.byteLength === 0 ? new Uint8Array(32) : new Uint8Array(salt);
    return toArrayBuffer(hkdfExpand(sha256, hkdfExtract(sha256, new Uint8Array(ikm), saltBytes), new Uint8Array(info), len));
  }
}

/**
 * DHKEM(X25519, HKDF-SHA256) whose HKDF is {@link HkdfSha256Sync}: @hpke/core's KEM
 * builds its own Web Crypto HKDF, whose one derivation per encapsulation and decapsulation
 * measured ~0.6 ms of CPU each (Node 20). The KDF object is swapped after construction, keeping
 * the KEM's suite id (`"KEM" || 0x0020`); X25519 itself stays native.
 */
class DhkemX25519HkdfSha256Sync extends DhkemX25519HkdfSha256 {
  constructor() {
    super();
    const self = this as unknown as { _kdf: HkdfSha256 & { _suiteId: Uint8Array } };
    if (!(self._kdf?._suiteId instanceof Uint8Array)) throw new Error("@hpke/core's KEM no longer keeps its KDF as _kdf: review DhkemX25519HkdfSha256Sync");
    const kdf = new HkdfSha256Sync();
    kdf.init(self._kdf._suiteId);
    self._kdf = kdf as HkdfSha256 & { _suiteId: Uint8Array };
  }
}

const toArrayBuffer = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

let suite: CipherSuite | undefined;
/** The one cipher suite of the encrypted path. */
export function hpkeSuite(): CipherSuite {
  suite ??= new CipherSuite({ kem: new DhkemX25519HkdfSha256Sync(), kdf: new HkdfSha256Sync(), aead: new Aes128Gcm() });
  return suite;
}

/** The suite with @hpke/core's own Web Crypto HKDF (for interoperability tests). */
export function stockHpkeSuite(): CipherSuite {
  return new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
}

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${2 * bytes}}$`), `expected ${bytes} bytes of lowercase hex`);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64');
const requestId = z
  .string()
  .refine((v) => isNonce(v) && v.length >= 2 * MIN_REQUEST_ID_BYTES && v.length <= 2 * MAX_REQUEST_ID_BYTES, `expected ${MIN_REQUEST_ID_BYTES} to ${MAX_REQUEST_ID_BYTES} bytes of lowercase hex`);
const time = z.string().refine(isReceiptTime, 'expected an ISO 8601 UTC time with milliseconds');

/** The enclave key file: the HPKE key and the attestation that binds it. */
export const enclaveKeySchema = z.strictObject({
  format: z.literal(ENCLAVE_KEY_FORMAT),
  suite: z.literal(HPKE_SUITE),
  modelId: hex(32),
  /** X25519 public key, 32 bytes. */
  publicKey: hex(32),
  attestation: z.strictObject({
    provider: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
    format: z.string(),
    hardware: z.boolean(),
    document: base64,
    nonce: z.string().refine(isNonce, 'expected lowercase hex'),
    createdAt: time,
  }),
});
export type EnclaveKey = z.infer<typeof enclaveKeySchema>;

/** The user data an enclave key attestation carries: SHA-256 of {format, suite, modelId, publicKey}. */
export function enclaveKeyDigest(key: Pick<EnclaveKey, 'modelId' | 'publicKey'>): string {
  return sha256Json({ format: ENCLAVE_KEY_FORMAT, suite: HPKE_SUITE, modelId: key.modelId, publicKey: key.publicKey });
}

const requestHeader = {
  format: z.literal(ENCRYPTED_REQUEST_FORMAT),
  suite: z.literal(HPKE_SUITE),
  modelId: hex(32),
  enclaveKey: hex(32),
  requestId,
  createdAt: time,
};
/** An encrypted request. */
export const encryptedRequestSchema = z.strictObject({
  ...requestHeader,
  /** HPKE encapsulated key (X25519: 32 bytes), base64. */
  enc: base64,
  /** The sealed input, base64. */
  ciphertext: base64,
});
export type EncryptedRequest = z.infer<typeof encryptedRequestSchema>;
export type RequestHeader = Omit<EncryptedRequest, 'enc' | 'ciphertext'>;

/** What the request's ciphertext holds. */
export const requestPlaintextSchema = z.strictObject({
  /** The float input, flattened row-major. */
  input: z.array(z.number()),
  /** The salt of the input commitment, a decimal field element chosen by the client. */
  inputSalt: z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/)
    .max(80),
});
export type RequestPlaintext = z.infer<typeof requestPlaintextSchema>;

/** An encrypted response. */
export const encryptedResponseSchema = z.strictObject({
  format: z.literal(ENCRYPTED_RESPONSE_FORMAT),
  requestId,
  receipt: sealedReceiptSchema,
  /** The output and its commitment's salt, AES-128-GCM under the exported response key, base64. */
  ciphertext: base64,
});
export type EncryptedResponse = z.infer<typeof encryptedResponseSchema>;

/** What the response's ciphertext holds: the TEE output and the output commitment's salt. */
export const responsePlaintextSchema = z.strictObject({
  output: teeOutputSchema,
  outputSalt: z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/)
    .max(80),
});
export type ResponsePlaintext = z.infer<typeof responsePlaintextSchema>;

/** The HPKE `info` of a request: the canonical JSON of its header. */
export function requestInfo(header: RequestHeader): Uint8Array {
  const { format, suite: s, modelId, enclaveKey, requestId: id, createdAt } = header;
  return utf8ToBytes(canonicalJson({ format, suite: s, modelId, enclaveKey, requestId: id, createdAt }));
}

/** The HPKE `aad` of a request's message: the request id's bytes. */
export function requestAad(header: Pick<RequestHeader, 'requestId'>): Uint8Array {
  return hexToBytes(header.requestId);
}

const RESPONSE_LABEL = utf8ToBytes(`${ENCRYPTED_RESPONSE_FORMAT} key and nonce`);

/** Anything with HPKE's secret export (a sender or recipient context). */
interface Exporter {
  export(exporterContext: ArrayBuffer | Uint8Array, length: number): Promise<ArrayBuffer>;
}

/**
 * The response key and nonce derived from a request's HPKE context (RFC 9180 §9.8): one
 * export of 28 bytes, the AES-128 key then the 12-byte GCM nonce (one export, not two:
 * each costs a round of Web Crypto HMAC calls).
 */
export async function responseKey(ctx: Exporter): Promise<{ key: Uint8Array; iv: Uint8Array }> {
  const secret = new Uint8Array(await ctx.export(RESPONSE_LABEL, 28));
  return { key: secret.slice(0, 16), iv: secret.slice(16) };
}

/** Seals the response plaintext under the exported key, with the receipt digest as additional data. */
export async function sealResponse(ctx: Exporter, plaintext: ResponsePlaintext, digest: string): Promise<string> {
  const { key, iv } = await responseKey(ctx);
  const sealed = await new Aes128Gcm().createEncryptionContext(key).seal(iv, utf8ToBytes(canonicalJson(plaintext)), hexToBytes(digest));
  return Buffer.from(sealed).toString('base64');
}

/**
 * Opens a response ciphertext.
 * @throws {EncryptedRequestError} when it does not decrypt (tampered, another request or receipt)
 */
export async function openResponse(ctx: Exporter, ciphertext: string, digest: string): Promise<ResponsePlaintext> {
  const { key, iv } = await responseKey(ctx);
  let bytes: ArrayBuffer;
  try {
    bytes = await new Aes128Gcm().createEncryptionContext(key).open(iv, Buffer.from(ciphertext, 'base64'), hexToBytes(digest));
  } catch (cause) {
    throw new EncryptedRequestError('cannot decrypt the response: it was altered, or is not the answer to this request and receipt', { cause });
  }
  return parseJson(responsePlaintextSchema, new TextDecoder().decode(bytes), 'the decrypted response');
}

/**
 * Parses JSON text against a schema.
 * @throws {EncryptedRequestError} "<what>: malformed at "<field>": <message>"
 */
export function parseJson<T>(schema: z.ZodType<T>, text: string | unknown, what: string): T {
  let data: unknown = text;
  if (typeof text === 'string') {
    try {
      data = JSON.parse(text);
    } catch (cause) {
      throw new EncryptedRequestError(`${what}: malformed JSON (${(cause as Error).message})`, { cause });
    }
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = (issue as { keys?: string[] }).keys;
    const message = issue.code === 'unrecognized_keys' && keys ? `unknown field ${keys.map((k) => JSON.stringify(k)).join(', ')}` : issue.message;
    throw new EncryptedRequestError(`${what}: malformed at "${issue.path.join('.') || '(root)'}": ${message}`);
  }
  return parsed.data;
}
