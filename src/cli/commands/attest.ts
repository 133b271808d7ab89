/**
 * `zkinfer attest verify <document> [--collateral <file>]`: checks an attestation document
 * of any registered vendor (DESIGN.md, "Command-line contract" and "Attestation vendors"),
 * the vendor detected from the document's first bytes (src/tee/registry.ts): an AWS Nitro
 * Enclaves COSE_Sign1 document, an Intel TDX quote (with its collateral), a dev document.
 * The command only reads the files, parses arguments and calls the vendor's verifier; it
 * reports on stdout and sets `process.exitCode`: 0 valid, 1 invalid (one line
 * `invalid: <reason>` on stderr), 2 when the command itself cannot run (unreadable file,
 * malformed option). The vendors' verifiers (X.509, COSE, DCAP) are imported when the
 * command runs.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AttestationError, EXIT, InvalidArgumentError } from '../../shared/errors.js';
import { assertNonce } from '../../shared/nonce.js';
import { errorLine, sanitize } from '../output.js';
import type { VerifyEvidenceOptions } from '../../tee/vendor.js';

// The vendor registry (X.509, COSE, DCAP verifiers) is imported when the command runs.
let detectVendor: typeof import('../../tee/registry.js').detectVendor;

interface AttestVerifyFlags {
  at?: string;
  rootFingerprint?: string;
  allowDebug?: boolean;
  nonce?: string;
  userData?: string;
  collateral?: string;
  acceptTcb?: string;
  json?: boolean;
}

const BASE64_TEXT = /^[A-Za-z0-9+/=_\-\s]+$/;

async function readBytes(path: string): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'read failed'}`, { cause: error });
  }
  if (raw.length === 0) throw new InvalidArgumentError(`${path} is empty`);
  return raw;
}

/**
 * Reads a document file holding raw bytes, hex text (a quote as Intel's tools print it)
 * or base64 (standard or URL-safe) text. Raw CBOR of a COSE_Sign1 starts with 0x84 or
 * 0xd2 and a raw TDX quote with 0x04, never a base64 character; hex text is taken as hex
 * when it decodes to a document some vendor recognises.
 * @throws {InvalidArgumentError} when the file cannot be read or is empty
 */
async function readDocument(path: string): Promise<Uint8Array> {
  const raw = await readBytes(path);
  const text = raw.toString('latin1');
  if (!BASE64_TEXT.test(text)) return new Uint8Array(raw);
  const compact = text.replace(/\s+/g, '');
  if (/^(?:[0-9a-fA-F]{2})+$/.test(compact)) {
    const hex = new Uint8Array(Buffer.from(compact, 'hex'));
    if (detectVendor(hex).detect(hex)) return hex;
  }
  return new Uint8Array(Buffer.from(compact, 'base64')); // Node accepts both alphabets
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

/** The one nonce rule (src/shared/nonce.ts): lowercase hex, 1 to 512 bytes, no 0x. */
function parseNonce(value: string | undefined): string | undefined {
  if (value !== undefined) assertNonce(value, '--nonce');
  return value;
}

function parseStatuses(value: string | undefined): string[] | undefined {
  return value === undefined
    ? undefined
    : value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
}

/**
 * Adds `attest verify <document>` to a commander program.
 * @param program - the root `zkinfer` command
 */
export function registerAttestCommand(program: Command): void {
  const attest = program.command('attest').description('check TEE attestation documents');
  attest
    .command('verify <document>')
    .description('verify an attestation document: AWS Nitro (COSE_Sign1), Intel TDX (DCAP quote v4, with --collateral) or dev; raw, hex or base64 file')
    .option('--at <time>', 'ISO 8601 time at which the certificates must be valid (default: now)')
    .option('--collateral <file>', 'collateral JSON for the document (Intel TDX: TCB info, QE identity, CRLs and their chains)')
    .option('--root-fingerprint <hex>', "SHA-256 of the pinned root certificate (default: the vendor's root, e.g. AWS Nitro Enclaves, Intel SGX Root CA)")
    .option('--allow-debug', 'accept debug-mode enclaves (Nitro: PCR0, PCR1 and PCR2 all zero; TDX: TDATTRIBUTES.DEBUG)')
    .option('--accept-tcb <statuses>', 'comma-separated TCB statuses to accept (Intel TDX; default: UpToDate)')
    .option('--nonce <hex>', 'nonce the document must carry (vendors with a nonce field)')
    .option('--user-data <hex>', 'user data / report data the document must carry (e.g. the receipt digest)')
    .option('--json', 'print the result as JSON')
    .action(async (path: string, flags: AttestVerifyFlags) => {
      const json = flags.json === true;
      try {
        ({ detectVendor } = await import('../../tee/registry.js'));
        const options: VerifyEvidenceOptions = {
          at: parseAt(flags.at),
          rootFingerprint: flags.rootFingerprint,
          allowDebug: flags.allowDebug === true,
          expectedNonce: parseNonce(flags.nonce),
          expectedUserData: parseHex('--user-data', flags.userData),
          acceptedTcbStatuses: parseStatuses(flags.acceptTcb),
        };
        for (const key of Object.keys(options) as Array<keyof VerifyEvidenceOptions>) if (options[key] === undefined) delete options[key];
        const document = await readDocument(path);
        if (flags.collateral !== undefined) options.collateral = new Uint8Array(await readBytes(flags.collateral));
        const vendor = detectVendor(document);
        const { report, summary } = await vendor.verify(document, options);
        process.stdout.write(
          json ? `${JSON.stringify({ valid: true, document: path, vendor: vendor.name, attestation: report }, null, 2)}\n` : `${[`valid: ${path} is ${vendor.title}`, ...summary].join('\n')}\n`,
        );
        process.exitCode = 0;
      } catch (error) {
        const invalid = error instanceof AttestationError;
        const reason = error instanceof Error ? error.message : String(error);
        if (json) process.stdout.write(`${JSON.stringify(invalid ? { valid: false, document: path, reason } : { valid: false, document: path, error: reason }, null, 2)}\n`);
        // an invalid document names its file; an error line's message names what failed (a file, an option)
        process.stderr.write(`${invalid ? `invalid: ${sanitize(path)}: ${sanitize(reason)}` : errorLine(error)}\n`);
        process.exitCode = invalid ? EXIT.failed : EXIT.usage;
      }
    });
}
