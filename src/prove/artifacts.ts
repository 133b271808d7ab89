/**
 * Loading an artifacts folder for proving: the manifest, the quantized model (the
 * reference executor's specification) and the paths of the witness wasm and zkey, each
 * checked against the manifest's hashes so a swapped file is caught before proving.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ProveError } from '../shared/errors.js';
import { sha256File } from '../shared/hash.js';
import { readManifest, type Manifest } from '../build/manifest.js';
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
