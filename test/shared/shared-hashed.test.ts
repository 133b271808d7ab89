/**
 * Shared proofs of a model with a hashed input and a hashed output (--inferences 2): each
 * slot's commitments are its public signals, each receipt's opening opens its own slot, and
 * a receipt of one slot is not the other's.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadArtifacts, type Artifacts } from '../../src/prove/artifacts.js';
import { proveShared } from '../../src/prove/shared.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { checkOpening } from '../../src/shared/opening.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';

let artifacts: Artifacts;
let key: VerifierKey;

beforeAll(async () => {
  const tiny = await compileTinyModel({ inputVisibility: 'hashed', outputVisibility: 'hashed', inferences: 2 });
  artifacts = loadArtifacts(tiny.dir);
  key = loadVerifierKey(tiny.dir);
}, 600_000);
afterAll(() => releaseCurve());

it('proves two hashed inferences in one proof; each receipt verifies and its opening opens it', async () => {
  const { sharedProof, proven } = await proveShared(artifacts, [{ values: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6] }, { values: [-0.3, 0.2, 0.1, -0.4, 0.5, 0.0] }]);
  expect(sharedProof.padding).toEqual([]);
  expect(sharedProof.publicSignals).toHaveLength(2 * 3); // per slot: output commitment, input commitment, context
  for (const { receipt, opening } of proven) {
    expect(receipt.input.visibility).toBe('hashed');
    expect(await verifyProof(receipt, key, {}, sharedProof)).toMatchObject({ valid: true });
    expect(await checkOpening(receipt, opening!, key.manifest.io)).toMatchObject({ valid: true });
  }
  // the second receipt pointed at the first slot is refused
  const moved = { ...proven[1]!.receipt, sharedProof: { digest: sharedProof.digest, slot: 0 } };
  expect((await verifyProof(moved, key, {}, sharedProof)).reason).toBe(`the receipt's public signals are not those of slot 0 of the shared proof ${sharedProof.digest.slice(0, 16)}…`);
}, 300_000);

it('pads a single hashed inference and marks the padding', async () => {
  const { sharedProof, proven } = await proveShared(artifacts, [{ values: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1] }]);
  expect(sharedProof.padding).toEqual([1]);
  expect(sharedProof.publicSignals[5]).toBe('0');
  expect(proven).toHaveLength(1);
  expect(await verifyProof(proven[0]!.receipt, key, {}, sharedProof)).toMatchObject({ valid: true });
}, 300_000);
