/**
 * Policy rules on who contributed to a key (issue "Keys third parties can trust", item 3):
 * `requireContributions` (a contribution hash or name that must be in the key's chain) and
 * `minContributions` (secret contributions, beacons excluded), with verdicts for a key made by
 * the compiling party alone and for the same model's key after an auditor's contribution; and
 * a manifest that claims a contribution its key does not carry.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contributePhase2, type Phase2Result } from '../../src/compile/phase2.js';
import type { Manifest } from '../../src/shared/manifest.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { releaseCurve } from '../../src/shared/curve.js';
import type { Receipt } from '../../src/shared/receipt.js';
import { evaluateReceipt, loadPolicyKey, parsePolicy } from '../../src/verify/policy.js';
import { describeKeySetup } from '../../src/verify/setup-policy.js';
import { compileTinyModel } from '../e2e/tiny-model.js';

const x = [0.1, 0.2, -0.3, 0.4, -0.5, 0.6];
let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let audited: Phase2Result;
let soloReceipt: Receipt;
let auditedReceipt: Receipt;

beforeAll(async () => {
  tiny = await compileTinyModel({ localSetup: 'snarkjs' });
  audited = await contributePhase2(tiny.dir, { out: join(tiny.work, 'audited'), name: 'auditor' });
  soloReceipt = await proveInference(loadArtifacts(tiny.dir), x, { nonce: '01' });
  auditedReceipt = await proveInference(loadArtifacts(audited.dir), x, { nonce: '02' });
}, 300_000);
afterAll(releaseCurve);

// The proof reason and the local-setup warning come from policy.ts (trustedKeyIds, localSetup).
const PROOF_OK = expect.stringMatching(/^proof: valid Groth16 proof under key [0-9a-f]{16}… from a local single-party setup/);
const LOCAL_WARNING = 'warning: the proof key comes from a local single-party setup; whoever ran it could forge proofs (localSetup: "warn")';
const evaluate = (receipt: Receipt, dir: string, policy: unknown) => evaluateReceipt(receipt, { key: loadPolicyKey(dir), policy: parsePolicy(policy) });
const soloLine = (m: Manifest) => {
  const [c1, c2] = m.setup!.phase2!.contributions;
  return `setup: local single-party powers of tau; phase-2 contributions #1 "zkinfer local contribution" ${c1!.hash.slice(0, 16)}… (compiling party), #2 "zkinfer beacon" ${c2!.hash.slice(0, 16)}… (beacon) (compiling party); the only contributor is the compiling party, who could forge proofs`;
};

describe('requireContributions and minContributions', () => {
  it('without them, verdicts are as before (no setup findings)', async () => {
    expect(await evaluate(soloReceipt, tiny.dir, {})).toEqual({ verdict: 'accepted', by: ['proof'], reasons: [PROOF_OK, LOCAL_WARNING] });
  });

  it('a key only the compiling party contributed to is rejected, and reported as such', async () => {
    const m = loadPolicyKey(tiny.dir).manifest;
    expect(describeKeySetup(m)).toBe(soloLine(m));
    expect(await evaluate(soloReceipt, tiny.dir, { requireContributions: [audited.contribution.hash] })).toEqual({
      verdict: 'rejected',
      by: [],
      reasons: [`setup: none of requireContributions (${audited.contribution.hash.slice(0, 16)}…) is in the key's chain`, soloLine(m)],
    });
    expect(await evaluate(soloReceipt, tiny.dir, { minContributions: 2 })).toEqual({
      verdict: 'rejected',
      by: [],
      reasons: ['setup: the key has 1 phase-2 contributions (beacons excluded), fewer than minContributions 2', soloLine(m)],
    });
  });

  it("the auditor's key is accepted, by hash or by name, and the verdict says who contributed", async () => {
    const hash = audited.contribution.hash;
    const [c1, c2] = audited.manifest.setup!.phase2!.contributions;
    const line = `setup: local single-party powers of tau; phase-2 contributions #1 "zkinfer local contribution" ${c1!.hash.slice(0, 16)}… (compiling party), #2 "zkinfer beacon" ${c2!.hash.slice(0, 16)}… (beacon) (compiling party), #3 "auditor" ${hash.slice(0, 16)}…`;
    expect(await evaluate(auditedReceipt, audited.dir, { requireContributions: ['someone else', hash.toUpperCase()], minContributions: 2 })).toEqual({
      verdict: 'accepted',
      by: ['proof'],
      reasons: [line, 'setup: required contribution #3 "auditor" is in the key\'s chain', PROOF_OK, LOCAL_WARNING],
    });
    expect((await evaluate(auditedReceipt, audited.dir, { requireContributions: ['auditor'] })).verdict).toBe('accepted');
    expect((await evaluate(auditedReceipt, audited.dir, { minContributions: 3 })).verdict).toBe('rejected');
  });

  it("a manifest claiming the auditor's contribution for a key that does not carry it is rejected", async () => {
    const dir = join(tiny.work, 'claims');
    cpSync(tiny.dir, dir, { recursive: true });
    const m: Manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    m.setup!.phase2!.contributions.push(audited.manifest.setup!.phase2!.contributions[2]!);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    expect(await evaluate(soloReceipt, dir, { requireContributions: ['auditor'] })).toEqual({
      verdict: 'rejected',
      by: [],
      reasons: ['setup: the manifest\'s contribution chain does not match the key: verification key: its δ is not the δ after the last contribution #3 "auditor"'],
    });
  });

  it('rejects a malformed rule in the policy file', () => {
    expect(() => parsePolicy({ minContributions: -1 }, 'p.json')).toThrow('p.json: invalid policy at "minContributions": Too small: expected number to be >=0');
    expect(() => parsePolicy({ requireContributions: [''] }, 'p.json')).toThrow('p.json: invalid policy at "requireContributions.0": Too small: expected string to have >=1 characters');
  });
});
