/**
 * The provenance commands as a user runs them, on the small fixture: keys, commitment,
 * signatures, a compile bound to the signed record, real proofs, attribution of a folder of
 * receipts with its report, checks by re-execution and membership proofs — exit codes and
 * one-line failures included.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSamplesAt } from '../../src/provenance/dataset.js';
import { generateSigningKey, writeKeyFile } from '../../src/provenance/keys.js';
import { tensorValues, type TensorSample } from '../../src/provenance/sample.js';
import { FIX, IDX, writeFixtureModel } from './fixture.js';

const work = mkdtempSync(join(tmpdir(), 'zkinfer-prov-cli-'));
const p = (name: string) => join(work, name);

function zkinfer(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/zkinfer.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ZKINFER_CACHE_DIR: join(work, 'cache') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: ReturnType<typeof zkinfer>) {
  expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([]);
  expect(r.code).toBe(0);
  return r;
}

let model: { onnxPath: string; calibrationPath: string };

beforeAll(async () => {
  model = await writeFixtureModel(work, 5);
  const test = await readSamplesAt(IDX, [0, 1, 2, 3], { split: 't10k' });
  const lines = [...test.entries()].map(([i, s]) => {
    const v = Array.from(tensorValues(s as TensorSample), (x) => x / 255);
    return JSON.stringify({ id: `t${i}`, input: [[[v.slice(0, 4), v.slice(4, 8), v.slice(8, 12), v.slice(12, 16)]]] });
  });
  writeFileSync(p('inputs.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(p('hyper.json'), JSON.stringify({ epochs: 0, note: 'random weights' }));
}, 60_000);

describe('zkinfer dataset / provenance / attribute', () => {
  it('keygen writes 0600 keys, prints the public key, and never replaces a key without --force', () => {
    writeKeyFile(p('studio.key.json'), generateSigningKey('studio'));
    for (const k of ['trainer', 'atelier']) {
      const r = ok(zkinfer('provenance', 'keygen', '--out', p(`${k}.key.json`), '--name', k));
      expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
      expect(statSync(p(`${k}.key.json`)).mode & 0o777).toBe(0o600);
    }
    const again = zkinfer('provenance', 'keygen', '--out', p('trainer.key.json'));
    expect(again.code).toBe(2); // an output that cannot be written: a usage error
    expect(again.stderr).toBe(`error: ${p('trainer.key.json')} exists; pass --force to replace it\n`);
  });

  it('dataset commit writes the commitment and refuses to overwrite it', () => {
    const r = ok(zkinfer('dataset', 'commit', IDX, '--split', 'train', '--contributors', join(FIX, 'contributors.json'), '--out', p('c.json')));
    const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8'));
    expect(r.stdout).toContain(`  root          ${expected.tensor.root}\n`);
    expect(JSON.parse(readFileSync(p('c.json'), 'utf8')).root).toBe(expected.tensor.root);
    const again = zkinfer('dataset', 'commit', IDX, '--split', 'train', '--contributors', join(FIX, 'contributors.json'), '--out', p('c.json'));
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`error: ${p('c.json')} exists; pass --force to replace it\n`);
  });

  it('contributors and the trainer sign; provenance check verifies the record against the model', () => {
    ok(zkinfer('provenance', 'sign-contribution', p('c.json'), '--contributor', 'atelier-a', '--key', p('atelier.key.json'), '--out', p('atelier.sig.json')));
    ok(zkinfer('provenance', 'sign-contribution', p('c.json'), '--contributor', 'studio-b', '--key', p('studio.key.json'), '--out', p('studio.sig.json')));
    ok(
      zkinfer(
        'provenance',
        'sign-record',
        '--commitment',
        p('c.json'),
        '--onnx',
        model.onnxPath,
        '--training-script',
        'scripts/make_provenance_fixtures.py',
        '--hyperparameters',
        p('hyper.json'),
        '--key',
        p('trainer.key.json'),
        '--contribution',
        p('atelier.sig.json'),
        '--contribution',
        p('studio.sig.json'),
        '--name',
        'fixture-mlp',
        '--out',
        p('record.json'),
      ),
    );
    const r = ok(zkinfer('provenance', 'check', p('record.json'), '--onnx', model.onnxPath, '--commitment', p('c.json')));
    expect(r.stdout).toMatch(/^valid {4}.*record\.json\n/);
    expect(r.stdout).toContain('  signed by     atelier-a, studio-b\n');
  });

  it('compile --provenance binds the verified record; a tampered record refuses to compile with one line', () => {
    const tampered = JSON.parse(readFileSync(p('record.json'), 'utf8'));
    tampered.contributions[0].leafCount = 1;
    writeFileSync(p('tampered.json'), JSON.stringify(tampered));
    const bad = zkinfer('compile', model.onnxPath, '--out', p('bad-artifacts'), '--calibration', model.calibrationPath, '--provenance', p('tampered.json'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`^error: ${p('tampered.json')}: the trainer's signature does not verify \\(key [0-9a-f]{16}…\\)\\n$`));
    expect(existsSync(p('bad-artifacts'))).toBe(false);
    const r = ok(
      zkinfer(
        'compile',
        model.onnxPath,
        '--out',
        p('artifacts'),
        '--calibration',
        model.calibrationPath,
        '--provenance',
        p('record.json'),
        '--input-bits',
        '10',
        '--weight-bits',
        '8',
        '--activation-bits',
        '10',
      ),
    );
    expect(r.stdout).toContain('  provenance   signed record, verified\n');
  }, 300_000);

  it('attributes a folder of real receipts, writes the report, and the check re-executes it', () => {
    ok(zkinfer('prove', p('artifacts'), '--inputs', p('inputs.jsonl'), '--out', p('receipts')));
    const r = ok(zkinfer('attribute', p('receipts'), '--artifacts', p('artifacts'), '--dataset', IDX, '--commitment', p('c.json'), '--k', '4', '--out', p('attributions')));
    expect(r.stdout).toMatch(/^attributed 4 receipts \(k = 4\) → .*attributions \(summary\.json, summary\.csv, shares\.svg\)\n/);
    expect(r.stderr).toContain('note: computing the representations of 48 samples');
    for (const f of ['t0.attribution.json', 'summary.json', 'summary.csv', 'shares.svg']) expect(existsSync(join(p('attributions'), f))).toBe(true);
    const summary = JSON.parse(readFileSync(join(p('attributions'), 'summary.json'), 'utf8'));
    expect(summary.inferences).toBe(4);
    const check = ok(zkinfer('attribute', '--check', p('attributions'), '--artifacts', p('artifacts'), '--dataset', IDX, '--commitment', p('c.json')));
    expect(check.stdout.trim().split('\n')).toEqual(
      ['t0', 't1', 't2', 't3'].map((t) => `valid    ${join(p('attributions'), `${t}.attribution.json`)} (ranking checked against every committed sample)`),
    );
    const one = ok(
      zkinfer('attribute', '--check', join(p('attributions'), 't1.attribution.json'), '--receipt', join(p('receipts'), 't1.json'), '--artifacts', p('artifacts'), '--commitment', p('c.json')),
    );
    expect(one.stdout).toContain('listed neighbours only');
  }, 300_000);

  it('attribute --check refuses a tampered attribution with one line and exit 1', () => {
    const file = join(p('attributions'), 't2.attribution.json');
    const a = JSON.parse(readFileSync(file, 'utf8'));
    a.neighbours[0].distance += 3;
    writeFileSync(p('t2-bad.json'), JSON.stringify(a));
    const r = zkinfer('attribute', '--check', p('t2-bad.json'), '--artifacts', p('artifacts'), '--commitment', p('c.json'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `invalid  ${p('t2-bad.json')}: neighbour 1 (sample ${a.neighbours[0].index}): distance ${a.neighbours[0].distance} is stated, re-execution gives ${a.neighbours[0].distance - 3}\n`,
    );
  });

  it('membership: a committed sample proves and verifies; one not in the set is refused, no file written', () => {
    const line = ok(zkinfer('dataset', 'sample', IDX, '--split', 'train', '--index', '30')).stdout;
    writeFileSync(p('in.jsonl'), line);
    ok(zkinfer('dataset', 'prove-membership', p('c.json'), p('in.jsonl'), '--dataset', IDX, '--out', p('in.proof.json')));
    expect(ok(zkinfer('dataset', 'verify-membership', p('c.json'), p('in.proof.json'))).stdout).toMatch(/^valid {4}.*in\.proof\.json \(1 sample in [0-9a-f]{16}…\)\n$/);
    const outside = ok(zkinfer('dataset', 'sample', IDX, '--split', 't10k', '--index', '0')).stdout;
    writeFileSync(p('out.jsonl'), outside);
    const r = zkinfer('dataset', 'prove-membership', p('c.json'), p('out.jsonl'), '--dataset', IDX, '--out', p('out.proof.json'));
    expect(r.code).toBe(1);
    // progress lines may precede it; the failure itself is exactly one line, the last
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('error:'))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^error: ${p('out.jsonl')}:1: the sample \\(sha256 [0-9a-f]{16}…\\) is not in the committed dataset \\(48 samples, root [0-9a-f]{16}…\\); no proof written$`),
    );
    expect(existsSync(p('out.proof.json'))).toBe(false);
    const proof = JSON.parse(readFileSync(p('in.proof.json'), 'utf8'));
    proof.proofs[0].contributor = 'atelier-a';
    writeFileSync(p('forged.json'), JSON.stringify(proof));
    const v = zkinfer('dataset', 'verify-membership', p('c.json'), p('forged.json'));
    expect(v.code).toBe(1);
    expect(v.stdout).toBe(`invalid  ${p('forged.json')} "proofs.0": the Merkle path does not lead from sample 30 (contributor "atelier-a") to the committed root\n`);
  });
});
