/**
 * The shared table of tampering cases (DESIGN.md "Receipts"): every way a forger could
 * alter an honest receipt, each re-sealing what a forger can re-seal (the digest, the input
 * commitment, values and probabilities recomputed from altered integers) so that the check
 * that must catch it is the binding one. Every verifier zkinfer ships runs this table and
 * must reject every case; the TypeScript verifier's exact reason is given for its tests.
 *
 * `layer` says what a case reaches: `json` cases are refused when the receipt is read
 * (unknown fields, malformed values) — a verifier that takes typed arguments (a contract)
 * cannot even express them; `binding` cases are refused by the checks around the proof;
 * `proof` cases reach the pairing check itself.
 *
 * The table serves every visibility: a case names the receipts it `applies` to (a public
 * output, a hashed input, …), and {@link tamperCasesFor} picks the cases of one honest
 * receipt. Hashed receipts add the commitment cases — an altered commitment, one written at
 * or above the field modulus, input and output commitments swapped, raw values smuggled in
 * beside a commitment or in its place, the receipt sealed (no proof).
 */
import { bn254 } from '@noble/curves/bn254.js';
import { FIELD_MODULUS } from '../../src/shared/field.js';
import { receiptContext } from '../../src/shared/context.js';
import { inputCommitment, isHashedOutput, receiptDigest, type PublicReceipt, type Receipt } from '../../src/shared/receipt.js';
import { SEALED_NO_PROOF } from '../../src/verify/verify.js';
import { softmax } from '../../src/shared/math.js';
import type { Manifest } from '../../src/shared/manifest.js';
import { packValues } from '../../src/shared/commitment.js';
import { publicSignalLayout } from '../../src/shared/layout.js';

/** One tampering case. */
export interface TamperCase {
  name: string;
  layer: 'json' | 'binding' | 'proof';
  /** The honest receipts it applies to, by their visibilities (default: every proven receipt). */
  applies?: (mode: ReceiptMode) => boolean;
  /** Returns the tampered receipt as JSON-ready data (never mutates its argument). */
  tamper(receipt: Receipt, manifest: Manifest): unknown;
  /** The TypeScript verifier's reason (exact string, or a pattern where it embeds values). */
  reason: string | RegExp;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const q = bn254.fields.Fp.ORDER;

/** Recomputes values and probabilities from the raw output integers, as a forger would. */
export function resealOutput(r: PublicReceipt, manifest: Manifest): void {
  r.output.values = r.output.raw.map((v) => v / 2 ** r.output.scale);
  const t = manifest.io.output.transform;
  if (t) r.output.probabilities = Array.from(softmax(r.output.values, r.output.shape, t.axis, t.coerce2d));
}

/** Recomputes the digest, as a forger would. */
export function resealDigest<R extends Receipt>(r: R): R {
  r.digest = receiptDigest(r);
  return r;
}

/**
 * What decides which cases apply to a receipt: its visibilities, whether its output has
 * probabilities, and whether a public output is packed into few signals (the manifest's layout).
 */
export interface ReceiptMode {
  input: 'public' | 'hashed';
  output: 'public' | 'hashed';
  probabilities: boolean;
  packed: boolean;
}

/** The mode of a receipt under its artifacts' manifest. */
export function modeOf(r: Receipt, manifest: Manifest): ReceiptMode {
  const out = r.output;
  if (isHashedOutput(out)) return { input: r.input.visibility, output: 'hashed', probabilities: false, packed: false };
  return { input: r.input.visibility, output: 'public', probabilities: out.probabilities !== undefined, packed: manifest.io.output.packing !== undefined };
}

/** The tiny test model's modes (it ends in a Softmax); a public output is packed unless compiled with packOutput: false. */
export const MODES = {
  public: { input: 'public', output: 'public', probabilities: true, packed: true },
  publicUnpacked: { input: 'public', output: 'public', probabilities: true, packed: false },
  hashedInput: { input: 'hashed', output: 'public', probabilities: true, packed: true },
  hashedInputUnpacked: { input: 'hashed', output: 'public', probabilities: true, packed: false },
  hashedBoth: { input: 'hashed', output: 'hashed', probabilities: false, packed: false },
} as const satisfies Record<string, ReceiptMode>;

const publicOutput = (m: ReceiptMode) => m.output === 'public';
const publicInput = (m: ReceiptMode) => m.input === 'public';
const hashedInput = (m: ReceiptMode) => m.input === 'hashed';
const hashedOutput = (m: ReceiptMode) => m.output === 'hashed';
const bothHashed = (m: ReceiptMode) => hashedInput(m) && hashedOutput(m);
const packedOutput = (m: ReceiptMode) => publicOutput(m) && m.packed;

/** The number of signals the output takes (its values, its packed signals, or its commitment). */
const nOut = (manifest: Manifest) => {
  const first = publicSignalLayout(manifest.io)[0]!;
  return first.kind === 'values' || first.kind === 'packed' || first.kind === 'commitment' ? first.count : 0;
};
/** The index of a hashed tensor's commitment signal (the output's run comes first). */
const commitmentIndex = (m: Manifest, of: 'input' | 'output') => (of === 'output' ? 0 : nOut(m));
/** The packed output's signal 0 re-packed from integers, as a forger would. */
const repack = (m: Manifest, raw: readonly number[]) => packValues(raw, m.io.output)[0]!.toString();
const withCommitment = (r: Receipt, of: 'input' | 'output', value: string) => {
  (r[of] as { commitment: string }).commitment = value;
};

/** A point of the twist curve that is not in G2's prime-order subgroup. */
function nonSubgroupG2(): [[string, string], [string, string], ['1', '0']] {
  const Fp2 = bn254.fields.Fp2;
  const b = bn254.G2.Point.CURVE().b;
  let x = Fp2.create({ c0: 5n, c1: 7n });
  for (;;) {
    try {
      const y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), b));
      return [
        [x.c0.toString(), x.c1.toString()],
        [y.c0.toString(), y.c1.toString()],
        ['1', '0'],
      ];
    } catch {
      x = Fp2.add(x, Fp2.ONE);
    }
  }
}

/** The cases of the table that apply to a receipt of a mode (or to one honest receipt). */
export function tamperCasesFor(mode: ReceiptMode): TamperCase[] {
  return TAMPER_CASES.filter((c) => c.applies?.(mode) ?? true);
}

/** Two output slots holding different integers (a swap of equal ones would change nothing). */
function differingSlots(raw: readonly number[]): [number, number] {
  for (let j = 1; j < raw.length; j++) if (raw[j] !== raw[0]) return [0, j];
  throw new Error('every output integer is the same: no swap can be made');
}

export const TAMPER_CASES: readonly TamperCase[] = [
  {
    name: 'altered output (values, probabilities and digest re-sealed)',
    layer: 'binding',
    applies: publicOutput,
    tamper: (receipt, m) => {
      const r = clone(receipt) as PublicReceipt;
      r.output.raw[1]! += 1;
      resealOutput(r, m);
      return resealDigest(r);
    },
    reason: /^output 1 in the receipt \(-?\d+\) differs from the proven public signal \(-?\d+\)$/,
  },
  {
    name: 'altered output public signal with the receipt altered to match',
    layer: 'proof',
    applies: publicOutput,
    tamper: (receipt, m) => {
      const r = clone(receipt) as PublicReceipt;
      r.publicSignals![0] = ((BigInt(r.publicSignals![0]!) + 1n) % FIELD_MODULUS).toString();
      r.output.raw[0]! += 1;
      resealOutput(r, m);
      return resealDigest(r);
    },
    reason: 'the Groth16 proof does not verify',
  },
  {
    name: 'proof point moved off the curve',
    layer: 'binding',
    tamper: (receipt) => {
      const r = clone(receipt);
      r.proof!.pi_a[0] = ((BigInt(r.proof!.pi_a[0]) + 1n) % q).toString();
      return r;
    },
    reason: 'pi_a is not a point of G1',
  },
  {
    name: 'proof coordinate written non-canonically (x + q)',
    layer: 'binding',
    tamper: (receipt) => {
      const r = clone(receipt);
      r.proof!.pi_a[0] = (BigInt(r.proof!.pi_a[0]) + q).toString();
      return r;
    },
    reason: 'pi_a.x is not a canonical base-field element (≥ q)',
  },
  {
    name: 'proof point replaced by another valid point',
    layer: 'proof',
    tamper: (receipt) => {
      const r = clone(receipt);
      const g = bn254.G1.Point.BASE.multiply(7n).toAffine();
      r.proof!.pi_c = [g.x.toString(), g.y.toString(), '1'];
      return r;
    },
    reason: 'the Groth16 proof does not verify',
  },
  {
    name: 'G2 point outside the prime-order subgroup',
    layer: 'binding',
    tamper: (receipt) => {
      const r = clone(receipt);
      r.proof!.pi_b = nonSubgroupG2();
      return r;
    },
    reason: 'pi_b is not in the prime-order subgroup of G2',
  },
  {
    name: 'public signal shifted by the field modulus',
    layer: 'binding',
    tamper: (receipt, m) => {
      const r = clone(receipt);
      const i = nOut(m) + 1;
      r.publicSignals![i] = (BigInt(r.publicSignals![i]!) + FIELD_MODULUS).toString();
      return r;
    },
    reason: /^public signal \d+ is not a canonical field element$/,
  },
  {
    name: 'wrong model id (digest re-sealed)',
    layer: 'binding',
    tamper: (receipt) => {
      const r = clone(receipt);
      r.modelId = 'ab'.repeat(32);
      return resealDigest(r);
    },
    reason: /^the receipt is for model abababababababab…, the artifacts are model [0-9a-f]{16}…$/,
  },
  {
    name: 'replayed under a new nonce (digest re-sealed)',
    layer: 'binding',
    tamper: (receipt) => {
      const r = clone(receipt);
      r.nonce = 'fe'.repeat(16);
      return resealDigest(r);
    },
    reason: 'the context signal does not match the receipt (model id, createdAt and nonce)',
  },
  {
    name: 'replayed under a new nonce with the context signal recomputed',
    layer: 'proof',
    tamper: (receipt) => {
      const r = clone(receipt);
      r.nonce = 'fe'.repeat(16);
      r.publicSignals![r.publicSignals!.length - 1] = receiptContext(r).toString();
      return resealDigest(r);
    },
    reason: 'the Groth16 proof does not verify',
  },
  {
    name: 'createdAt moved (digest re-sealed)',
    layer: 'binding',
    tamper: (receipt) => {
      const r = clone(receipt);
      r.createdAt = new Date(Date.parse(r.createdAt) + 3_600_000).toISOString();
      return resealDigest(r);
    },
    reason: 'the context signal does not match the receipt (model id, createdAt and nonce)',
  },
  {
    name: 'out-of-range input with the receipt and commitment altered to match',
    layer: 'binding',
    applies: (m) => publicInput(m) && publicOutput(m),
    tamper: (receipt, m) => {
      const r = clone(receipt) as PublicReceipt;
      const big = m.io.input.max + 1;
      r.input.raw[0] = big;
      r.input.commitment = inputCommitment(r.input);
      r.publicSignals![nOut(m)] = big.toString();
      return resealDigest(r);
    },
    reason: /^public input 0 = \d+ is outside the declared range \[-\d+, \d+\]$/,
  },
  {
    name: 'forged probabilities (weight moved to the lowest logit)',
    layer: 'binding',
    applies: (m) => publicOutput(m) && m.probabilities,
    tamper: (receipt) => {
      const r = clone(receipt) as PublicReceipt;
      const p = r.output.probabilities!;
      const lo = r.output.values.indexOf(Math.min(...r.output.values));
      const hi = p.indexOf(Math.max(...p));
      [p[lo], p[hi]] = [p[hi]!, p[lo]!];
      return r;
    },
    reason: /^output probability \d+ \([0-9.e-]+\) is not the softmax of the proven logits \([0-9.e-]+\)$/,
  },
  {
    name: 'forged semantics',
    layer: 'binding',
    tamper: (receipt) => {
      const r = clone(receipt);
      r.output.semantics = 'calibrated probability of malignancy';
      return r;
    },
    reason: /^output\.semantics is not the manifest's \(".*"\)$/,
  },
  {
    name: 'an extra output value',
    layer: 'binding',
    applies: publicOutput,
    tamper: (receipt) => {
      const r = clone(receipt) as PublicReceipt;
      r.output.values.push(0.5);
      return r;
    },
    reason: /^output\.values has \d+ entries, expected \d+$/,
  },
  {
    name: 'receipt key id differs from the artifacts key',
    layer: 'binding',
    tamper: (receipt) => {
      const r = clone(receipt);
      r.keyId = 'cd'.repeat(32);
      return r;
    },
    reason: /^the receipt was proven with key cdcdcdcdcdcdcdcd…, the artifacts hold key [0-9a-f]{16}…$/,
  },
  {
    name: 'an unknown top-level field',
    layer: 'json',
    tamper: (receipt) => ({ ...clone(receipt), approvedBy: 'Dr. Mallory' }),
    reason: 'malformed receipt: "(root)": unknown field "approvedBy"',
  },
  {
    name: 'an unknown proof field',
    layer: 'json',
    tamper: (receipt) => {
      const r = clone(receipt) as unknown as { proof: Record<string, unknown> };
      r.proof.pi_z = ['1', '2', '1'];
      return r;
    },
    reason: 'malformed receipt: "proof": unknown field "pi_z"',
  },
  {
    name: 'unbound timings field',
    layer: 'json',
    tamper: (receipt) => ({ ...clone(receipt), timings: { proveMs: 1 } }),
    reason: 'malformed receipt: "(root)": unknown field "timings"',
  },
  {
    name: 'createdAt that is not a time',
    layer: 'json',
    tamper: (receipt) => ({ ...clone(receipt), createdAt: 'yesterday' }),
    reason: 'malformed receipt: "createdAt": expected an ISO 8601 UTC time with milliseconds, as 2026-12-02T07:04:44.123Z',
  },
  {
    name: 'odd-length nonce',
    layer: 'json',
    tamper: (receipt) => ({ ...clone(receipt), nonce: 'abc' }),
    reason: 'malformed receipt: "nonce": expected 2 to 1024 lowercase hex digits (an even number)',
  },
  {
    name: 'a receipt of the previous format',
    layer: 'json',
    tamper: (receipt) => ({ ...clone(receipt), format: 'zkinfer.receipt/1' }),
    reason: 'receipt format zkinfer.receipt/1 is not supported (this verifier reads zkinfer.receipt/2); prove the inference again',
  },
  // ------------------------------------------------------------ packed public outputs
  {
    name: 'packed output: two outputs moved between slots (values, probabilities and digest re-sealed)',
    layer: 'binding',
    applies: packedOutput,
    tamper: (receipt, m) => {
      const r = clone(receipt) as PublicReceipt;
      const [a, b] = differingSlots(r.output.raw);
      [r.output.raw[a], r.output.raw[b]] = [r.output.raw[b]!, r.output.raw[a]!];
      resealOutput(r, m);
      return resealDigest(r);
    },
    reason: /^output 0 in the receipt \(-?\d+\) differs from the proven public signal \(-?\d+\)$/,
  },
  {
    name: 'packed output: two outputs moved between slots in the receipt and the packed signal (re-packed)',
    layer: 'proof',
    applies: packedOutput,
    tamper: (receipt, m) => {
      const r = clone(receipt) as PublicReceipt;
      const [a, b] = differingSlots(r.output.raw);
      [r.output.raw[a], r.output.raw[b]] = [r.output.raw[b]!, r.output.raw[a]!];
      r.publicSignals![0] = repack(m, r.output.raw);
      resealOutput(r, m);
      return resealDigest(r);
    },
    reason: 'the Groth16 proof does not verify',
  },
  {
    name: 'packed output: an output outside its width whose packing is unchanged (output 0 + 2^bits, output 1 − 1: the same packed signal)',
    layer: 'binding',
    applies: packedOutput,
    tamper: (receipt, m) => {
      const r = clone(receipt) as PublicReceipt;
      r.output.raw[0]! += 2 ** m.io.output.packing!.bits;
      r.output.raw[1]! -= 1;
      resealOutput(r, m);
      return resealDigest(r);
    },
    reason: /^output 0 in the receipt \(-?\d+\) differs from the proven public signal \(-?\d+\)$/,
  },
  {
    name: 'packed output: a bit set above the packed outputs (the receipt unchanged)',
    layer: 'binding',
    applies: packedOutput,
    tamper: (receipt, m) => {
      const r = clone(receipt);
      const { bits } = m.io.output.packing!;
      const inSignal = Math.min(
        m.io.output.packing!.perSignal,
        m.io.output.shape.reduce((x, y) => x * y, 1),
      );
      r.publicSignals![0] = (BigInt(r.publicSignals![0]!) + (1n << BigInt(bits * inSignal))).toString();
      return r;
    },
    reason: /^public signal 0 has bits set above its \d+ packed outputs of \d+ bits$/,
  },
  {
    name: 'packed output: output 0 set to the top of its width, above the declared maximum, in the receipt and the packed signal',
    layer: 'binding',
    applies: packedOutput,
    tamper: (receipt, m) => {
      const r = clone(receipt) as PublicReceipt;
      const { min, max, packing } = m.io.output;
      const top = min + 2 ** packing!.bits - 1;
      if (top <= max) throw new Error(`the declared range [${min}, ${max}] fills its ${packing!.bits} bits: no value is above it within the width`);
      r.output.raw[0] = top;
      // packValues refuses the value (it is out of range): pack the digits by hand
      const digits = BigInt(r.publicSignals![0]!) & ~((1n << BigInt(packing!.bits)) - 1n);
      r.publicSignals![0] = (digits | BigInt(top - min)).toString();
      resealOutput(r, m);
      return resealDigest(r);
    },
    reason: /^public output 0 = -?\d+ is outside the declared range \[-?\d+, -?\d+\]$/,
  },
  // ------------------------------------------------------------ hashed inputs and outputs
  ...(['input', 'output'] as const).flatMap((of): TamperCase[] => {
    const applies = of === 'input' ? hashedInput : hashedOutput;
    const commitmentOf = (r: Receipt) => BigInt((r[of] as { commitment: string }).commitment);
    return [
      {
        name: `altered ${of} commitment (digest re-sealed)`,
        layer: 'binding',
        applies,
        tamper: (receipt) => {
          const r = clone(receipt);
          withCommitment(r, of, ((commitmentOf(r) + 1n) % FIELD_MODULUS).toString());
          return resealDigest(r);
        },
        reason: `the ${of} commitment in the receipt differs from the proven public signal`,
      },
      {
        name: `altered ${of} commitment with its signal altered to match (digest re-sealed)`,
        layer: 'proof',
        applies,
        tamper: (receipt, m) => {
          const r = clone(receipt);
          const c = ((commitmentOf(r) + 1n) % FIELD_MODULUS).toString();
          withCommitment(r, of, c);
          r.publicSignals![commitmentIndex(m, of)] = c;
          return resealDigest(r);
        },
        reason: 'the Groth16 proof does not verify',
      },
      {
        name: `${of} commitment written as c + r in the receipt (digest re-sealed)`,
        layer: 'binding',
        applies,
        tamper: (receipt) => {
          const r = clone(receipt);
          withCommitment(r, of, (commitmentOf(r) + FIELD_MODULUS).toString());
          return resealDigest(r);
        },
        reason: `the ${of} commitment in the receipt differs from the proven public signal`,
      },
      {
        name: `${of} commitment written as c + r in the receipt and its signal (digest re-sealed)`,
        layer: 'binding',
        applies,
        tamper: (receipt, m) => {
          const r = clone(receipt);
          const c = (commitmentOf(r) + FIELD_MODULUS).toString();
          withCommitment(r, of, c);
          r.publicSignals![commitmentIndex(m, of)] = c;
          return resealDigest(r);
        },
        reason: /^public signal \d+ is not a canonical field element$/,
      },
      {
        name: `raw ${of} values smuggled in beside the ${of} commitment`,
        layer: 'json',
        applies,
        tamper: (receipt) => {
          const r = clone(receipt);
          return { ...r, [of]: { ...r[of], raw: [1, 2, 3] } };
        },
        reason: of === 'input' ? 'malformed receipt: "input": unknown field "raw"' : /^malformed receipt: "output": /,
      },
      {
        name: `hashed ${of} presented as public (values in place of the commitment, digest re-sealed)`,
        layer: 'binding',
        applies,
        tamper: (receipt, m) => {
          const r = clone(receipt) as unknown as PublicReceipt;
          const d = m.io[of];
          const raw = Array.from({ length: d.shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.min(d.max, i));
          if (of === 'input') r.input = { visibility: 'public', shape: d.shape, scale: d.scale, raw, commitment: inputCommitment({ shape: d.shape, scale: d.scale, raw }) };
          else {
            r.output = { shape: d.shape, scale: d.scale, raw, values: [], semantics: m.io.output.semantics };
            resealOutput(r, m);
          }
          return resealDigest(r);
        },
        reason: `the receipt ${of} is public, the manifest declares it hashed`,
      },
    ];
  }),
  {
    name: 'input and output commitments swapped in the receipt (digest re-sealed)',
    layer: 'binding',
    applies: bothHashed,
    tamper: (receipt) => {
      const r = clone(receipt);
      const [i, o] = [r.input.commitment, (r.output as { commitment: string }).commitment];
      withCommitment(r, 'input', o);
      withCommitment(r, 'output', i);
      return resealDigest(r);
    },
    reason: 'the output commitment in the receipt differs from the proven public signal',
  },
  {
    name: 'input and output commitments swapped in the receipt and the signals (digest re-sealed)',
    layer: 'proof',
    applies: bothHashed,
    tamper: (receipt, m) => {
      const r = clone(receipt);
      const [i, o] = [r.input.commitment, (r.output as { commitment: string }).commitment];
      withCommitment(r, 'input', o);
      withCommitment(r, 'output', i);
      const s = r.publicSignals!;
      [s[commitmentIndex(m, 'input')], s[commitmentIndex(m, 'output')]] = [s[commitmentIndex(m, 'output')]!, s[commitmentIndex(m, 'input')]!];
      return resealDigest(r);
    },
    reason: 'the Groth16 proof does not verify',
  },
  {
    name: 'sealed: the commitments under an attestation, the proof removed',
    layer: 'json',
    applies: bothHashed,
    tamper: (receipt) => {
      const { proof: _p, publicSignals: _s, keyId: _k, ...r } = clone(receipt);
      return {
        ...r,
        enclaveKey: '11'.repeat(32),
        attestation: { provider: 'dev', format: 'zkinfer.dev-attestation/1', hardware: false, document: 'e30=', digest: r.digest, nonce: r.nonce, createdAt: r.createdAt },
      };
    },
    reason: SEALED_NO_PROOF,
  },
];
