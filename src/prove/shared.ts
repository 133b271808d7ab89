/**
 * Proving up to N inferences in one shared proof, for artifacts compiled with
 * `--inferences N` (src/shared/shared-proof.ts describes the format and its security
 * argument). Every input is quantized and run through the reference executor first; the
 * circuit's public inputs `pub[i]` are set to what the reference computes (output values or
 * the off-circuit commitment, input values or commitment, slot i's context), so the witness
 * exists only when the circuit computes exactly that. Slots beyond the inputs are padding: the
 * first input again, with the context 0, listed in the file's `padding` and never given a
 * receipt. Each real input gets its own receipt, pointing at the shared proof's digest and its
 * slot and holding its slot's public signals.
 */
import { InputError, InvalidArgumentError, ProveError } from '../shared/errors.js';
import { encodeSigned } from '../shared/field.js';
import { receiptContext } from '../shared/context.js';
import { assertNonce } from '../shared/nonce.js';
import { commitTensor, packValues, randomSalt } from '../shared/commitment.js';
import { publicSignalCount, publicSignalLayout } from '../shared/layout.js';
import { commitmentRange, OPENING_FORMAT, type Opening } from '../shared/opening.js';
import { inferencesOf, SHARED_PROOF_FORMAT, sharedProofDigest, type SharedProof } from '../shared/shared-proof.js';
import type { Receipt } from '../shared/receipt.js';
import { quantizeInput, runReference } from '../reference/execute.js';
import type { Artifacts } from './artifacts.js';
import { SharedInputError } from './shared-error.js';

export { SharedInputError } from './shared-error.js';
import { buildReceipt, checkOptions, proverFor, type ProveTimings } from './prove.js';

/** One inference of a shared proof. */
export interface SharedInput {
  /** The float input, flattened row-major in the model input's shape. */
  values: ArrayLike<number>;
  /** Hex nonce of this inference's receipt; random 16 bytes by default. */
  nonce?: string;
}

/** What {@link proveShared} returns. */
export interface SharedProveResult {
  /** The shared-proof file's content (write it as `proofs/<digest>.json` beside the receipts). */
  sharedProof: SharedProof;
  /** One receipt (and, for hashed tensors, its opening) per input, in order. */
  proven: { receipt: Receipt; opening?: Opening }[];
  timings: ProveTimings;
}

/**
 * Proves 1 to N inferences in one shared proof.
 * @param inputs the inferences, at most the artifacts' inferences per proof
 * @param options.createdAt the receipts' time (ISO with milliseconds); now by default
 * @returns the shared-proof file and one receipt per input
 * @throws {InvalidArgumentError} for a malformed nonce or time, or too many or no inputs
 * @throws {SharedInputError} for an input outside the compiled range (naming its index)
 * @throws {ProveError} for artifacts compiled for one inference per proof, or when proving fails
 */
export async function proveShared(artifacts: Artifacts, inputs: readonly SharedInput[], options: { createdAt?: string } = {}): Promise<SharedProveResult> {
  const { manifest, model } = artifacts;
  const n = inferencesOf(manifest);
  if (n === undefined || n < 2)
    throw new ProveError(`${artifacts.dir}: compiled for ${n ?? 'a malformed number of'} inference${n === 1 ? '' : 's'} per proof; shared proofs need artifacts compiled with --inferences N (N ≥ 2)`);
  if (!manifest.keyId) throw new ProveError(`${artifacts.dir}: compiled without a setup (no key id)`);
  if (inputs.length < 1 || inputs.length > n) throw new InvalidArgumentError(`expected 1 to ${n} inputs for one shared proof, got ${inputs.length}`);
  const { createdAt } = checkOptions({ createdAt: options.createdAt, nonce: '00' });
  const nonces = inputs.map((x, i) => {
    if (x.nonce === undefined) return checkOptions({ createdAt }).nonce;
    assertNonce(x.nonce, `inputs[${i}].nonce`);
    return x.nonce;
  });
  const { io } = manifest;
  const slots = inputs.map((x, i) => {
    try {
      const inputRaw = quantizeInput(model, x.values);
      return { inputRaw, outputRaw: runReference(model, inputRaw) };
    } catch (e) {
      if (e instanceof InputError) throw new SharedInputError(e.message, i, { cause: e });
      throw e;
    }
  });
  const layout = publicSignalLayout(io);
  const k = publicSignalCount(layout);
  const pub: bigint[][] = [];
  const salts: { input?: bigint; output?: bigint }[] = [];
  const commitments: { input?: bigint; output?: bigint }[] = [];
  const padding: number[] = [];
  for (let slot = 0; slot < n; slot++) {
    const real = slot < inputs.length;
    if (!real) padding.push(slot);
    const { inputRaw, outputRaw } = slots[real ? slot : 0]!;
    const salt: { input?: bigint; output?: bigint } = {};
    const commitment: { input?: bigint; output?: bigint } = {};
    const row: bigint[] = [];
    for (const segment of layout) {
      if (segment.kind === 'values') row.push(...(segment.of === 'input' ? inputRaw : outputRaw).map((v) => encodeSigned(BigInt(v))));
      else if (segment.kind === 'packed') row.push(...packValues(outputRaw, segment));
      else if (segment.kind === 'commitment') {
        const of = segment.of;
        if (of === 'weights') throw new ProveError(`${artifacts.dir}: shared proofs do not hold private weights in this version`);
        salt[of] = randomSalt();
        commitment[of] = await commitTensor(of === 'input' ? inputRaw : outputRaw, commitmentRange(io[of]), salt[of]!);
        row.push(commitment[of]!);
      } else row.push(real ? receiptContext({ modelId: manifest.modelId, createdAt, nonce: nonces[slot]! }) : 0n);
    }
    pub.push(row);
    salts.push(salt);
    commitments.push(commitment);
  }
  const signals: Record<string, unknown> = { pub };
  if (io.input.visibility === 'hashed') {
    signals.in = pub.map((_, slot) => slots[slot < inputs.length ? slot : 0]!.inputRaw.map((v) => encodeSigned(BigInt(v))));
    signals.inSalt = salts.map((s) => s.input!);
  }
  if (io.output.visibility === 'hashed') signals.outSalt = salts.map((s) => s.output!);
  const result = await proverFor(artifacts).proveSignals(signals);
  const expected = pub.flat().map(String);
  if (result.publicSignals.length !== n * k || result.publicSignals.some((s, i) => s !== expected[i])) {
    throw new ProveError(`the shared proof's public signals are not the ${n} × ${k} the manifest's layout gives; recompile the artifacts`);
  }
  const proof = { protocol: 'groth16' as const, curve: 'bn128' as const, pi_a: result.proof.pi_a, pi_b: result.proof.pi_b, pi_c: result.proof.pi_c } as SharedProof['proof'];
  const body = { format: SHARED_PROOF_FORMAT, modelId: manifest.modelId, keyId: manifest.keyId, inferences: n, padding, proof, publicSignals: result.publicSignals } as const;
  const sharedProof: SharedProof = { ...body, digest: sharedProofDigest(body) };
  const proven = inputs.map((_, slot) => {
    const { inputRaw, outputRaw } = slots[slot]!;
    const receipt: Receipt = {
      ...buildReceipt(artifacts, inputRaw, outputRaw, nonces[slot]!, createdAt, commitments[slot]),
      sharedProof: { digest: sharedProof.digest, slot },
      publicSignals: result.publicSignals.slice(slot * k, (slot + 1) * k),
    };
    const salt = salts[slot]!;
    let opening: Opening | undefined;
    if (salt.input !== undefined || salt.output !== undefined) {
      opening = {
        format: OPENING_FORMAT,
        modelId: manifest.modelId,
        receiptDigest: receipt.digest,
        ...(salt.input !== undefined ? { input: { raw: inputRaw, salt: salt.input.toString() } } : {}),
        ...(salt.output !== undefined ? { output: { raw: outputRaw, salt: salt.output.toString() } } : {}),
      };
    }
    return { receipt, ...(opening ? { opening } : {}) };
  });
  return { sharedProof, proven, timings: { witnessMs: result.witnessMs, proveMs: result.proveMs } };
}
