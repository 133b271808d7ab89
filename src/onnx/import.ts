/**
 * ONNX import: ModelProto → float IR. Follows the ONNX operator specifications
 * (https://onnx.ai/onnx/operators/) for the ops in SUPPORTED_OPS, with static shape
 * inference. Constants (initializers, Constant nodes and anything computed only from
 * them) are folded while importing, so the IR holds only computed values. This file walks
 * the graph; the per-op converters come from the operator registry (src/ops/registry.ts).
 */
import { OnnxImportError } from '../shared/errors.js';
import { describeSource, nodeInputs, type Graph, type IrNode, type NodeSource, type Shape } from '../ir/graph.js';
import { Attributes, dataTypeName, decodeModel, tensorFromProto, toNumber, type ModelProto, type NodeProto } from './decode.js';
import type { ConvertContext, Converter, Value } from './context.js';
import { ONNX_CONVERTERS } from '../ops/registry.js';

const CONVERTERS: Readonly<Record<string, Converter>> = ONNX_CONVERTERS;

/** The ONNX ops this importer understands, in alphabetical order. */
export const SUPPORTED_OPS: readonly string[] = Object.freeze(Object.keys(CONVERTERS).sort());

/** Lowest and highest default-domain opset versions accepted. */
export const OPSET_RANGE = [9, 21] as const;

/**
 * Ops accepted below OPSET_RANGE[0], each from the opset whose definition of it is still the
 * current one up to OPSET_RANGE[1] (ONNX operator changelog): GlobalAveragePool and
 * GlobalMaxPool have versions 1 and 22 only, so a model of opset 1 to 8 is imported when every
 * node is one of them.
 */
export const EARLY_OPSET_OPS: Readonly<Record<string, number>> = Object.freeze({ GlobalAveragePool: 1, GlobalMaxPool: 1 });

/** Options for {@link importOnnx}. */
export interface ImportOptions {
  /** Batch size to compile for; replaces a fixed or symbolic first input dimension. */
  batch?: number;
  /** File name used in error messages. */
  file?: string;
}

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
  /** Every value name some node or the graph output reads. */
  private readonly used = new Set<string>();
  private readonly opset: number;
  private originalBatch?: number;

  constructor(
    private readonly model: ModelProto,
    private readonly file: string,
    private readonly options: ImportOptions,
  ) {
    this.opset = this.readOpset();
  }

  run(): Graph {
    const graph = this.model.graph!;
    for (const init of graph.initializer ?? []) {
      this.values.set(init.name ?? '', { kind: 'const', tensor: tensorFromProto(init, `${this.file}: initializer`) });
    }
    const { integer, ...input } = this.readInput();
    this.values.set(input.name, { kind: 'value', shape: input.shape, integer });
    this.shapes.set(input.name, input.shape);

    for (const node of graph.node ?? []) for (const name of node.input ?? []) this.used.add(name);
    for (const out of graph.output ?? []) this.used.add(out.name ?? '');
    (graph.node ?? []).forEach((node, index) => this.convert(node, index));

    const outputs = graph.output ?? [];
    if (outputs.length !== 1) {
      throw new OnnxImportError(`${this.file}: the model has ${outputs.length} outputs; zkinfer proves models with exactly one output`);
    }
    const outName = this.resolve(outputs[0]!.name ?? '');
    const out = this.values.get(outName);
    if (!out) throw new OnnxImportError(`${this.file}: graph output "${outputs[0]!.name}" is not produced by any node`);
    if (out.kind === 'const') throw new OnnxImportError(`${this.file}: graph output "${outputs[0]!.name}" is a constant and does not depend on the input`);

    const nodes = this.dropSoftmaxBeforeArgMax(removeDeadNodes(this.nodes, outName));
    nodes.forEach((node, i) => {
      if ((node.kind === 'softmax' || node.kind === 'argMax') && i !== nodes.length - 1) {
        throw new OnnxImportError(`${this.file}: ${describeSource(node.source)}: ${node.source.opType} is supported only as the model's final step`);
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
    const earliest = Math.min(...Object.values(EARLY_OPSET_OPS));
    if (!Number.isInteger(version) || version < earliest || version > OPSET_RANGE[1]) {
      throw new OnnxImportError(`${this.file}: opset ${Number.isNaN(version) ? 'missing' : version} is not supported (supported: ${OPSET_RANGE[0]} to ${OPSET_RANGE[1]})`);
    }
    if (version < OPSET_RANGE[0]) {
      // An older opset only for ops whose semantics have not changed since (EARLY_OPSET_OPS).
      (this.model.graph?.node ?? []).forEach((node, index) => {
        const op = node.opType ?? '';
        const since = EARLY_OPSET_OPS[op];
        if (since === undefined || since > version) {
          const where = describeSource({ index, name: node.name ?? '', opType: op });
          if (!CONVERTERS[op]) throw new OnnxImportError(`${this.file}: ${where}: unsupported op ${op}; supported ops: ${SUPPORTED_OPS.join(', ')}`);
          const early = Object.entries(EARLY_OPSET_OPS).map(([o, v]) => `${o} from opset ${v}`);
          throw new OnnxImportError(`${this.file}: ${where}: opset ${version} is not supported for ${op} (supported: opsets ${OPSET_RANGE[0]} to ${OPSET_RANGE[1]}; ${early.join(', ')})`);
        }
      });
    }
    return version;
  }

  private readInput(): { name: string; shape: Shape; integer: boolean } {
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
    // Integer inputs (uint8, int8, int32) feed int8 models; their values are carried exactly.
    if (![1, 11, 2, 3, 6].includes(tensorType.elemType ?? 0)) {
      throw new OnnxImportError(`${this.file}: input "${name}" must be float32, float64, uint8, int8 or int32, got ${dataTypeName(tensorType.elemType ?? 0).toLowerCase()}`);
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
    return { name, shape, integer: tensorType.elemType !== 1 && tensorType.elemType !== 11 };
  }

  /**
   * A (Log)Softmax read only by the final ArgMax, normalising along the ArgMax's axis, keeps
   * every row's order: the ArgMax of its input is the same index, so the Softmax is dropped.
   */
  private dropSoftmaxBeforeArgMax(nodes: IrNode[]): IrNode[] {
    const [softmax, argMax] = nodes.slice(-2);
    if (softmax?.kind !== 'softmax' || argMax?.kind !== 'argMax' || argMax.input !== softmax.output) return nodes;
    const v = this.values.get(softmax.input);
    const rank = v?.kind === 'value' ? v.shape.length : -1;
    if (softmax.axis !== argMax.axis || (softmax.coerce2d && softmax.axis !== rank - 1)) return nodes;
    return [...nodes.slice(0, -2), { ...argMax, input: softmax.input }];
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
    const converter = CONVERTERS[opType];
    if (!converter) throw new OnnxImportError(`${where}: unsupported op ${opType}; supported ops: ${SUPPORTED_OPS.join(', ')}`);
    const inputs = (node.input ?? []).map((name) => {
      if (name === '') return undefined;
      const resolved = this.resolve(name);
      const value = this.values.get(resolved);
      if (!value) throw new OnnxImportError(`${where}: input "${name}" is not produced by any earlier node`);
      return { name: resolved, value };
    });
    const outputName = (node.output ?? [])[0] ?? '';
    let temps = 0;
    const ctx: ConvertContext = {
      where,
      source,
      attrs: new Attributes(node, where),
      opset: this.opset,
      inputs,
      outputName,
      outputs: (node.output ?? []).map((name) => (name !== '' && this.used.has(name) ? name : '')),
      extraOutputsUsed: (node.output ?? []).slice(1).some((name) => name !== '' && this.used.has(name)),
      setConst: (tensor) => this.values.set(outputName, { kind: 'const', tensor }),
      alias: (name) => this.aliases.set(outputName, name),
      emit: (n, shape, integer) => {
        this.nodes.push(n);
        const computed = inputs.filter((v) => v?.value.kind === 'value');
        const inherited = computed.length > 0 && computed.every((v) => v!.value.kind === 'value' && v!.value.integer === true);
        this.values.set(n.output, { kind: 'value', shape, integer: integer ?? inherited });
        this.shapes.set(n.output, shape);
      },
      temp: (suffix) => `${outputName}::${suffix}${temps++ === 0 ? '' : temps}`,
      batchOverride: this.originalBatch !== undefined ? { original: this.originalBatch, batch: this.options.batch! } : undefined,
    };
    converter(ctx);
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
      for (const name of nodeInputs(node)) needed.add(name);
    }
  }
  return nodes.filter((_, i) => keep[i]);
}
