/**
 * `zkinfer export <dir> --target solidity|browser --out <dir> [--force]`: writes a verifier
 * that runs without zkinfer (src/export/). `--target calldata --receipt <receipt.json>
 * [--out <file>]` encodes a receipt for the exported contracts after the checks a contract
 * cannot make; a receipt that fails them is refused with the reason `zkinfer verify` gives
 * (exit 1).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EXIT, InvalidArgumentError, VerifyError } from '../../shared/errors.js';
import { OutputExistsError, writeFileAtomicSync } from '../../shared/fs.js';
import { assertNonce } from '../../shared/nonce.js';
import type { ExportTarget } from '../../export/export.js';
import { sanitize } from '../output.js';

/** The export targets (EXPORT_TARGETS in src/export/export.ts, checked by a test), listed here so --help loads no export code. */
const TARGETS = ['solidity', 'browser', 'calldata'] as const;

/** Registers the export command. */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export a verifier that runs without zkinfer: a Solidity contract and registry, or a browser page; or encode a receipt as calldata')
    .argument('<dir>', 'artifacts folder written by compile')
    .requiredOption('--target <target>', `${TARGETS.join(', ')}`)
    .option('--out <path>', 'folder to write (solidity, browser); file for calldata (default: stdout)')
    .option('--receipt <receipt.json>', 'the receipt to encode (calldata)')
    .option('--nonce <hex>', 'calldata: the nonce the receipt must carry')
    .option('--max-age <s>', 'calldata: the oldest receipt accepted, in seconds')
    .option('--force', 'replace an existing output')
    .option('--json', 'print a JSON summary')
    .action(async (dir: string, opts) => {
      if (!(TARGETS as readonly string[]).includes(opts.target)) throw new InvalidArgumentError(`expected --target to be ${TARGETS.join(', ')}, got ${JSON.stringify(opts.target)}`);
      if (opts.target === 'calldata') return calldata(dir, opts);
      if (!opts.out) throw new InvalidArgumentError(`--target ${opts.target} needs --out <dir>`);
      if (opts.receipt !== undefined) throw new InvalidArgumentError('--receipt is for --target calldata');
      const t0 = performance.now();
      const { exportVerifier } = await import('../../export/export.js');
      const result = await exportVerifier(dir, { target: opts.target as ExportTarget, outDir: opts.out, force: Boolean(opts.force) });
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else
        process.stdout.write(
          `exported the ${result.target} verifier of model ${result.modelId.slice(0, 16)}… (key ${result.keyId.slice(0, 16)}…) → ${sanitize(result.outDir)} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n  ${result.files.join('\n  ')}\n`,
        );
    });
}

async function calldata(dir: string, opts: { receipt?: string; out?: string; nonce?: string; maxAge?: string; force?: boolean }): Promise<void> {
  if (!opts.receipt) throw new InvalidArgumentError('--target calldata needs --receipt <receipt.json>');
  if (opts.nonce !== undefined) assertNonce(opts.nonce, '--nonce');
  const maxAgeSeconds = opts.maxAge === undefined ? undefined : Number(opts.maxAge);
  if (maxAgeSeconds !== undefined && !(Number.isFinite(maxAgeSeconds) && maxAgeSeconds > 0))
    throw new InvalidArgumentError(`expected --max-age to be a positive number of seconds, got ${JSON.stringify(opts.maxAge)}`);
  const { loadExportKey } = await import('../../export/export.js');
  const { callArgsJson, encodeReceiptForChain } = await import('../../export/solidity/calldata.js');
  const key = loadExportKey(dir);
  const text = readFileSync(opts.receipt, 'utf8');
  const encoded = encodeReceiptForChain(text, key.manifest, { nonce: opts.nonce, maxAgeSeconds });
  if (!encoded.ok) throw new VerifyError(`${opts.receipt}: ${encoded.reason}`, { exitCode: EXIT.failed });
  const out = `${JSON.stringify({ verifyReceipt: encoded.verifyCalldata, submit: encoded.submitCalldata, receipt: callArgsJson(encoded.args) }, null, 2)}\n`;
  if (opts.out) {
    try {
      writeFileAtomicSync(opts.out, out, { overwrite: Boolean(opts.force) });
    } catch (e) {
      if (e instanceof OutputExistsError) throw new InvalidArgumentError(`${opts.out}: already exists; pass --force to overwrite it`, { cause: e });
      throw e;
    }
    process.stderr.write(`encoded ${sanitize(opts.receipt)} → ${sanitize(opts.out)}\n`);
  } else process.stdout.write(out);
}
