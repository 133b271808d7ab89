/**
 * Hash checks of an opened artifacts folder's files against its manifest, so that a swapped
 * file is caught before it is used (a zkey before proving, model.onnx before the TEE path
 * runs it). Node-only (node:crypto): the browser verifier never reads artifact files.
 */
import { readFileSync } from 'node:fs';
import { ZkinferError } from './errors.js';
import { sha256Hex } from './hash.js';
import { artifactEntry, type ArtifactErrorClass, type ArtifactName, type ArtifactsFolder } from './artifacts.js';

/**
 * Reads a file the manifest names and checks its SHA-256 against the manifest.
 * @returns the file's bytes
 * @throws the given error class: "<path>: missing artifact (<name>)" or
 *   "<path>: <name> does not match the manifest (sha256 <12 hex>…, expected <12 hex>…)"
 */
export function readCheckedArtifact(folder: ArtifactsFolder, name: ArtifactName, ErrorClass: ArtifactErrorClass = ZkinferError): Buffer {
  const entry = artifactEntry(folder, name);
  if (!entry) throw new ErrorClass(`${folder.dir}: the manifest names no ${name} file`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(entry.path);
  } catch (cause) {
    throw new ErrorClass(`${entry.path}: missing artifact (${name})`, { cause });
  }
  const actual = sha256Hex(bytes);
  if (actual !== entry.sha256) throw new ErrorClass(`${entry.path}: ${name} does not match the manifest (sha256 ${actual.slice(0, 12)}…, expected ${entry.sha256.slice(0, 12)}…)`);
  return bytes;
}
