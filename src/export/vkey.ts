/**
 * A Groth16 verification key as numbers: snarkjs writes it as JSON with projective
 * coordinates in decimal strings (G1 `[x, y, z]`, G2 `[[x0, x1], [y0, y1], [z0, z1]]`, Fp2
 * elements as `c0 + c1·i`). The exported verifiers need it in affine form, checked once here:
 * BN254, Groth16, one IC point per public signal plus one, every point valid (with
 * @noble/curves), so a generator never embeds a malformed constant.
 */
import { bn254 } from '@noble/curves/bn254.js';
import { ExportError } from '../shared/errors.js';

/** An affine G1 point; infinity is (0, 0), as the EVM precompiles encode it (EIP-196). */
export interface G1Affine {
  x: bigint;
  y: bigint;
}

/** An affine G2 point with coordinates c0 + c1·i; infinity is all zero. */
export interface G2Affine {
  x: { c0: bigint; c1: bigint };
  y: { c0: bigint; c1: bigint };
}

/** The points of a Groth16 verification key over BN254. */
export interface Groth16Key {
  alpha: G1Affine;
  beta: G2Affine;
  gamma: G2Affine;
  delta: G2Affine;
  /** IC[0] and one point per public signal. */
  ic: G1Affine[];
}

const Fp = bn254.fields.Fp;
const Fp2 = bn254.fields.Fp2;

function decimal(value: unknown, where: string): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value)) throw new ExportError(`verification key: ${where} is not a decimal number`);
  const v = BigInt(value);
  if (v >= Fp.ORDER) throw new ExportError(`verification key: ${where} is not below the base-field modulus`);
  return v;
}

function g1(value: unknown, where: string): G1Affine {
  if (!Array.isArray(value) || value.length !== 3) throw new ExportError(`verification key: ${where} is not a G1 point [x, y, z]`);
  const [x, y, z] = value.map((v, i) => decimal(v, `${where}[${i}]`)) as [bigint, bigint, bigint];
  if (z === 0n) return { x: 0n, y: 0n };
  const zi = Fp.inv(z);
  const p = { x: Fp.mul(x, zi), y: Fp.mul(y, zi) };
  // snarkjs writes affine points with z = 1; any other z is a projective point, normalized above
  try {
    bn254.G1.Point.fromAffine(p).assertValidity();
  } catch (cause) {
    throw new ExportError(`verification key: ${where} is not a point of G1`, { cause });
  }
  return p;
}

function g2(value: unknown, where: string): G2Affine {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((c) => Array.isArray(c) && c.length === 2))
    throw new ExportError(`verification key: ${where} is not a G2 point [[x0, x1], [y0, y1], [z0, z1]]`);
  const [x, y, z] = (value as unknown[][]).map((c, i) => ({ c0: decimal(c[0], `${where}[${i}][0]`), c1: decimal(c[1], `${where}[${i}][1]`) })) as [G2Affine['x'], G2Affine['x'], G2Affine['x']];
  if (Fp2.is0(z)) return { x: { c0: 0n, c1: 0n }, y: { c0: 0n, c1: 0n } };
  const zi = Fp2.inv(z);
  const p = { x: Fp2.mul(x, zi), y: Fp2.mul(y, zi) };
  try {
    bn254.G2.Point.fromAffine(p).assertValidity();
  } catch (cause) {
    throw new ExportError(`verification key: ${where} is not a point of G2's prime-order subgroup`, { cause });
  }
  return p;
}

/**
 * Reads a snarkjs Groth16 verification key.
 * @param publicSignals the number of public signals the layout declares
 * @throws {ExportError} naming the first field that is not what a BN254 Groth16 key holds
 */
export function parseGroth16Key(vkey: Record<string, unknown>, publicSignals: number): Groth16Key {
  if (vkey.protocol !== 'groth16') throw new ExportError(`verification key: protocol is ${JSON.stringify(vkey.protocol)}, expected "groth16"`);
  if (vkey.curve !== 'bn128') throw new ExportError(`verification key: curve is ${JSON.stringify(vkey.curve)}, expected "bn128"`);
  if (vkey.nPublic !== publicSignals) throw new ExportError(`verification key: nPublic is ${JSON.stringify(vkey.nPublic)}, the manifest's layout has ${publicSignals} public signals`);
  const ic = vkey.IC;
  if (!Array.isArray(ic) || ic.length !== publicSignals + 1) throw new ExportError(`verification key: IC has ${Array.isArray(ic) ? ic.length : 'no'} points, expected ${publicSignals + 1}`);
  return {
    alpha: g1(vkey.vk_alpha_1, 'vk_alpha_1'),
    beta: g2(vkey.vk_beta_2, 'vk_beta_2'),
    gamma: g2(vkey.vk_gamma_2, 'vk_gamma_2'),
    delta: g2(vkey.vk_delta_2, 'vk_delta_2'),
    ic: ic.map((p, i) => g1(p, `IC[${i}]`)),
  };
}
