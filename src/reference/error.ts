/**
 * Quantization error: the quantized model (reference executor, dequantized, with the
 * output transform applied) against a float baseline (onnxruntime on the original model).
 */
import { InputError } from '../shared/errors.js';
import { softmax } from '../shared/math.js';
import { dequantize, quantizeInput, runReference } from './execute.js';
import type { QModel } from '../quant/model.js';

/** Measured error over a set of inputs. */
export interface ErrorReport {
  inputs: number;
  /** Largest |quantized − float| over every output element. */
  maxAbsError: number;
  /** Mean |quantized − float|. */
  meanAbsError: number;
  /** Fraction of rows (last axis) whose argmax agrees. */
  argmaxAgreement: number;
  /** Inputs the quantized model could not run (out of calibrated range). */
  outOfRange: number;
}

/** The model's final output as users see it: dequantized, then the transform (softmax) applied. */
export function finalOutput(model: QModel, raw: readonly number[]): number[] {
  const values = dequantize(raw, model.output.scale);
  const t = model.output.transform;
  return t ? Array.from(softmax(values, model.output.shape, t.axis, t.coerce2d, t.log === true)) : values;
}

/** Index of the largest value in each row of `rowLength` values. */
export function argmaxRows(values: ArrayLike<number>, rowLength: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < values.length; r += rowLength) {
    let best = r;
    for (let i = r + 1; i < r + rowLength; i++) if (values[i]! > values[best]!) best = i;
    out.push(best - r);
  }
  return out;
}

/** Compares the quantized model with `float` on every input. */
export async function measureError(model: QModel, inputs: readonly Float64Array[], float: (x: Float64Array) => Promise<ArrayLike<number>>): Promise<ErrorReport> {
  const rowLength = model.output.shape[model.output.shape.length - 1]!;
  let maxAbs = 0;
  let sumAbs = 0;
  let count = 0;
  let agree = 0;
  let rows = 0;
  let outOfRange = 0;
  for (const x of inputs) {
    let q: number[];
    try {
      q = finalOutput(model, runReference(model, quantizeInput(model, x)));
    } catch (e) {
      if (e instanceof InputError) {
        outOfRange++;
        continue;
      }
      throw e;
    }
    const f = await float(x);
    for (let i = 0; i < q.length; i++) {
      const d = Math.abs(q[i]! - f[i]!);
      maxAbs = Math.max(maxAbs, d);
      sumAbs += d;
      count++;
    }
    const aq = argmaxRows(q, rowLength);
    const af = argmaxRows(f, rowLength);
    aq.forEach((v, i) => {
      rows++;
      if (v === af[i]) agree++;
    });
  }
  return { inputs: inputs.length, maxAbsError: maxAbs, meanAbsError: count ? sumAbs / count : 0, argmaxAgreement: rows ? agree / rows : 0, outOfRange };
}
