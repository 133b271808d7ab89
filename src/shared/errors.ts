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
}

/** Base class for all errors thrown by zkinfer. */
export class ZkinferError extends Error {
  override name = 'ZkinferError';
  readonly details?: string;

  constructor(message: string, options: ZkinferErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details;
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
