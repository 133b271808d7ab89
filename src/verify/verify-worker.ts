/**
 * The worker thread behind {@link verifyMany}'s pool (loaded through `verify-worker.mjs`):
 * it receives the verification key once, builds a single-threaded snarkjs curve (the
 * parallelism is the pool's, one receipt per worker), and verifies receipt files.
 */
import { workerData } from 'piscina';
import { warmCurve } from '../prove/curve-threads.js';
import { verifyReceiptFile, type ReceiptResult } from './many.js';
import type { VerifierKey } from './verify.js';

const key = (workerData as { key: VerifierKey }).key;
const ready = warmCurve(1);
ready.catch(() => undefined); // reported by the first task

/** Verifies the receipt files of one task; never throws for an invalid receipt. */
export default async function verifyTask(paths: string[]): Promise<ReceiptResult[]> {
  await ready;
  const out: ReceiptResult[] = [];
  for (const path of paths) out.push(await verifyReceiptFile(path, key));
  return out;
}
