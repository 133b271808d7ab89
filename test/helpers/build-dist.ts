/**
 * Vitest global setup: brings dist/ up to date before any test runs, since the command-line
 * tests spawn bin/zkinfer.js, which runs the compiled JavaScript (the package as users get
 * it), while the other tests import the TypeScript sources. `tsc -b` rebuilds only when a
 * source changed (about half a second otherwise).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `tsc -b tsconfig.build.json` in the repository; a compile error fails the run with tsc's output. */
export default function buildDist(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`building dist/ failed (tsc -b tsconfig.build.json):\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: error });
  }
}
