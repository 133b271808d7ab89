/**
 * `zkinfer infer <dir> --encrypt-to <enclave-key.json> --endpoint <url> --input x.json --out r.json
 * [--policy p.json] [--opening-out file] [--nonce hex] [--json]`: the client of the encrypted
 * TEE path (src/tee/encrypted/client.ts). Refuses, before sending anything, an enclave key
 * the policy does not trust. Writes the sealed receipt (commitments only: publishable) and
 * the openings (the quantized input and output with their salts: private, mode 0600).
 * Library modules load when the command runs.
 */
import { closeSync, existsSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { AttestationError, InvalidArgumentError } from '../../shared/errors.js';
import { readInputFile } from '../../shared/input.js';
import { OutputExistsError, writeFileAtomicSync } from '../../shared/fs.js';

const formatValues = (values: readonly number[]): string =>
  `[${values
    .slice(0, 10)
    .map((v) => v.toFixed(4))
    .join(', ')}${values.length > 10 ? `, … (${values.length})` : ''}]`;

/** Writes a private file (mode 0600 from its creation), refusing to replace an existing one. */
function writePrivateFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    closeSync(fd);
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new OutputExistsError(path);
      throw e;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Options the encrypted path reads. */
interface EncryptedInferOptions {
  input: string;
  out: string;
  encryptTo: string;
  endpoint?: string;
  policy?: string;
  openingOut?: string;
  nonce?: string;
  prove?: boolean;
  json?: boolean;
}

/**
 * Runs one encrypted inference from the command line.
 * @throws {InvalidArgumentError} for a missing --endpoint or --prove given
 * @throws {AttestationError} when the policy does not trust the enclave key
 */
export async function encryptedInfer(dir: string, opts: EncryptedInferOptions): Promise<void> {
  if (opts.endpoint === undefined) throw new InvalidArgumentError('--encrypt-to needs --endpoint <url> (the enclave server, zkinfer tee serve)');
  if (opts.prove) throw new InvalidArgumentError('--prove cannot be combined with --encrypt-to: a sealed receipt holds commitments and no proof');
  const openingOut = opts.openingOut ?? `${opts.out.replace(/\.json$/, '')}.opening.json`;
  if (existsSync(openingOut)) throw new OutputExistsError(openingOut);
  const [{ openArtifacts }, { DEFAULT_POLICY, evaluateEnclaveKey, loadPolicy }, { encryptRequest, decryptResponse }, { postEncryptedRequest }] = await Promise.all([
    import('../../shared/artifacts.js'),
    import('../../verify/policy.js'),
    import('../../tee/encrypted/client.js'),
    import('../../tee/encrypted/server.js'),
  ]);
  const { manifest } = openArtifacts(dir);
  const policy = opts.policy ? loadPolicy(opts.policy) : DEFAULT_POLICY;
  const keyText = readFileSync(opts.encryptTo, 'utf8');
  const input = readInputFile(opts.input, manifest.io.input.shape);
  const trust = await evaluateEnclaveKey(keyText, { policy, modelId: manifest.modelId });
  if (!trust.trusted || !trust.enclave) throw new AttestationError(`${opts.encryptTo}: not encrypting to this enclave key: ${trust.reasons.join('; ')}`);
  const t0 = performance.now();
  const { request, pending } = await encryptRequest(trust.enclave, manifest, input.values, opts.nonce ? { requestId: opts.nonce } : {});
  const response = await postEncryptedRequest(opts.endpoint, request);
  const { receipt, output, opening, attestation } = await decryptResponse(pending, response);
  const ms = Math.round((performance.now() - t0) * 10) / 10;
  writeFileAtomicSync(opts.out, `${JSON.stringify(receipt, null, 2)}\n`);
  writePrivateFile(openingOut, `${JSON.stringify(opening, null, 2)}\n`);
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ out: opts.out, opening: openingOut, digest: receipt.digest, attestation: { provider: attestation.provider, hardware: attestation.hardware }, output: output.values, probabilities: output.probabilities, ms })}\n`,
    );
  } else {
    process.stdout.write(
      `inferred ${opts.input} encrypted to ${opts.encryptTo} → ${opts.out} in ${ms} ms, attested by ${attestation.provider}${attestation.hardware ? '' : ' (not hardware)'}\n  output ${formatValues(output.values)}\n  opening → ${openingOut} (input, output and salts: keep it private)\n`,
    );
  }
}
