/**
 * `zkinfer verify <receipt.json|outdir>... --artifacts <dir> [--key-id hex] [--nonce hex]
 * [--max-age s] [--json]`: exit 0 iff every receipt's proof is valid, 1 if any is invalid, 2
 * for a usage or I/O error (an unreadable receipt among them). With `--policy <file>
 * [--stakes n] [--at ISO]`, each receipt is evaluated under the policy instead
 * (src/verify/policy.ts) and the command exits 0 iff every one is accepted. Every run says
 * which key it trusted and where that key came from.
 *
 * Shape: options are checked, then each file gives one result (`checkFile`), then the
 * results are reported (`report`); new outputs or a parallel loop fit in those steps.
 * The verifier's modules are imported when the command runs, so `--help` stays fast.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EXIT, InvalidArgumentError, VerifyError } from '../../shared/errors.js';
import { assertNonce } from '../../shared/nonce.js';
import { releaseCurve } from '../../shared/curve.js';
import { writeFileAtomicSync } from '../../shared/fs.js';
import type { VerifierKey, VerifyOptions } from '../../verify/verify.js';
import type { EvaluateOptions, Policy, PolicyVerdict } from '../../verify/policy.js';
import { describeKey } from '../../verify/key-origin.js';
import { readSharedProofBeside } from '../../verify/shared-file.js';
import { sanitize } from '../output.js';

// The verifier (snarkjs, zod, piscina) is imported when the command runs: see loadVerifier.
let listReceiptFiles: typeof import('../../verify/many.js').listReceiptFiles;
let verifyMany: typeof import('../../verify/many.js').verifyMany;
let junitReport: typeof import('../../verify/junit.js').junitReport;
let loadVerifierKey: typeof import('../../verify/verify.js').loadVerifierKey;
let parseReceipt: typeof import('../../verify/verify.js').parseReceipt;
let evaluateReceipt: typeof import('../../verify/policy.js').evaluateReceipt;
let loadPolicy: typeof import('../../verify/policy.js').loadPolicy;
let loadPolicyKey: typeof import('../../verify/policy.js').loadPolicyKey;

/** Imports the verifier's modules; the policy's (attestation checkers) only when a policy is given. */
async function loadVerifier(withPolicy: boolean): Promise<void> {
  const [many, junit, verify] = await Promise.all([import('../../verify/many.js'), import('../../verify/junit.js'), import('../../verify/verify.js')]);
  ({ listReceiptFiles, verifyMany } = many);
  ({ junitReport } = junit);
  ({ loadVerifierKey, parseReceipt } = verify);
  if (withPolicy) ({ evaluateReceipt, loadPolicy, loadPolicyKey } = await import('../../verify/policy.js'));
}

/** How receipts are checked: their proof alone, or a policy; and what the caller expects of them. */
type Mode = ({ kind: 'proof'; key: VerifierKey } | { kind: 'policy'; key: EvaluateOptions['key']; policy: Policy; stakes?: number }) & { expect: VerifyOptions };

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
  /** The file could not be read (an I/O error, exit 2). */
  unreadable?: boolean;
}

/** Evaluates one receipt file under a policy; a receipt never aborts the run, whatever it holds. */
async function checkFile(file: string, mode: Extract<Mode, { kind: 'policy' }>): Promise<FileResult> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
    return { file, ok: false, reason, unreadable: true, verdict: { verdict: 'rejected', by: [], reasons: [reason] } };
  }
  const parsed = parseReceipt(text);
  // A sealed receipt (encrypted TEE path) holds commitments, no values: the policy decides it by attestation only.
  const receipt = parsed.receipt ?? parsed.sealed;
  if (!receipt) return { file, ok: false, reason: parsed.reason, verdict: { verdict: 'rejected', by: [], reasons: [parsed.reason!] } };
  try {
    const { expect } = mode;
    const verdict = await evaluateReceipt(receipt, {
      key: mode.key,
      policy: mode.policy,
      stakes: mode.stakes,
      now: expect.now,
      expect,
      sharedProof: readSharedProofBeside(file, parsed.receipt?.sharedProof),
    });
    return { file, ok: verdict.verdict === 'accepted', ...(parsed.receipt && 'values' in parsed.receipt.output ? { output: parsed.receipt.output.values } : {}), verdict };
  } catch (e) {
    const reason = `cannot be evaluated: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`;
    return { file, ok: false, reason, verdict: { verdict: 'rejected', by: [], reasons: [reason] } };
  }
}

/** The key line every run prints: which key was trusted, where it came from, whether it was pinned. */
function keySummary(mode: Mode): { id: string | null; setup: string; localSingleParty: boolean; pinned: boolean; line: string } {
  const manifest = mode.key.manifest;
  const pinned = (mode.expect.keyIds?.length ?? 0) > 0 || (mode.kind === 'policy' && mode.policy.trustedKeyIds.length > 0);
  const local = manifest.setup?.localSingleParty === true;
  const line = `${describeKey(manifest)}; ${pinned ? 'pinned' : 'not pinned: pass --key-id <id> received through a trusted channel'}`;
  return { id: manifest.keyId, setup: manifest.setup ? (local ? 'local-single-party' : (manifest.setup.ptau?.origin ?? 'none')) : 'none', localSingleParty: local, pinned, line };
}

function report(results: FileResult[], mode: Mode, json: boolean): void {
  const failed = results.filter((r) => !r.ok);
  const key = keySummary(mode);
  const { line: keyLine, ...keyJson } = key;
  if (!json) process.stderr.write(`key      ${sanitize(keyLine)}\n`);
  if (mode.kind === 'policy') {
    if (json) {
      const rows = results.map((r) => ({ file: r.file, ...r.verdict! }));
      process.stdout.write(`${JSON.stringify({ accepted: failed.length === 0, total: results.length, notAccepted: failed.length, key: keyJson, results: rows }, null, 2)}\n`);
      return;
    }
    for (const r of results) {
      const v = r.verdict!;
      process.stdout.write(`${v.verdict.padEnd(15)} ${sanitize(r.file)}${v.by.length > 0 ? ` (by ${v.by.join(' and ')})` : ''}\n${v.reasons.map((line) => `  - ${sanitize(line)}\n`).join('')}`);
    }
    if (results.length > 1) process.stdout.write(`${results.length - failed.length} of ${results.length} receipts accepted\n`);
    return;
  }
  if (json) {
    const rows = results.map(({ file, ok, reason, output }) => ({ file, valid: ok, reason, output }));
    process.stdout.write(`${JSON.stringify({ valid: failed.length === 0, total: results.length, failed: failed.length, key: keyJson, results: rows }, null, 2)}\n`);
    return;
  }
  for (const r of results) {
    if (r.ok) process.stdout.write(`valid    ${sanitize(r.file)}\n`);
    else process.stderr.write(`invalid  ${sanitize(r.file)}: ${sanitize(r.reason ?? 'invalid')}\n`);
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
    const summary = await verifyMany(paths, mode.key, { ...mode.expect, concurrency });
    return summary.results.map((r) => ({ file: r.file, ok: r.valid, reason: r.reason, output: r.output, ms: r.ms, unreadable: r.reason?.startsWith('cannot read (') }));
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

function parseMaxAge(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected --max-age to be a positive number of seconds, got "${value}"`);
  return n;
}

function parseKeyIds(values: string[] | undefined): string[] | undefined {
  for (const v of values ?? [])
    if (!/^[0-9a-f]{64}$/.test(v)) throw new InvalidArgumentError(`expected --key-id to be 64 lowercase hex digits (the key id from the model's publisher), got ${JSON.stringify(v)}`);
  return values;
}

function parseWeightsCommitments(values: string[] | undefined): string[] | undefined {
  for (const v of values ?? [])
    if (!/^(0|[1-9][0-9]{0,79})$/.test(v))
      throw new InvalidArgumentError(`expected --weights-commitment to be a decimal field element (the model owner's weight commitment), got ${JSON.stringify(v)}`);
  return values;
}

function modeOf(opts: { artifacts: string; policy?: string; stakes?: string; at?: string; nonce?: string; maxAge?: string; keyId?: string[]; weightsCommitment?: string[] }): Mode {
  if (opts.nonce !== undefined) assertNonce(opts.nonce, '--nonce');
  const expect: VerifyOptions = {
    nonce: opts.nonce,
    maxAgeSeconds: parseMaxAge(opts.maxAge),
    keyIds: parseKeyIds(opts.keyId),
    now: parseAt(opts.at),
    weightsCommitments: parseWeightsCommitments(opts.weightsCommitment),
  };
  if (!opts.policy) {
    if (opts.stakes !== undefined) throw new InvalidArgumentError('--stakes applies to a policy: give --policy <file>');
    return { kind: 'proof', key: loadVerifierKey(opts.artifacts), expect };
  }
  return { kind: 'policy', key: loadPolicyKey(opts.artifacts), policy: loadPolicy(opts.policy), stakes: parseStakes(opts.stakes), expect };
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Registers the verify command. */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('verify receipts (files or folders of receipts); exit 0 only if all are valid (or, with --policy, accepted)')
    .argument('<receipts...>', 'receipt files or folders')
    .option('--artifacts <dir>', 'the compiled model folder (manifest and verification key)')
    .option('--policy <policy.json>', 'evaluate each receipt under this policy: accepted, proof-required or rejected')
    .option('--key-id <hex>', 'trust only this verification key id (repeatable); get it from the model publisher through a trusted channel', collect)
    .option('--weights-commitment <decimal>', 'a model with private weights: trust only this weight commitment (repeatable); get it from the model owner through a trusted channel', collect)
    .option('--nonce <hex>', 'the nonce every receipt must carry (your challenge)')
    .option('--max-age <seconds>', 'refuse receipts created longer ago than this')
    .option('--stakes <n>', 'the request stakes, compared with the policy stakesThreshold (default 0)')
    .option('--at <time>', 'ISO 8601 time of evaluation, for --max-age and attestation age (default: now)')
    .option('--json', 'print results as JSON')
    .option('--junit <file>', 'also write a JUnit XML report of the results (for CI)')
    .option('--concurrency <n>', 'verifier threads (default: one per core; 1 = this thread)')
    .action(async (targets: string[], opts) => {
      if (!opts.artifacts) throw new InvalidArgumentError('verify needs --artifacts <dir>: the folder holding manifest.json and the verification key');
      const concurrency = parseConcurrency(opts.concurrency);
      await loadVerifier(Boolean(opts.policy));
      const mode = modeOf(opts);
      const paths = listReceiptFiles(targets);
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
      if (results.some((r) => r.unreadable)) process.exitCode = EXIT.usage;
      else if (results.some((r) => !r.ok)) process.exitCode = EXIT.failed;
    });
}
