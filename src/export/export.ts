/**
 * `zkinfer export`: verifiers that run without zkinfer — a Solidity contract (and the
 * registry) for EVM chains, a static page and ES module for browsers — each making the
 * checks `zkinfer verify` makes of a proven receipt. A stage after verify: it reads an
 * artifacts folder (manifest and verification key) and writes a folder.
 */
import { EXIT, ExportError } from '../shared/errors.js';
import { keyIdOf, loadVerifierKey, type VerifierKey } from '../verify/verify.js';
import { browserExportFiles } from './browser/export-browser.js';
import { writeExportFolder } from './out-dir.js';
import { buildSolidityExport, solidityExportFiles } from './solidity/export-solidity.js';

/** What can be exported. */
export const EXPORT_TARGETS = ['solidity', 'browser'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/** Options of {@link exportVerifier}. */
export interface ExportOptions {
  target: ExportTarget;
  /** The folder to write. */
  outDir: string;
  /** Replace a non-empty folder. */
  force?: boolean;
}

/** What was written. */
export interface ExportResult {
  target: ExportTarget;
  outDir: string;
  /** Relative paths, sorted. */
  files: string[];
  modelId: string;
  keyId: string;
}

/**
 * Loads an artifacts folder's manifest and verification key for export, and checks the key
 * is the one the manifest names.
 * @throws {VerifyError|ExportError} when the folder has no key or the key does not match
 */
export function loadExportKey(artifactsDir: string): VerifierKey {
  const key = loadVerifierKey(artifactsDir);
  if (keyIdOf(key.vkey) !== key.manifest.keyId) throw new ExportError(`${artifactsDir}: the verification key does not match the manifest's key id`);
  return key;
}

/**
 * Exports a model's verifier.
 * @throws {ExportError} for a target this version cannot write, a key it cannot export, or an output folder in the way
 */
export async function exportVerifier(artifactsDir: string, options: ExportOptions): Promise<ExportResult> {
  if (!(EXPORT_TARGETS as readonly string[]).includes(options.target)) {
    throw new ExportError(`unknown export target ${JSON.stringify(options.target)}; expected one of ${EXPORT_TARGETS.join(', ')}`, { exitCode: EXIT.usage });
  }
  const key = loadExportKey(artifactsDir);
  const inferences = key.manifest.circuit.inferences;
  if (inferences !== undefined && inferences > 1)
    throw new ExportError(`${artifactsDir}: the ${options.target} verifier checks one inference per proof; this model proves ${inferences} per proof (verify its receipts with \`zkinfer verify\`)`);
  if (key.manifest.io.weights) {
    throw new ExportError(`${artifactsDir}: the ${options.target} verifier checks models with public weights only; this model's weights are private (verify its receipts with \`zkinfer verify\`)`);
  }
  const files = options.target === 'solidity' ? solidityExportFiles(key, buildSolidityExport(key)) : await browserExportFiles(key);
  writeExportFolder(options.outDir, files, options.force ?? false);
  return { target: options.target, outDir: options.outDir, files: [...files.keys()].sort(), modelId: key.manifest.modelId, keyId: key.manifest.keyId! };
}
