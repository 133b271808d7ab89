/**
 * Writing the provenance stage's outputs without ever destroying a user's file: a temporary
 * file in the same folder, then a hard link (which fails if the target exists) or, with
 * `force`, a rename. Keys are written with mode 0600 from the first byte.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ProvenanceError } from '../shared/errors.js';

/** Options for {@link writeNewFile}. */
export interface WriteNewFileOptions {
  /** Replace an existing file. */
  force?: boolean;
  /** File mode (default 0o644). */
  mode?: number;
}

/**
 * Writes `data` to `path` atomically; refuses to replace an existing file unless `force`.
 * @throws {ProvenanceError} "… exists; pass --force to replace it", or when writing fails
 */
export function writeNewFile(path: string, data: string | Uint8Array, options: WriteNewFileOptions = {}): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data, { mode: options.mode ?? 0o644, flag: 'wx' });
  } catch (cause) {
    throw new ProvenanceError(`${path}: cannot write (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  try {
    if (options.force) renameSync(tmp, path);
    else {
      try {
        linkSync(tmp, path);
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'EEXIST') throw new ProvenanceError(`${path} exists; pass --force to replace it`, { cause });
        throw new ProvenanceError(`${path}: cannot write (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
      }
      unlinkSync(tmp);
    }
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already renamed or removed */
    }
    throw e;
  }
}

/**
 * Fails early, before long work, when `path` exists and `force` is not set.
 * @throws {ProvenanceError} "… exists; pass --force to replace it"
 */
export function assertWritable(path: string, force: boolean | undefined): void {
  if (!force && existsSync(path)) throw new ProvenanceError(`${path} exists; pass --force to replace it`);
}

/** Pretty JSON with a final newline, as every provenance file is written. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Reads and parses a JSON file.
 * @param what names the file's role in errors ("commitment", "key")
 * @throws {ProvenanceError} "<path>: cannot read <what> (ENOENT)" or "<path>: malformed JSON (…)"
 */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ProvenanceError(`${path}: cannot read ${what} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ProvenanceError(`${path}: malformed JSON (${(cause as Error).message})`, { cause });
  }
}
