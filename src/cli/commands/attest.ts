/**
 * `zkinfer attest verify <document>`: checks an AWS Nitro Enclaves attestation document
 * (DESIGN.md, "Command-line contract" and "TEE path and policy"). The command only reads
 * the file, parses arguments and calls `verifyNitroAttestation`; it reports on stdout and
 * sets `process.exitCode`: 0 valid, 1 invalid (one line `invalid: <reason>` on stderr),
 * 2 when the command itself cannot run (unreadable file, malformed option).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AttestationError, InvalidArgumentError } from '../../shared/errors.js';
import { verifyNitroAttestation, type NitroAttestation, type NitroVerifyOptions } from '../../tee/nitro-verify.js';

interface AttestVerifyFlags {
  at?: string;
  rootFingerprint?: string;
  allowDebug?: boolean;
  nonce?: string;
  userData?: string;
  json?: boolean;
}

const BASE64_TEXT = /^[A-Za-z0-9+/=_\-\s]+$/;

/**
 * Reads a document file holding raw CBOR or base64 (standard or URL-safe) text.
 * Raw CBOR of a COSE_Sign1 starts with 0x84 or 0xd2, never a base64 character.
 * @throws {InvalidArgumentError} when the file cannot be read or is empty
 */
async function readDocument(path: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'read failed'}`, { cause: error });
  }
  if (raw.length === 0) throw new InvalidArgumentError(`${path} is empty`);
  const text = raw.toString('latin1');
  if (BASE64_TEXT.test(text)) return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64')); // Node accepts both alphabets
  return new Uint8Array(raw);
}

function parseAt(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) throw new InvalidArgumentError(`--at expects an ISO 8601 time, got "${value}"`);
  return at;
}

function parseHex(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const hex = value.startsWith('0x') ? value.slice(2) : value;
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new InvalidArgumentError(`${flag} expects hex, got "${value}"`);
  return hex;
}

function summarize(path: string, a: NitroAttestation): string {
  const leaf = a.certificateChain[a.certificateChain.length - 1];
  const root = a.certificateChain[0];
  const lines = [
    `valid: ${path} is an AWS Nitro Enclaves attestation document`,
    `  module      ${a.moduleId}`,
    `  created     ${new Date(a.timestamp).toISOString()}`,
    `  debug       ${a.debug ? 'yes (PCR0, PCR1 and PCR2 are all zero)' : 'no'}`,
    ...[0, 1, 2, 8].filter((i) => a.pcrs[i] !== undefined).map((i) => `  PCR${i}${' '.repeat(i < 10 ? 8 : 7)}${a.pcrs[i]}`),
    `  nonce       ${a.nonce ?? '(none)'}`,
    `  user data   ${a.userData ?? '(none)'}`,
    `  chain       ${a.certificateChain.length} certificates, root SHA-256 ${root.sha256}`,
    `  leaf        valid ${leaf.notBefore} to ${leaf.notAfter}, checked at ${a.verifiedAt}`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Adds `attest verify <document>` to a commander program.
 * @param program - the root `zkinfer` command
 */
export function registerAttestCommand(program: Command): void {
  const attest = program.command('attest').description('check TEE attestation documents');
  attest
    .command('verify <document>')
    .description('verify an AWS Nitro Enclaves attestation document (raw CBOR or base64 file)')
    .option('--at <time>', 'ISO 8601 time at which the certificates must be valid (default: now)')
    .option('--root-fingerprint <hex>', 'SHA-256 of the pinned root certificate (default: the AWS Nitro Enclaves root)')
    .option('--allow-debug', 'accept debug-mode enclaves (PCR0, PCR1 and PCR2 all zero)')
    .option('--nonce <hex>', 'nonce the document must carry')
    .option('--user-data <hex>', 'user data the document must carry (e.g. the receipt digest)')
    .option('--json', 'print the result as JSON')
    .action(async (path: string, flags: AttestVerifyFlags) => {
      const json = flags.json === true;
      try {
        const options: NitroVerifyOptions = {
          at: parseAt(flags.at),
          rootFingerprint: flags.rootFingerprint,
          allowDebug: flags.allowDebug === true,
          expectedNonce: parseHex('--nonce', flags.nonce),
          expectedUserData: parseHex('--user-data', flags.userData),
        };
        for (const key of Object.keys(options) as Array<keyof NitroVerifyOptions>) if (options[key] === undefined) delete options[key];
        const document = await readDocument(path);
        const attestation = await verifyNitroAttestation(document, options);
        process.stdout.write(json ? `${JSON.stringify({ valid: true, document: path, attestation }, null, 2)}\n` : summarize(path, attestation));
        process.exitCode = 0;
      } catch (error) {
        const invalid = error instanceof AttestationError;
        const reason = error instanceof Error ? error.message : String(error);
        if (json) process.stdout.write(`${JSON.stringify(invalid ? { valid: false, document: path, reason } : { valid: false, document: path, error: reason }, null, 2)}\n`);
        process.stderr.write(`${invalid ? 'invalid' : 'error'}: ${reason}\n`);
        process.exitCode = invalid ? 1 : 2;
      }
    });
}
