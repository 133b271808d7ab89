/**
 * Measures how long Intel TDX quote verification takes on the recorded quote and collateral
 * (test/fixtures/tee/tdx) at 2025-07-01: `verifyTdxQuote` over N runs after a warm-up,
 * "warm" (the decoded collateral, parsed certificates and imported keys memoised; every
 * check and signature still runs) and "cold" (those memos emptied before each run), and the
 * first call in a fresh process. Prints JSON; writes nothing.
 *
 * Usage: npx tsx scripts/bench-tdx.ts [--runs 200]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clearEcdsaKeyCache } from '../src/tee/pki/ecdsa.js';
import { clearCertificateCache } from '../src/tee/pki/x509-chain.js';
import { clearCollateralCache } from '../src/tee/tdx/collateral.js';
import { verifyTdxQuote } from '../src/tee/tdx/verify.js';
import { machineLine, median, quantile } from './lib/bench-report.js';
import { intFlag } from './lib/args.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../test/fixtures/tee/tdx/${name}`, import.meta.url)));

async function main(): Promise<void> {
  const runs = intFlag('--runs', 200);
  const quote = fixture('tdx_quote');
  const options = { collateral: fixture('tdx_quote_collateral.json'), at: new Date('2025-07-01T00:00:00Z') };
  let start = performance.now();
  await verifyTdxQuote(quote, options);
  const firstMs = performance.now() - start;
  for (let i = 0; i < 20; i++) await verifyTdxQuote(quote, options);
  const warm: number[] = [];
  const cold: number[] = [];
  for (let i = 0; i < runs; i++) {
    clearCollateralCache();
    clearCertificateCache();
    clearEcdsaKeyCache();
    start = performance.now();
    await verifyTdxQuote(quote, options);
    cold.push(performance.now() - start);
    start = performance.now();
    await verifyTdxQuote(quote, options);
    warm.push(performance.now() - start);
  }
  const stats = (xs: number[]) => ({ medianMs: +median(xs).toFixed(3), p10Ms: +quantile(xs, 0.1).toFixed(3), p90Ms: +quantile(xs, 0.9).toFixed(3) });
  console.log(JSON.stringify({ machine: machineLine(), runs, firstCallMs: +firstMs.toFixed(1), warm: stats(warm), cold: stats(cold) }, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
