/**
 * A convolution fused with the max pooling that alone reads it. Emitted apart, every
 * convolution output is a signal bound to its accumulator by one linear constraint (circom's
 * O1 keeps linear constraints of more than two signals), and MaxOf then compares those
 * signals. Fused, the comparisons read the accumulators as linear expressions directly:
 * each window's running maximum folds Max2's constraints (see circuits/zkinfer/max.circom)
 * over the accumulators of its taps, so the convolution outputs never become signals. The
 * constraints and their meaning are those of MaxOf over the convolution outputs, minus one
 * linear constraint per convolution output: 6,304 fewer in the LeNet example, whose circuit
 * then fits the 2^17 evaluation domain snarkjs proves over instead of 2^18.
 *
 * The exact semantics are unchanged (the reference executor still runs the convolution,
 * then the pooling), so the witness is checked against it like any other circuit.
 */
import { sizeOf, type Shape } from '../ir/graph.js';
import { windowTaps } from '../ir/window.js';
import { qNodeInputs, type QConv, type QMaxPool, type QModel } from '../quant/model.js';
import { arrayFunction, CircomBlock, convAccumulate, convChannelLoops, convHeader } from './emit-layers.js';

/** The fusion of a convolution (at `convIndex`) and the pooling after it, when it applies. */
export interface ConvPool {
  convIndex: number;
  poolIndex: number;
  conv: QConv;
  pool: QMaxPool;
  /** Taps per window (every window has the same number, at least 2). */
  taps: number;
}

/**
 * Whether the node at `index` is a convolution, or a max pooling, of a fusable pair: the
 * pooling is the only reader of the convolution's output (which is not the model's output),
 * and every window has the same number (two or more) of taps, i.e. no window is cut by
 * padding or the edge.
 */
export function convPoolAt(model: QModel, index: number): ConvPool | undefined {
  const node = model.nodes[index]!;
  let convIndex: number;
  let poolIndex: number;
  if (node.kind === 'conv') {
    convIndex = index;
    poolIndex = model.nodes.findIndex((n) => qNodeInputs(n).includes(node.output));
  } else if (node.kind === 'maxPool') {
    poolIndex = index;
    convIndex = model.nodes.findIndex((n) => n.output === node.input);
  } else return undefined;
  if (convIndex < 0 || poolIndex < 0) return undefined;
  const conv = model.nodes[convIndex]!;
  const pool = model.nodes[poolIndex]!;
  if (conv.kind !== 'conv' || pool.kind !== 'maxPool' || pool.input !== conv.output) return undefined;
  if (conv.output === model.output.name) return undefined;
  if (model.nodes.some((n, i) => i !== poolIndex && qNodeInputs(n).includes(conv.output))) return undefined;
  const convOut = model.values[conv.output]!.shape;
  const taps = windowTaps(pool.window, convOut.slice(2), model.values[pool.output]!.shape.slice(2));
  const first = taps.start[1]! - taps.start[0]!;
  if (first < 2) return undefined;
  for (let o = 1; o < taps.outputs; o++) if (taps.start[o + 1]! - taps.start[o]! !== first) return undefined;
  return { convIndex, poolIndex, conv, pool, taps: first };
}

/**
 * A template computing max pooling over a convolution's outputs without making them
 * signals: y[n, m, q] = max over the taps t of conv(x)[n, m, tap(q, t)]. The taps of each
 * pooled position are a constant table of flat convolution-output positions; each is
 * turned back into coordinates o0, o1, … and its accumulator computed in place.
 * Per window of K taps: K − 1 comparisons of `pool.bits + 1` bits, each b + 2 quadratic
 * constraints and one linear, as Max2(b).
 */
export function convPoolTemplate(name: string, fused: ConvPool, input: Shape, convOut: Shape, poolOut: Shape): string {
  const { conv, pool, taps: k } = fused;
  const b = pool.bits;
  const outChannels = convOut[1]!;
  const convSpatial = convOut.slice(2);
  const pooled = sizeOf(poolOut.slice(2));
  const table = windowTaps(pool.window, convSpatial, poolOut.slice(2));
  const windows = sizeOf(poolOut);
  const code = new CircomBlock();
  code.add(`signal cmp[${windows}][${k - 1}][${b + 1}];`);
  code.add(`signal run[${windows}][${k - 1}];`);
  code.add(`var taps[${pooled * k}] = ${name}_taps();`);
  convChannelLoops(code, conv, input, convOut);
  code.open(`for (var q = 0; q < ${pooled}; q++) {`);
  code.add(`var yi = (n * ${outChannels} + m) * ${pooled} + q;`);
  code.add('var best = 0;');
  code.open(`for (var t = 0; t < ${k}; t++) {`);
  code.add(`var flat = taps[q * ${k} + t];`);
  for (let a = convSpatial.length - 1; a >= 0; a--) {
    code.add(`var o${a} = flat % ${convSpatial[a]};`);
    if (a > 0) code.add(`flat = flat \\ ${convSpatial[a]};`);
  }
  convAccumulate(code, conv, input);
  code.open('if (t == 0) {');
  code.add('best = acc;');
  code.close();
  code.open('if (t > 0) {');
  // Max2(b) on (best, acc), written out: bits of best − acc + 2^b, the top one is best ≥ acc.
  code.add(`var d = best - acc + ${2n ** BigInt(b)};`);
  code.add('var sum = 0;');
  code.add('var e2 = 1;');
  code.open(`for (var i = 0; i <= ${b}; i++) {`);
  code.add('cmp[yi][t - 1][i] <-- (d >> i) & 1;');
  code.add('cmp[yi][t - 1][i] * (cmp[yi][t - 1][i] - 1) === 0;');
  code.add('sum += cmp[yi][t - 1][i] * e2;');
  code.add('e2 += e2;');
  code.close();
  code.add(`sum === best - acc + ${2n ** BigInt(b)};`);
  code.add(`run[yi][t - 1] <== acc + cmp[yi][t - 1][${b}] * (best - acc);`);
  code.add('best = run[yi][t - 1];');
  code.close();
  code.close();
  code.add('y[yi] <== best;');
  code.closeAll();
  const flatTaps = Array.from(table.inputIndex);
  return [arrayFunction(`${name}_taps`, flatTaps), ...convHeader(name, conv, input, convOut, windows), ...code.lines, '}'].join('\n');
}
