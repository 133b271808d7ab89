/**
 * The quantizer's state and services shared by the per-op quantization rules (src/ops/):
 * fixed-point values with their scale and static bounds, calibrated ranges, and the
 * rescale that brings an accumulator to its activation scale.
 */
import { CompileError } from '../shared/errors.js';
import { rescaleValue } from '../shared/rounding.js';
import { describeSource, type Graph, type IrNode, type NodeSource, type Shape } from '../ir/graph.js';
import type { Ranges } from './ranges.js';
import type { OutputTransform, QNode, QuantOptions, QValueInfo } from './model.js';

/** Largest magnitude a value may have while reference arithmetic in float64 stays exact. */
const EXACT_LIMIT = 2 ** 52;

/** A float value's fixed-point representation during quantization. */
export interface Ref {
  /** Name of the fixed-point value holding it. */
  q: string;
  scale: number;
  min: number;
  max: number;
  /** An accumulator that must be rescaled before anything but addition, pooling or reshaping. */
  pending: boolean;
  /**
   * int8 (QDQ) values: the real value of element i is q·unit[i] (scale is then 0), with a
   * positive unit that need not be a power of two. Only the int8-aware rules read such a
   * value as it is (`exact`); every other rule gets it converted (`get`).
   */
  unit?: Float64Array;
  /**
   * With `unit`: a ReLU not yet applied (real value max(q, 0)·unit), for the next
   * requantization to fuse; names the float value before the ReLU (its calibrated range).
   */
  relu?: string;
  /** An int8 value with its zero point added: the value before (zero = the constant added), for a DequantizeLinear to take back. */
  beforeZero?: { ref: Ref; zero: number[] };
  /**
   * A QuantizeLinear folded into a power-of-two rescale (QuantOptions.int8 `fold`): the
   * integers are not at the model's int8 scale but carry their own unit, which the
   * DequantizeLinear that follows keeps as it is.
   */
  folded?: boolean;
}

/** The scale that fits `maxAbs` into signed `bits`: floor(log2((2^(bits−1) − 1) / maxAbs)). */
export function scaleFor(maxAbs: number, bits: number): number {
  if (!(maxAbs > 0)) return bits - 1;
  return Math.floor(Math.log2((2 ** (bits - 1) - 1) / maxAbs));
}

/** Smallest signed width holding every integer in [min, max]. */
export function signedBits(min: number, max: number): number {
  let b = 1;
  while (-(2 ** (b - 1)) > min || max > 2 ** (b - 1) - 1) b++;
  return b;
}

/** The quantizer's state, shared with the per-kind rules. */
export class Quantizer {
  readonly nodes: QNode[] = [];
  readonly values: Record<string, QValueInfo> = {};
  private readonly state = new Map<string, Ref>();
  transform?: OutputTransform;

  constructor(
    readonly graph: Graph,
    private readonly ranges: Ranges,
    readonly opts: QuantOptions,
  ) {}

  /** Largest |value| of a float value (calibrated or interval), 0 if unknown. */
  range(floatName: string): number {
    return this.ranges.get(floatName) ?? 0;
  }

  /** The shape of a float value. */
  shape(floatName: string): Shape {
    return this.graph.shapes.get(floatName)!;
  }

  /**
   * The fixed-point value holding a float value, at a power-of-two scale: an int8 value with
   * a unit (and a deferred ReLU) is converted first, once (see `plain`).
   */
  get(floatName: string, node: IrNode): Ref {
    const ref = this.exact(floatName, node);
    if (!ref.unit) return ref;
    const plain = this.plain(ref, floatName, node.source);
    this.state.set(floatName, plain);
    return plain;
  }

  /** The value as it is held, an int8 value with its unit included (for the int8-aware rules). */
  exact(floatName: string, node: IrNode): Ref {
    const ref = this.state.get(floatName);
    if (!ref) throw new CompileError(`${describeSource(node.source)}: input "${floatName}" has no quantized value`);
    return ref;
  }

  /**
   * An int8 value with a unit at a power-of-two scale instead: its deferred ReLU applied
   * (a range-checked ReLU), then multiplied by the unit held to weightBits significant bits
   * (a free constant multiply; the result is an accumulator, rescaled when needed).
   */
  plain(x: Ref, floatName: string, source: NodeSource): Ref {
    let cur: Ref = { q: x.q, scale: x.scale, min: x.min, max: x.max, pending: x.pending };
    if (x.relu) {
      const name = `${floatName}::relu`;
      this.push({ kind: 'rescale', input: cur.q, output: name, shift: 0, bits: signedBits(cur.min, cur.max), relu: true, source });
      cur = this.define(name, { scale: 0, min: Math.max(cur.min, 0), max: Math.max(cur.max, 0), pending: false }, floatName);
    }
    const unit = x.unit!;
    // One unit 2^−e for every element (a folded int8 value): the integers at scale e as they are.
    const e = -Math.log2(unit[0]!);
    if (Number.isInteger(e) && unit.every((u) => u === unit[0])) return { ...cur, scale: cur.scale + e };
    let uMax = 0;
    for (const u of unit) uMax = Math.max(uMax, u);
    const shift = scaleFor(uMax, this.opts.weightBits);
    const constant = Array.from(unit, (u) => Math.round(u * 2 ** shift));
    const name = `${floatName}::units`;
    this.push({ kind: 'mulConst', input: cur.q, output: name, constant, weightScale: shift, source });
    let lo = Infinity;
    let hi = -Infinity;
    for (const k of new Set(constant)) {
      lo = Math.min(lo, k * cur.min, k * cur.max);
      hi = Math.max(hi, k * cur.min, k * cur.max);
    }
    return this.define(name, { scale: cur.scale + shift, min: lo, max: hi, pending: true }, floatName);
  }

  /** Records which fixed-point value holds a float value. */
  set(floatName: string, ref: Ref): void {
    this.state.set(floatName, ref);
  }

  /** Appends a fixed-point node. */
  push(node: QNode): void {
    this.nodes.push(node);
  }

  /**
   * Declares a fixed-point value (shape of `floatName`), checking it stays exact in float64.
   * @throws {CompileError} when the static bound reaches 2^52
   */
  define(name: string, ref: Omit<Ref, 'q'>, floatName: string): Ref {
    const m = Math.max(Math.abs(ref.min), Math.abs(ref.max));
    if (!(m < EXACT_LIMIT)) {
      throw new CompileError(`value "${floatName}" may reach 2^${Math.ceil(Math.log2(m))}, beyond exact arithmetic; lower --weight-bits or --activation-bits`);
    }
    this.values[name] = { shape: this.shape(floatName), scale: ref.scale, min: ref.min, max: ref.max };
    return { ...ref, q: name };
  }

  /**
   * The rescale of `x` (the float value `floatName`) to its calibrated activation scale:
   * target scale, shift, quotient width and the quotient's bounds; `exact` when it would
   * change nothing (shift 0 and the static width already within the calibrated one).
   */
  planRescale(x: Ref, floatName: string): { target: number; shift: number; bits: number; lo: number; hi: number; exact: boolean } {
    const { activationBits, headroomBits } = this.opts;
    const target = Math.min(x.scale, scaleFor(this.range(floatName), activationBits));
    const shift = x.scale - target;
    const qmin = rescaleValue(x.min, shift);
    const qmax = rescaleValue(x.max, shift);
    const bits = Math.min(activationBits + headroomBits, signedBits(qmin, qmax));
    const lo = Math.max(qmin, -(2 ** (bits - 1)));
    const hi = Math.min(qmax, 2 ** (bits - 1) - 1);
    return { target, shift, bits, lo, hi, exact: shift === 0 && bits === signedBits(qmin, qmax) };
  }

  /**
   * The width of a proven difference x − c over x ∈ [min, max], from the static bounds and,
   * tighter, from the calibrated range of `floatName` (with headroom): the smallest w with
   * every difference in [−2^w, 2^w). A difference outside a calibrated width cannot be
   * proven (and the reference executor refuses it), it is never proven wrongly.
   */
  diffBits(min: number, max: number, c: number, floatName: string, scale: number): number {
    const staticSpan = Math.max(max - c + 1, c - min);
    const calibrated = Math.ceil(this.range(floatName) * 2 ** (scale + this.opts.headroomBits)) + Math.abs(c);
    return Math.max(0, Math.ceil(Math.log2(Math.max(1, Math.min(staticSpan, calibrated + 1)))));
  }

  /**
   * Rescales `x` (the float value `floatName`) to the calibrated activation scale, range
   * checking the quotient to the calibrated width and optionally applying ReLU. A value
   * already at its scale and width is returned as it is (unless ReLU is asked for).
   */
  rescale(x: Ref, floatName: string, relu: boolean, source: NodeSource): Ref {
    const { target, shift, bits, lo, hi, exact } = this.planRescale(x, floatName);
    if (!relu && exact) return { ...x, pending: false };
    const name = `${floatName}::${relu ? 'relu' : 'rescaled'}`;
    this.push({ kind: 'rescale', input: x.q, output: name, shift, bits, relu, source });
    return this.define(name, { scale: target, min: relu ? Math.max(lo, 0) : lo, max: relu ? Math.max(hi, 0) : hi, pending: false }, floatName);
  }
}
