/**
 * The receipt context: one public signal of every proof that binds what the circuit does
 * not compute itself — which model the receipt names, when it was made and for which
 * nonce. Without it a valid receipt could be given a new nonce (a replay accepted as a
 * fresh answer) or a new time, and the pairing check would not notice. With it, any change
 * to those fields changes the public signal the proof was made for.
 *
 * The encoding is plain bytes so that any verifier — this library, a browser, a Solidity
 * contract with its SHA-256 precompile — computes it the same way:
 *
 *   context = SHA-256( "zkinfer.context/1" ‖ modelId (32 bytes) ‖ createdAt (uint64 ms since
 *             the epoch, big-endian) ‖ nonce (its bytes) ) mod 2^253
 *
 * Reducing modulo 2^253 (clearing the top three bits) keeps the value below the BN254
 * scalar field's modulus (≈ 2^253.6), so it is a canonical field element with one spelling.
 * Written with @noble/hashes (no Node built-ins) so the browser verifier shares it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/** The domain separator hashed first. */
export const CONTEXT_DOMAIN = 'zkinfer.context/1';

const MASK_253 = (1n << 253n) - 1n;

/** What the context binds. */
export interface ContextFields {
  /** 64 hex digits. */
  modelId: string;
  /** An ISO time with milliseconds (see isReceiptTime in ./nonce.ts). */
  createdAt: string;
  /** Lowercase hex. */
  nonce: string;
}

/** The bytes hashed into the context (exposed for other verifiers' tests). */
export function contextPreimage(fields: ContextFields): Uint8Array {
  const time = new Uint8Array(8);
  new DataView(time.buffer).setBigUint64(0, BigInt(Date.parse(fields.createdAt)), false);
  return concatBytes(utf8ToBytes(CONTEXT_DOMAIN), hexToBytes(fields.modelId), time, hexToBytes(fields.nonce));
}

/**
 * Computes the context field element of a receipt.
 * @returns a bigint below 2^253
 */
export function receiptContext(fields: ContextFields): bigint {
  return BigInt(`0x${bytesToHex(sha256(contextPreimage(fields)))}`) & MASK_253;
}
