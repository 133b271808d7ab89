/**
 * `zkinfer compile <model.onnx> --out <dir> [--force]`: parse, call compileModel, print a
 * summary. The folder is swapped in only when complete; --force replaces a folder that is
 * not this model's artifacts; kept keys (unchanged circuit) are reported on stderr. The
 * compiler (onnxruntime, circom, snarkjs) is imported when the command runs.
 */
import type { Command } from 'commander';
import type { Manifest } from '../../shared/manifest.js';
import { InvalidArgumentError } from '../../shared/errors.js';
import { Progress } from '../output.js';

function intOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected ${name} to be an integer in [${min}, ${max}], got ${value}`);
    return n;
  };
}

function localSetupOption(value: string): 'direct' | 'snarkjs' {
  if (value !== 'direct' && value !== 'snarkjs') throw new InvalidArgumentError(`expected --local-setup to be direct or snarkjs, got ${value}`);
  return value;
}

function int8Option(value: string): 'exact' | 'fold' {
  if (value !== 'exact' && value !== 'fold') throw new InvalidArgumentError(`expected --int8 to be exact or fold, got ${value}`);
  return value;
}

function setupLabel(setup: NonNullable<Manifest['setup']>): string {
  if (setup.method === 'direct') return 'local direct: keys computed from a local τ (development grade, not for production trust; no phase-2 transcript)';
  if (setup.localSingleParty) return 'local single-party (not for production trust)';
  if (setup.ptau?.origin === 'public-ceremony') return `public ceremony ptau (${setup.ptau.ceremony}); phase 2 by this machine only: add contributions with \`zkinfer setup contribute\``;
  return 'UNVERIFIED ptau (--ptau-unchecked): not for production trust';
}

/** Registers the compile command. */
export function registerCompileCommand(program: Command): void {
  program
    .command('compile')
    .description('compile an ONNX model into a circuit, keys and a manifest')
    .argument('<model>', 'the .onnx file')
    .requiredOption('--out <dir>', "artifacts folder to write (missing, empty, or this model's artifacts)")
    .option('--force', 'replace an --out folder that holds something else, once the new one is complete')
    .option('--calibration <inputs.jsonl>', 'calibration inputs, one {"input": …} per line')
    .option('--ptau <file>', 'prepared powers-of-tau file from a public ceremony (default: a local single-party one)')
    .option('--ptau-unchecked', 'use a --ptau file that matches no published ceremony file; the manifest records it as unverified')
    .option(
      '--local-setup <method>',
      'without --ptau: "direct" computes the keys from a local τ (default, fast, development grade), "snarkjs" makes them from the cached local powers of tau with a phase-2 contribution and beacon',
      localSetupOption,
    )
    .option('--batch <n>', 'batch size to compile for', intOption('--batch', 1, 4096))
    .option('--inferences <n>', 'inferences proven by one proof (default 1): the circuit holds the model N times; batch proving fills shared proofs', intOption('--inferences', 1, 256))
    .option('--input-bits <n>', 'signed bits per input integer (default 10)', intOption('--input-bits', 2, 40))
    .option('--weight-bits <n>', 'signed bits per weight (default 10)', intOption('--weight-bits', 2, 40))
    .option('--activation-bits <n>', 'signed bits per activation (default 12)', intOption('--activation-bits', 2, 40))
    .option(
      '--int8 <mode>',
      "int8 (QDQ, QLinear) models: exact (default) requantizes as the model does; fold rescales by powers of two at the float widths (--input-bits, --weight-bits, --activation-bits), a smaller circuit that approximates the model's requantization",
      int8Option,
    )
    .option('--provenance <file.json>', 'signed provenance record (checked), or free text (authors, data sources, licence; labelled unverified)')
    .option(
      '--input-visibility <mode>',
      'public (default): the input values are public signals; hashed: they stay private and a salted Poseidon commitment is public',
      visibilityOption('--input-visibility'),
    )
    .option('--output-visibility <mode>', 'public (default) or hashed, as --input-visibility for the output', visibilityOption('--output-visibility'))
    .option(
      '--output-packing <mode>',
      'packed (default): a public output is packed into as few public signals as its width allows (one per 252 bits; each signal costs a verifier, 6,000 gas on the EVM); unpacked: one public signal per value',
      packingOption,
    )
    .option(
      '--weights <mode>',
      "public (default): the quantized weights are circuit constants; hashed: the dense layers' weights are private signals and their salted Poseidon commitment is public (needs --weights-out)",
      visibilityOption('--weights'),
    )
    .option('--weights-out <file>', 'with --weights hashed: the private weights file to write (salt and weights, mode 0600; outside --out, which is published)')
    .option('--max-weights <n>', 'with --weights hashed: the most weights accepted (default 65536)', intOption('--max-weights', 1, 2 ** 30))
    .option('--skip-setup', 'compile the circuit only, without Groth16 keys')
    .option('--json', 'print the manifest summary as JSON')
    .action(async (model: string, opts) => {
      if (opts.weightsOut !== undefined && opts.weights !== 'hashed') throw new InvalidArgumentError('--weights-out applies to --weights hashed');
      if (opts.weights === 'hashed' && opts.weightsOut === undefined) throw new InvalidArgumentError('--weights hashed needs --weights-out <file> (the private weights, kept outside --out)');
      if (opts.maxWeights !== undefined && opts.weights !== 'hashed') throw new InvalidArgumentError('--max-weights applies to --weights hashed');
      if (opts.ptauUnchecked && !opts.ptau) throw new InvalidArgumentError('--ptau-unchecked applies to a --ptau file');
      if (opts.localSetup && opts.ptau) throw new InvalidArgumentError('--local-setup applies to a local setup; a --ptau file is always set up through snarkjs');
      const progress = new Progress();
      const [{ compileModel }, { checkProvenanceForCompile }] = await Promise.all([import('../../compile/compile.js'), import('../../provenance/record.js')]);
      const t0 = performance.now();
      const quant = Object.fromEntries(
        Object.entries({ inputBits: opts.inputBits, weightBits: opts.weightBits, activationBits: opts.activationBits, int8: opts.int8 === 'fold' ? 'fold' : undefined }).filter(
          ([, v]) => v !== undefined,
        ),
      );
      try {
        const result = await compileModel(model, {
          outDir: opts.out,
          force: Boolean(opts.force),
          calibrationPath: opts.calibration,
          ptauPath: opts.ptau,
          ptauUnchecked: Boolean(opts.ptauUnchecked),
          localSetup: opts.localSetup,
          batch: opts.batch,
          inferences: opts.inferences,
          inputVisibility: opts.inputVisibility,
          outputVisibility: opts.outputVisibility,
          ...(opts.outputPacking !== undefined ? { packOutput: opts.outputPacking === 'packed' } : {}),
          weights: opts.weights,
          weightsOut: opts.weightsOut,
          maxWeights: opts.maxWeights,
          quant,
          provenance: opts.provenance,
          provenanceChecker: checkProvenanceForCompile,
          skipSetup: Boolean(opts.skipSetup),
          onProgress: (p) => progress.update(p.stage, p.message, p.done, p.total),
          onWarning: (m) => {
            progress.stop();
            process.stderr.write(`warning: ${m}\n`);
          },
        });
        progress.stop();
        const m = result.manifest;
        if (result.keys === 'kept') {
          process.stderr.write(`kept the keys of ${result.dir}: circuit unchanged (r1cs sha256 ${m.files.r1cs.sha256.slice(0, 12)}…), key id ${m.keyId}; receipts made with them stay valid\n`);
        }
        const seconds = ((performance.now() - t0) / 1000).toFixed(1);
        const summary = {
          dir: result.dir,
          modelId: m.modelId,
          keyId: m.keyId,
          constraints: m.circuit.constraints,
          ...(m.circuit.inferences ? { inferences: m.circuit.inferences } : {}),
          ...(m.io.weights ? { weightsCommitment: m.io.weights.commitment, weightsFile: opts.weightsOut } : {}),
          argmaxAgreement: result.error.argmaxAgreement,
          maxAbsError: result.error.maxAbsError,
          provenance: m.provenanceStatus?.status ?? null,
          setup: m.setup ? setupLabel(m.setup) : 'skipped',
          keys: result.keys,
          seconds: Number(seconds),
          timings: result.timings,
        };
        if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else {
          process.stdout.write(
            `compiled ${model} → ${result.dir}\n` +
              `  model id     ${m.modelId}\n` +
              `  key id       ${m.keyId ?? '(no setup)'}\n` +
              `  constraints  ${m.circuit.constraints}${m.circuit.inferences ? ` (${m.circuit.inferences} inferences per proof)` : ''}\n` +
              (m.io.weights
                ? `  weights      private: ${m.io.weights.count} committed to ${m.io.weights.commitment}\n               salt and weights in ${opts.weightsOut} (mode 0600): keep it private; prove needs it\n`
                : '') +
              `  calibration  argmax agreement ${(result.error.argmaxAgreement * 100).toFixed(1)}% on ${result.error.inputs} inputs, max |error| ${result.error.maxAbsError.toPrecision(3)}\n` +
              `  setup        ${summary.setup}\n` +
              (m.provenanceStatus ? `  provenance   ${m.provenanceStatus.status === 'verified' ? 'signed record, verified' : 'free text, unverified'}\n` : '') +
              `  time         ${seconds} s\n`,
          );
        }
      } finally {
        progress.stop();
      }
    });
}

function packingOption(value: string): 'packed' | 'unpacked' {
  if (value !== 'packed' && value !== 'unpacked') throw new InvalidArgumentError(`expected --output-packing to be packed or unpacked, got ${value}`);
  return value;
}

function visibilityOption(name: string): (value: string) => 'public' | 'hashed' {
  return (value) => {
    if (value !== 'public' && value !== 'hashed') throw new InvalidArgumentError(`${name}: expected public or hashed, got ${JSON.stringify(value)}`);
    return value;
  };
}
