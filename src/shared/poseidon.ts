/**
 * Poseidon over the BN254 scalar field outside the circuit — the same function as circomlib's
 * Poseidon template and circomlibjs's `buildPoseidon` (its constants, its optimised round
 * structure: full rounds with the MDS matrix, partial rounds with sparse matrices), on a
 * small WebAssembly field built here. The tests check it against circomlibjs on random
 * inputs of every arity (1 to 16) and on circomlibjs's fixed vectors.
 *
 * Why not circomlibjs's own wasm: it multiplies through the general field of ffjavascript
 * (wasmcurves), one reduced Montgomery product and one modular addition per matrix entry. A
 * Poseidon round's matrix-vector product is a sum of products, so here each output is one
 * Montgomery reduction of the whole sum: the 512-bit products of 32-bit limbs are added in
 * column accumulators and reduced once (REDC of Σ aⱼ·bⱼ, at most 20 terms below p², then at
 * most a few subtractions of p). The partial rounds' sᵢ + s₀·vᵢ is one reduction of
 * s₀·vᵢ + sᵢ·R. About half the limb products of the general field, and no calls between
 * field operations inside one product.
 *
 * Three more steps (measured on a 15-input hash, CPU time, same process: 0.58 → 0.47 ms for the
 * first two, then −13%): the whole permutation runs in one call (`permute`: the rounds are
 * wasm loops, no call from JavaScript per field operation); the matrix-vector products run two
 * rows at a time in SIMD lanes (`dot2`, WebAssembly SIMD's i64x2.extmul_low_i32x4_u): the MDS
 * rows of the full rounds and the partial rounds' sₖ updates — rows of constants times one
 * shared state, so both lanes share every load and instruction; and the partial rounds run in
 * blocks of {@link PARTIAL_BLOCK}. Round r of a block makes aᵣ = s₀⁵ + c and the new
 * s₀ = w₀·aᵣ + Σₖ wₖ·sₖ with sₖ = sₖ(block start) + Σ_{r'<r} vₖ⁽ʳ'⁾·a_{r'}, that is one dot product
 * over (aᵣ, a_{r−1}, …, a₀, s₁, …, s_{t−1}) with the precomputed u⁽ʳ'ʳ'⁾ = Σₖ wₖ⁽ʳ⁾·vₖ⁽ʳ'⁾ as
 * the a's coefficients; the sₖ are updated once at the block's end, Σᵣ vₖ⁽ʳ⁾·aᵣ with one
 * reduction instead of one per round (the same values, so the same hash).
 *
 * Field elements in wasm memory: 8 little-endian 32-bit limbs, Montgomery form with
 * R = 2^256 (inputs are converted on the way in, the result on the way out). Memory address 0
 * is never a field element (it means "no addend" to `dot`).
 */
import { FIELD_MODULUS } from './field.js';
import { BYTES, fieldModule, LIMBS, MASK32, N_ROUNDS_F, PARTIAL_BLOCK } from './poseidon-wasm.js';

const P = FIELD_MODULUS;
const R = 1n << 256n;

/** circomlibjs's optimised constants for one width t (decimal or hex strings). */
export interface PoseidonConstants {
  /** Round constants, compressed (full rounds t each, partial rounds one each). */
  C: string[];
  /** The MDS matrix, M[j][i]: output i takes Σⱼ M[j][i]·sⱼ. */
  M: string[][];
  /** The matrix of the last first-half full round (P[j][i], like M). */
  P: string[][];
  /** The partial rounds' sparse matrices, 2t − 1 entries per round. */
  S: string[];
}

/** Partial rounds for t = 2 … 17 (circomlib's table). */
const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

/** Where one width's constants are, in Montgomery form in wasm memory. */
interface Width {
  t: number;
  C: number;
  /**
   * Transposed (row i holds M[·][i], so output i is row i · state), rows in pairs for dot2:
   * rows 2h and 2h + 1 interleaved word by word, a zero row after the last for an odd t.
   */
  M: number;
  P: number;
  /** The partial rounds' rows of the new s₀, each block's rounds extended by the coefficients of its earlier a's. */
  S: number;
  /** Each block's v₁ … v_{t−1} of its rounds in interleaved pairs for dot2, a zero after the last for an even t. */
  V: number;
  /** The partial rounds' block sizes (32-bit words), and their number. */
  BT: number;
  blocks: number;
}

/** A Poseidon hash: 1 to 16 field elements (below p) in, one out; `initState` is 0 as in circomlib. */
export type PoseidonHash = (inputs: readonly bigint[]) => bigint;

/**
 * Builds the hash from circomlibjs's optimised constants (`C`, `M`, `P`, `S` by width, index
 * t − 2), converting a width's constants on its first use.
 */
export async function buildPoseidonHash(constants: (t: number) => PoseidonConstants): Promise<PoseidonHash> {
  const instance = await WebAssembly.instantiate(new WebAssembly.Module(fieldModule(4)));
  type Dot = (pa: number, pb: number, n: number, pc: number, pr: number) => void;
  type Permute = (t: number, pc: number, pm: number, pp: number, ps: number, blocks: number, s: number, n: number, aux: number, pv: number, bt: number) => void;
  const exports = instance.exports as { mul: Dot; permute: Permute; memory: WebAssembly.Memory };
  const { mul, permute, memory } = exports;
  let u32 = new Uint32Array(memory.buffer);
  let top = BYTES; // address 0 stays unused
  const alloc = (elements: number) => {
    const at = top;
    top += elements * BYTES;
    const needed = Math.ceil(top / 65536) - memory.buffer.byteLength / 65536;
    if (needed > 0) {
      memory.grow(needed);
      u32 = new Uint32Array(memory.buffer);
    }
    return at;
  };
  const write = (at: number, v: bigint) => {
    for (let i = 0; i < LIMBS; i++) u32[at / 4 + i] = Number((v >> BigInt(32 * i)) & MASK32);
  };
  const read = (at: number) => {
    let v = 0n;
    for (let i = LIMBS - 1; i >= 0; i--) v = (v << 32n) | BigInt(u32[at / 4 + i]!);
    return v;
  };
  const mont = (v: bigint) => (v * R) % P;
  const constant = (s: string) => {
    const v = BigInt(s);
    if (v < 0n || v >= P) throw new RangeError(`Poseidon constant ${s.slice(0, 20)}… is not a field element`);
    return mont(v);
  };

  const R2 = alloc(1);
  write(R2, (R * R) % P); // dot(x, R²) = x·R: into Montgomery form
  const ONE = alloc(1);
  write(ONE, 1n); // dot(x, 1) = x·R⁻¹: out of it
  alloc(PARTIAL_BLOCK - 1); // the a's of a block below s₀
  const STATE = alloc(18); // t ≤ 17 elements and a scratch one (the padding lane of dot2)
  alloc(PARTIAL_BLOCK - 1);
  const NEXT = alloc(18);
  const AUX = alloc(2);

  const widths = new Map<number, Width>();
  const width = (t: number): Width => {
    let w = widths.get(t);
    if (w) return w;
    const k = constants(t);
    const roundsP = N_ROUNDS_P[t - 2]!;
    if (k.C.length !== N_ROUNDS_F * t + roundsP || k.S.length !== (2 * t - 1) * roundsP || k.M.length !== t || k.P.length !== t)
      throw new Error(`Poseidon constants for t = ${t} have unexpected sizes`);
    const C = alloc(k.C.length);
    k.C.forEach((s, i) => write(C + i * BYTES, constant(s)));
    /** Lane h of the pair at `at`: word l at at + 8l + 4h. */
    const writeLane = (at: number, h: number, v: bigint) => {
      for (let l = 0; l < LIMBS; l++) u32[(at + 8 * l + 4 * h) / 4] = Number((v >> BigInt(32 * l)) & MASK32);
    };
    const pairs = Math.ceil(t / 2);
    const matrix = (rows: string[][]) => {
      const at = alloc(2 * pairs * t); // pair h, term j at at + (h·t + j)·64
      for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) writeLane(at + ((i >> 1) * t + j) * 2 * BYTES, i & 1, constant(rows[j]![i]!));
      return at;
    };
    const M = matrix(k.M);
    const Pm = matrix(k.P);
    // Partial rounds in blocks of PARTIAL_BLOCK (the last one shorter): see `permute`.
    const field = (str: string) => {
      const v = BigInt(str);
      if (v < 0n || v >= P) throw new RangeError(`Poseidon constant ${str.slice(0, 20)}… is not a field element`);
      return v;
    };
    const row = (r: number) => k.S.slice((2 * t - 1) * r, (2 * t - 1) * r + t).map(field); // w⁽ʳ⁾
    const vs = (r: number) => k.S.slice((2 * t - 1) * r + t, (2 * t - 1) * (r + 1)).map(field); // v₁⁽ʳ⁾ … v_{t−1}⁽ʳ⁾
    const blocks: number[] = [];
    for (let done = 0; done < roundsP; done += blocks.at(-1)!) blocks.push(Math.min(PARTIAL_BLOCK, roundsP - done));
    const BT = alloc(Math.ceil((4 * blocks.length) / BYTES));
    blocks.forEach((b, i) => (u32[BT / 4 + i] = b));
    const rowsLength = blocks.reduce((sum, b) => sum + b * t + (b * (b - 1)) / 2, 0);
    const S = alloc(rowsLength);
    const vPairs = Math.ceil((t - 1) / 2);
    const V = alloc(2 * vPairs * roundsP);
    let at = S;
    let first = 0;
    let vAt = V;
    for (const b of blocks) {
      for (let r = 0; r < b; r++) {
        // row r: (w₀⁽ʳ⁾, u⁽ʳ'ʳ⁻¹⁾, …, u⁽ʳ'⁰⁾, w₁⁽ʳ⁾, …, w_{t−1}⁽ʳ⁾) with u⁽ʳ'ʳ'⁾ = Σₖ wₖ⁽ʳ⁾·vₖ⁽ʳ'⁾, k ≥ 1
        const w = row(first + r);
        const u = (r2: number) => vs(first + r2).reduce((sum, v, i) => (sum + w[i + 1]! * v) % P, 0n);
        for (const v of [w[0]!, ...Array.from({ length: r }, (_, j) => u(r - 1 - j)), ...w.slice(1)]) {
          write(at, mont(v));
          at += BYTES;
        }
      }
      // pair h (k = 2h + 1, 2h + 2), term j: vₖ of round b − 1 − j (the terms are a_{b−1} … a₀)
      for (let h = 0; h < vPairs; h++)
        for (let j = 0; j < b; j++) {
          const v = vs(first + b - 1 - j);
          for (const lane of [0, 1]) if (2 * h + lane < t - 1) writeLane(vAt + (h * b + j) * 2 * BYTES, lane, mont(v[2 * h + lane]!));
        }
      vAt += vPairs * b * 2 * BYTES;
      first += b;
    }
    w = { t, C, M, P: Pm, S, V, BT, blocks: blocks.length };
    widths.set(t, w);
    return w;
  };

  return (inputs: readonly bigint[]): bigint => {
    const t = inputs.length + 1;
    if (t < 2 || t > 17) throw new RangeError(`Poseidon takes 1 to 16 inputs, got ${inputs.length}`);
    const w = width(t);
    const s = STATE;
    u32.fill(0, s / 4, s / 4 + LIMBS);
    inputs.forEach((v, i) => {
      if (typeof v !== 'bigint' || v < 0n || v >= P) throw new RangeError(`Poseidon input ${i} is not a field element below p`);
      write(s + (i + 1) * BYTES, v);
      mul(s + (i + 1) * BYTES, R2, 1, 0, s + (i + 1) * BYTES);
    });
    permute(t, w.C, w.M, w.P, w.S, w.blocks, s, NEXT, AUX, w.V, w.BT); // an even number of mixes: the result is back at s
    mul(s, ONE, 1, 0, AUX);
    return read(AUX);
  };
}

let circomlibPoseidon: Promise<PoseidonHash> | undefined;

/**
 * The hash with circomlibjs's constants (the package's `src/poseidon_constants_opt.json`,
 * the table its `buildPoseidon` compiles in), built once per process.
 * @throws {Error} when the installed circomlibjs has no such table
 */
export function loadCircomlibPoseidon(): Promise<PoseidonHash> {
  circomlibPoseidon ??= (async () => {
    const [{ createRequire }, { readFileSync }, { dirname, join }] = await Promise.all([import('node:module'), import('node:fs'), import('node:path')]);
    const file = join(dirname(createRequire(import.meta.url).resolve('circomlibjs')), '..', 'src', 'poseidon_constants_opt.json');
    const table = JSON.parse(readFileSync(file, 'utf8')) as { C: string[][]; M: string[][][]; P: string[][][]; S: string[][] };
    return buildPoseidonHash((t) => ({ C: table.C[t - 2]!, M: table.M[t - 2]!, P: table.P[t - 2]!, S: table.S[t - 2]! }));
  })();
  return circomlibPoseidon;
}
