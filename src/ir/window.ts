/**
 * Sliding-window geometry shared by Conv, MaxPool and AveragePool: output sizes (ONNX
 * operator docs, "auto_pad", "ceil_mode" and the output shape formulas of Conv and the
 * pooling ops), and the list of input taps each output position reads. Every later stage
 * (float executor, interval ranges, quantizer, reference executor, emitter) walks the same
 * taps, so they cannot disagree about which inputs a window covers.
 */
import type { Shape, WindowSpec } from './graph.js';

/**
 * Output size along one axis: floor (or ceil) of (in + pads − span) / stride + 1, with
 * span = (kernel − 1)·dilation + 1. In ceil mode a window that would start past the input
 * and its leading pad is dropped (what onnxruntime and PyTorch do).
 */
export function outputSize(inSize: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation: number, ceil = false): number {
  const span = (kernel - 1) * dilation + 1;
  const room = inSize + padBegin + padEnd - span;
  if (room < 0) return 0;
  let out = (ceil ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1;
  if (ceil && (out - 1) * stride >= inSize + padBegin) out--;
  return out;
}

/** Resolves ONNX `auto_pad` into explicit pads: SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning. */
export function autoPads(mode: string, inSpatial: Shape, kernel: number[], strides: number[], dilations: number[]): number[] | undefined {
  if (mode === 'NOTSET') return undefined;
  const n = inSpatial.length;
  if (mode === 'VALID') return new Array<number>(2 * n).fill(0);
  const pads = new Array<number>(2 * n).fill(0);
  for (let i = 0; i < n; i++) {
    const out = Math.ceil(inSpatial[i]! / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - inSpatial[i]!);
    const small = Math.floor(total / 2);
    pads[i] = mode === 'SAME_LOWER' ? total - small : small;
    pads[i + n] = mode === 'SAME_LOWER' ? small : total - small;
  }
  return pads;
}

/**
 * For every output position (row-major over the spatial axes), the input positions its
 * window reads. Taps outside the input (padding) are left out; `padded[o]` counts the
 * window positions inside the padded input (the AveragePool divisor with count_include_pad).
 */
export interface WindowTaps {
  /** Number of output positions. */
  outputs: number;
  /** Taps of output o are start[o] ≤ t < start[o + 1]. */
  start: Int32Array;
  /** Flat kernel index of each tap. */
  kernelIndex: Int32Array;
  /** Flat spatial input index of each tap. */
  inputIndex: Int32Array;
  /** Window positions inside the padded input, per output. */
  padded: Int32Array;
}

const tapCache = new WeakMap<WindowSpec, Map<string, WindowTaps>>();

/**
 * The taps of a window over `inSpatial` producing `outSpatial` (cached per spec and shapes).
 * @param inSpatial the input's spatial dimensions
 * @param outSpatial the output's spatial dimensions
 */
export function windowTaps(spec: WindowSpec, inSpatial: Shape, outSpatial: Shape): WindowTaps {
  const key = `${inSpatial.join(',')}/${outSpatial.join(',')}`;
  let bySpec = tapCache.get(spec);
  if (!bySpec) tapCache.set(spec, (bySpec = new Map()));
  const hit = bySpec.get(key);
  if (hit) return hit;

  const rank = inSpatial.length;
  const outputs = outSpatial.reduce((a, b) => a * b, 1);
  const kernelSize = spec.kernel.reduce((a, b) => a * b, 1);
  const start = new Int32Array(outputs + 1);
  const kIdx: number[] = [];
  const iIdx: number[] = [];
  const padded = new Int32Array(outputs);
  const pos = new Array<number>(rank).fill(0);
  const k = new Array<number>(rank).fill(0);
  for (let o = 0; o < outputs; o++) {
    start[o] = kIdx.length;
    k.fill(0);
    for (let t = 0; t < kernelSize; t++) {
      let flat = 0;
      let inside = true;
      let insidePadded = true;
      for (let a = 0; a < rank; a++) {
        const p = pos[a]! * spec.strides[a]! - spec.pads[a]! + k[a]! * spec.dilations[a]!;
        if (p < 0 || p >= inSpatial[a]!) inside = false;
        if (p < -spec.pads[a]! || p >= inSpatial[a]! + spec.pads[a + rank]!) insidePadded = false;
        flat = flat * inSpatial[a]! + p;
      }
      if (insidePadded) padded[o]!++;
      if (inside) {
        kIdx.push(t);
        iIdx.push(flat);
      }
      for (let a = rank - 1; a >= 0; a--) {
        if (++k[a]! < spec.kernel[a]!) break;
        k[a] = 0;
      }
    }
    for (let a = rank - 1; a >= 0; a--) {
      if (++pos[a]! < outSpatial[a]!) break;
      pos[a] = 0;
    }
  }
  start[outputs] = kIdx.length;
  const taps: WindowTaps = { outputs, start, kernelIndex: Int32Array.from(kIdx), inputIndex: Int32Array.from(iIdx), padded };
  bySpec.set(key, taps);
  return taps;
}

/** The shape of a Conv/pool output: [N, channels, …outSpatial]. */
export function windowOutputShape(input: Shape, channels: number, spec: WindowSpec, ceil = false): number[] {
  const rank = input.length - 2;
  const out = [input[0]!, channels];
  for (let a = 0; a < rank; a++) {
    out.push(outputSize(input[a + 2]!, spec.kernel[a]!, spec.strides[a]!, spec.pads[a]!, spec.pads[a + rank]!, spec.dilations[a]!, ceil));
  }
  return out;
}
