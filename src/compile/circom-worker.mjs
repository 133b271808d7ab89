// Loader shim for the circom compiler's worker thread (see circom.ts and ../shared/worker-thread.mjs).
import { prepareWorkerThread } from '../shared/worker-thread.mjs';

prepareWorkerThread();
await import('./circom-worker.ts');
