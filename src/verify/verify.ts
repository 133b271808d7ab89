/**
 * Verifying a receipt's proof: the Groth16 check, and the binding of its public signals to
 * the receipt — every signal canonical (below the field modulus), exactly the encoding of
 * the receipt's input and output integers, inside the ranges the manifest declares — and
 * the binding of the verification key to the manifest (key id) and of the receipt to the
 * model (model id). A verdict names the first check that failed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { VerifyError } from '../shared/errors.js';
import { decodeSigned, FIELD_MODULUS } from '../shared/field.js';
import { inputCommitment, receiptDigest, receiptSchema, type Receipt } from '../shared/receipt.js';
import { computeKeyId, readManifest, type Manifest } from '../build/manifest.js';

/** Verification material: the manifest and its verification key. */
export interface VerifierKey {
  manifest: Manifest;
  vkey: Record<string, unknown>;
}

/** The outcome for one receipt. */
export interface ProofVerdict {
  valid: boolean;
  /** Why it is invalid (one line). */
  reason?: string;
  receipt?: Receipt;
}

/**
 * Loads the manifest and verification key of an artifacts folder and checks that the key
 * is the one the manifest names.
 * @throws {VerifyError} when files are missing or the key does not match
 */
export function loadVerifierKey(dir: string): VerifierKey {
  const manifest = readManifest(dir);
  if (!manifest.files.vkey || !manifest.keyId) throw new VerifyError(`${dir}: the artifacts have no verification key (compiled without setup)`);
  const path = join(dir, manifest.files.vkey.path);
  let vkey: Record<string, unknown>;
  try {
    vkey = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new VerifyError(`${path}: cannot read verification key`, { cause });
  }
  return { manifest, vkey };
}

/** Parses a receipt from JSON text; never throws. */
export function parseReceipt(text: string): { receipt?: Receipt; reason?: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { reason: `malformed JSON: ${(e as Error).message}` };
  }
  const parsed = receiptSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { reason: `malformed receipt: "${issue.path.join('.') || '(root)'}": ${issue.message}` };
  }
  return { receipt: parsed.data };
}

/**
 * Key ids by verification-key object: hashing the key's canonical JSON (795 points for the
 * example) cost ~1.6 ms, paid again for every receipt checked against the same key.
 */
const keyIds = new WeakMap<object, string>();
function keyIdOf(vkey: Record<string, unknown>): string {
  let id = keyIds.get(vkey);
  if (id === undefined) keyIds.set(vkey, (id = computeKeyId(vkey)));
  return id;
}

const invalid = (reason: string, receipt?: Receipt): ProofVerdict => ({ valid: false, reason, receipt });

/**
 * Checks the receipt's bindings (model, key, public signals, digest) without the pairing check.
 * @returns the reason it fails, or undefined when every binding holds
 */
export function checkBindings(receipt: Receipt, key: VerifierKey): string | undefined {
  const { manifest, vkey } = key;
  if (keyIdOf(vkey) !== manifest.keyId) return `the verification key does not match the manifest's key id ${manifest.keyId?.slice(0, 16)}…`;
  if (receipt.modelId !== manifest.modelId) return `the receipt is for model ${receipt.modelId.slice(0, 16)}…, the artifacts are model ${manifest.modelId.slice(0, 16)}…`;
  if (receipt.keyId !== manifest.keyId) return `the receipt was proven with key ${receipt.keyId?.slice(0, 16)}…, the artifacts hold key ${manifest.keyId?.slice(0, 16)}…`;
  const { input, output } = manifest.io;
  const nIn = input.shape.reduce((a, b) => a * b, 1);
  const nOut = output.shape.reduce((a, b) => a * b, 1);
  if (receipt.input.shape.join() !== input.shape.join() || receipt.input.scale !== input.scale || receipt.input.raw.length !== nIn) return 'the receipt input does not have the shape and scale the manifest declares';
  if (receipt.output.shape.join() !== output.shape.join() || receipt.output.scale !== output.scale || receipt.output.raw.length !== nOut) return 'the receipt output does not have the shape and scale the manifest declares';
  if (inputCommitment(receipt.input) !== receipt.input.commitment) return 'the input commitment does not match the input';
  if (receiptDigest(receipt) !== receipt.digest) return 'the receipt digest does not match its contents';
  for (let i = 0; i < nOut; i++) {
    if (receipt.output.values[i] !== receipt.output.raw[i]! / 2 ** output.scale) return `output value ${i} (${receipt.output.values[i]}) is not output.raw[${i}] · 2^-${output.scale}`;
  }
  const signals = receipt.publicSignals;
  if (!signals) return 'the receipt has no public signals';
  if (signals.length !== nOut + nIn) return `expected ${nOut + nIn} public signals (${nOut} outputs, ${nIn} inputs), got ${signals.length}`;
  const decoded: bigint[] = [];
  for (let i = 0; i < signals.length; i++) {
    const s = signals[i]!;
    if (!/^(0|[1-9][0-9]*)$/.test(s) || BigInt(s) >= FIELD_MODULUS) return `public signal ${i} is not a canonical field element`;
    decoded.push(decodeSigned(BigInt(s)));
  }
  for (let i = 0; i < nOut; i++) {
    const v = decoded[i]!;
    if (v < BigInt(output.min) || v > BigInt(output.max)) return `public output ${i} = ${v} is outside the declared range [${output.min}, ${output.max}]`;
    if (v !== BigInt(receipt.output.raw[i]!)) return `output ${i} in the receipt (${receipt.output.raw[i]}) differs from the proven public signal (${v})`;
  }
  for (let i = 0; i < nIn; i++) {
    const v = decoded[nOut + i]!;
    if (v < BigInt(input.min) || v > BigInt(input.max)) return `public input ${i} = ${v} is outside the declared range [${input.min}, ${input.max}]`;
    if (v !== BigInt(receipt.input.raw[i]!)) return `input ${i} in the receipt (${receipt.input.raw[i]}) differs from the proven public signal (${v})`;
  }
  return undefined;
}

/**
 * Verifies a receipt's Groth16 proof and its bindings.
 * @param receipt the receipt (already parsed) or its JSON text
 */
export async function verifyProof(receipt: Receipt | string, key: VerifierKey): Promise<ProofVerdict> {
  let r: Receipt;
  if (typeof receipt === 'string') {
    const parsed = parseReceipt(receipt);
    if (!parsed.receipt) return invalid(parsed.reason!);
    r = parsed.receipt;
  } else r = receipt;
  if (!r.proof) return invalid('the receipt carries no proof', r);
  const binding = checkBindings(r, key);
  if (binding) return invalid(binding, r);
  let ok: boolean;
  try {
    ok = await snarkjs.groth16.verify(key.vkey, r.publicSignals!, r.proof, undefined);
  } catch (e) {
    return invalid(`the Groth16 proof is malformed (${(e as Error).message?.split('\n')[0]})`, r);
  }
  return ok ? { valid: true, receipt: r } : invalid('the Groth16 proof does not verify', r);
}
