/**
 * Batch Groth16 verification agrees with snarkjs's single verification: a batch of valid
 * proofs passes; a batch holding one invalid proof (another receipt's proof, an altered
 * public signal, a point off the curve) fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as snarkjs from 'snarkjs';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { loadVerifierKey } from '../../src/verify/verify.js';
import { verifyGroth16Batch, type BatchItem } from '../../src/verify/groth16-batch.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { FIELD_MODULUS } from '../../src/shared/field.js';
import { randomArray, rng } from '../helpers/onnx-builder.js';
import { compileTinyModel } from '../e2e/tiny-model.js';

let vkey: Record<string, unknown>;
let items: BatchItem[];

beforeAll(async () => {
  const tiny = await compileTinyModel();
  const artifacts = loadArtifacts(tiny.dir);
  vkey = loadVerifierKey(tiny.dir).vkey;
  const r = rng(17);
  items = [];
  for (let i = 0; i < 6; i++) {
    const receipt = await proveInference(artifacts, randomArray(r, 6, -0.9, 0.9));
    items.push({ proof: receipt.proof!, publicSignals: receipt.publicSignals! });
  }
}, 300_000);
afterAll(releaseCurve);

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe('verifyGroth16Batch', () => {
  it('accepts a batch of valid proofs, and a batch of one', async () => {
    for (const item of items) expect(await snarkjs.groth16.verify(vkey, [...item.publicSignals], item.proof)).toBe(true);
    expect(await verifyGroth16Batch(vkey, items)).toBe(true);
    expect(await verifyGroth16Batch(vkey, items.slice(2, 3))).toBe(true);
  });

  it('rejects a batch in which one receipt carries another receipt’s proof', async () => {
    const bad = clone(items);
    bad[3]!.proof = clone(items[4]!.proof);
    expect(await snarkjs.groth16.verify(vkey, [...bad[3]!.publicSignals], bad[3]!.proof)).toBe(false);
    expect(await verifyGroth16Batch(vkey, bad)).toBe(false);
  });

  it('rejects a batch with one altered public signal', async () => {
    const bad = clone(items);
    const signals = [...bad[5]!.publicSignals];
    signals[0] = ((BigInt(signals[0]!) + 1n) % FIELD_MODULUS).toString();
    bad[5]!.publicSignals = signals;
    expect(await verifyGroth16Batch(vkey, bad)).toBe(false);
  });

  it('rejects a batch with a proof point off the curve, or with C and A swapped between two proofs', async () => {
    const off = clone(items);
    off[0]!.proof.pi_a[1] = ((BigInt(off[0]!.proof.pi_a[1]!) + 1n) % FIELD_MODULUS).toString();
    expect(await verifyGroth16Batch(vkey, off)).toBe(false);
    const swapped = clone(items);
    [swapped[1]!.proof.pi_c, swapped[2]!.proof.pi_c] = [swapped[2]!.proof.pi_c, swapped[1]!.proof.pi_c];
    expect(await verifyGroth16Batch(vkey, swapped)).toBe(false);
  });
});
