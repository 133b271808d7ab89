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
 * the opposite (small, hot functions that gain from TurboFan), so the flag is set only
 * while the witness program compiles: V8 fixes a module's tiering when it compiles it.
 *
 * V8 flags are per process. The flag is set only in the main thread, and only when no other
 * witness compile is in flight there; worker threads (the prover pool), which may compile
 * other wasm at the same moment, keep V8's default.
 */
import v8 from 'node:v8';
import { isMainThread } from 'node:worker_threads';

let inFlight = 0;

/**
 * Runs `compile` (which compiles and instantiates a witness program) with V8's optimizing
 * tier off for the modules it compiles, in the main thread; elsewhere it just runs it.
 * @returns what `compile` returns
 */
export async function withBaselineWasmCompiler<T>(compile: () => Promise<T>): Promise<T> {
  if (!isMainThread) return compile();
  if (inFlight++ === 0) v8.setFlagsFromString('--liftoff-only');
  try {
    return await compile();
  } finally {
    if (--inFlight === 0) v8.setFlagsFromString('--no-liftoff-only');
  }
}
