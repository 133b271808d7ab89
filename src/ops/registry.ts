/**
 * The operator registry: every op family's module, merged into one table per stage
 * question. FLOAT_OPS and FIXED_OPS are mapped types over the IR kinds, so a kind without a
 * handler fails to type-check; ONNX_CONVERTERS maps each supported ONNX op type to its
 * converter. Adding an op is its module (or an entry in one) and a line here.
 */
import type { Converter } from '../onnx/context.js';
import type { FixedOps, FloatOps } from './types.js';
import { activation } from './activation.js';
import { composite } from './composite.js';
import { denseOps } from './dense.js';
import { elementwise } from './elementwise.js';
import { finalOps } from './final.js';
import { gatherOps } from './gather.js';
import { int8 } from './int8.js';
import { moves } from './moves.js';
import { pooling } from './pooling.js';
import { reduceOps } from './reduce.js';

/** Every operator module, in the order their ONNX converters are merged. */
const FAMILIES = [moves, gatherOps, denseOps, pooling, reduceOps, elementwise, activation, composite, finalOps, int8] as const;

/** Float-IR handlers by kind: float semantics, intervals, quantization. */
export const FLOAT_OPS: FloatOps = {
  ...moves.float,
  ...gatherOps.float,
  ...denseOps.float,
  ...pooling.float,
  ...reduceOps.float,
  ...elementwise.float,
  ...activation.float,
  ...finalOps.float,
  ...int8.float,
};

/** Fixed-point handlers by kind: reference semantics and circuit emission. */
export const FIXED_OPS: FixedOps = {
  ...moves.fixed,
  ...gatherOps.fixed,
  ...denseOps.fixed,
  ...pooling.fixed,
  ...reduceOps.fixed,
  ...elementwise.fixed,
  ...activation.fixed,
  ...finalOps.fixed,
  ...int8.fixed,
};

/** ONNX converters by op type. */
export const ONNX_CONVERTERS: Readonly<Record<string, Converter>> = Object.freeze(Object.assign({}, ...FAMILIES.map((f) => f.onnx)) as Record<string, Converter>);
