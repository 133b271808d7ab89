/**
 * `zkinfer serve` and `zkinfer worker` as users run them (bin/zkinfer.js, dist/): usage
 * errors are one line and exit 2; the embedded server answers over HTTP, and on SIGTERM
 * finishes the proofs in flight, names the waiting jobs it drops, and exits 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadVerifierKey, verifyProof } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { tinyInput } from './fixtures.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/zkinfer.js');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('zkinfer serve and worker on the command line', () => {
  let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
  beforeAll(async () => {
    tiny = await compileTinyModel();
  }, 300_000);

  it('usage errors are one line and exit 2', () => {
    expect(run(['serve', '--artifacts', tiny.dir, '--redis', 'http://x'])).toEqual({ code: 2, stdout: '', stderr: 'error: expected --redis to be a redis:// or rediss:// URL, got "http://x"\n' });
    expect(run(['serve', '--artifacts', tiny.dir, '--port', '70000'])).toEqual({ code: 2, stdout: '', stderr: 'error: expected --port to be at most 65535, got 70000\n' });
    expect(run(['serve', '--artifacts', tiny.dir, '--redis', 'redis://127.0.0.1:1', '--workers', '2'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: --workers applies to the embedded pool; with --redis, start `zkinfer worker` processes\n',
    });
    expect(run(['worker', '--artifacts', tiny.dir])).toMatchObject({ code: 2, stderr: "error: required option '--redis <url>' not specified\n" });
    const help = run(['--help']).stdout;
    expect(help).toMatch(/\n {2}serve \[options\] +serve the JSON HTTP API/);
    expect(help).toMatch(/\n {2}worker \[options\] +prove queued jobs from Redis/);
  });

  it('the embedded server proves over HTTP; SIGTERM finishes the proof in flight, names the dropped waiting jobs, exits 0', async () => {
    const receipts = mkdtempSync(join(tmpdir(), 'zkinfer-serve-receipts-'));
    const proc = spawn(process.execPath, [bin, 'serve', '--artifacts', tiny.dir, '--port', '0', '--workers', '1', '--receipts', receipts, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const listening = await new Promise<{ url: string; backend: string }>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.includes('"listening"'));
        if (line) resolve(JSON.parse(line));
      });
      proc.once('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
    });
    expect(listening.backend).toBe('embedded');
    const models = (await (await fetch(`${listening.url}/v1/models`)).json()) as { models: { modelId: string }[] };
    const modelId = models.models[0]!.modelId;
    const r = await fetch(`${listening.url}/v1/prove`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ modelId, inputs: Array.from({ length: 6 }, (_, i) => tinyInput(i)) }),
    });
    expect(r.status).toBe(202);
    const { jobIds } = (await r.json()) as { jobIds: string[] };
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const [code] = (await exited) as [number];
    expect([code, err]).toEqual([0, '']);
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; dropped?: string[] });
    expect(events.map((e) => e.event)).toEqual(['listening', 'stopping', 'stopped']);
    const dropped = events[2]!.dropped!;
    const proven = readdirSync(receipts)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5));
    // the proof running at SIGTERM was finished; every job is either proven or named as dropped
    expect(proven.length).toBeGreaterThanOrEqual(1);
    expect([...proven, ...dropped].sort()).toEqual([...jobIds].sort());
    for (const id of proven) expect((await verifyProof(JSON.parse(readFileSync(join(receipts, `${id}.json`), 'utf8')), loadVerifierKey(tiny.dir))).valid).toBe(true);
  });
});
