/**
 * Index maps of the ops that only move values: numpy broadcasting (ONNX docs/Broadcasting.md),
 * Transpose, Pad (constant, reflect, edge and wrap modes) and Concat. Each map gives, for
 * every output element (row-major), the flat input index it copies, or −1 for a constant
 * (Pad's fill). The float executor, the reference executor and the emitter all use them, so
 * a move costs no constraints and cannot be implemented twice differently.
 */
import { sizeOf, type ConstTensor, type Shape } from './graph.js';

/** Row-major strides of a shape. */
export function strides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Visits every multi-index of `shape` in row-major order. */
export function forEachIndex(shape: Shape, f: (index: number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(index, flat);
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++index[a]! < shape[a]!) break;
      index[a] = 0;
    }
  }
}

/** For `input` broadcast to `output`: the input element each output element reads. */
export function broadcastIndex(input: Shape, output: Shape): Int32Array {
  const rank = output.length;
  const padded = [...new Array<number>(rank - input.length).fill(1), ...input];
  const st = strides(padded);
  const map = new Int32Array(sizeOf(output));
  forEachIndex(output, (index, flat) => {
    let src = 0;
    for (let a = 0; a < rank; a++) if (padded[a] !== 1) src += index[a]! * st[a]!;
    map[flat] = src;
  });
  return map;
}

/** Expands a constant to `shape` (which must be a broadcast of its shape), row-major. */
export function broadcastTo(t: ConstTensor, shape: Shape): Float64Array {
  return Float64Array.from(broadcastIndex(t.shape, shape), (i) => t.data[i]!);
}

/** The output shape of Transpose. */
export function transposeShape(input: Shape, perm: readonly number[]): number[] {
  return perm.map((p) => input[p]!);
}

/** For Transpose(perm): the input element each output element reads. */
export function transposeIndex(input: Shape, perm: readonly number[]): Int32Array {
  const st = strides(input);
  const map = new Int32Array(sizeOf(input));
  forEachIndex(transposeShape(input, perm), (index, flat) => {
    let src = 0;
    for (let a = 0; a < perm.length; a++) src += index[a]! * st[perm[a]!]!;
    map[flat] = src;
  });
  return map;
}

/** The output shape of Pad. */
export function padShape(input: Shape, pads: readonly number[]): number[] {
  return input.map((d, a) => d + pads[a]! + pads[a + input.length]!);
}

/** For Pad: the input element each output element reads, −1 where the constant fills. */
export function padIndex(input: Shape, pads: readonly number[], mode: 'constant' | 'reflect' | 'edge' | 'wrap'): Int32Array {
  const rank = input.length;
  const st = strides(input);
  const output = padShape(input, pads);
  const map = new Int32Array(sizeOf(output));
  forEachIndex(output, (index, flat) => {
    let src = 0;
    for (let a = 0; a < rank; a++) {
      const n = input[a]!;
      let i = index[a]! - pads[a]!;
      if (i < 0 || i >= n) {
        if (mode === 'constant') {
          src = -1;
          break;
        }
        if (mode === 'edge') i = i < 0 ? 0 : n - 1;
        else if (mode === 'wrap') i = ((i % n) + n) % n;
        else {
          // reflect: mirror without repeating the edge, period 2(n − 1)
          const period = 2 * (n - 1);
          if (period === 0) i = 0;
          else {
            i = ((i % period) + period) % period;
            if (i >= n) i = period - i;
          }
        }
      }
      src += i * st[a]!;
    }
    map[flat] = src;
  });
  return map;
}

/** For Concat along `axis`: for each output element, which part and which element of it. */
export function concatIndex(parts: readonly Shape[], axis: number): { part: Int32Array; index: Int32Array } {
  const output = [...parts[0]!];
  output[axis] = parts.reduce((s, p) => s + p[axis]!, 0);
  const offsets: number[] = [];
  let o = 0;
  for (const p of parts) {
    offsets.push(o);
    o += p[axis]!;
  }
  const partStrides = parts.map(strides);
  const part = new Int32Array(sizeOf(output));
  const index = new Int32Array(sizeOf(output));
  forEachIndex(output, (idx, flat) => {
    let k = parts.length - 1;
    while (offsets[k]! > idx[axis]!) k--;
    let src = 0;
    for (let a = 0; a < output.length; a++) src += (a === axis ? idx[a]! - offsets[k]! : idx[a]!) * partStrides[k]![a]!;
    part[flat] = k;
    index[flat] = src;
  });
  return { part, index };
}
