/**
 * Circom templates for the heavy linear layers (dense and convolution), written as loops
 * over a weight array instead of one unrolled expression per output. circom2 spends about
 * 0.1 ms and several KB of WebAssembly memory per unrolled term (its code generator keeps
 * every term of `main`); LeNet's 400k multiply-adds unrolled exceed its 4 GiB memory, while
 * the same layers as loops need ~200 MB. Sums are accumulated in short partial sums (kernel
 * rows, input channels, √n-sized chunks), because circom copies a linear expression on every
 * `+=`, which makes one long running sum quadratic. The layer outputs are signals bound by
 * linear constraints, which circom's O2 simplification removes again by substitution, so
 * the constraint count is that of the gadgets alone.
 */
import { sizeOf, type Shape } from '../ir/graph.js';
import type { QConv, QLinear } from '../quant/model.js';

/** A Circom function returning `values` as an array (weights are compile-time constants). */
export function arrayFunction(name: string, values: readonly number[]): string {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += 32) lines.push(`        ${values.slice(i, i + 32).join(', ')}`);
  return [`function ${name}() {`, `    var v[${values.length}] = [`, lines.join(',\n'), '    ];', '    return v;', '}'].join('\n');
}

/**
 * A template computing y[r][o] = bias[o] + Σ_i w[o][i]·x[r][i] for `rows` rows.
 * @returns the function and template definitions
 */
export function denseTemplate(name: string, node: QLinear, rows: number): string {
  const { inFeatures: n, outFeatures: m } = node;
  const chunk = Math.max(1, Math.ceil(Math.sqrt(n)));
  return [
    arrayFunction(`${name}_w`, node.weight),
    arrayFunction(`${name}_b`, node.bias),
    `template ${name}() {`,
    `    signal input x[${rows * n}];`,
    `    signal output y[${rows * m}];`,
    `    var w[${m * n}] = ${name}_w();`,
    `    var b[${m}] = ${name}_b();`,
    `    for (var r = 0; r < ${rows}; r++) {`,
    `        var xr = r * ${n};`,
    `        for (var o = 0; o < ${m}; o++) {`,
    '            var acc = b[o];',
    `            var wo = o * ${n};`,
    `            for (var c = 0; c < ${n}; c += ${chunk}) {`,
    '                var part = 0;',
    `                for (var i = c; i < c + ${chunk} && i < ${n}; i++) {`,
    `                    part += w[wo + i] * x[xr + i];`,
    '                }',
    '                acc += part;',
    '            }',
    `            y[r * ${m} + o] <== acc;`,
    '        }',
    '    }',
    '}',
  ].join('\n');
}

/**
 * The dense template of a model with private weights (`--weights hashed`, src/quant/weights.ts):
 * the weights w[o·n + i] and biases b[o] are input signals, so every product w·x is a signal
 * and a constraint (rows · m · n of them), and y[r][o] = b[o] + Σ_i p[r][o][i] is bound by one
 * linear constraint per output, as in {@link denseTemplate}.
 */
export function denseHashedTemplate(name: string, node: Pick<QLinear, 'inFeatures' | 'outFeatures'>, rows: number): string {
  const { inFeatures: n, outFeatures: m } = node;
  const chunk = Math.max(1, Math.ceil(Math.sqrt(n)));
  return [
    `template ${name}() {`,
    `    signal input x[${rows * n}];`,
    `    signal input w[${m * n}];`,
    `    signal input b[${m}];`,
    `    signal output y[${rows * m}];`,
    `    signal p[${rows * m * n}];`,
    `    for (var r = 0; r < ${rows}; r++) {`,
    `        var xr = r * ${n};`,
    `        for (var o = 0; o < ${m}; o++) {`,
    '            var acc = b[o];',
    `            var wo = o * ${n};`,
    `            var po = (r * ${m} + o) * ${n};`,
    `            for (var c = 0; c < ${n}; c += ${chunk}) {`,
    '                var part = 0;',
    `                for (var i = c; i < c + ${chunk} && i < ${n}; i++) {`,
    '                    p[po + i] <== w[wo + i] * x[xr + i];',
    '                    part += p[po + i];',
    '                }',
    '                acc += part;',
    '            }',
    `            y[r * ${m} + o] <== acc;`,
    '        }',
    '    }',
    '}',
  ].join('\n');
}

/**
 * A template computing an ONNX Conv (zero padding, groups, strides, dilations) over
 * [N, C, …spatial] with any number of spatial axes, as nested loops (see convAccumulate).
 */
export function convTemplate(name: string, node: QConv, input: Shape, output: Shape, hashed = false): string {
  const rank = input.length - 2;
  const code = new CircomBlock();
  const outChannels = output[1]!;
  const outSpatial = output.slice(2);
  if (hashed) code.add('var pc = 0;');
  convChannelLoops(code, node, input, output);
  let yIndex = `n * ${outChannels} + m`;
  for (let a = 0; a < rank; a++) {
    code.open(`for (var o${a} = 0; o${a} < ${outSpatial[a]}; o${a}++) {`);
    code.add(`var b${a} = ${windowStart(node, a)};`);
    yIndex = `(${yIndex}) * ${outSpatial[a]} + o${a}`;
  }
  convAccumulate(code, node, input, false, hashed);
  code.add(`y[${yIndex}] <== acc;`);
  for (let a = 0; a < rank; a++) code.close();
  code.closeAll();
  return [...convHeader(name, node, input, output, sizeOf(output), hashed), ...code.lines, '}'].join('\n');
}

/**
 * The number of products of a convolution: one per in-bounds tap of every output
 * (batch × output channels × input channels per group × Π over the spatial axes of the
 * in-bounds (output position, kernel tap) pairs). With private weights each is a constraint.
 */
export function convProducts(node: Pick<QConv, 'group' | 'window'>, input: Shape, output: Shape): number {
  const rank = input.length - 2;
  const { kernel, strides, pads, dilations } = node.window;
  let n = input[0]! * output[1]! * (input[1]! / node.group);
  for (let a = 0; a < rank; a++) {
    let count = 0;
    for (let o = 0; o < output[2 + a]!; o++) {
      for (let k = 0; k < kernel[a]!; k++) {
        const p = o * strides[a]! - pads[a]! + k * dilations[a]!;
        if (p >= 0 && p < input[2 + a]!) count++;
      }
    }
    n *= count;
  }
  return n;
}

/** Lines of a loop-template body with indentation tracking. */
export class CircomBlock {
  readonly lines: string[] = [];
  private depth = 1;
  open(line: string): void {
    this.lines.push(`${'    '.repeat(this.depth++)}${line}`);
  }
  close(): void {
    this.lines.push(`${'    '.repeat(--this.depth)}}`);
  }
  add(line: string): void {
    this.lines.push(`${'    '.repeat(this.depth)}${line}`);
  }
  /** Closes every open block. */
  closeAll(): void {
    while (this.depth > 1) this.close();
  }
}

/**
 * The weight and bias functions and the opening lines of a conv-based template with `outputs`
 * outputs; with `hashed` (private weights), weights and biases are input signals and every
 * product is a signal `p[·]`, numbered by the var `pc` in the order {@link convAccumulate} visits them.
 */
export function convHeader(name: string, node: QConv, input: Shape, output: Shape, outputs: number, hashed = false): string[] {
  const outChannels = output[1]!;
  const cPerGroup = input[1]! / node.group;
  if (hashed) {
    return [
      `template ${name}() {`,
      `    signal input x[${sizeOf(input)}];`,
      `    signal input w[${outChannels * cPerGroup * sizeOf(node.window.kernel)}];`,
      `    signal input b[${outChannels}];`,
      `    signal output y[${outputs}];`,
      `    signal p[${convProducts(node, input, output)}];`,
    ];
  }
  return [
    arrayFunction(`${name}_w`, node.weight),
    arrayFunction(`${name}_b`, node.bias),
    `template ${name}() {`,
    `    signal input x[${sizeOf(input)}];`,
    `    signal output y[${outputs}];`,
    `    var w[${outChannels * cPerGroup * sizeOf(node.window.kernel)}] = ${name}_w();`,
    `    var b[${outChannels}] = ${name}_b();`,
  ];
}

/** Opens the loops over batch `n`, group `g` and output channel `m` (left open). */
export function convChannelLoops(code: CircomBlock, node: QConv, input: Shape, output: Shape): void {
  const mPerGroup = output[1]! / node.group;
  code.open(`for (var n = 0; n < ${input[0]}; n++) {`);
  code.open(`for (var g = 0; g < ${node.group}; g++) {`);
  code.open(`for (var mm = 0; mm < ${mPerGroup}; mm++) {`);
  code.add(`var m = g * ${mPerGroup} + mm;`);
}

/**
 * Emits `var acc = …`: the convolution's accumulator (bias plus the weighted taps) at the
 * output position held in the vars o0, o1, … for batch n, group g and channel m; the window
 * starts b0, b1, … are declared here too unless the caller already has (`declareStarts`). Index
 * arithmetic is hoisted out of the inner loops (circom evaluates every `var` operation on
 * big integers, so this saves about a third of the compile time), and an axis is
 * bounds-checked only when it is padded.
 */
export function convAccumulate(code: CircomBlock, node: QConv, input: Shape, declareStarts = true, hashed = false): void {
  const rank = input.length - 2;
  const channels = input[1]!;
  const cPerGroup = channels / node.group;
  const { kernel, pads, dilations } = node.window;
  const inSpatial = input.slice(2);
  if (declareStarts) for (let a = 0; a < rank; a++) code.add(`var b${a} = ${windowStart(node, a)};`);
  code.add('var acc = b[m];');
  code.open(`for (var c = 0; c < ${cPerGroup}; c++) {`);
  code.add('var part = 0;');
  code.add(`var xi = n * ${channels} + g * ${cPerGroup} + c;`);
  code.add(`var wi = m * ${cPerGroup} + c;`);
  let xPrev = 'xi';
  let wPrev = 'wi';
  for (let a = 0; a < rank; a++) {
    const padded = pads[a]! > 0 || pads[a + rank]! > 0;
    const last = a === rank - 1;
    if (last) {
      code.add('var row = 0;');
      code.add(`var xr = ${xPrev} * ${inSpatial[a]};`);
      code.add(`var wr = ${wPrev} * ${kernel[a]};`);
    }
    code.open(`for (var k${a} = 0; k${a} < ${kernel[a]}; k${a}++) {`);
    code.add(`var p${a} = ${dilations[a] === 1 ? `b${a} + k${a}` : `b${a} + k${a} * ${dilations[a]}`};`);
    if (padded) code.open(`if (p${a} >= 0 && p${a} < ${inSpatial[a]}) {`);
    if (last && hashed) {
      code.add(`p[pc] <== w[wr + k${a}] * x[xr + p${a}];`);
      code.add('row += p[pc];');
      code.add('pc++;');
    } else if (last) code.add(`row += w[wr + k${a}] * x[xr + p${a}];`);
    else {
      code.add(`var xa${a} = ${xPrev} * ${inSpatial[a]} + p${a};`);
      code.add(`var wa${a} = ${wPrev} * ${kernel[a]} + k${a};`);
      xPrev = `xa${a}`;
      wPrev = `wa${a}`;
    }
  }
  for (let a = rank - 1; a >= 0; a--) {
    if (pads[a]! > 0 || pads[a + rank]! > 0) code.close();
    code.close();
    if (a === rank - 1) code.add('part += row;');
  }
  code.add('acc += part;');
  code.close();
}

/** The expression of the first input position of output position o<a> along axis a. */
function windowStart(node: QConv, a: number): string {
  const stride = node.window.strides[a]!;
  const pad = node.window.pads[a]!;
  const base = stride === 1 ? `o${a}` : `o${a} * ${stride}`;
  return pad === 0 ? base : pad > 0 ? `${base} - ${pad}` : `${base} + ${-pad}`;
}
