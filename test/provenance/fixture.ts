/**
 * Shared by the provenance tests: the small IDX fixture (48 class-patterned 4×4 images,
 * two contributors), a 16-8-3 ReLU MLP over it, deterministic test keys and a signed record.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileModel, type CompileResult } from '../../src/compile/compile.js';
import { commitDataset, type DatasetCommitment } from '../../src/provenance/commitment.js';
import { readContributorMap } from '../../src/provenance/contributors.js';
import { readSamplesAt } from '../../src/provenance/dataset.js';
import { signingKeyFromSecret, type SigningKey } from '../../src/provenance/keys.js';
import { checkProvenanceForCompile, signContribution, signRecord, type ProvenanceRecord } from '../../src/provenance/record.js';
import { tensorValues, type TensorSample } from '../../src/provenance/sample.js';
import { sha256File } from '../../src/shared/hash.js';
import { buildModel, randomArray, rng } from '../helpers/onnx-builder.js';

export const FIX = new URL('../fixtures/provenance/', import.meta.url).pathname;
export const IDX = join(FIX, 'idx');
export const TRAIN = 48;

/** Test keys from fixed secrets (never used outside the tests). */
export const keys = {
  trainer: signingKeyFromSecret('11'.repeat(32), 'test trainer'),
  atelier: signingKeyFromSecret('22'.repeat(32), 'atelier-a'),
  studio: signingKeyFromSecret('33'.repeat(32), 'studio-b'),
  mallory: signingKeyFromSecret('44'.repeat(32), 'mallory'),
};

/** Commits the training split of the IDX fixture. */
export function fixtureCommitment(): Promise<DatasetCommitment> {
  return commitDataset(IDX, readContributorMap(join(FIX, 'contributors.json')), { split: 'train', name: 'fixture-train' });
}

/** Writes the 16-8-3 MLP (input [1,1,4,4], pixel/255) and a calibration file of all 48 training images. */
export async function writeFixtureModel(work: string, seed = 5): Promise<{ onnxPath: string; calibrationPath: string }> {
  const r = rng(seed);
  const bytes = buildModel({
    input: { name: 'image', dims: [1, 1, 4, 4] },
    output: { name: 'logits' },
    nodes: [
      { op: 'Flatten', inputs: ['image'], outputs: ['flat'], name: 'flatten' },
      { op: 'Gemm', inputs: ['flat', 'W1', 'b1'], outputs: ['h'], attrs: { transB: 1 }, name: 'fc1' },
      { op: 'Relu', inputs: ['h'], outputs: ['a'], name: 'relu1' },
      { op: 'Gemm', inputs: ['a', 'W2', 'b2'], outputs: ['logits'], attrs: { transB: 1 }, name: 'fc2' },
    ],
    initializers: [
      { name: 'W1', dims: [8, 16], values: randomArray(r, 128) },
      { name: 'b1', dims: [8], values: randomArray(r, 8, -0.1, 0.1) },
      { name: 'W2', dims: [3, 8], values: randomArray(r, 24) },
      { name: 'b2', dims: [3], values: randomArray(r, 3, -0.1, 0.1) },
    ],
  });
  const onnxPath = join(work, `mlp-${seed}.onnx`);
  writeFileSync(onnxPath, bytes);
  const samples = await readSamplesAt(
    IDX,
    Array.from({ length: TRAIN }, (_, i) => i),
    { split: 'train' },
  );
  const lines = [...samples.values()].map((s) =>
    JSON.stringify({
      input: [
        [
          chunk(
            Array.from(tensorValues(s as TensorSample), (v) => v / 255),
            4,
          ),
        ],
      ],
    }),
  );
  const calibrationPath = join(work, 'calibration.jsonl');
  writeFileSync(calibrationPath, `${lines.join('\n')}\n`);
  return { onnxPath, calibrationPath };
}

function chunk<T>(xs: T[], n: number): T[][] {
  return Array.from({ length: xs.length / n }, (_, i) => xs.slice(i * n, (i + 1) * n));
}

/** A record for `onnxPath` signed by the test trainer, with both contributors' signatures. */
export function fixtureRecord(commitment: DatasetCommitment, onnxPath: string, trainer: SigningKey = keys.trainer): ProvenanceRecord {
  return signRecord(
    {
      name: 'fixture-mlp',
      about: { authors: ['zkinfer tests'], license: 'MIT' },
      datasets: [{ commitment }],
      contributions: [signContribution(commitment, 'atelier-a', keys.atelier), signContribution(commitment, 'studio-b', keys.studio)],
      trainingScript: { path: 'scripts/make_provenance_fixtures.py', sha256: sha256File(new URL('../../scripts/make_provenance_fixtures.py', import.meta.url).pathname) },
      hyperparameters: { epochs: 0, note: 'random weights' },
      onnxSha256: sha256File(onnxPath),
      trainerName: 'test trainer',
    },
    trainer,
  );
}

/** Compiles the fixture model without a Groth16 setup (what attribution needs). */
export function compileFixture(onnxPath: string, calibrationPath: string, outDir: string, provenance?: object | string): Promise<CompileResult> {
  return compileModel(onnxPath, {
    outDir,
    calibrationPath,
    quant: { inputBits: 10, weightBits: 8, activationBits: 10 },
    provenance: provenance as never,
    provenanceChecker: checkProvenanceForCompile,
    skipSetup: true,
  });
}
