/**
 * The one check of the float executor against onnxruntime: a model is imported (and
 * optimized), run by the float executor and by onnxruntime on the same random inputs, and
 * every output must agree to 4 decimals.
 */
import { expect } from 'vitest';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { runFloat } from '../../src/ir/float-exec.js';
import { sizeOf, type Graph } from '../../src/ir/graph.js';
import { buildModel, randomArray, rng, runOrt, type ModelSpec } from './onnx-builder.js';

/** Options of {@link checkAgainstOrt}. */
export interface OrtCheckOptions {
  trials?: number;
  /** Seed of the random inputs. */
  seed?: number;
  /** Inputs are uniform in [lo, hi). */
  range?: readonly [number, number];
  /** Which graphs run: the imported one, the optimized one, or both (default). */
  graphs?: 'imported' | 'optimized' | 'both';
}

/** Checks the float executor against onnxruntime; returns the imported and optimized graphs. */
export async function checkAgainstOrt(model: Uint8Array | ModelSpec, options: OrtCheckOptions = {}): Promise<{ graph: Graph; optimized: Graph }> {
  const { trials = 2, seed = 42, range = [-2, 2], graphs = 'both' } = options;
  const bytes = model instanceof Uint8Array ? model : buildModel(model);
  const graph = importOnnx(bytes);
  const optimized = optimize(graph);
  const dims = graph.input.shape as number[];
  const r = rng(seed);
  const run = graphs === 'both' ? [graph, optimized] : graphs === 'imported' ? [graph] : [optimized];
  for (let t = 0; t < trials; t++) {
    const x = Float32Array.from(randomArray(r, sizeOf(dims), range[0], range[1]));
    // int64 outputs (ArgMax) come back as bigints.
    const expected = Array.from((await runOrt(bytes, x, dims)) as ArrayLike<number | bigint>, Number);
    for (const g of run) {
      const actual = runFloat(g, Float64Array.from(x));
      expect(actual.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 4);
    }
  }
  return { graph, optimized };
}

/**
 * {@link checkAgainstOrt} with a test file's own defaults, taking the number of trials as
 * its second argument; returns the optimized graph.
 */
export function ortChecker(defaults: Omit<OrtCheckOptions, 'trials'> & { trials: number }): (model: Uint8Array | ModelSpec, trials?: number) => Promise<Graph> {
  return async (model, trials = defaults.trials) => (await checkAgainstOrt(model, { ...defaults, trials })).optimized;
}
