/**
 * The policy's rules on who made a key (issue "Keys third parties can trust"): a verifier can
 * demand that a contribution it trusts — by hash, as the contributor published it, or by name —
 * is in the key's phase-2 chain (`requireContributions`), and that the chain has at least
 * `minContributions` secret contributions (beacons are public randomness and do not count).
 *
 * The chain is read from the manifest and checked against the verification key with pairings
 * (src/compile/phase2-chain.ts), so a manifest cannot claim a contribution the key does not carry;
 * that the key derives from the r1cs and a public ceremony file is `zkinfer setup verify`'s check.
 * Names are claims a contributor wrote into the key; hashes are what identifies a contribution.
 */
import { z } from 'zod';
import { ZkinferError } from '../shared/errors.js';
import type { Manifest } from '../shared/manifest.js';
import { contributionLabel, verifyPhase2Chain } from '../compile/phase2-chain.js';

/** The policy fields this module reads (merged into the policy schema by policy.ts). */
export const setupPolicyShape = {
  /** Contribution hashes (128 hex) or names; at least one must appear in the key's chain. */
  requireContributions: z.array(z.string().min(1)).optional(),
  /** Fewest secret phase-2 contributions (beacons excluded) the key must carry. */
  minContributions: z.number().int().nonnegative().optional(),
};

/** The rules {@link checkKeySetup} applies. */
export interface SetupRules {
  requireContributions?: string[];
  minContributions?: number;
}

/** What {@link checkKeySetup} found: failures make a verdict `rejected`; reasons are reported. */
export interface SetupFindings {
  failures: string[];
  reasons: string[];
}

const cache = new WeakMap<object, Promise<string | undefined>>();

/** Checks the manifest's chain against the key once per key object; resolves to the failure, if any. */
function chainProblem(manifest: Manifest, vkey: Record<string, unknown>, keyObject: object): Promise<string | undefined> {
  let p = cache.get(keyObject);
  if (!p) {
    const chain = manifest.setup!.phase2!;
    p = verifyPhase2Chain(chain, vkey.vk_delta_2).then(
      () => undefined,
      (e: unknown) => {
        if (e instanceof ZkinferError) return e.message;
        throw e;
      },
    );
    cache.set(keyObject, p);
  }
  return p;
}

/**
 * One line saying who contributed to a key's phase 2, from its manifest: each contribution's
 * label and short hash, which are the compiling party's, and whether no one else contributed.
 */
export function describeKeySetup(manifest: Manifest): string {
  const setup = manifest.setup;
  if (!setup) return 'setup: none (compiled without keys)';
  if (setup.method === 'direct') return 'setup: local direct keys (τ drawn and discarded by the compiling party); no phase-2 contributions: the compiling party could forge proofs';
  const origin = setup.localSingleParty
    ? 'local single-party powers of tau'
    : setup.ptau?.origin === 'public-ceremony'
      ? `public ceremony powers of tau (${setup.ptau.ceremony ?? 'published file'})`
      : `${setup.ptau?.origin} powers of tau`;
  const chain = setup.phase2;
  if (!chain) return `setup: ${origin}; ${setup.contributions} phase-2 contributions by the compiling party (the manifest records no chain)`;
  const who = chain.contributions
    .map((c, i) => `${contributionLabel(i, c)} ${c.hash.slice(0, 16)}…${c.type === 'beacon' ? ' (beacon)' : ''}${c.by === 'compile' ? ' (compiling party)' : ''}`)
    .join(', ');
  const only = chain.contributions.every((c) => c.type === 'beacon' || c.by === 'compile');
  return `setup: ${origin}; phase-2 contributions ${who}${only ? '; the only contributor is the compiling party, who could forge proofs' : ''}`;
}

/**
 * Applies `requireContributions` and `minContributions` to a key. With neither rule set it does
 * nothing (no reasons, no curve arithmetic). With one, the manifest's chain must verify against
 * the key, and the findings say who contributed (see {@link describeKeySetup}).
 * @param keyObject the object the key was loaded as (the chain is checked once per object).
 */
export async function checkKeySetup(manifest: Manifest, vkey: Record<string, unknown> | null | undefined, rules: SetupRules, keyObject: object = manifest): Promise<SetupFindings> {
  if (rules.requireContributions === undefined && rules.minContributions === undefined) return { failures: [], reasons: [] };
  const chain = manifest.setup?.phase2;
  if (!chain || !vkey)
    return {
      failures: [
        `setup: the key's contribution chain is unknown (${!vkey ? 'no verification key' : manifest.setup?.method === 'direct' ? 'a direct local key has none' : 'the manifest records none'}), so requireContributions and minContributions cannot be met`,
      ],
      reasons: [],
    };
  const problem = await chainProblem(manifest, vkey, keyObject);
  if (problem) return { failures: [`setup: the manifest's contribution chain does not match the key: ${problem}`], reasons: [] };
  const failures: string[] = [];
  const reasons = [describeKeySetup(manifest)];
  if (rules.requireContributions !== undefined) {
    const found = chain.contributions.findIndex((c) => rules.requireContributions!.some((r) => r.toLowerCase() === c.hash || r === c.name));
    if (found < 0)
      failures.push(
        `setup: none of requireContributions (${rules.requireContributions.map((r) => (/^[0-9a-fA-F]{128}$/.test(r) ? `${r.slice(0, 16)}…` : JSON.stringify(r))).join(', ')}) is in the key's chain`,
      );
    else reasons.push(`setup: required contribution ${contributionLabel(found, chain.contributions[found]!)} is in the key's chain`);
  }
  const secret = chain.contributions.filter((c) => c.type === 'contribution').length;
  if (rules.minContributions !== undefined && secret < rules.minContributions)
    failures.push(`setup: the key has ${secret} phase-2 contributions (beacons excluded), fewer than minContributions ${rules.minContributions}`);
  return { failures: failures.length > 0 ? [...failures, ...reasons.slice(0, 1)] : [], reasons };
}
