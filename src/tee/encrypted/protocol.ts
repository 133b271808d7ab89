/**
 * The encrypted TEE path's messages and its use of HPKE (RFC 9180), shared by the client
 * (./client.ts) and the enclave (./enclave.ts). DESIGN.md "Visibility and commitments":
 * the client encrypts its input to a key the enclave put in its attestation, so the
 * operator of the machine sees ciphertext only.
 *
 * Suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM (RFC 9180 §7; KEM 0x0020,
 * KDF 0x0001, AEAD 0x0001), mode base (./hpke.ts, on node:crypto's OpenSSL; the same
 * bytes as any RFC 9180 implementation of the suite). Messages:
 *
 * - Enclave key (`zkinfer.enclave-key/1`): the enclave's HPKE public key, the model it
 *   serves, and an attestation document whose user data is SHA-256 of the canonical JSON
 *   {format, suite, modelId, publicKey} and whose public key field (Nitro `public_key`,
 *   dev `encryptionKey`) is the key itself.
 * - Request (`zkinfer.encrypted-request/2`): a header {format, suite, modelId,
 *   enclaveKey, requestId, createdAt} in the clear, the HPKE encapsulated key `enc` and one
 *   sealed message: the input commitment's salt (32 bytes big-endian) and the float input
 *   (binary64 little-endian), see {@link encodeRequestPlaintext}. The header's canonical
 *   JSON is the HPKE `info` and the request id is the `aad`: change a byte of the header and
 *   the enclave cannot open the message. The request id is the receipt nonce, and the
 *   enclave refuses a request id it has seen within the validity window (replay).
 *   Format /1 sealed the same two fields as JSON; an enclave of this version refuses it
 *   (its format is not a /2 header), as a /1 enclave refuses /2.
 * - Response (`zkinfer.encrypted-response/1`): the sealed receipt (commitments only, with
 *   the enclave's attestation) in the clear, and the output with its commitment opening
 *   (JSON) encrypted back to the client.
 *
 * The response key comes from HPKE's exporter, not from a second HPKE message to a client
 * key (RFC 9180 §9.8, "Bidirectional Encryption"; Oblivious HTTP, RFC 9458 §4.4, answers
 * the same way): `export("zkinfer.encrypted-response/1 key and nonce", 28)` gives the
 * AES-128 key, then the 12-byte nonce, for one message. Why that is enough:
 *
 * - Secret: the exporter secret is derived from the X25519 shared secret of the client's
 *   ephemeral key (fresh per request, `enc`) and the enclave's key, so only the client that
 *   made `enc` and the holder of the enclave's private key can compute it. Anyone else who
 *   replays a captured request learns nothing: even an answer to the replay would be sealed
 *   under a key only the original client can derive.
 * - Bound to the request: the key schedule takes the header (model, enclave key, request
 *   id, time) as `info`, and another request has another `enc`, so a response moved to
 *   another request does not decrypt for that client (and names another request id, which
 *   the client checks first). The response AEAD's additional data is the receipt digest, so
 *   the ciphertext cannot be moved under another receipt either.
 * - One message per key: AES-GCM must never seal two plaintexts under one key and nonce.
 *   The enclave answers a given request context at most once: a request id is recorded
 *   before the answer and a replay within the window is refused (the bounded cache fails
 *   closed when full), a request outside the window is refused as stale, and the HPKE key
 *   pair lives only as long as the process that holds the cache (a restarted enclave has a
 *   new key and cannot open old requests).
 * - Nothing more to authenticate: no client key pair, no extra Diffie-Hellman; the enclave
 *   side of the exchange is authenticated by the attestation of its key and of the receipt.
 */
import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { canonicalJson, sha256Json } from '../../shared/canonical.js';
import { ZkinferError } from '../../shared/errors.js';
import { isNonce, isReceiptTime } from '../../shared/nonce.js';
import { sealedReceiptSchema, teeOutputSchema } from '../../shared/receipt.js';
import { aesGcmOpen, aesGcmSeal } from './hpke.js';

/** The encrypted path failed: an undecryptable, replayed, stale or malformed message. */
export class EncryptedRequestError extends ZkinferError {
  override name = 'EncryptedRequestError';
}

/** The HPKE suite, as messages name it. */
export const HPKE_SUITE = 'DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM' as const;
export const ENCLAVE_KEY_FORMAT = 'zkinfer.enclave-key/1' as const;
export const ENCRYPTED_REQUEST_FORMAT = 'zkinfer.encrypted-request/2' as const;
export const ENCRYPTED_RESPONSE_FORMAT = 'zkinfer.encrypted-response/1' as const;

/** Request ids: 16 to 64 random bytes, lowercase hex (a receipt nonce). */
export const MIN_REQUEST_ID_BYTES = 16;
export const MAX_REQUEST_ID_BYTES = 64;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${2 * bytes}}$`), `expected ${bytes} bytes of lowercase hex`);
/**
 * Canonical base64 (RFC 4648 §4, padded): what the string decodes to encodes back to it. A
 * regular expression over a 20 kB ciphertext measured ~0.19 ms of CPU; decoding and encoding
 * it ~0.02 ms.
 */
const isBase64 = (v: string) => Buffer.from(v, 'base64').toString('base64') === v;
const base64 = z.string().refine(isBase64, 'expected base64');
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

/** Bytes of the input commitment's salt at the head of a request plaintext. */
const SALT_BYTES = 32;

/**
 * A request plaintext (format /2): the input commitment's salt as 32 bytes big-endian, then
 * the float input, flattened row-major, as IEEE 754 binary64 little-endian (the exact
 * JavaScript numbers). Format /1 carried the same two fields as JSON; for the 784 values of
 * a 28×28 image, writing and parsing that JSON measured ~0.4 ms of CPU, this ~0.02 ms.
 */
export function encodeRequestPlaintext(input: ArrayLike<number>, inputSalt: bigint): Uint8Array {
  if (inputSalt < 0n || inputSalt >= 1n << BigInt(8 * SALT_BYTES)) throw new RangeError('inputSalt: expected a field element');
  const out = new Uint8Array(SALT_BYTES + 8 * input.length);
  out.set(hexToBytes(inputSalt.toString(16).padStart(2 * SALT_BYTES, '0')));
  const view = new DataView(out.buffer);
  for (let i = 0; i < input.length; i++) view.setFloat64(SALT_BYTES + 8 * i, input[i]!, true);
  return out;
}

/** What a request plaintext holds. */
export interface RequestPlaintext {
  /** The float input, flattened row-major. */
  input: Float64Array;
  /** The salt of the input commitment, chosen by the client (not yet checked to be below p). */
  inputSalt: bigint;
}

/**
 * Decodes a request plaintext (format /2).
 * @throws {EncryptedRequestError} for a length that is not 32 + 8·n bytes with n ≥ 1
 */
export function decodeRequestPlaintext(bytes: Uint8Array): RequestPlaintext {
  if (bytes.length < SALT_BYTES + 8 || (bytes.length - SALT_BYTES) % 8 !== 0)
    throw new EncryptedRequestError(`encrypted request plaintext: expected a 32-byte salt and 8 bytes per input value, got ${bytes.length} bytes`);
  const inputSalt = BigInt(`0x${Buffer.from(bytes.subarray(0, SALT_BYTES)).toString('hex')}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + SALT_BYTES, bytes.length - SALT_BYTES);
  const input = new Float64Array((bytes.length - SALT_BYTES) / 8);
  for (let i = 0; i < input.length; i++) input[i] = view.getFloat64(8 * i, true);
  return { input, inputSalt };
}

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

/** Anything with HPKE's secret export (a sender or recipient context, ./hpke.ts). */
export interface Exporter {
  export(exporterContext: Uint8Array, length: number): Uint8Array;
}

/**
 * The response key and nonce derived from a request's HPKE context (RFC 9180 §9.8): one
 * export of 28 bytes, the AES-128 key then the 12-byte GCM nonce.
 */
export function responseKey(ctx: Exporter): { key: Uint8Array; iv: Uint8Array } {
  const secret = ctx.export(RESPONSE_LABEL, 28);
  return { key: secret.slice(0, 16), iv: secret.slice(16) };
}

/** Seals the response plaintext under the exported key, with the receipt digest as additional data. */
export function sealResponse(ctx: Exporter, plaintext: ResponsePlaintext, digest: string): string {
  const { key, iv } = responseKey(ctx);
  return Buffer.from(aesGcmSeal(key, iv, utf8ToBytes(canonicalJson(plaintext)), hexToBytes(digest))).toString('base64');
}

/**
 * Opens a response ciphertext.
 * @throws {EncryptedRequestError} when it does not decrypt (tampered, another request or receipt)
 */
export function openResponse(ctx: Exporter, ciphertext: string, digest: string): ResponsePlaintext {
  const { key, iv } = responseKey(ctx);
  let bytes: Uint8Array;
  try {
    bytes = aesGcmOpen(key, iv, Buffer.from(ciphertext, 'base64'), hexToBytes(digest));
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
