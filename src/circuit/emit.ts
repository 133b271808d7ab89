/**
 * Emits the Circom `main` for a quantized model. Linear steps become linear expressions
 * over signals (no constraints); each non-linear step becomes gadget instances from the
 * hand-written library in circuits/zkinfer/ (RescaleRelu, RescaleSigned, MaxOf, …); the
 * output elements are public outputs, the input elements public inputs, and one more public
 * input, `ctx`, carries the receipt context (src/shared/context.ts: model id, time, nonce)
 * so that the proof is bound to it. The public signals are laid out as
 * [out..., in..., ctx]; a hashed tensor's values are private and its salted Poseidon
 * commitment takes their place ([outCommitment | out...], [inCommitment | in...], ctx), and a
 * packed public output is its few packed signals (outPacked, circuits/zkinfer/pack.circom). The text is a
 * pure function of the quantized model, so compilation is deterministic. The per-op rules
 * are in the operator modules (src/ops/), found through the registry.
 */
import { CompileError } from '../shared/errors.js';
import { describeSource, sizeOf } from '../ir/graph.js';
import type { QModel } from '../quant/model.js';
import type { QNode } from '../quant/model.js';
import { FIXED_OPS } from '../ops/registry.js';
import type { FixedOp } from '../ops/types.js';
import { formatExpr, signalExpr } from './linear-expr.js';
import { Emitter } from './emitter.js';
import { convPoolAt, convPoolTemplate } from './emit-conv-pool.js';
import { outputPacking, type OutputPacking, type Visibility } from '../shared/layout.js';
import { commitmentRange } from '../shared/opening.js';
import { segmentSignal, type WeightSegment } from '../quant/weights.js';

export { Emitter, type GadgetInstance } from './emitter.js';

/** Include path (relative to the repo's circuits/ folder) of the gadget library. */
export const GADGET_INCLUDE = 'zkinfer/zkinfer.circom';

/** The emitted circuit and how its public signals are laid out. */
export interface EmittedCircuit {
  source: string;
  /** Number of public output value signals (they come first in snarkjs's public signals; 0 when the output is hashed; the packed signals when packed). */
  outputs: number;
  /** The packing of a packed public output (absent: one signal per value, or hashed). */
  packing?: OutputPacking;
  /** Number of public input value signals (after the outputs; 0 when the input is hashed). */
  inputs: number;
  /** Number of commitment signals (output's, then input's, each in place of its values; then the weights'). */
  commitments: number;
  /** Number of context signals (after the inputs): 1. */
  context: 1;
  /** Gadget instances by kind, for reports. */
  gadgets: Record<string, number>;
}

/** Options for {@link emitCircuit}. */
export interface EmitOptions {
  templateName?: string;
  /** Input visibility (default public). */
  input?: Visibility;
  /** Output visibility (default public). */
  output?: Visibility;
  /**
   * Pack a public output into ⌈n / ⌊252 / bits⌋⌉ public signals (circuits/zkinfer/pack.circom,
   * src/shared/layout.ts) instead of one per value. Default false here; compile turns it on.
   */
  packOutput?: boolean;
  /**
   * Inferences proven by one proof (default 1). Above 1, the model's template is
   * instantiated that many times under a wrapper whose only public signals are `pub[N][K]`:
   * slot i is laid out as a single inference's public signals (see {@link inferencesMain}).
   * Not with private weights.
   */
  inferences?: number;
  /**
   * The weight segments of a model with private weights (`--weights hashed`, src/quant/weights.ts):
   * dense layers read them from private inputs, and a public input `weightsCommitment` must
   * equal their salted commitment chain. Absent: weights are circuit constants.
   */
  weights?: readonly WeightSegment[];
}

/** The declared integer range of the model's input: `bits`-bit signed. */
export function inputRange(model: QModel): { min: number; max: number } {
  return { min: -(2 ** (model.input.bits - 1)), max: 2 ** (model.input.bits - 1) - 1 };
}

/**
 * Text from the ONNX file (node and input names) made safe for a `//` comment: control
 * characters and Unicode line separators become `\uXXXX`, so a name cannot end its comment
 * and put code of its own into the circuit.
 */
function commentText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Emits Circom source for the model. */
export function emitCircuit(model: QModel, options: EmitOptions = {}): EmittedCircuit {
  const name = options.templateName ?? 'ZkinferModel';
  const inputVisibility = options.input ?? 'public';
  const outputVisibility = options.output ?? 'public';
  const nIn = sizeOf(model.input.shape);
  const nOut = sizeOf(model.output.shape);
  const weights = options.weights;
  const em = new Emitter(model, weights !== undefined);
  em.set(
    model.input.name,
    Array.from({ length: nIn }, (_, i) => signalExpr(`in[${i}]`)),
  );

  model.nodes.forEach((node, index) => {
    em.lines.push(`    // step ${index}: ${node.kind} from ${commentText(describeSource(node.source))}`);
    emitWith(em, node, index);
  });

  const out = em.get(model.output.name, model.nodes[model.nodes.length - 1]!.source);
  if (out.length !== nOut) throw new CompileError(`output "${model.output.name}" was not emitted with ${nOut} elements`);
  out.forEach((e, j) => em.lines.push(`    out[${j}] <== ${formatExpr(e)};`));
  // Hashed tensors: the values stay private; a salted Poseidon commitment of them (the
  // TensorCommitment gadget, range checks included) is the public signal.
  const commit = (what: 'in' | 'out', range: { min: number; max: number }, count: number) => {
    const bits = Math.max(1, (BigInt(range.max) - BigInt(range.min)).toString(2).length);
    em.gadgets.TensorCommitment = (em.gadgets.TensorCommitment ?? 0) + 1;
    em.lines.push(
      `    // ${what === 'in' ? 'input' : 'output'} commitment: ${count} values in [${range.min}, ${range.max}], ${bits} bits each`,
      `    component ${what}Commit = TensorCommitment(${count}, ${range.min}, ${bits});`,
      `    ${what}Commit.in <== ${what};`,
      `    ${what}Commit.salt <== ${what}Salt;`,
      `    ${what}Commitment <== ${what}Commit.out;`,
    );
  };
  // A packed public output: every value range-checked to its width and packed into few public
  // signals (PackValues); the packing is injective because of the range checks, whatever the
  // interval analysis says (pack.circom).
  const packed = outputVisibility === 'public' && options.packOutput === true ? outputPacking(nOut, { min: model.output.min, max: model.output.max }) : undefined;
  if (packed) {
    em.gadgets.PackValues = (em.gadgets.PackValues ?? 0) + 1;
    em.lines.push(
      `    // packed output: ${nOut} values in [${model.output.min}, ${model.output.max}], ${packed.bits} bits each, ${packed.perSignal} to a public signal`,
      `    component outPack = PackValues(${nOut}, ${model.output.min}, ${packed.bits});`,
      `    outPack.in <== out;`,
      `    outPacked <== outPack.out;`,
    );
  }
  if (outputVisibility === 'hashed') commit('out', commitmentRange({ min: model.output.min, max: model.output.max }), nOut);
  if (inputVisibility === 'hashed') commit('in', inputRange(model), nIn);
  // Private weights: each segment is absorbed into one chain started by the weight salt.
  weights?.forEach((seg, k) => {
    const bits = Math.max(1, (BigInt(seg.max) - BigInt(seg.min)).toString(2).length);
    em.gadgets.TensorCommitment = (em.gadgets.TensorCommitment ?? 0) + 1;
    em.lines.push(
      `    // weight commitment, segment ${k}: ${seg.tensor} of step ${seg.node}, ${seg.count} values in [${seg.min}, ${seg.max}], ${bits} bits each`,
      `    component wCommit${k} = TensorCommitment(${seg.count}, ${seg.min}, ${bits});`,
      `    wCommit${k}.in <== ${segmentSignal(seg)};`,
      `    wCommit${k}.salt <== ${k === 0 ? 'wSalt' : `wCommit${k - 1}.out`};`,
    );
  });
  if (weights) em.lines.push(`    weightsCommitment === wCommit${weights.length - 1}.out;`);

  const source = [
    'pragma circom 2.1.0;',
    '// Generated by zkinfer from a quantized model; do not edit.',
    `// input: ${commentText(model.input.name)} [${model.input.shape.join(', ')}] at scale 2^${model.input.scale}, ${model.input.bits}-bit signed`,
    `// output: [${model.output.shape.join(', ')}] at scale 2^${model.output.scale}`,
    `include "${GADGET_INCLUDE}";`,
    '',
    ...em.definitions.flatMap((d) => [d, '']),
    `template ${name}() {`,
    `    signal input in[${nIn}];`,
    ...(inputVisibility === 'hashed' ? ['    signal input inSalt;'] : []),
    ...(outputVisibility === 'hashed' ? ['    signal input outSalt;'] : []),
    ...(weights ? [...weights.map((seg) => `    signal input ${segmentSignal(seg)}[${seg.count}];`), '    signal input wSalt;', '    signal input weightsCommitment;'] : []),
    '    signal input ctx;',
    // public outputs come first in the public signals, in declaration order: output, then input commitment
    outputVisibility === 'hashed'
      ? `    signal out[${nOut}];\n    signal output outCommitment;`
      : packed
        ? `    signal out[${nOut}];\n    signal output outPacked[${packed.signals}];`
        : `    signal output out[${nOut}];`,
    ...(inputVisibility === 'hashed' ? ['    signal output inCommitment;'] : []),
    ...em.lines,
    '    // The receipt context enters one constraint, so the proof binds it whatever the setup does with unused public inputs.',
    '    signal ctxSquare;',
    '    ctxSquare <== ctx * ctx;',
    '}',
    '',
    ...((options.inferences ?? 1) > 1
      ? inferencesMain(name, options.inferences!, { nIn, nOut, input: inputVisibility, output: outputVisibility, packedSignals: packed?.signals })
      : [`component main {public [${inputVisibility === 'public' ? 'in, ' : ''}${weights ? 'weightsCommitment, ' : ''}ctx]} = ${name}();`]),
    '',
  ].join('\n');
  return {
    source,
    outputs: outputVisibility === 'public' ? (packed?.signals ?? nOut) : 0,
    ...(packed ? { packing: packed } : {}),
    inputs: inputVisibility === 'public' ? nIn : 0,
    commitments: (inputVisibility === 'hashed' ? 1 : 0) + (outputVisibility === 'hashed' ? 1 : 0) + (weights ? 1 : 0),
    context: 1,
    gadgets: em.gadgets,
  };
}

/**
 * The main component of a circuit proving `n` inferences: the model's template `n` times,
 * and one public input array `pub[n][K]` whose slot i is laid out exactly as a single
 * inference's public signals — output values (or the output commitment), input values (or
 * the input commitment), then slot i's receipt context. Each slot's signals are tied to its
 * copy of the model by signal equalities, which circom's --O1 substitutes away, so the
 * circuit costs n times the single model's constraints. A hashed tensor's values and salts
 * are private inputs per slot.
 */
function inferencesMain(name: string, n: number, io: { nIn: number; nOut: number; input: Visibility; output: Visibility; packedSignals?: number }): string[] {
  const outLen = io.output === 'hashed' ? 1 : (io.packedSignals ?? io.nOut);
  const inLen = io.input === 'hashed' ? 1 : io.nIn;
  const k = outLen + inLen + 1;
  const lines = [
    `// ${n} inferences per proof: slot i's public signals are pub[i] = [${io.output === 'hashed' ? 'output commitment' : io.packedSignals !== undefined ? `${io.packedSignals} packed output signals` : `${io.nOut} outputs`}, ${io.input === 'hashed' ? 'input commitment' : `${io.nIn} inputs`}, context]`,
    `template ${name}Inferences() {`,
    `    signal input pub[${n}][${k}];`,
    ...(io.input === 'hashed' ? [`    signal input in[${n}][${io.nIn}];`, `    signal input inSalt[${n}];`] : []),
    ...(io.output === 'hashed' ? [`    signal input outSalt[${n}];`] : []),
    `    component m[${n}];`,
    `    for (var i = 0; i < ${n}; i++) {`,
    `        m[i] = ${name}();`,
    // every input of the copy first, then its outputs (circom computes a component once its inputs are set)
    ...(io.input === 'hashed' ? ['        m[i].in <== in[i];', '        m[i].inSalt <== inSalt[i];'] : [`        for (var j = 0; j < ${io.nIn}; j++) m[i].in[j] <== pub[i][${outLen} + j];`]),
    ...(io.output === 'hashed' ? ['        m[i].outSalt <== outSalt[i];'] : []),
    `        m[i].ctx <== pub[i][${k - 1}];`,
    ...(io.output === 'hashed'
      ? ['        m[i].outCommitment === pub[i][0];']
      : io.packedSignals !== undefined
        ? [`        for (var j = 0; j < ${io.packedSignals}; j++) m[i].outPacked[j] === pub[i][j];`]
        : [`        for (var j = 0; j < ${io.nOut}; j++) m[i].out[j] === pub[i][j];`]),
    ...(io.input === 'hashed' ? [`        m[i].inCommitment === pub[i][${outLen}];`] : []),
    '    }',
    '}',
    '',
    `component main {public [pub]} = ${name}Inferences();`,
  ];
  return lines;
}

/** Emits one node with its operator module's rule, or a convolution and the max pooling after it together. */
function emitWith<N extends QNode>(em: Emitter, node: N, index: number): void {
  // with private weights the convolution's products are signals of its own template: no fusion
  const fused = em.hashedWeights ? undefined : convPoolAt(em.model, index);
  if (fused) {
    // A convolution read only by a max pooling is emitted with it, at the pooling's step.
    if (node.kind === 'conv') return;
    const { conv } = fused;
    const input = em.model.values[conv.input]!.shape;
    const convOut = em.model.values[conv.output]!.shape;
    const poolOut = em.model.values[node.output]!.shape;
    const name = `ConvPool${index}`;
    const windows = sizeOf(poolOut);
    em.set(node.output, em.layer(index, convPoolTemplate(name, fused, input, convOut, poolOut), name, em.get(conv.input, conv.source), windows));
    em.gadgets.MaxOf = (em.gadgets.MaxOf ?? 0) + windows;
    return;
  }
  (FIXED_OPS[node.kind] as unknown as FixedOp<N>).emit(em, node, index);
}
