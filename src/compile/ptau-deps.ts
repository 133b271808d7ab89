/**
 * Typed, lazily loaded views of the parts of snarkjs and ffjavascript that the build stage uses.
 * Neither package ships type declarations; rather than declaring an ambient module (which would
 * collide with other stages' declarations), each is imported dynamically and given the narrow
 * interface below, checked against snarkjs 0.7.6 / ffjavascript 0.3.1 sources.
 */
import { releaseCurve } from '../shared/curve.js';

/** A point or field element as ffjavascript stores it: little-endian Montgomery bytes. */
export type Rpr = Uint8Array;

/** Deterministic random source seeded with eight 32-bit words (ffjavascript's ChaCha20). */
export interface ChaChaRng {
  nextU32(): number;
}

/** One group (G1 or G2) of a wasm-backed ffjavascript curve. */
export interface CurveGroup {
  /** The generator, Jacobian Montgomery form. */
  readonly g: Rpr;
  readonly F: { readonly n8: number };
  fromRng(rng: ChaChaRng): Rpr;
  toAffine(p: Rpr): Rpr;
  toUncompressed(p: Rpr): Uint8Array;
  toRprUncompressed(out: Uint8Array, offset: number, p: Rpr): void;
  /** Uncompressed big-endian bytes → affine point (not checked to be on the curve). */
  fromRprUncompressed(buff: Uint8Array, offset: number): Rpr;
  /** A copy of the affine Montgomery (LEM) point at `offset`. */
  fromRprLEM(buff: Uint8Array, offset: number): Rpr;
  /** Affine point from [x, y] (or [x, y, z]) coordinates (bigints; [c0, c1] pairs in G2). */
  fromObject(coords: unknown): Rpr;
  eq(a: Rpr, b: Rpr): boolean;
  neg(a: Rpr): Rpr;
  isZero(a: Rpr): boolean;
  /** On the curve (no subgroup check). */
  isValid(a: Rpr): boolean;
  timesFr(a: Rpr, s: Rpr): Rpr;
  timesScalar(a: Rpr, s: bigint): Rpr;
  batchLEMtoU(buff: Uint8Array): Promise<Uint8Array>;
}

/** The BN254 curve object of ffjavascript. */
export interface Bn128 {
  readonly G1: CurveGroup;
  readonly G2: CurveGroup;
  readonly Fr: { readonly w: Rpr[]; readonly s: number; fromRng(rng: ChaChaRng): Rpr; toObject(a: Rpr): bigint };
  readonly q: bigint;
  readonly r: bigint;
  readonly tm: { readonly code?: Uint8Array };
  /** Whether e(a1, b1)·e(a2, b2)·… = 1 (pairs of G1, G2 points). */
  pairingEq(...points: Rpr[]): Promise<boolean>;
  terminate(): Promise<void>;
}

export interface Ffjavascript {
  buildBn128(singleThread?: boolean): Promise<Bn128>;
  ChaCha: new (seed: number[]) => ChaChaRng;
}

/** A snarkjs logger; snarkjs calls whichever of these exist. */
export interface SnarkjsLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface Snarkjs {
  powersOfTau: {
    verify(ptauPath: string, logger?: SnarkjsLogger): Promise<boolean>;
  };
  zKey: {
    /** Returns the circuit hash, or -1 after logging an error. */
    newZKey(r1csPath: string, ptauPath: string, zkeyPath: string, logger?: SnarkjsLogger): Promise<Uint8Array | -1>;
    /** Returns the contribution hash. */
    contribute(oldPath: string, newPath: string, name: string, entropy: string, logger?: SnarkjsLogger): Promise<Uint8Array>;
    /** Returns the contribution hash, or false after logging an error. */
    beacon(oldPath: string, newPath: string, name: string, beaconHashHex: string, numIterationsExp: number, logger?: SnarkjsLogger): Promise<Uint8Array | false>;
    exportVerificationKey(zkeyPath: string, logger?: SnarkjsLogger): Promise<Record<string, unknown>>;
    verifyFromR1cs(r1csPath: string, ptauPath: string, zkeyPath: string, logger?: SnarkjsLogger): Promise<boolean>;
  };
}

// A non-literal specifier keeps TypeScript from looking for declarations that do not exist.
const SNARKJS: string = 'snarkjs';
const FFJAVASCRIPT: string = 'ffjavascript';

/** Loads snarkjs (ESM entry). */
export async function loadSnarkjs(): Promise<Snarkjs> {
  return (await import(SNARKJS)) as Snarkjs;
}

/** Loads ffjavascript (ESM entry). */
export async function loadFfjavascript(): Promise<Ffjavascript> {
  return (await import(FFJAVASCRIPT)) as Ffjavascript;
}

/**
 * Terminates the shared multi-threaded BN254 curve that snarkjs creates on first use and keeps in
 * `globalThis.curve_bn128` (its worker threads otherwise keep the process alive).
 * Only call this for a curve this caller caused to exist; see {@link sharedCurveExists}.
 */
export async function terminateSharedCurve(): Promise<void> {
  await releaseCurve();
}

/** Whether snarkjs/ffjavascript's shared multi-threaded BN254 curve is currently alive. */
export function sharedCurveExists(): boolean {
  return Boolean((globalThis as { curve_bn128?: Bn128 | null }).curve_bn128);
}

/** A snarkjs logger that remembers the last error line (snarkjs reports some failures only there). */
export function errorCollector(): SnarkjsLogger & { last(): string } {
  let lastError = '';
  const ignore = (): void => undefined;
  return {
    debug: ignore,
    info: ignore,
    warn: ignore,
    error: (msg: string) => {
      lastError = msg;
    },
    last: () => (lastError ? `: ${lastError}` : ''),
  };
}
