/** `zkinfer verify <receipt.json|outdir>... --artifacts <dir> [--json]`: exit 0 iff every receipt is valid. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../shared/errors.js';
import { releaseCurve } from '../../shared/curve.js';
import { loadVerifierKey, verifyProof } from '../../verify/verify.js';

/** Expands folders into the receipt files they hold (every *.json). */
export function receiptPaths(targets: string[]): string[] {
  const out: string[] = [];
  for (const t of targets) {
    let isDir = false;
    try {
      isDir = statSync(t).isDirectory();
    } catch {
      out.push(t); // reported as unreadable by the verifier
      continue;
    }
    if (isDir) {
      out.push(...readdirSync(t).filter((f) => f.endsWith('.json')).sort().map((f) => join(t, f)));
    } else out.push(t);
  }
  return out;
}

/** Registers the verify command. */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('verify receipts (files or folders of receipts); exit 0 only if all are valid')
    .argument('<receipts...>', 'receipt files or folders')
    .option('--artifacts <dir>', 'the compiled model folder (manifest and verification key)')
    .option('--json', 'print results as JSON')
    .action(async (targets: string[], opts) => {
      if (!opts.artifacts) throw new InvalidArgumentError('verify needs --artifacts <dir>: the folder holding manifest.json and the verification key');
      const key = loadVerifierKey(opts.artifacts);
      const paths = receiptPaths(targets);
      if (paths.length === 0) throw new InvalidArgumentError(`no receipts found in ${targets.join(', ')}`);
      const results: { file: string; valid: boolean; reason?: string; output?: number[] }[] = [];
      try {
        for (const file of paths) {
          let text: string;
          try {
            text = readFileSync(file, 'utf8');
          } catch (e) {
            results.push({ file, valid: false, reason: `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
            continue;
          }
          const verdict = await verifyProof(text, key);
          results.push({ file, valid: verdict.valid, reason: verdict.reason, output: verdict.receipt?.output.values });
        }
      } finally {
        await releaseCurve();
      }
      const failed = results.filter((r) => !r.valid);
      if (opts.json) process.stdout.write(`${JSON.stringify({ valid: failed.length === 0, total: results.length, failed: failed.length, results }, null, 2)}\n`);
      else {
        for (const r of results) {
          if (r.valid) process.stdout.write(`valid    ${r.file}\n`);
          else process.stderr.write(`invalid  ${r.file}: ${r.reason}\n`);
        }
        if (results.length > 1) process.stdout.write(`${results.length - failed.length} of ${results.length} receipts valid\n`);
      }
      if (failed.length > 0) process.exitCode = 1;
    });
}
