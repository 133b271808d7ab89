/**
 * A warm prover for one artifacts folder: the zkey is read into memory once and the
 * circuit's witness calculator (circom's generated wasm runner) is instantiated once, so
 * each proof pays only for the witness and the Groth16 arithmetic (./groth16.ts, on
 * snarkjs's curve). snarkjs's `groth16.fullProve` instead re-reads the zkey and recompiles
 * the witness wasm per call. A prover pool compiles the witness program once and gives each
 * worker's prover the compiled module (`witnessModule`; see ./witness-compile.ts).
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
import { proverCurve } from './curve-threads.js';

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
  /** The witness program: compiled already, or its bytes. */
  private readonly wasm: WebAssembly.Module | Uint8Array;
  private readonly builder: WitnessCalculatorBuilder;

  /**
   * @param options.engine `zkinfer` (default: ./groth16.ts) or `snarkjs` (its own
   *   `groth16.prove` on the in-memory key: the reference, kept for comparisons)
   * @param options.witnessModule the witness program compiled already (by
   *   `compileWitnessModule`, ./witness-compile.ts); by default the prover compiles
   *   `artifacts.wasmPath` itself on its first proof
   * @throws {ProveError} when the zkey, wasm or witness calculator cannot be loaded
   */
  constructor(artifacts: Pick<Artifacts, 'zkeyPath' | 'wasmPath'>, options: { engine?: 'zkinfer' | 'snarkjs'; witnessModule?: WebAssembly.Module } = {}) {
    try {
      const zkey = readFileSync(artifacts.zkeyPath);
      this.key = readGroth16Key(zkey);
      if (options.engine === 'snarkjs') this.zkey = zkey;
      this.wasm = options.witnessModule ?? readFileSync(artifacts.wasmPath);
      this.builder = requireHere(join(dirname(artifacts.wasmPath), 'witness_calculator.js')) as WitnessCalculatorBuilder;
    } catch (cause) {
      throw new ProveError(`cannot load the prover for ${dirname(artifacts.zkeyPath)}`, { cause });
    }
  }

  /**
   * Instantiates the witness program now rather than on the first proof (a pool's worker
   * does it while warming up).
   * @throws {ProveError} when the witness program cannot be instantiated
   */
  async warm(): Promise<void> {
    try {
      await this.witnessCalculator();
    } catch (cause) {
      this.calculator = undefined;
      throw new ProveError(`cannot instantiate the witness program: ${(cause as Error).message?.split('\n')[0] ?? 'unknown error'}`, { cause });
    }
  }

  /** The witness calculator, instantiated on first use. */
  private witnessCalculator(): Promise<WitnessCalculator> {
    const wasm = this.wasm;
    if (!(wasm instanceof WebAssembly.Module)) return (this.calculator ??= withBaselineWasmCompiler(() => this.builder(wasm)));
    if (this.calculator) return this.calculator;
    // circom's builder compiles the bytes it is given (`await WebAssembly.compile(code)`, its
    // first step, reached synchronously): handed the compiled module, it takes it as it is
    const compile = WebAssembly.compile;
    WebAssembly.compile = (code) => (code instanceof WebAssembly.Module ? Promise.resolve(code) : compile(code));
    try {
      this.calculator = this.builder(wasm as unknown as Uint8Array);
    } finally {
      WebAssembly.compile = compile;
    }
    return this.calculator;
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
      wtns = await (await this.witnessCalculator()).calculateWTNSBin({ ...signals }, true);
    } catch (cause) {
      this.calculator = undefined; // a trapped wasm instance is not reused
      throw new ProveError(`witness generation failed: ${(cause as Error).message?.split('\n')[0] ?? 'unknown error'}`, { cause });
    }
    const t1 = performance.now();
    try {
      let result: { proof: snarkjs.Groth16Proof; publicSignals: string[] };
      if (this.zkey) {
        await proverCurve(); // one build even when proofs start together
        result = await snarkjs.groth16.prove({ type: 'mem', data: this.zkey } as never, { type: 'mem', data: wtns });
      } else {
        const curve = (await proverCurve()) as unknown as ProverCurve; // cached per thread (./curve-threads.ts)
        result = await proveGroth16(curve, this.key, wtns);
      }
      const { proof, publicSignals } = result;
      return { proof, publicSignals, witnessMs: t1 - t0, proveMs: performance.now() - t1 };
    } catch (cause) {
      throw new ProveError(`proving failed: ${(cause as Error).message?.split('\n')[0] ?? 'unknown error'}`, { cause });
    }
  }
}
