/**
 * Measures how long AWS Nitro attestation verification takes on the recorded documents
 * (test/fixtures/tee): the median, 10th and 90th percentile of `verifyNitroAttestation`
 * over N runs per document (after a warm-up), and of decoding alone. Prints JSON.
 *
 * Usage: npx tsx scripts/bench-tee.ts [--runs 200]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { decodeNitroAttestation } from '../src/tee/nitro/document.js';
import { verifyNitroAttestation } from '../src/tee/nitro/verify.js';
import { table, writeSection } from './lib/bench-report.js';
import { clearCertificateCache } from '../src/tee/pki/x509-chain.js';
import { clearEcdsaKeyCache } from '../src/tee/pki/ecdsa.js';

const DOCUMENTS = [
  { file: 'nitro-opengradient-2026-02-12.cbor', at: '2026-02-12T19:00:00Z' },
  { file: 'nitro-eu-west-1-2022-11-09.cbor', at: '2022-11-09T23:30:00Z' },
  { file: 'nitro-debug-2024-09-07.b64', at: '2024-09-07T15:00:00Z' },
];

function load(file: string): Uint8Array {
  const raw = readFileSync(new URL(`../test/fixtures/tee/${file}`, import.meta.url));
  return new Uint8Array(file.endsWith('.b64') ? Buffer.from(raw.toString('ascii').trim(), 'base64') : raw);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const summary = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return { medianMs: round(quantile(sorted, 0.5)), p10Ms: round(quantile(sorted, 0.1)), p90Ms: round(quantile(sorted, 0.9)) };
};

async function main(): Promise<void> {
  const runsFlag = process.argv.indexOf('--runs');
  const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 200;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs expects a positive integer, got ${process.argv[runsFlag + 1]}`);
  const results = [];
  for (const { file, at } of DOCUMENTS) {
    const bytes = load(file);
    const options = { at: new Date(at), allowDebug: true };
    for (let i = 0; i < 20; i++) await verifyNitroAttestation(bytes, options);
    const verify: number[] = [];
    const cold: number[] = [];
    const decode: number[] = [];
    for (let i = 0; i < runs; i++) {
      clearCertificateCache();
      clearEcdsaKeyCache();
      let start = performance.now();
      await verifyNitroAttestation(bytes, options);
      cold.push(performance.now() - start);
      start = performance.now();
      await verifyNitroAttestation(bytes, options);
      verify.push(performance.now() - start);
      start = performance.now();
      decodeNitroAttestation(bytes);
      decode.push(performance.now() - start);
    }
    results.push({ file, bytes: bytes.length, runs, verify: summary(verify), cold: summary(cold), decodeOnly: summary(decode) });
  }
  console.log(JSON.stringify({ node: process.version, platform: `${process.platform}-${process.arch}`, documents: results }, null, 2));
  const rows = results.map((r) => [r.file, `${r.verify.medianMs.toFixed(2)} ms (p90 ${r.verify.p90Ms.toFixed(2)})`, `${r.cold.medianMs.toFixed(2)} ms (p90 ${r.cold.p90Ms.toFixed(2)})`, `${r.decodeOnly.medianMs.toFixed(3)} ms`]);
  writeSection('Attestation verification (issue 5)', `Full verification of each recorded AWS Nitro document at its valid time (COSE ES384 signature, chain to the pinned root, validity, policy), ${runs} runs after 20 warm-up runs; target ≤ 10 ms per document. "Warm" reuses the parsed certificates and imported keys of the chain (a bounded memo keyed by the certificate bytes; every check and every signature still runs); "cold" empties those memos before each run.\n\n${table(['document', 'warm median', 'cold median', 'decode only (median)'], rows)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
