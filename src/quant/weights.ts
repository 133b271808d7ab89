/**
 * Private weights (`compile --weights hashed`, DESIGN.md "Visibility and commitments"): the
 * quantized weights and biases of a model's dense and convolution layers become private
 * signals of the circuit, bound to one public salted Poseidon commitment, so that one verification key
 * serves a private model whose identity is that commitment.
 *
 * The commitment reuses the tensor commitment of hashed inputs and outputs
 * (src/shared/commitment.ts, circuits/zkinfer/commitment.circom) segment by segment: the
 * model's weight tensors in node order (each dense or convolution layer's weights, then its bias), each
 * with its own declared range (weights: the signed range of the quantization's weight width,
 * widened to the smallest signed range holding an int8 layer's integers if they exceed it),
 * are absorbed one after another into a single chain whose first
 * state is the weight salt:
 *
 *   c₀ = salt, c_{k+1} = commitTensor(segment_k, range_k, c_k), commitment = c_last.
 *
 * Each segment's length and range are fixed by the compiled model (the manifest lists them),
 * so the chain carries no ambiguity; the circuit range-checks every value to its segment's
 * width, which makes each packing injective. A weight matrix is committed in the signed range
 * of the quantization's weight width (every quantized weight lies in it by construction); a
 * bias in the smallest signed range holding its values (biases sit at the accumulator's
 * scale, so they have no width known in advance).
 *
 * The private weights file (format `zkinfer.weights/1`, written by compile with mode 0600,
 * never inside the published artifacts folder) holds the salt and the integers; the
 * published `quantized.json` holds the model with its weight arrays emptied.
 *
 * Other model constants (a constant Add or Mul operand, a constant Concat part, PRelu's
 * per-channel slopes) would stay circuit constants: such a model is refused.
 */
import { z } from 'zod';
import { commitTensor, type ValueRange } from '../shared/commitment.js';
import { FIELD_MODULUS } from '../shared/field.js';
import { commitmentRange } from '../shared/opening.js';
import type { QConv, QLinear, QModel, QNode } from './model.js';
import { describeSource, type Graph } from '../ir/graph.js';
import { FIXED_OPS } from '../ops/registry.js';
import type { FixedOp } from '../ops/types.js';

/** Format tag of the private weights file. */
export const WEIGHTS_FORMAT = 'zkinfer.weights/1';

/**
 * The largest number of weights (weights and biases together) `--weights hashed` compiles
 * unless raised. Each private weight costs about 13.7 constraints (measured on the
 * 196-32-10 MLP: README "Private weights"), so 65,536 weights make about 900,000
 * constraints, below 2^20 with room for the activations; the local setup of a 2^20 circuit is
 * the largest this project's 2-core machine makes in minutes.
 */
export const MAX_HASHED_WEIGHTS = 65_536;

/**
 * What a private weight costs besides its products: the range check (11 constraints for a
 * 10-bit weight) and its share of the hashing (~1.7): 12.8 measured on the 196-32-10 MLP.
 */
export const CONSTRAINTS_PER_COMMITTED_WEIGHT = 13;

/**
 * The estimated constraint count a `--weights hashed` compile accepts, checked after
 * quantization and before circom (products + {@link CONSTRAINTS_PER_COMMITTED_WEIGHT} per
 * weight): 2^20, scaled with the weight limit (16 per allowed weight). It binds convolutions, whose weights
 * are each multiplied at every output position.
 */
export const MAX_HASHED_CONSTRAINTS = 2 ** 20;

/** One committed tensor of the weight chain. */
export interface WeightSegment {
  /** Index of the dense or convolution node in the quantized model's node list. */
  node: number;
  tensor: 'weight' | 'bias';
  /** Number of values. */
  count: number;
  /** The committed signed range (every value lies in it; the circuit range-checks it). */
  min: number;
  max: number;
}

/** A weight segment's circuit signal name: `w<node>` or `b<node>`. */
export const segmentSignal = (s: Pick<WeightSegment, 'node' | 'tensor'>): string => `${s.tensor === 'weight' ? 'w' : 'b'}${s.node}`;

const decimal = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, 'expected a decimal field element')
  .max(80)
  .refine((s) => BigInt(s) < FIELD_MODULUS, 'expected a field element below p');

/** The private weights file: the model owner's secret. */
export const privateWeightsSchema = z.strictObject({
  format: z.literal(WEIGHTS_FORMAT),
  /** The model id of the artifacts these weights belong to. */
  modelId: z.string().regex(/^[0-9a-f]{64}$/),
  /** The public weight commitment (a decimal field element), as the manifest records it. */
  commitment: decimal,
  /** The weight salt: a uniformly random field element. */
  salt: decimal,
  /** One entry per dense or convolution layer, in node order. */
  layers: z.array(z.strictObject({ node: z.number().int().min(0), weight: z.array(z.number().int()), bias: z.array(z.number().int()) })),
});
export type PrivateWeights = z.infer<typeof privateWeightsSchema>;

/** A node's model constants other than a dense layer's weights, which hashed weights cannot hide (its operator module says). */
function publicConstantsOf<N extends QNode>(node: N): string | undefined {
  return (FIXED_OPS[node.kind] as unknown as FixedOp<N>).publicConstants?.(node);
}

/**
 * The weight segments of a quantized model, in node order.
 * @param weightBits the signed width of the quantized weights
 * @throws {RangeError} naming the node, for a model with constants that hashed weights cannot keep private
 */
export function weightSegments(model: QModel, weightBits: number): WeightSegment[] {
  const segments: WeightSegment[] = [];
  model.nodes.forEach((node, index) => {
    const problem = publicConstantsOf(node);
    if (problem) throw new RangeError(`${describeSource(node.source)}: --weights hashed keeps only dense and convolution (Gemm, MatMul, Conv) weights private; this node has ${problem}`);
    if (node.kind !== 'linear' && node.kind !== 'conv') return;
    // the signed weight width; an int8 (QDQ) layer's integer weights may need a wider range
    let lo = -(2 ** (weightBits - 1));
    let hi = 2 ** (weightBits - 1) - 1;
    for (const w of node.weight) {
      if (w < lo) lo = w;
      if (w > hi) hi = w;
    }
    const weight = commitmentRange({ min: lo, max: hi });
    const bias = commitmentRange({ min: Math.min(0, ...node.bias), max: Math.max(0, ...node.bias) });
    segments.push({ node: index, tensor: 'weight', count: node.weight.length, ...weight });
    segments.push({ node: index, tensor: 'bias', count: node.bias.length, ...bias });
  });
  if (segments.length === 0) throw new RangeError('--weights hashed: the model has no dense or convolution layer whose weights could be private');
  return segments;
}

/**
 * The number of weights and biases of the float graph's dense layers (a dense layer without a
 * bias still gets a bias segment of zeros), counted before calibration and circom.
 */
export function graphWeightCount(graph: Graph): number {
  let n = 0;
  for (const node of graph.nodes) {
    if (node.kind === 'linear') n += node.weight.length + node.outFeatures;
    else if (node.kind === 'conv') n += node.weight.length + graph.shapes.get(node.output)![1]!;
  }
  return n;
}

/** The values of each segment, read from the model's dense nodes. */
export function segmentValues(model: QModel, segments: readonly WeightSegment[]): number[][] {
  return segments.map((s) => {
    const node = model.nodes[s.node] as QLinear | QConv;
    return s.tensor === 'weight' ? node.weight : node.bias;
  });
}

/**
 * The weight commitment: the segments absorbed in order into one salted chain.
 * @throws {RangeError} for a value outside its segment's range or a length that differs
 */
export async function commitWeights(segments: readonly WeightSegment[], values: readonly (readonly number[])[], salt: bigint): Promise<bigint> {
  let state = salt;
  for (let k = 0; k < segments.length; k++) {
    const s = segments[k]!;
    const v = values[k]!;
    if (v.length !== s.count) throw new RangeError(`${segmentSignal(s)}: ${v.length} values, expected ${s.count}`);
    const range: ValueRange = { min: s.min, max: s.max };
    try {
      state = await commitTensor(v, range, state);
    } catch (e) {
      throw new RangeError(`${segmentSignal(s)}: ${(e as Error).message}`);
    }
  }
  return state;
}

/** The model with every dense and convolution layer's weights and biases emptied (what the published quantized.json holds). */
export function stripWeights(model: QModel): QModel {
  return { ...model, nodes: model.nodes.map((n) => (n.kind === 'linear' || n.kind === 'conv' ? { ...n, weight: [], bias: [] } : n)) };
}

/** The private weights file's layers (dense and convolution), from the full model. */
export function weightLayers(model: QModel): PrivateWeights['layers'] {
  return model.nodes.flatMap((n, node) => (n.kind === 'linear' || n.kind === 'conv' ? [{ node, weight: [...n.weight], bias: [...n.bias] }] : []));
}

/**
 * Puts private weights back into a stripped model, after checking that they commit, with
 * their salt, to `commitment` and lie in the segments' ranges.
 * @returns the full model and the weights' circuit inputs
 * @throws {RangeError} naming what does not match
 */
export async function applyWeights(stripped: QModel, segments: readonly WeightSegment[], commitment: string, weights: PrivateWeights): Promise<{ model: QModel; salt: bigint; values: number[][] }> {
  if (weights.commitment !== commitment) throw new RangeError(`the weights file is for weight commitment ${weights.commitment.slice(0, 16)}…, the artifacts declare ${commitment.slice(0, 16)}…`);
  const byNode = new Map(weights.layers.map((l) => [l.node, l]));
  const nodes = stripped.nodes.map((n, i) => {
    if (n.kind !== 'linear' && n.kind !== 'conv') return n;
    const layer = byNode.get(i);
    if (!layer) throw new RangeError(`the weights file has no layer for node ${i}`);
    return { ...n, weight: layer.weight, bias: layer.bias };
  });
  if (byNode.size !== nodes.filter((n) => n.kind === 'linear' || n.kind === 'conv').length) throw new RangeError('the weights file has layers the model does not have');
  const model = { ...stripped, nodes };
  const values = segmentValues(model, segments);
  const salt = BigInt(weights.salt);
  const recomputed = await commitWeights(segments, values, salt);
  if (recomputed.toString() !== commitment) throw new RangeError('the weights and salt do not match the weight commitment');
  return { model, salt, values };
}
