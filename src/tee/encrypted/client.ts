/**
 * The client side of the encrypted TEE path (./protocol.ts describes the messages):
 *
 * 1. {@link verifyEnclaveKey}: the enclave key's attestation is genuine (its vendor's
 *    verifier, src/tee/registry.ts), binds the key and the model id, and carries the key in
 *    its public key field. Whether the enclave is *trusted* — hardware, measurements,
 *    age, dev keys — is the policy's decision (src/verify/policy.ts `evaluateEnclaveKey`,
 *    which calls this and applies the same rules as to receipts).
 * 2. {@link encryptRequest}: quantizes the input as the enclave will (the manifest's
 *    input declaration), chooses the input commitment's salt, computes the commitment the
 *    receipt must carry, and seals {input, salt} to the enclave key under a header with a
 *    fresh request id and time.
 * 3. {@link decryptResponse}: checks the sealed receipt — the request's id and time, the
 *    expected input commitment, its attestation genuine, by the same enclave (vendor,
 *    measurements, signing key) and carrying the same HPKE key — opens the output with its
 *    salt and checks it against the output commitment. The client ends with the receipt
 *    (commitments only, safe to publish) and the opening of both commitments, its own.
 */
import { randomBytes } from 'node:crypto';
import { hexToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from '../../shared/canonical.js';
import { commitTensor, randomSalt } from '../../shared/commitment.js';
import { AttestationError, InvalidArgumentError } from '../../shared/errors.js';
import { isNonce } from '../../shared/nonce.js';
import type { SealedReceipt, TeeOutput } from '../../shared/receipt.js';
import type { Manifest } from '../../shared/manifest.js';
import { quantizeInput } from '../../reference/execute.js';
import { verifySealedReceiptAttestation, type VerifiedAttestation } from '../receipt-attestation.js';
import { vendorByFormat } from '../registry.js';
import type { AttestationEvidence } from '../vendor.js';
import {
  ENCRYPTED_REQUEST_FORMAT,
  EncryptedRequestError,
  enclaveKeyDigest,
  enclaveKeySchema,
  encodeRequestPlaintext,
  encryptedResponseSchema,
  HPKE_SUITE,
  MAX_REQUEST_ID_BYTES,
  MIN_REQUEST_ID_BYTES,
  openResponse,
  parseJson,
  requestAad,
  requestInfo,
  type EnclaveKey,
  type EncryptedRequest,
  type EncryptedResponse,
} from './protocol.js';
import { deserializePublicKey, setupBaseSender } from './hpke.js';
import type { KeyObject } from 'node:crypto';

/** An enclave key whose attestation verified. */
export interface VerifiedEnclaveKey {
  key: EnclaveKey;
  /** What its attestation proves (vendor, measurements, time, the dev signing key). */
  evidence: AttestationEvidence;
}

/** Options of {@link verifyEnclaveKey}. */
export interface VerifyEnclaveKeyOptions {
  /** The model the client means to run (its manifest's model id); the key must be for it. */
  modelId?: string;
  /** Evaluation time; default now. */
  now?: Date;
  /** Dev keys accepted (hex); any when absent (the policy decides whether dev counts). */
  devPublicKeys?: readonly string[];
  /** Roots to pin instead of the vendors' own, hex SHA-256 by vendor name (tests with throw-away CAs only). */
  rootFingerprints?: Readonly<Record<string, string>>;
}

const fail = (message: string): never => {
  throw new AttestationError(`enclave key: ${message}`);
};

/**
 * Verifies an enclave key file's attestation (genuineness and binding, not trust).
 * @param key the parsed file, or its JSON text
 * @throws {EncryptedRequestError} for a malformed file
 * @throws {AttestationError} "enclave key: …" naming the first check that failed
 */
export async function verifyEnclaveKey(key: EnclaveKey | string | unknown, options: VerifyEnclaveKeyOptions = {}): Promise<VerifiedEnclaveKey> {
  const k = parseJson(enclaveKeySchema, key, 'enclave key');
  if (options.modelId !== undefined && k.modelId !== options.modelId) fail(`it serves model ${k.modelId.slice(0, 16)}…, not ${options.modelId.slice(0, 16)}…`);
  const att = k.attestation;
  const vendor = vendorByFormat(att.format) ?? fail(`unsupported attestation format ${JSON.stringify(att.format)}`);
  if (att.provider !== vendor.name || (att.hardware && !vendor.hardware)) fail(`a ${vendor.format} document must be from provider "${vendor.name}"`);
  const rootFingerprint = options.rootFingerprints?.[vendor.name];
  let evidence: AttestationEvidence;
  try {
    evidence = await vendor.verifyReceiptEvidence(new Uint8Array(Buffer.from(att.document, 'base64')), {
      digest: enclaveKeyDigest(k),
      nonce: att.nonce,
      now: options.now ?? new Date(),
      ...(rootFingerprint ? { rootFingerprint } : {}),
      ...(options.devPublicKeys ? { devPublicKeys: options.devPublicKeys } : {}),
    });
  } catch (e) {
    if (e instanceof AttestationError) fail(e.message);
    throw e;
  }
  if (evidence.encryptionKey !== k.publicKey) fail('the attestation document does not carry the enclave key as its public key');
  return { key: k, evidence };
}

/** What the client keeps between {@link encryptRequest} and {@link decryptResponse}: secret. */
export interface PendingRequest {
  /** The enclave key the request was encrypted to. */
  enclave: VerifiedEnclaveKey;
  /** The request header (id, time…). */
  request: EncryptedRequest;
  /** The quantized input and the salt of its commitment (the input's opening). */
  inputRaw: number[];
  inputSalt: bigint;
  /** The input commitment the receipt must carry. */
  inputCommitment: bigint;
  /** The declared ranges of input and output integers (the manifest's), which the commitments pack. */
  ranges: { input: { min: number; max: number }; output: { min: number; max: number } };
  /** @internal HPKE sender context, for the response key. */
  context: { export(exporterContext: Uint8Array, length: number): Uint8Array };
}

/** The enclave's key as a node:crypto key, once per verified key. */
const publicKeys = new WeakMap<VerifiedEnclaveKey, KeyObject>();

/** Options of {@link encryptRequest}. */
export interface EncryptRequestOptions {
  /** Request id (16 to 64 bytes, lowercase hex): the receipt nonce; random 16 bytes by default. */
  requestId?: string;
  /** Request time; default now. */
  now?: Date;
  /** The input commitment's salt (a field element); random by default. Never reuse one. */
  inputSalt?: bigint;
}

/**
 * Encrypts one input to a verified enclave key.
 * @param manifest the model's manifest (its input declaration and model id)
 * @param input the float input, flattened row-major
 * @returns the request to send, and what to keep for the response
 * @throws {InputError} for an input outside the compiled range
 * @throws {InvalidArgumentError} for a malformed request id, or a key for another model
 */
export async function encryptRequest(
  enclave: VerifiedEnclaveKey,
  manifest: Pick<Manifest, 'modelId' | 'io'>,
  input: ArrayLike<number>,
  options: EncryptRequestOptions = {},
): Promise<{ request: EncryptedRequest; pending: PendingRequest }> {
  const requestId = options.requestId ?? randomBytes(MIN_REQUEST_ID_BYTES).toString('hex');
  if (!isNonce(requestId) || requestId.length < 2 * MIN_REQUEST_ID_BYTES || requestId.length > 2 * MAX_REQUEST_ID_BYTES)
    throw new InvalidArgumentError(`expected requestId to be ${MIN_REQUEST_ID_BYTES} to ${MAX_REQUEST_ID_BYTES} bytes of lowercase hex, got ${JSON.stringify(requestId.slice(0, 40))}`);
  if (enclave.key.modelId !== manifest.modelId)
    throw new InvalidArgumentError(`the enclave key is for model ${enclave.key.modelId.slice(0, 16)}…, the manifest is model ${manifest.modelId.slice(0, 16)}…`);
  const inputRaw = quantizeInput({ input: manifest.io.input }, input);
  const inputSalt = options.inputSalt ?? randomSalt();
  const inputCommitment = await commitTensor(inputRaw, manifest.io.input, inputSalt);
  const header = {
    format: ENCRYPTED_REQUEST_FORMAT,
    suite: HPKE_SUITE,
    modelId: manifest.modelId,
    enclaveKey: enclave.key.publicKey,
    requestId,
    createdAt: (options.now ?? new Date()).toISOString(),
  } as const;
  let recipientPublicKey = publicKeys.get(enclave);
  if (!recipientPublicKey) publicKeys.set(enclave, (recipientPublicKey = deserializePublicKey(hexToBytes(enclave.key.publicKey))));
  const { enc, context } = setupBaseSender(recipientPublicKey, requestInfo(header));
  const plaintext = encodeRequestPlaintext(input, inputSalt);
  const ciphertext = context.seal(plaintext, requestAad(header));
  const request: EncryptedRequest = { ...header, enc: Buffer.from(enc).toString('base64'), ciphertext: Buffer.from(ciphertext).toString('base64') };
  const ranges = { input: { min: manifest.io.input.min, max: manifest.io.input.max }, output: { min: manifest.io.output.min, max: manifest.io.output.max } };
  return { request, pending: { enclave, request, inputRaw, inputSalt, inputCommitment, ranges, context } };
}

/** The salted commitment openings the client keeps: values and salts (DESIGN.md "Visibility and commitments"). */
export interface SealedOpening {
  format: 'zkinfer.opening/1';
  /** The receipt digest it opens. */
  digest: string;
  input: { raw: number[]; salt: string; range: { min: number; max: number } };
  output: { raw: number[]; salt: string; range: { min: number; max: number } };
}

/** What {@link decryptResponse} returns. */
export interface DecryptedResponse {
  /** The sealed receipt (commitments only; safe to publish). */
  receipt: SealedReceipt;
  /** The TEE output (float values, their integers, probabilities). */
  output: TeeOutput;
  /** The openings of both commitments: keep them private. */
  opening: SealedOpening;
  /** What the receipt's attestation proves. */
  attestation: VerifiedAttestation;
}

/** Options of {@link decryptResponse}. */
export interface DecryptResponseOptions {
  /** Evaluation time; default now. */
  now?: Date;
  /** Roots to pin instead of the vendors' own (tests with throw-away CAs only). */
  rootFingerprints?: Readonly<Record<string, string>>;
}

/**
 * Checks and decrypts the enclave's response to a pending request.
 * @param response the response object or its JSON text
 * @throws {EncryptedRequestError} for a malformed or undecryptable response, or one for another request or input
 * @throws {AttestationError} when the receipt's attestation fails or is by another enclave
 */
export async function decryptResponse(pending: PendingRequest, response: EncryptedResponse | string | unknown, options: DecryptResponseOptions = {}): Promise<DecryptedResponse> {
  const res = parseJson(encryptedResponseSchema, response, 'encrypted response');
  const { request, enclave } = pending;
  const receipt = res.receipt;
  const refuse = (message: string): never => {
    throw new EncryptedRequestError(`encrypted response: ${message}`);
  };
  if (res.requestId !== request.requestId || receipt.nonce !== request.requestId) refuse('it answers another request');
  if (receipt.modelId !== request.modelId || receipt.enclaveKey !== request.enclaveKey || receipt.createdAt !== request.createdAt)
    refuse('the receipt names another model, enclave key or time than the request');
  if (receipt.input.commitment !== pending.inputCommitment.toString()) refuse('the receipt does not commit to the input that was sent (input commitment differs)');
  const attestation = await verifySealedReceiptAttestation(receipt, {
    now: options.now,
    ...(options.rootFingerprints ? { rootFingerprints: options.rootFingerprints } : {}),
    ...(enclave.evidence.vendor === 'dev' && enclave.evidence.publicKey ? { devPublicKeys: [enclave.evidence.publicKey] } : {}),
  });
  const same = attestation.vendor === enclave.evidence.vendor && canonicalJson(attestation.measurements) === canonicalJson(enclave.evidence.measurements);
  if (!same) throw new AttestationError('encrypted response: the receipt is attested by another enclave than the one whose key was verified (vendor or measurements differ)');
  const plain = openResponse(pending.context, res.ciphertext, receipt.digest);
  const { ranges } = pending;
  let commitment: bigint;
  try {
    commitment = await commitTensor(plain.output.raw, ranges.output, BigInt(plain.outputSalt));
  } catch (cause) {
    throw new EncryptedRequestError(`encrypted response: the decrypted output cannot be committed (${(cause as Error).message})`, { cause });
  }
  if (commitment.toString() !== receipt.output.commitment) refuse("the decrypted output does not open the receipt's output commitment");
  const opening: SealedOpening = {
    format: 'zkinfer.opening/1',
    digest: receipt.digest,
    input: { raw: pending.inputRaw, salt: pending.inputSalt.toString(), range: ranges.input },
    output: { raw: plain.output.raw, salt: plain.outputSalt, range: ranges.output },
  };
  return { receipt, output: plain.output, opening, attestation };
}
