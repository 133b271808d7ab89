/**
 * Proving one inference: quantize the input, run the reference executor (which refuses
 * inputs the circuit could not prove, before any expensive work), compute the witness and
 * the Groth16 proof with a warm {@link Prover} (one per loaded artifacts), check that the proven outputs equal the reference, and
 * assemble the receipt.
 */
import { randomBytes } from 'node:crypto';
import { ProveError } from '../shared/errors.js';
import { decodeSigned } from '../shared/field.js';
import { inputCommitment, receiptDigest, RECEIPT_FORMAT, type Receipt } from '../shared/receipt.js';
import { quantizeInput, runReference } from '../reference/execute.js';
import { finalOutput } from '../quant/error.js';
import { dequantize } from '../reference/execute.js';
import type { Artifacts } from './artifacts.js';
import { Prover } from './prover.js';

const provers = new WeakMap<Artifacts, Prover>();

/** Options for {@link proveInference}. */
export interface ProveOptions {
  /** Hex nonce bound into the digest; random 16 bytes by default. */
  nonce?: string;
}

/** Builds the unsigned, unproven receipt body for an input and its output integers. */
export function buildReceipt(artifacts: Artifacts, inputRaw: number[], outputRaw: number[], nonce: string): Receipt {
  const { manifest, model } = artifacts;
  const input = { visibility: 'public' as const, shape: [...model.input.shape], scale: model.input.scale, raw: inputRaw, commitment: '' };
  input.commitment = inputCommitment(input);
  const output = {
    shape: [...model.output.shape],
    scale: model.output.scale,
    raw: outputRaw,
    values: dequantize(outputRaw, model.output.scale),
    semantics: manifest.io.output.semantics,
    probabilities: model.output.transform ? finalOutput(model, outputRaw) : undefined,
  };
  const body = { format: RECEIPT_FORMAT, modelId: manifest.modelId, keyId: manifest.keyId, input, output, nonce } as const;
  return { ...body, digest: receiptDigest(body), createdAt: new Date().toISOString() };
}

/**
 * Proves one inference.
 * @param input the float input, flattened row-major in the model input's shape
 * @returns a receipt carrying the proof
 * @throws {InputError} for inputs outside the compiled range
 * @throws {ProveError} when witness generation or proving fails
 */
export async function proveInference(artifacts: Artifacts, input: ArrayLike<number>, options: ProveOptions = {}): Promise<Receipt> {
  const { model } = artifacts;
  const inputRaw = quantizeInput(model, input);
  const expected = runReference(model, inputRaw);
  let prover = provers.get(artifacts);
  if (!prover) {
    prover = new Prover(artifacts);
    provers.set(artifacts, prover);
  }
  const result = await prover.prove(inputRaw);
  const outputs = expected.length;
  const proven = result.publicSignals.slice(0, outputs).map((s) => Number(decodeSigned(BigInt(s))));
  proven.forEach((v, i) => {
    if (v !== expected[i]) throw new ProveError(`the circuit's output ${i} (${v}) differs from the reference executor (${expected[i]}); this is a compiler bug`);
  });
  const receipt = buildReceipt(artifacts, inputRaw, proven, options.nonce ?? randomBytes(16).toString('hex'));
  return { ...receipt, proof: { ...result.proof, protocol: 'groth16', curve: 'bn128' } as Receipt['proof'], publicSignals: result.publicSignals, timings: { witnessMs: Math.round(result.witnessMs), proveMs: Math.round(result.proveMs) } };
}
