/**
 * `zkinfer prove <dir> --input x.json --out r.json [--force]`, and the batch form
 * `zkinfer prove <dir> --inputs in.jsonl --out <outdir> [--workers N] [--json]` on a pool of
 * warm provers: a progress bar on a terminal, plain lines elsewhere; Ctrl-C or SIGTERM stops
 * after the proofs in flight (a second Ctrl-C exits at once; finished receipts are kept).
 * An existing receipt file is never replaced without --force; a resumed batch keeps only
 * receipts that verify. A single proof shows its stage on a terminal only (its result line
 * says the rest). The prover (snarkjs), the pool and the verifier are imported when the
 * command runs.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { InputError, InvalidArgumentError } from '../../shared/errors.js';
import { assertNonce } from '../../shared/nonce.js';
import { readInputFile } from '../../shared/input.js';
import { OutputExistsError, writeFileAtomicSync } from '../../shared/fs.js';
import { releaseCurve } from '../../shared/curve.js';
import type { Receipt } from '../../shared/receipt.js';
import type { Opening } from '../../shared/opening.js';
import { openingPathFor } from '../../shared/opening-path.js';
import type { SharedProof } from '../../shared/shared-proof.js';
import type { BatchProgress, BatchSummary } from '../../prove/batch.js';
import type { Artifacts } from '../../prove/artifacts.js';
import { Progress } from '../output.js';
import { checkOutFile } from '../out-file.js';

const requireHere = createRequire(import.meta.url);

/**
 * Writes a shared-proof file (named by its digest, so an existing file with the same content is
 * the same proof and is left as it is; one with other content is never replaced).
 */
function writeSharedProof(path: string, sharedProof: SharedProof): void {
  const text = `${JSON.stringify(sharedProof, null, 2)}\n`;
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileAtomicSync(path, text, { overwrite: false });
  } catch (e) {
    if (!(e instanceof OutputExistsError)) throw e;
    if (readFileSync(path, 'utf8') !== text) throw new InvalidArgumentError(`${path}: exists with other content; move it away to write this shared proof`, { cause: e });
  }
}

/** Loads the owner's weights into artifacts with private weights; refuses a missing or superfluous --weights. */
async function withWeights(artifacts: Artifacts, file: string | undefined): Promise<Artifacts> {
  if (!artifacts.manifest.io.weights) {
    if (file !== undefined) throw new InvalidArgumentError(`--weights: ${artifacts.dir} has public weights; it takes no weights file`);
    return artifacts;
  }
  if (file === undefined) throw new InvalidArgumentError(`${artifacts.dir}: the model's weights are private: pass the weights file compile wrote (--weights <file>)`);
  const { withPrivateWeights } = await import('../../prove/artifacts.js');
  return withPrivateWeights(artifacts, file);
}

/** Registers the prove command. */
export function registerProveCommand(program: Command): void {
  program
    .command('prove')
    .description('prove inferences with Groth16: one input (--input) or a JSONL batch (--inputs)')
    .argument('<dir>', 'artifacts folder written by compile')
    .option('--input <input.json>', 'one input: {"input": <nested array>}')
    .option('--inputs <inputs.jsonl>', 'a batch: one {"input": …, "id"?: …} per line')
    .requiredOption('--out <path>', 'receipt file (--input) or receipts folder (--inputs)')
    .option('--nonce <hex>', "nonce bound into the proof (the verifier's challenge; default: random 16 bytes)")
    .option('--workers <n>', 'batch: prover worker threads (default: one per core)', parseCount('--workers'))
    .option('--threads <n>', 'batch: snarkjs threads inside each worker (default: 1)', parseCount('--threads'))
    .option('--weights <file>', 'the private weights file compile wrote, for a model compiled with --weights hashed')
    .option('--force', 'one input: overwrite an existing receipt file')
    .option('--json', 'print a JSON summary')
    .action(async (dir: string, opts) => {
      if (Boolean(opts.input) === Boolean(opts.inputs)) throw new InvalidArgumentError('give exactly one of --input <file> or --inputs <file.jsonl>');
      if (opts.nonce !== undefined) assertNonce(opts.nonce, '--nonce');
      if (opts.input && (opts.workers !== undefined || opts.threads !== undefined)) throw new InvalidArgumentError('--workers and --threads apply to a batch (--inputs)');
      if (opts.inputs && opts.nonce !== undefined) throw new InvalidArgumentError('--nonce applies to one input (--input); a batch draws a random nonce per receipt');
      if (opts.inputs && opts.force) throw new InvalidArgumentError('--force applies to one input (--input); a batch keeps valid receipts and proves the rest');
      if (opts.input) checkOutFile(opts.out, Boolean(opts.force));
      try {
        const { loadArtifacts } = await import('../../prove/artifacts.js');
        if (opts.input) {
          const progress = new Progress({ plainLines: false, transient: true });
          let receipt: Receipt;
          let opening: Opening | undefined;
          let sharedProof: SharedProof | undefined;
          let seconds: number;
          try {
            progress.update('prove', `loading ${dir}`);
            const [{ proveWithOpening }, { warmCurve }, { inferencesOf }] = await Promise.all([
              import('../../prove/prove.js'),
              import('../../prove/curve-threads.js'),
              import('../../shared/shared-proof.js'),
            ]);
            let artifacts = loadArtifacts(dir);
            artifacts = await withWeights(artifacts, opts.weights);
            const { io } = artifacts.manifest;
            if (io.input.visibility === 'hashed' || io.output.visibility === 'hashed') checkOutFile(openingPathFor(opts.out), Boolean(opts.force), 'the opening');
            const input = readInputFile(opts.input, artifacts.model.input.shape);
            progress.update('prove', `proving ${opts.input}`);
            // One proof: a single-threaded curve. Starting snarkjs's worker threads (and ending
            // them) cost more than they saved: whole command 1.1–1.7 s against 2.0–2.4 s
            // (fashion-mnist example, 2 cores; scripts/bench-cli.ts).
            await warmCurve(1);
            const t0 = performance.now();
            try {
              if (inferencesOf(artifacts.manifest) !== 1) {
                // Artifacts with N inferences per proof: one real slot, the others padding; the shared proof goes beside the receipt.
                const { proveShared } = await import('../../prove/shared.js');
                const result = await proveShared(artifacts, [{ values: input.values, nonce: opts.nonce }]);
                ({ receipt, opening } = result.proven[0]!);
                sharedProof = result.sharedProof;
              } else ({ receipt, opening } = await proveWithOpening(artifacts, input.values, { nonce: opts.nonce }));
            } catch (e) {
              // name the input file: the library knows only the values
              if (e instanceof InputError) throw new InputError(`${opts.input}: ${e.message}`, { cause: e });
              throw e;
            }
            seconds = (performance.now() - t0) / 1000;
          } finally {
            progress.stop();
          }
          // A hashed model's opening (values and salts: the data owner's secret) first, readable by its owner only.
          const openingPath = opening ? openingPathFor(opts.out) : undefined;
          if (sharedProof) writeSharedProof(join(dirname(opts.out), 'proofs', `${sharedProof.digest}.json`), sharedProof);
          const writes: [string, string, number | undefined][] = [
            ...(opening ? [[openingPath!, `${JSON.stringify(opening, null, 2)}\n`, 0o600] as [string, string, number]] : []),
            [opts.out, `${JSON.stringify(receipt, null, 2)}\n`, undefined],
          ];
          for (const [path, text, mode] of writes) {
            try {
              writeFileAtomicSync(path, text, { overwrite: Boolean(opts.force), mode });
            } catch (e) {
              if (e instanceof OutputExistsError) throw new InvalidArgumentError(`${path}: already exists; pass --force to overwrite it`, { cause: e });
              throw e;
            }
          }
          const summary = { out: opts.out, ...(openingPath ? { opening: openingPath } : {}), digest: receipt.digest, output: 'values' in receipt.output ? receipt.output.values : undefined, seconds };
          if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
          else
            process.stdout.write(
              `proved ${opts.input} → ${opts.out} in ${seconds.toFixed(2)} s\n${openingPath ? `  opening ${openingPath} (values and salt: keep it private)\n` : ''}  output ${'values' in receipt.output ? formatValues(receipt.output.values) : `hashed, commitment ${receipt.output.commitment}`}\n`,
            );
          return;
        }
        const [{ proveBatch }, { capWorkers }, { keptReceiptCheck }, { loadVerifierKey }] = await Promise.all([
          import('../../prove/batch.js'),
          import('../../prove/pool.js'),
          import('../../verify/kept.js'),
          import('../../verify/verify.js'),
        ]);
        const artifacts = await withWeights(loadArtifacts(dir), opts.weights);
        let workers: number | undefined = opts.workers;
        if (workers !== undefined) {
          const capped = capWorkers(workers);
          if (capped.warning) process.stderr.write(`warning: ${capped.warning}\n`);
          workers = capped.workers;
        }
        const progress = new BatchProgressDisplay();
        const abort = new AbortController();
        let exitCode = 0;
        const onSigint = () => ((exitCode = 130), abort.abort(new Error('SIGINT')));
        const onSigterm = () => ((exitCode = 143), abort.abort(new Error('SIGTERM')));
        process.once('SIGINT', onSigint);
        process.once('SIGTERM', onSigterm);
        let summary: BatchSummary;
        try {
          summary = await proveBatch(artifacts, opts.inputs, opts.out, {
            workers,
            threadsPerWorker: opts.threads,
            signal: abort.signal,
            checkKept: keptReceiptCheck(loadVerifierKey(artifacts.dir)),
            onProgress: (p) => progress.update(p),
          });
        } finally {
          process.off('SIGINT', onSigint);
          process.off('SIGTERM', onSigterm);
          progress.stop();
        }
        for (const r of summary.rejected) process.stderr.write(`warning: ${r.file}: kept receipt is not valid (${r.reason}); proving it again\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else {
          const { p50Ms, p95Ms } = summary.latency;
          process.stdout.write(
            `proved ${summary.proved}, kept ${summary.skipped}, failed ${summary.failed} of ${summary.total} in ${summary.seconds.toFixed(1)} s → ${opts.out}` +
              (summary.proved > 0
                ? `\n  ${summary.proofsPerMinute.toFixed(1)} receipts/min on ${summary.workers} workers × ${summary.threadsPerWorker} threads; latency p50 ${(p50Ms / 1000).toFixed(2)} s, p95 ${(p95Ms / 1000).toFixed(2)} s`
                : '') +
              (summary.aborted ? `\n  stopped early: run the same command again to resume` : '') +
              '\n',
          );
        }
        if (summary.failed > 0) {
          if (!opts.json) for (const f of summary.failures) process.stderr.write(`failed: ${f.reason}\n`);
          process.exitCode = 1;
        }
        if (summary.aborted && exitCode) process.exitCode = exitCode;
      } finally {
        await releaseCurve();
      }
    });
}

function formatValues(values: number[]): string {
  const shown = values.slice(0, 10).map((v) => v.toFixed(4));
  return `[${shown.join(', ')}${values.length > 10 ? `, … (${values.length})` : ''}]`;
}

function parseCount(option: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected ${option} to be a positive integer, got ${value}`);
    return n;
  };
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Batch progress: a bar with done/total, rate and ETA on a terminal; plain lines elsewhere. */
class BatchProgressDisplay {
  private bar?: SingleBar;
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastPercent = -1;

  update(p: BatchProgress): void {
    const rate = p.rate > 0 ? `${(p.rate * 60).toFixed(1)}/min` : '–/min';
    const eta = p.etaSeconds === undefined ? '–' : formatDuration(p.etaSeconds);
    const tail = `${p.proved} proved, ${p.skipped} kept, ${p.failed} failed`;
    if (this.tty) {
      if (!this.bar) {
        const cliProgress = requireHere('cli-progress') as typeof import('cli-progress');
        this.bar = new cliProgress.SingleBar(
          { format: 'prove     [{bar}] {value}/{total} | {rate} | eta {etaText} | {tail}', stream: process.stderr, hideCursor: false, fps: 5 },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(p.total, p.done, { rate, etaText: eta, tail });
      } else this.bar.update(p.done, { rate, etaText: eta, tail });
      return;
    }
    // one line per 1% (every line for batches under 100), and always the last
    const percent = p.total > 0 ? Math.floor((p.done * 100) / p.total) : 100;
    if (p.total >= 100 && p.done !== p.total && percent === this.lastPercent) return;
    this.lastPercent = percent;
    process.stderr.write(`prove     ${p.done}/${p.total} (${tail}) ${rate}, eta ${eta}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
