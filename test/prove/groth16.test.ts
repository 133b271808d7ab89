/**
 * zkinfer's Groth16 prover (src/prove/groth16.ts) against snarkjs: its proofs verify under
 * snarkjs's own verifier and @noble/curves', its public signals are the witness's, and a
 * witness that does not satisfy the constraints gives a proof that does not verify. The
 * hashed-input tiny model's witness holds all three width classes (bits and small integers,
 * negative values p − |x|, and full-width Poseidon states). Proofs are made on a curve built
 * with zkinfer's multi-exponentiation (src/prove/msm.ts) and on snarkjs's own curve, where
 * the prover falls back to ffjavascript's.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts, type Artifacts } from '../../src/prove/artifacts.js';
import { proveGroth16, readGroth16Key, readWitness, type ProverCurve } from '../../src/prove/groth16.js';
import { quantizeInput } from '../../src/reference/execute.js';
import { receiptContext } from '../../src/shared/context.js';
import { randomSalt } from '../../src/shared/commitment.js';
import { encodeSigned, FIELD_MODULUS } from '../../src/shared/field.js';
import { verifyGroth16Noble } from '../../src/verify/groth16-noble.js';
import { buildCurve, hasBatchMsm, releaseCurve } from '../../src/shared/curve.js';
import { compileTinyModel } from '../e2e/tiny-model.js';

let artifacts: Artifacts;
let vkey: Record<string, unknown>;
let wtns: Uint8Array;
let curve: ProverCurve;
let plain: ProverCurve;

beforeAll(async () => {
  const tiny = await compileTinyModel({ inputVisibility: 'hashed' });
  artifacts = loadArtifacts(tiny.dir);
  vkey = JSON.parse(readFileSync(artifacts.vkeyPath, 'utf8'));
  const build = createRequire(import.meta.url)(join(dirname(artifacts.wasmPath), 'witness_calculator.js')) as (
    code: Uint8Array,
  ) => Promise<{ calculateWTNSBin(i: unknown, s: boolean): Promise<Uint8Array> }>;
  const calculator = await build(readFileSync(artifacts.wasmPath));
  const input = quantizeInput(artifacts.model, [0.5, -0.25, 0.75, 0.1, -0.6, 0.3]);
  const ctx = receiptContext({ modelId: artifacts.manifest.modelId, createdAt: '2026-12-02T10:00:00.000Z', nonce: 'ab' });
  wtns = await calculator.calculateWTNSBin({ in: input.map((v) => encodeSigned(BigInt(v))), ctx, inSalt: randomSalt() }, true);
  plain = await (snarkjs as unknown as { curves: { getCurveFromName(n: string, o?: object): Promise<ProverCurve> } }).curves.getCurveFromName('bn128', { singleThread: true });
  curve = (await buildCurve(true)) as unknown as ProverCurve;
}, 300_000);
afterAll(releaseCurve);

const value = (w: Uint8Array, i: number) => {
  let v = 0n;
  for (let k = 31; k >= 0; k--) v = (v << 8n) | BigInt(w[i * 32 + k]!);
  return v;
};

describe('proveGroth16', () => {
  it('the witness holds narrow, negative and full-width values (every class of the multi-exponentiations)', () => {
    const w = readWitness(wtns);
    const values = Array.from({ length: w.byteLength / 32 }, (_, i) => value(w, i));
    expect(values.some((v) => v > 0n && v < 256n)).toBe(true);
    expect(values.some((v) => v > FIELD_MODULUS - 256n)).toBe(true); // −1 … −255
    expect(values.some((v) => v >= 1n << 64n && v < FIELD_MODULUS - (1n << 64n))).toBe(true);
  });

  it('gives proofs that snarkjs and @noble/curves verify, with the witness as public signals (both multi-exponentiations)', async () => {
    const key = readGroth16Key(readFileSync(artifacts.zkeyPath));
    expect(hasBatchMsm(curve)).toBe(true);
    expect(hasBatchMsm(plain)).toBe(false);
    for (const c of [curve, curve, plain]) {
      const { proof, publicSignals } = await proveGroth16(c, key, wtns);
      const w = readWitness(wtns);
      expect(publicSignals).toEqual(Array.from({ length: key.nPublic }, (_, j) => value(w, j + 1).toString()));
      expect(await snarkjs.groth16.verify(vkey, publicSignals, proof as snarkjs.Groth16Proof)).toBe(true);
      expect(verifyGroth16Noble(vkey, publicSignals, proof as unknown as Parameters<typeof verifyGroth16Noble>[2])).toBe(true);
    }
  });

  it('gives proofs that verify on a curve with worker threads (transforms, join and H queued ahead of the witness multi-exponentiations)', async () => {
    const key = readGroth16Key(readFileSync(artifacts.zkeyPath));
    await releaseCurve(); // snarkjs's verifier cached a curve of its own above
    const threaded = (await buildCurve(false)) as unknown as ProverCurve; // cached in globalThis.curve_bn128, released after all
    expect(hasBatchMsm(threaded)).toBe(true);
    const runs = await Promise.all([proveGroth16(threaded, key, wtns), proveGroth16(threaded, key, wtns)]); // two proofs interleaved on the threads
    for (const { proof, publicSignals } of runs) expect(await snarkjs.groth16.verify(vkey, publicSignals, proof as snarkjs.Groth16Proof)).toBe(true);
  }, 120_000);

  it('a witness with one private value changed gives a proof that does not verify', async () => {
    const key = readGroth16Key(readFileSync(artifacts.zkeyPath));
    const forged = wtns.slice();
    const w = readWitness(forged);
    const wire = key.nPublic + 3;
    w[wire * 32] = w[wire * 32]! ^ 1;
    for (const c of [curve, plain]) {
      const { proof, publicSignals } = await proveGroth16(c, key, forged);
      expect(await snarkjs.groth16.verify(vkey, publicSignals, proof as snarkjs.Groth16Proof)).toBe(false);
    }
  });

  it('refuses a witness of another length and a file that is not a zkey', async () => {
    const key = readGroth16Key(readFileSync(artifacts.zkeyPath));
    await expect(proveGroth16(curve, { ...key, nVars: key.nVars + 1 }, wtns)).rejects.toThrow(`invalid witness length: circuit ${key.nVars + 1}, witness ${key.nVars}`);
    expect(() => readGroth16Key(wtns)).toThrow('not a zkey file');
  });
});
