/**
 * Private weights (`--weights hashed`) end to end on the tiny 6-5-3 model: the published
 * artifacts hold no weight value and no ONNX file, the owner's weights file is 0600 and
 * outside the folder, the circuit costs exactly one product per multiply plus the range
 * checks and the hashing, the proof's output equals the public-weights model's exactly, the
 * receipt and manifest carry only the weight commitment, verify checks it (and a pinned one),
 * and forged witnesses — another weight, a weight out of range, another salt — are rejected
 * by the constraints.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts, withPrivateWeights, type Artifacts } from '../../src/prove/artifacts.js';
import { proveInference } from '../../src/prove/prove.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { quantizeInput, runReference } from '../../src/reference/execute.js';
import { publicSignalLayout } from '../../src/shared/layout.js';
import { packing } from '../../src/shared/commitment.js';
import { encodeSigned } from '../../src/shared/field.js';
import { receiptContext } from '../../src/shared/context.js';
import { receiptDigest, type Receipt } from '../../src/shared/receipt.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { commitWeights, privateWeightsSchema, type PrivateWeights } from '../../src/quant/weights.js';
import { checkWitness, readR1cs, readSymbols, setSignals, type R1cs, type SymbolTable } from '../helpers/r1cs.js';
import { compileTinyModel, writeInput } from './tiny-model.js';
import buildDist from '../helpers/build-dist.js';
import { buildModel, randomArray, rng } from '../helpers/onnx-builder.js';

let pub: Awaited<ReturnType<typeof compileTinyModel>>;
let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let stripped: Artifacts;
let artifacts: Artifacts;
let key: VerifierKey;
let receipt: Receipt;
let weightsPath: string;
let secret: PrivateWeights;
const x = [0.5, -0.25, 0.75, 0.1, -0.6, 0.3];

beforeAll(async () => {
  [pub, tiny] = [await compileTinyModel(), await compileTinyModel({ weights: 'hashed' })];
  weightsPath = join(tiny.work, 'weights.private.json');
  secret = privateWeightsSchema.parse(JSON.parse(readFileSync(weightsPath, 'utf8')));
  stripped = loadArtifacts(tiny.dir);
  artifacts = await withPrivateWeights(stripped, weightsPath);
  key = loadVerifierKey(tiny.dir);
  receipt = await proveInference(artifacts, x, { nonce: '00112233' });
}, 600_000);
afterAll(releaseCurve);

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** Every file of a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('compile --weights hashed', () => {
  it("publishes no ONNX file and no weight value; the owner's weights file is mode 0600 and outside the folder", () => {
    const m = stripped.manifest;
    expect(m.files.onnx).toBeNull();
    expect(existsSync(join(tiny.dir, 'model.onnx'))).toBe(false);
    expect(statSync(weightsPath).mode & 0o777).toBe(0o600);
    expect(weightsPath.startsWith(tiny.dir)).toBe(false);
    // the weights file holds the full quantized model's weights: the public model's quantized.json has the same integers
    const full = pub.result.model.nodes.filter((n) => n.kind === 'linear');
    expect(secret.layers.map((l) => [l.weight, l.bias])).toEqual(full.map((n) => [n.weight, n.bias]));
    const texts = filesUnder(tiny.dir).map((f) => ({ f, text: readFileSync(f).toString('latin1').replace(/\s+/g, '') }));
    for (const layer of secret.layers) {
      for (const values of [layer.weight, layer.bias]) {
        // any run of 3 consecutive values, as JSON or Circom would write them
        for (let i = 0; i + 3 <= values.length; i++) {
          const run = values.slice(i, i + 3).join(',');
          for (const { f, text } of texts) expect(text.includes(`[${run}`) || text.includes(`,${run},`) || text.includes(`${run}]`), `${f} holds weights ${run}`).toBe(false);
        }
      }
    }
    expect(readFileSync(join(tiny.dir, 'circuit.circom'), 'utf8')).not.toMatch(/_w\(\)/);
    expect(JSON.stringify(stripped.model.nodes.filter((n) => n.kind === 'linear').map((n) => [n.weight, n.bias]))).toBe('[[[],[]],[[],[]]]');
    expect(secret.salt).not.toBe('0');
    expect(JSON.stringify(m)).not.toContain(secret.salt);
  });

  it('declares the commitment and its segments; the model id covers it; the layout puts it before the context', async () => {
    const w = stripped.manifest.io.weights!;
    expect(w.commitment).toBe(secret.commitment);
    expect(w.count).toBe(30 + 5 + 15 + 3);
    expect(w.segments.map((s) => [s.tensor, s.count, s.min, s.max])).toEqual([
      ['weight', 30, -128, 127],
      ['bias', 5, w.segments[1]!.min, w.segments[1]!.max],
      ['weight', 15, -128, 127],
      ['bias', 3, w.segments[3]!.min, w.segments[3]!.max],
    ]);
    expect(
      (
        await commitWeights(
          w.segments,
          secret.layers.flatMap((l) => [l.weight, l.bias]),
          BigInt(secret.salt),
        )
      ).toString(),
    ).toBe(w.commitment);
    expect(stripped.manifest.modelId).toBe(secret.modelId);
    expect(stripped.manifest.compileOptions.visibility).toEqual({ input: 'public', output: 'public', weights: 'hashed' });
    const io = stripped.manifest.io;
    expect(publicSignalLayout(io)).toEqual([
      { kind: 'packed', of: 'output', start: 0, count: 1, values: 3, min: io.output.min, max: io.output.max, bits: io.output.packing!.bits, perSignal: io.output.packing!.perSignal },
      { kind: 'values', of: 'input', start: 1, count: 6, min: io.input.min, max: io.input.max },
      { kind: 'commitment', of: 'weights', start: 7, count: 1 },
      { kind: 'context', start: 8, count: 1 },
    ]);
  });

  it('costs exactly one constraint per multiply, b + 1 per committed value, one per packed element but one per call, and 3·(8t + R) + 1 per Poseidon call more than public weights', () => {
    // under O1 each packed element is one linear constraint but one per Poseidon call (here every tensor packs into one element),
    // and the public commitment is the last call's output: no constraint of its own
    const segs = stripped.manifest.io.weights!.segments;
    const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
    let expected = 6 * 5 + 5 * 3; // products (one row)
    for (const s of segs) {
      const p = packing(s.count, s);
      expected += s.count * (p.bits + 1) + p.elements - p.rounds;
      for (let r = 0; r < p.rounds; r++) {
        const t = Math.min(15, p.elements - 15 * r) + 2;
        expected += 3 * (8 * t + N_ROUNDS_P[t - 2]!) + 1;
      }
    }
    expect(stripped.manifest.circuit.constraints - pub.result.manifest.circuit.constraints).toBe(expected);
  });
});

describe('prove and verify with private weights', () => {
  it("the output equals the public-weights model's exactly (same quantized model), and the receipt carries only the weight commitment", async () => {
    const raw = quantizeInput(pub.result.model, x);
    expect('raw' in receipt.output && receipt.output.raw).toEqual(runReference(pub.result.model, raw));
    expect(receipt.weights).toEqual({ visibility: 'hashed', commitment: secret.commitment });
    expect(receipt.publicSignals!.at(-2)).toBe(secret.commitment); // the weight commitment comes before the context
    const text = JSON.stringify(receipt);
    expect(text).not.toContain(secret.salt);
    for (const l of secret.layers) expect(text).not.toContain(l.weight.slice(0, 3).join(','));
  });

  it('verifies; a pinned weight commitment is checked', async () => {
    expect(await verifyProof(receipt, key)).toMatchObject({ valid: true });
    expect(await verifyProof(receipt, key, { weightsCommitments: [secret.commitment] })).toMatchObject({ valid: true });
    const other = (BigInt(secret.commitment) + 1n).toString();
    expect((await verifyProof(receipt, key, { weightsCommitments: [other] })).reason).toBe(
      `the weight commitment ${secret.commitment.slice(0, 16)}… is not a trusted one (pinned: ${other.slice(0, 16)}…)`,
    );
  });

  it('refuses a receipt whose weight commitment was changed or removed, and a proof under another weight commitment', async () => {
    const changed = clone(receipt);
    changed.weights!.commitment = (BigInt(secret.commitment) + 1n).toString();
    expect((await verifyProof(changed, key)).reason).toBe("the receipt's weight commitment differs from the manifest's");
    const removed = clone(receipt);
    delete removed.weights;
    expect((await verifyProof(removed, key)).reason).toBe('the receipt carries no weight commitment, the manifest declares private weights');
    // a manifest and receipt both moved to another commitment: the proof was made for the first one
    const forgedKey: VerifierKey = { ...key, manifest: clone(key.manifest) };
    forgedKey.manifest.io.weights!.commitment = changed.weights!.commitment;
    const shifted = clone(changed);
    shifted.publicSignals![shifted.publicSignals!.length - 2] = changed.weights!.commitment;
    shifted.digest = receiptDigest(shifted);
    expect((await verifyProof(shifted, forgedKey)).reason).toBe('the Groth16 proof does not verify');
  });

  it('refuses to prove without the weights, or with a weights file whose weight, salt or model differs', async () => {
    await expect(proveInference(stripped, x)).rejects.toThrow("the model's weights are private: load its owner's weights file first");
    const bad = clone(secret);
    bad.layers[0]!.weight[0] = bad.layers[0]!.weight[0]! === 0 ? 1 : 0;
    await expect(withPrivateWeights(stripped, bad)).rejects.toThrow('weights: the weights and salt do not match the weight commitment');
    const salted = { ...clone(secret), salt: (BigInt(secret.salt) + 1n).toString() };
    await expect(withPrivateWeights(stripped, salted)).rejects.toThrow('weights: the weights and salt do not match the weight commitment');
    const outOfRange = clone(secret);
    outOfRange.layers[0]!.weight[0] = 128;
    await expect(withPrivateWeights(stripped, outOfRange)).rejects.toThrow('weights: w0: value 0 is 128, outside the declared range [-128, 127]');
    await expect(withPrivateWeights(stripped, { ...clone(secret), modelId: '0'.repeat(64) })).rejects.toThrow(`weights: the weights are for model 0000000000000000…`);
    await expect(withPrivateWeights(loadArtifacts(pub.dir), secret)).rejects.toThrow("the model's weights are public");
  });
});

describe('batch prove with private weights', () => {
  it("the pool's workers load the owner's weights; every receipt verifies; without them the batch is refused", async () => {
    const { proveBatch } = await import('../../src/prove/batch.js');
    const inputs = join(tiny.work, 'batch.jsonl');
    writeFileSync(inputs, `${JSON.stringify({ id: 'a', input: [x] })}\n${JSON.stringify({ id: 'b', input: [x.map((v) => -v)] })}\n`);
    const out = join(tiny.work, 'batch');
    expect(await proveBatch(artifacts, inputs, out, { workers: 1 })).toMatchObject({ proved: 2, failed: 0 });
    for (const id of ['a', 'b']) {
      const r = JSON.parse(readFileSync(join(out, `${id}.json`), 'utf8')) as Receipt;
      expect(r.weights).toEqual({ visibility: 'hashed', commitment: secret.commitment });
      expect(await verifyProof(r, key)).toMatchObject({ valid: true });
    }
    await expect(proveBatch(stripped, inputs, join(tiny.work, 'batch-stripped'), { workers: 1 })).rejects.toThrow(
      `${tiny.dir}: the model's weights are private: load its owner's weights file first (withPrivateWeights; zkinfer prove --weights <file>)`,
    );
    expect(existsSync(join(tiny.work, 'batch-stripped'))).toBe(false);
  }, 300_000);
});

describe('forged witnesses against the compiled circuit', () => {
  let r1cs: R1cs;
  let symbols: SymbolTable;
  let honest: bigint[];
  let calc: { calculateWitness(input: unknown, sanity?: boolean): Promise<bigint[]> };
  const input = () => {
    const w = stripped.manifest.io.weights!;
    const ins: Record<string, unknown> = { in: quantizeInput(artifacts.model, x).map((v) => encodeSigned(BigInt(v))), ctx: receiptContext(receipt) };
    w.segments.forEach((s, k) => (ins[`${s.tensor === 'weight' ? 'w' : 'b'}${s.node}`] = artifacts.weights!.values[k]!.map((v) => encodeSigned(BigInt(v)))));
    ins.wSalt = BigInt(secret.salt);
    ins.weightsCommitment = BigInt(secret.commitment);
    return ins as Record<string, unknown> & { w0: bigint[] };
  };

  beforeAll(async () => {
    r1cs = await readR1cs(join(tiny.dir, 'circuit.r1cs'));
    symbols = await readSymbols(join(tiny.dir, 'circuit.sym'));
    const wasmPath = join(tiny.dir, stripped.manifest.files.wasm.path);
    const builder = createRequire(import.meta.url)(join(dirname(wasmPath), 'witness_calculator.js')) as (code: Uint8Array) => Promise<typeof calc>;
    calc = await builder(readFileSync(wasmPath));
    honest = await calc.calculateWitness(input(), true);
  }, 120_000);

  it('the honest witness satisfies every constraint', () => {
    expect(checkWitness(r1cs, honest)).toEqual([]);
  });

  it('another weight under the same public commitment: the witness generator refuses and the constraints reject it', async () => {
    const ins = input();
    ins.w0 = [...ins.w0];
    ins.w0[0] = encodeSigned(BigInt(artifacts.weights!.values[0]![0]!) + 1n);
    await expect(calc.calculateWitness(ins, true)).rejects.toThrow();
    const w0 = artifacts.weights!.values[0]![0]!;
    const forged = setSignals(honest, symbols, { 'main.w0[0]': encodeSigned(BigInt(w0 + 1)) }, r1cs.prime);
    expect(checkWitness(r1cs, forged).length).toBeGreaterThan(0);
  });

  it('a weight out of its range (128 for 8-bit weights, its bits those of 0 mod 2^8): rejected', async () => {
    const ins = input();
    ins.w0 = [...ins.w0];
    ins.w0[0] = 128n;
    await expect(calc.calculateWitness(ins, true)).rejects.toThrow();
    // u = 128 − (−128) = 256 has no 8-bit decomposition: keep the bits of u = 0 (those of −128) and set the weight to 128
    const bits: Record<string, bigint> = { 'main.w0[0]': 128n };
    for (let k = 0; k < 8; k++) bits[`main.wCommit0.b[0][${k}]`] = 0n;
    const forged = setSignals(honest, symbols, bits, r1cs.prime);
    expect(checkWitness(r1cs, forged).length).toBeGreaterThan(0);
  });

  it('another salt: rejected', async () => {
    await expect(calc.calculateWitness({ ...input(), wSalt: BigInt(secret.salt) + 1n }, true)).rejects.toThrow();
    const forged = setSignals(honest, symbols, { 'main.wSalt': BigInt(secret.salt) + 1n }, r1cs.prime);
    expect(checkWitness(r1cs, forged).length).toBeGreaterThan(0);
  });
});

describe('private weights with a hashed input and output', () => {
  it('lays out the output commitment, the input commitment, the weight commitment and the context; proves, verifies and opens', async () => {
    const both = await compileTinyModel({ weights: 'hashed', inputVisibility: 'hashed', outputVisibility: 'hashed' });
    const loaded = await withPrivateWeights(loadArtifacts(both.dir), join(both.work, 'weights.private.json'));
    expect(publicSignalLayout(loaded.manifest.io)).toEqual([
      { kind: 'commitment', of: 'output', start: 0, count: 1 },
      { kind: 'commitment', of: 'input', start: 1, count: 1 },
      { kind: 'commitment', of: 'weights', start: 2, count: 1 },
      { kind: 'context', start: 3, count: 1 },
    ]);
    expect(loaded.manifest.circuit.commitmentSignals).toBe(3);
    const { proveWithOpening } = await import('../../src/prove/prove.js');
    const { checkOpening } = await import('../../src/shared/opening.js');
    const proven = await proveWithOpening(loaded, x, { nonce: '01' });
    expect(proven.receipt.publicSignals![2]).toBe(loaded.manifest.io.weights!.commitment);
    expect(await verifyProof(proven.receipt, loadVerifierKey(both.dir))).toMatchObject({ valid: true });
    expect(await checkOpening(proven.receipt, proven.opening!, loaded.manifest.io)).toMatchObject({ valid: true, disclosed: { output: runReference(loaded.model, quantizeInput(loaded.model, x)) } });
  }, 600_000);
});

describe('a CNN with private convolution and dense weights', () => {
  it('proves the same output integers as with public weights (one product per tap), verifies, and publishes no weight', async () => {
    const { compileModel } = await import('../../src/compile/compile.js');
    const onnx = join(import.meta.dirname, '../fixtures/models/fixed_cnn_b10.onnx');
    const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/models/fixed_batch.json'), 'utf8')) as { calibration: number[][][][][] };
    const calibration = join(tiny.work, 'cnn-calibration.jsonl');
    writeFileSync(calibration, `${fixture.calibration.map((c) => JSON.stringify({ input: c })).join('\n')}\n`);
    const pubCnn = await compileModel(onnx, { outDir: join(tiny.work, 'cnn-public'), batch: 1, calibrationPath: calibration });
    const wfile = join(tiny.work, 'cnn-weights.json');
    const hid = await compileModel(onnx, { outDir: join(tiny.work, 'cnn-hashed'), batch: 1, calibrationPath: calibration, weights: 'hashed', weightsOut: wfile });
    const w = hid.manifest.io.weights!;
    expect(w.segments.map((s) => [hid.model.nodes[s.node]!.kind, s.tensor])).toEqual([
      ['conv', 'weight'],
      ['conv', 'bias'],
      ['conv', 'weight'],
      ['conv', 'bias'],
      ['linear', 'weight'],
      ['linear', 'bias'],
      ['linear', 'weight'],
      ['linear', 'bias'],
    ]);
    const cnnSecret = privateWeightsSchema.parse(JSON.parse(readFileSync(wfile, 'utf8')));
    const published = readFileSync(join(tiny.work, 'cnn-hashed', 'quantized.json'), 'utf8') + readFileSync(join(tiny.work, 'cnn-hashed', 'circuit.circom'), 'utf8');
    for (const l of cnnSecret.layers) expect(published.replace(/\s+/g, '')).not.toContain(l.weight.slice(0, 4).join(','));
    const loaded = await withPrivateWeights(loadArtifacts(join(tiny.work, 'cnn-hashed')), wfile);
    const key2 = loadVerifierKey(join(tiny.work, 'cnn-hashed'));
    const input = fixture.calibration[3]!.flat(3);
    const [a, b] = [await proveInference(loadArtifacts(join(tiny.work, 'cnn-public')), input, { nonce: '02' }), await proveInference(loaded, input, { nonce: '02' })];
    expect('raw' in b.output && b.output.raw).toEqual('raw' in a.output && a.output.raw);
    expect(await verifyProof(b, key2)).toMatchObject({ valid: true });
    expect(hid.manifest.circuit.constraints).toBeGreaterThan(pubCnn.manifest.circuit.constraints);
  }, 600_000);
});

describe('a padded, strided convolution with private weights', () => {
  it('counts one product per in-bounds tap and proves the reference output', async () => {
    const { compileModel } = await import('../../src/compile/compile.js');
    const r = rng(9);
    const onnx = join(tiny.work, 'conv-padded.onnx');
    writeFileSync(
      onnx,
      buildModel({
        input: { name: 'x', dims: [1, 2, 7, 6] },
        output: { name: 'y' },
        nodes: [{ op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [1, 2, 1, 0], strides: [2, 1] }, name: 'conv' }],
        initializers: [
          { name: 'W', dims: [3, 2, 3, 3], values: randomArray(r, 54) },
          { name: 'B', dims: [3], values: randomArray(r, 3, -0.2, 0.2) },
        ],
      }),
    );
    const pubConv = await compileModel(onnx, { outDir: join(tiny.work, 'conv-padded-public') });
    const wfile = join(tiny.work, 'conv-padded-w.json');
    const hid = await compileModel(onnx, { outDir: join(tiny.work, 'conv-padded-hashed'), weights: 'hashed', weightsOut: wfile });
    // output [1, 3, 4, 6]: rows o·2 − 1 + k in [0, 7) and columns o − 2 + k in [0, 6), for every output channel and input channel
    let rows = 0;
    for (let o = 0; o < 4; o++) for (let k = 0; k < 3; k++) if (o * 2 - 1 + k >= 0 && o * 2 - 1 + k < 7) rows++;
    let cols = 0;
    for (let o = 0; o < 6; o++) for (let k = 0; k < 3; k++) if (o - 2 + k >= 0 && o - 2 + k < 6) cols++;
    const products = 3 * 2 * rows * cols;
    const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
    let expected = products;
    for (const seg of hid.manifest.io.weights!.segments) {
      const p = packing(seg.count, seg);
      expected += seg.count * (p.bits + 1) + p.elements - p.rounds;
      for (let k = 0; k < p.rounds; k++) {
        const t = Math.min(15, p.elements - 15 * k) + 2;
        expected += 3 * (8 * t + N_ROUNDS_P[t - 2]!) + 1;
      }
    }
    expect(hid.manifest.circuit.constraints - pubConv.manifest.circuit.constraints).toBe(expected);
    const input = Array.from({ length: 2 * 7 * 6 }, (_, i) => Math.sin(i) * 0.9);
    const loaded = await withPrivateWeights(loadArtifacts(join(tiny.work, 'conv-padded-hashed')), wfile);
    const proven = await proveInference(loaded, input, { nonce: '03' });
    expect('raw' in proven.output && proven.output.raw).toEqual(runReference(pubConv.model, quantizeInput(pubConv.model, input)));
    expect(await verifyProof(proven, loadVerifierKey(join(tiny.work, 'conv-padded-hashed')))).toMatchObject({ valid: true });
  }, 600_000);
});

describe('limits and refusals', () => {
  it('refuses, before calibration and circom, a model with more weights than the limit', async () => {
    const { compileModel } = await import('../../src/compile/compile.js');
    const out = join(tiny.work, 'too-many');
    await expect(compileModel(pub.onnxPath, { outDir: out, weights: 'hashed', weightsOut: join(tiny.work, 'w2.json'), maxWeights: 52 })).rejects.toThrow(
      `${pub.onnxPath}: 53 weights exceed the limit of 52 for --weights hashed (about 14 constraints each); use a smaller model or raise --max-weights`,
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(tiny.work, 'w2.json'))).toBe(false);
  });

  it('refuses, before circom, a convolution whose products bring the estimate over 16 constraints per allowed weight', async () => {
    const { compileModel } = await import('../../src/compile/compile.js');
    const r = rng(5);
    const onnx = join(tiny.work, 'conv-only.onnx');
    writeFileSync(
      onnx,
      buildModel({
        input: { name: 'x', dims: [1, 1, 16, 16] },
        output: { name: 'y' },
        nodes: [{ op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['y'], attrs: { kernel_shape: [3, 3] }, name: 'conv' }],
        initializers: [
          { name: 'W', dims: [4, 1, 3, 3], values: randomArray(r, 36) },
          { name: 'B', dims: [4], values: randomArray(r, 4, -0.2, 0.2) },
        ],
      }),
    );
    const out = join(tiny.work, 'conv-limited');
    // 40 weights: 4 × 14 × 14 × 9 = 7,056 products + 13 × 40 = 7,576 > 16 × 40 = 640
    await expect(compileModel(onnx, { outDir: out, weights: 'hashed', weightsOut: join(tiny.work, 'conv-w.json'), maxWeights: 40 })).rejects.toThrow(
      `${onnx}: with private weights the circuit would have about 7576 constraints (7056 products, 40 weights), over the limit of 640 for --weights hashed; use a smaller model or raise --max-weights`,
    );
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('refuses a weights file inside the artifacts folder, a missing one, and an existing one without force', async () => {
    const { compileModel } = await import('../../src/compile/compile.js');
    const out = join(tiny.work, 'other');
    await expect(compileModel(pub.onnxPath, { outDir: out, weights: 'hashed', weightsOut: join(out, 'w.json') })).rejects.toThrow(
      `${join(out, 'w.json')}: the private weights file must lie outside the artifacts folder ${out}, which is published`,
    );
    await expect(compileModel(pub.onnxPath, { outDir: out, weights: 'hashed' })).rejects.toThrow('hashed weights need a private weights file outside the artifacts folder');
    writeFileSync(join(tiny.work, 'exists.json'), '{}');
    await expect(compileModel(pub.onnxPath, { outDir: out, weights: 'hashed', weightsOut: join(tiny.work, 'exists.json') })).rejects.toThrow(
      `${join(tiny.work, 'exists.json')}: exists; the private weights file is never overwritten without --force`,
    );
  });
});

describe('CLI: compile --weights hashed --weights-out, prove --weights, verify --weights-commitment', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/zkinfer.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  beforeAll(() => buildDist(), 300_000);
  const quant = ['--input-bits', '8', '--weight-bits', '8', '--activation-bits', '10'];

  it('compiles, proves with the weights file and verifies against a pinned commitment', () => {
    const out = join(pub.work, 'cli-hashed');
    const wfile = join(pub.work, 'cli-weights.json');
    const compiled = cli('compile', pub.onnxPath, '--out', out, '--calibration', join(pub.work, 'calibration.jsonl'), ...quant, '--weights', 'hashed', '--weights-out', wfile, '--json');
    expect(compiled.status, compiled.stderr).toBe(0);
    const summary = JSON.parse(compiled.stdout) as { weightsCommitment: string; weightsFile: string };
    expect(summary.weightsFile).toBe(wfile);
    expect(statSync(wfile).mode & 0o777).toBe(0o600);
    expect(existsSync(join(out, 'model.onnx'))).toBe(false);
    const input = writeInput(pub.work, 'cli-input.json', [x]);
    const receipt = join(pub.work, 'cli-receipt.json');
    const missing = cli('prove', out, '--input', input, '--out', receipt);
    expect(missing.stderr).toBe(`error: ${out}: the model's weights are private: pass the weights file compile wrote (--weights <file>)\n`);
    expect(missing.status).toBe(2);
    const proved = cli('prove', out, '--input', input, '--out', receipt, '--weights', wfile);
    expect(proved.status, proved.stderr).toBe(0);
    expect(JSON.parse(readFileSync(receipt, 'utf8')).weights).toEqual({ visibility: 'hashed', commitment: summary.weightsCommitment });
    const ok = cli('verify', receipt, '--artifacts', out, '--weights-commitment', summary.weightsCommitment);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const other = cli('verify', receipt, '--artifacts', out, '--weights-commitment', '1');
    expect(other.status).toBe(1);
    expect(other.stdout + other.stderr).toContain(`the weight commitment ${summary.weightsCommitment.slice(0, 16)}… is not a trusted one`);
    const wrong = cli('prove', tiny.dir, '--input', input, '--out', join(pub.work, 'cli-receipt2.json'), '--weights', wfile);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^error: .*cli-weights\.json: the weights are for model [0-9a-f]{16}…, the artifacts are model [0-9a-f]{16}…\n$/);
  }, 300_000);

  it('refuses a model over --max-weights in one line, before circom; the TEE path and the exporters refuse private weights in one line', () => {
    const t0 = performance.now();
    const big = cli('compile', pub.onnxPath, '--out', join(pub.work, 'cli-big'), '--weights', 'hashed', '--weights-out', join(pub.work, 'big.json'), '--max-weights', '10');
    // compile prints one plain line per step off a terminal: only the import ran
    expect(big.stderr).toBe(
      `import    importing tiny.onnx\nerror: ${pub.onnxPath}: 53 weights exceed the limit of 10 for --weights hashed (about 14 constraints each); use a smaller model or raise --max-weights\n`,
    );
    expect(big.status).toBe(1);
    expect(performance.now() - t0).toBeLessThan(20_000);
    const noFile = cli('compile', pub.onnxPath, '--out', join(pub.work, 'cli-big'), '--weights', 'hashed');
    expect(noFile.stderr).toBe('error: --weights hashed needs --weights-out <file> (the private weights, kept outside --out)\n');
    expect(noFile.status).toBe(2);
    const input = writeInput(tiny.work, 'tee-input.json', [x]);
    const tee = cli('infer', tiny.dir, '--input', input, '--out', join(tiny.work, 'tee.json'), '--attest', 'dev');
    expect(tee.stderr).toBe(`error: ${tiny.dir}: the model's weights are private (--weights hashed); the TEE path needs the ONNX file and serves public-weight models only\n`);
    expect(tee.status).toBe(1);
    const exported = cli('export', tiny.dir, '--target', 'browser', '--out', join(tiny.work, 'web'));
    expect(exported.stderr).toBe(`error: ${tiny.dir}: the browser verifier checks models with public weights only; this model's weights are private (verify its receipts with \`zkinfer verify\`)\n`);
    expect(exported.status).toBe(1);
  });
});
