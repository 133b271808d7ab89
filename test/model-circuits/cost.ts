/**
 * The exact constraint count of a model circuit under O1 (MODEL_OPTIMIZATION), predicted
 * from the quantized model and the gadget costs asserted in test/gadgets. Under O1 circom
 * removes only equalities between a signal and another signal or a constant, and never
 * removes a public signal. So besides each gadget's own constraints:
 * - binding a gadget (or layer) input to a linear expression that is neither a bare signal
 *   nor a constant costs one linear constraint;
 * - every layer output (y = Σ w·x) costs one;
 * - every public output costs one unless it is a bare private signal (a public input or a
 *   constant cannot be substituted for it).
 * - a convolution read only by a max pooling whose windows all have every tap of the
 *   pooling kernel (≥ 2) is emitted inside the pooling's template: its outputs stay expressions there,
 *   so they cost nothing and the comparisons need no input bindings.
 * What each element is follows from the node kinds: layer, gadget and product outputs are
 * private signals, the model input public ones; sums and scaled values are expressions;
 * moves (reshape, transpose, pad, concat) keep what they move.
 */
import { sizeOf } from '../../src/ir/graph.js';
import { windowTaps } from '../../src/ir/window.js';
import { concatIndex, padIndex, transposeIndex } from '../../src/ir/gather.js';
import type { QModel } from '../../src/quant/model.js';

/** What the circuit holds for one element of a value. */
type Kind = 'private' | 'public' | 'const' | 'expr';

/** Gadget costs under O1 (test/gadgets): internal constraints, excluding input bindings. */
const O1 = {
  rescale: (k: number, b: number) => k + b + 2,
  max2: (b: number) => b + 3,
  argMax: (n: number, b: number) => n * (b + 4) + (n === 2 ? 1 : 2),
  /** ThresholdedRelu(b, t) (test/gadgets/relu.test.ts). */
  thresholdedRelu: (b: number) => b + 3,
  /** Requantize(k, b, j, relu, c) (test/gadgets/requantize.test.ts). */
  requantize: (k: number, b: number, j: number, relu: boolean) => k + b + (j === 0 ? 2 : relu ? (b === j + 2 ? 3 : 5) : b === j + 1 ? 5 : 10),
};

const fill = (n: number, k: Kind): Kind[] => new Array<Kind>(n).fill(k);
/** Constraints for binding gadget or layer inputs. */
const bind = (kinds: readonly Kind[]) => kinds.filter((k) => k === 'expr').length;

/** Expected O1 constraint count of the emitted circuit. */
export function expectedConstraintsO1(model: QModel): number {
  const kinds = new Map<string, Kind[]>([[model.input.name, fill(sizeOf(model.input.shape), 'public')]]);
  const shape = (name: string) => model.values[name]!.shape;
  const readers = (name: string) => model.nodes.filter((m) => m.input === name || ('other' in m && m.other === name) || ('parts' in m && m.parts.some((p) => 'value' in p && p.value === name)));
  /** Tap counts of a pooling's windows when they are all equal (else undefined). */
  const uniformTaps = (pool: QModel['nodes'][number] & { kind: 'maxPool' }) => {
    const taps = windowTaps(pool.window, shape(pool.input).slice(2), shape(pool.output).slice(2));
    const counts = new Set(Array.from({ length: taps.outputs }, (_, o) => taps.start[o + 1]! - taps.start[o]!));
    return counts.size === 1 ? [...counts][0]! : undefined;
  };
  const fusedInto = (node: QModel['nodes'][number]) => {
    if (node.kind !== 'conv' || node.output === model.output.name) return undefined;
    const r = readers(node.output);
    const pool = r.length === 1 && r[0]!.kind === 'maxPool' ? r[0]! : undefined;
    return pool && pool.kind === 'maxPool' && (uniformTaps(pool) ?? 0) >= 2 && uniformTaps(pool) === sizeOf(pool.window.kernel) ? pool : undefined;
  };
  const fused = new Set(model.nodes.filter((m) => fusedInto(m)).map((m) => m.output));
  let n = 0;
  for (const node of model.nodes) {
    const x = kinds.get(node.input)!;
    const count = sizeOf(shape(node.output));
    let y: Kind[];
    switch (node.kind) {
      case 'linear':
      case 'conv':
        n += bind(x) + (fused.has(node.output) ? 0 : count);
        y = fill(count, fused.has(node.output) ? 'expr' : 'private');
        break;
      case 'rescale':
      case 'leakyRelu':
        // RescaleHalfEven adds the tie flag and its check (two constraints); a multiplier or a
        // saturation makes it a Requantize gadget.
        if (node.kind === 'rescale' && (node.multiplier || node.saturate !== undefined)) n += bind(x) + x.length * O1.requantize(node.shift, node.bits, node.saturate ?? 0, node.relu);
        else n += bind(x) + x.length * (O1.rescale(node.shift, node.bits) + (node.kind === 'rescale' && node.halfEven ? 2 : 0));
        y = fill(count, 'private');
        break;
      case 'maxPool': {
        if (fused.has(node.input)) {
          n += count * (uniformTaps(node)! - 1) * O1.max2(node.bits);
          y = fill(count, 'private');
          break;
        }
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
            y.push('private');
          }
        }
        break;
      }
      case 'clamp':
        y = x.map((k) => {
          let kind = k;
          if (node.min !== null) {
            n += bind([kind]) + O1.max2(node.minBits);
            kind = 'private';
          }
          if (node.max !== null) {
            n += bind([kind]) + O1.max2(node.maxBits);
            kind = 'expr';
          }
          return kind;
        });
        break;
      case 'squash': {
        // RescaleAbs, then a Max2 per further line (inputs: the running minimum and the line), then SignApply.
        const line = node.slopes.map((a, i): Kind => (a === 0 ? 'const' : a === 1 && node.offsets[i] === 0 ? 'private' : 'expr'));
        let perElement = O1.rescale(node.shift, node.bits);
        let h = line[0]!;
        for (let i = 1; i < node.slopes.length; i++) {
          perElement += O1.max2(node.compareBits[i - 1]!) + bind([h, line[i]!]);
          h = 'expr';
        }
        perElement += 1 + bind([h]);
        n += bind(x) + x.length * perElement;
        y = fill(count, 'private');
        break;
      }
      case 'argMax': {
        const len = shape(node.input)[node.axis]!;
        n += bind(x) + (x.length / len) * O1.argMax(len, node.bits);
        y = fill(count, node.selectLast ? 'expr' : 'private');
        break;
      }
      case 'mul':
        n += count;
        y = fill(count, 'private');
        break;
      case 'addConst':
        // x + 0 is x itself
        y = x.map((k, i) => (k === 'const' || node.constant[i] === 0 ? k : 'expr'));
        break;
      case 'mulConst':
        // x·1 is x itself, x·0 the constant 0
        y = x.map((k, i) => (k === 'const' || node.constant[i] === 0 ? 'const' : node.constant[i] === 1 ? k : 'expr'));
        break;
      case 'add':
      case 'sumPool':
        y = fill(count, 'expr');
        break;
      case 'reshape':
        y = x;
        break;
      case 'transpose':
        y = Array.from(transposeIndex(shape(node.input), node.perm), (i) => x[i]!);
        break;
      case 'pad':
        y = Array.from(padIndex(shape(node.input), node.pads, node.mode), (i): Kind => (i < 0 ? 'const' : x[i]!));
        break;
      case 'concat': {
        const parts = node.parts.map((p) =>
          'value' in p ? { shape: shape(p.value), kinds: kinds.get(p.value)!.map((k): Kind => (p.shift === 0 ? k : 'expr')) } : { shape: p.shape, kinds: fill(p.constant.length, 'const') },
        );
        const { part, index } = concatIndex(
          parts.map((p) => p.shape),
          node.axis,
        );
        y = Array.from(part, (p, i) => parts[p]!.kinds[index[i]!]!);
        break;
      }
      case 'gather': {
        const parts = node.parts.map((p) => ('value' in p ? kinds.get(p.value)!.map((k): Kind => (p.shift === 0 ? k : 'expr')) : fill(p.constant.length, 'const')));
        y = node.part.map((p, i) => parts[p]![node.index[i]!]!);
        break;
      }
      case 'reduceSum':
        y = node.windows.map((w) => (w.length === 1 ? x[w[0]!]! : 'expr'));
        break;
      case 'reduceMax':
        y = node.windows.map((w) => {
          if (w.length === 1) return x[w[0]!]!;
          n += bind(w.map((i) => x[i]!)) + (w.length - 1) * O1.max2(node.bits);
          return 'private';
        });
        break;
      case 'thresholdedRelu':
        n += bind(x) + x.length * O1.thresholdedRelu(node.bits);
        y = fill(count, 'private');
        break;
      default:
        node satisfies never;
        throw new Error('unreachable');
    }
    kinds.set(node.output, y);
  }
  // each output that is not already a gadget's signal is bound by one linear constraint; the context is squared once
  return n + kinds.get(model.output.name)!.filter((k) => k !== 'private').length + 1;
}
