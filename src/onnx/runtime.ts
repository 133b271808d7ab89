/**
 * Float inference in onnxruntime-node: the fast path the TEE serves, and the float
 * baseline that quantization error is measured against.
 *
 * A model exported with a fixed batch (PyTorch without `dynamic_axes` writes an input of
 * [10, …]) is compiled with `--batch 1`, but onnxruntime accepts only the declared batch for
 * the original graph. {@link OrtModel} knows the declared input shape and runs any number of
 * rows on such a graph: in chunks of the fixed batch, the last chunk filled up by repeating
 * its last row, keeping only the real rows' outputs. Inference-mode graphs compute each row
 * on its own, so the filler rows do not change the real ones. Every caller that runs the
 * original model (compile's error measurement, `infer`, the benchmarks) goes through here.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { ZkinferError } from '../shared/errors.js';
import { decodeModel } from './decode.js';

/** Options of {@link OrtModel.load}. */
export interface OrtModelOptions {
  /** File name used in error messages. */
  file?: string;
  /**
   * Also output the input of the graph's final Softmax or LogSoftmax (the logits a circuit
   * proves when the Softmax is applied outside it), as {@link OrtModel.logitsName}.
   */
  exposeLogits?: boolean;
}

/**
 * Adds the Softmax (or LogSoftmax) input as a graph output. The Softmax is the node producing
 * the graph output, possibly through Identity nodes.
 * @throws {ZkinferError} when no such Softmax exists
 */
function exposeLogits(bytes: Uint8Array, file: string | undefined): { bytes: Uint8Array; logitsName: string } {
  const model = decodeModel(bytes, file ?? 'model');
  const graph = model.graph!;
  const producer = new Map((graph.node ?? []).map((n) => [n.output?.[0] ?? '', n]));
  let node = producer.get(graph.output?.[0]?.name ?? '');
  while (node?.opType === 'Identity') node = producer.get(node.input?.[0] ?? '');
  const logitsName = node?.opType === 'Softmax' || node?.opType === 'LogSoftmax' ? node.input?.[0] : undefined;
  if (!logitsName) throw new ZkinferError(`${file}: the manifest declares a softmax transform, but the graph output is not produced by a Softmax`);
  if (!(graph.output ?? []).some((o) => o.name === logitsName)) graph.output = [...(graph.output ?? []), onnxProto.onnx.ValueInfoProto.create({ name: logitsName })];
  return { bytes: onnxProto.onnx.ModelProto.encode(model).finish(), logitsName };
}

/** A loaded onnxruntime session for a single-input model; runs any number of rows. */
export class OrtModel {
  /**
   * The batch the graph was exported with when its first input dimension is a number;
   * `undefined` for a symbolic (dynamic) batch or a scalar input.
   */
  readonly fixedBatch: number | undefined;
  private readonly prefix: string;

  private constructor(
    private readonly session: ort.InferenceSession,
    /** The graph input's name. */
    readonly inputName: string,
    /** The first graph output's name (what {@link run} returns). */
    readonly outputName: string,
    /** The input's declared shape: numbers, or names for symbolic dimensions. */
    readonly inputShape: ReadonlyArray<number | string>,
    file: string | undefined,
    /** With `exposeLogits`: the name of the final Softmax's input, an extra graph output. */
    readonly logitsName: string | undefined = undefined,
  ) {
    const first = inputShape[0];
    this.fixedBatch = typeof first === 'number' && first > 0 ? first : undefined;
    this.prefix = file ? `${file}: ` : '';
  }

  /**
   * Loads a model from bytes.
   * @throws {ZkinferError} when onnxruntime cannot load it, or with `exposeLogits` when the
   *   graph output is not produced by a Softmax or LogSoftmax
   */
  static async load(bytes: Uint8Array, options: OrtModelOptions = {}): Promise<OrtModel> {
    let logitsName: string | undefined;
    if (options.exposeLogits) ({ bytes, logitsName } = exposeLogits(bytes, options.file));
    let session: ort.InferenceSession;
    try {
      // logSeverityLevel 3: onnxruntime's own warnings (multi-line, coloured, about its graph
      // optimizations, e.g. initializers also listed as graph inputs) are not the user's business;
      // its errors still reach the catch below.
      session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });
    } catch (cause) {
      throw new ZkinferError(`${options.file ? `${options.file}: ` : ''}onnxruntime could not load the model`, { cause });
    }
    const meta = session.inputMetadata?.[0];
    const shape = meta && meta.isTensor ? meta.shape : [];
    const outputName = session.outputNames.find((n) => n !== logitsName)!;
    return new OrtModel(session, session.inputNames[0]!, outputName, shape, options.file, logitsName);
  }

  /** Every graph output's name, in order. */
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * Runs the model on a flat input of the given shape (converted to the input's element type:
   * float32, or uint8/int8/int32 for int8 models); returns the first output, flat (int64
   * outputs converted). `shape[0]` rows may differ from a fixed batch the graph declares.
   * @throws {ZkinferError} when onnxruntime fails, naming the file
   */
  async run(input: ArrayLike<number>, shape: readonly number[]): Promise<Float32Array> {
    return (await this.runOutputs(input, shape))[this.outputName]!;
  }

  /**
   * As {@link run}, returning every graph output by name.
   * @throws {ZkinferError} when onnxruntime fails, or when a fixed-batch graph's output does
   *   not have the batch as its first dimension (its rows cannot be told apart)
   */
  async runOutputs(input: ArrayLike<number>, shape: readonly number[]): Promise<Record<string, Float32Array>> {
    const batch = this.fixedBatch;
    const rows = shape[0] ?? 1;
    if (batch === undefined || shape.length === 0 || rows === batch) {
      return Object.fromEntries(Object.entries(await this.runTensor(input, shape)).map(([name, o]) => [name, o.data]));
    }
    const rowSize = shape.slice(1).reduce((a, b) => a * b, 1);
    const parts: Record<string, Float32Array>[] = [];
    for (let start = 0; start < rows; start += batch) {
      const real = Math.min(batch, rows - start);
      const chunk = new Float64Array(batch * rowSize);
      for (let r = 0; r < batch; r++) {
        const from = (start + Math.min(r, real - 1)) * rowSize;
        for (let i = 0; i < rowSize; i++) chunk[r * rowSize + i] = input[from + i]!;
      }
      const out = await this.runTensor(chunk, [batch, ...shape.slice(1)]);
      const kept: Record<string, Float32Array> = {};
      for (const [name, { data, dims }] of Object.entries(out)) {
        if (dims[0] !== batch) {
          throw new ZkinferError(`${this.prefix}output "${name}" has shape [${dims.join(', ')}], whose first dimension is not the graph's fixed batch ${batch}; cannot run ${rows} row(s) on it`);
        }
        kept[name] = data.subarray(0, (data.length / batch) * real);
      }
      parts.push(kept);
    }
    if (parts.length === 1) return parts[0]!;
    const result: Record<string, Float32Array> = {};
    for (const name of Object.keys(parts[0]!)) {
      const all = new Float32Array(parts.reduce((n, p) => n + p[name]!.length, 0));
      let at = 0;
      for (const p of parts) {
        all.set(p[name]!, at);
        at += p[name]!.length;
      }
      result[name] = all;
    }
    return result;
  }

  /** One session run: every output's data (as float32) and dimensions. */
  private async runTensor(input: ArrayLike<number>, shape: readonly number[]): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
    const meta = this.session.inputMetadata?.[0];
    const type = meta && meta.isTensor ? meta.type : 'float32';
    const data =
      type === 'uint8'
        ? Uint8Array.from(input)
        : type === 'int8'
          ? Int8Array.from(input)
          : type === 'int32'
            ? Int32Array.from(input)
            : type === 'float64'
              ? Float64Array.from(input)
              : Float32Array.from(input);
    const feeds = { [this.inputName]: new ort.Tensor(type as 'float32', data as Float32Array, shape as number[]) };
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.session.run(feeds);
    } catch (cause) {
      const reason = String((cause as Error)?.message ?? cause)
        .replace(/\s+/g, ' ')
        .trim();
      throw new ZkinferError(`${this.prefix}onnxruntime failed to run the model on an input of shape [${shape.join(', ')}]: ${reason}`, { cause });
    }
    const result: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
    for (const name of this.session.outputNames) {
      const tensor = out[name]!;
      // Integer outputs (an ArgMax at the end) come as BigInt64Array; indices are small.
      const data = tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data as ArrayLike<number | bigint>, Number);
      result[name] = { data, dims: tensor.dims };
    }
    return result;
  }

  /** Releases the native session. */
  async close(): Promise<void> {
    await this.session.release();
  }
}
