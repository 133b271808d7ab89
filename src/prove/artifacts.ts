/**
 * Loading an artifacts folder for proving: the manifest, the quantized model (the
 * reference executor's specification) and the paths of the witness wasm and zkey, each
 * checked against the manifest's hashes so a swapped file is caught before proving.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT, ProveError } from '../shared/errors.js';
import { sha256File } from '../shared/hash.js';
import { readManifest, type Manifest } from '../build/manifest.js';
import type { QModel } from '../quant/model.js';
import { applyWeights, privateWeightsSchema, type PrivateWeights } from '../quant/weights.js';

/** A loaded artifacts folder. */
export interface Artifacts {
  dir: string;
  manifest: Manifest;
  model: QModel;
  wasmPath: string;
  zkeyPath: string;
  vkeyPath: string;
  /**
   * A model with private weights (`--weights hashed`), once its owner's weights file is
   * loaded ({@link withPrivateWeights}): the salt and each committed segment's integers. Until
   * then `model` has empty dense weights and cannot be proven.
   */
  weights?: { salt: bigint; values: number[][]; file: PrivateWeights };
}

/**
 * Reads a private weights file (format zkinfer.weights/1).
 * @throws {ProveError} naming the file and the first invalid field
 */
export function readPrivateWeights(path: string): PrivateWeights {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ProveError(`${path}: ${code ? `cannot read the weights file (${code})` : 'malformed JSON'}`, { cause, ...(code ? { exitCode: EXIT.usage } : {}) });
  }
  const parsed = privateWeightsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProveError(`${path}: malformed weights file at "${issue.path.join('.') || '(root)'}": ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Gives loaded artifacts of a model with private weights their owner's weights: checks that
 * the file is for this model and that its weights and salt commit to the manifest's weight
 * commitment (every value in its segment's range), then fills the model.
 * @param weights a weights file's path, or its parsed content
 * @throws {ProveError} when the artifacts have public weights, or the weights do not match
 */
export async function withPrivateWeights(artifacts: Artifacts, weights: string | PrivateWeights): Promise<Artifacts> {
  const declared = artifacts.manifest.io.weights;
  const where = typeof weights === 'string' ? weights : 'weights';
  if (!declared) throw new ProveError(`${artifacts.dir}: the model's weights are public (compiled without --weights hashed); it takes no weights file`);
  const file = typeof weights === 'string' ? readPrivateWeights(weights) : weights;
  if (file.modelId !== artifacts.manifest.modelId) throw new ProveError(`${where}: the weights are for model ${file.modelId.slice(0, 16)}…, the artifacts are model ${artifacts.manifest.modelId.slice(0, 16)}…`);
  try {
    const { model, salt, values } = await applyWeights(artifacts.model, declared.segments, declared.commitment, file);
    return { ...artifacts, model, weights: { salt, values, file } };
  } catch (cause) {
    throw new ProveError(`${where}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Loads and checks an artifacts folder.
 * @param options.checkHashes re-hash wasm and zkey against the manifest (default true)
 * @throws {ProveError} when a file is missing or does not match the manifest
 */
export function loadArtifacts(folder: string, options: { checkHashes?: boolean } = {}): Artifacts {
  const dir = resolve(folder);
  let manifest: Manifest;
  try {
    manifest = readManifest(dir);
  } catch (cause) {
    throw new ProveError((cause as Error).message, { cause });
  }
  if (!manifest.files.zkey || !manifest.files.vkey) throw new ProveError(`${dir}: compiled without a setup (no zkey); run compile again without --skip-setup`);
  const files = { quantized: manifest.files.quantized, wasm: manifest.files.wasm, zkey: manifest.files.zkey, vkey: manifest.files.vkey };
  const checkHashes = options.checkHashes ?? true;
  for (const [name, f] of Object.entries(files)) {
    const path = join(dir, f.path);
    if (!checkHashes && name !== 'quantized') continue;
    let actual: string;
    try {
      actual = sha256File(path);
    } catch (cause) {
      throw new ProveError(`${path}: missing artifact (${name})`, { cause });
    }
    if (actual !== f.sha256) throw new ProveError(`${path}: ${name} does not match the manifest (sha256 ${actual.slice(0, 12)}…, expected ${f.sha256.slice(0, 12)}…)`);
  }
  const model = JSON.parse(readFileSync(join(dir, files.quantized.path), 'utf8')) as QModel;
  return { dir, manifest, model, wasmPath: join(dir, files.wasm.path), zkeyPath: join(dir, files.zkey.path), vkeyPath: join(dir, files.vkey.path) };
}
