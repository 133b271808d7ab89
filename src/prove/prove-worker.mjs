// Loader shim for the prover pool's worker threads (see pool.ts and ../shared/worker-thread.mjs).
import { prepareWorkerThread } from '../shared/worker-thread.mjs';

prepareWorkerThread();
const worker = await import('./prove-worker.ts');
export default worker.default;
