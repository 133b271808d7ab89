/**
 * Direct local keys (issue 13, item 5): the Groth16 key computed from the circuit's QAP at a
 * local τ, in snarkjs's zkey format. Checked against snarkjs itself: its prover makes proofs
 * with the key that its verifier accepts, tampered proofs and signals fail, and the key's
 * structure — counts, domain, coefficient section, which points are zero — is the one snarkjs's
 * own `zkey new` gives for the same r1cs. Then the compile path: the manifest says how the key
 * was made, `setup verify`/`contribute` refuse it in one line, the policy's localSetup covers it.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjsModule from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/shared/manifest.js';
import { beaconPhase2, contributePhase2, verifySetup } from '../../src/compile/phase2.js';
import { localPtau } from '../../src/compile/ptau.js';
import { DIRECT_SETUP_NOTE } from '../../src/compile/setup.js';
import { writeDirectZkey } from '../../src/compile/zkey-direct.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { FIELD_MODULUS } from '../../src/shared/field.js';
import { packValues } from '../../src/shared/packing.js';
import { evaluateReceipt, loadPolicyKey, parsePolicy } from '../../src/verify/policy.js';
import { loadVerifierKey, verifyProof } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { resealDigest, resealOutput } from '../verify/tampering-cases.js';
import { compileTestCircuit, type TestCircuit } from '../helpers/circuit.js';

interface Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
}
const snarkjs = snarkjsModule as unknown as {
  zKey: {
    newZKey(r1cs: string, ptau: string, out: string): Promise<unknown>;
    exportVerificationKey(zkey: string): Promise<{ nPublic: number; IC: unknown[]; vk_gamma_2: unknown; protocol: string; curve: string }>;
  };
  groth16: {
    fullProve(input: unknown, wasm: string, zkey: string): Promise<{ proof: Proof; publicSignals: string[] }>;
    verify(vkey: unknown, signals: string[], proof: unknown): Promise<boolean>;
  };
};

// Squarings with a public and a private input and two outputs: the public rows, IC, an all-zero
// B column (the outputs') and a C matrix with several terms.
const SOURCE = `pragma circom 2.0.0;
template Chain(n) {
  signal input x; signal input y0; signal output y; signal output z; signal t[n + 1];
  t[0] <== x;
  for (var i = 0; i < n; i++) { t[i + 1] <== t[i] * t[i] + i; }
  y <== t[n] * y0;
  z <== x + 3 * y0;
}
component main {public [x]} = Chain(40);
`;

/** Section id → [offset, size] of a snarkjs binary file. */
function sections(bytes: Buffer): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  let pos = 12;
  for (let i = 0; i < bytes.readUInt32LE(8); i++) {
    const id = bytes.readUInt32LE(pos);
    const size = Number(bytes.readBigUInt64LE(pos + 4));
    out.set(id, [pos + 12, size]);
    pos += 12 + size;
  }
  return out;
}
const section = (bytes: Buffer, id: number): Buffer => {
  const [at, size] = sections(bytes).get(id)!;
  return bytes.subarray(at, at + size);
};
/** Which points of a section are the point at infinity (all-zero affine encoding). */
const zeros = (s: Buffer, size: number): boolean[] => Array.from({ length: s.length / size }, (_, i) => s.subarray(i * size, (i + 1) * size).every((b) => b === 0));

let circuit: TestCircuit;
let work: string;
let direct: Buffer;
let reference: Buffer;
const input = { x: 3, y0: 5 };

beforeAll(async () => {
  circuit = await compileTestCircuit(SOURCE);
  work = await mkdtemp(join(tmpdir(), 'zkinfer-direct-'));
  // Small chunks, so that the constraint and point jobs are split across workers and chunks.
  await writeDirectZkey(circuit.compiled.r1csPath, join(work, 'direct.zkey'), { threads: 2, chunkPoints: { G1: 7, G2: 5 }, chunkConstraints: 6 });
  direct = readFileSync(join(work, 'direct.zkey'));
  const ptau = await localPtau(7);
  await snarkjs.zKey.newZKey(circuit.compiled.r1csPath, ptau.path, join(work, 'snarkjs.zkey'));
  reference = readFileSync(join(work, 'snarkjs.zkey'));
}, 300_000);
afterAll(releaseCurve);

describe('a direct key', () => {
  it("proves with snarkjs's prover, and snarkjs's verifier accepts the proof", async () => {
    const vkey = await snarkjs.zKey.exportVerificationKey(join(work, 'direct.zkey'));
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, circuit.compiled.wasmPath, join(work, 'direct.zkey'));
    expect(publicSignals).toHaveLength(3);
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).toBe(true);
  });

  it('rejects a changed public signal, a changed proof point, and a proof made with another key', async () => {
    const vkey = await snarkjs.zKey.exportVerificationKey(join(work, 'direct.zkey'));
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, circuit.compiled.wasmPath, join(work, 'direct.zkey'));
    const signals = [...publicSignals];
    signals[1] = String(BigInt(signals[1]!) + 1n); // claim z = x + 3·y0 + 1
    expect(await snarkjs.groth16.verify(vkey, signals, proof)).toBe(false);
    const other = await snarkjs.groth16.fullProve({ x: 4, y0: 5 }, circuit.compiled.wasmPath, join(work, 'direct.zkey'));
    expect(await snarkjs.groth16.verify(vkey, publicSignals, { ...proof, pi_c: other.proof.pi_c })).toBe(false);
    expect(await snarkjs.groth16.verify(vkey, publicSignals, { ...proof, pi_a: other.proof.pi_a })).toBe(false);
    // A second direct key for the same circuit has other secrets: its proofs do not verify under the first.
    await writeDirectZkey(circuit.compiled.r1csPath, join(work, 'direct2.zkey'), { threads: 1 });
    const foreign = await snarkjs.groth16.fullProve(input, circuit.compiled.wasmPath, join(work, 'direct2.zkey'));
    expect(foreign.publicSignals).toEqual(publicSignals);
    expect(await snarkjs.groth16.verify(vkey, publicSignals, foreign.proof)).toBe(false);
  });

  it("has the structure snarkjs's zkey new gives the same r1cs: counts, domain, coefficients, zero points, IC", async () => {
    const d = sections(direct);
    const r = sections(reference);
    for (let id = 1; id <= 9; id++) expect([id, d.get(id)![1]]).toEqual([id, r.get(id)![1]]);
    expect(d.has(10)).toBe(false); // no phase-2 transcript
    expect(section(direct, 1)).toEqual(section(reference, 1));
    // n8q, q, n8r, r, nVars, nPublic, domain size (the points after them are the keys' own)
    expect(section(direct, 2).subarray(0, 84)).toEqual(section(reference, 2).subarray(0, 84));
    expect(section(direct, 4)).toEqual(section(reference, 4));
    for (const [id, size] of [
      [3, 64],
      [5, 64],
      [6, 64],
      [7, 128],
      [8, 64],
      [9, 64],
    ] as const) {
      const z = zeros(section(direct, id), size);
      expect([id, z]).toEqual([id, zeros(section(reference, id), size)]);
      expect([id, section(direct, id).equals(section(reference, id))]).toEqual([id, false]);
    }
    expect(zeros(section(direct, 6), 64).some(Boolean)).toBe(true); // the outputs' B columns
    const [vd, vr] = [await snarkjs.zKey.exportVerificationKey(join(work, 'direct.zkey')), await snarkjs.zKey.exportVerificationKey(join(work, 'snarkjs.zkey'))];
    expect([vd.protocol, vd.curve, vd.nPublic, vd.IC.length]).toEqual([vr.protocol, vr.curve, vr.nPublic, vr.IC.length]);
    expect(vd.vk_gamma_2).not.toEqual(vr.vk_gamma_2); // γ is drawn too, not snarkjs's G₂
  });
});

describe('compile with a direct local setup (the default)', () => {
  let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
  beforeAll(async () => {
    tiny = await compileTinyModel();
  }, 300_000);

  it('records how the key was made: direct, local single-party, no ptau, no contributions', () => {
    const m = readManifest(tiny.dir);
    expect(m.setup).toEqual({ method: 'direct', power: m.setup!.power, contributions: 0, localSingleParty: true, note: DIRECT_SETUP_NOTE });
    expect(m.setup!.note).toMatch(/^LOCAL SINGLE-PARTY SETUP/);
  });

  it('proves and verifies through zkinfer; a changed output fails', async () => {
    const receipt = await proveInference(loadArtifacts(tiny.dir), [0.5, -0.25, 0.75, 0.1, -0.6, 0.3], { nonce: '0a' });
    const key = loadVerifierKey(tiny.dir);
    expect((await verifyProof(receipt, key)).valid).toBe(true);
    // A forger's receipt: another output, everything derived from it recomputed; only the proof can object.
    const forged = JSON.parse(JSON.stringify(receipt)) as typeof receipt;
    forged.output.raw[0]! += 1;
    const manifest = readManifest(tiny.dir);
    // the outputs' public signals: packed into one field element, or one signal per value
    if (manifest.io.output.packing) forged.publicSignals![0] = packValues(forged.output.raw, manifest.io.output)[0]!.toString();
    else forged.publicSignals![0] = String((BigInt(forged.output.raw[0]!) + FIELD_MODULUS) % FIELD_MODULUS);
    resealOutput(forged, manifest);
    const verdict = await verifyProof(resealDigest(forged), key);
    expect(verdict.valid).toBe(false);
    expect(verdict.reason).toMatch(/Groth16|pairing|proof/i);
  });

  it('setup verify, contribute and beacon refuse the key in one line saying why', async () => {
    const why =
      'it is a local, development-grade key computed directly from a τ the compiling machine drew (--local-setup direct), with no powers-of-tau file and no phase-2 transcript; recompile with --ptau <public ceremony file> for a key that can be verified and contributed to';
    const ptau = await localPtau(7);
    await expect(verifySetup(tiny.dir, { ptauPath: ptau.path })).rejects.toThrow(`${tiny.dir}: the key cannot be verified: ${why}`);
    await expect(contributePhase2(tiny.dir, { out: join(tiny.work, 'c') })).rejects.toThrow(`${tiny.dir}: the key cannot take contributions: ${why}`);
    await expect(beaconPhase2(tiny.dir, { beacon: 'ab', out: join(tiny.work, 'b') })).rejects.toThrow(`${tiny.dir}: the key cannot take a beacon: ${why}`);
  });

  it("the policy's localSetup covers it: refuse rejects, warn warns", async () => {
    const receipt = await proveInference(loadArtifacts(tiny.dir), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], { nonce: '0b' });
    const key = loadPolicyKey(tiny.dir);
    const refused = await evaluateReceipt(receipt, { key, policy: parsePolicy({ localSetup: 'refuse' }) });
    expect(refused.verdict).toBe('rejected');
    expect(refused.reasons[0]).toMatch(/the policy refuses local single-party keys \(localSetup: "refuse"\)$/);
    const warned = await evaluateReceipt(receipt, { key, policy: parsePolicy({}) });
    expect(warned.verdict).toBe('accepted');
    expect(warned.reasons).toContain('warning: the proof key comes from a local single-party setup; whoever ran it could forge proofs (localSetup: "warn")');
  });
});
