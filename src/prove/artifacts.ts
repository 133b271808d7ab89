/**
 * Loading an artifacts folder for proving: the manifest, the quantized model (the
 * reference executor's specification) and the paths of the witness wasm and zkey, each
 * checked against the manifest's hashes so a swapped file is caught before proving.
 */
import { readFileSync } from 'node:fs';
import { EXIT, ProveError } from '../shared/errors.js';
import { artifactEntry, openArtifacts, type ArtifactsFolder } from '../shared/artifacts.js';
import { readCheckedArtifact } from '../shared/artifacts-check.js';
import type { Manifest } from '../shared/manifest.js';
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
  if (file.modelId !== artifacts.manifest.modelId)
    throw new ProveError(`${where}: the weights are for model ${file.modelId.slice(0, 16)}…, the artifacts are model ${artifacts.manifest.modelId.slice(0, 16)}…`);
  try {
    const { model, salt, values } = await applyWeights(artifacts.model, declared.segments, declared.commitment, file);
    return { ...artifacts, model, weights: { salt, values, file } };
  } catch (cause) {
    throw new ProveError(`${where}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Loads and checks an artifacts folder.
 * @param folder a path, or a folder opened by {@link openArtifacts}
 * @param options.checkHashes re-hash wasm and zkey against the manifest (default true)
 * @throws {ProveError} when a file is missing or does not match the manifest
 */
export function loadArtifacts(folder: string | ArtifactsFolder, options: { checkHashes?: boolean } = {}): Artifacts {
  let opened: ArtifactsFolder;
  try {
    opened = openArtifacts(folder);
  } catch (cause) {
    throw new ProveError((cause as Error).message, { cause });
  }
  const { dir, manifest } = opened;
  if (!manifest.files.zkey || !manifest.files.vkey) throw new ProveError(`${dir}: compiled without a setup (no zkey); run compile again without --skip-setup`);
  const model = JSON.parse(readCheckedArtifact(opened, 'quantized', ProveError).toString('utf8')) as QModel;
  if (options.checkHashes ?? true) for (const name of ['wasm', 'zkey', 'vkey'] as const) readCheckedArtifact(opened, name, ProveError);
  const path = (name: 'wasm' | 'zkey' | 'vkey') => artifactEntry(opened, name)!.path;
  return { dir, manifest, model, wasmPath: path('wasm'), zkeyPath: path('zkey'), vkeyPath: path('vkey') };
}
