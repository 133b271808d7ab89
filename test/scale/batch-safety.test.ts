/**
 * Batch proving keeps nothing it has not checked and loses nothing to one bad line:
 * kept receipts are verified on resume (a corrupted one is proven again), a deeply nested
 * line, an overlong or reserved id are each one line in failures.jsonl while the batch goes
 * on, two batches cannot write into one folder at once (a lock; a dead owner's lock is taken
 * over), and --workers is capped at the processors available.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts, type Artifacts } from '../../src/prove/artifacts.js';
import { BATCH_LOCK_FILE, proveBatch } from '../../src/prove/batch.js';
import { ProveError } from '../../src/shared/errors.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { keptReceiptCheck } from '../../src/verify/kept.js';
import { listReceiptFiles, verifyMany, verifyReceiptFiles } from '../../src/verify/many.js';
import { loadVerifierKey, type VerifierKey } from '../../src/verify/verify.js';
import { rng } from '../helpers/onnx-builder.js';
import { compileTinyModel, writeInput } from '../e2e/tiny-model.js';
import { receiptNames, runCli, tinyLine, tmpNames, waitForReceipts, writeTinyInputs } from './helpers.js';

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let artifacts: Artifacts;
let key: VerifierKey;

beforeAll(async () => {
  tiny = await compileTinyModel();
  artifacts = loadArtifacts(tiny.dir);
  key = loadVerifierKey(tiny.dir);
}, 300_000);
afterAll(() => releaseCurve());

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

async function allValid(dir: string): Promise<void> {
  const summary = await verifyMany(listReceiptFiles([dir]), key, { concurrency: 1 });
  expect(summary.results.filter((r) => !r.valid)).toEqual([]);
}

describe('batch resume', () => {
  it('verifies kept receipts: one corrupted in place is reported and proven again', async () => {
    const inputs = writeTinyInputs(tiny.work, 'corrupt.jsonl', 4, 17);
    const out = join(tiny.work, 'corrupt-out');
    const first = await runCli(['prove', tiny.dir, '--inputs', inputs, '--out', out, '--json']).done;
    expect(first.code).toBe(0);
    const victim = join(out, 'x-1.json');
    const receipt = JSON.parse(readFileSync(victim, 'utf8'));
    receipt.proof.pi_a[0] = receipt.proof.pi_c[0]; // a well-formed receipt whose proof no longer verifies
    writeFileSync(victim, `${JSON.stringify(receipt, null, 2)}\n`);
    const [checked] = await verifyReceiptFiles([victim], key);
    expect(checked!.valid).toBe(false);

    const again = await runCli(['prove', tiny.dir, '--inputs', inputs, '--out', out, '--json']).done;
    expect(again.code).toBe(0);
    expect(again.stderr.split('\n')).toContain(`warning: ${victim}: kept receipt is not valid (${checked!.reason}); proving it again`);
    expect(JSON.parse(again.stdout)).toMatchObject({ total: 4, proved: 1, skipped: 3, failed: 0 });
    await allValid(out);
  });

  it('the library keeps receipts only through a check it is given; without one it proves them again', async () => {
    const inputs = writeTinyInputs(tiny.work, 'lib-resume.jsonl', 3, 19);
    const out = join(tiny.work, 'lib-resume-out');
    await proveBatch(artifacts, inputs, out, { workers: 1 });
    const unchecked = await proveBatch(artifacts, inputs, out, { workers: 1 });
    expect(unchecked).toMatchObject({ proved: 3, skipped: 0 });

    const victim = join(out, 'x-2.json');
    const receipt = JSON.parse(readFileSync(victim, 'utf8'));
    receipt.proof.pi_c[1] = receipt.proof.pi_a[1];
    writeFileSync(victim, JSON.stringify(receipt));
    const checked = await proveBatch(artifacts, inputs, out, { workers: 1, checkKept: keptReceiptCheck(key) });
    expect(checked).toMatchObject({ proved: 1, skipped: 2 });
    expect(checked.rejected).toEqual([{ id: 'x-2', file: victim, reason: expect.any(String) }]);
    await allValid(out);
  });
});

describe('bad lines are one line each in failures.jsonl, and the batch goes on', () => {
  it('deep nesting, overlong, reserved and unsafe ids', async () => {
    const r = rng(23);
    const inputs = join(tiny.work, 'hostile.jsonl');
    const long = 'a'.repeat(300);
    const lines = [
      tinyLine(r, 'ok-1'),
      `{"id": "deep", "input": ${nested(5000)}}`,
      nested(200_000),
      `{"label": ${nested(6000)}, "input": [[0, 0, 0, 0, 0, 0]]}`,
      tinyLine(r, long),
      tinyLine(r, 'failures'),
      tinyLine(r, 'FAILURES'),
      tinyLine(r, '../escape'),
      tinyLine(r, '.hidden'),
      tinyLine(r, ''),
      tinyLine(r, 'red\u001b[31m'),
      tinyLine(r, 'nul'),
      JSON.stringify({ id: 42, input: [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]] }),
      tinyLine(r, 'ok-2'),
    ];
    writeFileSync(inputs, lines.join('\n') + '\n');
    const out = join(tiny.work, 'hostile-out');
    const expected = [
      { line: 2, reason: `${inputs}:2: "input"[0] has length 1, expected 6 (expected shape [1, 6])` },
      { line: 3, reason: `${inputs}:3: expected a JSON object with an "input" field` },
      { line: 4, reason: `${inputs}:4: "label" must be a number` },
      { line: 5, reason: `${inputs}:5: id "${'a'.repeat(40)}…" is too long (300 characters; at most 128)` },
      { line: 6, reason: `${inputs}:6: id "failures" is reserved (the batch's failures file)` },
      { line: 7, reason: `${inputs}:7: id "FAILURES" is reserved (the batch's failures file)` },
      { line: 8, reason: `${inputs}:8: id "../escape" has characters other than A-Z, a-z, 0-9, ".", "_" and "-"` },
      { line: 9, reason: `${inputs}:9: id ".hidden" starts with "."` },
      { line: 10, reason: `${inputs}:10: id "" is empty` },
      { line: 11, reason: `${inputs}:11: id "red\\u001b[31m" has characters other than A-Z, a-z, 0-9, ".", "_" and "-"` },
      { line: 12, reason: `${inputs}:12: id "nul" is reserved (a device name on Windows)` },
    ];
    for (let run = 0; run < 2; run++) {
      const result = await runCli(['prove', tiny.dir, '--inputs', inputs, '--out', out, '--json']).done;
      expect(result.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
      expect(result.code).toBe(1); // failures exist
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ total: 14, failed: 11, aborted: false });
      expect(summary.proved + summary.skipped).toBe(3);
      const written = readFileSync(join(out, 'failures.jsonl'), 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(written).toEqual(expected);
    }
    expect(receiptNames(out)).toEqual(['42.json', 'ok-1.json', 'ok-2.json']);
    expect(tmpNames(out)).toEqual([]);
    await allValid(out);
  });

  it('prove --input: a deeply nested input file is one line', () => {
    const deep = writeInput(tiny.work, 'deep.json', `{"input": ${nested(100_000)}}`);
    const r = spawnSync(process.execPath, ['bin/zkinfer.js', 'prove', tiny.dir, '--input', deep, '--out', join(tiny.work, 'deep-receipt.json')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: ${deep}: "input"[0] has length 1, expected 6 (expected shape [1, 6])\n`);
  });
});

describe('one batch per output folder', () => {
  it('a second batch into the same folder refuses while the first runs', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `x-${i}`);
    const inputs = writeTinyInputs(tiny.work, 'locked.jsonl', ids.length, 29);
    const out = join(tiny.work, 'locked-out');
    mkdirSync(out, { recursive: true });
    const first = runCli(['prove', tiny.dir, '--inputs', inputs, '--out', out, '--workers', '1', '--json']);
    await waitForReceipts(out, 1, first.child);
    const second = await runCli(['prove', tiny.dir, '--inputs', inputs, '--out', out, '--json']).done;
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`error: ${out}: another batch (pid ${first.child.pid}) is writing into this folder; wait for it to finish or choose another --out\n`);
    first.child.kill('SIGINT');
    const stopped = await first.done;
    expect(stopped.code).toBe(130);
    expect(existsSync(join(out, BATCH_LOCK_FILE))).toBe(false);
  });

  it('in one process too: a second proveBatch into the same folder is refused', async () => {
    const inputs = writeTinyInputs(tiny.work, 'same-process.jsonl', 2, 31);
    const out = join(tiny.work, 'same-process-out');
    const a = proveBatch(artifacts, inputs, out, { workers: 1 });
    const b = proveBatch(artifacts, inputs, out, { workers: 1 });
    await expect(b).rejects.toThrow(new ProveError(`${out}: another batch (pid ${process.pid}) is writing into this folder; wait for it to finish or choose another --out`));
    await expect(a).resolves.toMatchObject({ proved: 2 });
    expect(existsSync(join(out, BATCH_LOCK_FILE))).toBe(false);
  });

  it('takes over a lock left by a process that died', async () => {
    const inputs = writeTinyInputs(tiny.work, 'stale.jsonl', 2, 37);
    const out = join(tiny.work, 'stale-out');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, BATCH_LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), startedAt: new Date().toISOString() }));
    const summary = await proveBatch(artifacts, inputs, out, { workers: 1 });
    expect(summary).toMatchObject({ proved: 2, failed: 0 });
    expect(readdirSync(out).sort()).toEqual(['failures.jsonl', 'x-0.json', 'x-1.json']);
  });
});

describe('--workers', () => {
  it('is capped at the available parallelism, with a warning', async () => {
    const cores = os.availableParallelism();
    const inputs = writeTinyInputs(tiny.work, 'many-workers.jsonl', 2, 41);
    const out = join(tiny.work, 'many-workers-out');
    const r = await runCli(['prove', tiny.dir, '--inputs', inputs, '--out', out, '--workers', String(cores + 62), '--json']).done;
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')).toContain(`warning: --workers ${cores + 62} is more than the ${cores} processors available; using ${cores}`);
    expect(JSON.parse(r.stdout)).toMatchObject({ workers: cores, proved: 2 });
  });
});
