/**
 * The HTTP API (fastify): `POST /v1/infer`, `POST /v1/prove`, `GET /v1/jobs/:id`,
 * `POST /v1/verify`, `GET /v1/models`, `GET /healthz`, `GET /metrics`, `GET /openapi.json`.
 * Bodies are JSON within a size limit, validated with the zod schemas of ./schemas.ts;
 * every refusal is a 4xx with `{"error": "<one line>"}`. Submitting work needs a bearer
 * token from the tokens file; without tokens only loopback clients are served (./auth.ts).
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { InputError } from '../shared/errors.js';
import { flattenInput } from '../shared/input.js';
import { receiptSchema } from '../shared/receipt.js';
import { quantizeInput } from '../reference/execute.js';
import { inferAttested } from '../tee/infer.js';
import type { AttestationProvider } from '../tee/provider.js';
import { evaluateReceipt, parsePolicy, DEFAULT_POLICY, type Policy } from '../verify/policy.js';
import { isLoopback, tokenAccepted } from './auth.js';
import { BackendUnavailableError, JobRefusedError, jobIdOf, type JobBackend, type ProofJobData } from './job.js';
import { ServeMetrics } from './metrics.js';
import type { HeldModel, ModelRegistry } from './models.js';
import { firstIssue, inferRequestSchema, jobIdSchema, openApiDocument, proveRequestSchema, verifyRequestSchema } from './schemas.js';

/** Default body size limit: 4 MiB (a few hundred inputs of a 784-value model). */
export const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

/** Options of {@link createServer}. */
export interface ServerOptions {
  models: ModelRegistry;
  backend: JobBackend;
  metrics: ServeMetrics;
  /** Signs `/v1/infer` receipts. */
  provider: AttestationProvider;
  /** SHA-256 digests of the accepted tokens (./auth.ts); undefined: loopback clients only. */
  tokens?: readonly Buffer[];
  /** Largest request body in bytes; default {@link DEFAULT_BODY_LIMIT}. */
  bodyLimit?: number;
  /** zkinfer's version, for the OpenAPI document. */
  version: string;
}

/** A refusal with its HTTP status. */
class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }, body: unknown): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'expected a JSON object body');
  const r = schema.safeParse(body);
  if (!r.success) throw new HttpError(400, firstIssue(r.error));
  return r.data;
}

/** The float input of a request, in the model's shape and range. */
function checkedInput(held: HeldModel, input: unknown, where: string): Float64Array {
  const values = flattenInput(input, held.model.input.shape, where);
  quantizeInput(held.model, values); // throws InputError for values outside the compiled range
  return values;
}

/**
 * Builds the server (not listening: call `listen`, or `inject` in tests).
 */
export function createServer(options: ServerOptions): FastifyInstance {
  const { models, backend, metrics, provider, tokens } = options;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({ bodyLimit, logger: false, onProtoPoisoning: 'error', onConstructorPoisoning: 'error', return503OnClosing: true });
  app.removeContentTypeParser('text/plain');
  const openApi = openApiDocument(options.version);

  app.addHook('onRequest', async (req) => {
    const submit = (req.routeOptions.config as { submit?: boolean } | undefined)?.submit === true;
    if (!tokens) {
      if (!isLoopback(req.socket.remoteAddress)) throw new HttpError(403, 'this server has no --tokens file and serves loopback clients only');
      return;
    }
    if (!submit) return;
    const header = req.headers.authorization;
    if (header === undefined) throw new HttpError(401, 'missing bearer token (Authorization: Bearer <token>)');
    const m = /^Bearer ([\x21-\x7e]+)$/.exec(header);
    if (!m || !tokenAccepted(m[1]!, tokens)) throw new HttpError(401, 'the bearer token is not accepted');
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.responses.inc({ route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  app.setErrorHandler((error: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
    const [status, message] = describeError(error, bodyLimit);
    if (status >= 500 && status !== 503) process.stderr.write(`error: ${error?.stack ?? String(error)}\n`);
    return reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));

  const modelOf = (modelId: string): HeldModel => {
    const held = models.get(modelId);
    if (!held) throw new HttpError(404, `unknown model ${modelId}`);
    return held;
  };

  app.post('/v1/infer', { config: { submit: true } }, async (req) => {
    const body = parse(inferRequestSchema, req.body);
    const held = modelOf(body.modelId);
    // inferAttested quantizes the input, refusing values outside the compiled range
    const values = flattenInput(body.input, held.model.input.shape, 'request');
    const nonce = body.nonce ?? randomBytes(16).toString('hex');
    const { receipt } = await inferAttested(held.tee, values, { provider, nonce });
    metrics.inferences.inc();
    if (!held.provable) return { receipt };
    const data: ProofJobData = { kind: 'infer', modelId: held.manifest.modelId, keyId: held.manifest.keyId!, input: Array.from(values), nonce, attested: receipt };
    const id = jobIdOf(data);
    const [stored] = await backend.submit([{ id, data }]);
    metrics.submitted.inc();
    // a repeated request answers the receipt of the job it finds
    return { receipt: stored?.attested ?? receipt, jobId: id };
  });

  app.post('/v1/prove', { config: { submit: true } }, async (req, reply) => {
    const body = parse(proveRequestSchema, req.body);
    const held = modelOf(body.modelId);
    if (!held.provable) throw new HttpError(422, `model ${body.modelId} has no proving key on this server`);
    const inputs = body.inputs ?? [body.input!];
    const jobs = inputs.map((input, i) => {
      const values = checkedInput(held, input, body.inputs ? `inputs[${i}]` : 'request');
      const data: ProofJobData = { kind: 'prove', modelId: held.manifest.modelId, keyId: held.manifest.keyId!, input: Array.from(values), nonce: body.nonce ?? randomBytes(16).toString('hex') };
      return { id: jobIdOf(data), data };
    });
    await backend.submit(jobs);
    metrics.submitted.inc(jobs.length);
    return reply.code(202).send({ jobIds: jobs.map((j) => j.id) });
  });

  app.get('/v1/jobs/:id', async (req) => {
    const id = (req.params as { id: string }).id;
    if (!jobIdSchema.safeParse(id).success) throw new HttpError(400, 'expected the job id to be 64 lowercase hex digits');
    const job = await backend.get(id);
    if (!job) throw new HttpError(404, `unknown job ${id}`);
    return job;
  });

  app.post('/v1/verify', async (req) => {
    const body = parse(verifyRequestSchema, req.body);
    const r = receiptSchema.safeParse(body.receipt);
    if (!r.success) throw new HttpError(400, `receipt.${firstIssue(r.error)}`);
    const held = modelOf(r.data.modelId);
    let policy: Policy = DEFAULT_POLICY;
    if (body.policy !== undefined) {
      try {
        policy = parsePolicy(body.policy, 'policy');
      } catch (e) {
        throw new HttpError(400, (e as Error).message);
      }
    }
    return evaluateReceipt(r.data, { key: held.key, policy, stakes: body.stakes });
  });

  app.get('/v1/models', async () => models.describe());

  app.get('/healthz', async (_req, reply) => {
    const h = await backend.health();
    return reply.code(h.ok ? 200 : 503).send({ status: h.ok ? 'ok' : 'unavailable', backend: backend.kind, ...(h.error ? { error: h.error } : {}) });
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', async () => openApi);
  return app;
}

/** HTTP status and one-line message for an error thrown while serving. */
function describeError(error: FastifyError, bodyLimit: number): [number, string] {
  if (error instanceof HttpError) return [error.statusCode, error.message];
  if (error instanceof InputError) return [400, error.message];
  if (error instanceof JobRefusedError) return [422, error.message];
  if (error instanceof BackendUnavailableError) return [503, error.message];
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return [413, `request body over the limit of ${bodyLimit} bytes`];
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return [415, 'expected Content-Type: application/json'];
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return [400, 'empty JSON body'];
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return [400, 'the Content-Length does not match the body'];
  }
  if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/.test(error.message))) return [400, 'malformed JSON body'];
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) return [error.statusCode, error.message];
  return [500, 'internal error'];
}
