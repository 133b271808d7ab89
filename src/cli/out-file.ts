/**
 * The one rule for a command's `--out <file>`: a folder is refused, an existing file is kept
 * unless the user passed --force. Checked before any work, so a refusal costs nothing.
 */
import { statSync } from 'node:fs';
import { InvalidArgumentError } from '../shared/errors.js';

/**
 * Refuses an --out that is a folder, or an existing file without --force, before any work.
 * @throws {InvalidArgumentError} one line naming the path
 */
export function checkOutFile(out: string, force: boolean, what = 'the receipt'): void {
  let isDir: boolean;
  try {
    isDir = statSync(out).isDirectory();
  } catch {
    return; // nothing there yet (an unusable path fails at the write, naming it)
  }
  if (isDir) throw new InvalidArgumentError(`${out}: is a folder; --out names ${what} file to write`);
  if (!force) throw new InvalidArgumentError(`${out}: already exists; pass --force to overwrite it`);
}
