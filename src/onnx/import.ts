/**
 * ONNX import: ModelProto → float IR. Follows the ONNX operator specifications
 * (https://onnx.ai/onnx/operators/) for the ops in SUPPORTED_OPS, with static shape
 * inference. Constants (initializers, Constant nodes and anything computed only from
 * them) are folded while importing, so the IR holds only computed values.
 */
import { OnnxImportError } from '../shared/errors.js';
import { describeSource, sizeOf, type ConstTensor, type Graph, type IrNode, type NodeSource, type Shape } from '../ir/graph.js';
import { Attributes, decodeModel, tensorFromProto, toNumber, type ModelProto, type NodeProto } from './decode.js';
import { broadcastShape, broadcastTo } from './broadcast.js';

/** The ONNX ops this importer understands, in alphabetical order. */
export const SUPPORTED_OPS = ['Add', 'Constant', 'Flatten', 'Gemm', 'Identity', 'MatMul', 'Relu', 'Reshape', 'Softmax', 'Squeeze', 'Unsqueeze'] as const;

/** Lowest and highest default-domain opset versions accepted. */
export const OPSET_RANGE = [9, 21] as const;

/** Options for {@link importOnnx}. */
export interface ImportOptions {
  /** Batch size to compile for; replaces a fixed or symbolic first input dimension. */
  batch?: number;
  /** File name used in error messages. */
  file?: string;
}

type Value = { kind: 'const'; tensor: ConstTensor } | { kind: 'value'; shape: Shape };

/**
 * Imports an ONNX model into the float IR.
 * @param bytes the .onnx file's contents
 * @returns the graph with static shapes
 * @throws {OnnxImportError} naming the node (index, name, op) that cannot be imported
 */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): Graph {
  const file = options.file ?? 'model';
  const model = decodeModel(bytes, file);
  return new Importer(model, file, options).run();
}

class Importer {
  private readonly values = new Map<string, Value>();
  private readonly aliases = new Map<string, string>();
  private readonly nodes: IrNode[] = [];
  private readonly shapes = new Map<string, Shape>();
  private readonly opset: number;
  private originalBatch?: number;

  constructor(private readonly model: ModelProto, private readonly file: string, private readonly options: ImportOptions) {
    this.opset = this.readOpset();
  }

  run(): Graph {
    const graph = this.model.graph!;
    for (const init of graph.initializer ?? []) {
      this.values.set(init.name ?? '', { kind: 'const', tensor: tensorFromProto(init, `${this.file}: initializer`) });
    }
    const input = this.readInput();
    this.values.set(input.name, { kind: 'value', shape: input.shape });
    this.shapes.set(input.name, input.shape);

    (graph.node ?? []).forEach((node, index) => this.convert(node, index));

    const outputs = graph.output ?? [];
    if (outputs.length !== 1) {
      throw new OnnxImportError(`${this.file}: the model has ${outputs.length} outputs; zkinfer proves models with exactly one output`);
    }
    const outName = this.resolve(outputs[0]!.name ?? '');
    const out = this.values.get(outName);
    if (!out) throw new OnnxImportError(`${this.file}: graph output "${outputs[0]!.name}" is not produced by any node`);
    if (out.kind === 'const') throw new OnnxImportError(`${this.file}: graph output "${outputs[0]!.name}" is a constant and does not depend on the input`);

    const nodes = removeDeadNodes(this.nodes, outName);
    nodes.forEach((node, i) => {
      if (node.kind === 'softmax' && i !== nodes.length - 1) {
        throw new OnnxImportError(`${this.file}: ${describeSource(node.source)}: Softmax is supported only as the model's final step`);
      }
    });
    if (nodes.length === 0) throw new OnnxImportError(`${this.file}: the output is the input itself; nothing to prove`);
    return {
      input,
      output: { name: outName, shape: out.shape },
      nodes,
      shapes: this.shapes,
      opset: this.opset,
      originalBatch: this.originalBatch,
    };
  }

  private readOpset(): number {
    const imports = this.model.opsetImport ?? [];
    const main = imports.find((o) => !o.domain || o.domain === 'ai.onnx');
    const version = main ? toNumber(main.version) : NaN;
    if (!Number.isInteger(version) || version < OPSET_RANGE[0] || version > OPSET_RANGE[1]) {
      throw new OnnxImportError(`${this.file}: opset ${Number.isNaN(version) ? 'missing' : version} is not supported (supported: ${OPSET_RANGE[0]} to ${OPSET_RANGE[1]})`);
    }
    return version;
  }

  private readInput(): { name: string; shape: Shape } {
    const graph = this.model.graph!;
    const inits = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
    const inputs = (graph.input ?? []).filter((v) => !inits.has(v.name ?? ''));
    if (inputs.length !== 1) {
      throw new OnnxImportError(`${this.file}: the model has ${inputs.length} inputs; zkinfer proves models with exactly one input`);
    }
    const info = inputs[0]!;
    const name = info.name ?? '';
    const tensorType = info.type?.tensorType;
    if (!tensorType) throw new OnnxImportError(`${this.file}: input "${name}" is not a tensor`);
    if (tensorType.elemType !== 1 && tensorType.elemType !== 11) {
      throw new OnnxImportError(`${this.file}: input "${name}" must be float32 or float64, got element type ${tensorType.elemType}`);
    }
    const dims = tensorType.shape?.dim ?? [];
    if (dims.length === 0) throw new OnnxImportError(`${this.file}: input "${name}" has no static shape`);
    const shape = dims.map((d, axis) => {
      const fixed = d.dimValue != null ? toNumber(d.dimValue) : 0;
      if (axis === 0) {
        const batch = this.options.batch;
        if (fixed > 0) {
          if (batch !== undefined && batch !== fixed) {
            this.originalBatch = fixed;
            return batch;
          }
          return fixed;
        }
        return batch ?? 1;
      }
      if (fixed > 0) return fixed;
      throw new OnnxImportError(`${this.file}: input "${name}" has a symbolic dimension "${d.dimParam ?? '?'}" at axis ${axis}; only the batch dimension (axis 0) may be symbolic`);
    });
    return { name, shape };
  }

  private resolve(name: string): string {
    return this.aliases.get(name) ?? name;
  }

  private convert(node: NodeProto, index: number): void {
    const opType = node.opType ?? '';
    const source: NodeSource = { index, name: node.name ?? '', opType };
    const where = `${this.file}: ${describeSource(source)}`;
    if (node.domain && node.domain !== 'ai.onnx') {
      throw new OnnxImportError(`${where}: unsupported op ${node.domain}.${opType}; supported ops: ${SUPPORTED_OPS.join(', ')}`);
    }
    if (!(SUPPORTED_OPS as readonly string[]).includes(opType)) {
      throw new OnnxImportError(`${where}: unsupported op ${opType}; supported ops: ${SUPPORTED_OPS.join(', ')}`);
    }
    const attrs = new Attributes(node, where);
    const inputs = (node.input ?? []).map((name) => {
      if (name === '') return undefined;
      const resolved = this.resolve(name);
      const value = this.values.get(resolved);
      if (!value) throw new OnnxImportError(`${where}: input "${name}" is not produced by any earlier node`);
      return { name: resolved, value };
    });
    const outputName = (node.output ?? [])[0] ?? '';
    const setConst = (tensor: ConstTensor) => this.values.set(outputName, { kind: 'const', tensor });
    const emit = (n: IrNode, shape: Shape) => {
      this.nodes.push(n);
      this.values.set(n.output, { kind: 'value', shape });
      this.shapes.set(n.output, shape);
    };
    const requireInput = (i: number, what: string) => {
      const v = inputs[i];
      if (!v) throw new OnnxImportError(`${where}: missing input ${i} (${what})`);
      return v;
    };
    const requireConst = (i: number, what: string): ConstTensor => {
      const v = requireInput(i, what);
      if (v.value.kind !== 'const') throw new OnnxImportError(`${where}: input ${i} (${what}) must be a constant`);
      return v.value.tensor;
    };

    switch (opType) {
      case 'Constant': {
        if (attrs.has('value')) setConst(attrs.tensor('value'));
        else if (attrs.has('value_float')) setConst({ dtype: 'float32', shape: [], data: Float64Array.of(attrs.float('value_float')) });
        else if (attrs.has('value_int')) setConst({ dtype: 'int64', shape: [], data: Float64Array.of(attrs.int('value_int')) });
        else if (attrs.has('value_ints')) { const v = attrs.ints('value_ints'); setConst({ dtype: 'int64', shape: [v.length], data: Float64Array.from(v) }); }
        else throw new OnnxImportError(`${where}: Constant without a supported value attribute (found: ${attrs.names().join(', ') || 'none'})`);
        return;
      }
      case 'Identity': {
        const x = requireInput(0, 'input');
        if (x.value.kind === 'const') setConst(x.value.tensor);
        else this.aliases.set(outputName, x.name);
        return;
      }
      case 'Relu': {
        const x = requireInput(0, 'X');
        if (x.value.kind === 'const') {
          setConst({ ...x.value.tensor, data: x.value.tensor.data.map((v) => Math.max(0, v)) });
        } else emit({ kind: 'relu', input: x.name, output: outputName, source }, x.value.shape);
        return;
      }
      case 'Flatten':
      case 'Reshape':
      case 'Squeeze':
      case 'Unsqueeze': {
        const x = requireInput(0, 'data');
        const inShape = x.value.kind === 'const' ? x.value.tensor.shape : x.value.shape;
        const shape = this.reshapeTarget(opType, inShape, attrs, inputs.length > 1 ? requireConst(1, opType === 'Reshape' ? 'shape' : 'axes') : undefined, where);
        if (x.value.kind === 'const') setConst({ ...x.value.tensor, shape });
        else emit({ kind: 'reshape', input: x.name, output: outputName, shape, source }, shape);
        return;
      }
      case 'Add': {
        const a = requireInput(0, 'A');
        const b = requireInput(1, 'B');
        if (a.value.kind === 'const' && b.value.kind === 'const') {
          const shape = broadcastShape(a.value.tensor.shape, b.value.tensor.shape, where);
          const x = broadcastTo(a.value.tensor, shape);
          const y = broadcastTo(b.value.tensor, shape);
          setConst({ dtype: a.value.tensor.dtype, shape, data: x.map((v, i) => v + y[i]!) });
          return;
        }
        if (a.value.kind === 'value' && b.value.kind === 'value') {
          throw new OnnxImportError(`${where}: Add of two computed tensors is not supported yet (one operand must be a constant)`);
        }
        const [v, c] = a.value.kind === 'value' ? [a, b] : [b, a];
        const vShape = (v.value as { shape: Shape }).shape;
        const constant = (c.value as { tensor: ConstTensor }).tensor;
        const shape = broadcastShape(vShape, constant.shape, where);
        if (shape.join() !== vShape.join()) {
          throw new OnnxImportError(`${where}: the constant of shape [${constant.shape.join(', ')}] would broadcast the input [${vShape.join(', ')}] to [${shape.join(', ')}]`);
        }
        emit({ kind: 'addConst', input: v.name, output: outputName, constant, source }, vShape);
        return;
      }
      case 'MatMul': {
        const a = requireInput(0, 'A');
        const b = requireConst(1, 'B');
        if (a.value.kind !== 'value') throw new OnnxImportError(`${where}: MatMul with a constant first operand is not supported`);
        if (b.shape.length !== 2) throw new OnnxImportError(`${where}: MatMul weight must be 2-D, got [${b.shape.join(', ')}]`);
        const [k, n] = b.shape as [number, number];
        const aShape = a.value.shape;
        if (aShape[aShape.length - 1] !== k) {
          throw new OnnxImportError(`${where}: cannot multiply [${aShape.join(', ')}] by [${k}, ${n}]`);
        }
        const weight = new Float64Array(n * k);
        for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) weight[j * k + i] = b.data[i * n + j]!;
        const shape = [...aShape.slice(0, -1), n];
        emit({ kind: 'linear', input: a.name, output: outputName, weight, inFeatures: k, outFeatures: n, source }, shape);
        return;
      }
      case 'Gemm': {
        this.convertGemm(requireInput(0, 'A'), requireConst(1, 'B'), inputs[2]?.value, attrs, source, where, outputName, emit);
        return;
      }
      case 'Softmax': {
        const x = requireInput(0, 'input');
        if (x.value.kind !== 'value') throw new OnnxImportError(`${where}: Softmax of a constant is not supported`);
        const rank = x.value.shape.length;
        const axisAttr = attrs.int('axis', this.opset < 13 ? 1 : -1);
        const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
        if (axis < 0 || axis >= rank) throw new OnnxImportError(`${where}: axis ${axisAttr} is out of range for rank ${rank}`);
        emit({ kind: 'softmax', input: x.name, output: outputName, axis, coerce2d: this.opset < 13, source }, x.value.shape);
        return;
      }
      default:
        throw new OnnxImportError(`${where}: unsupported op ${opType}; supported ops: ${SUPPORTED_OPS.join(', ')}`);
    }
  }

  private convertGemm(
    a: { name: string; value: Value },
    b: ConstTensor,
    c: Value | undefined,
    attrs: Attributes,
    source: NodeSource,
    where: string,
    outputName: string,
    emit: (n: IrNode, shape: Shape) => void,
  ): void {
    if (a.value.kind !== 'value') throw new OnnxImportError(`${where}: Gemm with a constant A is not supported`);
    const alpha = attrs.float('alpha', 1);
    const beta = attrs.float('beta', 1);
    const transA = attrs.int('transA', 0);
    const transB = attrs.int('transB', 0);
    const aShape = a.value.shape;
    if (aShape.length !== 2) throw new OnnxImportError(`${where}: Gemm input A must be 2-D, got [${aShape.join(', ')}]`);
    if (b.shape.length !== 2) throw new OnnxImportError(`${where}: Gemm input B must be 2-D, got [${b.shape.join(', ')}]`);
    let input = a.name;
    let [m, k] = aShape as [number, number];
    if (transA) {
      if (m !== 1 && k !== 1) throw new OnnxImportError(`${where}: Gemm with transA=1 is supported only when A is a vector, got [${aShape.join(', ')}]`);
      [m, k] = [k, m];
      input = `${outputName}::transA`;
      const shape = [m, k];
      this.nodes.push({ kind: 'reshape', input: a.name, output: input, shape, source });
      this.values.set(input, { kind: 'value', shape });
      this.shapes.set(input, shape);
    }
    const [b0, b1] = b.shape as [number, number];
    const bk = transB ? b1 : b0;
    const n = transB ? b0 : b1;
    if (bk !== k) throw new OnnxImportError(`${where}: Gemm shapes do not match: A is [${m}, ${k}], B gives K=${bk}`);
    const weight = new Float64Array(n * k);
    for (let o = 0; o < n; o++) {
      for (let i = 0; i < k; i++) weight[o * k + i] = alpha * (transB ? b.data[o * b1 + i]! : b.data[i * b1 + o]!);
    }
    let bias: Float64Array | undefined;
    if (c) {
      if (c.kind !== 'const') throw new OnnxImportError(`${where}: Gemm input C must be a constant`);
      const cs = c.tensor.shape;
      const size = sizeOf(cs);
      if (size === 1) bias = new Float64Array(n).fill(beta * c.tensor.data[0]!);
      else if (size === n && (cs.length === 1 || (cs.length === 2 && (cs[0] === 1 || m === 1)))) bias = c.tensor.data.map((v) => beta * v);
      else throw new OnnxImportError(`${where}: Gemm bias C of shape [${cs.join(', ')}] is not supported (expected [${n}] or [1, ${n}])`);
    }
    emit({ kind: 'linear', input, output: outputName, weight, inFeatures: k, outFeatures: n, bias, source }, [m, n]);
  }

  private reshapeTarget(opType: string, inShape: Shape, attrs: Attributes, arg: ConstTensor | undefined, where: string): Shape {
    const rank = inShape.length;
    const total = sizeOf(inShape);
    switch (opType) {
      case 'Flatten': {
        const raw = attrs.int('axis', 1);
        const axis = raw < 0 ? raw + rank : raw;
        if (axis < 0 || axis > rank) throw new OnnxImportError(`${where}: axis ${raw} is out of range for rank ${rank}`);
        return [sizeOf(inShape.slice(0, axis)), sizeOf(inShape.slice(axis))];
      }
      case 'Reshape': {
        const spec = arg ? Array.from(arg.data) : attrs.ints('shape');
        const allowZero = attrs.int('allowzero', 0) === 1;
        const shape = spec.map((d, i) => (d === 0 && !allowZero ? inShape[i] ?? NaN : d));
        if (this.originalBatch !== undefined && shape[0] === this.originalBatch) shape[0] = this.options.batch!;
        const unknown = shape.filter((d) => d === -1).length;
        if (unknown > 1 || shape.some((d) => Number.isNaN(d) || d < -1)) {
          throw new OnnxImportError(`${where}: invalid target shape [${spec.join(', ')}] for input [${inShape.join(', ')}]`);
        }
        if (unknown === 1) {
          const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
          if (known === 0 || total % known !== 0) throw new OnnxImportError(`${where}: cannot reshape [${inShape.join(', ')}] to [${spec.join(', ')}]`);
          shape[shape.indexOf(-1)] = total / known;
        }
        if (sizeOf(shape) !== total) throw new OnnxImportError(`${where}: cannot reshape [${inShape.join(', ')}] (${total} elements) to [${shape.join(', ')}]`);
        return shape;
      }
      case 'Squeeze': {
        const axesRaw = arg ? Array.from(arg.data) : attrs.has('axes') ? attrs.ints('axes') : undefined;
        if (!axesRaw) return inShape.filter((d) => d !== 1);
        const axes = new Set(axesRaw.map((a) => (a < 0 ? a + rank : a)));
        for (const a of axes) {
          if (inShape[a] !== 1) throw new OnnxImportError(`${where}: cannot squeeze axis ${a} of shape [${inShape.join(', ')}]`);
        }
        return inShape.filter((_, i) => !axes.has(i));
      }
      case 'Unsqueeze': {
        const axesRaw = arg ? Array.from(arg.data) : attrs.ints('axes');
        const outRank = rank + axesRaw.length;
        const axes = new Set(axesRaw.map((a) => (a < 0 ? a + outRank : a)));
        if (axes.size !== axesRaw.length || [...axes].some((a) => a < 0 || a >= outRank)) {
          throw new OnnxImportError(`${where}: invalid axes [${axesRaw.join(', ')}] for rank ${rank}`);
        }
        const out: number[] = [];
        let j = 0;
        for (let i = 0; i < outRank; i++) out.push(axes.has(i) ? 1 : inShape[j++]!);
        return out;
      }
      default:
        throw new OnnxImportError(`${where}: not a reshape op`);
    }
  }
}

/** Keeps only the nodes the output depends on, in their original order. */
function removeDeadNodes(nodes: IrNode[], output: string): IrNode[] {
  const needed = new Set([output]);
  const keep: boolean[] = new Array(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (needed.has(node.output)) {
      keep[i] = true;
      needed.add(node.input);
    }
  }
  return nodes.filter((_, i) => keep[i]);
}
