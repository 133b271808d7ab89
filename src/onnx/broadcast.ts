/**
 * Numpy-style (multidirectional) broadcasting, as the ONNX spec defines it in
 * docs/Broadcasting.md: shapes are aligned from the right and each pair of dimensions must
 * be equal or one of them 1. The index map itself (and broadcastTo, which applies it to a
 * constant) is the one in src/ir/gather.ts.
 */
import { OnnxImportError } from '../shared/errors.js';
import type { Shape } from '../ir/graph.js';

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

export { broadcastTo } from '../ir/gather.js';
