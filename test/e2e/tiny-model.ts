/**
 * A tiny model compiled once per test file (circuit, local setup, manifest), shared by the
 * end-to-end, verifier and CLI tests.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, type CompileOptions, type CompileResult } from '../../src/build/compile.js';
import type { LocalSetupMethod } from '../../src/build/setup.js';
import { buildModel, randomArray, rng } from '../helpers/onnx-builder.js';

/**
 * Writes a 6-5-3 MLP with a final Softmax and compiles it into a temporary folder.
 * @param options.skipSetup no zkey, for TEE-only tests.
 * @param options.localSetup how the local setup makes the keys (default: compile's default, direct);
 *   tests of the phase-2 chain need `snarkjs`.
 * @param options.inputVisibility, options.outputVisibility hashed input or output.
 * @param options.weights `hashed`: private weights, written to `<work>/weights.private.json`.
 */
export async function compileTinyModel(
  options: { skipSetup?: boolean; localSetup?: LocalSetupMethod } & Pick<CompileOptions, 'inputVisibility' | 'outputVisibility' | 'weights'> = {},
): Promise<{ dir: string; onnxPath: string; result: CompileResult; work: string }> {
  const work = mkdtempSync(join(tmpdir(), 'zkinfer-e2e-'));
  const r = rng(21);
  const bytes = buildModel({
    input: { name: 'features', dims: [1, 6] },
    output: { name: 'probs' },
    nodes: [
      { op: 'Gemm', inputs: ['features', 'W1', 'b1'], outputs: ['h'], attrs: { transB: 1 }, name: 'fc1' },
      { op: 'Relu', inputs: ['h'], outputs: ['a'], name: 'relu1' },
      { op: 'Gemm', inputs: ['a', 'W2', 'b2'], outputs: ['z'], attrs: { transB: 1 }, name: 'fc2' },
      { op: 'Softmax', inputs: ['z'], outputs: ['probs'], name: 'softmax' },
    ],
    initializers: [
      { name: 'W1', dims: [5, 6], values: randomArray(r, 30) },
      { name: 'b1', dims: [5], values: randomArray(r, 5, -0.2, 0.2) },
      { name: 'W2', dims: [3, 5], values: randomArray(r, 15) },
      { name: 'b2', dims: [3], values: randomArray(r, 3, -0.2, 0.2) },
    ],
  });
  const onnxPath = join(work, 'tiny.onnx');
  writeFileSync(onnxPath, bytes);
  const calib = Array.from({ length: 32 }, () => JSON.stringify({ input: [randomArray(r, 6)] })).join('\n');
  writeFileSync(join(work, 'calibration.jsonl'), `${calib}\n`);
  const dir = join(work, 'artifacts');
  const result = await compileModel(onnxPath, {
    outDir: dir,
    calibrationPath: join(work, 'calibration.jsonl'),
    quant: { inputBits: 8, weightBits: 8, activationBits: 10 },
    provenance: { name: 'tiny', authors: ['zkinfer tests'], license: 'MIT' },
    ...(options.skipSetup ? { skipSetup: true } : { localSetup: options.localSetup }),
    ...(options.inputVisibility ? { inputVisibility: options.inputVisibility } : {}),
    ...(options.outputVisibility ? { outputVisibility: options.outputVisibility } : {}),
    ...(options.weights === 'hashed' ? { weights: 'hashed' as const, weightsOut: join(work, 'weights.private.json') } : {}),
  });
  return { dir, onnxPath, result, work };
}

/** Writes an input file for the tiny model and returns its path. */
export function writeInput(work: string, name: string, input: unknown): string {
  const path = join(work, name);
  writeFileSync(path, typeof input === 'string' ? input : JSON.stringify({ input }));
  return path;
}
