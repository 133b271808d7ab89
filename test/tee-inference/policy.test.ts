/**
 * Policy verdicts for every combination of proof (none, valid, invalid) and attestation
 * (none; hardware: fresh and listed, stale, unlisted, debug, stakes above the threshold,
 * bad signature, digest mismatch; dev: refused, accepted, bad signature), one table, each
 * row with its expected verdict, evidence and reasons. "Hardware" documents come from a
 * throw-away CA pinned through the test-only `nitroRootFingerprint` option.
 */
import { bn254 } from '@noble/curves/bn254.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseCurve } from '../../src/shared/curve.js';
import { VerifyError } from '../../src/shared/errors.js';
import type { PublicReceipt as Receipt } from '../../src/shared/receipt.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { attachProof, closeTeeArtifacts, inferAttested, loadTeeArtifacts, type TeeArtifacts } from '../../src/tee/infer.js';
import { createDevProvider } from '../../src/tee/dev/dev.js';
import type { AttestationProvider } from '../../src/tee/provider.js';
import { DEFAULT_POLICY, evaluateReceipt, loadPolicy, loadPolicyKey, parsePolicy, type Policy, type PolicyVerdict } from '../../src/verify/policy.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { clone, createTestChain, debugPcrs, TEST_AT, TEST_PCRS, testNitroProvider } from './helpers.js';

const x = [0.1, 0.2, -0.3, 0.4, -0.5, 0.6];
const NONCE = '0123456789abcdef0123456789abcdef';
const MAX_AGE = 300;
const POLICY: Policy = parsePolicy({ allowedPcrs: [TEST_PCRS], maxAttestationAgeSeconds: MAX_AGE, acceptDevAttestations: false, stakesThreshold: 10, tolerance: 'manifest' });
let DEV_OK: Policy;
const STALE_NOW = new Date(TEST_AT.getTime() + 3_600_000); // the document was made at TEST_AT − 60 s

type AttestationKind = 'none' | 'hw' | 'hw-stale' | 'hw-unlisted' | 'hw-debug' | 'hw-stakes' | 'hw-bad-signature' | 'hw-wrong-digest' | 'dev' | 'dev-accepted' | 'dev-bad-signature';
type ProofKind = 'none' | 'valid' | 'invalid';

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let artifacts: TeeArtifacts;
let key: ReturnType<typeof loadPolicyKey>;
let rootFingerprint: string;
let proven: Receipt;
const attested = new Map<AttestationKind, Receipt>();

beforeAll(async () => {
  tiny = await compileTinyModel();
  artifacts = loadTeeArtifacts(tiny.dir);
  key = loadPolicyKey(tiny.dir);
  const chain = await createTestChain();
  const other = await createTestChain();
  rootFingerprint = chain.rootFingerprint;
  const dev = createDevProvider({ ephemeral: true, now: () => TEST_AT.getTime() - 60_000 });
  DEV_OK = parsePolicy({ ...POLICY, acceptDevAttestations: true, devPublicKeys: [dev.publicKey] });
  const devBroken: AttestationProvider = {
    ...dev,
    name: 'dev',
    format: dev.format,
    hardware: false,
    attest: async (request) => {
      const doc = JSON.parse(Buffer.from(await dev.attest(request)).toString('utf8'));
      doc.signature = `${doc.signature.slice(0, -2)}${doc.signature.endsWith('00') ? '01' : '00'}`;
      return Buffer.from(JSON.stringify(doc));
    },
  };
  const providers: Record<Exclude<AttestationKind, 'none'>, AttestationProvider> = {
    hw: testNitroProvider(chain),
    'hw-stale': testNitroProvider(chain),
    'hw-unlisted': testNitroProvider(other), // another enclave image: PCR1 differs below
    'hw-debug': testNitroProvider(chain, { pcrs: debugPcrs() }),
    'hw-stakes': testNitroProvider(chain),
    'hw-bad-signature': testNitroProvider(chain, { breakSignature: true }),
    'hw-wrong-digest': testNitroProvider(chain, { userData: (d) => d.map((b, i) => (i === 0 ? b ^ 1 : b)) }),
    dev,
    'dev-accepted': dev,
    'dev-bad-signature': devBroken,
  };
  const unlistedPcrs = debugPcrs();
  for (let i = 0; i < 3; i++) unlistedPcrs.set(i, new Uint8Array(48).fill(i === 1 ? 0xbb : 0xa0 + i));
  providers['hw-unlisted'] = testNitroProvider(chain, { pcrs: unlistedPcrs });
  for (const [kind, provider] of Object.entries(providers) as [AttestationKind, AttestationProvider][]) {
    attested.set(kind, (await inferAttested(artifacts, x, { provider, nonce: NONCE })).receipt);
  }
  const withProof = await inferAttested(artifacts, x, { provider: dev, nonce: NONCE, prove: true });
  const bare = clone(withProof.receipt);
  delete bare.attestation;
  attested.set('none', bare);
  proven = (await withProof.proof!).receipt;
}, 300_000);
afterAll(async () => {
  await closeTeeArtifacts(artifacts);
  await releaseCurve();
});

/** Proofs of the inference for each attested receipt's nonce and time (the context the proof binds). */
const provenFor = new Map<AttestationKind, Receipt>();

async function receiptFor(proof: ProofKind, attestation: AttestationKind): Promise<Receipt> {
  const tee = clone(attested.get(attestation)!);
  if (proof === 'none') return tee;
  let r: Receipt;
  if (attestation === 'none') {
    r = clone(proven);
    delete r.attestation;
  } else {
    if (!provenFor.has(attestation)) provenFor.set(attestation, await proveInference(loadArtifacts(tiny.dir), x, { nonce: tee.nonce, createdAt: tee.createdAt }));
    r = attachProof(tee, clone(provenFor.get(attestation)!));
  }
  if (proof === 'invalid') r.proof!.pi_c = otherPoint();
  return r;
}

/** A valid G1 point that is not the proof's: the pairing check, not a point check, must refuse it. */
function otherPoint(): [string, string, '1'] {
  const g = bn254.G1.Point.BASE.multiply(7n).toAffine();
  return [g.x.toString(), g.y.toString(), '1'];
}

const accepted = (...by: PolicyVerdict['by']) => ({ verdict: 'accepted', by });
const proofRequired = { verdict: 'proof-required', by: [] };
const rejected = { verdict: 'rejected', by: [] };

const R = {
  none: 'no proof and no attestation',
  dev: 'attestation: dev provider, not hardware; the policy does not accept dev attestations',
  stale: `attestation: 3660 s old, older than maxAttestationAgeSeconds ${MAX_AGE}`,
  unlisted: 'attestation: PCRs match no allowedPcrs entry',
  debug: 'attestation: debug enclave (PCR0, PCR1 and PCR2 are all zero)',
  stakes: 'stakes 11 exceed stakesThreshold 10 for acceptance by attestation',
  badSignature: 'attestation: COSE_Sign1: signature does not verify with the key of certificate',
  wrongDigest: /^attestation: attestation policy: user_data [0-9a-f]{64} does not match the expected [0-9a-f]{64}$/,
  devBadSignature: 'attestation: dev attestation: signature does not verify',
  proofInvalid: 'proof: the Groth16 proof does not verify',
  valid: /^proof: valid Groth16 proof under key [0-9a-f]{16}… from a local single-party setup \(convinces only whoever ran it\), not pinned \(trustedKeyIds is empty\)$/,
  localWarning: 'warning: the proof key comes from a local single-party setup; whoever ran it could forge proofs (localSetup: "warn")',
  hwValid: 'attestation: valid nitro attestation, 60 s old',
  devValid: 'attestation: valid dev attestation, 60 s old',
  crossCheck: /^cross-check: the TEE and proven outputs agree within /,
};

/** [attestation, proof, expected verdict, expected reasons (strings or patterns, in order)] */
const TABLE: Array<[AttestationKind, ProofKind, object, Array<string | RegExp>]> = [
  ['none', 'none', proofRequired, [R.none]],
  ['none', 'valid', accepted('proof'), [R.valid, R.localWarning]],
  ['none', 'invalid', rejected, [R.proofInvalid]],
  ['hw', 'none', accepted('attestation'), [R.hwValid]],
  ['hw', 'valid', accepted('proof', 'attestation'), [R.valid, R.localWarning, R.hwValid, R.crossCheck]],
  ['hw', 'invalid', rejected, [R.proofInvalid]],
  ['hw-stale', 'none', proofRequired, [R.stale]],
  ['hw-stale', 'valid', accepted('proof'), [R.valid, R.localWarning, R.crossCheck, `not counted: ${R.stale}`]],
  ['hw-stale', 'invalid', rejected, [R.proofInvalid]],
  ['hw-unlisted', 'none', proofRequired, [R.unlisted]],
  ['hw-unlisted', 'valid', accepted('proof'), [R.valid, R.localWarning, R.crossCheck, `not counted: ${R.unlisted}`]],
  ['hw-unlisted', 'invalid', rejected, [R.proofInvalid]],
  ['hw-debug', 'none', proofRequired, [R.debug]],
  ['hw-debug', 'valid', accepted('proof'), [R.valid, R.localWarning, R.crossCheck, `not counted: ${R.debug}`]],
  ['hw-debug', 'invalid', rejected, [R.proofInvalid]],
  ['hw-stakes', 'none', proofRequired, [R.stakes]],
  ['hw-stakes', 'valid', accepted('proof'), [R.valid, R.localWarning, R.crossCheck]],
  ['hw-stakes', 'invalid', rejected, [R.proofInvalid]],
  ['hw-bad-signature', 'none', rejected, [R.badSignature]],
  ['hw-bad-signature', 'valid', rejected, [R.badSignature]],
  ['hw-bad-signature', 'invalid', rejected, [R.proofInvalid, R.badSignature]],
  ['hw-wrong-digest', 'none', rejected, [R.wrongDigest]],
  ['hw-wrong-digest', 'valid', rejected, [R.wrongDigest]],
  ['hw-wrong-digest', 'invalid', rejected, [R.proofInvalid, R.wrongDigest]],
  ['dev', 'none', proofRequired, [R.dev]],
  ['dev', 'valid', accepted('proof'), [R.valid, R.localWarning, R.crossCheck, `not counted: ${R.dev}`]],
  ['dev', 'invalid', rejected, [R.proofInvalid]],
  ['dev-accepted', 'none', accepted('attestation'), [R.devValid]],
  ['dev-accepted', 'valid', accepted('proof', 'attestation'), [R.valid, R.localWarning, R.devValid, R.crossCheck]],
  ['dev-accepted', 'invalid', rejected, [R.proofInvalid]],
  ['dev-bad-signature', 'none', rejected, [R.devBadSignature]],
  ['dev-bad-signature', 'valid', rejected, [R.devBadSignature]],
  ['dev-bad-signature', 'invalid', rejected, [R.proofInvalid, R.devBadSignature]],
];

describe('evaluateReceipt', () => {
  it('covers every combination of proof and attestation kind', () => {
    const kinds = new Set(TABLE.map(([a, p]) => `${a}/${p}`));
    expect(kinds.size).toBe(TABLE.length);
    expect(kinds.size).toBe(11 * 3);
  });

  it.each(TABLE)('attestation %s, proof %s', async (attestation, proof, expected, reasons) => {
    const verdict = await evaluateReceipt(await receiptFor(proof, attestation), {
      key,
      policy: attestation === 'dev-accepted' ? DEV_OK : POLICY,
      stakes: attestation === 'hw-stakes' ? 11 : 10,
      now: attestation === 'hw-stale' ? STALE_NOW : TEST_AT,
      nitroRootFingerprint: rootFingerprint,
    });
    expect(verdict).toMatchObject(expected);
    expect(verdict.reasons).toHaveLength(reasons.length);
    reasons.forEach((r, i) => (typeof r === 'string' ? expect(verdict.reasons[i]).toBe(r) : expect(verdict.reasons[i]).toMatch(r)));
  });

  it('pins the AWS Nitro root unless a test overrides it', async () => {
    const verdict = await evaluateReceipt(await receiptFor('none', 'hw'), { key, policy: POLICY, now: TEST_AT });
    expect(verdict.verdict).toBe('rejected');
    expect(verdict.reasons).toEqual([`attestation: certificate chain: cabundle[0] is not the pinned root (its SHA-256 is ${rootFingerprint})`]);
  });

  it('the default policy accepts by proof only', async () => {
    expect(DEFAULT_POLICY).toEqual({ allowedPcrs: [], maxAttestationAgeSeconds: 300, acceptDevAttestations: false, stakesThreshold: 0, tolerance: 'manifest', trustedKeyIds: [], localSetup: 'warn' });
    const options = { key, policy: DEFAULT_POLICY, now: TEST_AT, nitroRootFingerprint: rootFingerprint };
    expect(await evaluateReceipt(await receiptFor('none', 'hw'), options)).toEqual({ ...proofRequired, reasons: ['attestation: the policy allows no enclave measurement (allowedPcrs is empty)'] });
    expect(await evaluateReceipt(await receiptFor('valid', 'hw'), options)).toMatchObject(accepted('proof'));
  });

  it('rejects a receipt for another model or with a digest that does not match its contents', async () => {
    const other = await receiptFor('none', 'hw');
    other.modelId = '0'.repeat(64);
    expect((await evaluateReceipt(other, { key, policy: POLICY })).reasons).toEqual([`the receipt is for model ${'0'.repeat(16)}…, the artifacts are model ${key.manifest.modelId.slice(0, 16)}…`]);
    const edited = await receiptFor('none', 'hw');
    edited.output.raw[0]! += 1;
    expect(await evaluateReceipt(edited, { key, policy: POLICY })).toEqual({ ...rejected, reasons: ['the receipt digest does not match its contents'] });
  });
});

describe('key trust and freshness under a policy', () => {
  it('trustedKeyIds: a proof under another key is rejected; under a listed key it counts', async () => {
    const r = await receiptFor('valid', 'none');
    const untrusted = await evaluateReceipt(r, { key, policy: parsePolicy({ trustedKeyIds: ['ab'.repeat(32)] }) });
    expect(untrusted).toEqual({ ...rejected, reasons: [`proof: the verification key ${key.manifest.keyId!.slice(0, 16)}… is not a trusted key id (pinned: abababababababab…)`] });
    const trusted = await evaluateReceipt(r, { key, policy: parsePolicy({ trustedKeyIds: [key.manifest.keyId!] }) });
    expect(trusted.verdict).toBe('accepted');
    expect(trusted.reasons[0]).toMatch(/, a trusted key id$/);
  });

  it('localSetup: "refuse" rejects a proof under a local single-party key; "accept" drops the warning', async () => {
    const r = await receiptFor('valid', 'none');
    const refused = await evaluateReceipt(r, { key, policy: parsePolicy({ localSetup: 'refuse' }) });
    expect(refused).toEqual({
      ...rejected,
      reasons: [`proof: key ${key.manifest.keyId!.slice(0, 16)}… from a local single-party setup (convinces only whoever ran it); the policy refuses local single-party keys (localSetup: "refuse")`],
    });
    const quiet = await evaluateReceipt(r, { key, policy: parsePolicy({ localSetup: 'accept' }) });
    expect(quiet).toMatchObject(accepted('proof'));
    expect(quiet.reasons).toHaveLength(1);
  });

  it('localSetup also covers keys made from an unverified powers-of-tau file (--ptau-unchecked)', async () => {
    const r = await receiptFor('valid', 'none');
    const manifest = clone(key.manifest);
    manifest.setup = { ...manifest.setup!, localSingleParty: false, ptau: { ...manifest.setup!.ptau!, origin: 'unverified' } };
    const unverified = { ...key, manifest };
    const refused = await evaluateReceipt(r, { key: unverified, policy: parsePolicy({ localSetup: 'refuse' }) });
    expect(refused).toEqual({
      ...rejected,
      reasons: [`proof: key ${key.manifest.keyId!.slice(0, 16)}… from powers of tau unverified; the policy refuses keys whose powers of tau are not a verified ceremony file (localSetup: "refuse")`],
    });
    const warned = await evaluateReceipt(r, { key: unverified, policy: DEFAULT_POLICY });
    expect(warned).toMatchObject(accepted('proof'));
    expect(warned.reasons[1]).toBe('warning: the proof key was made from an unverified powers-of-tau file; whoever made that file could forge proofs (localSetup: "warn")');
  });

  it("the caller's nonce and maximum age apply to attested and proven receipts", async () => {
    const r = await receiptFor('none', 'hw');
    const options = { key, policy: POLICY, now: TEST_AT, nitroRootFingerprint: rootFingerprint };
    expect((await evaluateReceipt(r, { ...options, expect: { nonce: NONCE } })).verdict).toBe('accepted');
    expect(await evaluateReceipt(r, { ...options, expect: { nonce: 'ff'.repeat(16) } })).toEqual({
      ...rejected,
      reasons: ['the receipt nonce 0123456789abcdef… is not the expected nonce ffffffffffffffff…'],
    });
    const later = new Date(Date.parse(r.createdAt) + 120_000);
    expect(await evaluateReceipt(r, { ...options, now: later, expect: { maxAgeSeconds: 60 } })).toEqual({ ...rejected, reasons: ['the receipt is 120 s old, older than the maximum age 60 s'] });
  });
});

describe('policy files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zkinfer-policy-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('fills defaults for omitted fields', () => {
    expect(loadPolicy(file('small.json', '{"stakesThreshold": 5}'))).toEqual({ ...DEFAULT_POLICY, stakesThreshold: 5 });
  });

  it('names the file and the field of an invalid policy', () => {
    const typo = file('typo.json', '{"acceptDevAttestation": true}');
    expect(() => loadPolicy(typo)).toThrow(new VerifyError(`${typo}: invalid policy at "(root)": Unrecognized key: "acceptDevAttestation"`, { exitCode: 2 }));
    const pcr = file('pcr.json', '{"allowedPcrs": [{"pcr0": "xyz"}]}');
    expect(() => loadPolicy(pcr)).toThrow(new VerifyError(`${pcr}: invalid policy at "allowedPcrs.0.pcr0": expected 32, 48 or 64 bytes of hex`, { exitCode: 2 }));
    const tol = file('tol.json', '{"tolerance": "loose"}');
    expect(() => loadPolicy(tol)).toThrow(VerifyError);
    const missing = join(dir, 'missing.json');
    expect(() => loadPolicy(missing)).toThrow(new VerifyError(`${missing}: cannot read policy (ENOENT)`, { exitCode: 2 }));
  });

  it('acceptDevAttestations needs pinned devPublicKeys: anyone can make a dev key', () => {
    const open = file('open-dev.json', '{"acceptDevAttestations": true}');
    expect(() => loadPolicy(open)).toThrow(
      new VerifyError(`${open}: invalid policy at "devPublicKeys": acceptDevAttestations needs devPublicKeys: anyone can make a dev key, so the accepted ones must be pinned`, { exitCode: 2 }),
    );
  });

  it('never takes a root override from the file', () => {
    const path = file('root.json', '{"nitroRootFingerprint": "00"}');
    expect(() => loadPolicy(path)).toThrow(new VerifyError(`${path}: invalid policy at "(root)": Unrecognized key: "nitroRootFingerprint"`, { exitCode: 2 }));
  });
});
