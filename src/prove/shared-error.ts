/**
 * The error of one refused input among a shared proof's inputs (src/prove/shared.ts), kept
 * apart so that the prover pool can rebuild it without loading the prover.
 */
import { InputError } from '../shared/errors.js';

/** An input of a shared proof that cannot be proven, with its position among the inputs. */
export class SharedInputError extends InputError {
  /**
   * @param index the position of the refused input among the inputs given to `proveShared`
   */
  constructor(
    message: string,
    readonly index: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
