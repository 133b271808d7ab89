/**
 * Verifying a receipt's proof: the Groth16 check, and the binding of every field of the
 * receipt to it. In order: the verification key against the manifest's key id (and against
 * the key ids the caller pins: a key id must reach the verifier through a trusted channel,
 * since whoever holds a key's trapdoor can forge proofs under it); the receipt's model and
 * key; shapes and scales; the input commitment and the digest; `values`, `probabilities`
 * and `semantics` recomputed from the proven integers and the manifest; the expected nonce
 * and the receipt's age, when asked; every public signal canonical (below the field
 * modulus), inside the range the manifest declares and equal to the receipt's integers;
 * the context signal equal to the one recomputed from the model id, time and nonce; the
 * proof's points canonical, on their curves and in their subgroups; and finally the
 * pairing check. A verdict names the first check that failed.
 */
import { InvalidArgumentError, VerifyError } from '../shared/errors.js';
import { decodeSigned, FIELD_MODULUS } from '../shared/field.js';
import { receiptContext } from '../shared/context.js';
import { publicSignalCount, publicSignalLayout, unpackOutputs, type SignalSegment } from '../shared/layout.js';
import { assertNonce } from '../shared/nonce.js';
import { inputCommitment, isHashedOutput, PROBABILITY_TOLERANCE, receiptDigest, receiptSchema, RECEIPT_FORMAT, sealedReceiptSchema, type Receipt, type SealedReceipt } from '../shared/receipt.js';
import { softmax } from '../shared/math.js';
import { computeKeyId, type Manifest } from '../shared/manifest.js';
import { openArtifacts, readArtifactJson, type ArtifactsFolder } from '../shared/artifacts.js';
import { checkProofPoints, G2_SUBGROUP_PROBLEM } from './points.js';
import { g2InSubgroup, verifyGroth16Wasm, type WasmCurve } from './groth16-wasm.js';
import { verifyGroth16Noble } from './groth16-noble.js';
import { inferencesOf, type SharedProof } from '../shared/shared-proof.js';
import { checkSlot, readSharedProofText } from './shared.js';
import { sharedCurve } from '../shared/curve.js';

/** Verification material: the manifest and its verification key. */
export interface VerifierKey {
  manifest: Manifest;
  vkey: Record<string, unknown>;
}

/** What the caller expects of a receipt beyond its proof. */
export interface VerifyOptions {
  /** Key ids the caller trusts (pinned through a trusted channel); when given, the key's id must be one of them. */
  keyIds?: readonly string[];
  /** The nonce the receipt must carry (the caller's challenge). */
  nonce?: string;
  /** Oldest receipt accepted, by its (proven) createdAt, in seconds. */
  maxAgeSeconds?: number;
  /**
   * Which implementation runs the pairing check: `wasm` (default: zkinfer's check on
   * snarkjs's WebAssembly curve, with the key's constant parts prepared once — fastest once
   * the curve is built, ./groth16-wasm.ts), `snarkjs` (snarkjs's own `groth16.verify`) or
   * `noble` (@noble/curves: no curve to build, faster for one receipt in a fresh process).
   */
  engine?: 'wasm' | 'snarkjs' | 'noble';
  /** The time of verification, for maxAgeSeconds; default now. */
  now?: Date;
  /**
   * Weight commitments the caller trusts (decimal field elements, pinned through a trusted
   * channel) for a model with private weights: when given, the manifest's and the receipt's
   * weight commitment must be one of them.
   */
  weightsCommitments?: readonly string[];
}

/** The outcome for one receipt. */
export interface ProofVerdict {
  valid: boolean;
  /** Why it is invalid (one line). */
  reason?: string;
  receipt?: Receipt;
}

/** Clock skew tolerated for receipts dated after the verification time. */
export const FUTURE_SKEW_SECONDS = 60;

const KEY_ID = /^[0-9a-f]{64}$/;

/**
 * Checks verification options at the boundary.
 * @throws {InvalidArgumentError} for a malformed key id, nonce, age or time
 */
export function assertVerifyOptions(options: VerifyOptions): void {
  for (const id of options.keyIds ?? []) if (!KEY_ID.test(id)) throw new InvalidArgumentError(`expected a key id of 64 lowercase hex digits, got ${JSON.stringify(id)}`);
  if (options.nonce !== undefined) assertNonce(options.nonce, 'options.nonce');
  if (options.maxAgeSeconds !== undefined && !(Number.isFinite(options.maxAgeSeconds) && options.maxAgeSeconds > 0))
    throw new InvalidArgumentError(`expected the maximum age to be a positive number of seconds, got ${options.maxAgeSeconds}`);
  if (options.now !== undefined && Number.isNaN(options.now.getTime())) throw new InvalidArgumentError('expected a valid verification time');
  for (const c of options.weightsCommitments ?? []) {
    if (!/^(0|[1-9][0-9]*)$/.test(c) || c.length > 80 || BigInt(c) >= FIELD_MODULUS)
      throw new InvalidArgumentError(`expected a weight commitment as a decimal field element, got ${JSON.stringify(c)}`);
  }
}

/**
 * Loads the manifest and verification key of an artifacts folder and checks that the key
 * is the one the manifest names.
 * @param dir a path, or a folder opened by {@link openArtifacts}
 * @throws {VerifyError} when files are missing or the key does not match
 */
export function loadVerifierKey(dir: string | ArtifactsFolder): VerifierKey {
  const folder = openArtifacts(dir);
  const { manifest } = folder;
  if (!manifest.files.vkey || !manifest.keyId) throw new VerifyError(`${typeof dir === 'string' ? dir : dir.dir}: the artifacts have no verification key (compiled without setup)`);
  return { manifest, vkey: readArtifactJson<Record<string, unknown>>(folder, 'vkey', 'verification key', VerifyError) };
}

/** Why a proof check refuses a sealed receipt. */
export const SEALED_NO_PROOF = 'the receipt is sealed (encrypted TEE path: commitments and an attestation, no proof); evaluate it under a policy (--policy)';

/**
 * Parses a receipt from JSON text; never throws. A sealed receipt (the encrypted TEE path,
 * input visibility `hashed` with an enclave key) is returned as `sealed`, with the reason a
 * proof check refuses it.
 */
export function parseReceipt(text: string): { receipt?: Receipt; reason?: string; sealed?: SealedReceipt } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { reason: `malformed JSON: ${(e as Error).message}` };
  }
  const format = (data as { format?: unknown } | null)?.format;
  if (typeof format === 'string' && format !== RECEIPT_FORMAT && format.startsWith('zkinfer.receipt/')) {
    return { reason: `receipt format ${format} is not supported (this verifier reads ${RECEIPT_FORMAT}); prove the inference again` };
  }
  const sealedLike = (data as { input?: { visibility?: unknown }; enclaveKey?: unknown } | null)?.input?.visibility === 'hashed' && (data as { enclaveKey?: unknown }).enclaveKey !== undefined;
  const parsed = (sealedLike ? sealedReceiptSchema : receiptSchema).safeParse(data);
  if (parsed.success && sealedLike) return { reason: SEALED_NO_PROOF, sealed: parsed.data as SealedReceipt };
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.') || '(root)';
    const keys = (issue as { keys?: string[] }).keys;
    if (issue.code === 'unrecognized_keys' && keys) return { reason: `malformed receipt: "${path}": unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => JSON.stringify(k)).join(', ')}` };
    return { reason: `malformed receipt: "${path}": ${issue.message}` };
  }
  return { receipt: parsed.data as Receipt };
}

/**
 * Key ids by verification-key object: hashing the key's canonical JSON (795 points for the
 * example) cost ~1.6 ms, paid again for every receipt checked against the same key.
 */
const keyIds = new WeakMap<object, string>();
/** The id of a verification key (memoized per key object). */
export function keyIdOf(vkey: Record<string, unknown>): string {
  let id = keyIds.get(vkey);
  if (id === undefined) keyIds.set(vkey, (id = computeKeyId(vkey)));
  return id;
}

const invalid = (reason: string, receipt?: Receipt): ProofVerdict => ({ valid: false, reason, receipt });
const short = (hex: string | null | undefined) => `${(hex ?? '').slice(0, 16)}…`;

/** Checks the key against the manifest and the pinned ids. */
function checkKey(key: VerifierKey, options: VerifyOptions): string | undefined {
  const id = keyIdOf(key.vkey);
  if (id !== key.manifest.keyId) return `the verification key does not match the manifest's key id ${short(key.manifest.keyId)}`;
  if (options.keyIds && options.keyIds.length > 0 && !options.keyIds.includes(id)) return `the verification key ${short(id)} is not a trusted key id (pinned: ${options.keyIds.map(short).join(', ')})`;
  return undefined;
}

/**
 * Checks what the receipt says about the model and its output against the manifest, and
 * its freshness against the caller's expectations — everything that holds for proven and
 * attested receipts alike. The output's values are checked for proven receipts by
 * {@link checkProvenOutput}; an attested receipt's are the TEE's float output, checked
 * against the attestation (src/tee/providers/verify.ts).
 * @returns the reason it fails, or undefined
 */
export function checkReceiptFields(receipt: Receipt, manifest: Manifest, options: VerifyOptions = {}): string | undefined {
  if (receipt.modelId !== manifest.modelId) return `the receipt is for model ${short(receipt.modelId)}, the artifacts are model ${short(manifest.modelId)}`;
  const { input, output } = manifest.io;
  const nIn = input.shape.reduce((a, b) => a * b, 1);
  const nOut = output.shape.reduce((a, b) => a * b, 1);
  if (receipt.input.visibility !== input.visibility) return `the receipt input is ${receipt.input.visibility}, the manifest declares it ${input.visibility}`;
  const outputVisibility = isHashedOutput(receipt.output) ? 'hashed' : 'public';
  if (outputVisibility !== output.visibility) return `the receipt output is ${outputVisibility}, the manifest declares it ${output.visibility}`;
  if (receipt.input.shape.join() !== input.shape.join() || receipt.input.scale !== input.scale || (receipt.input.visibility === 'public' && receipt.input.raw.length !== nIn))
    return 'the receipt input does not have the shape and scale the manifest declares';
  if (receipt.output.shape.join() !== output.shape.join() || receipt.output.scale !== output.scale || (!isHashedOutput(receipt.output) && receipt.output.raw.length !== nOut))
    return 'the receipt output does not have the shape and scale the manifest declares';
  const weights = manifest.io.weights;
  if (!weights && receipt.weights) return 'the receipt carries a weight commitment, the manifest declares public weights';
  if (weights && !receipt.weights) return 'the receipt carries no weight commitment, the manifest declares private weights';
  if (weights && receipt.weights!.commitment !== weights.commitment) return "the receipt's weight commitment differs from the manifest's";
  if (options.weightsCommitments && options.weightsCommitments.length > 0) {
    if (!weights) return 'a weight commitment is pinned, but the model has public weights';
    if (!options.weightsCommitments.includes(weights.commitment))
      return `the weight commitment ${short(weights.commitment)} is not a trusted one (pinned: ${options.weightsCommitments.map(short).join(', ')})`;
  }
  if (receipt.input.visibility === 'public' && inputCommitment(receipt.input) !== receipt.input.commitment) return 'the input commitment does not match the input';
  if (receiptDigest(receipt) !== receipt.digest) return 'the receipt digest does not match its contents';
  const out = receipt.output;
  if (out.semantics !== output.semantics) return `output.semantics is not the manifest's (${JSON.stringify(output.semantics)})`;
  if (isHashedOutput(out)) return checkFreshness(receipt, options);
  if (out.values.length !== nOut) return `output.values has ${out.values.length} entries, expected ${nOut}`;
  if (!output.transform && out.probabilities !== undefined) return 'output.probabilities is present, but the model has no output transform';
  if (output.transform && !out.probabilities) return 'output.probabilities is missing (the model ends in a Softmax)';
  if (out.probabilities && out.probabilities.length !== nOut) return `output.probabilities has ${out.probabilities.length} entries, expected ${nOut}`;
  return checkFreshness(receipt, options);
}

/**
 * Checks a proven receipt's `values` and `probabilities`: recomputed from the proven
 * integers (values exactly, raw · 2^-scale; probabilities as the softmax of the values
 * within {@link PROBABILITY_TOLERANCE}). A hashed output has neither.
 * @returns the reason it fails, or undefined
 */
export function checkProvenOutput(receipt: Receipt, manifest: Manifest): string | undefined {
  const out = receipt.output;
  if (isHashedOutput(out)) return undefined;
  const { scale, transform: t } = manifest.io.output;
  for (let i = 0; i < out.raw.length; i++) {
    if (out.values[i] !== out.raw[i]! / 2 ** scale) return `output value ${i} (${out.values[i]}) is not output.raw[${i}] · 2^-${scale}`;
  }
  if (t && out.probabilities) {
    const expected = softmax(out.values, out.shape, t.axis, t.coerce2d, t.log === true);
    for (let i = 0; i < out.raw.length; i++) {
      if (!(Math.abs(out.probabilities[i]! - expected[i]!) <= PROBABILITY_TOLERANCE))
        return `output probability ${i} (${out.probabilities[i]}) is not the ${t.log ? 'log-softmax' : 'softmax'} of the proven logits (${expected[i]})`;
    }
  }
  return undefined;
}

/** The expected nonce and the age limit. */
function checkFreshness(receipt: Receipt, options: VerifyOptions): string | undefined {
  if (options.nonce !== undefined && receipt.nonce !== options.nonce) return `the receipt nonce ${short(receipt.nonce)} is not the expected nonce ${short(options.nonce)}`;
  if (options.maxAgeSeconds !== undefined) {
    const now = (options.now ?? new Date()).getTime();
    const age = (now - Date.parse(receipt.createdAt)) / 1000;
    if (age > options.maxAgeSeconds) return `the receipt is ${Math.round(age)} s old, older than the maximum age ${options.maxAgeSeconds} s`;
    if (age < -FUTURE_SKEW_SECONDS) return `the receipt is dated ${Math.round(-age)} s after the verification time`;
  }
  return undefined;
}

/**
 * Checks the receipt's bindings (key, model, fields, public signals, context, proof points) without the pairing check.
 * @returns the reason it fails, or undefined when every binding holds
 */
export function checkBindings(receipt: Receipt, key: VerifierKey, options: VerifyOptions = {}, shared?: SharedProof): string | undefined {
  return bindingProblem(receipt, key, options, true, shared);
}

/**
 * {@link checkBindings} with B's membership of G2 checked on snarkjs's WebAssembly curve
 * (./wasm-g2-subgroup.ts, ~0.4 ms) instead of with @noble/curves (~4 ms), for a caller that
 * holds the curve anyway (a folder's batch pairing check).
 * @returns the reason it fails, or undefined when every binding holds
 */
export function checkBindingsOnCurve(curve: WasmCurve, receipt: Receipt, key: VerifierKey, options: VerifyOptions = {}, shared?: SharedProof): string | undefined {
  const problem = bindingProblem(receipt, key, options, false, shared);
  if (problem) return problem;
  // a shared proof's B was checked with its file (./shared.ts)
  return receipt.proof && !receipt.sharedProof && !g2InSubgroup(curve, receipt.proof) ? G2_SUBGROUP_PROBLEM : undefined;
}

/** {@link checkBindings}; with `g2Subgroup` false, B's subgroup membership is left to the caller. */
function bindingProblem(receipt: Receipt, key: VerifierKey, options: VerifyOptions, g2Subgroup: boolean, shared?: SharedProof): string | undefined {
  const { manifest } = key;
  const keyProblem = checkKey(key, options);
  if (keyProblem) return keyProblem;
  if (receipt.modelId !== manifest.modelId) return `the receipt is for model ${short(receipt.modelId)}, the artifacts are model ${short(manifest.modelId)}`;
  if (receipt.keyId !== manifest.keyId) return `the receipt was proven with key ${short(receipt.keyId)}, the artifacts hold key ${short(manifest.keyId)}`;
  const inferences = inferencesOf(manifest);
  if (inferences === undefined) return "the manifest's compileOptions.inferences is not an integer in [2, 256]";
  if (receipt.proof && receipt.sharedProof) return 'the receipt carries a proof and names a shared proof; a receipt has one or the other';
  if (inferences > 1 && receipt.proof) return `the artifacts prove ${inferences} inferences per proof: a receipt must name its shared proof, not carry a proof of its own`;
  if (inferences === 1 && receipt.sharedProof) return 'the receipt names a shared proof, but the artifacts prove one inference per proof';
  const fields = checkReceiptFields(receipt, manifest, options) ?? checkProvenOutput(receipt, manifest);
  if (fields) return fields;
  const signals = receipt.publicSignals;
  if (!signals) return 'the receipt has no public signals';
  const layout = publicSignalLayout(manifest.io);
  const expected = publicSignalCount(layout);
  if (signals.length !== expected) return `expected ${expected} public signals (${describeLayout(layout)}), got ${signals.length}`;
  for (let i = 0; i < signals.length; i++) {
    const s = signals[i]!;
    if (!/^(0|[1-9][0-9]*)$/.test(s) || BigInt(s) >= FIELD_MODULUS) return `public signal ${i} is not a canonical field element`;
  }
  // A shared proof's receipt: its signals must be those of its slot (and the file sound) before they are read as its own.
  if (receipt.sharedProof) {
    const slot = shared ? checkSlot(receipt, shared, manifest) : `the shared proof ${short(receipt.sharedProof.digest)} the receipt names was not given`;
    if (slot) return slot;
  }
  for (const segment of layout) {
    const problem = checkSegment(segment, signals, receipt);
    if (problem) return problem;
  }
  if (receipt.sharedProof) return undefined; // the shared proof's points were checked with its file (./shared.ts)
  return receipt.proof ? checkProofPoints(receipt.proof, { g2Subgroup }) : 'the receipt carries no proof';
}

/** "10 outputs, 784 inputs, the context": what a layout's signals are, for messages. */
export function describeLayout(layout: readonly SignalSegment[]): string {
  return layout
    .map((g) =>
      g.kind === 'values'
        ? `${g.count} ${g.of}s`
        : g.kind === 'packed'
          ? `${g.values} ${g.of}s packed in ${g.count} signal${g.count > 1 ? 's' : ''}`
          : g.kind === 'commitment'
            ? `the ${g.of} commitment`
            : 'the context',
    )
    .join(', ');
}

/** Checks one segment of the public signals against the receipt (the signals are already canonical). */
function checkSegment(segment: SignalSegment, signals: readonly string[], receipt: Receipt): string | undefined {
  switch (segment.kind) {
    case 'values': {
      const tensor = receipt[segment.of];
      if (!('raw' in tensor)) return `the receipt ${segment.of} is hashed, the layout expects its values`;
      const raw = tensor.raw;
      for (let i = 0; i < segment.count; i++) {
        const v = decodeSigned(BigInt(signals[segment.start + i]!));
        if (v < BigInt(segment.min) || v > BigInt(segment.max)) return `public ${segment.of} ${i} = ${v} is outside the declared range [${segment.min}, ${segment.max}]`;
        if (v !== BigInt(raw[i]!)) return `${segment.of} ${i} in the receipt (${raw[i]}) differs from the proven public signal (${v})`;
      }
      return undefined;
    }
    case 'packed': {
      // the values read back out of the packed signals (injective: layout.ts, pack.circom), then as 'values'
      const tensor = receipt.output;
      if (!('raw' in tensor)) return 'the receipt output is hashed, the layout expects its values';
      const read = unpackOutputs(segment, signals);
      if ('problem' in read) return read.problem;
      for (let i = 0; i < segment.values; i++) {
        if (read.values[i] !== BigInt(tensor.raw[i]!)) return `output ${i} in the receipt (${tensor.raw[i]}) differs from the proven public signal (${read.values[i]})`;
      }
      return undefined;
    }
    case 'commitment': {
      if (segment.of === 'weights') {
        return receipt.weights === undefined || BigInt(signals[segment.start]!) !== BigInt(receipt.weights.commitment)
          ? 'the weight commitment in the receipt differs from the proven public signal'
          : undefined;
      }
      const tensor = receipt[segment.of];
      if (!('visibility' in tensor) || tensor.visibility !== 'hashed') return `the receipt ${segment.of} is public, the layout expects its commitment`;
      return BigInt(signals[segment.start]!) !== BigInt(tensor.commitment) ? `the ${segment.of} commitment in the receipt differs from the proven public signal` : undefined;
    }
    case 'context':
      return BigInt(signals[segment.start]!) !== receiptContext(receipt) ? 'the context signal does not match the receipt (model id, createdAt and nonce)' : undefined;
    default:
      segment satisfies never;
      return undefined;
  }
}

/**
 * Verifies a receipt's Groth16 proof and its bindings.
 * @param receipt the receipt (already parsed) or its JSON text
 * @param options pinned key ids, expected nonce, maximum age
 * @param sharedProof for a receipt that names a shared proof: the shared-proof file (parsed, or
 *   its JSON text; null when the file the receipt names is missing)
 * @throws {InvalidArgumentError} for malformed options (never for a bad receipt)
 */
export async function verifyProof(receipt: Receipt | string, key: VerifierKey, options: VerifyOptions = {}, sharedProof?: SharedProof | string | null): Promise<ProofVerdict> {
  assertVerifyOptions(options);
  let r: Receipt;
  if (typeof receipt === 'string') {
    const parsed = parseReceipt(receipt);
    if (!parsed.receipt) return invalid(parsed.reason!);
    r = parsed.receipt;
  } else r = receipt;
  if (!r.proof && !r.sharedProof) return invalid('the receipt carries no proof', r);
  let shared: SharedProof | undefined;
  if (r.sharedProof && sharedProof !== undefined) {
    const read = typeof sharedProof === 'string' || sharedProof === null ? readSharedProofText(sharedProof ?? undefined, r.sharedProof) : { sharedProof };
    if (!read.sharedProof) return invalid(read.reason!, r);
    shared = read.sharedProof;
  }
  const engine = options.engine ?? 'wasm';
  // the wasm engine checks B's subgroup membership itself, in WebAssembly (the BigInt check is most of the bindings' time)
  const binding = bindingProblem(r, key, options, engine !== 'wasm', shared);
  if (binding) return invalid(binding, r);
  const problem = await pairingCheck(key, shared ? shared.publicSignals : r.publicSignals!, shared ? shared.proof : r.proof!, engine);
  return problem ? invalid(shared ? `the shared proof ${short(shared.digest)}: ${problem}` : problem, r) : { valid: true, receipt: r };
}

/**
 * The Groth16 pairing check alone (the points and signals already checked).
 * @returns why it fails (one line), or undefined when the proof verifies
 */
export async function pairingCheck(key: VerifierKey, publicSignals: readonly string[], proof: NonNullable<Receipt['proof']>, engine: VerifyOptions['engine'] = 'wasm'): Promise<string | undefined> {
  let ok: boolean;
  try {
    if (engine === 'noble') ok = verifyGroth16Noble(key.vkey, [...publicSignals], proof);
    else if (engine === 'snarkjs') {
      await sharedCurve(); // one build even when verifications start together
      ok = await (await import('snarkjs')).groth16.verify(key.vkey, [...publicSignals], proof, undefined);
    } else {
      const curve = await sharedCurve<WasmCurve>();
      if (!g2InSubgroup(curve, proof)) return G2_SUBGROUP_PROBLEM;
      ok = await verifyGroth16Wasm(curve, key.vkey, [...publicSignals], proof);
    }
  } catch (e) {
    return `the Groth16 proof is malformed (${(e as Error).message?.split('\n')[0]})`;
  }
  return ok ? undefined : 'the Groth16 proof does not verify';
}
