/**
 * Proving one inference: quantize the input, run the reference executor (which refuses
 * inputs the circuit could not prove, before any expensive work), fix the receipt's nonce
 * and time and derive its context signal from them, compute the witness and the Groth16
 * proof with a warm {@link Prover} (one per loaded artifacts), check that the proven
 * outputs equal the reference, and assemble the receipt.
 */
import { randomBytes } from 'node:crypto';
import { ProveError } from '../shared/errors.js';
import { decodeSigned } from '../shared/field.js';
import { assertNonce, isReceiptTime, receiptTimeNow } from '../shared/nonce.js';
import { InvalidArgumentError } from '../shared/errors.js';
import { receiptContext } from '../shared/context.js';
import { inputCommitment, receiptDigest, RECEIPT_FORMAT, type Receipt } from '../shared/receipt.js';
import { quantizeInput, runReference } from '../reference/execute.js';
import { finalOutput } from '../quant/error.js';
import { dequantize } from '../reference/execute.js';
import type { Artifacts } from './artifacts.js';
import { Prover } from './prover.js';

const provers = new WeakMap<Artifacts, Prover>();

/** Options for {@link proveInference}. */
export interface ProveOptions {
  /** Hex nonce bound into the proof's context and the digest; random 16 bytes by default. */
  nonce?: string;
  /** The receipt's time (ISO with milliseconds), bound into the context; now by default. */
  createdAt?: string;
}

/** Where the time of one proof went, in ms. */
export interface ProveTimings {
  witnessMs: number;
  proveMs: number;
}

/**
 * Builds the unsigned, unproven receipt body for an input and its output integers.
 * @param nonce a nonce (see assertNonce in src/shared/nonce.ts)
 * @param createdAt the receipt's time; now by default
 */
export function buildReceipt(artifacts: Pick<Artifacts, 'manifest' | 'model'>, inputRaw: number[], outputRaw: number[], nonce: string, createdAt: string = receiptTimeNow()): Receipt {
  const { manifest, model } = artifacts;
  const input = { visibility: 'public' as const, shape: [...model.input.shape], scale: model.input.scale, raw: inputRaw, commitment: '' };
  input.commitment = inputCommitment(input);
  const output = {
    shape: [...model.output.shape],
    scale: model.output.scale,
    raw: outputRaw,
    values: dequantize(outputRaw, model.output.scale),
    semantics: manifest.io.output.semantics,
    ...(model.output.transform ? { probabilities: finalOutput(model, outputRaw) } : {}),
  };
  const body = { format: RECEIPT_FORMAT, modelId: manifest.modelId, keyId: manifest.keyId, input, output, nonce, createdAt } as const;
  return { ...body, digest: receiptDigest(body) };
}

function checkOptions(options: ProveOptions): { nonce: string; createdAt: string } {
  const nonce = options.nonce ?? randomBytes(16).toString('hex');
  assertNonce(nonce);
  const createdAt = options.createdAt ?? receiptTimeNow();
  if (!isReceiptTime(createdAt)) throw new InvalidArgumentError(`expected createdAt to be an ISO 8601 UTC time with milliseconds, got ${JSON.stringify(createdAt)}`);
  return { nonce, createdAt };
}

/**
 * Proves one inference and reports where the time went.
 * @param input the float input, flattened row-major in the model input's shape
 * @returns the receipt carrying the proof, and the witness and proving times
 * @throws {InvalidArgumentError} for a malformed nonce or time
 * @throws {InputError} for inputs outside the compiled range
 * @throws {ProveError} when witness generation or proving fails
 */
export async function proveInferenceTimed(artifacts: Artifacts, input: ArrayLike<number>, options: ProveOptions = {}): Promise<{ receipt: Receipt; timings: ProveTimings }> {
  const { nonce, createdAt } = checkOptions(options);
  const { model, manifest } = artifacts;
  const inputRaw = quantizeInput(model, input);
  const expected = runReference(model, inputRaw);
  let prover = provers.get(artifacts);
  if (!prover) {
    prover = new Prover(artifacts);
    provers.set(artifacts, prover);
  }
  const context = receiptContext({ modelId: manifest.modelId, createdAt, nonce });
  const result = await prover.prove(inputRaw, context);
  const outputs = expected.length;
  const proven = result.publicSignals.slice(0, outputs).map((s) => Number(decodeSigned(BigInt(s))));
  proven.forEach((v, i) => {
    if (v !== expected[i]) throw new ProveError(`the circuit's output ${i} (${v}) differs from the reference executor (${expected[i]}); this is a compiler bug`);
  });
  if (result.publicSignals[result.publicSignals.length - 1] !== context.toString()) throw new ProveError('the proof does not carry the receipt context as its last public signal; recompile the artifacts');
  const receipt = buildReceipt(artifacts, inputRaw, proven, nonce, createdAt);
  const proof = { protocol: 'groth16', curve: 'bn128', pi_a: result.proof.pi_a, pi_b: result.proof.pi_b, pi_c: result.proof.pi_c } as Receipt['proof'];
  return { receipt: { ...receipt, proof, publicSignals: result.publicSignals }, timings: { witnessMs: result.witnessMs, proveMs: result.proveMs } };
}

/**
 * Proves one inference.
 * @param input the float input, flattened row-major in the model input's shape
 * @returns a receipt carrying the proof
 * @throws {InvalidArgumentError} for a malformed nonce or time
 * @throws {InputError} for inputs outside the compiled range
 * @throws {ProveError} when witness generation or proving fails
 */
export async function proveInference(artifacts: Artifacts, input: ArrayLike<number>, options: ProveOptions = {}): Promise<Receipt> {
  return (await proveInferenceTimed(artifacts, input, options)).receipt;
}
