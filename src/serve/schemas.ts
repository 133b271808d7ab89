/**
 * The HTTP API's request and response shapes, as zod schemas: the handlers validate every
 * body with them, and the OpenAPI description (`GET /openapi.json`) is generated from the
 * same schemas (zod's JSON Schema output), so the document cannot drift from the checks.
 * OpenAPI 3.1 (https://spec.openapis.org/oas/v3.1.0) uses JSON Schema 2020-12 as is.
 */
import { z } from 'zod';
import { MAX_NONCE_BYTES } from '../shared/nonce.js';

/** Largest number of inputs one `POST /v1/prove` may queue. */
export const MAX_INPUTS_PER_REQUEST = 1000;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const nonce = z
  .string()
  .regex(/^(?:[0-9a-f]{2})+$/, 'expected lowercase hex digits, an even number, no 0x')
  .max(2 * MAX_NONCE_BYTES, `expected at most ${2 * MAX_NONCE_BYTES} hex digits`);
/** A nested array of numbers in the model input's shape (the shape is checked against the model). */
const nestedInput = z.array(z.unknown()).min(1).meta({ description: 'nested array of numbers in the model input shape' });

/** `POST /v1/infer`. */
export const inferRequestSchema = z.strictObject({ modelId: hex64, input: nestedInput, nonce: nonce.optional() });
export type InferRequest = z.infer<typeof inferRequestSchema>;

/** `POST /v1/prove`: one `input` or many `inputs`. */
export const proveRequestSchema = z
  .strictObject({
    modelId: hex64,
    input: nestedInput.optional(),
    inputs: z.array(nestedInput).min(1).max(MAX_INPUTS_PER_REQUEST).optional(),
    nonce: nonce.optional(),
  })
  .refine((r) => (r.input === undefined) !== (r.inputs === undefined), { message: 'give exactly one of "input" or "inputs"' });
export type ProveRequest = z.infer<typeof proveRequestSchema>;

/** `POST /v1/verify`. The receipt and policy are checked by the verifier's own schemas. */
export const verifyRequestSchema = z.strictObject({
  receipt: z.record(z.string(), z.unknown()),
  policy: z.record(z.string(), z.unknown()).optional(),
  stakes: z.number().finite().min(0).optional(),
});
export type VerifyRequest = z.infer<typeof verifyRequestSchema>;

/** A job id: SHA-256 over the job's kind, model id, input and nonce. */
export const jobIdSchema = hex64;

const receipt = z.record(z.string(), z.unknown()).meta({ description: 'a zkinfer receipt (format zkinfer.receipt/2)' });
export const errorSchema = z.object({ error: z.string() });
export const inferResponseSchema = z.object({ receipt, jobId: hex64 });
export const proveResponseSchema = z.object({ jobIds: z.array(hex64) });
export const jobResponseSchema = z.object({
  id: hex64,
  state: z.enum(['waiting', 'active', 'completed', 'failed']),
  progress: z.number().min(0).max(100),
  attempts: z.number().int().min(0),
  receipt: receipt.optional(),
  error: z.string().optional(),
});
export type JobResponse = z.infer<typeof jobResponseSchema>;
export const verifyResponseSchema = z.object({ verdict: z.enum(['accepted', 'proof-required', 'rejected']), by: z.array(z.enum(['proof', 'attestation'])), reasons: z.array(z.string()) });
export const modelsResponseSchema = z.object({
  models: z.array(
    z.object({
      modelId: hex64,
      keyId: hex64.nullable(),
      name: z.string().optional(),
      inputShape: z.array(z.number().int()),
      visibility: z.object({ input: z.string(), output: z.string() }),
      provable: z.boolean(),
    }),
  ),
});
export type ModelsResponse = z.infer<typeof modelsResponseSchema>;
export const healthResponseSchema = z.object({ status: z.enum(['ok', 'unavailable']), backend: z.enum(['embedded', 'redis']), error: z.string().optional() });

/**
 * The first problem zod found, as one line naming the field: `modelId: expected 64 lowercase hex digits`.
 */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
  if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}${path ? ` in ${path}` : ''}`;
  return path ? `${path}: ${issue.message}` : issue.message;
}

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

/**
 * The OpenAPI 3.1 description of the API.
 * @param version zkinfer's version, shown as the API's version
 */
export function openApiDocument(version: string): Record<string, unknown> {
  const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: json(schema) } } });
  const ok = (description: string, schema: z.ZodType) => ({ description, content: { 'application/json': { schema: json(schema) } } });
  const err = (description: string) => ok(description, errorSchema);
  const auth = [{ bearer: [] }];
  const common = { '400': err('malformed JSON or a body of the wrong shape'), '413': err('body over the size limit'), '415': err('not application/json') };
  return {
    openapi: '3.1.0',
    info: { title: 'zkinfer', version, description: 'Verifiable inference: TEE-attested answers at once, Groth16 proofs in the background.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: "a token from the server's --tokens file; without --tokens only loopback clients are served" } } },
    paths: {
      '/v1/infer': {
        post: {
          summary: 'run the fast path: the attested receipt at once, and the id of the job proving it',
          security: auth,
          requestBody: body(inferRequestSchema),
          responses: {
            '200': ok('the attested receipt and the proof job', inferResponseSchema),
            ...common,
            '401': err('missing or wrong bearer token'),
            '403': err('not a loopback client (no --tokens)'),
            '404': err('unknown model'),
            '503': err('the job queue is full or unavailable'),
          },
        },
      },
      '/v1/prove': {
        post: {
          summary: 'queue proofs for one input or many; the same model, input and nonce give the same job',
          security: auth,
          requestBody: body(proveRequestSchema),
          responses: {
            '202': ok('the jobs, in the order of the inputs', proveResponseSchema),
            ...common,
            '401': err('missing or wrong bearer token'),
            '403': err('not a loopback client (no --tokens)'),
            '404': err('unknown model'),
            '503': err('the job queue is full or unavailable'),
          },
        },
      },
      '/v1/jobs/{id}': {
        get: {
          summary: "a job's state, and its proven receipt when completed",
          parameters: [{ name: 'id', in: 'path', required: true, schema: json(jobIdSchema) }],
          responses: { '200': ok('the job', jobResponseSchema), '400': err('not a job id'), '404': err('unknown job') },
        },
      },
      '/v1/verify': {
        post: {
          summary: 'verify a receipt under a policy (the default policy when none is given)',
          requestBody: body(verifyRequestSchema),
          responses: { '200': ok('the verdict', verifyResponseSchema), ...common, '404': err('unknown model') },
        },
      },
      '/v1/models': { get: { summary: 'the models served', responses: { '200': ok('model ids, key ids and visibility', modelsResponseSchema) } } },
      '/healthz': { get: { summary: 'liveness and the job backend', responses: { '200': ok('serving', healthResponseSchema), '503': ok('the job backend is unavailable', healthResponseSchema) } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { summary: 'this document', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    },
  };
}
