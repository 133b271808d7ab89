/**
 * Chaining two models through a hashed value: model A's hashed output is model B's hashed
 * input, committed with the same salt, so the two receipts share one commitment and the
 * integers in between are never revealed. The verifier checks both proofs and the link.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile/compile.js';
import { loadArtifacts, type Artifacts } from '../../src/prove/artifacts.js';
import { proveWithOpening } from '../../src/prove/prove.js';
import { loadVerifierKey, type VerifierKey } from '../../src/verify/verify.js';
import { verifyChain } from '../../src/verify/chain.js';
import { checkOpening, commitmentRange } from '../../src/shared/opening.js';
import { releaseCurve } from '../../src/shared/curve.js';
import type { Receipt } from '../../src/shared/receipt.js';
import { buildModel, randomArray, rng } from '../helpers/onnx-builder.js';
import { compileTinyModel } from './tiny-model.js';

let a: Artifacts;
let b: Artifacts;
let keyA: VerifierKey;
let keyB: VerifierKey;
const x = [0.5, -0.25, 0.75, 0.1, -0.6, 0.3];

beforeAll(async () => {
  const first = await compileTinyModel({ outputVisibility: 'hashed' });
  a = loadArtifacts(first.dir);
  // Model B reads A's logits: its input must have A's output scale and committed width.
  const { scale, min, max } = a.manifest.io.output;
  const width = Math.log2(commitmentRange({ min, max }).max + 1) + 1;
  const work = mkdtempSync(join(tmpdir(), 'zkinfer-chain-'));
  const r = rng(5);
  const onnxPath = join(work, 'second.onnx');
  writeFileSync(
    onnxPath,
    buildModel({
      input: { name: 'logits', dims: [1, 3] },
      output: { name: 'score' },
      nodes: [
        { op: 'Gemm', inputs: ['logits', 'W', 'b'], outputs: ['h'], attrs: { transB: 1 }, name: 'fc' },
        { op: 'Relu', inputs: ['h'], outputs: ['score'], name: 'relu' },
      ],
      initializers: [
        { name: 'W', dims: [2, 3], values: randomArray(r, 6) },
        { name: 'b', dims: [2], values: randomArray(r, 2, -0.2, 0.2) },
      ],
    }),
  );
  // calibrated on the top of A's committed range, so B's input scale is A's output scale
  const top = (2 ** (width - 1) - 1) / 2 ** scale;
  writeFileSync(join(work, 'calibration.jsonl'), `${JSON.stringify({ input: [[top, -top, 0]] })}\n`);
  await compileModel(onnxPath, {
    outDir: join(work, 'artifacts'),
    calibrationPath: join(work, 'calibration.jsonl'),
    quant: { inputBits: width, weightBits: 8, activationBits: 10 },
    inputVisibility: 'hashed',
  });
  b = loadArtifacts(join(work, 'artifacts'));
  keyA = loadVerifierKey(first.dir);
  keyB = loadVerifierKey(join(work, 'artifacts'));
}, 900_000);
afterAll(releaseCurve);

describe('a pipeline of two models through a hashed value', () => {
  it("B reads A's output integers at the same scale and committed range", () => {
    expect(b.manifest.io.input.scale).toBe(a.manifest.io.output.scale);
    expect(commitmentRange(b.manifest.io.input)).toEqual(commitmentRange(a.manifest.io.output));
  });

  it("A's output commitment is B's input commitment; the chain verifies; another salt breaks the link", async () => {
    const first = await proveWithOpening(a, x, { nonce: 'aa' });
    const hidden = first.opening!.output!;
    expect(first.receipt.output).not.toHaveProperty('raw');
    expect(first.receipt.output).not.toHaveProperty('values');
    // the hashed output opens like a hashed input: its integers and salt, checked against the commitment
    expect(await checkOpening(first.receipt, first.opening!, a.manifest.io)).toEqual({ valid: true, disclosed: { output: first.opening!.output!.raw } });
    const changed = JSON.parse(JSON.stringify(first.opening!)) as typeof first.opening & object;
    changed.output!.raw[0]! += 1;
    expect((await checkOpening(first.receipt, changed, a.manifest.io)).reason).toBe("the opening's output does not match the receipt's output commitment");
    const between = hidden.raw.map((v) => v / 2 ** a.manifest.io.output.scale);
    const second = await proveWithOpening(b, between, { nonce: 'bb', salts: { input: BigInt(hidden.salt) } });
    expect(second.opening!.input!.raw).toEqual(hidden.raw);
    expect(second.receipt.input.commitment).toBe((first.receipt.output as { commitment: string }).commitment);
    expect(
      await verifyChain([
        { receipt: first.receipt, key: keyA },
        { receipt: second.receipt, key: keyB },
      ]),
    ).toMatchObject({ valid: true });

    const unlinked = await proveWithOpening(b, between, { nonce: 'cc' });
    expect(
      (
        await verifyChain([
          { receipt: first.receipt, key: keyA },
          { receipt: unlinked.receipt, key: keyB },
        ])
      ).reason,
    ).toBe("link 0: receipt 0's output commitment differs from receipt 1's input commitment");
    const swapped: Receipt = JSON.parse(JSON.stringify(second.receipt));
    expect(
      (
        await verifyChain([
          { receipt: swapped, key: keyB },
          { receipt: first.receipt, key: keyA },
        ])
      ).reason,
    ).toMatch(/^link 0: receipt 0's output is public/);
  });
});
