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
 * Each window is a component of one template per output channel, fed the window's input
 * patch, so circom generates the comparisons' constraints once per channel and not once per
 * window (see convPoolTemplate for why that matters to compile time).
 *
 * The exact semantics are unchanged (the reference executor still runs the convolution,
 * then the pooling), so the witness is checked against it like any other circuit.
 */
import { sizeOf, type Shape } from '../ir/graph.js';
import { windowTaps } from '../ir/window.js';
import { qNodeInputs, type QConv, type QMaxPool, type QModel } from '../quant/model.js';
import { arrayFunction, CircomBlock } from './emit-layers.js';

/** The fusion of a convolution (at `convIndex`) and the pooling after it, when it applies. */
export interface ConvPool {
  convIndex: number;
  poolIndex: number;
  conv: QConv;
  pool: QMaxPool;
  /** Taps per window: every window has all the pooling kernel's taps, at least 2. */
  taps: number;
}

/**
 * Whether the node at `index` is a convolution, or a max pooling, of a fusable pair: the
 * pooling is the only reader of the convolution's output (which is not the model's output),
 * and every window has all the taps of the pooling kernel (two or more), i.e. no window is cut
 * by padding or the edge.
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
  if (first < 2 || first !== sizeOf(pool.window.kernel)) return undefined;
  for (let o = 1; o < taps.outputs; o++) if (taps.start[o + 1]! - taps.start[o]! !== first) return undefined;
  return { convIndex, poolIndex, conv, pool, taps: first };
}

/** Where one window's input patch lies: per spatial axis, its size and its start for each pooled position. */
interface Patch {
  /** Patch extent per spatial axis. */
  box: number[];
  /** Input elements per patch: input channels of a group × the box. */
  size: number;
  /** Per tap t and weight index j (layout [c, k0, k1, …]), the patch element the weight multiplies. */
  index: number[];
  /** Start of the patch along axis a for pooled position q_a: q_a · step[a] − offset[a]. */
  step: number[];
  offset: number[];
  /** Per patch element, its input offset from the patch's first element (input spatial extent `inSpatial`). */
  rel(inSpatial: Shape): number[];
  /** Per patch element, its coordinate along axis a inside the box. */
  at(a: number): number[];
}

/**
 * The input patch a pooling window reads through the convolution. Along axis a, tap tt of
 * pooled position q sits at convolution output (q·s − p + tt·d) (pooling stride s, pad p,
 * dilation d), and kernel element kk of that output at input (o·S − P + kk·D) (the
 * convolution's): the patch starts at (q·s − p)·S − P and element (tt, kk) lies tt·d·S + kk·D
 * into it, the same for every window.
 */
function patchOf(conv: QConv, pool: QMaxPool, channels: number): Patch {
  const rank = conv.window.kernel.length;
  const c = conv.window;
  const p = pool.window;
  const box = Array.from({ length: rank }, (_, a) => (p.kernel[a]! - 1) * p.dilations[a]! * c.strides[a]! + (c.kernel[a]! - 1) * c.dilations[a]! + 1);
  const boxSize = sizeOf(box);
  const index: number[] = [];
  const tap = new Array<number>(rank).fill(0);
  for (let t = 0; t < sizeOf(p.kernel); t++) {
    for (let a = rank - 1, r = t; a >= 0; a--) {
      tap[a] = r % p.kernel[a]!;
      r = Math.floor(r / p.kernel[a]!);
    }
    for (let ch = 0; ch < channels; ch++) {
      for (let kk = 0; kk < sizeOf(c.kernel); kk++) {
        let flat = 0;
        for (let a = 0, r = kk, stride = sizeOf(c.kernel); a < rank; a++) {
          stride /= c.kernel[a]!;
          const k = Math.floor(r / stride);
          r %= stride;
          flat = flat * box[a]! + tap[a]! * p.dilations[a]! * c.strides[a]! + k * c.dilations[a]!;
        }
        index.push(ch * boxSize + flat);
      }
    }
  }
  return {
    box,
    size: channels * boxSize,
    index,
    step: Array.from({ length: rank }, (_, a) => p.strides[a]! * c.strides[a]!),
    offset: Array.from({ length: rank }, (_, a) => p.pads[a]! * c.strides[a]! + c.pads[a]!),
    rel: (inSpatial) =>
      Array.from({ length: channels * boxSize }, (_, i) => {
        let r = i % boxSize;
        let off = 0;
        for (let a = rank - 1, stride = 1; a >= 0; a--) {
          off += (r % box[a]!) * stride;
          r = Math.floor(r / box[a]!);
          stride *= inSpatial[a]!;
        }
        return Math.floor(i / boxSize) * sizeOf(inSpatial) + off;
      }),
    at: (axis) => Array.from({ length: channels * boxSize }, (_, i) => Math.floor((i % boxSize) / sizeOf(box.slice(axis + 1))) % box[axis]!),
  };
}

/**
 * A template computing max pooling over a convolution's outputs without making them
 * signals: y[n, m, q] = max over the taps t of conv(x)[n, m, tap(q, t)].
 *
 * Each window is a component of a window template per output channel (`<name>_win(m)`),
 * whose input is the window's patch of the layer input (bare signals, or 0 where the
 * convolution pads: equalities O1 removes, so they cost no constraint). circom executes a
 * template once per distinct parameters and reuses the result for every component, so
 * constraint generation runs once per channel rather than once per window; a single template
 * holding every window's comparisons took circom most of a minute on the LeNet example (its
 * interpreter also walks a whole signal array on each element assigned, quadratic in a layer's
 * comparison bits).
 *
 * Per window of K taps: K − 1 comparisons of `pool.bits + 1` bits, each b + 2 quadratic
 * constraints and one linear, as Max2(b). Comparing the running maximum r with the
 * accumulator a writes the bits of d = r − a + 2^b (their sum equals d: the one linear
 * constraint, and the only one a appears in), and the next running maximum is
 * r − (1 − s)·(Σ bits − 2^b), s the top bit: r when r ≥ a, else a. So the accumulators'
 * long linear expressions stay out of the quadratic constraints (only the first tap's, as
 * the first r, enters one).
 */
export function convPoolTemplate(name: string, fused: ConvPool, input: Shape, convOut: Shape, poolOut: Shape): string {
  const { conv, pool, taps: k } = fused;
  const b = pool.bits;
  const outChannels = convOut[1]!;
  const cPerGroup = input[1]! / conv.group;
  const mPerGroup = outChannels / conv.group;
  const perChannel = cPerGroup * sizeOf(conv.window.kernel);
  const inSpatial = input.slice(2);
  const pooledSpatial = poolOut.slice(2);
  const pooled = sizeOf(pooledSpatial);
  const rank = inSpatial.length;
  const patch = patchOf(conv, pool, cPerGroup);
  const padded = conv.window.pads.some((p) => p !== 0);
  const two = 2n ** BigInt(b);

  const win = new CircomBlock();
  win.add(`signal input x[${patch.size}];`);
  win.add('signal output y;');
  win.add(`var w[${perChannel}] = ${name}_w(m);`);
  win.add(`var bias = ${name}_b(m);`);
  win.add(`var idx[${k * perChannel}] = ${name}_idx();`);
  win.add(`signal cmp[${k - 1}][${b + 1}];`);
  win.add(`signal run[${k - 1}];`);
  win.add('var best = 0;');
  win.open(`for (var t = 0; t < ${k}; t++) {`);
  win.add('var acc = bias;');
  win.add(`var it = t * ${perChannel};`);
  win.open(`for (var j = 0; j < ${perChannel}; j++) {`);
  win.add('acc += w[j] * x[idx[it + j]];');
  win.close();
  win.open('if (t == 0) {');
  win.add('best = acc;');
  win.close();
  win.open('if (t > 0) {');
  // Max2(b) on (best, acc), written out: the bits of best − acc + 2^b, the top one is best ≥ acc.
  win.add(`var d = best - acc + ${two};`);
  win.add('var sum = 0;');
  win.add('var e2 = 1;');
  win.open(`for (var i = 0; i <= ${b}; i++) {`);
  win.add('cmp[t - 1][i] <-- (d >> i) & 1;');
  win.add('cmp[t - 1][i] * (cmp[t - 1][i] - 1) === 0;');
  win.add('sum += cmp[t - 1][i] * e2;');
  win.add('e2 += e2;');
  win.close();
  win.add('sum === d;');
  win.add(`run[t - 1] <== best - (1 - cmp[t - 1][${b}]) * (sum - ${two});`);
  win.add('best = run[t - 1];');
  win.close();
  win.close();
  win.add('y <== best;');

  const main = new CircomBlock();
  main.add(`signal input x[${sizeOf(input)}];`);
  main.add(`signal output y[${sizeOf(poolOut)}];`);
  main.add(`component win[${sizeOf(poolOut)}];`);
  main.add(`var rel[${patch.size}] = ${name}_rel();`);
  if (padded) for (let a = 0; a < rank; a++) main.add(`var at${a}[${patch.size}] = ${name}_at${a}();`);
  main.open(`for (var n = 0; n < ${input[0]}; n++) {`);
  main.open(`for (var m = 0; m < ${outChannels}; m++) {`);
  main.add(`var g = m \\ ${mPerGroup};`);
  main.open(`for (var q = 0; q < ${pooled}; q++) {`);
  main.add(`var yi = (n * ${outChannels} + m) * ${pooled} + q;`);
  main.add(`win[yi] = ${name}_win(m);`);
  main.add('var r = q;');
  for (let a = rank - 1; a >= 0; a--) {
    main.add(`var s${a} = (r % ${pooledSpatial[a]}) * ${patch.step[a]}${patch.offset[a] ? ` - ${patch.offset[a]}` : ''};`);
    if (a > 0) main.add(`r = r \\ ${pooledSpatial[a]};`);
  }
  // The patch element i is input element base + rel[i] when the whole patch lies inside the
  // input; a window that reaches into the convolution's padding checks each element.
  let base = `(n * ${input[1]} + g * ${cPerGroup}) * ${sizeOf(inSpatial)}`;
  for (let a = 0; a < rank; a++) base += ` + s${a} * ${sizeOf(inSpatial.slice(a + 1))}`;
  main.add(`var base = ${base};`);
  const fast = [`for (var i = 0; i < ${patch.size}; i++) {`, `    win[yi].x[i] <== x[base + rel[i]];`, '}'];
  if (!padded) fast.forEach((line) => (line.startsWith('for') ? main.open(line) : line === '}' ? main.close() : main.add(line.trim())));
  else {
    main.add(`var inside = ${Array.from({ length: rank }, (_, a) => `s${a} >= 0 && s${a} <= ${inSpatial[a]! - patch.box[a]!}`).join(' && ')};`);
    main.open('if (inside) {');
    fast.forEach((line) => (line.startsWith('for') ? main.open(line) : line === '}' ? main.close() : main.add(line.trim())));
    main.close();
    main.open('if (!inside) {');
    main.open(`for (var i = 0; i < ${patch.size}; i++) {`);
    main.add(`var p0 = s0 + at0[i];`);
    main.add(`var ok = p0 >= 0 && p0 < ${inSpatial[0]};`);
    for (let a = 1; a < rank; a++) {
      main.add(`var p${a} = s${a} + at${a}[i];`);
      main.add(`ok = ok && p${a} >= 0 && p${a} < ${inSpatial[a]};`);
    }
    main.open('if (ok) {');
    main.add('win[yi].x[i] <== x[base + rel[i]];');
    main.close();
    main.open('if (!ok) {');
    main.add('win[yi].x[i] <== 0;');
    main.close();
    main.close();
    main.close();
  }
  main.add('y[yi] <== win[yi].y;');
  main.closeAll();

  return [
    channelFunction(`${name}_w`, conv.weight, perChannel),
    channelFunction(`${name}_b`, conv.bias, 1),
    arrayFunction(`${name}_idx`, patch.index),
    arrayFunction(`${name}_rel`, patch.rel(inSpatial)),
    ...(padded ? patch.box.map((_, a) => arrayFunction(`${name}_at${a}`, patch.at(a))) : []),
    `template ${name}_win(m) {`,
    ...win.lines,
    '}',
    `template ${name}() {`,
    ...main.lines,
    '}',
  ].join('\n');
}

/** `function name(m)`: the `per` values of channel m (a scalar when `per` is 1), without building the others. */
function channelFunction(name: string, values: readonly number[], per: number): string {
  const lines = [`function ${name}(m) {`, per === 1 ? '    var r = 0;' : `    var r[${per}];`];
  for (let m = 0; m * per < values.length; m++) {
    const chunk = values.slice(m * per, (m + 1) * per);
    lines.push(`    if (m == ${m}) {`);
    if (per === 1) lines.push(`        r = ${chunk[0]};`);
    else {
      const rows: string[] = [];
      for (let i = 0; i < chunk.length; i += 32) rows.push(`            ${chunk.slice(i, i + 32).join(', ')}`);
      lines.push('        r = [', rows.join(',\n'), '        ];');
    }
    lines.push('    }');
  }
  lines.push('    return r;', '}');
  return lines.join('\n');
}
