/**
 * The exact constraint count of a model circuit under O1 (MODEL_OPTIMIZATION), predicted
 * from the quantized model and the gadget costs asserted in test/circuits. Under O1 circom
 * removes only signal = signal and signal = constant equalities, so besides each gadget's
 * own constraints every binding of a gadget (or layer) input to a linear expression that is
 * not a bare signal costs one linear constraint, every layer output (y = Σ w·x) one, and
 * every public output that is not a bare signal one. Which values are bare signals follows
 * from the node kinds: layer, gadget and product outputs are; constants, sums and scaled
 * values are not; moves (reshape, transpose, pad, concat) keep the bareness of what they move.
 */
import { sizeOf } from '../../src/ir/graph.js';
import { windowTaps } from '../../src/ir/window.js';
import { concatIndex, padIndex, transposeIndex } from '../../src/ir/gather.js';
import type { QModel } from '../../src/quant/model.js';

/** Gadget costs under O1 (test/circuits): internal constraints, excluding input bindings. */
const O1 = {
  rescale: (k: number, b: number) => k + b + 2,
  max2: (b: number) => b + 4,
  argMax: (n: number, b: number) => n * (b + 4) + 2,
};

/** Expected O1 constraint count of the emitted circuit. */
export function expectedConstraintsO1(model: QModel): number {
  const bare = new Map<string, boolean[]>([[model.input.name, new Array<boolean>(sizeOf(model.input.shape)).fill(true)]]);
  const shape = (name: string) => model.values[name]!.shape;
  let n = 0;
  const bind = (flags: readonly boolean[]) => flags.reduce((s, f) => s + (f ? 0 : 1), 0);
  for (const node of model.nodes) {
    const x = bare.get(node.input)!;
    const count = sizeOf(shape(node.output));
    let y: boolean[];
    switch (node.kind) {
      case 'linear':
      case 'conv':
        n += bind(x) + count;
        y = new Array<boolean>(count).fill(true);
        break;
      case 'rescale':
        n += bind(x) + x.length * O1.rescale(node.shift, node.bits);
        y = new Array<boolean>(count).fill(true);
        break;
      case 'leakyRelu':
        n += bind(x) + x.length * O1.rescale(node.shift, node.bits);
        y = new Array<boolean>(count).fill(true);
        break;
      case 'maxPool': {
        const input = shape(node.input);
        const taps = windowTaps(node.window, input.slice(2), shape(node.output).slice(2));
        const inSize = sizeOf(input.slice(2));
        y = [];
        for (let p = 0; p < input[0]! * input[1]!; p++) {
          for (let o = 0; o < taps.outputs; o++) {
            const window = Array.from({ length: taps.start[o + 1]! - taps.start[o]! }, (_, j) => x[p * inSize + taps.inputIndex[taps.start[o]! + j]!]!);
            if (window.length === 1) {
              y.push(window[0]!);
              continue;
            }
            n += bind(window) + (window.length - 1) * O1.max2(node.bits);
            y.push(true);
          }
        }
        break;
      }
      case 'clamp':
        y = x.map((f) => {
          let flag = f;
          if (node.min !== null) {
            n += (flag ? 0 : 1) + O1.max2(node.minBits);
            flag = true;
          }
          if (node.max !== null) {
            n += (flag ? 0 : 1) + O1.max2(node.maxBits);
            flag = false;
          }
          return flag;
        });
        break;
      case 'argMax': {
        const len = shape(node.input)[node.axis]!;
        n += bind(x) + (x.length / len) * O1.argMax(len, node.bits);
        y = new Array<boolean>(count).fill(!node.selectLast);
        break;
      }
      case 'mul':
        n += count;
        y = new Array<boolean>(count).fill(true);
        break;
      case 'add':
      case 'addConst':
      case 'mulConst':
      case 'sumPool':
        y = new Array<boolean>(count).fill(false);
        break;
      case 'reshape':
        y = x;
        break;
      case 'transpose':
        y = Array.from(transposeIndex(shape(node.input), node.perm), (i) => x[i]!);
        break;
      case 'pad':
        y = Array.from(padIndex(shape(node.input), node.pads, node.mode), (i) => i >= 0 && x[i]!);
        break;
      case 'concat': {
        const parts = node.parts.map((p) => ('value' in p ? { shape: shape(p.value), flags: bare.get(p.value)!.map((f) => f && p.shift === 0) } : { shape: p.shape, flags: p.constant.map(() => false) }));
        const { part, index } = concatIndex(parts.map((p) => p.shape), node.axis);
        y = Array.from(part, (p, i) => parts[p]!.flags[index[i]!]!);
        break;
      }
      default:
        node satisfies never;
        throw new Error('unreachable');
    }
    bare.set(node.output, y);
  }
  return n + bind(bare.get(model.output.name)!);
}
