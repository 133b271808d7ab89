/**
 * The enclave side of the encrypted TEE path (./protocol.ts describes the messages). At
 * start a session generates an X25519 HPKE key pair inside the enclave — the private key
 * never leaves this process's memory — and has its attestation provider sign the public
 * key (Nitro: the document's `public_key`, bound with the model id through the user data).
 * Each request is then opened, run in onnxruntime (../infer.ts), and answered with a
 * sealed receipt — commitments to input and output (src/shared/commitment.ts, salted
 * Poseidon), the enclave key, the request id as nonce, attested by the provider — and the
 * output with its commitment's salt encrypted back to the client.
 *
 * Replay: a request's id and time are bound into the HPKE `info`, so neither can be changed
 * without making the message undecryptable. The enclave refuses a request dated outside
 * its validity window (default 300 s back, 60 s ahead), and one whose id it has answered
 * within the window; ids are kept until their window closes, in a bounded cache: when the
 * cache is full of unexpired ids the enclave refuses new requests (fails closed) rather
 * than forget one. An id is recorded only once its message decrypted, so a forged message
 * cannot burn a genuine request's id.
 */
import { randomBytes } from 'node:crypto';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { commitTensor, randomSalt, assertFieldElement } from '../../shared/commitment.js';
import { InputError, InvalidArgumentError } from '../../shared/errors.js';
import { assertNonce } from '../../shared/nonce.js';
import { RECEIPT_FORMAT, sealedReceiptDigest, type SealedReceipt } from '../../shared/receipt.js';
import { runTee, type TeeArtifacts } from '../infer.js';
import type { AttestationProvider } from '../provider.js';
import {
  ENCLAVE_KEY_FORMAT,
  ENCRYPTED_RESPONSE_FORMAT,
  EncryptedRequestError,
  encryptedRequestSchema,
  enclaveKeyDigest,
  HPKE_SUITE,
  parseJson,
  requestAad,
  requestInfo,
  decodeRequestPlaintext,
  sealResponse,
  type EnclaveKey,
  type EncryptedRequest,
  type EncryptedResponse,
} from './protocol.js';
import { generateKeyPair, setupBaseRecipient, type HpkeContext } from './hpke.js';
import type { KeyObject } from 'node:crypto';

/** Default validity window of a request, in seconds. */
export const DEFAULT_WINDOW_SECONDS = 300;
/** Clock skew tolerated for requests dated after the enclave's time, in seconds. */
export const FUTURE_SKEW_SECONDS = 60;
/** Default bound of the replay cache (request ids within one window). */
export const DEFAULT_REPLAY_CACHE_SIZE = 100_000;

/**
 * The request ids seen within the validity window, each kept until its window closes; at
 * most `capacity` of them.
 */
export class ReplayCache {
  private readonly expiries = new Map<string, number>();

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new InvalidArgumentError(`expected the replay cache size to be a positive integer, got ${capacity}`);
  }

  /** Number of ids held. */
  get size(): number {
    return this.expiries.size;
  }

  /** Whether an id was seen and its window is still open at `now`. */
  has(id: string, now: number): boolean {
    const expiry = this.expiries.get(id);
    return expiry !== undefined && expiry > now;
  }

  /**
   * Records an id until `expiry` (ms since the epoch).
   * @returns false when the id is already held, or the cache is full of unexpired ids
   */
  add(id: string, expiry: number, now: number): boolean {
    if (this.has(id, now)) return false;
    if (this.expiries.size >= this.capacity) {
      for (const [k, e] of this.expiries) if (e <= now) this.expiries.delete(k);
      if (this.expiries.size >= this.capacity) return false;
    }
    this.expiries.set(id, expiry);
    return true;
  }
}

/** Options of {@link createEncryptedSession}. */
export interface EncryptedSessionOptions {
  /** Attests the enclave key and signs every receipt digest. */
  provider: AttestationProvider;
  /** How old a request may be, in seconds (and how long its id is kept); default 300. */
  windowSeconds?: number;
  /** Largest number of request ids kept within one window; default 100,000. */
  replayCacheSize?: number;
  /** Clock, ms since the epoch; default Date.now. */
  now?: () => number;
}

/** An enclave's encrypted-inference session: its HPKE key pair, its model and its replay cache. */
export interface EncryptedSession {
  readonly artifacts: TeeArtifacts;
  readonly provider: AttestationProvider;
  /** The HPKE public key (X25519), hex. */
  readonly publicKey: string;
  /** The key with the attestation made at start. */
  readonly enclaveKey: EnclaveKey;
  /** @internal The HPKE private key (X25519), never exported. */
  readonly privateKey: KeyObject;
  /** @internal */
  readonly replay: ReplayCache;
  /** @internal */
  readonly windowMs: number;
  /** @internal */
  readonly now: () => number;
}

/**
 * Attests an enclave key: a document whose user data is {@link enclaveKeyDigest} and whose
 * public key is the HPKE key.
 * @param nonce hex; a client asking for a fresh attestation passes its own, random 16 bytes otherwise
 * @throws {AttestationError} when the provider cannot attest
 */
export async function attestEnclaveKey(provider: AttestationProvider, modelId: string, publicKey: string, nonce = randomBytes(16).toString('hex'), now: () => number = Date.now): Promise<EnclaveKey> {
  assertNonce(nonce, 'nonce');
  const createdAt = new Date(now()).toISOString();
  const document = await provider.attest({ userData: hexToBytes(enclaveKeyDigest({ modelId, publicKey })), nonce: hexToBytes(nonce), publicKey: hexToBytes(publicKey) });
  return {
    format: ENCLAVE_KEY_FORMAT,
    suite: HPKE_SUITE,
    modelId,
    publicKey,
    attestation: { provider: provider.name, format: provider.format, hardware: provider.hardware, document: Buffer.from(document).toString('base64'), nonce, createdAt },
  };
}

/**
 * Starts an encrypted session: generates the HPKE key pair and attests its public key.
 * @throws {AttestationError} when the provider cannot attest
 * @throws {InvalidArgumentError} for a malformed option
 */
export async function createEncryptedSession(artifacts: TeeArtifacts, options: EncryptedSessionOptions): Promise<EncryptedSession> {
  const windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
  if (!(Number.isFinite(windowSeconds) && windowSeconds > 0)) throw new InvalidArgumentError(`expected windowSeconds to be a positive number, got ${windowSeconds}`);
  const now = options.now ?? Date.now;
  const pair = generateKeyPair();
  const publicKey = bytesToHex(pair.publicKey);
  const enclaveKey = await attestEnclaveKey(options.provider, artifacts.manifest.modelId, publicKey, undefined, now);
  return {
    artifacts,
    provider: options.provider,
    publicKey,
    enclaveKey,
    privateKey: pair.privateKey,
    replay: new ReplayCache(options.replayCacheSize ?? DEFAULT_REPLAY_CACHE_SIZE),
    windowMs: windowSeconds * 1000,
    now,
  };
}

const refuse = (message: string, cause?: unknown): never => {
  throw new EncryptedRequestError(message, cause === undefined ? {} : { cause });
};

/**
 * Answers one encrypted request: checks its header (model, key, time, replay), opens it,
 * runs the model, commits to input and output, attests the sealed receipt and encrypts the
 * output with its opening back to the client.
 * @param request the request object or its JSON text
 * @throws {EncryptedRequestError} for a malformed, stale, replayed or undecryptable request
 * @throws {InputError} for an input the model was not compiled for
 * @throws {AttestationError} when the provider cannot attest
 */
export async function handleEncryptedRequest(session: EncryptedSession, request: EncryptedRequest | string | unknown): Promise<EncryptedResponse> {
  const req = parseJson(encryptedRequestSchema, request, 'encrypted request');
  const { manifest } = session.artifacts;
  if (req.modelId !== manifest.modelId) refuse(`encrypted request: for model ${req.modelId.slice(0, 16)}…, this enclave serves ${manifest.modelId.slice(0, 16)}…`);
  if (req.enclaveKey !== session.publicKey) refuse('encrypted request: encrypted to another enclave key');
  const now = session.now();
  const t = Date.parse(req.createdAt);
  if (now - t > session.windowMs) refuse(`encrypted request: ${Math.round((now - t) / 1000)} s old, outside the validity window of ${session.windowMs / 1000} s`);
  if (t - now > FUTURE_SKEW_SECONDS * 1000) refuse(`encrypted request: dated ${Math.round((t - now) / 1000)} s ahead of the enclave's clock`);
  if (session.replay.has(req.requestId, now)) refuse(`encrypted request: request id ${req.requestId} was already answered (replay)`);

  let ctx: HpkeContext;
  let plainBytes: Uint8Array;
  try {
    ctx = setupBaseRecipient(Buffer.from(req.enc, 'base64'), { privateKey: session.privateKey, publicKey: hexToBytes(session.publicKey) }, requestInfo(req));
    plainBytes = ctx.open(Buffer.from(req.ciphertext, 'base64'), requestAad(req));
  } catch (cause) {
    return refuse('encrypted request: cannot decrypt (the message or its header was altered, or it is encrypted to another key)', cause);
  }
  // Recorded only now that the message proved genuine; check and insert run without an await between them.
  if (!session.replay.add(req.requestId, t + session.windowMs, session.now())) {
    refuse(
      session.replay.has(req.requestId, session.now())
        ? `encrypted request: request id ${req.requestId} was already answered (replay)`
        : `encrypted request: the replay cache is full (${session.replay.capacity} requests within the validity window); try again later`,
    );
  }
  const plain = decodeRequestPlaintext(plainBytes);
  const { inputSalt } = plain;
  try {
    assertFieldElement(inputSalt, 'inputSalt');
  } catch (cause) {
    refuse(`encrypted request plaintext: ${(cause as Error).message}`, cause);
  }

  const { inputRaw, output } = await runTee(session.artifacts, plain.input);
  const { input: inDecl, output: outDecl } = manifest.io;
  const outputSalt = randomSalt();
  let inputCommitment: bigint;
  let outputCommitment: bigint;
  try {
    [inputCommitment, outputCommitment] = await Promise.all([commitTensor(inputRaw, inDecl, inputSalt), commitTensor(output.raw, outDecl, outputSalt)]);
  } catch (cause) {
    throw new InputError(`the TEE output cannot be committed: ${(cause as Error).message}`, { cause });
  }
  const body: Omit<SealedReceipt, 'digest' | 'attestation'> = {
    format: RECEIPT_FORMAT,
    modelId: manifest.modelId,
    input: { visibility: 'hashed', shape: [...inDecl.shape], scale: inDecl.scale, commitment: inputCommitment.toString() },
    output: { visibility: 'hashed', shape: [...outDecl.shape], scale: outDecl.scale, commitment: outputCommitment.toString(), semantics: outDecl.semantics },
    enclaveKey: session.publicKey,
    nonce: req.requestId,
    createdAt: req.createdAt,
  };
  const digest = sealedReceiptDigest(body);
  const { provider } = session;
  const document = await provider.attest({ userData: hexToBytes(digest), nonce: hexToBytes(req.requestId), publicKey: hexToBytes(session.publicKey) });
  const receipt: SealedReceipt = {
    ...body,
    digest,
    attestation: {
      provider: provider.name,
      format: provider.format,
      hardware: provider.hardware,
      document: Buffer.from(document).toString('base64'),
      digest,
      nonce: req.requestId,
      createdAt: req.createdAt,
    },
  };
  const ciphertext = sealResponse(ctx, { output, outputSalt: outputSalt.toString() }, digest);
  return { format: ENCRYPTED_RESPONSE_FORMAT, requestId: req.requestId, receipt, ciphertext };
}
