/**
 * Shared material for the TEE-path tests: a "hardware" provider that makes Nitro-format
 * documents signed by a throw-away CA (test/attestation/helpers.ts), pinned through the policy's
 * test-only `nitroRootFingerprint` option, and a helper that re-attests a receipt with
 * another TEE output (a lying TEE whose documents are genuine).
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { receiptDigest, type PublicReceipt as Receipt, type TeeOutput } from '../../src/shared/receipt.js';
import { ATTESTATION_FORMATS } from '../../src/tee/registry.js';
import type { AttestationProvider } from '../../src/tee/provider.js';
import { createTestChain, testDocument, TEST_AT, type TestChain } from '../attestation/helpers.js';

export { TEST_AT, createTestChain };

/** PCR0–2 of test documents (test/attestation/helpers.ts `testPayload`): 48 bytes of 0xa0, 0xa1, 0xa2. */
export const TEST_PCRS = { pcr0: 'a0'.repeat(48), pcr1: 'a1'.repeat(48), pcr2: 'a2'.repeat(48) };

/** Debug-enclave PCRs: 0–2 all zero. */
export function debugPcrs(): Map<number, Uint8Array> {
  const pcrs = new Map<number, Uint8Array>();
  for (let i = 0; i < 16; i++) pcrs.set(i, new Uint8Array(48));
  return pcrs;
}

/**
 * A provider producing Nitro documents from the test chain, as NSM would, with a chosen
 * timestamp and optional changes (other PCRs, other user data, a broken signature).
 */
export function testNitroProvider(
  chain: TestChain,
  options: { timestamp?: number; pcrs?: Map<number, Uint8Array>; userData?: (digest: Uint8Array) => Uint8Array; breakSignature?: boolean } = {},
): AttestationProvider {
  return {
    name: 'nitro',
    format: ATTESTATION_FORMATS.nitro,
    hardware: true,
    async attest({ userData, nonce, publicKey }) {
      const fields: Record<string, unknown> = { user_data: options.userData ? options.userData(userData) : userData, nonce, timestamp: options.timestamp ?? TEST_AT.getTime() - 60_000 };
      if (publicKey) fields.public_key = publicKey; // as NSM does for a request with a public key
      if (options.pcrs) fields.pcrs = options.pcrs;
      const doc = await testDocument(chain, fields);
      if (options.breakSignature) doc[doc.length - 1] ^= 0x01; // the last bytes are the ES384 signature
      return doc;
    },
  };
}

/**
 * Re-attests a TEE receipt (no proof) as if the TEE had computed `output`: new digest,
 * new document from `provider`, new attestation block. The result is genuinely attested.
 */
export async function reattest(receipt: Receipt, output: TeeOutput, provider: AttestationProvider): Promise<Receipt> {
  const body = { ...receipt, output: { ...receipt.output, ...output } };
  const digest = receiptDigest(body);
  const document = await provider.attest({ userData: hexToBytes(digest), nonce: hexToBytes(receipt.nonce) });
  return { ...body, digest, attestation: { ...receipt.attestation!, document: Buffer.from(document).toString('base64'), digest, output } };
}

/** A deep copy through JSON (what a receipt file round trip gives). */
export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
