/**
 * Writes an export folder without losing anything of the user's: the files are written to a
 * staging folder beside the target (src/compile/out-dir.ts, the same mechanism compile uses)
 * and moved into place only when all of them are written. A folder that exists and is not
 * empty is refused unless the caller forces its replacement; a file in the way is refused.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createStaging } from '../compile/out-dir.js';
import { EXIT, ExportError } from '../shared/errors.js';

/**
 * Writes `files` (relative path → contents) as the folder `dir`.
 * @param force replace an existing non-empty folder (it is removed only once the new one is in place)
 * @throws {ExportError} when `dir` is a file, or a non-empty folder without `force` (exit code 2), or cannot be written
 */
export function writeExportFolder(dir: string, files: ReadonlyMap<string, string | Uint8Array>, force = false): void {
  let existing: 'missing' | 'empty' | 'full';
  try {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st) existing = 'missing';
    else if (!st.isDirectory()) throw new ExportError(`${dir}: exists and is not a folder; choose another --out`, { exitCode: EXIT.usage });
    else existing = readdirSync(dir).length === 0 ? 'empty' : 'full';
  } catch (cause) {
    if (cause instanceof ExportError) throw cause;
    throw new ExportError(`${dir}: cannot read the output folder (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause, exitCode: EXIT.usage });
  }
  if (existing === 'full' && !force) throw new ExportError(`${dir}: exists and is not empty; choose another --out, or pass --force to replace it`, { exitCode: EXIT.usage });
  const staging = createStaging(dir);
  try {
    for (const [name, content] of files) {
      const path = join(staging.dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    staging.commit(existing !== 'missing');
  } catch (cause) {
    staging.discard();
    if (cause instanceof ExportError) throw cause;
    throw new ExportError(`${dir}: cannot write the export (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, { cause, exitCode: EXIT.usage });
  }
}
