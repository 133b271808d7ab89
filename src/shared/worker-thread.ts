/**
 * Worker threads of zkinfer's pools (the prover pool's prove-worker, verifyMany's
 * verify-worker): where their entry file is, and the preparation each needs before snarkjs
 * loads.
 *
 * snarkjs (through ffjavascript) starts its own MSM threads with the `web-worker` package,
 * which decides once, when loaded, which side it is on from `isMainThread`: inside a pool
 * worker it would take the worker side — take over this thread's globals, log an error and
 * export nothing, so no multi-threaded curve could be built. {@link loadWebWorkerAsHost}
 * loads it as the main side; a worker entry imports `./web-worker-host.js` before anything
 * that imports snarkjs, so ES module evaluation order runs it first.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import threads from 'node:worker_threads';

/**
 * Loads the `web-worker` package as if this were the main thread (see the module comment).
 * Does nothing in the main thread or when it is already loaded.
 */
export function loadWebWorkerAsHost(): void {
  const t = threads as { isMainThread: boolean };
  if (t.isMainThread) return;
  t.isMainThread = true;
  try {
    createRequire(import.meta.url)('web-worker');
  } finally {
    t.isMainThread = false;
  }
}

/**
 * The file a worker thread starts from, for a worker module `name` beside `moduleUrl`.
 * Compiled (dist/, `.js`), the worker module itself; run from the TypeScript sources (the
 * tests, tsx), its `.mjs` loader shim, which registers tsx in the new thread first, since
 * worker threads do not inherit the loader hooks of the thread that starts them.
 * @param moduleUrl `import.meta.url` of the module that starts the workers
 * @param name the worker module's name without extension, e.g. `prove-worker`
 */
export function workerEntryFile(moduleUrl: string, name: string): string {
  const fromSources = moduleUrl.endsWith('.ts');
  return fileURLToPath(new URL(`./${name}${fromSources ? '.mjs' : '.js'}`, moduleUrl));
}

/**
 * Node options for a worker thread started from a file: the process's own, without
 * `--input-type` (meaningful only for `-e`/stdin input, and refused by a worker that runs a
 * file, so a process started with `node --input-type=module -e …` can still start workers).
 */
export function workerExecArgv(): string[] {
  const out: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const a = process.execArgv[i]!;
    if (a === '--input-type') i++;
    else if (!a.startsWith('--input-type=')) out.push(a);
  }
  return out;
}
