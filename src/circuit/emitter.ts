/**
 * The emitter's state while walking a quantized model, and the services the operator
 * modules (src/ops/) use to emit a node: the expressions of each value, generated layer
 * templates, and gadget instances grouped into homogeneous component arrays.
 */
import { CompileError } from '../shared/errors.js';
import { describeSource } from '../ir/graph.js';
import type { QModel } from '../quant/model.js';
import { formatExpr, signalExpr, type LinearExpr } from './linear-expr.js';

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

  /**
   * @param hashedWeights whether dense layers read their weights from private input signals
   *   (`w<step>`, `b<step>` of main) instead of constants (`--weights hashed`)
   */
  constructor(
    readonly model: QModel,
    readonly hashedWeights = false,
  ) {}

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
