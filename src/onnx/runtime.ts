/**
 * Float inference in onnxruntime-node: the fast path the TEE serves, and the float
 * baseline that quantization error is measured against.
 */
import * as ort from 'onnxruntime-node';
import { ZkinferError } from '../shared/errors.js';

/** A loaded onnxruntime session for a single-input, single-output model. */
export class OrtModel {
  private constructor(private readonly session: ort.InferenceSession, readonly inputName: string, readonly outputName: string) {}

  /**
   * Loads a model from bytes.
   * @throws {ZkinferError} when onnxruntime cannot load it
   */
  static async load(bytes: Uint8Array): Promise<OrtModel> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    } catch (cause) {
      throw new ZkinferError('onnxruntime could not load the model', { cause });
    }
    return new OrtModel(session, session.inputNames[0]!, session.outputNames[0]!);
  }

  /**
   * Runs the model on a flat input of the given shape (converted to the input's element type:
   * float32, or uint8/int8/int32 for int8 models); returns the flat output (int64 outputs converted).
   */
  async run(input: ArrayLike<number>, shape: readonly number[]): Promise<Float32Array> {
    const meta = this.session.inputMetadata?.[0];
    const type = meta && meta.isTensor ? meta.type : 'float32';
    const data =
      type === 'uint8' ? Uint8Array.from(input) : type === 'int8' ? Int8Array.from(input) : type === 'int32' ? Int32Array.from(input) : type === 'float64' ? Float64Array.from(input) : Float32Array.from(input);
    const feeds = { [this.inputName]: new ort.Tensor(type as 'float32', data as Float32Array, shape as number[]) };
    const out = await this.session.run(feeds);
    const result = out[this.outputName]!.data;
    // Integer outputs (an ArgMax at the end) come as BigInt64Array; indices are small.
    return result instanceof Float32Array ? result : Float32Array.from(result as ArrayLike<number | bigint>, Number);
  }

  /** Releases the native session. */
  async close(): Promise<void> {
    await this.session.release();
  }
}
