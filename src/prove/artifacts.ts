/**
 * Loading an artifacts folder for proving: the manifest, the quantized model (the
 * reference executor's specification) and the paths of the witness wasm and zkey, each
 * checked against the manifest's hashes so a swapped file is caught before proving.
 */
import { ProveError } from '../shared/errors.js';
import { artifactEntry, openArtifacts, type ArtifactsFolder } from '../shared/artifacts.js';
import { readCheckedArtifact } from '../shared/artifacts-check.js';
import type { Manifest } from '../shared/manifest.js';
import type { QModel } from '../quant/model.js';

/** A loaded artifacts folder. */
export interface Artifacts {
  dir: string;
  manifest: Manifest;
  model: QModel;
  wasmPath: string;
  zkeyPath: string;
  vkeyPath: string;
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
