/**
 * Membership proofs over the small fixtures: a committed sample proves and verifies; a sample
 * not in the set is refused with no proof; a proof moved to another sample, contributor,
 * index or commitment does not verify.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { commitDataset, type DatasetCommitment } from '../../src/provenance/commitment.js';
import { readContributorMap } from '../../src/provenance/contributors.js';
import { readSamplesAt } from '../../src/provenance/dataset.js';
import { proveMembership, verifyMembership, type RequestedSample } from '../../src/provenance/membership.js';
import { sampleFromJson, sampleToJson, type TensorSample } from '../../src/provenance/sample.js';

const FIX = new URL('../fixtures/provenance/', import.meta.url).pathname;
const IDX = join(FIX, 'idx');
let commitment: DatasetCommitment;
let samples: Map<number, TensorSample>;

beforeAll(async () => {
  commitment = await commitDataset(IDX, readContributorMap(join(FIX, 'contributors.json')), { split: 'train' });
  samples = (await readSamplesAt(IDX, [0, 7, 25, 47], { split: 'train' })) as Map<number, TensorSample>;
});

const req = (s: TensorSample, line: number): RequestedSample => ({ sample: s, where: `s.jsonl:${line}`, line });

describe('membership proofs', () => {
  it('proves committed samples (with their contributors) and the proofs verify', async () => {
    const proof = await proveMembership(commitment, [req(samples.get(25)!, 1), req(samples.get(7)!, 2)], IDX);
    expect(proof.datasetRoot).toBe(commitment.root);
    expect(proof.proofs.map((p) => [p.line, p.index, p.contributor, p.path.length])).toEqual([
      [1, 25, 'studio-b', 6],
      [2, 7, 'atelier-a', 6],
    ]);
    expect(verifyMembership(commitment, proof)).toEqual({ valid: true, reasons: [], entries: 2 });
  });

  it('accepts a sample given as a flat array of numbers in a JSONL line', async () => {
    const s = samples.get(47)!;
    const line = { dtype: 'uint8', shape: [4, 4], data: Array.from(s.data), label: s.label };
    const parsed = sampleFromJson(line, commitment.sampleEncoding, 's.jsonl:1') as TensorSample;
    const proof = await proveMembership(commitment, [{ sample: parsed, where: 's.jsonl:1' }], IDX);
    expect(proof.proofs[0]!.index).toBe(47);
    expect(verifyMembership(commitment, proof).valid).toBe(true);
  });

  it('refuses a sample not in the set (one pixel off, or another label): no proof at all', async () => {
    const s = samples.get(0)!;
    const pixel: TensorSample = { ...s, data: Uint8Array.from(s.data, (b, i) => (i === 5 ? b ^ 1 : b)) };
    await expect(proveMembership(commitment, [req(samples.get(7)!, 1), req(pixel, 2)], IDX)).rejects.toThrow(
      new RegExp(`^s\\.jsonl:2: the sample \\(sha256 [0-9a-f]{16}…\\) is not in the committed dataset \\(48 samples, root ${commitment.root.slice(0, 16)}…\\); no proof written$`),
    );
    const label: TensorSample = { ...s, label: 2 };
    await expect(proveMembership(commitment, [req(label, 1)], IDX)).rejects.toThrow('is not in the committed dataset');
  });

  it('a proof does not verify for another sample, contributor, index, path or commitment', async () => {
    const proof = await proveMembership(commitment, [req(samples.get(25)!, 1)], IDX);
    const entry = proof.proofs[0]!;
    const tamper = (e: object) => verifyMembership(commitment, { ...proof, proofs: [{ ...entry, ...e }] }, 'p.json');
    const fail = 'p.json "proofs.0": the Merkle path does not lead from sample';
    expect(tamper({ sample: sampleToJson(samples.get(0)!) }).reasons[0]).toContain(fail);
    expect(tamper({ contributor: 'atelier-a' }).reasons).toEqual([`${fail} 25 (contributor "atelier-a") to the committed root`]);
    expect(tamper({ contributor: 'mallory' }).reasons).toEqual(['p.json "proofs.0": contributor "mallory" is not in the commitment']);
    expect(tamper({ index: 24 }).valid).toBe(false);
    expect(tamper({ path: [...entry.path.slice(0, -1), entry.path[0]] }).valid).toBe(false);
    expect(tamper({ path: entry.path.slice(1) }).valid).toBe(false);
    const other = { ...commitment, root: '00'.repeat(32) };
    expect(verifyMembership(other, proof, 'p.json').reasons).toEqual([`p.json: proves membership in dataset ${commitment.root.slice(0, 16)}… (48 samples), not the committed 0000000000000000… (48)`]);
    expect(verifyMembership(commitment, { ...proof, format: 'x' }, 'p.json').reasons[0]).toBe('p.json: invalid membership proof at "format": Invalid input: expected "zkinfer.membership/1"');
  });

  it('JSON datasets: a dataset line (its id and contributor field ignored) proves membership', async () => {
    const c = await commitDataset(join(FIX, 'samples.jsonl'), readContributorMap(join(FIX, 'contributors-field.json')));
    const line = JSON.parse(readFileSync(join(FIX, 'samples.jsonl'), 'utf8').split('\n')[4]!);
    const sample = sampleFromJson({ ...line, id: 'whatever', who: 'chloe' }, c.sampleEncoding, 'l:1', 'who');
    const proof = await proveMembership(c, [{ sample, where: 'l:1' }], join(FIX, 'samples.jsonl'));
    expect(proof.proofs[0]).toMatchObject({ index: 4, contributor: line.who });
    expect(verifyMembership(c, proof).valid).toBe(true);
  });
});
