/**
 * Keys and signed provenance records: signatures checked against node:crypto (OpenSSL's
 * Ed25519) in both directions; every tampering refused with one line; compile binds a record
 * that checks into the model id and refuses one that does not, before writing anything.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile/compile.js';
import type { DatasetCommitment } from '../../src/provenance/commitment.js';
import { generateSigningKey, readKeyFile, writeKeyFile, type SigningKey } from '../../src/provenance/keys.js';
import { checkProvenanceRecord, signContribution, signedBytes, signRecord, type ProvenanceRecord } from '../../src/provenance/record.js';
import { sha256File } from '../../src/shared/hash.js';
import { compileFixture, fixtureCommitment, fixtureRecord, keys, writeFixtureModel } from './fixture.js';

const work = mkdtempSync(join(tmpdir(), 'zkinfer-record-'));
let commitment: DatasetCommitment;
let model: { onnxPath: string; calibrationPath: string };
let other: { onnxPath: string };
let record: ProvenanceRecord;

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const nodePublic = (k: SigningKey) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(k.publicKey) }, format: 'jwk' });
const nodePrivate = (k: SigningKey) => createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(k.publicKey), d: b64url(k.secretKey) }, format: 'jwk' });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

beforeAll(async () => {
  commitment = await fixtureCommitment();
  model = await writeFixtureModel(work, 5);
  other = await writeFixtureModel(work, 6);
  record = fixtureRecord(commitment, model.onnxPath);
});

describe('signing keys', () => {
  it('are written 0600, never replaced without force, and read back', () => {
    const path = join(work, 'k.json');
    const key = generateSigningKey('someone');
    writeKeyFile(path, key);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(() => writeKeyFile(path, generateSigningKey())).toThrow(`${path} exists; pass --force to replace it`);
    expect(hex(readKeyFile(path).publicKey)).toBe(hex(key.publicKey));
    writeKeyFile(path, generateSigningKey(), { force: true });
    expect(hex(readKeyFile(path).publicKey)).not.toBe(hex(key.publicKey));
    const bad = JSON.parse(readFileSync(path, 'utf8'));
    bad.publicKey = hex(key.publicKey);
    writeFileSync(join(work, 'bad.json'), JSON.stringify(bad));
    expect(() => readKeyFile(join(work, 'bad.json'))).toThrow(`${join(work, 'bad.json')}: "publicKey" does not belong to "secretKey"`);
  });
});

describe('signed provenance records', () => {
  it('contribution and trainer signatures verify with node:crypto', () => {
    const c = record.contributions[0]!;
    expect(nodeVerify(null, signedBytes(c), nodePublic(keys.atelier), Buffer.from(c.signature, 'hex'))).toBe(true);
    expect(nodeVerify(null, signedBytes(record), nodePublic(keys.trainer), Buffer.from(record.signature, 'hex'))).toBe(true);
    expect(new TextDecoder().decode(signedBytes(c)).split('\n')[0]).toBe('zkinfer.contribution/1');
  });

  it('a record signed by node:crypto checks', () => {
    const { signature: _s, ...body } = record;
    const signature = nodeSign(null, signedBytes(body), nodePrivate(keys.trainer)).toString('hex');
    expect(checkProvenanceRecord({ ...body, signature }).trainerKey).toBe(hex(keys.trainer.publicKey));
  });

  it('checks and names who signed', () => {
    const check = checkProvenanceRecord(record, { where: 'r.json', onnx: { sha256: sha256File(model.onnxPath), name: 'm.onnx' } });
    expect(check.signed.map((s) => s.contributor)).toEqual(['atelier-a', 'studio-b']);
    expect(check.unsigned).toEqual([]);
    const partial = signRecord(
      {
        datasets: [{ commitment }],
        contributions: [signContribution(commitment, 'studio-b', keys.studio)],
        trainingScript: record.training.script,
        hyperparameters: {},
        onnxSha256: record.model.onnxSha256,
      },
      keys.trainer,
    );
    expect(checkProvenanceRecord(partial).unsigned).toEqual([{ datasetRoot: commitment.root, contributor: 'atelier-a' }]);
  });

  it('refuses every tampering with one line', () => {
    const where = { where: 'r.json' };
    const t = (edit: (r: any) => void) => {
      const r = structuredClone(record) as any;
      edit(r);
      return () => checkProvenanceRecord(r, where);
    };
    const trainerFails = `r.json: the trainer's signature does not verify (key ${hex(keys.trainer.publicKey).slice(0, 16)}…)`;
    expect(t((r) => (r.training.hyperparameters.epochs = 1))).toThrow(trainerFails);
    expect(t((r) => (r.model.onnxSha256 = sha256File(other.onnxPath)))).toThrow(trainerFails);
    expect(t((r) => (r.datasets[0].root = 'ab'.repeat(32)))).toThrow(trainerFails);
    expect(t((r) => (r.signature = r.signature.slice(0, 127) + (r.signature[127] === '0' ? '1' : '0')))).toThrow(trainerFails);
    expect(t((r) => (r.trainer.publicKey = hex(keys.mallory.publicKey)))).toThrow("r.json: the trainer's signature does not verify");
    expect(t((r) => (r.signature = 'zz'))).toThrow('r.json: invalid provenance record at "signature": expected an Ed25519 signature: 128 lowercase hex digits');
    expect(t((r) => (r.datasets[0].contributors[0].leaves += 1))).toThrow('r.json: "datasets.0": contributor counts sum to 49, not the leaf count 48');

    // A contribution re-signed by someone else, or with another count, inside a record the trainer signed.
    const withContribution = (c: any) =>
      signRecord({ datasets: [{ commitment }], contributions: [c], trainingScript: record.training.script, hyperparameters: {}, onnxSha256: record.model.onnxSha256 }, keys.trainer);
    const good = signContribution(commitment, 'atelier-a', keys.atelier);
    expect(() => withContribution({ ...good, leafCount: 33 })).toThrow('record: "contributions.0": "atelier-a" signs 33 samples, the dataset assigns 32');
    expect(() => withContribution({ ...good, publicKey: hex(keys.mallory.publicKey) })).toThrow('record: "contributions.0": the signature of contributor "atelier-a" does not verify');
    expect(() => withContribution({ ...good, contributor: 'studio-b', leafCount: 16 })).toThrow('record: "contributions.0": the signature of contributor "studio-b" does not verify');
    // … and the same checks run on a record that was edited after signing.
    expect(t((r) => (r.contributions[1].signature = r.contributions[0].signature))).toThrow(trainerFails);
  });

  it('refuses a record for another ONNX file, and an untrusted trainer key', () => {
    const sha = sha256File(other.onnxPath);
    expect(() => checkProvenanceRecord(record, { where: 'r.json', onnx: { sha256: sha, name: 'other.onnx' } })).toThrow(
      `r.json: the record is for an ONNX file with sha256 ${record.model.onnxSha256.slice(0, 16)}…, not other.onnx (sha256 ${sha.slice(0, 16)}…)`,
    );
    expect(() => checkProvenanceRecord(record, { where: 'r.json', trustedTrainerKeys: [hex(keys.mallory.publicKey)] })).toThrow(
      `r.json: signed by trainer key ${hex(keys.trainer.publicKey).slice(0, 16)}…, which is not a trusted trainer key`,
    );
  });

  it('a contributor whose key the commitment declares cannot be signed for with another key', () => {
    const declared = { ...commitment, contributors: commitment.contributors.map((c) => (c.id === 'studio-b' ? { ...c, publicKey: hex(keys.studio.publicKey) } : c)) };
    expect(() => signContribution(declared, 'studio-b', keys.mallory)).toThrow(
      `the commitment declares key ${hex(keys.studio.publicKey).slice(0, 16)}… for contributor "studio-b", not this key (${hex(keys.mallory.publicKey).slice(0, 16)}…)`,
    );
    expect(() => signContribution(commitment, 'mallory', keys.mallory)).toThrow('contributor "mallory" is not in the commitment (contributors: atelier-a, studio-b)');
  });
});

describe('compile --provenance', () => {
  it('binds a record that checks into the model id and labels it verified; free text is labelled unverified', async () => {
    const path = join(work, 'record.json');
    writeFileSync(path, JSON.stringify(record));
    const signed = await compileFixture(model.onnxPath, model.calibrationPath, join(work, 'signed'), path);
    expect(signed.manifest.provenance).toEqual(record);
    expect(signed.manifest.name).toBe('fixture-mlp');
    expect(signed.manifest.provenanceStatus).toMatchObject({
      status: 'verified',
      trainerKey: hex(keys.trainer.publicKey),
      signedContributors: record.contributions.map((c) => ({ datasetRoot: c.datasetRoot, contributor: c.contributor })),
    });
    const free = await compileFixture(model.onnxPath, model.calibrationPath, join(work, 'free'), { name: 'fixture-mlp', authors: ['zkinfer tests'] });
    expect(free.manifest.provenanceStatus).toEqual({ status: 'unverified', note: 'free-text provenance: nothing in it is signed or checked' });
    expect(free.manifest.modelId).not.toBe(signed.manifest.modelId);
  }, 120_000);

  it('refuses a tampered record or a record for another model with one line, writing nothing', async () => {
    const tampered = structuredClone(record);
    tampered.training.hyperparameters.epochs = 10;
    const tamperedPath = join(work, 'tampered.json');
    writeFileSync(tamperedPath, JSON.stringify(tampered));
    await expect(compileFixture(model.onnxPath, model.calibrationPath, join(work, 'out-tampered'), tamperedPath)).rejects.toThrow(
      `${tamperedPath}: the trainer's signature does not verify (key ${hex(keys.trainer.publicKey).slice(0, 16)}…)`,
    );
    expect(existsSync(join(work, 'out-tampered'))).toBe(false);
    const path = join(work, 'record2.json');
    writeFileSync(path, JSON.stringify(record));
    await expect(compileFixture(other.onnxPath, model.calibrationPath, join(work, 'out-other'), path)).rejects.toThrow(
      `${path}: the record is for an ONNX file with sha256 ${record.model.onnxSha256.slice(0, 16)}…, not ${other.onnxPath} (sha256 ${sha256File(other.onnxPath).slice(0, 16)}…)`,
    );
    expect(existsSync(join(work, 'out-other'))).toBe(false);
  });

  it('compileModel refuses a signed record when no checker is given', async () => {
    await expect(compileModel(model.onnxPath, { outDir: join(work, 'nochecker'), provenance: record as never, skipSetup: true })).rejects.toThrow(
      'provenance: a signed provenance record must be checked before it is compiled (pass provenanceChecker: checkProvenanceForCompile)',
    );
  });
});
