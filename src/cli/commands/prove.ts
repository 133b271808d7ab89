/** `zkinfer prove <dir> --input x.json --out r.json` and the batch form with `--inputs`. */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../shared/errors.js';
import { readInputFile } from '../../shared/input.js';
import { writeFileAtomicSync } from '../../shared/fs.js';
import { releaseCurve } from '../../shared/curve.js';
import { loadArtifacts } from '../../prove/artifacts.js';
import { proveInference } from '../../prove/prove.js';
import { proveBatch } from '../../prove/batch.js';
import { Progress } from '../output.js';

/** Registers the prove command. */
export function registerProveCommand(program: Command): void {
  program
    .command('prove')
    .description('prove inferences with Groth16: one input (--input) or a JSONL batch (--inputs)')
    .argument('<dir>', 'artifacts folder written by compile')
    .option('--input <input.json>', 'one input: {"input": <nested array>}')
    .option('--inputs <inputs.jsonl>', 'a batch: one {"input": …, "id"?: …} per line')
    .requiredOption('--out <path>', 'receipt file (--input) or receipts folder (--inputs)')
    .option('--nonce <hex>', 'nonce to bind into the receipt digest (default: random)')
    .option('--json', 'print a JSON summary')
    .action(async (dir: string, opts) => {
      if (Boolean(opts.input) === Boolean(opts.inputs)) throw new InvalidArgumentError('give exactly one of --input <file> or --inputs <file.jsonl>');
      if (opts.nonce !== undefined && !/^[0-9a-f]*$/.test(opts.nonce)) throw new InvalidArgumentError(`expected --nonce to be lowercase hex, got ${opts.nonce}`);
      try {
        const artifacts = loadArtifacts(dir);
        if (opts.input) {
          const input = readInputFile(opts.input, artifacts.model.input.shape);
          const t0 = performance.now();
          const receipt = await proveInference(artifacts, input.values, { nonce: opts.nonce });
          const seconds = (performance.now() - t0) / 1000;
          writeFileAtomicSync(opts.out, `${JSON.stringify(receipt, null, 2)}\n`);
          const summary = { out: opts.out, digest: receipt.digest, output: receipt.output.values, seconds };
          if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
          else process.stdout.write(`proved ${opts.input} → ${opts.out} in ${seconds.toFixed(2)} s\n  output ${formatValues(receipt.output.values)}\n`);
          return;
        }
        const progress = new Progress();
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          const summary = await proveBatch(artifacts, opts.inputs, opts.out, {
            signal: abort.signal,
            onProgress: (p) => progress.update('prove', `${p.done}/${p.total} (${p.skipped} kept, ${p.failed} failed)`, p.done, p.total),
          });
          progress.stop();
          if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
          else process.stdout.write(`proved ${summary.proved}, kept ${summary.skipped}, failed ${summary.failed} of ${summary.total} in ${summary.seconds.toFixed(1)} s → ${opts.out}\n`);
          if (summary.failed > 0) {
            for (const f of summary.failures) process.stderr.write(`failed: ${f.reason}\n`);
            process.exitCode = 1;
          }
          if (abort.signal.aborted) process.exitCode = 130;
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          progress.stop();
        }
      } finally {
        await releaseCurve();
      }
    });
}

function formatValues(values: number[]): string {
  const shown = values.slice(0, 10).map((v) => v.toFixed(4));
  return `[${shown.join(', ')}${values.length > 10 ? `, … (${values.length})` : ''}]`;
}
