/**
 * `zkinfer tee serve <dir> [--attest <provider>] [--host h] [--port n] [--key-out file] [--force]
 * [--window-seconds s]`: the enclave side of the encrypted TEE path. Generates the HPKE key
 * pair, has the provider attest its public key, writes the enclave key file (the client's
 * `--encrypt-to`), and answers encrypted requests over HTTP until SIGINT or SIGTERM
 * (src/tee/encrypted/server.ts). Prints one line `listening on <url>` once it is ready.
 * The library modules load when the command runs.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../shared/errors.js';
import { writeFileAtomicSync } from '../../shared/fs.js';

/** Registers the tee command and its `serve` subcommand. */
export function registerTeeCommand(program: Command): void {
  const tee = program.command('tee').description('the enclave side of the encrypted TEE path');
  tee
    .command('serve')
    .description('answer HPKE-encrypted inference requests with sealed, attested receipts (HTTP)')
    .argument('<dir>', 'artifacts folder written by compile')
    .option('--attest <provider>', 'attestation provider, a vendor of the registry (dev by default)', 'dev')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', '0')
    .option('--key-out <file>', 'write the attested enclave key here (clients pass it to infer --encrypt-to)')
    .option('--force', 'overwrite --key-out if it exists')
    .option('--window-seconds <s>', 'validity window of a request (and how long its id is remembered)', '300')
    .exitOverride()
    .action(async (dir: string, opts) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`expected --port to be 0 to 65535, got ${JSON.stringify(opts.port)}`);
      const windowSeconds = Number(opts.windowSeconds);
      if (!(Number.isFinite(windowSeconds) && windowSeconds > 0)) throw new InvalidArgumentError(`expected --window-seconds to be a positive number, got ${JSON.stringify(opts.windowSeconds)}`);
      const [{ closeTeeArtifacts, loadTeeArtifacts }, { createAttestationProvider, PROVIDER_NAMES }, { DevProvider }, { createEncryptedSession }, { serveEncrypted }, { wordList }] = await Promise.all(
        [
          import('../../tee/infer.js'),
          import('../../tee/registry.js'),
          import('../../tee/dev/dev.js'),
          import('../../tee/encrypted/enclave.js'),
          import('../../tee/encrypted/server.js'),
          import('../../tee/vendor.js'),
        ],
      );
      if (!PROVIDER_NAMES.includes(opts.attest)) throw new InvalidArgumentError(`expected --attest to be ${wordList(PROVIDER_NAMES, 'or')}, got ${JSON.stringify(opts.attest)}`);
      const artifacts = loadTeeArtifacts(dir);
      try {
        const provider = createAttestationProvider(opts.attest);
        if (provider instanceof DevProvider && provider.keyCreated) process.stderr.write(`created a dev attestation key at ${provider.keyPath} (not hardware; refused by the default policy)\n`);
        const session = await createEncryptedSession(artifacts, { provider, windowSeconds });
        if (opts.keyOut) writeFileAtomicSync(opts.keyOut, `${JSON.stringify(session.enclaveKey, null, 2)}\n`, { overwrite: Boolean(opts.force) });
        const server = await serveEncrypted(session, { host: opts.host, port });
        process.stdout.write(
          `listening on ${server.url} (model ${artifacts.manifest.modelId.slice(0, 16)}…, enclave key ${session.publicKey.slice(0, 16)}…, attested by ${provider.name}${provider.hardware ? '' : ', not hardware'})${opts.keyOut ? `; enclave key → ${opts.keyOut}` : ''}\n`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
      } finally {
        await closeTeeArtifacts(artifacts);
      }
    });
}
