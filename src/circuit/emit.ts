/**
 * Emits the Circom `main` for a quantized model. Linear steps become linear expressions
 * over signals (no constraints); each non-linear step becomes gadget instances from the
 * hand-written library in circuits/zkinfer/ (RescaleRelu, RescaleSigned, MaxOf, …); the
 * output elements are public outputs, the input elements public inputs, and one more public
 * input, `ctx`, carries the receipt context (src/shared/context.ts: model id, time, nonce)
 * so that the proof is bound to it. The public signals are laid out as
 * [out..., in..., ctx]. The text is a
 * pure function of the quantized model, so compilation is deterministic. The per-kind rules
 * are in ./emit-nodes.ts.
 */
import { CompileError } from '../shared/errors.js';
import { describeSource, sizeOf } from '../ir/graph.js';
import type { QModel } from '../quant/model.js';
import { formatExpr, signalExpr, type LinearExpr } from './linear-expr.js';
import { emitNode } from './emit-nodes.js';

/** Include path (relative to the repo's circuits/ folder) of the gadget library. */
export const GADGET_INCLUDE = 'zkinfer/zkinfer.circom';

/** The emitted circuit and how its public signals are laid out. */
export interface EmittedCircuit {
  source: string;
  /** Number of public output signals (they come first in snarkjs's public signals). */
  outputs: number;
  /** Number of public input signals (after the outputs). */
  inputs: number;
  /** Number of context signals (after the inputs): 1. */
  context: 1;
  /** Gadget instances by kind, for reports. */
  gadgets: Record<string, number>;
}

/** One gadget instance: its template call and the expressions wired to its inputs. */
export interface GadgetInstance {
  /** e.g. `RescaleRelu(8, 12)`. */
  call: string;
  /** Input signal name (e.g. `in` or `in[2]`) → expression. */
  inputs: ReadonlyArray<readonly [string, LinearExpr]>;
}

/** The emitter's state while walking the model. */
export class Emitter {
  readonly lines: string[] = [];
  /** Templates and functions generated for this model (layers), placed before the main template. */
  readonly definitions: string[] = [];
  readonly gadgets: Record<string, number> = {};
  private readonly env = new Map<string, LinearExpr[]>();

  constructor(readonly model: QModel) {}

  /** The expressions of a value, one per element (row-major). */
  get(name: string, source: Parameters<typeof describeSource>[0]): LinearExpr[] {
    const x = this.env.get(name);
    if (!x) throw new CompileError(`${describeSource(source)}: input "${name}" was not emitted`);
    return x;
  }

  set(name: string, exprs: LinearExpr[]): void {
    this.env.set(name, exprs);
  }

  /**
   * Adds a generated layer template (see ./emit-layers.ts), instantiates it once for step
   * `index`, wires its input array `x` and returns the expressions of its outputs `y`.
   */
  layer(index: number, definition: string, template: string, x: readonly LinearExpr[], outputs: number): LinearExpr[] {
    this.definitions.push(definition);
    const comp = `s${index}`;
    this.lines.push(`    component ${comp} = ${template}();`);
    x.forEach((e, i) => this.lines.push(`    ${comp}.x[${i}] <== ${formatExpr(e)};`));
    return Array.from({ length: outputs }, (_, j) => signalExpr(`${comp}.y[${j}]`));
  }

  /**
   * Declares gadget instances for step `index` (one component array per distinct template
   * call, so arrays stay homogeneous), wires their inputs and returns the expression of each
   * instance's `out` signal, in order.
   */
  instantiate(index: number, instances: readonly GadgetInstance[], tag = ''): LinearExpr[] {
    return this.instantiateWith(index, instances, tag, ['out'])[0]!;
  }

  /** As {@link instantiate}, returning the expressions of each named output signal. */
  instantiateWith(index: number, instances: readonly GadgetInstance[], tag: string, outputs: readonly string[]): LinearExpr[][] {
    const groups = new Map<string, number[]>();
    instances.forEach((g, i) => {
      const list = groups.get(g.call);
      if (list) list.push(i);
      else groups.set(g.call, [i]);
    });
    const outs = outputs.map(() => new Array<LinearExpr>(instances.length));
    let groupIndex = 0;
    for (const [call, members] of groups) {
      const comp = groups.size === 1 ? `g${index}${tag}` : `g${index}${tag}_${groupIndex++}`;
      const template = call.slice(0, call.indexOf('('));
      this.gadgets[template] = (this.gadgets[template] ?? 0) + members.length;
      this.lines.push(`    component ${comp}[${members.length}];`);
      this.lines.push(`    for (var j = 0; j < ${members.length}; j++) { ${comp}[j] = ${call}; }`);
      members.forEach((m, j) => {
        for (const [signal, e] of instances[m]!.inputs) this.lines.push(`    ${comp}[${j}].${signal} <== ${formatExpr(e)};`);
        outputs.forEach((o, k) => (outs[k]![m] = signalExpr(`${comp}[${j}].${o}`)));
      });
    }
    return outs;
  }
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
export function emitCircuit(model: QModel, options: { templateName?: string } = {}): EmittedCircuit {
  const name = options.templateName ?? 'ZkinferModel';
  const nIn = sizeOf(model.input.shape);
  const nOut = sizeOf(model.output.shape);
  const em = new Emitter(model);
  em.set(model.input.name, Array.from({ length: nIn }, (_, i) => signalExpr(`in[${i}]`)));

  model.nodes.forEach((node, index) => {
    em.lines.push(`    // step ${index}: ${node.kind} from ${commentText(describeSource(node.source))}`);
    emitNode(em, node, index);
  });

  const out = em.get(model.output.name, model.nodes[model.nodes.length - 1]!.source);
  if (out.length !== nOut) throw new CompileError(`output "${model.output.name}" was not emitted with ${nOut} elements`);
  out.forEach((e, j) => em.lines.push(`    out[${j}] <== ${formatExpr(e)};`));

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
    '    signal input ctx;',
    `    signal output out[${nOut}];`,
    ...em.lines,
    '    // The receipt context enters one constraint, so the proof binds it whatever the setup does with unused public inputs.',
    '    signal ctxSquare;',
    '    ctxSquare <== ctx * ctx;',
    '}',
    '',
    `component main {public [in, ctx]} = ${name}();`,
    '',
  ].join('\n');
  return { source, outputs: nOut, inputs: nIn, context: 1, gadgets: em.gadgets };
}
