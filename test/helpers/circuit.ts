/**
 * Compiles small test circuits (a Circom source string that `include`s gadgets) with
 * compileCircom, caches them per source and optimization level for the test run, and computes
 * witnesses with the witness calculator circom generated for them (`<name>_js/`), which is
 * a separate implementation from the TypeScript R1CS checker in ./r1cs.ts.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileCircom, type CircomCompileResult } from '../../src/compile/circom.js';
import { checkWitness, getSignal, readR1cs, readSymbols, setSignals, type R1cs, type SymbolTable } from './r1cs.js';

/** Input signals by name; values may be negative (encoded mod p) and nested arrays. */
export type CircuitInput = Record<string, bigint | number | string | ReadonlyArray<unknown>>;

interface WitnessCalculator {
  calculateWitness(input: unknown, sanityCheck?: boolean): Promise<bigint[]>;
}
type WitnessCalculatorBuilder = (code: Uint8Array, options?: object) => Promise<WitnessCalculator>;

/** A compiled test circuit with its parsed constraint system and symbols. */
export interface TestCircuit {
  source: string;
  optimization: 'O0' | 'O1' | 'O2';
  compiled: CircomCompileResult;
  r1cs: R1cs;
  symbols: SymbolTable;
  /** Runs circom's witness calculator; throws whatever it throws (e.g. "Assert Failed"). */
  witness(input: CircuitInput): Promise<bigint[]>;
  /** Indices of the constraints the witness fails (see checkWitness). */
  check(witness: readonly bigint[]): number[];
  /** A named signal's raw field element. */
  get(witness: readonly bigint[], name: string): bigint;
  /** A copy of the witness with named signals replaced (see setSignals). */
  forge(witness: readonly bigint[], values: Readonly<Record<string, bigint>>, options?: { skipEliminated?: boolean }): bigint[];
}

const cache = new Map<string, Promise<TestCircuit>>();
let root: Promise<string> | undefined;
const requireHere = createRequire(import.meta.url);

/**
 * Compiles `source` (cached by its SHA-256 and the optimization level for this process).
 * @param source a complete Circom file with a `main` component
 * @param options.optimization circom's simplification level, default `O2`
 */
export function compileTestCircuit(source: string, options: { optimization?: 'O0' | 'O1' | 'O2' } = {}): Promise<TestCircuit> {
  const optimization = options.optimization ?? 'O2';
  const key = createHash('sha256').update(optimization).update('\0').update(source).digest('hex');
  let entry = cache.get(key);
  if (!entry) {
    entry = build(source, optimization, key);
    entry.catch(() => cache.delete(key));
    cache.set(key, entry);
  }
  return entry;
}

async function build(source: string, optimization: 'O0' | 'O1' | 'O2', key: string): Promise<TestCircuit> {
  root ??= mkdtemp(path.join(tmpdir(), 'zkinfer-circuits-'));
  const dir = path.join(await root, key.slice(0, 16));
  await mkdir(dir, { recursive: true });
  const sourcePath = path.join(dir, 'circuit.circom');
  await writeFile(sourcePath, source);
  const compiled = await compileCircom(sourcePath, { outDir: dir, optimization });
  const [r1cs, symbols, wasm] = await Promise.all([readR1cs(compiled.r1csPath), readSymbols(compiled.symPath), readFile(compiled.wasmPath)]);
  const builder = requireHere(compiled.witnessCalculatorPath) as WitnessCalculatorBuilder;
  let calculator: Promise<WitnessCalculator> | undefined;
  return {
    source,
    optimization,
    compiled,
    r1cs,
    symbols,
    async witness(input) {
      calculator ??= builder(wasm);
      try {
        return await (await calculator).calculateWitness(input, true);
      } catch (err) {
        calculator = undefined; // a trap mid-run leaves the instance in an unknown state
        throw err;
      }
    },
    check: (w) => checkWitness(r1cs, w),
    get: (w, name) => getSignal(w, symbols, name),
    forge: (w, values, opts) => setSignals(w, symbols, values, r1cs.prime, opts),
  };
}

/** Removes every circuit compiled by this process and empties the cache (call from afterAll). */
export async function removeTestCircuits(): Promise<void> {
  const dir = root;
  root = undefined;
  cache.clear();
  if (dir) await rm(await dir, { recursive: true, force: true });
}

/**
 * A test circuit whose main component is `template` with `in` public, so that the optimizer
 * keeps the input wire (a private input of main may legitimately be optimized away).
 */
export function gadgetCircuit(template: string, publicSignals: readonly string[] = ['in']): string {
  return `pragma circom 2.1.0;\ninclude "zkinfer/zkinfer.circom";\ncomponent main {public [${publicSignals.join(', ')}]} = ${template};\n`;
}
