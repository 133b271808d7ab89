// Loader shim for the direct-key workers (see zkey-direct.ts and ../shared/worker-thread.mjs).
import { prepareWorkerThread } from '../shared/worker-thread.mjs';

prepareWorkerThread();
await import('./zkey-direct-worker.ts');
