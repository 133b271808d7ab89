/**
 * What an op converter sees of the importer: the node's resolved inputs (constants or
 * computed values with static shapes), its attributes, and ways to define its output —
 * as a folded constant or as IR nodes. Converters live with their op family (src/ops/, and
 * the remaining ops-*.ts files here), and ./import.ts looks them up by ONNX op type in the
 * operator registry.
 */
import { OnnxImportError } from '../shared/errors.js';
import type { ConstTensor, IrNode, NodeSource, Shape } from '../ir/graph.js';
import type { Attributes } from './decode.js';

/** An ONNX value during import: a constant (folded) or a computed tensor. */
export type Value = { kind: 'const'; tensor: ConstTensor } | { kind: 'value'; shape: Shape; integer?: boolean };

/** A resolved node input. */
export interface Input {
  name: string;
  value: Value;
}

/** A computed (non-constant) input. */
export interface ComputedInput {
  name: string;
  shape: Shape;
}

/** The importer's services for one ONNX node. */
export interface ConvertContext {
  /** `file: node i "name" (Op)`, the prefix of every error message. */
  where: string;
  source: NodeSource;
  attrs: Attributes;
  opset: number;
  /** Inputs in order; `undefined` for an omitted optional input (''). */
  inputs: ReadonlyArray<Input | undefined>;
  /** Name of the node's first output. */
  outputName: string;
  /** Names of all the node's outputs, '' for those no node or graph output reads (multi-output ops). */
  outputs: readonly string[];
  /** Number of outputs the graph actually uses beyond the first (e.g. MaxPool's Indices). */
  extraOutputsUsed: boolean;
  /** Defines the output as a constant. */
  setConst(tensor: ConstTensor): void;
  /** Makes the output another name for a computed value. */
  alias(name: string): void;
  /**
   * Appends an IR node and records its output's shape. The value is integer-typed when every
   * computed input of the ONNX node is, unless `integer` says otherwise (int8 ops).
   */
  emit(node: IrNode, shape: Shape, integer?: boolean): void;
  /** A fresh name for an intermediate value of this node. */
  temp(suffix: string): string;
  /** Rewrites a Reshape target's batch dimension when --batch replaced it. */
  batchOverride?: { original: number; batch: number };
}

/** Throws an OnnxImportError prefixed with the node. */
export function fail(ctx: ConvertContext, message: string): never {
  throw new OnnxImportError(`${ctx.where}: ${message}`);
}

/** Input i, which must be present. */
export function input(ctx: ConvertContext, i: number, what: string): Input {
  const v = ctx.inputs[i];
  if (!v) fail(ctx, `missing input ${i} (${what})`);
  return v;
}

/** Input i, which must be a constant. */
export function constInput(ctx: ConvertContext, i: number, what: string): ConstTensor {
  const v = input(ctx, i, what);
  if (v.value.kind !== 'const') fail(ctx, `input ${i} (${what}) must be a constant`);
  return v.value.tensor;
}

/** Input i, which must be computed from the graph input. */
export function computedInput(ctx: ConvertContext, i: number, what: string): ComputedInput {
  const v = input(ctx, i, what);
  if (v.value.kind !== 'value') fail(ctx, `input ${i} (${what}) must be computed from the model input, not a constant`);
  return { name: v.name, shape: v.value.shape };
}

/** The shape of an input, constant or not. */
export function shapeOf(v: Input): Shape {
  return v.value.kind === 'const' ? v.value.tensor.shape : v.value.shape;
}

/** Whether a computed input holds integers (from an integer model input or an int8 op). */
export function isInteger(v: Input): boolean {
  return v.value.kind === 'value' && v.value.integer === true;
}

/** Normalises a possibly negative axis into [0, rank). */
export function normalizeAxis(ctx: ConvertContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(ctx, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** A converter for one ONNX op type. */
export type Converter = (ctx: ConvertContext) => void;
