/**
 * `zkinfer infer <dir> --input x.json --out r.json [--attest <provider>] [--prove] [--nonce hex] [--force] [--json]`:
 * the TEE fast path. With `--encrypt-to <enclave-key.json> --endpoint <url> [--policy p.json]`
 * it is the client of the encrypted path instead (src/tee/encrypted/): the enclave key's
 * attestation is checked under the policy (default: the built-in one, which trusts no dev
 * key), the input is sealed to it and sent, and the sealed receipt (commitments only) is
 * written to --out and the openings of its commitments to --opening-out (default
 * `<out>.opening.json`, mode 0600). Writes the attested receipt at once; with --prove, proves the same
 * inference and rewrites the receipt with the proof attached (if proving fails, the
 * attested receipt stays as written and the command exits 1). onnxruntime, the vendors
 * and the prover are imported when the command runs; the list of providers for
 * `infer --help` when that help is asked for. An existing --out file is refused unless --force
 * (checked before any work, on both paths).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../shared/errors.js';
import { readInputFile } from '../../shared/input.js';
import { OutputExistsError, writeFileAtomicSync } from '../../shared/fs.js';
import { releaseCurve } from '../../shared/curve.js';
import { assertNonce } from '../../shared/nonce.js';
import { errorLine } from '../output.js';
import { checkOutFile } from '../out-file.js';
import { encryptedInfer } from './infer-encrypted.js';

const formatValues = (values: readonly number[]): string =>
  `[${values
    .slice(0, 10)
    .map((v) => v.toFixed(4))
    .join(', ')}${values.length > 10 ? `, … (${values.length})` : ''}]`;

/** Registers the infer command. */
export function registerInferCommand(program: Command): void {
  const infer = program
    .command('infer')
    .description('run the model in onnxruntime (the TEE fast path) and write an attested receipt')
    .argument('<dir>', 'artifacts folder written by compile')
    .requiredOption('--input <input.json>', 'one input: {"input": <nested array>}')
    .requiredOption('--out <receipt.json>', 'receipt file to write')
    .option('--attest <provider>', 'attestation provider (dev by default)', 'dev')
    .option('--prove', 'also prove the inference with Groth16 and attach the proof')
    .option('--nonce <hex>', 'nonce bound into the digest and the attestation (default: random 16 bytes)')
    .option('--force', 'overwrite an existing receipt file')
    .option('--json', 'print a JSON summary')
    .option('--encrypt-to <enclave-key.json>', 'encrypt the input with HPKE to this attested enclave key (written by tee serve) and send it to --endpoint')
    .option('--endpoint <url>', 'with --encrypt-to: the enclave server (tee serve)')
    .option('--policy <policy.json>', 'with --encrypt-to: the policy that decides whether the enclave key is trusted')
    .option('--opening-out <file>', "with --encrypt-to: where to write the commitments' openings (default <out>.opening.json)")
    .action(async (dir: string, opts) => {
      if (opts.nonce !== undefined) assertNonce(opts.nonce, '--nonce');
      checkOutFile(opts.out, Boolean(opts.force));
      if (opts.encryptTo !== undefined) return encryptedInfer(dir, opts);
      for (const name of ['endpoint', 'policy', 'openingOut'] as const) {
        if (opts[name] !== undefined) throw new InvalidArgumentError(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to the encrypted path: give --encrypt-to <enclave-key.json>`);
      }
      const [{ closeTeeArtifacts, inferAttested, loadTeeArtifacts }, { createAttestationProvider, PROVIDER_NAMES }, { DevProvider }, { wordList }] = await Promise.all([
        import('../../tee/infer.js'),
        import('../../tee/registry.js'),
        import('../../tee/dev/dev.js'),
        import('../../tee/vendor.js'),
      ]);
      if (!(PROVIDER_NAMES as readonly string[]).includes(opts.attest)) throw new InvalidArgumentError(`expected --attest to be ${wordList(PROVIDER_NAMES, 'or')}, got ${JSON.stringify(opts.attest)}`);
      const artifacts = loadTeeArtifacts(dir);
      try {
        const input = readInputFile(opts.input, artifacts.model.input.shape);
        const provider = createAttestationProvider(opts.attest);
        if (provider instanceof DevProvider && provider.keyCreated) process.stderr.write(`created a dev attestation key at ${provider.keyPath} (not hardware; refused by the default policy)\n`);
        const { receipt, timings, proof } = await inferAttested(artifacts, input.values, { provider, prove: Boolean(opts.prove), nonce: opts.nonce });
        try {
          writeFileAtomicSync(opts.out, `${JSON.stringify(receipt, null, 2)}\n`, { overwrite: Boolean(opts.force) });
        } catch (e) {
          if (e instanceof OutputExistsError) throw new InvalidArgumentError(`${opts.out}: already exists; pass --force to overwrite it`, { cause: e });
          throw e;
        }
        const summary: Record<string, unknown> = {
          out: opts.out,
          digest: receipt.digest,
          attestation: { provider: provider.name, hardware: provider.hardware },
          output: receipt.output.values,
          probabilities: receipt.output.probabilities,
          timings,
        };
        if (!opts.json) {
          process.stdout.write(
            `inferred ${opts.input} → ${opts.out} in ${timings.inferMs.toFixed(1)} ms, attested by ${provider.name}${provider.hardware ? '' : ' (not hardware)'} in ${timings.attestMs.toFixed(1)} ms\n  output ${formatValues(receipt.output.values)}\n`,
          );
        }
        if (proof) {
          try {
            const { receipt: proven, timings: proofTimings } = await proof;
            writeFileAtomicSync(opts.out, `${JSON.stringify(proven, null, 2)}\n`);
            Object.assign(summary, { digest: proven.digest, proven: true, provenOutput: proven.output.values, timings: { ...timings, ...proofTimings } });
            if (!opts.json) process.stdout.write(`proved → ${opts.out} in ${(proofTimings.witnessMs + proofTimings.proveMs).toFixed(0)} ms\n  proven output ${formatValues(proven.output.values)}\n`);
          } catch (e) {
            summary.proven = false;
            summary.error = errorLine(e).replace(/^error: /, '');
            process.stderr.write(`${errorLine(e)}; the attested receipt ${opts.out} is kept\n`);
            process.exitCode = 1;
          }
        }
        if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      } finally {
        await closeTeeArtifacts(artifacts);
        await releaseCurve();
      }
    });
  // The providers come from the vendor registry, which loads every vendor's verifier: name
  // them in the help only when `infer` is the command given (not for `zkinfer --help`).
  program.hook('preSubcommand', async (_program, sub) => {
    if (sub !== infer) return;
    const [{ PROVIDER_NAMES }, { wordList }] = await Promise.all([import('../../tee/registry.js'), import('../../tee/vendor.js')]);
    const attest = infer.options.find((o) => o.long === '--attest');
    if (attest) attest.description = `attestation provider: ${wordList(PROVIDER_NAMES, 'or')}`;
  });
}
