/**
 * The interface of an operator module. An op family (dense layers, pooling, activations,
 * data movement, …) answers every stage's question about its nodes in one module:
 * - import: which ONNX op types it converts (`onnx`, converters keyed by op type);
 * - ir: the float semantics of its float-IR kinds (`float[kind].run`);
 * - quant: interval propagation (`float[kind].interval`) and the fixed-point form
 *   (`float[kind].quantize`, which also propagates scale and static bounds);
 * - reference: the exact integer semantics of its fixed-point kinds (`fixed[kind].reference`);
 * - circuit: the Circom it emits for them (`fixed[kind].emit`) and its O1 constraint cost
 *   (`fixed[kind].cost`, checked against test/model-circuits/cost.ts and the compiled circuits).
 * The registry (./registry.ts) is typed as mapped types over the IR kinds, so a kind
 * without a handler does not type-check.
 */
import type { Graph, IrNode, Shape } from '../ir/graph.js';
import type { Converter } from '../onnx/context.js';
import type { QModel, QNode } from '../quant/model.js';
import type { Quantizer } from '../quant/quantizer.js';
import type { Emitter } from '../circuit/emitter.js';

/** Elementwise bounds of a float value. */
export interface Interval {
  lo: Float64Array;
  hi: Float64Array;
}

/** What the float executor offers a node. */
export interface FloatContext {
  graph: Graph;
  shape(name: string): Shape;
  value(name: string): Float64Array;
}

/** What interval propagation offers a node. */
export interface IntervalContext {
  graph: Graph;
  shape(name: string): Shape;
  interval(name: string): Interval;
}

/** What the reference executor offers a node. */
export interface ReferenceContext {
  model: QModel;
  shape(name: string): Shape;
  value(name: string): number[];
}

/** What the circuit holds for one element of a value: a private or public signal, a constant, or a linear expression. */
export type ElementKind = 'private' | 'public' | 'const' | 'expr';

/** What the cost model offers a node. */
export interface CostContext {
  model: QModel;
  shape(name: string): Shape;
  kinds(name: string): ElementKind[];
}

/** Every stage's rules for one float-IR kind. */
export interface FloatOp<N extends IrNode> {
  /** Float semantics (ONNX operator docs). */
  run(node: N, ctx: FloatContext): Float64Array;
  /** Sound elementwise bounds of the output from those of the inputs. */
  interval(node: N, ctx: IntervalContext): Interval;
  /** Appends the node's fixed-point form and records its output's scale and bounds. */
  quantize(q: Quantizer, node: N): void;
}

/** Every stage's rules for one fixed-point kind. */
export interface FixedOp<N extends QNode> {
  /** Exact integer semantics; refuses (InputError) what the circuit cannot prove. */
  reference(node: N, ctx: ReferenceContext): number[];
  /** Emits the node for step `index`. */
  emit(em: Emitter, node: N, index: number): void;
  /** Its O1 constraints (src/circuit/cost.ts) and what each output element is. */
  cost(node: N, ctx: CostContext): { constraints: number; output: ElementKind[] };
  /**
   * Model constants of the node other than a dense layer's weights, which private weights
   * (`--weights hashed`) cannot hide, described for the refusal; undefined when it has none.
   */
  publicConstants?(node: N): string | undefined;
}

/** The float-IR node of a kind. */
export type IrOf<K extends IrNode['kind']> = Extract<IrNode, { kind: K }>;
/** The fixed-point node of a kind. */
export type QOf<K extends QNode['kind']> = Extract<QNode, { kind: K }>;

/** Handlers for every float-IR kind: a missing kind is a type error. */
export type FloatOps = { [K in IrNode['kind']]: FloatOp<IrOf<K>> };
/** Handlers for every fixed-point kind: a missing kind is a type error. */
export type FixedOps = { [K in QNode['kind']]: FixedOp<QOf<K>> };

/** One operator module's contribution to the registry. */
export interface OpFamily<F extends Partial<FloatOps>, X extends Partial<FixedOps>> {
  /** ONNX converters by op type. */
  onnx: Record<string, Converter>;
  float: F;
  fixed: X;
}

/** Declares an operator module, keeping the exact kinds it handles in its type. */
export function family<F extends Partial<FloatOps>, X extends Partial<FixedOps>>(f: OpFamily<F, X>): OpFamily<F, X> {
  return f;
}
