/**
 * Entry of the local powers of tau's fixed-base workers (./ptau-pool.ts; started directly
 * when compiled, through `ptau-worker.mjs` from the sources): serves the handlers of
 * ./ptau-worker-core.ts.
 */
import { baseHandlers, listen } from './ptau-worker-core.js';

listen(baseHandlers);
