/**
 * Decoding of ONNX protobuf messages with protobufjs and the official ONNX schema
 * (the `onnx-proto` package, generated from onnx.proto). This module turns the wire
 * objects into plain values: tensors (raw_data or the typed fields, see the ONNX IR
 * spec "Tensor" section) and attributes.
 */
import onnxProto from 'onnx-proto';
import { OnnxImportError } from '../shared/errors.js';
import type { ConstTensor } from '../ir/graph.js';

const { onnx } = onnxProto;

export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** ONNX TensorProto.DataType codes this importer reads. */
const DATA_TYPES: Record<number, ConstTensor['dtype']> = {
  1: 'float32',
  2: 'uint8',
  // BOOL (Where's condition) is stored like uint8: one byte of raw_data or one int32_data entry per value.
  9: 'uint8',
  3: 'int8',
  6: 'int32',
  7: 'int64',
  11: 'float64',
};

/** Name of an ONNX data type code, for messages. */
export function dataTypeName(code: number): string {
  return onnx.TensorProto.DataType[code] ?? `type ${code}`;
}

/**
 * Decodes the bytes of an .onnx file.
 * @throws {OnnxImportError} when the bytes are not an ONNX ModelProto with a graph.
 */
export function decodeModel(bytes: Uint8Array, file = 'model'): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new OnnxImportError(`${file}: not an ONNX model (protobuf decoding failed)`, { cause });
  }
  if (!model.graph || (model.graph.node ?? []).length === 0) {
    throw new OnnxImportError(`${file}: not an ONNX model (no graph or no nodes)`);
  }
  return model;
}

/** Converts a protobuf int64 (Long or number) to a JS number, checking it is safe. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof (value as { toNumber?: unknown }).toNumber === 'function') {
    return (value as { toNumber(): number }).toNumber();
  }
  return Number(value);
}

/**
 * Converts a TensorProto into a constant tensor with float64 values.
 * @throws {OnnxImportError} for external data or unsupported data types.
 */
export function tensorFromProto(t: TensorProto, where: string): ConstTensor {
  const code = t.dataType ?? 0;
  const dtype = DATA_TYPES[code];
  if (!dtype) throw new OnnxImportError(`${where}: tensor "${t.name ?? ''}" has unsupported data type ${dataTypeName(code)}`);
  if ((t.externalData ?? []).length > 0 || t.dataLocation === 1) {
    throw new OnnxImportError(`${where}: tensor "${t.name ?? ''}" uses external data, which is not supported`);
  }
  const shape = (t.dims ?? []).map(toNumber);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(count);
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width = { float32: 4, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1 }[dtype];
    if (raw.length !== count * width) {
      throw new OnnxImportError(`${where}: tensor "${t.name ?? ''}" has ${raw.length} bytes of raw_data, expected ${count * width}`);
    }
    for (let i = 0; i < count; i++) {
      switch (dtype) {
        case 'float32':
          data[i] = view.getFloat32(4 * i, true);
          break;
        case 'float64':
          data[i] = view.getFloat64(8 * i, true);
          break;
        case 'int64':
          data[i] = Number(view.getBigInt64(8 * i, true));
          break;
        case 'int32':
          data[i] = view.getInt32(4 * i, true);
          break;
        case 'int8':
          data[i] = view.getInt8(i);
          break;
        case 'uint8':
          data[i] = view.getUint8(i);
          break;
        default:
          dtype satisfies never;
      }
    }
  } else {
    const typed: ArrayLike<unknown> = dtype === 'float32' ? (t.floatData ?? []) : dtype === 'float64' ? (t.doubleData ?? []) : dtype === 'int64' ? (t.int64Data ?? []) : (t.int32Data ?? []); // int32, int8 and uint8 are stored in int32_data
    if (typed.length !== count) {
      throw new OnnxImportError(`${where}: tensor "${t.name ?? ''}" has ${typed.length} values, expected ${count} for shape [${shape.join(', ')}]`);
    }
    for (let i = 0; i < count; i++) data[i] = toNumber(typed[i]);
  }
  return { dtype, shape, data };
}

/** A node's attributes by name, with typed getters that name the node on failure. */
export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(
    node: NodeProto,
    private readonly where: string,
  ) {
    for (const a of node.attribute ?? []) this.byName.set(a.name ?? '', a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  int(name: string, fallback?: number): number {
    const a = this.byName.get(name);
    if (!a) return this.missing(name, fallback);
    return toNumber(a.i ?? 0);
  }

  float(name: string, fallback?: number): number {
    const a = this.byName.get(name);
    if (!a) return this.missing(name, fallback);
    return a.f ?? 0;
  }

  ints(name: string, fallback?: number[]): number[] {
    const a = this.byName.get(name);
    if (!a) return this.missing(name, fallback);
    return (a.ints ?? []).map(toNumber);
  }

  floats(name: string, fallback?: number[]): number[] {
    const a = this.byName.get(name);
    if (!a) return this.missing(name, fallback);
    return [...(a.floats ?? [])];
  }

  /** A STRING attribute decoded as UTF-8. */
  string(name: string, fallback?: string): string {
    const a = this.byName.get(name);
    if (!a) return this.missing(name, fallback);
    return new TextDecoder().decode(a.s ?? new Uint8Array());
  }

  tensor(name: string): ConstTensor {
    const a = this.byName.get(name);
    if (!a?.t) return this.missing<ConstTensor>(name, undefined);
    return tensorFromProto(a.t, this.where);
  }

  /** Names of the attributes present. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  private missing<T>(name: string, fallback: T | undefined): T {
    if (fallback === undefined) throw new OnnxImportError(`${this.where}: missing attribute "${name}"`);
    return fallback;
  }
}
