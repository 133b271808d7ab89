// Preparation shared by the loader shims of zkinfer's worker threads (the prover pool's
// src/prove/prove-worker.mjs and verifyMany's src/verify/verify-worker.mjs). Plain ESM:
// piscina imports a worker by file name with plain Node, which cannot load TypeScript.
import { createRequire } from 'node:module';
import threads from 'node:worker_threads';
import { register } from 'tsx/esm/api';

/**
 * Makes this worker thread able to run snarkjs with threads of its own and to import
 * TypeScript. snarkjs (through ffjavascript) starts its MSM threads with the `web-worker`
 * package, which decides once, when loaded, which side it is on from `isMainThread`:
 * inside a pool worker it would take the worker side — hijack this thread's globals, log
 * an error and export nothing, so no multi-threaded curve could be built. So it is loaded
 * here as the main side. And a worker thread does not inherit loader hooks registered at
 * run time (bin/zkinfer.js), so tsx is registered again.
 */
export function prepareWorkerThread() {
  threads.isMainThread = true;
  try {
    createRequire(import.meta.url)('web-worker');
  } finally {
    threads.isMainThread = false;
  }
  register();
}
