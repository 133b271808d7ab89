/**
 * Imported first by every worker-thread entry module, for its side effect: `web-worker` is
 * loaded as the main side before snarkjs is (see {@link loadWebWorkerAsHost}).
 */
import { loadWebWorkerAsHost } from './worker-thread.js';

loadWebWorkerAsHost();
