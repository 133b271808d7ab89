/**
 * A convolution read only by a max pooling is emitted inside the pooling's template
 * (src/circuit/emit-conv-pool.ts): its outputs never become signals. The fused circuit
 * still equals the reference executor exactly, costs exactly what test/model-circuits/cost.ts
 * predicts (one linear constraint per convolution output fewer than emitted apart), and
 * refuses forged running maxima, sign bits and outputs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { calibrate } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import { emitCircuit } from '../../src/circuit/emit.js';
import { MODEL_OPTIMIZATION } from '../../src/compile/compile.js';
import { quantizeInput, runReference } from '../../src/reference/execute.js';
import { encodeSigned, FIELD_MODULUS } from '../../src/shared/field.js';
import { compileTestCircuit, removeTestCircuits } from '../helpers/circuit.js';
import { hasWire } from '../helpers/r1cs.js';
import { checkModelCircuit } from './check-model.js';
import { buildModel, randomArray, rng } from '../helpers/onnx-builder.js';

afterAll(removeTestCircuits);

/** Conv → MaxPool → Relu → … with the given shapes and attributes. */
function convPoolModel(seed: number, dims: number[], weight: number[], convAttrs: Record<string, number[] | number>, poolAttrs: Record<string, number[]>, tail: boolean): Uint8Array {
  const r = rng(seed);
  const nodes = [
    { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: convAttrs },
    { op: 'MaxPool', inputs: ['c'], outputs: ['p'], attrs: poolAttrs },
    { op: 'Relu', inputs: ['p'], outputs: tail ? ['r'] : ['y'] },
  ];
  if (tail) nodes.push({ op: 'Flatten', inputs: ['r'], outputs: ['f'] }, { op: 'Gemm', inputs: ['f', 'W2'], outputs: ['y'], attrs: { transB: 1 } } as never);
  const initializers = [
    {
      name: 'W',
      dims: weight,
      values: randomArray(
        r,
        weight.reduce((a, b) => a * b, 1),
      ),
    },
    { name: 'B', dims: [weight[0]!], values: randomArray(r, weight[0]!, -0.2, 0.2) },
  ];
  return buildModel({ input: { name: 'x', dims }, output: { name: 'y' }, nodes, initializers: tail ? [...initializers, { name: 'W2', dims: [3, 18], values: randomArray(r, 54) }] : initializers });
}

function quantized(bytes: Uint8Array, n: number, seed: number) {
  const r = rng(seed);
  const graph = optimize(importOnnx(bytes));
  return quantize(
    graph,
    calibrate(
      graph,
      Array.from({ length: 8 }, () => Float64Array.from(randomArray(r, n))),
    ),
    { inputBits: 8, weightBits: 7, activationBits: 9 },
  );
}

describe('a convolution fused with the max pooling after it', () => {
  it('2-D, 2×2 pooling, padded conv with two groups: equals the reference, costs what cost.ts predicts', async () => {
    const bytes = convPoolModel(11, [1, 2, 6, 6], [2, 1, 3, 3], { pads: [1, 1, 1, 1], group: 2 }, { kernel_shape: [2, 2], strides: [2, 2] }, true);
    const model = quantized(bytes, 72, 12);
    expect(model.nodes.map((n) => n.kind).slice(0, 2)).toEqual(['conv', 'maxPool']);
    const emitted = await checkModelCircuit(
      model,
      Array.from({ length: 4 }, () => randomArray(rng(13), 72, -0.9, 0.9)),
    );
    expect(emitted.source).toContain('template ConvPool1()');
    expect(emitted.source).not.toContain('template Conv0()');
    expect(emitted.gadgets.MaxOf).toBe(2 * 3 * 3);
  });

  it('1-D and 3-D convolutions, overlapping and dilated pooling windows', async () => {
    const cases: [number[], number[], Record<string, number[]>, Record<string, number[]>][] = [
      [[1, 2, 12], [3, 2, 3], { strides: [1], pads: [1, 1] }, { kernel_shape: [3], strides: [2], dilations: [2] }],
      [[1, 1, 4, 4, 4], [2, 1, 2, 2, 2], { pads: [1, 0, 1, 0, 1, 0] }, { kernel_shape: [2, 2, 2], strides: [1, 2, 2] }],
    ];
    for (const [dims, weight, convAttrs, poolAttrs] of cases) {
      const n = dims.reduce((a, b) => a * b, 1);
      const model = quantized(convPoolModel(21, dims, weight, convAttrs, poolAttrs, false), n, 22);
      const emitted = await checkModelCircuit(
        model,
        Array.from({ length: 3 }, () => randomArray(rng(23), n, -0.9, 0.9)),
      );
      expect(emitted.source).toMatch(/template ConvPool1\(\)/);
    }
  });

  it('is not applied when a pooling window is cut by padding, even when every window is cut alike', () => {
    const padded = quantized(convPoolModel(31, [1, 1, 5, 5], [1, 1, 3, 3], {}, { kernel_shape: [2, 2], pads: [0, 0, 1, 1], strides: [2, 2] }, false), 25, 32);
    expect(emitCircuit(padded).source).toContain('template Conv0()');
    // every window cut alike (2 of the kernel's 3 taps): the same tap count, still not fused
    const cutAlike = quantized(convPoolModel(33, [1, 1, 4], [1, 1, 1], {}, { kernel_shape: [3], pads: [1, 1], strides: [3] }, false), 4, 34);
    expect(emitCircuit(cutAlike).source).toContain('template Conv0()');
  });

  it('refuses forged running maxima, sign bits and outputs', async () => {
    const model = quantized(convPoolModel(41, [1, 1, 4, 4], [2, 1, 3, 3], { pads: [1, 1, 1, 1] }, { kernel_shape: [2, 2], strides: [2, 2] }, false), 16, 42);
    const emitted = emitCircuit(model);
    const circuit = await compileTestCircuit(emitted.source, { optimization: MODEL_OPTIMIZATION });
    const raw = quantizeInput(model, randomArray(rng(43), 16, -0.9, 0.9));
    runReference(model, raw);
    const honest = await circuit.witness({ in: raw.map((v) => encodeSigned(BigInt(v))), ctx: 7n });
    expect(circuit.check(honest)).toEqual([]);
    const bits = /signal cmp\[\d+\]\[(\d+)\]/.exec(emitted.source)![1]!;
    const top = Number(bits) - 1;
    let forgedSome = 0;
    for (let win = 0; win < 8; win++) {
      for (let t = 0; t < 3; t++) {
        // the last running maximum is the window's output: O1 keeps one wire for the equal signals
        const names = t === 2 ? [`main.s1.win[${win}].run[2]`, `main.s1.win[${win}].y`, `main.s1.y[${win}]`, `main.g2[${win}].in`] : [`main.s1.win[${win}].run[${t}]`];
        const run = names.find((n) => hasWire(circuit.symbols, n))!;
        const sign = `main.s1.win[${win}].cmp[${t}][${top}]`;
        const value = circuit.get(honest, run);
        const forgeries: Record<string, bigint>[] = [{ [run]: value + 1n }, { [run]: value + FIELD_MODULUS - 1n }, { [sign]: 1n - circuit.get(honest, sign) }, { [sign]: (FIELD_MODULUS + 1n) / 2n }];
        for (const f of forgeries) {
          const forged = circuit.forge(honest, f, { skipEliminated: true });
          if (forged.every((v, i) => v === honest[i])) continue;
          forgedSome++;
          expect(circuit.check(forged).length, JSON.stringify(Object.keys(f))).toBeGreaterThan(0);
        }
      }
    }
    expect(forgedSome).toBeGreaterThan(60);
  });
});
