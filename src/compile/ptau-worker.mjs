// Loader shim for the fixed-base workers of the local powers of tau (see ptau-pool.ts and ../shared/worker-thread.mjs).
import { prepareWorkerThread } from '../shared/worker-thread.mjs';

prepareWorkerThread();
await import('./ptau-worker.ts');
