/**
 * Why a key needs a contribution from someone other than the prover (issue "Keys third parties
 * can trust", item 1). Whoever knows a key's phase-2 secret δ forges a Groth16 proof for any
 * public signals — any output of the model, on any input — that snarkjs's own `groth16.verify`
 * accepts: with [α]₁, [β]₁ (proving key) and [β]₂, pick random a, b and set
 *   A = [α]₁ + a·G₁,  B = [β]₂ + b·G₂,  C = δ⁻¹·(b·[α]₁ + a·[β]₁ + ab·G₁ − Σ sᵢ·ICᵢ),
 * so e(A, B) = e(α, β)·e(Σ sᵢ·ICᵢ, γ)·e(C, δ) with snarkjs's γ = G₂.
 *
 * The known-δ key here is the tiny model's key made by snarkjs from the r1cs and the ptau with
 * a single beacon whose value the forger knows (as the compiling party knows its own
 * contribution). The forger's δ is checked independently ([δ]₂ = δ·G₂ with @noble/curves), and
 * the same forger fails on the key after one independent contribution.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { bn254 } from '@noble/curves/bn254.js';
import * as snarkjsModule from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/shared/manifest.js';
import { defaultCacheDir } from '../../src/compile/ptau.js';
import { loadFfjavascript } from '../../src/compile/ptau-deps.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { FIELD_MODULUS } from '../../src/shared/field.js';
import type { Manifest } from '../../src/shared/manifest.js';
import { packValues } from '../../src/shared/packing.js';
import { compileTinyModel } from '../e2e/tiny-model.js';

type Vkey = Record<string, unknown> & { IC: string[][]; vk_alpha_1: string[]; vk_beta_2: string[][]; vk_gamma_2: string[][]; vk_delta_2: string[][]; nPublic: number };
interface Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}
const snarkjs = snarkjsModule as unknown as {
  zKey: {
    newZKey(r1cs: string, ptau: string, out: string): Promise<unknown>;
    beacon(a: string, b: string, name: string, hex: string, exp: number): Promise<unknown>;
    contribute(a: string, b: string, name: string, entropy: string): Promise<unknown>;
    exportVerificationKey(zkey: string): Promise<Vkey>;
    exportJson(zkey: string): Promise<{ vk_beta_1: bigint[] }>;
  };
  groth16: { verify(vkey: unknown, signals: string[], proof: unknown): Promise<boolean> };
};

const { G1, G2 } = bn254;
const Fr = bn254.fields.Fr;
type P1 = InstanceType<typeof G1.Point>;
type P2 = InstanceType<typeof G2.Point>;
const g1 = (p: ArrayLike<string | bigint>): P1 => G1.Point.fromAffine({ x: BigInt(p[0]!), y: BigInt(p[1]!) });
const g2 = (p: ArrayLike<ArrayLike<string | bigint>>): P2 => G2.Point.fromAffine({ x: { c0: BigInt(p[0]![0]!), c1: BigInt(p[0]![1]!) }, y: { c0: BigInt(p[1]![0]!), c1: BigInt(p[1]![1]!) } });

const BEACON = 'c0ffee'.repeat(5);
let work: string;
let knownZkey: string;
let known: Vkey;
let knownBeta1: P1;
let delta: bigint;

/** The δ snarkjs's beacon derives from a value: 2^10 SHA-256 iterations, then ChaCha20 → Fr (snarkjs misc.js, zkey_beacon.js). */
async function beaconDelta(hex: string, iterationsExp: number): Promise<bigint> {
  let h: Buffer = Buffer.from(hex, 'hex');
  for (let i = 0; i < 2 ** iterationsExp; i++) h = createHash('sha256').update(h).digest();
  const ff = await loadFfjavascript();
  const curve = await ff.buildBn128();
  const seed = Array.from({ length: 8 }, (_, i) => h.readUInt32BE(4 * i));
  return curve.Fr.toObject(curve.Fr.fromRng(new ff.ChaCha(seed)));
}

/** A forged proof for `signals` under `vkey`, from its [β]₁ and a δ the forger believes is the key's. */
function forge(vkey: Vkey, beta1: P1, d: bigint, signals: bigint[]): Proof {
  const a = Fr.create(BigInt(`0x${randomBytes(32).toString('hex')}`)) || 1n;
  const b = Fr.create(BigInt(`0x${randomBytes(32).toString('hex')}`)) || 1n;
  const alpha1 = g1(vkey.vk_alpha_1);
  const vkx = signals.reduce((acc, s, i) => (s === 0n ? acc : acc.add(g1(vkey.IC[i + 1]!).multiply(s))), g1(vkey.IC[0]!));
  const A = alpha1.add(G1.Point.BASE.multiply(a));
  const B = g2(vkey.vk_beta_2).add(G2.Point.BASE.multiply(b));
  const C = alpha1
    .multiply(b)
    .add(beta1.multiply(a))
    .add(G1.Point.BASE.multiply(Fr.mul(a, b)))
    .subtract(vkx)
    .multiply(Fr.inv(d));
  const p1 = (p: P1) => {
    const { x, y } = p.toAffine();
    return [x.toString(), y.toString(), '1'];
  };
  const { x, y } = B.toAffine();
  return {
    pi_a: p1(A),
    pi_b: [
      [x.c0.toString(), x.c1.toString()],
      [y.c0.toString(), y.c1.toString()],
      ['1', '0'],
    ],
    pi_c: p1(C),
    protocol: 'groth16',
    curve: 'bn128',
  };
}

let outputRange: Manifest['io']['output'];

/**
 * Public signals for a chosen output (outputs first — packed into field elements when the
 * circuit packs them — then the inputs and the receipt context), as snarkjs takes them.
 */
const statement = (outputs: bigint[], inputs: bigint[]): bigint[] =>
  [...(outputRange.packing ? packValues(outputs, outputRange) : outputs), ...inputs].map((v) => ((v % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS);

/** Chosen outputs the model never gives for those inputs: the ends of the declared range, and 0. */
const chosen = (): bigint[][] => [
  [BigInt(outputRange.max), BigInt(outputRange.min), 0n],
  [1n, 2n, 3n],
];

beforeAll(async () => {
  const tiny = await compileTinyModel({ localSetup: 'snarkjs' });
  work = tiny.work;
  const m = readManifest(tiny.dir);
  outputRange = m.io.output;
  const ptau = join(defaultCacheDir(), 'ptau', `local-bn254-${String(m.setup!.ptau!.power).padStart(2, '0')}-${m.setup!.ptau!.sha256}.ptau`);
  const initial = join(work, 'initial.zkey');
  knownZkey = join(work, 'known-delta.zkey');
  await snarkjs.zKey.newZKey(join(tiny.dir, m.files.r1cs.path), ptau, initial);
  await snarkjs.zKey.beacon(initial, knownZkey, 'a contribution whose secret the forger knows', BEACON, 10);
  known = await snarkjs.zKey.exportVerificationKey(knownZkey);
  knownBeta1 = g1((await snarkjs.zKey.exportJson(knownZkey)).vk_beta_1);
  delta = await beaconDelta(BEACON, 10);
}, 300_000);
afterAll(releaseCurve);

describe('a key whose δ is known', () => {
  it("the forger's δ is the key's: δ·G₂ = [δ]₂, and γ is G₂ (snarkjs)", () => {
    expect(g2(known.vk_delta_2).equals(G2.Point.BASE.multiply(delta))).toBe(true);
    expect(g2(known.vk_gamma_2).equals(G2.Point.BASE)).toBe(true);
    expect(known.nPublic).toBe((outputRange.packing?.signals ?? 3) + 6 + 1); // outputs (3, or their packed signal), inputs, the receipt context
  });

  it('gives proofs of any output, on any input, that snarkjs groth16.verify accepts', async () => {
    for (const outputs of chosen()) {
      const signals = statement(outputs, [10n, -20n, 30n, 0n, 0n, 127n, 12345n]);
      const proof = forge(known, knownBeta1, delta, signals);
      expect(await snarkjs.groth16.verify(known, signals.map(String), proof)).toBe(true);
    }
  });
});

describe('a key with one independent contribution after it', () => {
  it('is out of reach of the same forger', async () => {
    const strengthened = join(work, 'strengthened.zkey');
    await snarkjs.zKey.contribute(knownZkey, strengthened, 'an independent auditor', randomBytes(32).toString('hex'));
    const vkey = await snarkjs.zKey.exportVerificationKey(strengthened);
    const beta1 = g1((await snarkjs.zKey.exportJson(strengthened)).vk_beta_1);
    // the same circuit, α, β and public-input terms; only δ moved
    expect({ ...vkey, vk_delta_2: null }).toEqual({ ...known, vk_delta_2: null });
    expect(g2(vkey.vk_delta_2).equals(G2.Point.BASE.multiply(delta))).toBe(false);
    const signals = statement(chosen()[0]!, [10n, -20n, 30n, 0n, 0n, 127n, 12345n]);
    expect(await snarkjs.groth16.verify(vkey, signals.map(String), forge(vkey, beta1, delta, signals))).toBe(false);
  });
});
