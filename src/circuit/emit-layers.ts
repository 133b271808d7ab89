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
 * A template computing an ONNX Conv (zero padding, groups, strides, dilations) over
 * [N, C, …spatial] with any number of spatial axes, as nested loops. Index arithmetic is
 * hoisted out of the inner loops (circom evaluates every `var` operation on big integers,
 * so this saves about a third of the compile time), and an axis is bounds-checked only when
 * it is padded.
 */
export function convTemplate(name: string, node: QConv, input: Shape, output: Shape): string {
  const rank = input.length - 2;
  const [batch, channels] = input as [number, number];
  const outChannels = output[1]!;
  const { kernel, strides, pads, dilations } = node.window;
  const cPerGroup = channels / node.group;
  const mPerGroup = outChannels / node.group;
  const kSize = sizeOf(kernel);
  const inSpatial = input.slice(2);
  const outSpatial = output.slice(2);
  const ind = (d: number) => '    '.repeat(d);
  const body: string[] = [];
  let depth = 1;
  const open = (line: string) => body.push(`${ind(depth++)}${line}`);
  const close = () => body.push(`${ind(--depth)}}`);
  const add = (line: string) => body.push(`${ind(depth)}${line}`);
  const times = (v: string, k: number) => (k === 1 ? v : `${v} * ${k}`);
  const plus = (v: string, k: number) => (k === 0 ? v : k > 0 ? `${v} + ${k}` : `${v} - ${-k}`);

  open(`for (var n = 0; n < ${batch}; n++) {`);
  open(`for (var g = 0; g < ${node.group}; g++) {`);
  open(`for (var mm = 0; mm < ${mPerGroup}; mm++) {`);
  add(`var m = g * ${mPerGroup} + mm;`);
  let yIndex = `n * ${outChannels} + m`;
  for (let a = 0; a < rank; a++) {
    open(`for (var o${a} = 0; o${a} < ${outSpatial[a]}; o${a}++) {`);
    add(`var b${a} = ${plus(times(`o${a}`, strides[a]!), -pads[a]!)};`);
    yIndex = `(${yIndex}) * ${outSpatial[a]} + o${a}`;
  }
  add('var acc = b[m];');
  open(`for (var c = 0; c < ${cPerGroup}; c++) {`);
  add('var part = 0;');
  add(`var xi = n * ${channels} + g * ${cPerGroup} + c;`);
  add(`var wi = m * ${cPerGroup} + c;`);
  let xPrev = 'xi';
  let wPrev = 'wi';
  for (let a = 0; a < rank; a++) {
    const padded = pads[a]! > 0 || pads[a + rank]! > 0;
    const last = a === rank - 1;
    if (last) {
      add('var row = 0;');
      add(`var xr = ${xPrev} * ${inSpatial[a]};`);
      add(`var wr = ${wPrev} * ${kernel[a]};`);
    }
    open(`for (var k${a} = 0; k${a} < ${kernel[a]}; k${a}++) {`);
    add(`var p${a} = ${dilations[a] === 1 ? `b${a} + k${a}` : `b${a} + k${a} * ${dilations[a]}`};`);
    if (padded) open(`if (p${a} >= 0 && p${a} < ${inSpatial[a]}) {`);
    if (last) add(`row += w[wr + k${a}] * x[xr + p${a}];`);
    else {
      add(`var xa${a} = ${xPrev} * ${inSpatial[a]} + p${a};`);
      add(`var wa${a} = ${wPrev} * ${kernel[a]} + k${a};`);
      xPrev = `xa${a}`;
      wPrev = `wa${a}`;
    }
  }
  for (let a = rank - 1; a >= 0; a--) {
    if (pads[a]! > 0 || pads[a + rank]! > 0) close();
    close();
    if (a === rank - 1) add('part += row;');
  }
  add('acc += part;');
  close();
  add(`y[${yIndex}] <== acc;`);
  for (let a = 0; a < rank; a++) close();
  close();
  close();
  close();
  return [
    arrayFunction(`${name}_w`, node.weight),
    arrayFunction(`${name}_b`, node.bias),
    `template ${name}() {`,
    `    signal input x[${sizeOf(input)}];`,
    `    signal output y[${sizeOf(output)}];`,
    `    var w[${outChannels * cPerGroup * kSize}] = ${name}_w();`,
    `    var b[${outChannels}] = ${name}_b();`,
    ...body,
    '}',
  ].join('\n');
}
