/**
 * The HTTP API on the embedded backend (in-process warm pool), through fastify's inject:
 * the answers of every route, the 4xx of every kind of bad request, tokens and loopback,
 * idempotent jobs, proven receipts that verify, and /metrics counts that match.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { EmbeddedBackend } from '../../src/serve/embedded.js';
import { ModelRegistry } from '../../src/serve/models.js';
import { readTokens } from '../../src/serve/auth.js';
import { loadVerifierKey, verifyProof } from '../../src/verify/verify.js';
import type { PublicReceipt as Receipt } from '../../src/shared/receipt.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { buildServer, eventually, metric, tinyInput } from './fixtures.js';

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let models: ModelRegistry;
let modelId: string;
let app: FastifyInstance;
let backend: EmbeddedBackend;
let receipts: string;

const post = (url: string, payload: unknown, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') =>
  app.inject({ method: 'POST', url, payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers }, remoteAddress });

async function completed(jobId: string): Promise<Receipt> {
  return eventually(
    async () => {
      const r = await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}` });
      const body = r.json() as { state: string; receipt?: Receipt; error?: string };
      if (body.state === 'failed') throw new Error(`job failed: ${body.error}`);
      return body.state === 'completed' ? body.receipt : undefined;
    },
    60_000,
    `job ${jobId}`,
  );
}

beforeAll(async () => {
  tiny = await compileTinyModel();
  models = new ModelRegistry([tiny.dir]);
  modelId = models.all()[0]!.manifest.modelId;
  receipts = mkdtempSync(join(tmpdir(), 'zkinfer-receipts-'));
  ({ app } = buildServer(models, (onJob) => (backend = new EmbeddedBackend(models.all(), { receiptsDir: receipts, workers: 1, onJob }))));
  await backend.ready();
}, 300_000);

afterAll(async () => {
  await app?.close();
  await backend?.close();
  await models?.close();
});

describe('the API on the embedded pool', () => {
  it('GET /v1/models names the model, its key and its visibility; /healthz is ok; /openapi.json describes every route', async () => {
    const m = (await app.inject({ method: 'GET', url: '/v1/models' })).json();
    expect(m).toEqual({ models: [{ modelId, keyId: tiny.result.manifest.keyId, name: 'tiny', inputShape: [1, 6], visibility: { input: 'public', output: 'public' }, provable: true }] });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok', backend: 'embedded' });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/metrics', '/openapi.json', '/v1/infer', '/v1/jobs/{id}', '/v1/models', '/v1/prove', '/v1/verify']);
  });

  it('POST /v1/infer answers the attested receipt at once; its job proves the same inference, attached to the attestation, written durably', async () => {
    const r = await post('/v1/infer', { modelId, input: tinyInput(1), nonce: 'a1b2' });
    expect(r.statusCode).toBe(200);
    const { receipt, jobId } = r.json() as { receipt: Receipt; jobId: string };
    expect(receipt.attestation?.provider).toBe('dev');
    expect(receipt.proof).toBeUndefined();
    expect(receipt.nonce).toBe('a1b2');
    const proven = await completed(jobId);
    expect(proven.proof).toBeDefined();
    expect(proven.attestation).toEqual(receipt.attestation);
    expect([proven.nonce, proven.createdAt, proven.input.commitment]).toEqual([receipt.nonce, receipt.createdAt, receipt.input.commitment]);
    expect((await verifyProof(proven, loadVerifierKey(tiny.dir))).valid).toBe(true);
    expect(JSON.parse(readFileSync(join(receipts, `${jobId}.json`), 'utf8'))).toEqual(proven);
    // the proven receipt with its attestation, under a policy that accepts dev attestations: both count
    const devKey = (JSON.parse(Buffer.from(proven.attestation!.document, 'base64').toString('utf8')) as { publicKey: string }).publicKey;
    const v = await post('/v1/verify', { receipt: proven, policy: { acceptDevAttestations: true, devPublicKeys: [devKey] } });
    expect([v.statusCode, v.json().error]).toEqual([200, undefined]);
    expect(v.json()).toMatchObject({ verdict: 'accepted', by: ['proof', 'attestation'] });
    // default policy: the proof counts, the dev attestation does not
    expect((await post('/v1/verify', { receipt: proven })).json()).toMatchObject({ verdict: 'accepted', by: ['proof'] });
    // the attested receipt alone, default policy: a dev attestation does not count
    expect((await post('/v1/verify', { receipt })).json()).toMatchObject({ verdict: 'proof-required', by: [] });
    // altered output: rejected
    const forged = { ...proven, output: { ...proven.output, raw: proven.output.raw.map((v, i) => (i === 0 ? v + 1 : v)) } };
    expect((await post('/v1/verify', { receipt: forged })).json()).toMatchObject({ verdict: 'rejected' });
  });

  it('the same model, input and nonce give one job: a repeated infer answers the first receipt, a repeated prove the same id', async () => {
    const a = (await post('/v1/infer', { modelId, input: tinyInput(2), nonce: '0badc0de' })).json() as { receipt: Receipt; jobId: string };
    const b = (await post('/v1/infer', { modelId, input: tinyInput(2), nonce: '0badc0de' })).json() as { receipt: Receipt; jobId: string };
    expect(b).toEqual(a);
    const p1 = (await post('/v1/prove', { modelId, inputs: [tinyInput(3), tinyInput(3), tinyInput(4)], nonce: 'beef' })).json() as { jobIds: string[] };
    const p2 = (await post('/v1/prove', { modelId, input: tinyInput(3), nonce: 'beef' })).json() as { jobIds: string[] };
    expect(p1.jobIds[0]).toBe(p1.jobIds[1]);
    expect(p1.jobIds[2]).not.toBe(p1.jobIds[0]);
    expect(p2.jobIds).toEqual([p1.jobIds[0]]);
    // without a nonce, each request is a new job with a random nonce
    const q1 = (await post('/v1/prove', { modelId, input: tinyInput(3) })).json() as { jobIds: string[] };
    expect(q1.jobIds[0]).not.toBe(p1.jobIds[0]);
    for (const id of [a.jobId, ...p1.jobIds, ...q1.jobIds]) expect((await verifyProof(await completed(id), loadVerifierKey(tiny.dir))).valid).toBe(true);
  });

  it('bad requests get a 4xx with one clear message', async () => {
    const cases: [string, () => ReturnType<typeof post>, number, string][] = [
      ['malformed JSON', () => post('/v1/prove', '{"modelId": '), 400, 'malformed JSON body'],
      ['empty body', () => post('/v1/prove', ''), 400, 'empty JSON body'],
      [
        'not JSON',
        () => app.inject({ method: 'POST', url: '/v1/prove', payload: 'x', headers: { 'content-type': 'text/plain' }, remoteAddress: '127.0.0.1' }),
        415,
        'expected Content-Type: application/json',
      ],
      ['an array body', () => post('/v1/prove', [1]), 400, 'expected a JSON object body'],
      ['a bad model id', () => post('/v1/prove', { modelId: 'xyz', input: tinyInput(0) }), 400, 'modelId: expected 64 lowercase hex digits'],
      ['an unknown field', () => post('/v1/prove', { modelId, input: tinyInput(0), extra: 1 }), 400, 'unknown field "extra"'],
      ['both input and inputs', () => post('/v1/prove', { modelId, input: tinyInput(0), inputs: [tinyInput(0)] }), 400, 'give exactly one of "input" or "inputs"'],
      ['a bad nonce', () => post('/v1/infer', { modelId, input: tinyInput(0), nonce: '0xAB' }), 400, 'nonce: expected lowercase hex digits, an even number, no 0x'],
      ['a wrong shape', () => post('/v1/infer', { modelId, input: [[1, 2, 3]] }), 400, 'request: "input"[0] has length 3, expected 6 (expected shape [1, 6])'],
      ['a string value', () => post('/v1/prove', { modelId, inputs: [tinyInput(0), [[1, 2, 3, 4, 5, 'x']]] }), 400, 'inputs[1]: "input"[0][5] must be a number, got string'],
      ['an unknown model', () => post('/v1/infer', { modelId: 'ab'.repeat(32), input: tinyInput(0) }), 404, `unknown model ${'ab'.repeat(32)}`],
      ['a bad job id', () => app.inject({ method: 'GET', url: '/v1/jobs/nope' }), 400, 'expected the job id to be 64 lowercase hex digits'],
      ['an unknown job', () => app.inject({ method: 'GET', url: `/v1/jobs/${'cd'.repeat(32)}` }), 404, `unknown job ${'cd'.repeat(32)}`],
      ['a receipt of the wrong shape', () => post('/v1/verify', { receipt: { format: 'x' } }), 400, 'receipt.format: Invalid input: expected "zkinfer.receipt/2"'],
      [
        'a bad policy',
        () => post('/v1/verify', { receipt: JSON.parse(readFileSync(join(receipts, readdirFirst(receipts)), 'utf8')), policy: { nope: true } }),
        400,
        'policy: invalid policy at "(root)": Unrecognized key: "nope"',
      ],
      ['too many inputs', () => post('/v1/prove', { modelId, inputs: Array.from({ length: 1001 }, (_, i) => tinyInput(i)) }), 400, 'inputs: Too big: expected array to have <=1000 items'],
      ['an oversize body', () => post('/v1/prove', { modelId, input: tinyInput(0), pad: 'x'.repeat(4 * 1024 * 1024) }), 413, 'request body over the limit of 4194304 bytes'],
      ['a proto-poisoning body', () => post('/v1/prove', '{"modelId": "x", "__proto__": {"a": 1}}'), 400, 'malformed JSON body'],
      ['an unknown route', () => app.inject({ method: 'GET', url: '/v2/x' }), 404, 'no route GET /v2/x'],
    ];
    for (const [what, request, status, error] of cases) {
      const r = await request();
      expect([what, r.statusCode, r.json()]).toEqual([what, status, { error }]);
    }
  });

  it('/metrics counts what happened: proofs, inferences, submissions and responses', async () => {
    const before = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const done0 = metric(before, 'zkinfer_proofs_total{outcome="completed"}');
    const infer0 = metric(before, 'zkinfer_inferences_total');
    const ids = ((await post('/v1/prove', { modelId, inputs: [tinyInput(10), tinyInput(11), tinyInput(12)] })).json() as { jobIds: string[] }).jobIds;
    await post('/v1/infer', { modelId, input: tinyInput(13) }).then((r) => completed((r.json() as { jobId: string }).jobId));
    for (const id of ids) await completed(id);
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metric(text, 'zkinfer_proofs_total{outcome="completed"}')).toBe(done0 + 4);
    expect(metric(text, 'zkinfer_proofs_total{outcome="failed"}')).toBe(0);
    expect(metric(text, 'zkinfer_proof_latency_seconds_count')).toBe(done0 + 4);
    expect(metric(text, 'zkinfer_inferences_total')).toBe(infer0 + 1);
    expect(metric(text, 'zkinfer_queue_depth')).toBe(0);
    expect(metric(text, 'zkinfer_jobs_active')).toBe(0);
    expect(metric(text, 'zkinfer_http_responses_total{route="/v1/prove",status="202"}')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('# TYPE zkinfer_proof_latency_seconds histogram');
  });
});

function readdirFirst(dir: string): string {
  return readdirSync(dir).filter((f) => f.endsWith('.json'))[0]!;
}

describe('who may submit', () => {
  let tokenApp: FastifyInstance;
  let tokenBackend: EmbeddedBackend;
  const token = 'tok-0123456789abcdef';
  beforeAll(() => {
    const file = join(mkdtempSync(join(tmpdir(), 'zkinfer-tokens-')), 'tokens');
    writeFileSync(file, `# submitters\n${token}\n\nother-token-fedcba9876543210\n`);
    ({ app: tokenApp } = buildServer(models, (onJob) => (tokenBackend = new EmbeddedBackend(models.all(), { receiptsDir: receipts, workers: 1, onJob })), { tokens: readTokens(file) }));
  });
  afterAll(async () => {
    await tokenApp?.close();
    await tokenBackend?.close();
  });

  const submit = (a: FastifyInstance, headers: Record<string, string>, remoteAddress: string) =>
    a.inject({ method: 'POST', url: '/v1/infer', payload: JSON.stringify({ modelId, input: tinyInput(5) }), headers: { 'content-type': 'application/json', ...headers }, remoteAddress });

  it('without tokens, only loopback clients are served', async () => {
    expect((await submit(app, {}, '127.0.0.1')).statusCode).toBe(200);
    expect((await submit(app, {}, '::1')).statusCode).toBe(200);
    const r = await submit(app, {}, '10.1.2.3');
    expect([r.statusCode, r.json()]).toEqual([403, { error: 'this server has no --tokens file and serves loopback clients only' }]);
    expect((await app.inject({ method: 'GET', url: '/v1/models', remoteAddress: '192.168.0.9' })).statusCode).toBe(403);
  });

  it('with tokens, submitting needs a listed bearer token, from any address; reads do not', async () => {
    const missing = await submit(tokenApp, {}, '10.1.2.3');
    expect([missing.statusCode, missing.json()]).toEqual([401, { error: 'missing bearer token (Authorization: Bearer <token>)' }]);
    for (const header of [`Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, `Basic ${token}`, token]) {
      const wrong = await submit(tokenApp, { authorization: header }, '10.1.2.3');
      expect([header, wrong.statusCode, wrong.json()]).toEqual([header, 401, { error: 'the bearer token is not accepted' }]);
    }
    expect((await submit(tokenApp, { authorization: `Bearer ${token}` }, '10.1.2.3')).statusCode).toBe(200);
    expect((await submit(tokenApp, { authorization: 'Bearer other-token-fedcba9876543210' }, '10.1.2.3')).statusCode).toBe(200);
    expect((await tokenApp.inject({ method: 'GET', url: '/v1/models', remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
  });

  it('a tokens file with a short token or none is refused, naming the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkinfer-tokens-'));
    writeFileSync(join(dir, 'short'), 'ok-token-0123456789\nshort\n');
    writeFileSync(join(dir, 'empty'), '# nothing\n\n');
    expect(() => readTokens(join(dir, 'short'))).toThrow(`${join(dir, 'short')}:2: a token must be at least 16 printable characters without spaces`);
    expect(() => readTokens(join(dir, 'empty'))).toThrow(`${join(dir, 'empty')}: no tokens (one a line)`);
  });
});
