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

  /** Runs the model on a flat float input of the given shape; returns the flat output (int64 outputs converted). */
  async run(input: ArrayLike<number>, shape: readonly number[]): Promise<Float32Array> {
    const feeds = { [this.inputName]: new ort.Tensor('float32', Float32Array.from(input), shape as number[]) };
    const out = await this.session.run(feeds);
    const data = out[this.outputName]!.data;
    // Integer outputs (an ArgMax at the end) come as BigInt64Array; indices are small.
    return data instanceof BigInt64Array ? Float32Array.from(data, Number) : (data as Float32Array);
  }

  /** Releases the native session. */
  async close(): Promise<void> {
    await this.session.release();
  }
}
