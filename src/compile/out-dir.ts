/**
 * The artifacts folder `compile` writes, handled so that nothing of the user's is lost.
 * A compile builds into a staging folder beside the target (same parent, so the same file
 * system) and swaps it in only when it is complete; a failure removes the staging folder and
 * leaves the target as it was. Before any work the target is inspected: a missing or empty
 * folder is fine, this model's artifacts folder may be recompiled (its keys are kept when the
 * circuit is unchanged), anything else is refused unless the caller forces a replacement.
 *
 * The swap is two renames (the old folder aside, the new one in), since Node has no atomic
 * exchange of two folders; a process killed between them leaves the old folder beside the
 * target under a `.<name>.zkinfer-old-<pid>-*` name, and the next compile puts it back.
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { CompileError, EXIT } from '../shared/errors.js';
import type { Manifest } from '../shared/manifest.js';
import { openArtifacts } from '../shared/artifacts.js';

/** What an output folder holds before a compile. */
export type OutDirState =
  | { kind: 'missing' }
  | { kind: 'empty' }
  /** An artifacts folder: its manifest, and the entries compile did not write. */
  | { kind: 'artifacts'; manifest: Manifest; foreign: string[] }
  /** A non-empty folder without a valid manifest. */
  | { kind: 'other' };

/** Names compile writes besides those the manifest lists (circom's symbol file, setup scratch). */
const EXTRA_ARTIFACTS = ['manifest.json', 'circuit.sym'];

/**
 * Inspects a compile target.
 * @throws {CompileError} when the path exists and is not a folder, or cannot be read
 */
export function inspectOutDir(dir: string): OutDirState {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw new CompileError(`${dir}: cannot read the output folder (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  if (!isDir) throw new CompileError(`${dir}: exists and is not a folder; choose another --out`, { exitCode: EXIT.usage });
  const entries = readdirSync(dir);
  if (entries.length === 0) return { kind: 'empty' };
  let manifest: Manifest;
  try {
    manifest = openArtifacts(dir).manifest;
  } catch {
    return { kind: 'other' };
  }
  const known = new Set(EXTRA_ARTIFACTS);
  for (const f of Object.values(manifest.files)) if (f) known.add(f.path.split(/[\\/]/)[0]!);
  const foreign = entries.filter((e) => !known.has(e) && !e.startsWith('.setup-')).sort();
  return { kind: 'artifacts', manifest, foreign };
}

/**
 * Decides whether a compile of the model whose ONNX hash is `onnxSha256` may replace `dir`.
 * @returns the manifest of this model's earlier compile there, if any (for key reuse)
 * @throws {CompileError} naming the folder and what stands in the way, unless `force`
 */
export function checkOutDir(dir: string, state: OutDirState, onnxSha256: string, force: boolean): Manifest | undefined {
  if (state.kind === 'missing' || state.kind === 'empty') return undefined;
  if (state.kind === 'other') {
    if (force) return undefined;
    throw new CompileError(`${dir}: not empty and not a zkinfer artifacts folder; choose another --out, or pass --force to replace the folder`, { exitCode: EXIT.usage });
  }
  const onnx = state.manifest.files.onnx;
  // A model with private weights publishes no ONNX hash: which model it holds cannot be told, so replacing it needs --force.
  const same = onnx !== null && onnx.sha256 === onnxSha256;
  if (!same && !force) {
    const what = onnx ? `another model (${state.manifest.name}, ONNX sha256 ${onnx.sha256.slice(0, 12)}…)` : `a model with private weights (${state.manifest.name})`;
    throw new CompileError(`${dir}: holds the artifacts of ${what}; choose another --out, or pass --force to replace them`, { exitCode: EXIT.usage });
  }
  if (state.foreign.length > 0 && !force) {
    const shown = state.foreign.length > 3 ? `${state.foreign.slice(0, 3).join(', ')}, … (${state.foreign.length})` : state.foreign.join(', ');
    throw new CompileError(`${dir}: holds files compile did not write (${shown}); move them, choose another --out, or pass --force to replace the folder`, { exitCode: EXIT.usage });
  }
  return same ? state.manifest : undefined;
}

/** A staging folder beside the target; {@link commit} swaps it in, {@link discard} removes it. */
export interface Staging {
  /** The folder to build in. */
  readonly dir: string;
  /**
   * Moves the staging folder to the target. With `replace`, an existing target is moved
   * aside first and removed only once the new folder is in place; without it, the target
   * must be missing or empty.
   * @throws {CompileError} when the move fails (the target is left as it was)
   */
  commit(replace: boolean): void;
  /** Removes the staging folder and any parent folders this compile created. */
  discard(): void;
}

/**
 * Creates a staging folder beside `target` (recovering a folder a killed compile left aside,
 * and removing staging folders of dead compiles first).
 * @throws {CompileError} when the parent folder cannot be created or written
 */
export function createStaging(target: string): Staging {
  const dir = resolve(target);
  const parent = dirname(dir);
  const base = basename(dir);
  let createdParent: string | undefined;
  try {
    createdParent = mkdirSync(parent, { recursive: true });
  } catch (cause) {
    throw new CompileError(`${parent}: cannot create the folder for ${base} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  cleanLeftovers(parent, base, dir);
  let staging: string;
  try {
    staging = mkdtempSync(join(parent, `.${base}.zkinfer-${process.pid}-`));
  } catch (cause) {
    throw new CompileError(`${parent}: cannot create a staging folder for ${base} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  const removeCreatedParents = () => {
    if (!createdParent) return;
    // from the deepest folder made up to the first one, while each is empty
    for (let d = parent; d.length >= createdParent.length && (d === createdParent || d.startsWith(createdParent + sep)); d = dirname(d)) {
      try {
        rmdirSync(d);
      } catch {
        return;
      }
    }
  };
  return {
    dir: staging,
    commit(replace) {
      let aside: string | undefined;
      try {
        if (replace && statSync(dir, { throwIfNoEntry: false })) {
          aside = mkdtempSync(join(parent, `.${base}.zkinfer-old-${process.pid}-`));
          renameSync(dir, join(aside, 'old'));
        }
        try {
          renameSync(staging, dir);
        } catch (e) {
          if (aside) renameSync(join(aside, 'old'), dir); // put the old folder back
          throw e;
        }
      } catch (cause) {
        if (aside) rmSync(aside, { recursive: true, force: true });
        throw new CompileError(`${dir}: cannot move the compiled artifacts into place (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
      }
      if (aside) rmSync(aside, { recursive: true, force: true });
    },
    discard() {
      rmSync(staging, { recursive: true, force: true });
      removeCreatedParents();
    },
  };
}

/**
 * Folders a killed compile left beside `dir`: an old folder moved aside before the new one
 * arrived is put back when `dir` is missing (else removed); staging folders are removed.
 * Only leftovers of dead processes are touched.
 */
function cleanLeftovers(parent: string, base: string, dir: string): void {
  const prefix = `.${base}.zkinfer-`;
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(old-)?(\d+)-[^-]+$/.exec(name.slice(prefix.length));
    if (!m || isAlive(Number(m[2]))) continue;
    const path = join(parent, name);
    if (m[1] && !statSync(dir, { throwIfNoEntry: false })) {
      try {
        renameSync(join(path, 'old'), dir);
      } catch {
        /* nothing to put back */
      }
    }
    rmSync(path, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A path inside `dir`, relative to it, with forward slashes. */
export function relativeTo(dir: string, path: string): string {
  return relative(dir, path).split(sep).join('/');
}
