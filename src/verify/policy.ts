/**
 * The verification policy (DESIGN.md "TEE path and policy"): per receipt, is hardware
 * trust enough, or is a zero-knowledge proof required? A policy is a small JSON file:
 *
 *   { "allowedPcrs": [{"pcr0": "<96 hex>", "pcr1": …, "pcr2": …}],
 *     "vendors": { "tdx": { "measurements": [{"mrtd": "<96 hex>", "rtmr0": …}], "acceptedTcbStatuses": ["UpToDate"] } },
 *     "maxAttestationAgeSeconds": 300, "acceptDevAttestations": false,
 *     "stakesThreshold": 100, "tolerance": "manifest",
 *     "trustedKeyIds": ["<64 hex>"], "localSetup": "warn" }
 *
 * Every field is optional; the defaults ({@link DEFAULT_POLICY}) accept receipts by proof
 * only. {@link evaluateReceipt} applies the rules:
 * 1. The receipt must be for the artifacts' model, with the manifest's shapes and scales,
 *    and its input commitment and digest must match its contents; otherwise `rejected`.
 * 2. A proof, when present, is verified (Groth16 and bindings): valid → counts; invalid → `rejected`.
 *    Its key must be one of trustedKeyIds when that list is not empty (`rejected`
 *    otherwise); a key from a local single-party setup is reported (localSetup "warn", the
 *    default), accepted silently ("accept") or refused ("refuse": `rejected`).
 * 3. An attestation, when present, is verified (document, user data = digest, nonce,
 *    attested output): a failure → `rejected`. A verified one counts only if it is hardware
 *    (dev only with acceptDevAttestations), not from a debug enclave, its measurements
 *    match an entry of its vendor's allowlist (Nitro: allowedPcrs or vendors.nitro; others:
 *    vendors.<name>.measurements), its TCB status is accepted (vendors with TCB levels;
 *    default UpToDate only), it is at most maxAttestationAgeSeconds old by its signed time
 *    (evidence without one, such as TDX, is verified at the evaluation time, or when its
 *    collateral expired if that is earlier, and is that old), and the request's stakes
 *    are at most stakesThreshold.
 * 4. With both, the TEE's float output is cross-checked against the proven output (after
 *    the output transform, i.e. as probabilities for a Softmax model, the space in which
 *    the manifest's maxAbsOutputError is measured): further apart than the tolerance →
 *    `rejected`.
 * 5. Otherwise `accepted` by what counts (proof, attestation or both), or `proof-required`
 *    with the reasons the attestation does not count (or that there is none).
 *
 * A sealed receipt (the encrypted TEE path: commitments instead of values, see
 * src/tee/encrypted/) has no proof and can have none: it is `accepted` by attestation
 * only, under the same rules as rule 3 (its attestation must also carry the receipt's
 * enclave key), `proof-required` where they do not let the attestation count, and
 * `rejected` when it fails a check. The same rules decide whether a client may trust an
 * enclave key before encrypting to it ({@link evaluateEnclaveKey}).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AttestationError, EXIT, VerifyError } from '../shared/errors.js';
import { isHashedOutput, isSealedReceipt, sealedReceiptDigest, type Receipt, type SealedReceipt } from '../shared/receipt.js';
import { softmax } from '../shared/math.js';
import type { Manifest } from '../shared/manifest.js';
import { openArtifacts, type ArtifactsFolder } from '../shared/artifacts.js';
import { distrustEvidence, vendorPoliciesSchema } from '../tee/registry.js';
import { verifyReceiptAttestation, verifySealedReceiptAttestation, type VerifiedAttestation } from '../tee/receipt-attestation.js';
import { verifyEnclaveKey, type VerifiedEnclaveKey } from '../tee/encrypted/client.js';
import type { EnclaveKey } from '../tee/encrypted/protocol.js';
import { checkReceiptFields, loadVerifierKey, verifyProof, type VerifierKey, type VerifyOptions } from './verify.js';
import { checkKeySetup, setupPolicyShape } from './setup-policy.js';
import { describeKey } from './key-origin.js';

const pcrHex = z.string().regex(/^(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$/, 'expected 32, 48 or 64 bytes of hex');
const measurement = z
  .record(z.string().regex(/^pcr(?:[0-9]|[12][0-9]|3[01])$/, 'expected keys pcr0 to pcr31'), pcrHex)
  .refine((entry) => Object.keys(entry).length > 0, 'an entry must list at least one PCR');

/** The policy file's schema; unknown keys are errors (a misspelt rule must not be ignored). */
export const policySchema = z
  .strictObject({
    /** Accepted AWS Nitro measurements; an attestation must match every PCR of one entry (the same as vendors.nitro.measurements). */
    allowedPcrs: z.array(measurement).default([]),
    /** Per attestation vendor (src/tee/registry.ts): accepted measurements named as the vendor names them, and accepted TCB statuses. */
    vendors: vendorPoliciesSchema.optional(),
    /** Oldest attestation (by its signed time) that counts. */
    maxAttestationAgeSeconds: z.number().positive().default(300),
    /** Let `dev` attestations count (development only). */
    acceptDevAttestations: z.boolean().default(false),
    /** Dev keys accepted when acceptDevAttestations is true (hex Ed25519 public keys); required with it: anyone can make a dev key. */
    devPublicKeys: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes of lowercase hex')).optional(),
    /** Largest stakes a request may have to be accepted on an attestation alone. */
    stakesThreshold: z.number().nonnegative().default(0),
    /** Largest |TEE − proven| output difference, or "manifest" for the manifest's maxAbsOutputError. */
    tolerance: z.union([z.number().nonnegative(), z.literal('manifest')]).default('manifest'),
    /** Verification key ids trusted for proofs (received through a trusted channel); empty: the artifacts' key, unpinned. */
    trustedKeyIds: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'expected a key id of 64 lowercase hex digits')).default([]),
    /** Keys from a local single-party setup: "warn" (default), "accept" or "refuse". */
    localSetup: z.enum(['accept', 'warn', 'refuse']).default('warn'),
    /** requireContributions, minContributions: who must have contributed to the key (setup-policy.ts). */
    ...setupPolicyShape,
  })
  .refine((p) => !p.acceptDevAttestations || (p.devPublicKeys?.length ?? 0) > 0, {
    message: 'acceptDevAttestations needs devPublicKeys: anyone can make a dev key, so the accepted ones must be pinned',
    path: ['devPublicKeys'],
  });
export type Policy = z.infer<typeof policySchema>;

/** The built-in policy: no measurement is allowed, so only proofs accept. */
export const DEFAULT_POLICY: Policy = Object.freeze(policySchema.parse({}));

/**
 * Validates a policy object.
 * @param where names the source in messages (a file path)
 * @throws {VerifyError} "<where>: invalid policy at "<field>": <message>"
 */
export function parsePolicy(data: unknown, where = 'policy'): Policy {
  const parsed = policySchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new VerifyError(`${where}: invalid policy at "${issue.path.join('.') || '(root)'}": ${issue.message}`, { exitCode: EXIT.usage });
  }
  return parsed.data;
}

/**
 * Reads and validates a policy file.
 * @throws {VerifyError} for an unreadable file, malformed JSON or an invalid policy
 */
export function loadPolicy(path: string): Policy {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new VerifyError(code ? `${path}: cannot read policy (${code})` : `${path}: malformed JSON (${(cause as Error).message})`, { cause, exitCode: EXIT.usage });
  }
  return parsePolicy(data, path);
}

/** What {@link evaluateReceipt} decides. */
export interface PolicyVerdict {
  verdict: 'accepted' | 'proof-required' | 'rejected';
  /** The evidence that accepted the receipt (empty unless accepted). */
  by: ('proof' | 'attestation')[];
  /** One line per finding: what failed, what counted, and why an attestation did not. */
  reasons: string[];
}

/** Options of {@link evaluateReceipt}. */
export interface EvaluateOptions {
  /** The manifest, and the verification key when the artifacts have one (needed for proofs). */
  key: { manifest: Manifest; vkey?: VerifierKey['vkey'] | null };
  policy: Policy;
  /** The request's stakes, compared with policy.stakesThreshold; default 0. */
  stakes?: number;
  /** The time of evaluation; default now. */
  now?: Date;
  /** What the caller expects of the receipt: its nonce, its maximum age, pinned key ids (added to the policy's trustedKeyIds). */
  expect?: Pick<VerifyOptions, 'nonce' | 'maxAgeSeconds' | 'keyIds' | 'weightsCommitments'>;
  /**
   * Pins another Nitro root (hex SHA-256 of its DER) instead of the AWS Nitro root. For
   * tests with a throw-away CA only: deliberately not part of the policy file.
   */
  nitroRootFingerprint?: string;
  /** Roots to pin instead of the vendors' own, hex SHA-256 by vendor name; for tests only, like `nitroRootFingerprint`. */
  rootFingerprints?: Readonly<Record<string, string>>;
  /**
   * For a receipt that names a shared proof (artifacts compiled with --inferences N): the
   * shared-proof file's JSON text, or null when the file is missing (see verifyProof).
   */
  sharedProof?: string | null;
}

/** Clock skew tolerated for attestations dated after `now`. */
const FUTURE_SKEW_SECONDS = 60;

export { describeKey };

/** Why a verified attestation does not count under the policy (empty: it counts). */
function distrust(a: VerifiedAttestation, policy: Policy, now: Date, stakes: number): string[] {
  const out: string[] = [];
  if (!a.hardware) {
    if (!policy.acceptDevAttestations) out.push('attestation: dev provider, not hardware; the policy does not accept dev attestations');
    else if (policy.devPublicKeys && !policy.devPublicKeys.includes(a.publicKey ?? '')) out.push(`attestation: dev key ${a.publicKey} is not in devPublicKeys`);
  } else out.push(...distrustEvidence(a, policy));
  // Evidence without a signed time (TDX) is as old as the last time it verified: now, or when its collateral expired.
  const age = (now.getTime() - (a.timestamp ?? Date.parse(a.verifiedAt))) / 1000;
  if (age > policy.maxAttestationAgeSeconds) out.push(`attestation: ${Math.round(age)} s old, older than maxAttestationAgeSeconds ${policy.maxAttestationAgeSeconds}`);
  if (age < -FUTURE_SKEW_SECONDS) out.push(`attestation: dated ${Math.round(-age)} s after the evaluation time`);
  if (stakes > policy.stakesThreshold) out.push(`stakes ${stakes} exceed stakesThreshold ${policy.stakesThreshold} for acceptance by attestation`);
  return out;
}

/** Largest |TEE − proven| over the final outputs, with its index. */
function outputDistance(receipt: Receipt, manifest: Manifest): { distance: number; index: number } {
  const t = manifest.io.output.transform;
  const tee = receipt.attestation!.output;
  if (isHashedOutput(receipt.output)) return { distance: Infinity, index: 0 }; // unreachable: an attested receipt's output is public
  const proven = receipt.output.raw.map((v) => v / 2 ** receipt.output.scale);
  const final = (logits: readonly number[]) => (t ? Array.from(softmax(logits, receipt.output.shape, t.axis, t.coerce2d, t.log === true)) : logits);
  const a = t && tee.probabilities ? tee.probabilities : final(tee.values);
  const b = final(proven);
  let distance = 0;
  let index = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= distance)) [distance, index] = [d, i];
  }
  return { distance, index };
}

/**
 * Decides whether a receipt is accepted under a policy.
 * @returns the verdict, the evidence that accepted it and the reasons (a receipt that
 *   fails a check is a `rejected` verdict, never an exception)
 * @throws {VerifyError} when `options.policy` is not a valid policy
 */
export async function evaluateReceipt(receipt: Receipt | SealedReceipt, options: EvaluateOptions): Promise<PolicyVerdict> {
  const { manifest, vkey } = options.key;
  const policy = parsePolicy(options.policy);
  const now = options.now ?? new Date();
  const stakes = options.stakes ?? 0;
  const rejected = (reasons: string[]): PolicyVerdict => ({ verdict: 'rejected', by: [], reasons });
  if (isSealedReceipt(receipt)) return evaluateSealed(receipt, options, policy, now, stakes);

  const expect: VerifyOptions = { ...options.expect, now, keyIds: [...policy.trustedKeyIds, ...(options.expect?.keyIds ?? [])] };
  const mismatch = checkReceiptFields(receipt, manifest, expect);
  if (mismatch) return rejected([mismatch]);

  const setup = await checkKeySetup(manifest, vkey, policy, options.key);
  if (setup.failures.length > 0) return rejected(setup.failures);
  const reasons: string[] = [...setup.reasons];
  const failures: string[] = [];
  let proofValid = false;
  if (receipt.proof || receipt.sharedProof || receipt.publicSignals) {
    if (!vkey) failures.push('proof: the artifacts have no verification key (compiled without setup)');
    else {
      const v = await verifyProof(receipt, { manifest, vkey }, expect, options.sharedProof);
      // localSetup covers every key whose powers of tau are not a verified public ceremony's:
      // a local single-party file, or one passed with --ptau-unchecked.
      const local = manifest.setup?.localSingleParty === true;
      const unverified = manifest.setup?.ptau?.origin === 'unverified';
      if (!v.valid) failures.push(`proof: ${v.reason}`);
      else if (local && policy.localSetup === 'refuse') failures.push(`proof: ${describeKey(manifest)}; the policy refuses local single-party keys (localSetup: "refuse")`);
      else if (unverified && policy.localSetup === 'refuse')
        failures.push(`proof: ${describeKey(manifest)}; the policy refuses keys whose powers of tau are not a verified ceremony file (localSetup: "refuse")`);
      else {
        proofValid = true;
        const pinned = (expect.keyIds?.length ?? 0) > 0 ? ', a trusted key id' : ', not pinned (trustedKeyIds is empty)';
        reasons.push(`proof: valid Groth16 proof under ${describeKey(manifest)}${pinned}`);
        if (local && policy.localSetup === 'warn') reasons.push('warning: the proof key comes from a local single-party setup; whoever ran it could forge proofs (localSetup: "warn")');
        if (unverified && policy.localSetup === 'warn')
          reasons.push('warning: the proof key was made from an unverified powers-of-tau file; whoever made that file could forge proofs (localSetup: "warn")');
      }
    }
  }

  let attestation: VerifiedAttestation | undefined;
  let untrusted: string[] = [];
  if (receipt.attestation) {
    try {
      attestation = await verifyReceiptAttestation(receipt, {
        outputTransform: manifest.io.output.transform,
        devPublicKeys: policy.devPublicKeys,
        nitroRootFingerprint: options.nitroRootFingerprint,
        rootFingerprints: options.rootFingerprints,
        now,
      });
    } catch (e) {
      if (!(e instanceof AttestationError)) throw e;
      failures.push(`attestation: ${e.message}`);
    }
    if (attestation) {
      untrusted = distrust(attestation, policy, now, stakes);
      if (untrusted.length === 0)
        reasons.push(
          `attestation: valid ${attestation.provider} attestation, ${attestation.timestamp === undefined ? `verified at ${attestation.verifiedAt}` : `${Math.max(0, Math.round((now.getTime() - attestation.timestamp) / 1000))} s old`}`,
        );
    }
  }

  if (proofValid && attestation) {
    const tolerance = policy.tolerance === 'manifest' ? manifest.tolerance.maxAbsOutputError : policy.tolerance;
    const { distance, index } = outputDistance(receipt, manifest);
    if (!(distance <= tolerance))
      failures.push(`cross-check: the TEE output differs from the proven output by ${distance.toPrecision(3)} at index ${index}, more than the tolerance ${tolerance.toPrecision(3)}`);
    else reasons.push(`cross-check: the TEE and proven outputs agree within ${tolerance.toPrecision(3)} (largest difference ${distance.toPrecision(3)})`);
  }

  if (failures.length > 0) return rejected(failures);
  const counts = attestation !== undefined && untrusted.length === 0;
  if (proofValid) {
    const notCounted = untrusted.filter((r) => r.startsWith('attestation:')).map((r) => `not counted: ${r}`);
    return { verdict: 'accepted', by: counts ? ['proof', 'attestation'] : ['proof'], reasons: [...reasons, ...notCounted] };
  }
  if (counts) return { verdict: 'accepted', by: ['attestation'], reasons };
  return { verdict: 'proof-required', by: [], reasons: receipt.attestation ? untrusted : ['no proof and no attestation'] };
}

const short = (hex: string) => `${hex.slice(0, 16)}…`;

/** The sealed receipt's fields against the manifest and the caller's expectations. */
function sealedMismatch(receipt: SealedReceipt, manifest: Manifest, expect: EvaluateOptions['expect'], now: Date): string | undefined {
  if (receipt.modelId !== manifest.modelId) return `the receipt is for model ${short(receipt.modelId)}, the artifacts are model ${short(manifest.modelId)}`;
  const { input, output } = manifest.io;
  if (receipt.input.shape.join() !== input.shape.join() || receipt.input.scale !== input.scale) return 'the receipt input does not have the shape and scale the manifest declares';
  if (receipt.output.shape.join() !== output.shape.join() || receipt.output.scale !== output.scale) return 'the receipt output does not have the shape and scale the manifest declares';
  if (receipt.output.semantics !== output.semantics) return `output.semantics is not the manifest's (${JSON.stringify(output.semantics)})`;
  if (sealedReceiptDigest(receipt) !== receipt.digest) return 'the receipt digest does not match its contents';
  if (expect?.nonce !== undefined && receipt.nonce !== expect.nonce) return `the receipt nonce ${short(receipt.nonce)} is not the expected nonce ${short(expect.nonce)}`;
  if (expect?.maxAgeSeconds !== undefined) {
    const age = (now.getTime() - Date.parse(receipt.createdAt)) / 1000;
    if (age > expect.maxAgeSeconds) return `the receipt is ${Math.round(age)} s old, older than the maximum age ${expect.maxAgeSeconds} s`;
    if (age < -FUTURE_SKEW_SECONDS) return `the receipt is dated ${Math.round(-age)} s after the verification time`;
  }
  return undefined;
}

/** A sealed receipt: accepted by attestation only, never by proof. */
async function evaluateSealed(receipt: SealedReceipt, options: EvaluateOptions, policy: Policy, now: Date, stakes: number): Promise<PolicyVerdict> {
  const mismatch = sealedMismatch(receipt, options.key.manifest, options.expect, now);
  if (mismatch) return { verdict: 'rejected', by: [], reasons: [mismatch] };
  let attestation: VerifiedAttestation;
  try {
    attestation = await verifySealedReceiptAttestation(receipt, {
      devPublicKeys: policy.devPublicKeys,
      nitroRootFingerprint: options.nitroRootFingerprint,
      rootFingerprints: options.rootFingerprints,
      now,
    });
  } catch (e) {
    if (!(e instanceof AttestationError)) throw e;
    return { verdict: 'rejected', by: [], reasons: [`attestation: ${e.message}`] };
  }
  const sealed = 'sealed receipt: input and output are salted commitments; no proof can be attached (encrypted TEE path)';
  const untrusted = distrust(attestation, policy, now, stakes);
  if (untrusted.length > 0) return { verdict: 'proof-required', by: [], reasons: [...untrusted, sealed] };
  const age = attestation.timestamp === undefined ? `verified at ${attestation.verifiedAt}` : `${Math.max(0, Math.round((now.getTime() - attestation.timestamp) / 1000))} s old`;
  return { verdict: 'accepted', by: ['attestation'], reasons: [`attestation: valid ${attestation.provider} attestation of the enclave key ${short(receipt.enclaveKey)}, ${age}`, sealed] };
}

/** What {@link evaluateEnclaveKey} decides. */
export interface EnclaveKeyVerdict {
  /** Whether the policy lets a client encrypt to this key. */
  trusted: boolean;
  /** Why not (or what counted). */
  reasons: string[];
  /** The verified key, when its attestation verified. */
  enclave?: VerifiedEnclaveKey;
}

/**
 * Decides whether a client may encrypt to an enclave key under a policy: its attestation
 * verifies and binds the key and model ({@link verifyEnclaveKey}), and counts under the
 * same rules as a receipt's attestation (hardware or pinned dev key, measurements, TCB,
 * age by its signed time).
 * @param key the enclave key file's object or JSON text
 * @throws {EncryptedRequestError} for a malformed key file
 * @throws {VerifyError} when `options.policy` is not a valid policy
 */
export async function evaluateEnclaveKey(
  key: EnclaveKey | string | unknown,
  options: { policy: Policy; modelId?: string; now?: Date; rootFingerprints?: Readonly<Record<string, string>> },
): Promise<EnclaveKeyVerdict> {
  const policy = parsePolicy(options.policy);
  const now = options.now ?? new Date();
  let enclave: VerifiedEnclaveKey;
  try {
    enclave = await verifyEnclaveKey(key, { modelId: options.modelId, now, devPublicKeys: policy.devPublicKeys, rootFingerprints: options.rootFingerprints });
  } catch (e) {
    if (!(e instanceof AttestationError)) throw e;
    return { trusted: false, reasons: [e.message] };
  }
  const untrusted = distrust({ provider: enclave.evidence.vendor, ...enclave.evidence }, policy, now, 0);
  if (untrusted.length > 0) return { trusted: false, reasons: untrusted.map((r) => r.replace(/^attestation: /, 'enclave key: ')), enclave };
  return { trusted: true, reasons: [`enclave key: valid ${enclave.evidence.vendor} attestation of ${short(enclave.key.publicKey)}`], enclave };
}

/**
 * Loads what {@link evaluateReceipt} needs from an artifacts folder: the manifest, and the
 * verification key when the artifacts have one (TEE-only artifacts may not).
 * @param dir a path, or a folder opened by {@link openArtifacts}
 * @throws {VerifyError} for a missing or invalid manifest, or a key that does not match it
 */
export function loadPolicyKey(dir: string | ArtifactsFolder): EvaluateOptions['key'] {
  const folder = openArtifacts(dir);
  return folder.manifest.files.vkey ? loadVerifierKey(folder) : { manifest: folder.manifest };
}
