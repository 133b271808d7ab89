/**
 * `zkinfer open <receipt.json> --opening <file> --artifacts <dir> [--json]`: checks a
 * disclosure, as an auditor does when a data owner shows which input (or output) a hashed
 * receipt was made for. The receipt's proof is verified against the artifacts, then the
 * opening (values and salts) is checked against the receipt's commitments and the declared
 * ranges (src/shared/opening.ts). Exit 0 when both hold, 1 when either fails, 2 for usage
 * and I/O errors.
 */
import { readFileSync } from 'node:fs';
import { readSharedProofBeside } from '../../verify/shared-file.js';
import type { Command } from 'commander';
import { EXIT, InvalidArgumentError } from '../../shared/errors.js';

/** Registers the open command. */
export function registerOpenCommand(program: Command): void {
  program
    .command('open')
    .description("check a disclosure: an opening (values and salt) against a hashed receipt's commitments, and the receipt's proof")
    .argument('<receipt>', 'a receipt with a hashed input or output')
    .requiredOption('--opening <file>', 'the opening written beside the receipt by prove (<name>.opening.json)')
    .option('--artifacts <dir>', "the model's artifacts folder (manifest and verification key)")
    .option('--key-id <hex...>', 'trusted key ids (pinned through a trusted channel)')
    .option('--json', 'print a JSON report')
    .action(async (receiptPath: string, opts) => {
      if (!opts.artifacts) throw new InvalidArgumentError('open needs --artifacts <dir>: the folder holding manifest.json and the verification key');
      const read = (path: string, what: string) => {
        try {
          return readFileSync(path, 'utf8');
        } catch (cause) {
          throw new InvalidArgumentError(`${path}: cannot read ${what} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
        }
      };
      const receiptText = read(receiptPath, 'the receipt');
      const openingText = read(opts.opening, 'the opening');
      const [{ loadVerifierKey, verifyProof, parseReceipt }, { checkOpening, parseOpening }] = await Promise.all([import('../../verify/verify.js'), import('../../shared/opening.js')]);
      const key = loadVerifierKey(opts.artifacts);
      const parsed = parseReceipt(receiptText);
      const { opening, reason: openingProblem } = parseOpening(openingText);
      let verdict: { valid: boolean; reason?: string; disclosed?: { input?: number[]; output?: number[] } };
      let proof: { valid: boolean; reason?: string } = { valid: false, reason: parsed.reason };
      if (!parsed.receipt) verdict = { valid: false, reason: `${receiptPath}: ${parsed.reason}` };
      else {
        // one receipt in a fresh process: @noble/curves' pairing, no snarkjs curve (and its threads) to build
        proof = await verifyProof(parsed.receipt, key, { keyIds: opts.keyId, engine: 'noble' }, readSharedProofBeside(receiptPath, parsed.receipt.sharedProof));
        if (!opening) verdict = { valid: false, reason: `${opts.opening}: ${openingProblem}` };
        else if (!proof.valid) verdict = { valid: false, reason: `${receiptPath}: the receipt does not verify: ${proof.reason}` };
        else {
          const v = await checkOpening(parsed.receipt, opening, key.manifest.io);
          verdict = v.valid ? v : { valid: false, reason: `${opts.opening}: ${v.reason}` };
        }
      }
      if (opts.json)
        process.stdout.write(
          `${JSON.stringify({ receipt: receiptPath, opening: opts.opening, valid: verdict.valid, reason: verdict.reason, proofValid: proof.valid, disclosed: verdict.disclosed })}\n`,
        );
      else if (verdict.valid) {
        const parts = Object.entries(verdict.disclosed ?? {}).map(([of, raw]) => `${of} (${(raw as number[]).length} values)`);
        process.stdout.write(`${receiptPath}: valid proof; ${opts.opening} opens its hashed ${parts.join(' and ')}\n`);
      } else process.stderr.write(`error: ${verdict.reason}\n`);
      process.exitCode = verdict.valid ? EXIT.ok : EXIT.failed;
    });
}
