/**
 * Error classes shared by every pipeline stage. Each carries a short message, optional
 * details and the underlying `cause`, so that a failure deep in snarkjs or circom reaches
 * the user as one clear line with its origin attached (the shape follows viem's BaseError).
 */

/** Options accepted by every zkinfer error. */
export interface ZkinferErrorOptions {
  /** Extra lines shown under the message (not part of the one-line summary). */
  details?: string;
  /** The error that caused this one. */
  cause?: unknown;
  /** The command line's exit code for it, when not the default of its class (see {@link EXIT}). */
  exitCode?: number;
}

/** Base class for all errors thrown by zkinfer. */
export class ZkinferError extends Error {
  override name = 'ZkinferError';
  readonly details?: string;
  readonly exitCode?: number;

  constructor(message: string, options: ZkinferErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details;
    this.exitCode = options.exitCode;
  }
}

/** A value given by the caller does not have the expected form. */
export class InvalidArgumentError extends ZkinferError {
  override name = 'InvalidArgumentError';
}

/** An ONNX model could not be imported (bad bytes, unsupported op, bad shapes). */
export class OnnxImportError extends ZkinferError {
  override name = 'OnnxImportError';
}

/** The model could not be compiled into a circuit (quantization, emission, circom). */
export class CompileError extends ZkinferError {
  override name = 'CompileError';
}

/** An input file or value is not acceptable for the model. */
export class InputError extends ZkinferError {
  override name = 'InputError';
}

/** Proving failed (witness generation or Groth16). */
export class ProveError extends ZkinferError {
  override name = 'ProveError';
}

/** A receipt, proof or attestation could not be checked at all (malformed, unreadable). */
export class VerifyError extends ZkinferError {
  override name = 'VerifyError';
}

/**
 * Dataset commitments, membership proofs, signed provenance records and attributions that
 * cannot be built or do not check (src/provenance/).
 */
export class ProvenanceError extends ZkinferError {
  override name = 'ProvenanceError';
}

/** A verifier could not be exported (a contract, calldata, a browser page), or a receipt was refused for encoding. */
export class ExportError extends ZkinferError {
  override name = 'ExportError';
}

/** Attestation documents that fail parsing or verification. */
export class AttestationError extends ZkinferError {
  override name = 'AttestationError';
}

/**
 * Checks that `value` is an integer in [min, max].
 * @throws {InvalidArgumentError} "expected <name> to be an integer in [min, max], got <value>"
 */
export function assertInteger(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`expected ${name} to be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/**
 * The command line's exit codes, one scheme for every command (README "Exit codes"):
 * 0 success (verify: every receipt valid or accepted); 1 the work failed on its content
 * (an invalid receipt or attestation, an unsupported op, an input the model cannot
 * prove); 2 a usage or I/O error (a malformed option, a missing or unreadable file, an
 * output that cannot be written); 130 and 143 after SIGINT and SIGTERM.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, sigint: 130, sigterm: 143 } as const;

/** Whether an error is, or was caused by, a file-system error (an errno code such as ENOENT). */
export function isFileSystemError(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && 'syscall' in (c as object)) return true;
  }
  return false;
}

/** The exit code for a failure: 2 for usage and I/O errors, 1 otherwise. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof ZkinferError && e.exitCode !== undefined) return e.exitCode;
  return e instanceof InvalidArgumentError || isFileSystemError(e) ? EXIT.usage : EXIT.failed;
}
