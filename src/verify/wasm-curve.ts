/**
 * The parts of ffjavascript's BN254 curve object (snarkjs's WebAssembly curve, built from
 * wasmcurves) that the verifier drives directly; ffjavascript ships no types. Points are
 * byte buffers in the curve's internal form (little-endian Montgomery coordinates): G1
 * affine 64 bytes, Jacobian 96; G2 affine 128, Jacobian 192; GT 384.
 */

/** A point or field element in the curve's internal form. */
export type Point = Uint8Array;

/** One group of the curve (G1 or G2) as ffjavascript exposes it. */
export interface CurveGroup {
  fromObject(o: unknown): Point;
  toJacobian(p: Point): Point;
  toAffine(p: Point): Point;
  neg(p: Point): Point;
  add(a: Point, b: Point): Point;
  eq(a: Point, b: Point): boolean;
  timesScalar(p: Point, s: Uint8Array | bigint): Point;
  isZero(p: Point): boolean;
  multiExpAffine(points: Uint8Array, scalars: Uint8Array): Promise<Point>;
  /** The coordinate field (F_p for G1, F_p² for G2); fromObject gives an element in internal form. */
  F: { n8: number; fromObject(o: unknown): Point };
}

/** ffjavascript's thread manager: the wasm instance and its bump allocator. */
export interface ThreadManager {
  /** Marks the allocator; {@link endSyncOp} frees everything allocated since. */
  startSyncOp(): void;
  endSyncOp(): void;
  alloc(n: number): number;
  allocBuff(b: Uint8Array): number;
  getBuff(pointer: number, length: number): Uint8Array;
  /** The wasm memory as bytes. */
  u8: Uint8Array;
  instance: { exports: Record<string, (...args: number[]) => number> };
}

/** The parts of ffjavascript's curve object used by the verifier. */
export interface WasmCurve {
  G1: CurveGroup;
  G2: CurveGroup;
  Gt: { n8: number };
  tm: ThreadManager;
  name: string;
  prePSize: number;
  preQSize: number;
  pairing(a: Point, b: Point): Uint8Array;
  prepareG2(q: Point): Uint8Array;
}
