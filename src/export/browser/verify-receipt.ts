/**
 * Receipt verification for a web page: the library's own checks (src/verify/verify.ts,
 * src/verify/points.ts, src/shared/context.ts and the receipt schema), bundled for the
 * browser by {@link ../browser/bundle.ts}, with a verdict that is `verifyProof`'s — the same
 * function `zkinfer verify` calls — and a list of the individual checks for display.
 *
 * Nothing here reads files: the key (manifest and verification key) is given, embedded in
 * the page or fetched by key id and checked against it.
 */
import { outputValues, isHashedOutput } from '../../shared/receipt.js';
import * as snarkjs from 'snarkjs';
import { manifestSchema, type Manifest } from '../../shared/manifest.js';
import { checkBindings, checkProvenOutput, checkReceiptFields, keyIdOf, parseReceipt, verifyProof, type VerifierKey, type VerifyOptions } from '../../verify/verify.js';
import { checkProofPoints } from '../../verify/points.js';

/** One check, for display. */
export interface CheckRow {
  name: string;
  status: 'passed' | 'failed' | 'not run';
  /** The reason it failed, or why it did not run. */
  detail?: string;
}

/** The outcome of verifying one receipt in the page. */
export interface PageVerdict {
  /** verifyProof's verdict. */
  valid: boolean;
  /** The first failing check, as `zkinfer verify` prints it. */
  reason?: string;
  /** Every check, run one by one for display (the verdict does not depend on them). */
  checks: CheckRow[];
  /** Time to reach the verdict, in ms. */
  ms: number;
  /** What the receipt says, when it could be read. */
  summary?: ReceiptSummary;
}

/** What a receipt says, for display: a hashed tensor is shown by its commitment, never by values (it has none). */
export interface ReceiptSummary {
  modelId: string;
  keyId: string | null;
  nonce: string;
  createdAt: string;
  /** The input's salted Poseidon commitment (decimal), when the input is hashed. */
  inputCommitment?: string;
  /** The output values, when the output is public. */
  output?: number[];
  probabilities?: number[];
  /** The output's salted Poseidon commitment (decimal), when the output is hashed. */
  outputCommitment?: string;
}

/**
 * Reads a key file ({"manifest": …, "vkey": …}) and checks it: the manifest against its
 * schema, and the verification key's id against the manifest's and against `expectedKeyId`
 * (the id you pinned, received through a trusted channel).
 * @throws {Error} naming what does not match
 */
export function keyFromJson(text: string, expectedKeyId?: string): VerifierKey {
  let data: { manifest?: unknown; vkey?: unknown };
  try {
    data = JSON.parse(text) as typeof data;
  } catch (e) {
    throw new Error(`the key file is not JSON: ${(e as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(data.manifest);
  if (!parsed.success) throw new Error(`the key file's manifest is invalid at "${parsed.error.issues[0]!.path.join('.')}"`);
  if (typeof data.vkey !== 'object' || data.vkey === null) throw new Error('the key file has no verification key');
  const key: VerifierKey = { manifest: parsed.data as Manifest, vkey: data.vkey as Record<string, unknown> };
  const id = keyIdOf(key.vkey);
  if (id !== key.manifest.keyId) throw new Error(`the verification key's id ${id} is not the manifest's key id ${key.manifest.keyId}`);
  if (expectedKeyId !== undefined && id !== expectedKeyId) throw new Error(`the verification key's id ${id} is not the expected key id ${expectedKeyId}`);
  return key;
}

/**
 * Fetches `<base>/<keyId>.json` and checks that it holds the key with that id.
 * @throws {Error} when it cannot be fetched or does not match
 */
export async function fetchKey(base: string, keyId: string): Promise<VerifierKey> {
  if (!/^[0-9a-f]{64}$/.test(keyId)) throw new Error(`expected a key id of 64 lowercase hex digits, got ${JSON.stringify(keyId)}`);
  const url = `${base.replace(/\/$/, '')}/${keyId}.json`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${response.url || url}: HTTP ${response.status}`);
  return keyFromJson(await response.text(), keyId);
}

/**
 * Builds the BN254 engine snarkjs verifies with (WebAssembly, and worker threads where the
 * browser has them), so that the first verification does not pay for it.
 */
export async function warmUp(): Promise<void> {
  // snarkjs keeps the engine in globalThis.curve_bn128; groth16.verify then reuses it
  await (snarkjs as unknown as { curves: { getCurveFromName(name: string): Promise<unknown> } }).curves.getCurveFromName('bn128');
}

const CHECKS = [
  'Receipt schema (zkinfer.receipt/2, no unknown field)',
  'Receipt fields (model, shapes, input commitment, digest, semantics, freshness)',
  'Output values and probabilities, from the proven integers',
  'Proof points (canonical, on the curve, B in G2’s subgroup)',
  'Key, public signals (canonical, declared ranges, values and commitments equal to the receipt) and context',
  'Groth16 pairing check',
] as const;

/**
 * Verifies a receipt's JSON text with the library's verifyProof, and runs its checks one by
 * one for display.
 * @param options pinned key ids, expected nonce, maximum age (as `zkinfer verify`)
 */
export async function verifyReceiptText(text: string, key: VerifierKey, options: VerifyOptions = {}): Promise<PageVerdict> {
  const t0 = performance.now();
  const verdict = await verifyProof(text, key, options);
  const ms = performance.now() - t0;
  const checks: CheckRow[] = [];
  const row = (i: number, reason: string | undefined) => checks.push({ name: CHECKS[i]!, status: reason ? 'failed' : 'passed', detail: reason });
  const parsed = parseReceipt(text);
  row(0, parsed.reason);
  const r = parsed.receipt;
  if (!r) {
    for (let i = 1; i < CHECKS.length; i++) checks.push({ name: CHECKS[i]!, status: 'not run', detail: 'the receipt could not be read' });
    return { valid: verdict.valid, reason: verdict.reason, checks, ms };
  }
  const fields = checkReceiptFields(r, key.manifest, options);
  row(1, fields);
  const output = checkProvenOutput(r, key.manifest);
  row(2, output);
  const points = r.proof ? checkProofPoints(r.proof) : 'the receipt carries no proof';
  row(3, points);
  const bindings = checkBindings(r, key, options);
  // checkBindings runs the rows above too: it fails on its own account only with another reason
  row(4, bindings !== undefined && bindings !== fields && bindings !== output && bindings !== points ? bindings : undefined);
  if (bindings !== undefined) checks.push({ name: CHECKS[5], status: 'not run', detail: 'a check above failed' });
  else row(5, verdict.valid ? undefined : verdict.reason);
  const summary: ReceiptSummary = {
    modelId: r.modelId,
    keyId: r.keyId,
    nonce: r.nonce,
    createdAt: r.createdAt,
    ...(r.input.visibility === 'hashed' ? { inputCommitment: r.input.commitment } : {}),
    ...(isHashedOutput(r.output) ? { outputCommitment: r.output.commitment } : { output: outputValues(r.output), probabilities: r.output.probabilities }),
  };
  return { valid: verdict.valid, reason: verdict.reason, checks, ms, summary };
}

export { keyIdOf };
export type { VerifierKey, VerifyOptions };
