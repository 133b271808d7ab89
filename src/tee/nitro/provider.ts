/**
 * The `nitro` attestation provider: inside an AWS Nitro Enclave, asks the Nitro Secure
 * Module (/dev/nsm) for an attestation document whose user data is the receipt digest and
 * whose nonce is the receipt nonce.
 *
 * The request follows aws-nitro-enclaves-nsm-api (src/api/mod.rs, `Request::Attestation`,
 * serialised by serde as an externally tagged enum):
 *   {"Attestation": {"user_data": bytes, "nonce": bytes, "public_key": bytes | null}}
 * with the fields in declaration order, and the response is
 *   {"Attestation": {"document": bytes}}  or  {"Error": "<ErrorCode>"}.
 * The request travels to the device by ioctl(fd, _IOWR(0x0A, 0, struct nsm_message)) with
 * a request iovec (≤ 0x1000 bytes) and a response iovec (≤ 0x3000 bytes)
 * (src/driver/mod.rs). Node has no ioctl, so the default transport runs a small helper
 * program (nsm-helper.c beside this file: CBOR request on stdin, response on stdout); a
 * service may pass its own transport instead. docs/tee.md describes the deployment.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AttestationError } from '../../shared/errors.js';
import { decodeCbor, describeCbor } from './cbor.js';
import { NITRO_FORMAT } from './document.js';
import { assertRequest, type AttestationProvider, type AttestationRequest } from '../provider.js';

/** The NSM device inside an enclave. */
export const NSM_DEVICE = '/dev/nsm';
/** Largest request and response the NSM driver takes (aws-nitro-enclaves-nsm-api). */
export const NSM_REQUEST_MAX_SIZE = 0x1000;
export const NSM_RESPONSE_MAX_SIZE = 0x3000;
/** Default helper program name, looked up on PATH (override with ZKINFER_NSM_HELPER). */
export const NSM_HELPER = 'zkinfer-nsm';

/** Sends one CBOR request to the NSM and returns its CBOR response. */
export type NsmTransport = (request: Uint8Array) => Promise<Uint8Array>;

/** Options of the nitro provider. */
export interface NitroProviderOptions {
  /** The NSM device; default /dev/nsm. */
  devicePath?: string;
  /** How requests reach the device; default: the helper program. */
  transport?: NsmTransport;
  /** Helper program for the default transport; default `$ZKINFER_NSM_HELPER` or `zkinfer-nsm`. */
  helper?: string;
}

function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}
const text = (s: string): number[] => {
  const utf8 = new TextEncoder().encode(s);
  return [...head(3, utf8.length), ...utf8];
};
const bytes = (b: Uint8Array): number[] => [...head(2, b.length), ...b];
const NULL = 0xf6;

/**
 * Encodes an NSM attestation request as serde_cbor does for
 * `Request::Attestation { user_data, nonce, public_key }` (`public_key: None` when the
 * request has no public key; the encrypted path passes the enclave's HPKE key).
 * @throws {InvalidArgumentError} for empty or oversized user data, nonce or public key
 */
export function encodeNsmAttestationRequest(request: AttestationRequest): Uint8Array {
  assertRequest(request);
  return Uint8Array.from([
    ...head(5, 1),
    ...text('Attestation'),
    ...head(5, 3),
    ...text('user_data'),
    ...bytes(request.userData),
    ...text('nonce'),
    ...bytes(request.nonce),
    ...text('public_key'),
    ...(request.publicKey ? bytes(request.publicKey) : [NULL]),
  ]);
}

/**
 * Decodes the NSM's response to an attestation request.
 * @returns the attestation document (COSE_Sign1 bytes)
 * @throws {AttestationError} "NSM: error <code>" or "NSM: malformed response (…)"
 */
export function decodeNsmResponse(response: Uint8Array): Uint8Array {
  let value: unknown;
  try {
    value = decodeCbor(response);
  } catch (cause) {
    throw new AttestationError(`NSM: malformed response (${(cause as Error).message})`, { cause });
  }
  if (!(value instanceof Map) || value.size !== 1) throw new AttestationError(`NSM: malformed response (expected a map with one entry, got ${describeCbor(value)})`);
  const [[kind, body]] = [...value.entries()] as [[unknown, unknown]];
  if (kind === 'Error') throw new AttestationError(`NSM: error ${typeof body === 'string' ? body : describeCbor(body)}`);
  if (kind !== 'Attestation') throw new AttestationError(`NSM: unexpected response ${JSON.stringify(kind)} to an attestation request`);
  const document = body instanceof Map ? body.get('document') : undefined;
  if (!(document instanceof Uint8Array) || document.length === 0) throw new AttestationError('NSM: malformed response (Attestation without a document)');
  return document;
}

/**
 * A transport that runs a helper program: the request on its stdin, the response on its
 * stdout, the device path as its only argument (arguments as an array, never a shell).
 */
export function helperTransport(helper: string, devicePath = NSM_DEVICE): NsmTransport {
  return (request) =>
    new Promise((resolve, reject) => {
      const child = spawn(helper, [devicePath], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= NSM_RESPONSE_MAX_SIZE) out.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', (cause: NodeJS.ErrnoException) => {
        reject(new AttestationError(`cannot run the NSM helper ${helper} (${cause.code ?? 'error'}); build it from src/tee/nitro/nsm-helper.c, see docs/tee.md`, { cause }));
      });
      child.on('close', (code) => {
        if (code !== 0) {
          const line = Buffer.concat(err).toString('utf8').trim().split('\n')[0] || 'no message';
          reject(new AttestationError(`NSM helper ${helper} failed (exit ${code}): ${line}`));
        } else if (size > NSM_RESPONSE_MAX_SIZE) reject(new AttestationError(`NSM helper ${helper} wrote ${size} bytes, more than an NSM response (${NSM_RESPONSE_MAX_SIZE})`));
        else resolve(new Uint8Array(Buffer.concat(out)));
      });
      child.stdin.on('error', () => {
        /* reported by 'close' or 'error' */
      });
      child.stdin.end(request);
    });
}

/** The nitro provider: NSM attestation documents from inside an enclave. */
export class NitroProvider implements AttestationProvider {
  readonly name = 'nitro' as const;
  readonly format = NITRO_FORMAT;
  readonly hardware = true;
  private readonly devicePath: string;
  private readonly transport: NsmTransport;

  constructor(options: NitroProviderOptions = {}) {
    this.devicePath = options.devicePath ?? NSM_DEVICE;
    this.transport = options.transport ?? helperTransport(options.helper ?? process.env.ZKINFER_NSM_HELPER ?? NSM_HELPER, this.devicePath);
  }

  /**
   * Requests a document with user data = the digest and the given nonce.
   * @throws {AttestationError} "not inside a Nitro Enclave (/dev/nsm not found)" outside an
   *   enclave; "NSM: …" when the module refuses or answers malformed
   * @throws {InvalidArgumentError} for empty or oversized user data or nonce
   */
  async attest(request: AttestationRequest): Promise<Uint8Array> {
    const encoded = encodeNsmAttestationRequest(request);
    if (!existsSync(this.devicePath)) throw new AttestationError(`not inside a Nitro Enclave (${this.devicePath} not found)`);
    if (encoded.length > NSM_REQUEST_MAX_SIZE) throw new AttestationError(`NSM: request of ${encoded.length} bytes exceeds ${NSM_REQUEST_MAX_SIZE}`);
    return decodeNsmResponse(await this.transport(encoded));
  }
}

/** Creates the nitro provider (no device access until {@link NitroProvider.attest}). */
export function createNitroProvider(options: NitroProviderOptions = {}): NitroProvider {
  return new NitroProvider(options);
}
