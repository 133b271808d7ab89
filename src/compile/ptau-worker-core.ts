/**
 * The fixed-base multiplication worker of the local powers of tau (its entry is
 * ./ptau-worker.ts; ./zkey-direct-worker.ts extends it for the direct Groth16 key). This
 * module holds the worker side's state and handlers and has no side effects; an entry
 * module passes the handlers it serves to {@link listen}.
 *
 * Every point of a locally generated ptau is a known scalar times a generator, so instead of
 * snarkjs's inverse FFT over curve points (prepare phase2) or one full double-and-add per point
 * (batchApplyKey), each worker computes its scalars in the field (powers τ^i, or Lagrange basis
 * values L_i(τ) with one batch inversion per chunk) and multiplies them onto the generator with a
 * fixed-base window table: with w-bit windows, `s·G = Σ_j T[j][digit_j(s)]`, where
 * `T[j][d] = d·2^(w·j)·G` is precomputed in affine form, so a point costs ⌈254/w⌉ mixed additions
 * (16 for w = 16) instead of ~254 doublings and ~127 additions.
 *
 * The worker drives the BN254 WebAssembly of ffjavascript (wasmcurves) directly; the JS ↔ wasm call
 * cost is a few tens of nanoseconds, far below the ~2 µs of a G1 mixed addition. The secrets
 * (τ, α, β) only ever live in this worker's wasm memory and in the message that delivered them;
 * both are zeroed (the whole memory on `wipe`) before the worker is terminated.
 *
 * Addresses into the wasm memory are plain numbers (byte offsets); the wasm functions take
 * and return them.
 */
import { parentPort } from 'node:worker_threads';

/** A function exported by the curve's WebAssembly: addresses and sizes in, an integer out. */
type WasmFn = (...args: number[]) => number;

/** One group (G1 or G2): its wasm function prefix, element size, generator and window table. */
interface Group {
  p: string;
  n8: number;
  gen: number;
  table: number;
  w: number;
  windows: number;
}

/** A request: its kind names the handler, its id is echoed in the reply; the rest is the handler's. */
export type WorkerRequest = { kind: string; id: number } & Record<string, any>;
/** A handler: a request in, the reply's fields out (typed arrays in it are transferred). */
export type Handler = (msg: WorkerRequest) => Record<string, unknown>;

/** The wasm exports (set by `init`). */
export let ex: Record<string, WasmFn>;
let mem: WebAssembly.Memory;
/** A byte view of the wasm memory (renewed when the memory grows). */
export let u8: Uint8Array;
/** The end of this worker's allocations in the wasm memory. */
export let top: number;
let roots: Uint8Array;
/** Address of τ, α, β (32 bytes each, Montgomery form). */
export let secrets: number;
let frOne: number;
const groups: Record<string, Group> = {};

function refresh(): void {
  u8 = new Uint8Array(mem.buffer);
}
function ensure(end: number): void {
  const have = mem.buffer.byteLength;
  if (end > have) {
    mem.grow(Math.ceil((end - have) / 65536));
    refresh();
  }
}
/** Sets the end of the allocations; the wasm's own bump pointer (address 0) is kept in step so the two never overlap. */
export function setTop(v: number): void {
  top = v;
  new Uint32Array(mem.buffer, 0, 1)[0] = (top + 63) & ~63;
}
/** Allocates n bytes (64-byte aligned) and returns their address. */
export function alloc(n: number): number {
  const p = (top + 63) & ~63;
  ensure(p + n + 65536);
  setTop(p + n);
  return p;
}
/** Points the wasm's bump pointer at free space of `bytes` for functions that take scratch space from it. */
export function scratch(bytes: number): number {
  const p = (top + 63) & ~63;
  ensure(p + bytes + 64);
  new Uint32Array(mem.buffer, 0, 1)[0] = p;
  return p;
}
/** Zeroes memory from `from` to `to`. */
export function wipe(from: number, to: number): void {
  u8.fill(0, from, Math.min(to, u8.length));
}

function init(msg: WorkerRequest): Record<string, unknown> {
  const module = new WebAssembly.Module(msg.code as Uint8Array<ArrayBuffer>);
  mem = new WebAssembly.Memory({ initial: 32, maximum: 32767 });
  ex = new WebAssembly.Instance(module, { env: { memory: mem } }).exports as unknown as Record<string, WasmFn>;
  refresh();
  top = new Uint32Array(mem.buffer, 0, 1)[0]!;
  roots = msg.roots as Uint8Array;
  for (const [name, g] of Object.entries(msg.groups as Record<string, { prefix: string; n8: number; gen: Uint8Array }>)) {
    const gen = alloc(g.gen.length);
    u8.set(g.gen, gen);
    groups[name] = { p: g.prefix, n8: g.n8, gen, table: 0, w: 0, windows: 0 };
  }
  frOne = alloc(32);
  ex.frm_one!(frOne);
  secrets = alloc(96);
  return {};
}

function setSecrets(msg: WorkerRequest): Record<string, unknown> {
  const s = msg.secrets as Uint8Array;
  u8.set(s, secrets);
  s.fill(0);
  for (let k = 0; k < 3; k++) ex.frm_toMontgomery!(secrets + 32 * k, secrets + 32 * k);
  let ok = !ex.frm_isZero!(secrets) && !ex.frm_isZero!(secrets + 32) && !ex.frm_isZero!(secrets + 64);
  // τ must lie outside every evaluation domain used: τ^(2^maxLevel) ≠ 1.
  const t = alloc(32);
  ex.frm_copy!(secrets, t);
  for (let i = 0; i < msg.maxLevel; i++) ex.frm_square!(t, t);
  if (ex.frm_isOne!(t)) ok = false;
  wipe(t, t + 32);
  setTop(t);
  return { ok };
}

function buildTable(msg: WorkerRequest): Record<string, unknown> {
  const g = groups[msg.group]!;
  const n8 = g.n8,
    sJ = n8 * 3,
    sA = n8 * 2,
    size = 1 << msg.w;
  const mark = top;
  const base = alloc(sJ),
    baseA = alloc(sA),
    jac = alloc(size * sJ);
  const out: Uint8Array[] = [];
  for (const j of msg.windows as number[]) {
    ex[g.p + '_copy']!(g.gen, base);
    for (let i = 0; i < msg.w * j; i++) ex[g.p + '_double']!(base, base);
    ex[g.p + '_toAffine']!(base, baseA);
    ex[g.p + '_zero']!(jac);
    for (let d = 1; d < size; d++) ex[g.p + '_addMixed']!(jac + (d - 1) * sJ, baseA, jac + d * sJ);
    scratch(size * n8 * 3);
    ex[g.p + '_batchToAffine']!(jac, size, jac);
    out.push(u8.slice(jac, jac + size * sA));
  }
  setTop(mark);
  return { windows: out };
}

function setTable(msg: WorkerRequest): Record<string, unknown> {
  const g = groups[msg.group]!;
  if (g.table) throw new Error('table already set for ' + msg.group);
  const bytes = msg.bytes as Uint8Array;
  g.table = alloc(bytes.length);
  u8.set(bytes, g.table);
  g.w = msg.w;
  g.windows = msg.windows;
  return {};
}

/** Multipliers other than τ, α, β that an extension of this worker defines (name → address). */
export const extraMults: Record<string, number> = {};

function mult(name: string): number {
  if (name === 'one') return frOne;
  if (extraMults[name] !== undefined) return extraMults[name]!;
  if (name === 'tau') return secrets;
  if (name === 'alpha') return secrets + 32;
  if (name === 'beta') return secrets + 64;
  throw new Error('unknown multiplier ' + name);
}

function u32le(v: number, p: number): void {
  u8[p] = v & 255;
  u8[p + 1] = (v >>> 8) & 255;
  u8[p + 2] = (v >>> 16) & 255;
  u8[p + 3] = (v >>> 24) & 255;
}

/** Fills sc[0..n) with m·τ^(start+i), Montgomery form. */
function powers(sc: number, n: number, m: string, start: number, tmp: number): void {
  u32le(start, tmp);
  ex.frm_exp!(secrets, tmp, 4, sc);
  ex.frm_mul!(sc, mult(m), sc);
  for (let i = 1; i < n; i++) ex.frm_mul!(sc + 32 * (i - 1), secrets, sc + 32 * i);
}

/**
 * Fills sc[0..n) with m·(L_i(τ) − trunc·ω^i·τ^(N−1)/N) for i = start, start + stride, …,
 * N = 2^level, where L_i(τ) = (τ^N − 1)/N · ω^i/(τ − ω^i). The truncated variant is the inverse
 * DFT of the powers τ^0..τ^(N−2) followed by a zero, which is what snarkjs stores for the top
 * tauG1 level.
 */
export function lagrange(sc: number, n: number, m: string, level: number, start: number, truncated: boolean, tmp: number, stride = 1): void {
  const N = 2 ** level;
  const w = tmp + 32,
    wi = tmp + 64,
    c = tmp + 96,
    e = tmp + 128,
    nInv = tmp + 160,
    t = tmp + 192;
  const inv = alloc(n * 32);
  u8.set(roots.subarray(32 * level, 32 * level + 32), tmp + 224);
  u32le(start, tmp);
  ex.frm_exp!(tmp + 224, tmp, 4, wi);
  u32le(stride, tmp);
  ex.frm_exp!(tmp + 224, tmp, 4, w);
  u8.fill(0, nInv, nInv + 32);
  u32le(N, nInv);
  ex.frm_toMontgomery!(nInv, nInv);
  ex.frm_inverse!(nInv, nInv);
  ex.frm_copy!(secrets, c);
  for (let i = 0; i < level; i++) ex.frm_square!(c, c);
  ex.frm_sub!(c, frOne, c);
  ex.frm_mul!(c, nInv, c);
  ex.frm_mul!(c, mult(m), c);
  if (truncated) {
    u32le(N - 1, tmp);
    ex.frm_exp!(secrets, tmp, 4, e);
    ex.frm_mul!(e, nInv, e);
    ex.frm_mul!(e, mult(m), e);
  } else {
    ex.frm_zero!(e);
  }
  ex.frm_copy!(wi, t);
  for (let i = 0; i < n; i++) {
    ex.frm_sub!(secrets, t, sc + 32 * i);
    ex.frm_mul!(t, w, t);
  }
  const sp = scratch((n + 2) * 32);
  ex.frm_batchInverse!(sc, 32, n, inv, 32);
  wipe(sp, sp + (n + 2) * 32);
  ex.frm_copy!(wi, t);
  for (let i = 0; i < n; i++) {
    const s = sc + 32 * i;
    ex.frm_mul!(c, inv + 32 * i, s);
    ex.frm_sub!(s, e, s);
    ex.frm_mul!(s, t, s);
    ex.frm_mul!(t, w, t);
  }
  wipe(inv, inv + n * 32);
  wipe(tmp, tmp + 256);
}

function points(msg: WorkerRequest): Record<string, unknown> {
  const g = groups[msg.group]!;
  if (!g.table) throw new Error('no table for ' + msg.group);
  const n: number = msg.count,
    n8 = g.n8,
    sJ = n8 * 3,
    sA = n8 * 2;
  const mark = top;
  const tmp = alloc(256);
  const sc = alloc(n * 32 + 8);
  if (msg.scalars === 'powers') powers(sc, n, msg.mult, msg.start, tmp);
  else if (msg.scalars === 'lagrange') lagrange(sc, n, msg.mult, msg.level, msg.start, msg.truncated, tmp, msg.stride);
  else if (msg.scalars === 'mults') for (let i = 0; i < n; i++) ex.frm_copy!(mult(msg.mults[i]), sc + 32 * i);
  else if (msg.scalars !== 'given') throw new Error('unknown scalars ' + msg.scalars);
  // given scalars arrive in standard form (little-endian, < r); the others are Montgomery
  if (msg.scalars === 'given') {
    u8.set(msg.values as Uint8Array, sc);
    (msg.values as Uint8Array).fill(0);
  } else ex.frm_batchFromMontgomery!(sc, n, sc);

  const jac = alloc(n * sJ);
  const w = g.w,
    nWin = g.windows,
    addMixed = ex[g.p + '_addMixed']!,
    zero = ex[g.p + '_zero']!;
  const table = g.table,
    entry = sA << w;
  const masks: number[] = [];
  for (let j = 0; j < nWin; j++) masks.push(2 ** Math.min(w, 254 - w * j) - 1);
  for (let i = 0; i < n; i++) {
    const s = sc + 32 * i,
      acc = jac + sJ * i;
    zero(acc);
    for (let j = 0, bit = 0; j < nWin; j++, bit += w) {
      const b = s + (bit >>> 3);
      const v = (u8[b]! | (u8[b + 1]! << 8) | (u8[b + 2]! << 16) | (u8[b + 3]! << 24)) >>> (bit & 7);
      const d = v & masks[j]!;
      if (d !== 0) addMixed(acc, table + entry * j + sA * d, acc);
    }
  }
  wipe(tmp, tmp + 256);
  wipe(sc, sc + n * 32 + 8);
  const sEnd = scratch(n * n8 * 3);
  ex[g.p + '_batchToAffine']!(jac, n, jac);
  wipe(sEnd, sEnd + n * n8 * 3);
  const lem = u8.slice(jac, jac + n * sA);
  let compressed: Uint8Array | undefined;
  if (msg.compressed) {
    const cp = alloc(n * n8);
    scratch(n * sA);
    ex[g.p + '_batchLEMtoC']!(jac, n, cp);
    compressed = u8.slice(cp, cp + n * n8);
  }
  setTop(mark);
  return { lem, compressed };
}

/** Multiplies given affine points by secret scalars (the proofs of knowledge in the contribution). */
function mulPoints(msg: WorkerRequest): Record<string, unknown> {
  const g = groups[msg.group]!;
  const sA = g.n8 * 2,
    sJ = g.n8 * 3,
    k = (msg.mults as string[]).length;
  const mark = top;
  const pts = alloc(k * sA),
    s = alloc(32),
    r = alloc(sJ),
    out = alloc(k * sA);
  u8.set(msg.points as Uint8Array, pts);
  const naf = scratch(4096); // timesScalar keeps the scalar's NAF there
  for (let i = 0; i < k; i++) {
    ex.frm_fromMontgomery!(mult(msg.mults[i]), s);
    ex[g.p + '_timesScalarAffine']!(pts + sA * i, s, 32, r);
    ex[g.p + '_toAffine']!(r, out + sA * i);
  }
  wipe(s, s + 32);
  wipe(naf, naf + 4096);
  const res = u8.slice(out, out + k * sA);
  setTop(mark);
  return { points: res };
}

/** The fixed-base worker's handlers. */
export const baseHandlers: Record<string, Handler> = {
  init,
  setSecrets,
  buildTable,
  setTable,
  points,
  mulPoints,
  wipe: () => {
    u8.fill(0);
    return {};
  },
};

/**
 * Serves requests from the parent thread with the given handlers: one reply per request,
 * with its id, the handler's fields (typed arrays transferred) or the error.
 */
export function listen(handlers: Record<string, Handler>): void {
  const port = parentPort;
  if (!port) throw new Error('the fixed-base worker runs in a worker thread');
  port.on('message', (msg: WorkerRequest) => {
    let reply: Record<string, unknown>;
    try {
      const handler = handlers[msg.kind];
      if (!handler) throw new TypeError(`unknown request ${msg.kind}`);
      reply = { id: msg.id, ...handler(msg) };
    } catch (e) {
      reply = { id: msg.id, error: String((e as Error)?.stack || e) };
    }
    const transfer: ArrayBuffer[] = [];
    for (const v of Object.values(reply)) {
      if (v instanceof Uint8Array) transfer.push(v.buffer as ArrayBuffer);
      else if (Array.isArray(v)) for (const x of v) if (x instanceof Uint8Array) transfer.push(x.buffer as ArrayBuffer);
    }
    port.postMessage(reply, transfer);
  });
}
