// Loader shim for verifyMany's worker threads (see many.ts and ../shared/worker-thread.mjs).
import { prepareWorkerThread } from '../shared/worker-thread.mjs';

prepareWorkerThread();
const worker = await import('./verify-worker.ts');
export default worker.default;
