/**
 * The TEE fast path (DESIGN.md "TEE path and policy"): run the artifacts' `model.onnx` in
 * onnxruntime-node, write a receipt in the same fixed-point form as proven receipts, and
 * have an attestation provider sign its digest. Optionally a Groth16 proof of the same
 * inference follows and is attached when done.
 *
 * What the TEE receipt states:
 * - input: the quantized integers (`quantizeInput`, as for proofs); onnxruntime runs on
 *   their dequantized values, so the receipt's input is exactly what the model saw.
 * - output.values: onnxruntime's float output of the *proven part* of the model. When the
 *   manifest declares a softmax transform, the circuit proves the logits (the Softmax
 *   input), so the session is built with that tensor added as a graph output: `values`
 *   are onnxruntime's logits and `probabilities` its Softmax output, from one run.
 * - output.raw: round(values · 2^scale); the digest covers these integers.
 * - attestation.output: the same TEE output, kept when a proof is attached, so that the
 *   attestation keeps verifying and the two outputs can be cross-checked.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hexToBytes } from '@noble/hashes/utils.js';
import { ProveError, ZkinferError } from '../shared/errors.js';
import { assertNonce, receiptTimeNow } from '../shared/nonce.js';
import { openArtifacts, type ArtifactsFolder } from '../shared/artifacts.js';
import { readCheckedArtifact } from '../shared/artifacts-check.js';
import { assembleReceipt, isPublicReceipt, publicInput, type Attestation, type PublicReceipt, type Receipt, type TeeOutput } from '../shared/receipt.js';
import type { Manifest } from '../shared/manifest.js';
import { OrtModel } from '../onnx/runtime.js';
import { dequantizeInput, quantizeInput } from '../reference/execute.js';
import type { QModel } from '../quant/model.js';
import { loadArtifacts, type Artifacts } from '../prove/artifacts.js';
import { proveInferenceTimed } from '../prove/prove.js';
import type { AttestationProvider } from './provider.js';

/** An artifacts folder loaded for the TEE path (no zkey needed). */
export interface TeeArtifacts {
  dir: string;
  manifest: Manifest;
  model: QModel;
  onnxPath: string;
}

/** The ONNX bytes each loaded artifacts folder was checked with, until its session is created from them. */
const onnxBytes = new WeakMap<TeeArtifacts, Uint8Array>();

/**
 * Loads an artifacts folder for inference, checking `model.onnx` and `quantized.json`
 * against the manifest's hashes (the model id names that ONNX file).
 * @param folder a path, or a folder opened by {@link openArtifacts}
 * @throws {VerifyError} for a missing or invalid manifest
 * @throws {ZkinferError} when a file is missing or does not match the manifest
 */
export function loadTeeArtifacts(folder: string | ArtifactsFolder): TeeArtifacts {
  const opened = openArtifacts(folder);
  const { dir, manifest } = opened;
  if (!manifest.files.onnx || manifest.io.weights)
    throw new ZkinferError(`${dir}: the model's weights are private (--weights hashed); the TEE path needs the ONNX file and serves public-weight models only`);
  const onnx = readCheckedArtifact(opened, 'onnx');
  const model = JSON.parse(readCheckedArtifact(opened, 'quantized').toString('utf8')) as QModel;
  const artifacts: TeeArtifacts = { dir, manifest, model, onnxPath: join(dir, manifest.files.onnx.path) };
  onnxBytes.set(artifacts, onnx);
  return artifacts;
}

/**
 * The onnxruntime session of loaded artifacts; with a softmax transform it also outputs the
 * logits (the Softmax input the circuit proves).
 */
function createSession(artifacts: TeeArtifacts): Promise<OrtModel> {
  const bytes = onnxBytes.get(artifacts) ?? readFileSync(artifacts.onnxPath);
  onnxBytes.delete(artifacts); // the session holds the model from here on
  return OrtModel.load(bytes, { file: artifacts.onnxPath, exposeLogits: artifacts.manifest.io.output.transform !== undefined });
}

/** Runs the model on the dequantized input integers (a fixed-batch graph included: see OrtModel). */
async function runSession(session: OrtModel, model: QModel, inputRaw: readonly number[]): Promise<TeeOutput> {
  const { input, output } = model;
  const x = dequantizeInput({ input }, inputRaw);
  const result = await session.runOutputs(x, input.shape);
  const final = Array.from(result[session.outputName]!);
  const values = session.logitsName ? Array.from(result[session.logitsName]!) : final;
  const raw = values.map((v) => Math.round(v * 2 ** output.scale));
  return session.logitsName ? { raw, values, probabilities: final } : { raw, values };
}

const sessions = new WeakMap<TeeArtifacts, Promise<OrtModel>>();
const proveArtifacts = new WeakMap<TeeArtifacts, Artifacts>();

function sessionOf(artifacts: TeeArtifacts): Promise<OrtModel> {
  let s = sessions.get(artifacts);
  if (!s) {
    s = createSession(artifacts);
    s.catch(() => sessions.delete(artifacts));
    sessions.set(artifacts, s);
  }
  return s;
}

/** Releases the onnxruntime session of loaded artifacts, if any. */
export async function closeTeeArtifacts(artifacts: TeeArtifacts): Promise<void> {
  const s = sessions.get(artifacts);
  sessions.delete(artifacts);
  if (s) await (await s).close();
}

/**
 * Runs the fast path without attesting: quantized input and the TEE output.
 * @param input the float input, flattened row-major in the model input's shape
 * @throws {InputError} for inputs outside the compiled range
 */
export async function runTee(artifacts: TeeArtifacts, input: ArrayLike<number>): Promise<{ inputRaw: number[]; output: TeeOutput }> {
  const inputRaw = quantizeInput(artifacts.model, input);
  return { inputRaw, output: await runSession(await sessionOf(artifacts), artifacts.model, inputRaw) };
}

/** Options of {@link inferAttested}. */
export interface InferAttestedOptions {
  /** Signs the receipt digest. */
  provider: AttestationProvider;
  /** Also prove the inference with Groth16 (needs artifacts compiled with a setup). */
  prove?: boolean;
  /** Hex nonce (1 to 512 bytes) bound into the digest and the attestation; random 16 bytes by default. */
  nonce?: string;
}

/** What {@link inferAttested} returns. */
export interface AttestedInference {
  /** The attested receipt, available at once. */
  receipt: PublicReceipt;
  /** Time of the onnxruntime run and of the attestation, in ms. */
  timings: { inferMs: number; attestMs: number };
  /** With `prove`: the same receipt with the proof attached, and the proof's timings, when proving is done. */
  proof: Promise<{ receipt: PublicReceipt; timings: { witnessMs: number; proveMs: number } }> | undefined;
}

const ms = (t: number) => Math.round(t * 1000) / 1000;

/**
 * Runs one inference on the fast path and attests its receipt; with `prove`, starts the
 * Groth16 proof once the attested receipt exists (it does not delay it).
 * @param input the float input, flattened row-major in the model input's shape
 * @returns the attested receipt at once and, with `prove`, a promise of the proven one
 *   (already marked handled: an unobserved proving failure does not crash the process)
 * @throws {InputError} for inputs outside the compiled range
 * @throws {ProveError} with `prove`, when the artifacts have no zkey
 * @throws {AttestationError} when the provider cannot attest
 */
export async function inferAttested(artifacts: TeeArtifacts, input: ArrayLike<number>, options: InferAttestedOptions): Promise<AttestedInference> {
  const nonce = options.nonce ?? randomBytes(16).toString('hex');
  assertNonce(nonce, 'nonce');
  let proving: Artifacts | undefined;
  if (options.prove) {
    proving = proveArtifacts.get(artifacts);
    if (!proving) proveArtifacts.set(artifacts, (proving = loadArtifacts(artifacts)));
  }
  const { manifest, model } = artifacts;
  if (manifest.io.input.visibility !== 'public' || manifest.io.output.visibility !== 'public') {
    throw new ZkinferError(
      `${artifacts.dir}: the TEE path serves models with public input and output; this model's input is ${manifest.io.input.visibility} and output ${manifest.io.output.visibility} (prove it with \`zkinfer prove\`)`,
    );
  }
  const t0 = performance.now();
  const { inputRaw, output } = await runTee(artifacts, input);
  const t1 = performance.now();
  const createdAt = receiptTimeNow();
  const body = assembleReceipt(manifest, {
    input: publicInput(model, inputRaw),
    output: { shape: [...model.output.shape], scale: model.output.scale, ...output, semantics: manifest.io.output.semantics },
    nonce,
    createdAt,
  });
  const { digest } = body;
  const { provider } = options;
  const document = await provider.attest({ userData: hexToBytes(digest), nonce: hexToBytes(nonce) });
  const t2 = performance.now();
  const attestation: Attestation = {
    provider: provider.name,
    format: provider.format,
    hardware: provider.hardware,
    document: Buffer.from(document).toString('base64'),
    digest,
    nonce,
    createdAt,
    output,
  };
  const receipt: PublicReceipt = { ...body, attestation };
  let proof: AttestedInference['proof'];
  if (proving) {
    // The proof is made for the attested receipt's nonce and time, so both evidences bind the same context.
    proof = proveInferenceTimed(proving, input, { nonce, createdAt }).then(({ receipt: proven, timings }) => ({ receipt: attachProof(receipt, proven), timings }));
    proof.catch(() => {});
  }
  return { receipt, timings: { inferMs: ms(t1 - t0), attestMs: ms(t2 - t1) }, proof };
}

/**
 * Attaches a proof of the same inference to an attested receipt: the proven output becomes
 * authoritative in `output` (and the digest is the proven receipt's), while the
 * attestation block, with the TEE output it signed, is kept unchanged.
 * @throws {ProveError} when the proof is of another model, input, nonce or time
 */
export function attachProof(attested: Receipt, proven: Receipt): PublicReceipt {
  if (!isPublicReceipt(proven) || !isPublicReceipt(attested)) throw new ProveError('cannot attach the proof: a receipt has a hashed input or output, an attested receipt is public');
  if (proven.modelId !== attested.modelId || proven.input.commitment !== attested.input.commitment || proven.nonce !== attested.nonce || proven.createdAt !== attested.createdAt) {
    throw new ProveError('cannot attach the proof: it is for another model, input, nonce or time than the attested receipt');
  }
  return { ...proven, attestation: attested.attestation };
}
