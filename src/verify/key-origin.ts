/**
 * How a verification key is named to a user: its id and where its setup came from. A module
 * of its own so that `zkinfer verify` without a policy need not load the policy's
 * attestation checkers (X.509, COSE) to print it.
 */
import type { Manifest } from '../shared/manifest.js';

/** One line naming a key and where it came from, for reasons and reports. */
export function describeKey(manifest: Manifest): string {
  const setup = manifest.setup;
  const origin = !setup ? 'no setup' : setup.localSingleParty ? 'a local single-party setup (convinces only whoever ran it)' : `powers of tau ${setup.ptau?.origin}`;
  return `key ${manifest.keyId?.slice(0, 16)}… from ${origin}`;
}
