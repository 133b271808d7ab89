/**
 * Measures the TEE fast path on the Fashion-MNIST example (examples/fashion-mnist, a
 * 784-128-10 MLP) in a warm process: the median, 10th and 90th percentile time of one
 * `inferAttested` request with the dev provider (quantize input, onnxruntime, receipt and
 * digest, Ed25519 attestation), of the inference alone (`runTee`), of the dev attestation
 * alone and of its verification; plus the cold start (session creation and first request).
 * Compiles the model once, without setup, into a temporary folder (kept for re-runs).
 * Prints JSON. Target: ≤ 20 ms median per request.
 *
 * Last run (Node 20.20, linux-x64, AMD EPYC, 300 runs): request median 1.27 ms (p90 5.6),
 * of which onnxruntime inference 0.31 ms and dev attestation 0.83 ms; runTee alone 0.22 ms;
 * dev attest 0.68 ms, dev verify 1.84 ms; cold start (session + first request) 111 ms;
 * compile without setup 18.7 s (once).
 *
 * Usage: npx tsx scripts/bench-tee-path.ts [--runs 300] [--out /tmp/zkinfer-bench-tee-path]
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { compileModel } from '../src/compile/compile.js';
import { readManifest } from '../src/shared/manifest.js';
import { sha256File } from '../src/shared/hash.js';
import { readInputLines } from '../src/shared/input.js';
import { closeTeeArtifacts, inferAttested, loadTeeArtifacts, runTee } from '../src/tee/infer.js';
import { createDevProvider, verifyDevAttestation } from '../src/tee/dev/dev.js';
import { table, writeSection } from './lib/bench-report.js';
import { flag } from './lib/args.js';
import { summary } from './lib/stats.js';

const EXAMPLE = new URL('../examples/fashion-mnist/', import.meta.url).pathname;

const round = (ms: number) => Math.round(ms * 1000) / 1000;

async function timeEach(runs: number, f: (i: number) => Promise<unknown> | unknown): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f(i);
    times.push(performance.now() - t0);
  }
  return times;
}

async function main(): Promise<void> {
  const runs = Number(flag('--runs', '300'));
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs expects a positive integer, got ${flag('--runs', '')}`);
  const dir = flag('--out', '/tmp/zkinfer-bench-tee-path');
  const onnx = join(EXAMPLE, 'model.onnx');

  let compileSeconds: number | undefined;
  const fresh = existsSync(join(dir, 'manifest.json')) && readManifest(dir).files.onnx?.sha256 === sha256File(onnx);
  if (!fresh) {
    const t0 = performance.now();
    await compileModel(onnx, { outDir: dir, calibrationPath: join(EXAMPLE, 'calibration.jsonl'), skipSetup: true });
    compileSeconds = Math.round((performance.now() - t0) / 100) / 10;
  }

  const coldStart = performance.now();
  const artifacts = loadTeeArtifacts(dir);
  const { records } = readInputLines(join(EXAMPLE, 'inputs.jsonl'), artifacts.model.input.shape);
  const inputs = records.map((r) => r.values);
  const provider = createDevProvider({ ephemeral: true });
  const first = await inferAttested(artifacts, inputs[0]!, { provider });
  const coldMs = performance.now() - coldStart;

  for (let i = 0; i < 30; i++) await inferAttested(artifacts, inputs[i % inputs.length]!, { provider });
  const inner = { inferMs: [] as number[], attestMs: [] as number[] };
  const request = await timeEach(runs, async (i) => {
    const { timings } = await inferAttested(artifacts, inputs[i % inputs.length]!, { provider });
    inner.inferMs.push(timings.inferMs);
    inner.attestMs.push(timings.attestMs);
  });
  const inferOnly = await timeEach(runs, (i) => runTee(artifacts, inputs[i % inputs.length]!));
  const userData = randomBytes(32);
  const nonce = randomBytes(16);
  const doc = await provider.attest({ userData, nonce });
  const attest = await timeEach(runs, () => provider.attest({ userData, nonce }));
  const verify = await timeEach(runs, () => verifyDevAttestation(doc, { expectedUserData: userData.toString('hex'), expectedNonce: nonce.toString('hex') }));

  const argmax = (v: number[]) => v.indexOf(Math.max(...v));
  let correct = 0;
  for (const [i, record] of records.entries()) {
    const { output } = await runTee(artifacts, inputs[i]!);
    if (argmax(output.values) === record.label) correct++;
  }
  await closeTeeArtifacts(artifacts);

  console.log(
    JSON.stringify(
      {
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        cpu: cpus()[0]?.model,
        model: 'examples/fashion-mnist/model.onnx (784-128-10 MLP)',
        artifacts: dir,
        compileSeconds: compileSeconds ?? 'reused',
        coldStartMs: round(coldMs),
        firstReceiptTimings: first.timings,
        request: summary(request),
        requestParts: { inferMs: summary(inner.inferMs), attestMs: summary(inner.attestMs) },
        inferOnly: summary(inferOnly),
        devAttest: summary(attest),
        devVerify: summary(verify),
        sampleAccuracy: `${correct}/${inputs.length} of examples/fashion-mnist/inputs.jsonl`,
        targetMedianMs: 20,
      },
      null,
      2,
    ),
  );
  const ms = (x: { medianMs: number; p90Ms: number }) => `${x.medianMs.toFixed(2)} ms (p90 ${x.p90Ms.toFixed(2)} ms)`;
  const requestSummary = summary(request);
  writeSection(
    'TEE fast path (issue 5)',
    `examples/fashion-mnist (784-128-10 MLP) in onnxruntime-node, one warm process, ${requestSummary.runs} requests; target ≤ 20 ms per request.\n\n` +
      table(
        ['measure', 'median (p90)'],
        [
          ['`inferAttested` request (quantize input, onnxruntime, receipt, dev attestation)', ms(requestSummary)],
          ['of which onnxruntime inference', ms(summary(inner.inferMs))],
          ['of which dev attestation', ms(summary(inner.attestMs))],
          ['dev attestation verification', ms(summary(verify))],
          ['cold start (session + first request)', `${round(coldMs)} ms`],
        ],
      ),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
