/**
 * A minimal HTTP front for an encrypted session (`zkinfer tee serve`), and the client call
 * that talks to it (`zkinfer infer --encrypt-to … --endpoint …`). Two routes:
 *
 *   GET  /v1/enclave-key[?nonce=<hex>]  the enclave key file (./protocol.ts); with a nonce,
 *                                       a fresh attestation carrying the client's nonce
 *   POST /v1/encrypted-infer            an encrypted request → the encrypted response
 *
 * Whoever runs this process — in a Nitro deployment, the parent instance's vsock proxy and
 * the operator — sees the request header (model, enclave key, request id, time), the
 * sizes and the timing, and ciphertext; never the input or the output. Errors are one JSON
 * line `{"error": …}`: 400 for a request the enclave refuses (malformed, stale, replayed,
 * undecryptable), 422 for an input the model was not compiled for, 500 otherwise (its
 * message is not echoed). node:http only: this is an enclave's narrow door, not the
 * service of src/serve.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { InputError, ZkinferError } from '../../shared/errors.js';
import { isNonce } from '../../shared/nonce.js';
import { attestEnclaveKey, handleEncryptedRequest, type EncryptedSession } from './enclave.js';
import { EncryptedRequestError, type EncryptedRequest, type EncryptedResponse } from './protocol.js';

/** Largest request body accepted, in bytes. */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** A running server. */
export interface EncryptedServer {
  /** Base URL, e.g. http://127.0.0.1:8443. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(new EncryptedRequestError(`encrypted request: larger than ${MAX_REQUEST_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Serves an encrypted session over HTTP.
 * @param options host (default 127.0.0.1) and port (default 0: any free port)
 */
export async function serveEncrypted(session: EncryptedSession, options: { host?: string; port?: number } = {}): Promise<EncryptedServer> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    const url = new URL(req.url ?? '/', 'http://enclave');
    void (async () => {
      try {
        if (req.method === 'GET' && url.pathname === '/v1/enclave-key') {
          const nonce = url.searchParams.get('nonce');
          if (nonce === null) return send(200, session.enclaveKey);
          if (!isNonce(nonce)) return send(400, { error: 'nonce: expected 2 to 1024 lowercase hex digits' });
          return send(200, await attestEnclaveKey(session.provider, session.artifacts.manifest.modelId, session.publicKey, nonce, session.now));
        }
        if (req.method === 'POST' && url.pathname === '/v1/encrypted-infer') return send(200, await handleEncryptedRequest(session, await readBody(req)));
        return send(404, { error: `no route ${req.method} ${url.pathname}` });
      } catch (e) {
        if (e instanceof EncryptedRequestError) return send(400, { error: e.message });
        if (e instanceof InputError) return send(422, { error: e.message });
        return send(500, { error: 'internal error' });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Sends an encrypted request to a server and returns its response's JSON text.
 * @throws {EncryptedRequestError} with the enclave's error line when it refuses the request
 * @throws {ZkinferError} when the endpoint cannot be reached
 */
export async function postEncryptedRequest(endpoint: string, request: EncryptedRequest): Promise<EncryptedResponse | unknown> {
  const url = new URL('/v1/encrypted-infer', endpoint);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  } catch (cause) {
    throw new ZkinferError(`${url.href}: cannot reach the enclave (${(cause as Error).message})`, { cause });
  }
  const text = await res.text();
  if (res.status !== 200) {
    let message = text.trim().slice(0, 300);
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? message;
    } catch {
      /* not JSON: the text itself */
    }
    throw new EncryptedRequestError(`the enclave refused the request (HTTP ${res.status}): ${message}`);
  }
  return JSON.parse(text) as unknown;
}
