// Preparation shared by the loader shims of zkinfer's worker threads when they run from the
// TypeScript sources (src/prove/prove-worker.mjs, src/verify/verify-worker.mjs; the
// compiled package starts dist/…/*-worker.js directly, see worker-thread.ts). Plain ESM:
// piscina imports a worker by file name with plain Node, which cannot load TypeScript, and
// a worker thread does not inherit the loader hooks of the thread that started it.
import { register } from 'tsx/esm/api';

/** Makes this worker thread able to import TypeScript. */
export function prepareWorkerThread() {
  register();
}
