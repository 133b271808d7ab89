/**
 * `zkinfer verify <receipt.json|outdir>... --artifacts <dir> [--json]`: exit 0 iff every receipt's proof is valid.
 * With `--policy <file> [--stakes n] [--at ISO]`, each receipt is evaluated under the
 * policy instead (src/verify/policy.ts) and the command exits 0 iff every one is accepted.
 *
 * Shape: options are checked, then each file gives one result (`checkFile`), then the
 * results are reported (`report`); new outputs or a parallel loop fit in those steps.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError, VerifyError } from '../../shared/errors.js';
import { releaseCurve } from '../../shared/curve.js';
import { writeFileAtomicSync } from '../../shared/fs.js';
import { listReceiptFiles, verifyMany } from '../../verify/many.js';
import { junitReport } from '../../verify/junit.js';
import { loadVerifierKey, parseReceipt, verifyProof, type VerifierKey } from '../../verify/verify.js';
import { evaluateReceipt, loadPolicy, loadPolicyKey, type EvaluateOptions, type Policy, type PolicyVerdict } from '../../verify/policy.js';

/** Expands folders into the receipt files they hold (every *.json but a batch's failures file). */
export function receiptPaths(targets: string[]): string[] {
  return listReceiptFiles(targets);
}

/** How receipts are checked: their proof alone, or a policy. */
type Mode = { kind: 'proof'; key: VerifierKey } | { kind: 'policy'; key: EvaluateOptions['key']; policy: Policy; stakes?: number; now?: Date };

/** One receipt's outcome. */
interface FileResult {
  file: string;
  /** Proof mode: valid; policy mode: accepted. */
  ok: boolean;
  reason?: string;
  output?: number[];
  verdict?: PolicyVerdict;
  /** Time to check it, in ms (for --junit). */
  ms?: number;
}

async function checkFile(file: string, mode: Mode): Promise<FileResult> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
    return { file, ok: false, reason, verdict: { verdict: 'rejected', by: [], reasons: [reason] } };
  }
  if (mode.kind === 'proof') {
    const v = await verifyProof(text, mode.key);
    return { file, ok: v.valid, reason: v.reason, output: v.receipt?.output.values };
  }
  const parsed = parseReceipt(text);
  if (!parsed.receipt) return { file, ok: false, reason: parsed.reason, verdict: { verdict: 'rejected', by: [], reasons: [parsed.reason!] } };
  const verdict = await evaluateReceipt(parsed.receipt, { key: mode.key, policy: mode.policy, stakes: mode.stakes, now: mode.now });
  return { file, ok: verdict.verdict === 'accepted', output: parsed.receipt.output.values, verdict };
}

function report(results: FileResult[], mode: Mode, json: boolean): void {
  const failed = results.filter((r) => !r.ok);
  if (mode.kind === 'policy') {
    if (json) {
      const rows = results.map((r) => ({ file: r.file, ...r.verdict! }));
      process.stdout.write(`${JSON.stringify({ accepted: failed.length === 0, total: results.length, notAccepted: failed.length, results: rows }, null, 2)}\n`);
      return;
    }
    for (const r of results) {
      const v = r.verdict!;
      process.stdout.write(`${v.verdict.padEnd(15)} ${r.file}${v.by.length > 0 ? ` (by ${v.by.join(' and ')})` : ''}\n${v.reasons.map((line) => `  - ${line}\n`).join('')}`);
    }
    if (results.length > 1) process.stdout.write(`${results.length - failed.length} of ${results.length} receipts accepted\n`);
    return;
  }
  if (json) {
    const rows = results.map(({ file, ok, reason, output }) => ({ file, valid: ok, reason, output }));
    process.stdout.write(`${JSON.stringify({ valid: failed.length === 0, total: results.length, failed: failed.length, results: rows }, null, 2)}\n`);
    return;
  }
  for (const r of results) {
    if (r.ok) process.stdout.write(`valid    ${r.file}\n`);
    else process.stderr.write(`invalid  ${r.file}: ${r.reason}\n`);
  }
  if (results.length > 1) process.stdout.write(`${results.length - failed.length} of ${results.length} receipts valid\n`);
}

function parseStakes(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const stakes = Number(value);
  if (value.trim() === '' || !Number.isFinite(stakes) || stakes < 0) throw new InvalidArgumentError(`expected --stakes to be a non-negative number, got "${value}"`);
  return stakes;
}

function parseAt(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) throw new InvalidArgumentError(`--at expects an ISO 8601 time, got "${value}"`);
  return at;
}

function parseConcurrency(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected --concurrency to be a positive integer, got ${value}`);
  return n;
}

/** Checks every file: in parallel for proofs (verifyMany), one by one under a policy. */
async function checkAll(paths: string[], mode: Mode, concurrency: number | undefined): Promise<FileResult[]> {
  if (mode.kind === 'proof') {
    const summary = await verifyMany(paths, mode.key, { concurrency });
    return summary.results.map((r) => ({ file: r.file, ok: r.valid, reason: r.reason, output: r.output, ms: r.ms }));
  }
  const results: FileResult[] = [];
  for (const file of paths) {
    const t0 = performance.now();
    results.push({ ...(await checkFile(file, mode)), ms: performance.now() - t0 });
  }
  return results;
}

function writeJunit(path: string, results: FileResult[], mode: Mode, seconds: number): void {
  const rows = results.map((r) => ({ file: r.file, valid: r.ok, reason: r.reason ?? r.verdict?.reasons.join('; '), ms: r.ms ?? 0 }));
  try {
    writeFileAtomicSync(path, junitReport(rows, { seconds, suiteName: mode.kind === 'policy' ? 'zkinfer verify --policy' : 'zkinfer verify' }));
  } catch (cause) {
    throw new VerifyError(`${path}: cannot write the JUnit report (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
}

function modeOf(opts: { artifacts: string; policy?: string; stakes?: string; at?: string }): Mode {
  if (!opts.policy) {
    if (opts.stakes !== undefined || opts.at !== undefined) throw new InvalidArgumentError('--stakes and --at apply to a policy: give --policy <file>');
    return { kind: 'proof', key: loadVerifierKey(opts.artifacts) };
  }
  const stakes = parseStakes(opts.stakes);
  const now = parseAt(opts.at);
  return { kind: 'policy', key: loadPolicyKey(opts.artifacts), policy: loadPolicy(opts.policy), stakes, now };
}

/** Registers the verify command. */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('verify receipts (files or folders of receipts); exit 0 only if all are valid (or, with --policy, accepted)')
    .argument('<receipts...>', 'receipt files or folders')
    .option('--artifacts <dir>', 'the compiled model folder (manifest and verification key)')
    .option('--policy <policy.json>', 'evaluate each receipt under this policy: accepted, proof-required or rejected')
    .option('--stakes <n>', 'the request stakes, compared with the policy stakesThreshold (default 0)')
    .option('--at <time>', 'ISO 8601 time of evaluation for attestation age (default: now)')
    .option('--json', 'print results as JSON')
    .option('--junit <file>', 'also write a JUnit XML report of the results (for CI)')
    .option('--concurrency <n>', 'verifier threads (default: one per core; 1 = this thread)')
    .action(async (targets: string[], opts) => {
      if (!opts.artifacts) throw new InvalidArgumentError('verify needs --artifacts <dir>: the folder holding manifest.json and the verification key');
      const concurrency = parseConcurrency(opts.concurrency);
      const mode = modeOf(opts);
      const paths = receiptPaths(targets);
      if (paths.length === 0) throw new InvalidArgumentError(`no receipts found in ${targets.join(', ')}`);
      const t0 = performance.now();
      let results: FileResult[];
      try {
        results = await checkAll(paths, mode, concurrency);
      } finally {
        await releaseCurve();
      }
      if (opts.junit) writeJunit(opts.junit, results, mode, (performance.now() - t0) / 1000);
      report(results, mode, Boolean(opts.json));
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    });
}
