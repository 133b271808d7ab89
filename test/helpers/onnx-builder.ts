/**
 * Builds small ONNX models in tests with the official schema (onnx-proto), so each op
 * can be checked against onnxruntime without Python. The one model builder of the tests:
 * attributes of every kind the importer reads (INT, INTS, FLOAT, FLOATS, STRING, TENSOR),
 * and a float or int64 graph output.
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

const { onnx } = onnxProto;

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, number | number[] | { float: number } | { floats: number[] } | { string: string } | { tensor: TensorSpec }>;
}

export interface TensorSpec {
  name?: string;
  dims: number[];
  values: number[];
  type?: 'float' | 'int64' | 'int32' | 'int8' | 'uint8' | 'double';
  /** Store in raw_data (default) or in the typed field. */
  raw?: boolean;
}

const TYPE_CODES = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, double: 11 } as const;

export function tensorProto(t: TensorSpec): onnxProto.onnx.ITensorProto {
  const type = t.type ?? 'float';
  const raw = t.raw ?? true;
  const proto: onnxProto.onnx.ITensorProto = { name: t.name, dims: t.dims, dataType: TYPE_CODES[type] };
  if (raw) {
    const width = { float: 4, double: 8, int64: 8, int32: 4, int8: 1, uint8: 1 }[type];
    const buf = new DataView(new ArrayBuffer(t.values.length * width));
    t.values.forEach((v, i) => {
      if (type === 'float') buf.setFloat32(4 * i, v, true);
      else if (type === 'double') buf.setFloat64(8 * i, v, true);
      else if (type === 'int64') buf.setBigInt64(8 * i, BigInt(v), true);
      else if (type === 'int32') buf.setInt32(4 * i, v, true);
      else if (type === 'int8') buf.setInt8(i, v);
      else buf.setUint8(i, v);
    });
    proto.rawData = new Uint8Array(buf.buffer);
  } else if (type === 'float') proto.floatData = t.values;
  else if (type === 'double') proto.doubleData = t.values;
  else if (type === 'int64') proto.int64Data = t.values;
  else proto.int32Data = t.values;
  return proto;
}

function attribute(name: string, v: NonNullable<NodeSpec['attrs']>[string]): onnxProto.onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: A.INT, i: v };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: A.FLOATS, floats: v.floats };
  if ('string' in v) return { name, type: A.STRING, s: new TextEncoder().encode(v.string) };
  return { name, type: A.TENSOR, t: tensorProto(v.tensor) };
}

export interface ModelSpec {
  input: { name: string; dims: (number | string)[] };
  output: { name: string; dims?: (number | string)[] };
  nodes: NodeSpec[];
  initializers?: (TensorSpec & { name: string })[];
  opset?: number;
  /** The graph output's element type; float by default. */
  outputType?: 'int64';
}

/** Encodes a model to .onnx bytes. */
export function buildModel(spec: ModelSpec): Uint8Array {
  const valueInfo = (name: string, dims?: (number | string)[], elemType = 1) => ({
    name,
    type: { tensorType: { elemType, shape: dims ? { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'zkinfer-test',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'test',
      node: spec.nodes.map((n, i) => ({
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        name: n.name ?? `${n.op.toLowerCase()}_${i}`,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: (spec.initializers ?? []).map(tensorProto),
      input: [valueInfo(spec.input.name, spec.input.dims)],
      output: [valueInfo(spec.output.name, spec.output.dims, spec.outputType === 'int64' ? 7 : 1)],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Runs a model in onnxruntime-node on one float32 input. */
export async function runOrt(bytes: Uint8Array, input: Float32Array | Float64Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(input), dims) };
    const out = await session.run(feeds);
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** A deterministic pseudo-random generator (mulberry32) for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform values in [lo, hi). */
export function randomArray(r: () => number, n: number, lo = -1, hi = 1): number[] {
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}
