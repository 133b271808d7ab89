/**
 * Batch proving: failure isolation, resume, abort through an AbortSignal (library), and
 * the command line killed mid-batch with SIGKILL or stopped with SIGINT, then run again.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { receiptSchema } from '../../src/shared/receipt.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts, type Artifacts } from '../../src/prove/artifacts.js';
import { proveBatch, type BatchProgress } from '../../src/prove/batch.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { keptReceiptCheck } from '../../src/verify/kept.js';
import { listReceiptFiles, verifyMany } from '../../src/verify/many.js';
import { loadVerifierKey, type VerifierKey } from '../../src/verify/verify.js';
import { rng } from '../helpers/onnx-builder.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { readAllReceipts, receiptNames, runCli, tinyLine, tmpNames, waitForReceipts, writeTinyInputs } from './helpers.js';

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let artifacts: Artifacts;
let key: VerifierKey;

beforeAll(async () => {
  tiny = await compileTinyModel();
  artifacts = loadArtifacts(tiny.dir);
  key = loadVerifierKey(tiny.dir);
}, 300_000);
afterAll(() => releaseCurve());

/** All receipts in `dir` are valid, one per expected id, named by it. */
async function expectComplete(dir: string, ids: string[]): Promise<void> {
  expect(tmpNames(dir)).toEqual([]);
  expect(receiptNames(dir)).toEqual(ids.map((id) => `${id}.json`).sort());
  // a receipt holds no unbound field: the line's id is its file name, not a field
  for (const r of readAllReceipts(dir)) expect(receiptSchema.safeParse(r).success).toBe(true);
  const summary = await verifyMany(listReceiptFiles([dir]), key, { concurrency: 1 });
  expect(summary.results.filter((r) => !r.valid)).toEqual([]);
  expect(summary.valid).toBe(ids.length);
}

describe('proveBatch', () => {
  it('records bad lines in failures.jsonl with their reason and proves the rest', async () => {
    const r = rng(3);
    const inputs = join(tiny.work, 'mixed.jsonl');
    const lines = [
      tinyLine(r, 'good-a'),
      '{"id": "broken", "input": [[0.1, 0.2,',
      JSON.stringify({ id: 'short', input: [[0.1, 0.2, 0.3]] }),
      '{"id": "nan", "input": [[0.1, NaN, 0.3, 0.4, 0.5, 0.6]]}',
      JSON.stringify({ id: 'far', input: [[0.1, 0.2, 7, 0.4, 0.5, 0.6]] }),
      tinyLine(r, 'good-a'),
      '',
      tinyLine(r), // no id: named by its line number
      JSON.stringify({ id: 'text', input: [[0.1, 0.2, 'x', 0.4, 0.5, 0.6]] }),
      tinyLine(r, 'good-b'),
    ];
    writeFileSync(inputs, lines.join('\n') + '\n');
    const out = join(tiny.work, 'mixed-out');
    const events: BatchProgress[] = [];
    const summary = await proveBatch(artifacts, inputs, out, { workers: 2, onProgress: (p) => events.push(p) });
    expect(summary).toMatchObject({ total: 9, proved: 3, skipped: 0, failed: 6, aborted: false, workers: 2 });
    const expected = [
      { line: 2, reason: `${inputs}:2: malformed JSON (${jsonError('{"id": "broken", "input": [[0.1, 0.2,')})` },
      { line: 3, reason: `${inputs}:3: "input"[0] has length 3, expected 6 (expected shape [1, 6])` },
      { line: 4, reason: `${inputs}:4: "input"[0][1] is NaN; inputs must be finite numbers` },
      { line: 5, id: 'far', reason: `${inputs}:5: input value 7 at flat index 2 is outside the range the model was compiled for [-2, 1.984375]` },
      { line: 6, id: 'good-a', reason: `${inputs}:6: duplicate id "good-a" (receipt good-a.json)` },
      { line: 9, reason: `${inputs}:9: "input"[0][2] must be a number, got string` },
    ];
    expect(summary.failures).toEqual(expected);
    const written = readFileSync(join(out, 'failures.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(written).toEqual(expected);
    await expectComplete(out, ['good-a', 'good-b', 'line-8']);
    expect(events.at(-1)).toMatchObject({ done: 9, total: 9, proved: 3, failed: 6 });
    // one rate: the progress's last (per second) is the summary's (per minute), receipts over the time to the last one
    expect(events.at(-1)!.rate * 60).toBe(summary.proofsPerMinute);
    expect(summary.proofsPerMinute).toBeGreaterThan((3 / summary.seconds) * 60 - 1e-9);
    expect(events.filter((e) => e.proved === 0).every((e) => e.rate === 0 && e.etaSeconds === undefined)).toBe(true);
    expect(summary.latency.p50Ms).toBeGreaterThan(0);
    expect(summary.latency.p95Ms).toBeGreaterThanOrEqual(summary.latency.p50Ms);
  });

  it('resumes: keeps whole receipts for the same input, re-proves changed or damaged ones', async () => {
    const inputs = writeTinyInputs(tiny.work, 'resume.jsonl', 6, 11);
    const out = join(tiny.work, 'resume-out');
    const first = await proveBatch(artifacts, inputs, out, { workers: 2 });
    expect(first).toMatchObject({ total: 6, proved: 6, skipped: 0, failed: 0 });
    const before = readFileSync(join(out, 'x-1.json'), 'utf8');

    writeFileSync(join(out, 'x-2.json'), readFileSync(join(out, 'x-2.json'), 'utf8').slice(0, 200)); // truncated
    const x3 = JSON.parse(readFileSync(join(out, 'x-3.json'), 'utf8'));
    x3.input.raw[0] += 1; // another input: not this line's receipt
    writeFileSync(join(out, 'x-3.json'), JSON.stringify(x3));
    writeFileSync(join(out, 'x-4.json.999999999.tmp'), '{"half":'); // left by a dead writer

    const second = await proveBatch(artifacts, inputs, out, { workers: 2, checkKept: keptReceiptCheck(key) });
    expect(second).toMatchObject({ total: 6, proved: 2, skipped: 4, failed: 0 });
    expect(readFileSync(join(out, 'x-1.json'), 'utf8')).toBe(before);
    await expectComplete(out, ['x-0', 'x-1', 'x-2', 'x-3', 'x-4', 'x-5']);
  });

  it('stops on an AbortSignal after the proofs in flight, keeping every receipt whole', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `x-${i}`);
    const inputs = writeTinyInputs(tiny.work, 'abort.jsonl', ids.length, 5);
    const out = join(tiny.work, 'abort-out');
    const abort = new AbortController();
    const summary = await proveBatch(artifacts, inputs, out, {
      workers: 2,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.proved >= 3) abort.abort();
      },
    });
    expect(summary.aborted).toBe(true);
    expect(summary.proved).toBeGreaterThanOrEqual(3);
    expect(summary.proved).toBeLessThan(ids.length);
    expect(receiptNames(tiny.work + '/abort-out')).toHaveLength(summary.proved);
    expect(tmpNames(out)).toEqual([]);
    readAllReceipts(out); // all whole

    const rest = await proveBatch(artifacts, inputs, out, { workers: 2, checkKept: keptReceiptCheck(key) });
    expect(rest).toMatchObject({ skipped: summary.proved, proved: ids.length - summary.proved, aborted: false });
    await expectComplete(out, ids);
  });
});

describe('zkinfer prove --inputs (a real process)', () => {
  it('SIGKILL mid-batch loses no finished receipt; the re-run completes it, no duplicates, no temporaries', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `x-${i}`);
    const inputs = writeTinyInputs(tiny.work, 'kill.jsonl', ids.length, 9);
    const out = join(tiny.work, 'kill-out');
    mkdirSync(out, { recursive: true });
    const run = runCli(['prove', tiny.dir, '--inputs', inputs, '--out', out, '--workers', '2']);
    await waitForReceipts(out, 5, run.child);
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    const kept = readAllReceipts(out); // every receipt there is whole JSON
    expect(kept.length).toBeGreaterThanOrEqual(5);
    expect(kept.length).toBeLessThan(ids.length);

    const again = runCli(['prove', tiny.dir, '--inputs', inputs, '--out', out, '--json']);
    const result = await again.done;
    expect(result.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ total: ids.length, failed: 0, aborted: false });
    expect(summary.skipped).toBeGreaterThanOrEqual(kept.length); // a receipt renamed just before the kill counts too
    expect(summary.skipped + summary.proved).toBe(ids.length);
    expect(summary.latency.p95Ms).toBeGreaterThanOrEqual(summary.latency.p50Ms);
    await expectComplete(out, ids);
  });

  it('SIGINT stops after the proofs in flight with exit code 130; the re-run completes', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `x-${i}`);
    const inputs = writeTinyInputs(tiny.work, 'int.jsonl', ids.length, 13);
    const out = join(tiny.work, 'int-out');
    mkdirSync(out, { recursive: true });
    const run = runCli(['prove', tiny.dir, '--inputs', inputs, '--out', out, '--json']);
    await waitForReceipts(out, 3, run.child);
    run.child.kill('SIGINT');
    const stopped = await run.done;
    expect(stopped.code).toBe(130);
    const summary = JSON.parse(stopped.stdout);
    expect(summary.aborted).toBe(true);
    expect(receiptNames(out)).toHaveLength(summary.proved);
    expect(tmpNames(out)).toEqual([]);

    const again = await runCli(['prove', tiny.dir, '--inputs', inputs, '--out', out, '--json']).done;
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: summary.proved, proved: ids.length - summary.proved });
    await expectComplete(out, ids);
  });

  it('refuses bad batch options in one line', async () => {
    const out = join(tiny.work, 'w');
    const cases: [string[], string][] = [
      [['--inputs', 'x.jsonl', '--workers', '0'], 'expected --workers to be a positive integer, got 0'],
      [['--inputs', 'x.jsonl', '--threads', 'two'], 'expected --threads to be a positive integer, got two'],
      [['--input', 'x.json', '--workers', '2'], '--workers and --threads apply to a batch (--inputs)'],
      [['--inputs', 'x.jsonl', '--nonce', 'ab'], '--nonce applies to one input (--input); a batch draws a random nonce per receipt'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['prove', tiny.dir, ...args, '--out', out]).done;
      expect(r.code).toBe(2); // a usage error
      expect(r.stderr).toBe(`error: ${message}\n`);
    }
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}
