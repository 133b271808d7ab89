/**
 * File-system helpers shared by stages that write results. Nothing the user already has is
 * replaced by a half-written file: every write goes to a temporary file in the same folder
 * and is renamed into place (or, when the caller must not overwrite, hard-linked into place,
 * which fails if the name exists), and the temporary file never outlives a failed write.
 */
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ZkinferError } from './errors.js';

/** A write that must not overwrite found its target already there. */
export class OutputExistsError extends ZkinferError {
  override name = 'OutputExistsError';
  /** The file that exists. */
  readonly path: string;

  constructor(path: string) {
    super(`${path}: already exists`);
    this.path = path;
  }
}

/** Options for {@link writeFileAtomicSync}. */
export interface AtomicWriteOptions {
  /** Replace an existing file (default true); when false, an existing file is kept and the write refused. */
  overwrite?: boolean;
  /** File mode of the new file (default 0o666 less the umask); 0o600 for secrets. */
  mode?: number;
  /** fsync the file before it is put in place and the folder after, so the write survives a machine crash. */
  durable?: boolean;
}

/**
 * Writes a file atomically: a temporary file in the same folder, then a rename (or, with
 * `overwrite: false`, a hard link, which cannot replace an existing name). On any failure
 * the temporary file is removed and the target is left as it was.
 * @throws {OutputExistsError} with `overwrite: false` when `path` exists
 * @throws the file system's error (with its `code`) for any other failure
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    if (options.durable) {
      const fd = openSync(tmp, 'w', options.mode ?? 0o666);
      try {
        writeFileSync(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } else writeFileSync(tmp, data, options.mode === undefined ? undefined : { mode: options.mode });
    if (options.overwrite ?? true) renameSync(tmp, path);
    else linkNoClobber(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
  if (options.durable) {
    const dirFd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}

function linkNoClobber(tmp: string, path: string): void {
  try {
    linkSync(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OutputExistsError(path);
    // file systems without hard links: check, then rename (not atomic against a racing writer)
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    if (existsSync(path)) throw new OutputExistsError(path);
    renameSync(tmp, path);
  }
}
