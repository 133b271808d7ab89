// Loader shim for the prover pool's worker threads (see pool.ts). Plain ESM because
// piscina imports a worker by file name with plain Node, which cannot load TypeScript.
import { createRequire } from 'node:module';
import threads from 'node:worker_threads';
import { register } from 'tsx/esm/api';

// snarkjs (through ffjavascript) starts its MSM threads with the `web-worker` package,
// which decides once, when loaded, which side it is on from `isMainThread`: inside a pool
// worker it would take the worker side — hijack this thread's globals, log an error and
// export nothing, so no multi-threaded curve could be built. Load it as the main side.
threads.isMainThread = true;
try {
  createRequire(import.meta.url)('web-worker');
} finally {
  threads.isMainThread = false;
}

// A worker thread does not inherit loader hooks registered at run time (bin/zkinfer.js).
register();
const worker = await import('./prove-worker.ts');
export default worker.default;
