/**
 * The worker thread behind {@link verifyMany}'s pool (started directly when compiled, through `verify-worker.mjs` from the sources):
 * it receives the verification key once, builds a single-threaded snarkjs curve (the
 * parallelism is the pool's, one batch of receipts per task), and verifies receipt files in batches.
 */
import '../shared/web-worker-host.js'; // first: before snarkjs loads (see ../shared/worker-thread.ts)
import { workerData } from 'piscina';
import { warmCurve } from '../prove/curve-threads.js';
import { verifyReceiptFiles, type ReceiptResult } from './many.js';
import type { VerifierKey, VerifyOptions } from './verify.js';

const { key, expect } = workerData as { key: VerifierKey; expect: VerifyOptions };
const ready = warmCurve(1);
ready.catch(() => undefined); // reported by the first task

/** Verifies the receipt files of one task; never throws for an invalid receipt. */
export default async function verifyTask(paths: string[]): Promise<ReceiptResult[]> {
  await ready;
  return verifyReceiptFiles(paths, key, expect);
}
