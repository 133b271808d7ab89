/**
 * Proving one inference: quantize the input, run the reference executor (which refuses
 * inputs the circuit could not prove, before any expensive work), fix the receipt's nonce
 * and time and derive its context signal from them, compute the witness and the Groth16
 * proof with a warm {@link Prover} (one per loaded artifacts), check that the proven
 * outputs equal the reference, and assemble the receipt.
 */
import { randomBytes } from 'node:crypto';
import { ProveError } from '../shared/errors.js';
import { decodeSigned, encodeSigned } from '../shared/field.js';
import { segmentSignal } from '../quant/weights.js';
import { assertNonce, isReceiptTime, receiptTimeNow } from '../shared/nonce.js';
import { InvalidArgumentError } from '../shared/errors.js';
import { receiptContext } from '../shared/context.js';
import { assembleReceipt, publicInput, type Receipt } from '../shared/receipt.js';
import { quantizeInput, runReference } from '../reference/execute.js';
import { assertFieldElement, commitTensor, randomSalt } from '../shared/commitment.js';
import { publicSignalCount, publicSignalLayout, unpackOutputs } from '../shared/layout.js';
import { commitmentRange, OPENING_FORMAT, type Opening } from '../shared/opening.js';
import { finalOutput } from '../reference/error.js';
import { inferencesOf } from '../shared/shared-proof.js';
import { dequantize } from '../reference/execute.js';
import type { Artifacts } from './artifacts.js';
import { Prover } from './prover.js';

const provers = new WeakMap<Artifacts, Prover>();

/**
 * The warm prover of loaded artifacts (one per {@link Artifacts} object).
 * @param options.witnessModule the witness program compiled already, for the prover made by the first call
 */
export function proverFor(artifacts: Artifacts, options: { witnessModule?: WebAssembly.Module } = {}): Prover {
  let prover = provers.get(artifacts);
  if (!prover) {
    prover = new Prover(artifacts, options.witnessModule ? { witnessModule: options.witnessModule } : {});
    provers.set(artifacts, prover);
  }
  return prover;
}

/** Options for {@link proveInference}. */
export interface ProveOptions {
  /** Hex nonce bound into the proof's context and the digest; random 16 bytes by default. */
  nonce?: string;
  /** The receipt's time (ISO with milliseconds), bound into the context; now by default. */
  createdAt?: string;
  /**
   * Salts of the hashed tensors' commitments (field elements); each defaults to a fresh
   * {@link randomSalt}. Give one only to reproduce a commitment, e.g. to chain a model's
   * hashed output into the next model's hashed input; never reuse a salt for other values.
   */
  salts?: { input?: bigint; output?: bigint };
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
export function buildReceipt(
  artifacts: Pick<Artifacts, 'manifest' | 'model'>,
  inputRaw: number[],
  outputRaw: number[],
  nonce: string,
  createdAt: string = receiptTimeNow(),
  commitments: { input?: bigint; output?: bigint } = {},
): Receipt {
  const { manifest, model } = artifacts;
  const weights = manifest.io.weights ? { weights: { visibility: 'hashed' as const, commitment: manifest.io.weights.commitment } } : {};
  let input: Receipt['input'];
  if (manifest.io.input.visibility === 'hashed') {
    if (commitments.input === undefined) throw new ProveError("the model's input is hashed: its commitment is required");
    input = { visibility: 'hashed', shape: [...model.input.shape], scale: model.input.scale, commitment: commitments.input.toString() };
  } else {
    input = publicInput(model, inputRaw);
  }
  let output: Receipt['output'];
  if (manifest.io.output.visibility === 'hashed') {
    if (commitments.output === undefined) throw new ProveError("the model's output is hashed: its commitment is required");
    output = { visibility: 'hashed', shape: [...model.output.shape], scale: model.output.scale, semantics: manifest.io.output.semantics, commitment: commitments.output.toString() };
  } else {
    output = {
      shape: [...model.output.shape],
      scale: model.output.scale,
      raw: outputRaw,
      values: dequantize(outputRaw, model.output.scale),
      semantics: manifest.io.output.semantics,
      ...(model.output.transform ? { probabilities: finalOutput(model, outputRaw) } : {}),
    };
  }
  return assembleReceipt(manifest, { input, output, ...weights, nonce, createdAt });
}

/** Checks a nonce and time (each defaulted: a random 16-byte nonce, now). */
export function checkOptions(options: Pick<ProveOptions, 'nonce' | 'createdAt'>): { nonce: string; createdAt: string } {
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
export async function proveInferenceTimed(artifacts: Artifacts, input: ArrayLike<number>, options: ProveOptions = {}): Promise<{ receipt: Receipt; timings: ProveTimings; opening?: Opening }> {
  const { nonce, createdAt } = checkOptions(options);
  for (const [k, v] of Object.entries(options.salts ?? {})) if (v !== undefined) assertFieldElement(v, `salts.${k}`);
  const { model, manifest } = artifacts;
  const inferences = inferencesOf(manifest);
  if (inferences !== 1)
    throw new ProveError(`${artifacts.dir}: compiled for ${inferences ?? 'a malformed number of'} inferences per proof; prove it with shared proofs (proveShared, or zkinfer prove)`);
  if (manifest.io.weights && !artifacts.weights)
    throw new ProveError(`${artifacts.dir}: the model's weights are private: load its owner's weights file first (withPrivateWeights; zkinfer prove --weights <file>)`);
  const inputRaw = quantizeInput(model, input);
  const expected = runReference(model, inputRaw);
  const prover = proverFor(artifacts);
  const context = receiptContext({ modelId: manifest.modelId, createdAt, nonce });
  const { io } = manifest;
  const salts: { input?: bigint; output?: bigint } = {};
  if (io.input.visibility === 'hashed') salts.input = options.salts?.input ?? randomSalt();
  if (io.output.visibility === 'hashed') salts.output = options.salts?.output ?? randomSalt();
  const extra: Record<string, bigint | bigint[]> = {};
  if (salts.input !== undefined) extra.inSalt = salts.input;
  if (salts.output !== undefined) extra.outSalt = salts.output;
  if (io.weights && artifacts.weights) {
    io.weights.segments.forEach((seg, k) => (extra[segmentSignal(seg)] = artifacts.weights!.values[k]!.map((v) => encodeSigned(BigInt(v)))));
    extra.wSalt = artifacts.weights.salt;
    extra.weightsCommitment = BigInt(io.weights.commitment);
  }
  const result = await prover.prove(inputRaw, context, extra);
  const signals = result.publicSignals;
  const layout = publicSignalLayout(io);
  if (signals.length !== publicSignalCount(layout)) throw new ProveError(`the proof has ${signals.length} public signals, the manifest's layout ${publicSignalCount(layout)}; recompile the artifacts`);
  const commitments: { input?: bigint; output?: bigint } = {};
  for (const segment of layout) {
    if ((segment.kind === 'values' && segment.of === 'output') || segment.kind === 'packed') {
      // the proven outputs, one signal per value or read back out of the packed signals
      let proven: bigint[];
      if (segment.kind === 'values') proven = signals.slice(segment.start, segment.start + segment.count).map((s) => decodeSigned(BigInt(s)));
      else {
        const read = unpackOutputs(segment, signals);
        if ('problem' in read) throw new ProveError(`the circuit's packed output: ${read.problem}; this is a compiler bug`);
        proven = read.values;
      }
      proven.forEach((v, i) => {
        if (Number(v) !== expected[i]) throw new ProveError(`the circuit's output ${i} (${v}) differs from the reference executor (${expected[i]}); this is a compiler bug`);
      });
    } else if (segment.kind === 'commitment') {
      const of = segment.of;
      if (of === 'weights') {
        if (signals[segment.start] !== io.weights?.commitment) throw new ProveError("the proof does not carry the manifest's weight commitment; recompile the artifacts");
        continue;
      }
      // the commitment the circuit computed must be the one circomlibjs computes from the reference values
      const values = of === 'input' ? inputRaw : expected;
      const want = await commitTensor(values, commitmentRange(io[of]), salts[of]!);
      if (BigInt(signals[segment.start]!) !== want) throw new ProveError(`the circuit's ${of} commitment differs from the one recomputed off-circuit; this is a compiler bug`);
      commitments[of] = want;
    } else if (segment.kind === 'context' && signals[segment.start] !== context.toString()) {
      throw new ProveError('the proof does not carry the receipt context as its last public signal; recompile the artifacts');
    }
  }
  const receipt = buildReceipt(artifacts, inputRaw, expected, nonce, createdAt, commitments);
  const proof = { protocol: 'groth16', curve: 'bn128', pi_a: result.proof.pi_a, pi_b: result.proof.pi_b, pi_c: result.proof.pi_c } as Receipt['proof'];
  const proven: Receipt = { ...receipt, proof, publicSignals: signals };
  let opening: Opening | undefined;
  if (salts.input !== undefined || salts.output !== undefined) {
    opening = {
      format: OPENING_FORMAT,
      modelId: manifest.modelId,
      receiptDigest: receipt.digest,
      ...(salts.input !== undefined ? { input: { raw: inputRaw, salt: salts.input.toString() } } : {}),
      ...(salts.output !== undefined ? { output: { raw: expected, salt: salts.output.toString() } } : {}),
    };
  }
  return { receipt: proven, timings: { witnessMs: result.witnessMs, proveMs: result.proveMs }, opening };
}

/**
 * Proves one inference and returns, beside the receipt, the opening of its hashed tensors
 * (their integers and salts: the data owner's secret; see src/shared/opening.ts).
 * @returns the receipt and, for a model with a hashed input or output, its opening
 * @throws as {@link proveInference}
 */
export async function proveWithOpening(artifacts: Artifacts, input: ArrayLike<number>, options: ProveOptions = {}): Promise<{ receipt: Receipt; opening?: Opening }> {
  const { receipt, opening } = await proveInferenceTimed(artifacts, input, options);
  return { receipt, opening };
}

/**
 * Proves one inference. For a model with a hashed input or output the opening (values and
 * salts) is not returned: use {@link proveWithOpening} to keep it.
 * @param input the float input, flattened row-major in the model input's shape
 * @returns a receipt carrying the proof
 * @throws {InvalidArgumentError} for a malformed nonce or time
 * @throws {InputError} for inputs outside the compiled range
 * @throws {ProveError} when witness generation or proving fails
 */
export async function proveInference(artifacts: Artifacts, input: ArrayLike<number>, options: ProveOptions = {}): Promise<Receipt> {
  return (await proveInferenceTimed(artifacts, input, options)).receipt;
}
