/**
 * test/helpers/onnx-builder.ts with two more attribute kinds: STRING ({ string }) and
 * FLOATS ({ floats }) and an int64 graph output, added by decoding the built model and patching it.
 */
import onnxProto from 'onnx-proto';
import { buildModel as buildBase, type ModelSpec as BaseSpec, type NodeSpec as BaseNode } from '../helpers/onnx-builder.js';

const { onnx } = onnxProto;

type Extra = { string: string } | { floats: number[] };
export type NodeSpec = Omit<BaseNode, 'attrs'> & { attrs?: Record<string, NonNullable<BaseNode['attrs']>[string] | Extra> };
export type ModelSpec = Omit<BaseSpec, 'nodes'> & { nodes: NodeSpec[]; outputType?: 'int64' };

const isExtra = (v: unknown): v is Extra => typeof v === 'object' && v !== null && ('string' in v || 'floats' in v);

/** Encodes a model to .onnx bytes (string and floats attributes allowed). */
export function buildModel(spec: ModelSpec): Uint8Array {
  const base: BaseSpec = {
    ...spec,
    nodes: spec.nodes.map((n) => ({ ...n, attrs: Object.fromEntries(Object.entries(n.attrs ?? {}).filter(([, v]) => !isExtra(v))) as BaseNode['attrs'] })),
  };
  const bytes = buildBase(base);
  if (!spec.outputType && !spec.nodes.some((n) => Object.values(n.attrs ?? {}).some(isExtra))) return bytes;
  const model = onnx.ModelProto.decode(bytes);
  if (spec.outputType) model.graph!.output![0]!.type!.tensorType!.elemType = 7;
  const A = onnx.AttributeProto.AttributeType;
  spec.nodes.forEach((n, i) => {
    for (const [name, v] of Object.entries(n.attrs ?? {})) {
      if (!isExtra(v)) continue;
      const attr = 'string' in v ? { name, type: A.STRING, s: new TextEncoder().encode(v.string) } : { name, type: A.FLOATS, floats: v.floats };
      model.graph!.node![i]!.attribute!.push(onnx.AttributeProto.create(attr));
    }
  });
  return onnx.ModelProto.encode(model).finish();
}
