// Loader shim for verifyMany's worker threads; see src/prove/prove-worker.mjs for why it
// loads `web-worker` as the main side and registers tsx before importing TypeScript.
import { createRequire } from 'node:module';
import threads from 'node:worker_threads';
import { register } from 'tsx/esm/api';

threads.isMainThread = true;
try {
  createRequire(import.meta.url)('web-worker');
} finally {
  threads.isMainThread = false;
}

register();
const worker = await import('./verify-worker.ts');
export default worker.default;
