/**
 * Per-inference attribution on the small fixture: the representation against onnxruntime on
 * the truncated float graph, determinism, the cached index, the check by re-execution, and
 * every tampering — ranking, distance, Merkle path, contributor, shares, input — refused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReceipt } from '../../src/prove/prove.js';
import type { Artifacts } from '../../src/prove/artifacts.js';
import { runReference } from '../../src/reference/execute.js';
import { attributeReceipts, loadAttributionModel, prepareAttribution, sharesOf, type Attribution, type AttributionModel, type Attributor } from '../../src/provenance/attribution.js';
import { checkAttribution } from '../../src/provenance/check-attribution.js';
import { commitDataset, type DatasetCommitment } from '../../src/provenance/commitment.js';
import { readContributorMap } from '../../src/provenance/contributors.js';
import { readSamplesAt } from '../../src/provenance/dataset.js';
import { nearest, representationOf, sampleInput } from '../../src/provenance/representation.js';
import { summarizeAttributions, summaryCsv, summarySvg } from '../../src/provenance/report.js';
import type { Sample } from '../../src/provenance/sample.js';
import type { Receipt } from '../../src/shared/receipt.js';
import { buildModel, randomArray, rng, runOrt } from '../helpers/onnx-builder.js';
import { compileFixture, FIX, fixtureCommitment, fixtureRecord, IDX, writeFixtureModel } from './fixture.js';

const work = mkdtempSync(join(tmpdir(), 'zkinfer-attr-'));
let commitment: DatasetCommitment;
let artifacts: string;
let m: AttributionModel;
let attributor: Attributor;
let receipts: { receipt: Receipt; where: string }[];
let testSamples: Map<number, Sample>;
let attributions: Attribution[];
const notices: string[] = [];

function receiptFor(sample: Sample, nonce: string): Receipt {
  const raw = sampleInput(m.rm, sample, { divisor: 255 }, 'test sample');
  return buildReceipt({ manifest: m.manifest, model: m.model } as Artifacts, raw, runReference(m.model, raw), nonce);
}

beforeAll(async () => {
  commitment = await fixtureCommitment();
  const model = await writeFixtureModel(work, 5);
  const recordPath = join(work, 'record.json');
  writeFileSync(recordPath, JSON.stringify(fixtureRecord(commitment, model.onnxPath)));
  artifacts = join(work, 'artifacts');
  await compileFixture(model.onnxPath, model.calibrationPath, artifacts, recordPath);
  m = loadAttributionModel(artifacts);
  attributor = await prepareAttribution({ artifactsDir: artifacts, commitment, commitmentSource: 'c.json', dataPath: IDX, indexPath: join(work, 'index.repidx'), onNotice: (n) => notices.push(n) });
  testSamples = await readSamplesAt(IDX, [0, 1, 2, 3, 4, 5], { split: 't10k' });
  receipts = [...testSamples.values()].map((s, i) => ({ receipt: receiptFor(s, `0${i}`.padStart(32, '0')), where: `r${i}.json` }));
  attributions = await attributeReceipts(attributor, receipts, 5);
}, 120_000);

describe('attribution', () => {
  it('the representation is the hidden layer onnxruntime computes, to within quantization error', async () => {
    // The fixture model cut after its ReLU, rebuilt from the same seed, run in float by onnxruntime.
    const r = rng(5);
    const W1 = randomArray(r, 128);
    const b1 = randomArray(r, 8, -0.1, 0.1);
    const truncated = buildModel({
      input: { name: 'image', dims: [1, 1, 4, 4] },
      output: { name: 'a' },
      nodes: [
        { op: 'Flatten', inputs: ['image'], outputs: ['flat'] },
        { op: 'Gemm', inputs: ['flat', 'W1', 'b1'], outputs: ['h'], attrs: { transB: 1 } },
        { op: 'Relu', inputs: ['h'], outputs: ['a'] },
      ],
      initializers: [
        { name: 'W1', dims: [8, 16], values: W1 },
        { name: 'b1', dims: [8], values: b1 },
      ],
    });
    expect(m.rm.spec).toMatchObject({ method: 'zkinfer.penultimate/1', size: 8 });
    for (const s of testSamples.values()) {
      const raw = sampleInput(m.rm, s, { divisor: 255 }, 's');
      const rep = representationOf(m.rm, raw);
      const float = await runOrt(
        truncated,
        Float64Array.from(raw, (v) => v / 2 ** m.model.input.scale),
        [1, 1, 4, 4],
      );
      // Worst case: each weight off by half its step, the bias by half a step at the accumulator
      // scale, the rescaled value by half its step (ReLU only shrinks differences).
      const fc1 = m.model.nodes.find((n) => n.kind === 'linear')! as { weightScale: number };
      const x = Array.from(raw, (v) => v / 2 ** m.model.input.scale);
      const bound = x.reduce((acc, v) => acc + Math.abs(v), 0) * 2 ** -(fc1.weightScale + 1) + 2 ** -(fc1.weightScale + m.model.input.scale + 1) + 2 ** -(m.rm.spec.scale + 1);
      for (let i = 0; i < 8; i++) expect(Math.abs(rep[i]! / 2 ** m.rm.spec.scale - float[i]!)).toBeLessThanOrEqual(bound);
    }
  });

  it('the typed-array plan equals the reference executor on every fixture sample', async () => {
    expect(m.rm.plan).toBeDefined();
    const all = await readSamplesAt(
      IDX,
      Array.from({ length: 48 }, (_, i) => i),
      { split: 'train' },
    );
    for (const s of [...all.values(), ...testSamples.values()]) {
      const raw = sampleInput(m.rm, s, { divisor: 255 }, 's');
      expect(Array.from(representationOf(m.rm, raw))).toEqual(Array.from(representationOf(m.rm, raw, { reference: true })));
    }
  });

  it('ranks the k nearest by (distance, index), with Merkle paths and shares per contributor', () => {
    const a = attributions[0]!;
    expect(a.k).toBe(5);
    expect(a.neighbours.map((n) => n.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(a.dataset).toEqual({ root: commitment.root, leafCount: 48, boundToModel: true });
    for (let i = 1; i < 5; i++) expect(a.neighbours[i]!.distance).toBeGreaterThanOrEqual(a.neighbours[i - 1]!.distance);
    expect(a.shares.reduce((x, s) => x + s.neighbours, 0)).toBe(5);
    // test image i has class i % 3; its nearest training images (index ≡ class mod 3) share it
    const sameClass = attributions.map((x, i) => x.neighbours.filter((n) => n.index % 3 === i % 3).length);
    expect(sameClass.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(20); // of 30
  });

  it('is deterministic, and the index is reused (built once)', async () => {
    expect(notices.filter((n) => n.startsWith('computing the representations'))).toHaveLength(1);
    const again = await prepareAttribution({ artifactsDir: artifacts, commitment, commitmentSource: 'c.json', dataPath: IDX, indexPath: join(work, 'index.repidx'), onNotice: (n) => notices.push(n) });
    expect(notices).toHaveLength(1);
    expect(await attributeReceipts(again, receipts, 5)).toEqual(attributions);
  });

  it('an index built for another model is rebuilt, never used', async () => {
    const other = await writeFixtureModel(work, 9);
    const dir = join(work, 'artifacts-9');
    await compileFixture(other.onnxPath, other.calibrationPath, dir, { name: 'free text' });
    const seen: string[] = [];
    const a = await prepareAttribution({ artifactsDir: dir, commitment, commitmentSource: 'c.json', dataPath: IDX, indexPath: join(work, 'index.repidx'), onNotice: (n) => seen.push(n) });
    expect(seen[0]).toBe(`${join(work, 'index.repidx')}: the representation index was built for another model: rebuilding it`);
    expect(a.boundToModel).toBe(false);
  }, 60_000);

  it('a damaged index is rebuilt; a sample the model cannot represent is excluded and never ranked', async () => {
    const path = join(work, 'index.repidx');
    const bytes = readFileSync(path);
    bytes[bytes.length - 100] ^= 1;
    writeFileSync(path, bytes);
    const seen: string[] = [];
    await prepareAttribution({ artifactsDir: artifacts, commitment, commitmentSource: 'c.json', dataPath: IDX, indexPath: path, onNotice: (n) => seen.push(n) });
    expect(seen[0]).toBe(`${path}: the representation index is damaged (checksum mismatch): rebuilding it`);

    // A JSONL dataset whose line 3 holds a value the 10-bit input cannot represent.
    const lines = readFileSync(join(FIX, 'samples.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    lines[2].input[0][0][0][0] = 3;
    writeFileSync(join(work, 'wide.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    const wide = await commitDataset(join(work, 'wide.jsonl'), readContributorMap(join(FIX, 'contributors-field.json')));
    const free = join(work, 'artifacts-9');
    const a = await prepareAttribution({ artifactsDir: free, commitment: wide, commitmentSource: 'w.json', dataPath: join(work, 'wide.jsonl'), indexPath: join(work, 'wide.repidx') });
    expect(a.index.excluded).toBe(1);
    expect(a.index.transform).toEqual({ divisor: 1 });
    const fm = loadAttributionModel(free);
    const raw = sampleInput(fm.rm, testSamples.get(0)!, { divisor: 255 }, 's');
    const r = buildReceipt({ manifest: fm.manifest, model: fm.model } as Artifacts, raw, runReference(fm.model, raw), '00');
    const [x] = await attributeReceipts(a, [{ receipt: r, where: 'r' }], 12);
    expect(x!.neighbours).toHaveLength(11);
    expect(x!.neighbours.map((n) => n.index)).not.toContain(2);
    expect(x!.representation.excluded).toBe(1);
    expect(await checkAttribution(x, fm, wide, { where: 'x', dataPath: join(work, 'wide.jsonl') })).toEqual({ valid: true, exhaustive: true });
  });

  it('checks by re-execution, with and without the exhaustive ranking', async () => {
    for (const a of attributions) {
      expect(await checkAttribution(a, m, commitment, { where: 'a.json' })).toEqual({ valid: true, exhaustive: false });
      expect(await checkAttribution(a, m, commitment, { where: 'a.json', dataPath: IDX, receipt: receipts[attributions.indexOf(a)]!.receipt })).toEqual({ valid: true, exhaustive: true });
    }
  });

  it('refuses a tampered ranking, distance, Merkle path, contributor, share or input', async () => {
    const a = attributions[1]!;
    const check = async (edit: (x: any) => void, dataPath?: string) => {
      const x = structuredClone(a) as any;
      edit(x);
      return (await checkAttribution(x, m, commitment, { where: 'a.json', dataPath })).reason;
    };
    const [n1, n2] = a.neighbours;
    expect(
      await check((x) => {
        [x.neighbours[0], x.neighbours[1]] = [
          { ...x.neighbours[1], rank: 1 },
          { ...x.neighbours[0], rank: 2 },
        ];
      }),
    ).toEqual(
      n1!.distance === n2!.distance
        ? `a.json: neighbour 2 (sample ${n1!.index}, distance ${n1!.distance}) is ranked after sample ${n2!.index} (distance ${n2!.distance}): not in (distance, index) order`
        : expect.stringContaining('not in (distance, index) order'),
    );
    expect(await check((x) => (x.neighbours[2].distance += 1))).toBe(
      `a.json: neighbour 3 (sample ${a.neighbours[2]!.index}): distance ${a.neighbours[2]!.distance + 1} is stated, re-execution gives ${a.neighbours[2]!.distance}`,
    );
    expect(await check((x) => (x.neighbours[0].path[0] = x.neighbours[0].path[0].replace(/^./, (c: string) => (c === '0' ? '1' : '0'))))).toBe(
      `a.json: neighbour 1: the Merkle path does not lead from sample ${n1!.index} (contributor "${n1!.contributor}") to the committed root`,
    );
    const otherContributor = n1!.contributor === 'atelier-a' ? 'studio-b' : 'atelier-a';
    expect(await check((x) => (x.neighbours[0].contributor = otherContributor))).toBe(
      `a.json: neighbour 1: the Merkle path does not lead from sample ${n1!.index} (contributor "${otherContributor}") to the committed root`,
    );
    expect(await check((x) => (x.shares[0].share += 0.1))).toBe('a.json: the contributor shares do not follow from the neighbours');
    expect(await check((x) => (x.input.raw[3] += 1))).toBe('a.json: the input does not match the receipt input commitment it names');
    expect(await check((x) => x.neighbours.pop())).toBe('a.json: lists 4 neighbours, k = 5 needs 5');
    expect(await check((x) => (x.dataset.boundToModel = false))).toBe('a.json: says the dataset is not bound to the model by its signed provenance record; it is');
  });

  it('a neighbour replaced by a farther committed sample passes the local check but not the exhaustive one', async () => {
    const a = attributions[2]!;
    const query = representationOf(m.rm, a.input.raw);
    const sixth = nearest(query, attributor.index.reps, attributor.index.valid, 6)[5]!;
    const [extra] = await attributeReceipts(attributor, [receipts[2]!], 6);
    const x = structuredClone(a);
    x.neighbours[4] = { ...extra!.neighbours[5]!, rank: 5 };
    x.shares = sharesOf(x.neighbours);
    expect(await checkAttribution(x, m, commitment, { where: 'a.json' })).toEqual({ valid: true, exhaustive: false });
    expect((await checkAttribution(x, m, commitment, { where: 'a.json', dataPath: IDX })).reason).toBe(
      `a.json: rank 5 should be sample ${a.neighbours[4]!.index} (distance ${a.neighbours[4]!.distance}), not sample ${sixth.index} (distance ${sixth.distance})`,
    );
  });

  it('refuses a commitment the model’s signed provenance record does not name', async () => {
    const other = { ...commitment, root: 'ab'.repeat(32) };
    await expect(prepareAttribution({ artifactsDir: artifacts, commitment: other, commitmentSource: 'other.json', dataPath: IDX, indexPath: join(work, 'x.repidx') })).rejects.toThrow(
      "other.json: dataset abababababababab… is not among the training datasets the model's signed provenance record names",
    );
  });

  it('summarizes shares per contributor as JSON, CSV and SVG', () => {
    const s = summarizeAttributions(attributions, commitment);
    expect(s.inferences).toBe(6);
    expect(s.contributors.map((c) => c.contributor).sort()).toEqual(['atelier-a', 'studio-b']);
    expect(s.contributors.reduce((x, c) => x + c.shareOfAll, 0)).toBeCloseTo(1, 12);
    expect(s.contributors.reduce((x, c) => x + c.neighbours, 0)).toBe(30);
    const csv = summaryCsv(s).split('\r\n');
    expect(csv[0]).toBe('contributor,inferences,neighbours,share_total,share_of_all');
    expect(csv).toHaveLength(4);
    const svg = summarySvg(s);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect x="200"/g)).toHaveLength(2);
  });
});
