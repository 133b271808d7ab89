/**
 * Opening an artifacts folder (DESIGN.md "Artifacts and identity"): the one way every stage
 * that reads a compiled model — prove, the TEE path, verify, serve, export — finds its
 * manifest and the files it names. An opened folder is read once and can be handed to
 * each loader (prover, TEE session, verification key), so a server holding a model reads
 * and validates its manifest once.
 *
 * This module uses only node:fs and node:path (the browser bundle's seam stubs them, see
 * src/export/browser/bundle.ts); the hash checks of the files, which need node:crypto,
 * are in ./artifacts-check.ts.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ZkinferError } from './errors.js';
import { readManifest, type Manifest } from './manifest.js';

/** A file an artifacts manifest names (its `files` keys). */
export type ArtifactName = keyof Manifest['files'];

/** An opened artifacts folder: its absolute path and its validated manifest. */
export interface ArtifactsFolder {
  readonly dir: string;
  readonly manifest: Manifest;
}

/** An error class the loaders throw their failures as (each stage has its own). */
export type ArtifactErrorClass = new (message: string, options?: { cause?: unknown }) => ZkinferError;

/**
 * Opens an artifacts folder: resolves its path and reads and validates `manifest.json`.
 * An already opened folder is returned as it is.
 * @param folder a path, or a folder opened before
 * @throws {VerifyError} naming the file and the first invalid field, for a missing or invalid manifest
 */
export function openArtifacts(folder: string | ArtifactsFolder): ArtifactsFolder {
  if (typeof folder !== 'string') return folder;
  const dir = resolve(folder);
  return { dir, manifest: readManifest(dir) };
}

/**
 * The manifest's entry for a file (its path in the folder and SHA-256), or undefined when the
 * manifest names none (zkey and vkey of artifacts compiled without a setup).
 */
export function artifactEntry(folder: ArtifactsFolder, name: ArtifactName): { path: string; sha256: string } | undefined {
  const f = folder.manifest.files[name];
  return f ? { path: join(folder.dir, f.path), sha256: f.sha256 } : undefined;
}

/**
 * Reads a JSON file the manifest names (without checking its hash).
 * @throws the given error class, "<path>: cannot read <what>", when the file is missing, unreadable or not JSON
 */
export function readArtifactJson<T = unknown>(folder: ArtifactsFolder, name: ArtifactName, what: string, ErrorClass: ArtifactErrorClass = ZkinferError): T {
  const entry = artifactEntry(folder, name);
  if (!entry) throw new ErrorClass(`${folder.dir}: the manifest names no ${name} file`);
  try {
    return JSON.parse(readFileSync(entry.path, 'utf8')) as T;
  } catch (cause) {
    throw new ErrorClass(`${entry.path}: cannot read ${what}`, { cause });
  }
}
