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
import { intFlag } from './lib/args.js';
import { summary as summaryOf } from './lib/stats.js';

const DOCUMENTS = [
  { file: 'nitro-opengradient-2026-02-12.cbor', at: '2026-02-12T19:00:00Z' },
  { file: 'nitro-eu-west-1-2022-11-09.cbor', at: '2022-11-09T23:30:00Z' },
  { file: 'nitro-debug-2024-09-07.b64', at: '2024-09-07T15:00:00Z' },
];

function load(file: string): Uint8Array {
  const raw = readFileSync(new URL(`../test/fixtures/tee/${file}`, import.meta.url));
  return new Uint8Array(file.endsWith('.b64') ? Buffer.from(raw.toString('ascii').trim(), 'base64') : raw);
}

const summary = (times: number[]) => {
  const { medianMs, p10Ms, p90Ms } = summaryOf(times);
  return { medianMs, p10Ms, p90Ms };
};

async function main(): Promise<void> {
  const runs = intFlag('--runs', 200);
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
  const rows = results.map((r) => [
    r.file,
    `${r.verify.medianMs.toFixed(2)} ms (p90 ${r.verify.p90Ms.toFixed(2)})`,
    `${r.cold.medianMs.toFixed(2)} ms (p90 ${r.cold.p90Ms.toFixed(2)})`,
    `${r.decodeOnly.medianMs.toFixed(3)} ms`,
  ]);
  writeSection(
    'Attestation verification (issue 5)',
    `Full verification of each recorded AWS Nitro document at its valid time (COSE ES384 signature, chain to the pinned root, validity, policy), ${runs} runs after 20 warm-up runs; target ≤ 10 ms per document. "Warm" reuses the parsed certificates and imported keys of the chain (a bounded memo keyed by the certificate bytes; every check and every signature still runs); "cold" empties those memos before each run.\n\n${table(['document', 'warm median', 'cold median', 'decode only (median)'], rows)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
