/**
 * Numpy-style (multidirectional) broadcasting, as the ONNX spec defines it in
 * docs/Broadcasting.md: shapes are aligned from the right and each pair of dimensions must
 * be equal or one of them 1.
 */
import { OnnxImportError } from '../shared/errors.js';
import { sizeOf, type ConstTensor, type Shape } from '../ir/graph.js';

/**
 * The broadcast result shape of `a` and `b`.
 * @throws {OnnxImportError} when the shapes are not broadcast-compatible.
 */
export function broadcastShape(a: Shape, b: Shape, where: string): Shape {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new OnnxImportError(`${where}: shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be broadcast`);
    }
    out.push(Math.max(da, db));
  }
  return out;
}

/** Expands a constant to `shape` (which must be a broadcast of its shape), row-major. */
export function broadcastTo(t: ConstTensor, shape: Shape): Float64Array {
  const out = new Float64Array(sizeOf(shape));
  const rank = shape.length;
  const src = [...new Array(rank - t.shape.length).fill(1), ...t.shape];
  const srcStrides = new Array<number>(rank);
  let stride = 1;
  for (let i = rank - 1; i >= 0; i--) {
    srcStrides[i] = src[i] === 1 ? 0 : stride;
    stride *= src[i]!;
  }
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < out.length; flat++) {
    let offset = 0;
    for (let i = 0; i < rank; i++) offset += index[i]! * srcStrides[i]!;
    out[flat] = t.data[offset]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++index[i]! < shape[i]!) break;
      index[i] = 0;
    }
  }
  return out;
}
