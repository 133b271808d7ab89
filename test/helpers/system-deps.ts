/**
 * Tests that need something from outside npm — a Debian package's data (Fashion-MNIST, the
 * ONNX backend test data) or a system command (python3, a C compiler) — declare it here.
 * In a plain `npm ci && npm test` on a machine without it, such tests are skipped, and each
 * skip prints one line naming what is missing and how to install it. `.ci/run` installs every
 * one of them and sets ZKINFER_REQUIRE_SYSTEM_DEPS=1: then nothing is skipped, and a missing
 * dependency makes its tests fail instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Set by .ci/run: every system dependency must be present, no test may be skipped for lack of one. */
export const SYSTEM_DEPS_REQUIRED = process.env.ZKINFER_REQUIRE_SYSTEM_DEPS === '1';

/** Something a test needs from outside npm, and whether this machine has it. */
export interface SystemDep {
  /** e.g. `Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)`. */
  what: string;
  /** e.g. `apt-get install dataset-fashion-mnist`. */
  install: string;
  available: boolean;
}

/**
 * Data a Debian package installs at `path` (a file or a folder).
 * @param path where the data is looked for (tests may point it elsewhere through an env variable)
 */
export function debianData(pkg: string, path: string): SystemDep {
  return { what: `Debian package ${pkg} (${path})`, install: `apt-get install ${pkg}`, available: existsSync(path) };
}

/** A command on the PATH that answers `args` with exit status 0. */
export function systemCommand(command: string, pkg: string, args: readonly string[] = ['--version']): SystemDep {
  let available = false;
  try {
    available = spawnSync(command, args, { stdio: 'ignore' }).status === 0;
  } catch {
    available = false;
  }
  return { what: `the command ${command}`, install: `apt-get install ${pkg}`, available };
}

/** The line printed for a skipped dependency. */
export function skipNote(dep: SystemDep): string {
  return `skipped: ${dep.what} is not installed; install it with: ${dep.install} (CI installs it)`;
}

/**
 * Whether tests needing `dep` are skipped: only when it is missing and not required. A skip
 * prints one line on stderr naming the dependency (the test title can carry {@link skipNote} too).
 */
export function skipWithout(dep: SystemDep, required = SYSTEM_DEPS_REQUIRED): boolean {
  if (dep.available || required) return false;
  console.warn(skipNote(dep));
  return true;
}

/** A suite title, with the skip note appended when the suite is skipped. */
export function titled(title: string, dep: SystemDep, skipped: boolean): string {
  return skipped ? `${title} (${skipNote(dep)})` : title;
}
