/**
 * Verifying a receipt's attestation block: that the document is genuine and binds this
 * receipt. It checks, in order, that the block agrees with the receipt (nonce; the
 * attested digest recomputed from the receipt with the attested output; the attested
 * float output consistent with its integers and its probabilities with its logits; for a
 * receipt without proof, that its output is the attested one), then the document itself
 * by the vendor its format names (src/tee/registry.ts), which checks that the document
 * binds the attested digest and the receipt nonce the way its provider binds them (Nitro
 * and dev: user data = digest, nonce = nonce). Trust decisions (hardware or not, age,
 * measurements, TCB status, stakes) belong to the policy (src/verify/policy.ts); this
 * module only says what the document proves.
 *
 * A sealed receipt (the encrypted path, src/tee/encrypted/) has no output values to
 * check: {@link verifySealedReceiptAttestation} recomputes its digest from the
 * commitments, the enclave key, nonce and time, and checks that the document binds that
 * digest and nonce and carries the receipt's enclave key.
 */
import { z } from 'zod';
import { AttestationError } from '../shared/errors.js';
import { isHashedOutput, receiptDigest, sealedReceiptDigest, type Receipt, type SealedReceipt } from '../shared/receipt.js';
import { softmax } from '../shared/math.js';
import { vendorByFormat } from './registry.js';
import type { AttestationEvidence } from './vendor.js';

/** What a verified receipt attestation establishes: the vendor's evidence, and the receipt's provider name. */
export interface VerifiedAttestation extends AttestationEvidence {
  /** The receipt's `attestation.provider`: the vendor's name. */
  provider: string;
}

/** Options of {@link verifyReceiptAttestation}. */
export interface ReceiptAttestationOptions {
  /** The manifest's output transform, to check attested probabilities against attested logits. */
  outputTransform?: { kind: 'softmax'; axis: number; coerce2d: boolean; log?: true };
  /** Dev keys to accept (hex); any when absent. */
  devPublicKeys?: readonly string[];
  /**
   * Hex SHA-256 of the Nitro root to pin instead of the AWS Nitro root. For tests with a
   * throw-away CA only; never read from a policy file.
   */
  nitroRootFingerprint?: string;
  /** Roots to pin instead of the vendors' own, hex SHA-256 by vendor name (tests only, like `nitroRootFingerprint`). */
  rootFingerprints?: Readonly<Record<string, string>>;
  /** The evaluation time, for vendors whose evidence has no signed time (TDX); default now. */
  now?: Date;
}

/** How far attested probabilities may be from the softmax of the attested logits (float32 rounding). */
export const PROBABILITY_CONSISTENCY = 1e-5;

const fail = (message: string): never => {
  throw new AttestationError(message);
};

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

/**
 * Verifies the receipt's attestation and its binding to the receipt.
 * @returns what the document establishes
 * @throws {AttestationError} naming the first check that failed
 */
export async function verifyReceiptAttestation(receipt: Receipt, options: ReceiptAttestationOptions = {}): Promise<VerifiedAttestation> {
  const att = receipt.attestation ?? fail('the receipt carries no attestation');
  if (att.nonce !== receipt.nonce) fail(`the attestation nonce ${att.nonce} differs from the receipt nonce ${receipt.nonce}`);
  const { raw, values, probabilities } = att.output;
  const output = receipt.output;
  if (isHashedOutput(output)) return fail('the receipt output is hashed; attestations cover public outputs only');
  const n = output.raw.length;
  if (raw.length !== n || values.length !== n || (probabilities && probabilities.length !== n)) fail(`the attested output does not have the receipt's ${n} values`);
  const scale = output.scale;
  for (let i = 0; i < n; i++) {
    if (!(Math.abs(values[i]! * 2 ** scale - raw[i]!) <= 0.5)) fail(`attested output value ${i} (${values[i]}) does not round to its integer ${raw[i]} at scale ${scale}`);
  }
  if (probabilities) {
    const t = options.outputTransform ?? fail('the attested output has probabilities, but the model has no output transform');
    const expected = softmax(values, output.shape, t.axis, t.coerce2d, t.log === true);
    for (let i = 0; i < n; i++) {
      if (!(Math.abs(expected[i]! - probabilities[i]!) <= PROBABILITY_CONSISTENCY))
        fail(`attested probability ${i} (${probabilities[i]}) is not the ${t.log ? 'log-softmax' : 'softmax'} of the attested logits (${expected[i]})`);
    }
  }
  const attested = receiptDigest({ ...receipt, output: { ...output, raw } });
  if (attested !== att.digest) fail('the attestation digest does not match the receipt with the attested output');
  if (!receipt.proof) {
    const same = (a: readonly number[] | undefined, b: readonly number[] | undefined) => (a === undefined) === (b === undefined) && (a ?? []).every((v, i) => v === b![i]);
    if (receipt.digest !== att.digest || !same(output.values, values) || !same(output.probabilities, probabilities)) {
      fail('the receipt has no proof and its output is not the attested output');
    }
  }
  if (!base64.safeParse(att.document).success) fail('the attestation document is not base64');
  const document = new Uint8Array(Buffer.from(att.document, 'base64'));
  const vendor = vendorByFormat(att.format) ?? fail(`unsupported attestation format ${JSON.stringify(att.format)}`);
  if (att.provider !== vendor.name || (att.hardware && !vendor.hardware)) fail(`a ${vendor.format} document must be from provider "${vendor.name}"${vendor.hardware ? '' : ' with hardware false'}`);
  const rootFingerprint = options.rootFingerprints?.[vendor.name] ?? (vendor.name === 'nitro' ? options.nitroRootFingerprint : undefined);
  const evidence = await vendor.verifyReceiptEvidence(document, {
    digest: att.digest,
    nonce: att.nonce,
    now: options.now ?? new Date(),
    ...(rootFingerprint ? { rootFingerprint } : {}),
    ...(options.devPublicKeys ? { devPublicKeys: options.devPublicKeys } : {}),
  });
  return { provider: vendor.name, ...evidence };
}

/**
 * Verifies a sealed receipt's attestation: the digest recomputed from the receipt, the
 * nonce and time equal to the receipt's, the document genuine and binding that digest and
 * nonce, and the enclave key it carries equal to the receipt's `enclaveKey`.
 * @returns what the document establishes
 * @throws {AttestationError} naming the first check that failed
 */
export async function verifySealedReceiptAttestation(receipt: SealedReceipt, options: Omit<ReceiptAttestationOptions, 'outputTransform'> = {}): Promise<VerifiedAttestation> {
  const att = receipt.attestation;
  if (att.nonce !== receipt.nonce) fail(`the attestation nonce ${att.nonce} differs from the receipt nonce ${receipt.nonce}`);
  if (att.createdAt !== receipt.createdAt) fail('the attestation time differs from the receipt time');
  const digest = sealedReceiptDigest(receipt);
  if (digest !== receipt.digest || digest !== att.digest) fail('the attestation digest does not match the sealed receipt (commitments, enclave key, nonce and time)');
  const document = new Uint8Array(Buffer.from(att.document, 'base64'));
  const vendor = vendorByFormat(att.format) ?? fail(`unsupported attestation format ${JSON.stringify(att.format)}`);
  if (att.provider !== vendor.name || (att.hardware && !vendor.hardware)) fail(`a ${vendor.format} document must be from provider "${vendor.name}"${vendor.hardware ? '' : ' with hardware false'}`);
  const rootFingerprint = options.rootFingerprints?.[vendor.name] ?? (vendor.name === 'nitro' ? options.nitroRootFingerprint : undefined);
  const evidence = await vendor.verifyReceiptEvidence(document, {
    digest,
    nonce: att.nonce,
    now: options.now ?? new Date(),
    ...(rootFingerprint ? { rootFingerprint } : {}),
    ...(options.devPublicKeys ? { devPublicKeys: options.devPublicKeys } : {}),
  });
  if (evidence.encryptionKey !== receipt.enclaveKey)
    fail(
      `the attestation document carries ${evidence.encryptionKey === undefined ? 'no encryption key' : `encryption key ${evidence.encryptionKey.slice(0, 16)}…`}, not the receipt's enclave key ${receipt.enclaveKey.slice(0, 16)}…`,
    );
  return { provider: vendor.name, ...evidence };
}
