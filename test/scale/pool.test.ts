/**
 * The prover pool: warm workers prove valid receipts, the queue is bounded, an AbortSignal
 * drops a waiting task or stops a running one, and close() leaves no thread behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RECEIPT_FORMAT } from '../../src/shared/receipt.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts, type Artifacts } from '../../src/prove/artifacts.js';
import { ProofAbortedError, ProverPool } from '../../src/prove/pool.js';
import { InputError, InvalidArgumentError, ProveError } from '../../src/shared/errors.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let artifacts: Artifacts;
let key: VerifierKey;
const input = [0.3, -0.1, 0.2, 0.9, -0.4, 0.05];

beforeAll(async () => {
  tiny = await compileTinyModel();
  artifacts = loadArtifacts(tiny.dir);
  key = loadVerifierKey(tiny.dir);
}, 300_000);
afterAll(() => releaseCurve());

describe('ProverPool', () => {
  it('proves valid receipts on warm workers and rebuilds input errors', async () => {
    const pool = new ProverPool(artifacts, { workers: 2, threadsPerWorker: 1 });
    try {
      expect(pool.capacity).toBe(4);
      const proofs = await Promise.all(
        [0, 1, 2, 3].map((i) =>
          pool.prove(
            input.map((v) => v + i / 10),
            { nonce: `0${i}` },
          ),
        ),
      );
      for (const [i, p] of proofs.entries()) {
        expect(p.receipt.nonce).toBe(`0${i}`);
        expect((p.receipt.input as { raw: number[] }).raw).toEqual(input.map((v) => Math.round((v + i / 10) * 64)));
        expect(await verifyProof(p.receipt, key)).toMatchObject({ valid: true });
      }
      const bad = pool.prove([5, 0, 0, 0, 0, 0]);
      await expect(bad).rejects.toBeInstanceOf(InputError);
      await expect(bad).rejects.toThrow('input value 5 at flat index 0 is outside the range the model was compiled for [-2, 1.984375]');
    } finally {
      await pool.close();
    }
  });

  it('bounds its queue: capacity = workers + maxQueue, and refuses more', async () => {
    const pool = new ProverPool(artifacts, { workers: 1, maxQueue: 1 });
    try {
      const a = pool.prove(input);
      const b = pool.prove(input);
      expect(pool.pending).toBe(2);
      await expect(pool.prove(input)).rejects.toThrow('the prover pool is full (2 proofs pending); wait for one to finish before submitting another');
      await Promise.all([a, b]);
      expect(pool.pending).toBe(0);
      await pool.prove(input); // room again as soon as a proof settles
    } finally {
      await pool.close();
    }
  });

  it('ready() waits for warm workers; a worker that cannot load the artifacts fails ready() and every task', async () => {
    const pool = new ProverPool(artifacts, { workers: 2 });
    try {
      await pool.ready();
      expect(pool.threadCount).toBe(2);
    } finally {
      await pool.close();
    }
    const dir = join(tiny.work, 'nowhere');
    const broken = new ProverPool({ ...artifacts, dir }, { workers: 1 });
    try {
      const reason = `${join(dir, 'manifest.json')}: no manifest (is ${dir} a zkinfer artifacts folder?)`;
      await expect(broken.ready()).rejects.toThrow(`a prover worker could not start: ${reason}`);
      await expect(broken.prove(input)).rejects.toThrow(new ProveError(reason));
    } finally {
      await broken.close();
    }
  });

  it('checks its options', () => {
    expect(() => new ProverPool(artifacts, { workers: 0 })).toThrow(new InvalidArgumentError('expected workers to be an integer ≥ 1, got 0'));
    expect(() => new ProverPool(artifacts, { threadsPerWorker: 1.5 })).toThrow('expected threadsPerWorker to be an integer ≥ 1, got 1.5');
  });

  it('aborts: a waiting task is dropped, a running one stopped, and the pool goes on', async () => {
    const pool = new ProverPool(artifacts, { workers: 1, maxQueue: 2 });
    try {
      const first = pool.prove(input);
      const waiting = new AbortController();
      const queued = pool.prove(input, { signal: waiting.signal });
      waiting.abort();
      await expect(queued).rejects.toThrow(new ProofAbortedError('the proof was aborted before it started'));
      await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
      await first;

      const running = new AbortController();
      const task = pool.prove(input, { signal: running.signal });
      expect(pool.pending).toBe(1);
      running.abort();
      await expect(task).rejects.toMatchObject({ name: 'AbortError', message: 'the proof was aborted while running; its worker was stopped' });

      const early = new AbortController();
      early.abort();
      await expect(pool.prove(input, { signal: early.signal })).rejects.toThrow('the proof was aborted before it started');

      // piscina replaced the stopped worker: the pool still proves
      const again = await pool.prove(input);
      expect((await verifyProof(again.receipt, key)).valid).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('close() waits for pending proofs, then stops every thread; force rejects what is left', async () => {
    const pool = new ProverPool(artifacts, { workers: 2 });
    const pending = [pool.prove(input), pool.prove(input), pool.prove(input)];
    await pool.close();
    expect(pool.threadCount).toBe(0);
    for (const p of pending) expect((await p).receipt.format).toBe(RECEIPT_FORMAT);
    await expect(pool.prove(input)).rejects.toThrow('the prover pool is closed');

    const forced = new ProverPool(artifacts, { workers: 1, maxQueue: 1 });
    const a = forced.prove(input).catch((e: unknown) => e);
    const b = forced.prove(input).catch((e: unknown) => e);
    await forced.close({ force: true });
    expect(forced.threadCount).toBe(0);
    expect(await b).toEqual(new ProofAbortedError('the prover pool was closed'));
    expect(await a).toEqual(new ProofAbortedError('the prover pool was closed'));
  });

  it.runIf(existsSync('/proc/self/task'))('close() ends every worker thread and the snarkjs threads inside them; the process then exits by itself', async () => {
    // OS threads of the child, before the pool, while it proves (2 workers × 2 snarkjs
    // threads: at least 6 more) and after close(): back to where they were.
    const script = join(tiny.work, 'pool-exit.mts');
    writeFileSync(
      script,
      [
        "import { readdirSync } from 'node:fs';",
        "import { readFile } from 'node:fs/promises';",
        `import { loadArtifacts } from ${JSON.stringify(join(process.cwd(), 'src/prove/artifacts.ts'))};`,
        `import { ProverPool } from ${JSON.stringify(join(process.cwd(), 'src/prove/pool.ts'))};`,
        "const threads = () => readdirSync('/proc/self/task').length;",
        `const artifacts = loadArtifacts(${JSON.stringify(tiny.dir)});`,
        'await readFile(artifacts.zkeyPath); // start the libuv pool before counting',
        'const before = threads();',
        'const pool = new ProverPool(artifacts, { workers: 2, threadsPerWorker: 2 });',
        `await Promise.all([pool.prove(${JSON.stringify(input)}), pool.prove(${JSON.stringify(input)})]);`,
        'const during = threads();',
        'await pool.close();',
        'process.stdout.write(JSON.stringify({ before, during, after: threads(), poolThreads: pool.threadCount }));',
        '// no process.exit: the test waits for the process to end on its own',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { before, during, after, poolThreads } = JSON.parse(stdout) as Record<string, number>;
    expect(during).toBeGreaterThanOrEqual(before! + 6);
    expect(after).toBe(before);
    expect(poolThreads).toBe(0);
  });
});
