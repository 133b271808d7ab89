/**
 * Batch proving from a JSONL file into a folder of receipts, one per line, named by the
 * line's id. Resumable: a receipt already present for the same model and input is kept.
 * Every receipt is written to a temporary file and renamed, so a kill at any moment leaves
 * only whole receipts. A bad line is recorded in `failures.jsonl` and the batch goes on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, ZkinferError } from '../shared/errors.js';
import { readInputLines, type InputFailure } from '../shared/input.js';
import { receiptSchema } from '../shared/receipt.js';
import { quantizeInput } from '../reference/execute.js';
import { writeFileAtomicSync } from '../shared/fs.js';
import type { Artifacts } from './artifacts.js';
import { proveInference } from './prove.js';

/** Progress of a batch. */
export interface BatchProgress {
  done: number;
  total: number;
  skipped: number;
  failed: number;
  id?: string;
}

/** Summary of a batch. */
export interface BatchSummary {
  total: number;
  proved: number;
  skipped: number;
  failed: number;
  failures: InputFailure[];
  seconds: number;
}

/** A file-system-safe receipt name for an id. */
export function receiptFileName(id: string): string {
  return `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

/**
 * Proves every line of a JSONL file into `outDir`.
 * @param signal stops after the proof in flight when aborted
 */
export async function proveBatch(artifacts: Artifacts, inputsPath: string, outDir: string, options: { onProgress?: (p: BatchProgress) => void; signal?: AbortSignal } = {}): Promise<BatchSummary> {
  const t0 = performance.now();
  const { records, failures } = readInputLines(inputsPath, artifacts.model.input.shape);
  const total = records.length + failures.length;
  let proved = 0;
  let skipped = 0;
  const seen = new Set<string>();
  const report = (id?: string) => options.onProgress?.({ done: proved + skipped + failures.length, total, skipped, failed: failures.length, id });
  for (const record of records) {
    if (options.signal?.aborted) break;
    const name = receiptFileName(record.id);
    if (seen.has(name)) {
      failures.push({ line: record.line!, id: record.id, reason: `${inputsPath}:${record.line}: duplicate id "${record.id}"` });
      report(record.id);
      continue;
    }
    seen.add(name);
    const path = join(outDir, name);
    try {
      if (existsSync(path) && isSameReceipt(path, artifacts, quantizeInput(artifacts.model, record.values))) {
        skipped++;
        report(record.id);
        continue;
      }
      const receipt = await proveInference(artifacts, record.values);
      writeFileAtomicSync(path, `${JSON.stringify({ id: record.id, label: record.label, ...receipt }, null, 2)}\n`);
      proved++;
    } catch (e) {
      if (!(e instanceof InputError) && !(e instanceof ZkinferError)) throw e;
      failures.push({ line: record.line!, id: record.id, reason: `${inputsPath}:${record.line}: ${e.message}` });
    }
    report(record.id);
  }
  failures.sort((a, b) => a.line - b.line);
  writeFileAtomicSync(join(outDir, 'failures.jsonl'), failures.map((f) => JSON.stringify(f)).join('\n') + (failures.length ? '\n' : ''));
  return { total, proved, skipped, failed: failures.length, failures, seconds: (performance.now() - t0) / 1000 };
}

/** Whether an existing receipt file is a whole receipt for this model, key and input. */
function isSameReceipt(path: string, artifacts: Artifacts, inputRaw: number[]): boolean {
  try {
    const parsed = receiptSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success || !parsed.data.proof) return false;
    const r = parsed.data;
    return r.modelId === artifacts.manifest.modelId && r.keyId === artifacts.manifest.keyId && r.input.raw.join() === inputRaw.join();
  } catch {
    return false;
  }
}
