/**
 * The ops added through the operator modules (src/ops/): float semantics against
 * onnxruntime, and for every one that costs constraints a compiled circuit whose constraint
 * count is what test/model-circuits/cost.ts predicts, whose witness equals the reference executor,
 * and which rejects forged witnesses — other public outputs, and other outputs of the gadget
 * that produced them together with the public output.
 */
import { afterAll, describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { importOnnx } from '../../src/onnx/import.js';
import { optimize } from '../../src/ir/optimize.js';
import { runFloat } from '../../src/ir/float-exec.js';
import { calibrate } from '../../src/quant/calibrate.js';
import { quantize } from '../../src/quant/quantize.js';
import { finalOutput } from '../../src/reference/error.js';
import { quantizeInput, runReference } from '../../src/reference/execute.js';
import { emitCircuit } from '../../src/circuit/emit.js';
import { MODEL_OPTIMIZATION } from '../../src/compile/compile.js';
import { encodeSigned } from '../../src/shared/field.js';
import { erf } from '../../src/shared/math.js';
import { compileTestCircuit, removeTestCircuits } from '../helpers/circuit.js';
import { buildModel, randomArray, rng, type ModelSpec } from '../helpers/onnx-builder.js';
import { checkAgainstOrt } from '../helpers/ort-check.js';
import { checkModelCircuit } from '../model-circuits/check-model.js';

const { onnx } = onnxProto;

afterAll(removeTestCircuits);

const r = rng(12);

/** Float executor (imported and optimized graphs) against onnxruntime on random inputs in [−2, 2). */
const againstOrt = async (bytes: Uint8Array, trials = 2) => void (await checkAgainstOrt(bytes, { trials, seed: 12 }));

const unary = (op: string, dims: number[], attrs: ModelSpec['nodes'][number]['attrs'] = {}, opset = 13): ModelSpec => ({
  input: { name: 'x', dims },
  output: { name: 'y' },
  nodes: [{ op, inputs: ['x'], outputs: ['y'], attrs }],
  opset,
});

describe('new ops: float semantics against onnxruntime', () => {
  it('Slice with negative steps and axes, Gather with 2-D and negative indices', async () => {
    await againstOrt(
      buildModel({
        input: { name: 'x', dims: [3, 6, 4] },
        output: { name: 'y' },
        nodes: [{ op: 'Slice', inputs: ['x', 's', 'e', 'a', 'st'], outputs: ['y'] }],
        initializers: [
          { name: 's', dims: [2], values: [-1, 0], type: 'int64' },
          { name: 'e', dims: [2], values: [-7, 3], type: 'int64' },
          { name: 'a', dims: [2], values: [1, -1], type: 'int64' },
          { name: 'st', dims: [2], values: [-2, 2], type: 'int64' },
        ],
      }),
    );
    await againstOrt(
      buildModel({
        input: { name: 'x', dims: [4, 5] },
        output: { name: 'y' },
        nodes: [{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'], attrs: { axis: 1 } }],
        initializers: [{ name: 'i', dims: [2, 2], values: [0, -1, 3, 3], type: 'int64' }],
      }),
    );
  });

  it('Expand, Tile, Split (the second output), Resize nearest in every coordinate mode', async () => {
    await againstOrt(
      buildModel({
        input: { name: 'x', dims: [3, 1] },
        output: { name: 'y' },
        nodes: [{ op: 'Expand', inputs: ['x', 's'], outputs: ['y'] }],
        initializers: [{ name: 's', dims: [3], values: [2, 1, 4], type: 'int64' }],
      }),
    );
    await againstOrt(
      buildModel({
        input: { name: 'x', dims: [2, 3] },
        output: { name: 'y' },
        nodes: [{ op: 'Tile', inputs: ['x', 'n'], outputs: ['y'] }],
        initializers: [{ name: 'n', dims: [2], values: [2, 3], type: 'int64' }],
      }),
    );
    await againstOrt(
      buildModel({
        input: { name: 'x', dims: [2, 7] },
        output: { name: 'y' },
        nodes: [{ op: 'Split', inputs: ['x', 'sp'], outputs: ['a', 'y'], attrs: { axis: 1 } }],
        initializers: [{ name: 'sp', dims: [2], values: [3, 4], type: 'int64' }],
      }),
    );
    for (const mode of ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel', 'tf_half_pixel_for_nn']) {
      for (const nearest of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']) {
        await againstOrt(
          buildModel({
            input: { name: 'x', dims: [1, 1, 3, 4] },
            output: { name: 'y' },
            nodes: [
              {
                op: 'Resize',
                inputs: ['x', '', '', 'sz'],
                outputs: ['y'],
                attrs: { mode: { string: 'nearest' }, coordinate_transformation_mode: { string: mode }, nearest_mode: { string: nearest } },
              },
            ],
            initializers: [{ name: 'sz', dims: [4], values: [1, 1, 7, 3], type: 'int64' }],
          }),
          1,
        );
      }
    }
  });

  it('ReduceSum, ReduceMean, ReduceMax over several axes, with and without keepdims', async () => {
    await againstOrt(
      buildModel({
        input: { name: 'x', dims: [2, 3, 4] },
        output: { name: 'y' },
        nodes: [{ op: 'ReduceSum', inputs: ['x', 'a'], outputs: ['y'], attrs: { keepdims: 0 } }],
        initializers: [{ name: 'a', dims: [2], values: [0, -1], type: 'int64' }],
      }),
    );
    await againstOrt(buildModel(unary('ReduceMean', [2, 3, 4], { axes: [1], keepdims: 1 })));
    await againstOrt(buildModel(unary('ReduceMax', [2, 3, 4], { axes: [0, 2], keepdims: 0 })));
  });

  it('Abs, Neg, HardSigmoid, HardSwish, Erf, and Max, Min, Sum, Mean of three operands', async () => {
    for (const op of ['Abs', 'Neg', 'HardSwish', 'Erf']) await againstOrt(buildModel(unary(op, [2, 5], {}, 14)));
    await againstOrt(buildModel(unary('HardSigmoid', [2, 5], { alpha: { float: 0.3 }, beta: { float: 0.4 } })));
    for (const op of ['Max', 'Min', 'Sum', 'Mean']) {
      await againstOrt(
        buildModel({
          input: { name: 'x', dims: [2, 3] },
          output: { name: 'y' },
          nodes: [
            { op: 'Neg', inputs: ['x'], outputs: ['n'] },
            { op, inputs: ['x', 'n', 'c'], outputs: ['y'] },
          ],
          initializers: [{ name: 'c', dims: [3], values: [0.5, -0.25, 1] }],
        }),
      );
    }
  });

  it('erf agrees with tabulated values to 1e-13', () => {
    for (const [x, v] of [
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3.5, 0.9999992569016276],
      [-1.2, -0.9103139782296354],
    ] as const) {
      expect(Math.abs(erf(x) - v)).toBeLessThan(1e-13);
    }
  });

  it('Where with a constant (BOOL) condition selects per element; a computed condition is refused', async () => {
    const spec = (cond: string): ModelSpec => ({
      input: { name: 'x', dims: [2, 3] },
      output: { name: 'y' },
      nodes: [
        { op: 'Neg', inputs: ['x'], outputs: ['n'] },
        { op: 'Where', inputs: [cond, 'x', 'n'], outputs: ['y'] },
      ],
    });
    const model = onnx.ModelProto.decode(buildModel(spec('c')));
    model.graph!.initializer!.push({ name: 'c', dims: [3], dataType: 9, rawData: Uint8Array.of(1, 0, 1) });
    const bytes = onnx.ModelProto.encode(model).finish();
    await againstOrt(bytes);
    const graph = importOnnx(bytes);
    expect(Array.from(runFloat(graph, Float64Array.of(1, 2, 3, 4, 5, 6)))).toEqual([1, -2, 3, 4, -5, 6]);
    expect(() => importOnnx(buildModel(spec('x')))).toThrow(/the condition must be a constant/);
  });
});

/** Imports, quantizes (calibrated on the inputs) and checks the compiled circuit on them. */
async function checkCircuit(spec: ModelSpec, inputs: number[][]): Promise<void> {
  const graph = optimize(importOnnx(buildModel(spec)));
  const model = quantize(
    graph,
    calibrate(
      graph,
      inputs.map((x) => Float64Array.from(x)),
    ),
  );
  // The quantized reference stays near the float model.
  for (const x of inputs) {
    const float = runFloat(graph, Float64Array.from(x));
    const got = finalOutput(model, runReference(model, quantizeInput(model, x)));
    got.forEach((v, i) => expect(Math.abs(v - float[i]!)).toBeLessThan(0.05 * Math.max(1, Math.abs(float[i]!))));
  }
  const emitted = await checkModelCircuit(model, inputs);
  // A prover claiming another output, with the gadget or product signal it is bound to moved
  // along so that the binding itself still holds, is rejected by the gadget's own constraints.
  const circuit = await compileTestCircuit(emitted.source, { optimization: MODEL_OPTIMIZATION });
  const raw = quantizeInput(model, inputs[0]!);
  const expected = runReference(model, raw);
  const witness = await circuit.witness({ in: raw.map((v) => encodeSigned(BigInt(v))), ctx: 12345n });
  let forgedInside = 0;
  for (const [, j, expr] of emitted.source.matchAll(/^\s+out\[(\d+)\] <== (.*);$/gm)) {
    // The gadget or product signals in the binding; one optimized away under O1 was merged into out[j] itself.
    const terms = expr!
      .replace(/[()]/g, '')
      .replace(/ - /g, ' + -')
      .split(' + ')
      .flatMap((t) => {
        const m = t.match(/^(-)?((?:g|p)\d[\w[\].]*)$/);
        return m ? [{ sign: m[1] ? -1n : 1n, name: `main.${m[2]}` }] : [];
      });
    if (terms.length === 0) continue;
    const wired = terms.find((t) => {
      try {
        circuit.get(witness, t.name);
        return true;
      } catch {
        return false;
      }
    });
    for (const delta of [1n, -1n, 5n]) {
      const values: Record<string, bigint> = { [`main.out[${j}]`]: encodeSigned(BigInt(expected[Number(j)]!)) + delta };
      if (wired) values[wired.name] = circuit.get(witness, wired.name) + wired.sign * delta;
      expect(circuit.check(circuit.forge(witness, values)).length).toBeGreaterThan(0);
      forgedInside++;
    }
  }
  expect(forgedInside).toBeGreaterThan(0);
}

const inputsFor = (n: number, count = 3) => Array.from({ length: count }, () => randomArray(r, n, -1, 1));

describe('new ops: circuits', () => {
  it('ReduceMax: MaxOf per output, exact count, forged maxima rejected', async () => {
    await checkCircuit(unary('ReduceMax', [2, 3, 4], { axes: [1], keepdims: 0 }), inputsFor(24));
  });

  it('Max and Min of a computed and a constant operand, and of two computed operands', async () => {
    await checkCircuit(
      {
        input: { name: 'x', dims: [1, 6] },
        output: { name: 'y' },
        nodes: [
          { op: 'Neg', inputs: ['x'], outputs: ['n'] },
          { op: 'Max', inputs: ['x', 'n'], outputs: ['m'] },
          { op: 'Min', inputs: ['m', 'c'], outputs: ['y'] },
        ],
        initializers: [{ name: 'c', dims: [6], values: [0.5, -0.25, 1, 0, 0.75, 0.3] }],
      },
      inputsFor(6),
    );
  });

  it('Abs and HardSigmoid', async () => {
    await checkCircuit(
      {
        input: { name: 'x', dims: [1, 5] },
        output: { name: 'y' },
        nodes: [
          { op: 'Abs', inputs: ['x'], outputs: ['a'] },
          { op: 'HardSigmoid', inputs: ['a'], outputs: ['y'], attrs: { alpha: { float: 0.75 }, beta: { float: 0.25 } } },
        ],
      },
      inputsFor(5),
    );
  });

  it('HardSwish and Erf', async () => {
    await checkCircuit(
      unary('HardSwish', [1, 4], {}, 14),
      inputsFor(4).map((x) => x.map((v) => 4 * v)),
    );
    await checkCircuit(
      unary('Erf', [1, 4]),
      inputsFor(4).map((x) => x.map((v) => 2 * v)),
    );
  });

  it('the data moves and the free reductions cost nothing: Slice, Gather, Tile, Resize, ReduceMean, Sum', async () => {
    const graph = optimize(
      importOnnx(
        buildModel({
          input: { name: 'x', dims: [1, 1, 2, 3] },
          output: { name: 'y' },
          nodes: [
            { op: 'Tile', inputs: ['x', 'n'], outputs: ['t'] },
            { op: 'Slice', inputs: ['t', 's', 'e', 'ax'], outputs: ['sl'] },
            { op: 'Gather', inputs: ['sl', 'i'], outputs: ['g'], attrs: { axis: 3 } },
            { op: 'Resize', inputs: ['g', '', 'sc'], outputs: ['rz'] },
            { op: 'Sum', inputs: ['rz', 'rz'], outputs: ['sm'] },
            { op: 'ReduceMean', inputs: ['sm'], outputs: ['y'], attrs: { axes: [2], keepdims: 1 } },
          ],
          initializers: [
            { name: 'n', dims: [4], values: [1, 1, 2, 2], type: 'int64' },
            { name: 's', dims: [1], values: [1], type: 'int64' },
            { name: 'e', dims: [1], values: [4], type: 'int64' },
            { name: 'ax', dims: [1], values: [3], type: 'int64' },
            { name: 'i', dims: [3], values: [2, 0, -2], type: 'int64' },
            { name: 'sc', dims: [4], values: [1, 1, 2, 2] },
          ],
        }),
      ),
    );
    const model = quantize(
      graph,
      calibrate(
        graph,
        inputsFor(6).map((x) => Float64Array.from(x)),
      ),
    );
    const emitted = emitCircuit(model);
    expect(emitted.gadgets).toEqual({});
    await checkModelCircuit(model, inputsFor(6));
  });
});
