/**
 * Compiling a circuit's witness program (circom's generated wasm) with V8's baseline
 * compiler (Liftoff) only.
 *
 * V8 first compiles WebAssembly with Liftoff and later recompiles hot functions with its
 * optimizing compiler (TurboFan). A model circuit's witness program is one very large
 * function per layer (a dense layer unrolls every multiply-add), so that recompilation
 * costs seconds of CPU — measured on the fashion-mnist example (9.6 MB wasm): about 5 s of
 * CPU, during which the thread stalled, after a witness that took 0.15 s — and buys
 * nothing: a second witness under Liftoff alone took 20 ms of CPU. snarkjs's curve code is
 * the opposite (small, hot functions that gain from TurboFan), so the flags are set only
 * while the witness program compiles, and it compiles eagerly, every function at once: code
 * compiled then keeps the baseline tier for good.
 *
 * V8 flags are per process. They are set only in the main thread, and only when no other
 * witness compile is in flight there. A prover pool's workers do not compile the program
 * themselves: the pool compiles it once in the main thread ({@link compileWitnessModule}) and
 * hands each worker the compiled module. Left to V8's default,
 * each worker recompiled the program with TurboFan during its first dozen proofs — measured on
 * the fashion-mnist example compiled with --inferences 7 (10 MB wasm): about 6 s of CPU per
 * worker on top of the witnesses, for a witness afterwards about 10 % faster (250 against
 * 270–340 ms of CPU).
 */
import v8 from 'node:v8';
import { isMainThread } from 'node:worker_threads';

let inFlight = 0;

/**
 * Compiles every function of the modules compiled until the matching {@link leave} at once,
 * with V8's baseline compiler only. Eagerly: V8 compiles a wasm function lazily, on its first
 * call, under the flags of that moment, so a lazily compiled program would be recompiled with
 * TurboFan after all once the flags are back.
 */
function enter(): void {
  if (inFlight++ === 0) for (const flag of ['--liftoff-only', '--no-wasm-lazy-compilation']) v8.setFlagsFromString(flag);
}

/**
 * Puts V8's defaults back. `--liftoff-only` also turned tier-up and dynamic tiering off, and
 * `--no-liftoff-only` does not turn them on again: left off, every module compiled afterwards in
 * the process — snarkjs's curve, whose small hot functions need TurboFan — ran on the baseline
 * code alone (a multi-exponentiation took 1.6 times the CPU).
 */
function leave(): void {
  if (--inFlight === 0) for (const flag of ['--no-liftoff-only', '--wasm-lazy-compilation', '--wasm-tier-up', '--wasm-dynamic-tiering']) v8.setFlagsFromString(flag);
}

/**
 * Runs `compile` (which compiles and instantiates a witness program) with V8's optimizing
 * tier off for the modules it compiles, in the main thread; elsewhere it just runs it.
 * @returns what `compile` returns
 */
export async function withBaselineWasmCompiler<T>(compile: () => Promise<T>): Promise<T> {
  if (!isMainThread) return compile();
  enter();
  try {
    return await compile();
  } finally {
    leave();
  }
}

/**
 * Compiles a witness program now, with V8's optimizing tier off in the main thread (V8's
 * default elsewhere), for instantiating in any thread of this process (the prover's
 * `witnessModule` option, ./prover.ts; a WebAssembly.Module can be posted to a worker thread).
 * @param code the witness program's bytes (circom's `circuit.wasm`)
 * @throws {WebAssembly.CompileError} for bytes that are not a valid module
 */
export function compileWitnessModule(code: Uint8Array): WebAssembly.Module {
  if (!isMainThread) return new WebAssembly.Module(code as Uint8Array<ArrayBuffer>);
  enter();
  try {
    return new WebAssembly.Module(code as Uint8Array<ArrayBuffer>);
  } finally {
    leave();
  }
}
