/**
 * A minimal WebAssembly binary encoder (the WebAssembly core specification's binary format,
 * with the fixed-width SIMD proposal's opcodes): just what the Poseidon field module of
 * ./poseidon-wasm.ts writes — LEB128 integers, sections, vectors and the instructions it uses.
 */

export const uleb = (v: number): number[] => {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
};
const sleb = (value: bigint): number[] => {
  const out: number[] = [];
  let v = BigInt.asIntN(64, value);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
export const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
export const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];

export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (d: number) => [0x0c, ...uleb(d)],
  brIf: (d: number) => [0x0d, ...uleb(d)],
  if: [0x04, 0x40],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(BigInt(v))],
  i64: (v: bigint) => [0x42, ...sleb(v)],
  load32u: (offset: number) => [0x35, 0x02, ...uleb(offset)], // i64.load32_u align=4
  store32: (offset: number) => [0x3e, 0x02, ...uleb(offset)], // i64.store32 align=4
  call: (f: number) => [0x10, ...uleb(f)],
  select: [0x1b],
  load64: (offset: number) => [0x29, 0x03, ...uleb(offset)], // i64.load align=8
  load32i: (offset: number) => [0x28, 0x02, ...uleb(offset)], // i32.load align=4
  store64: (offset: number) => [0x37, 0x03, ...uleb(offset)], // i64.store align=8
  i32add: [0x6a],
  i32mul: [0x6c],
  i32shl: [0x74],
  i32ltU: [0x49],
  i32shrU: [0x76],
  i32sub: [0x6b],
  i32eqz: [0x45],
  i32and: [0x71],
  i64eqz: [0x50],
  i64ltU: [0x54],
  i64add: [0x7c],
  i64sub: [0x7d],
  i64mul: [0x7e],
  i64and: [0x83],
  i64shrU: [0x88],
  wrap: [0xa7],
  // SIMD (0xfd prefix): only what dot2 uses.
  v128: (opcode: number) => [0xfd, ...uleb(opcode)],
};
export const simd = {
  load32Splat: (offset: number) => [...op.v128(0x09), 0x02, ...uleb(offset)],
  load64Zero: (offset: number) => [...op.v128(0x5d), 0x03, ...uleb(offset)],
  /** v128.const of four 32-bit lanes. */
  const32: (lanes: readonly bigint[]) => [...op.v128(0x0c), ...lanes.flatMap((v) => [0, 1, 2, 3].map((b) => Number((v >> BigInt(8 * b)) & 0xffn)))],
  /** i32 lanes 0 and 2 (the low words of the two i64 lanes) into lanes 0 and 1. */
  lowWords: [...op.v128(0x0d), ...[0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]],
  and: op.v128(0x4e),
  i64x2Splat: op.v128(0x12),
  i64x2ExtractLane: (lane: number) => [...op.v128(0x1d), lane],
  i64x2ReplaceLane: (lane: number) => [...op.v128(0x1e), lane],
  i64x2ShrU: op.v128(0xcd),
  i64x2Add: op.v128(0xce),
  i64x2Mul: op.v128(0xd5),
  extmulLowU: op.v128(0xde),
};
export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;
