/**
 * A warm prover for one artifacts folder: the zkey is read into memory once and the
 * circuit's witness calculator (circom's generated wasm runner) is instantiated once, so
 * each proof pays only for the witness and the Groth16 arithmetic (./groth16.ts, on
 * snarkjs's curve). snarkjs's `groth16.fullProve` instead re-reads the zkey and recompiles
 * the witness wasm per call.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { proveGroth16, readGroth16Key, type Groth16Key, type ProverCurve } from './groth16.js';
import { ProveError } from '../shared/errors.js';
import { encodeSigned } from '../shared/field.js';
import type { Artifacts } from './artifacts.js';
import { withBaselineWasmCompiler } from './witness-compile.js';
import { sharedCurve } from '../shared/curve.js';

interface WitnessCalculator {
  calculateWTNSBin(input: Record<string, unknown>, sanityCheck?: boolean): Promise<Uint8Array>;
}
type WitnessCalculatorBuilder = (code: Uint8Array, options?: object) => Promise<WitnessCalculator>;

const requireHere = createRequire(import.meta.url);

/** Proves witnesses for one compiled model, keeping its key and witness program loaded. */
export class Prover {
  private calculator?: Promise<WitnessCalculator>;
  private readonly key: Groth16Key;
  private readonly zkey?: Uint8Array;
  private readonly wasm: Uint8Array;
  private readonly builder: WitnessCalculatorBuilder;

  /**
   * @throws {ProveError} when the zkey, wasm or witness calculator cannot be loaded
   */
  /**
   * @param options.engine `zkinfer` (default: ./groth16.ts) or `snarkjs` (its own
   *   `groth16.prove` on the in-memory key: the reference, kept for comparisons)
   */
  constructor(artifacts: Pick<Artifacts, 'zkeyPath' | 'wasmPath'>, options: { engine?: 'zkinfer' | 'snarkjs' } = {}) {
    try {
      const zkey = readFileSync(artifacts.zkeyPath);
      this.key = readGroth16Key(zkey);
      if (options.engine === 'snarkjs') this.zkey = zkey;
      this.wasm = readFileSync(artifacts.wasmPath);
      this.builder = requireHere(join(dirname(artifacts.wasmPath), 'witness_calculator.js')) as WitnessCalculatorBuilder;
    } catch (cause) {
      throw new ProveError(`cannot load the prover for ${dirname(artifacts.zkeyPath)}`, { cause });
    }
  }

  /**
   * Computes the witness for the input integers and the receipt context, and a Groth16 proof.
   * @param context the receipt context field element (src/shared/context.ts)
   * @param extra further inputs by signal name (the salts `inSalt`, `outSalt` of hashed tensors; private weights, their salt and commitment)
   * @returns snarkjs's proof and public signals, and the time of each part in ms
   * @throws {ProveError} when the witness cannot be computed (an input the circuit rejects) or proving fails
   */
  async prove(
    inputRaw: readonly number[],
    context: bigint,
    extra: Readonly<Record<string, bigint | readonly bigint[]>> = {},
  ): Promise<{ proof: snarkjs.Groth16Proof; publicSignals: string[]; witnessMs: number; proveMs: number }> {
    return this.proveSignals({ in: inputRaw.map((v) => encodeSigned(BigInt(v))), ctx: context, ...extra });
  }

  /**
   * Computes the witness for the circuit's input signals as given (by name, nested arrays of
   * field elements) and a Groth16 proof; {@link prove} for the single-inference circuit.
   * @throws {ProveError} as {@link prove}
   */
  async proveSignals(signals: Readonly<Record<string, unknown>>): Promise<{ proof: snarkjs.Groth16Proof; publicSignals: string[]; witnessMs: number; proveMs: number }> {
    const t0 = performance.now();
    let wtns: Uint8Array;
    try {
      this.calculator ??= withBaselineWasmCompiler(() => this.builder(this.wasm));
      wtns = await (await this.calculator).calculateWTNSBin({ ...signals }, true);
    } catch (cause) {
      this.calculator = undefined; // a trapped wasm instance is not reused
      throw new ProveError(`witness generation failed: ${(cause as Error).message?.split('\n')[0] ?? 'unknown error'}`, { cause });
    }
    const t1 = performance.now();
    try {
      let result: { proof: snarkjs.Groth16Proof; publicSignals: string[] };
      if (this.zkey) {
        await sharedCurve(); // one build even when proofs start together
        result = await snarkjs.groth16.prove({ type: 'mem', data: this.zkey } as never, { type: 'mem', data: wtns });
      } else {
        const curve = await sharedCurve<ProverCurve>(); // cached per thread (./curve-threads.ts)
        result = await proveGroth16(curve, this.key, wtns);
      }
      const { proof, publicSignals } = result;
      return { proof, publicSignals, witnessMs: t1 - t0, proveMs: performance.now() - t1 };
    } catch (cause) {
      throw new ProveError(`proving failed: ${(cause as Error).message?.split('\n')[0] ?? 'unknown error'}`, { cause });
    }
  }
}
