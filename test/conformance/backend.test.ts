/**
 * Conformance with the ONNX backend node tests (libonnx-testdata), see ./backend.ts for the
 * procedure and tolerances. Without the Debian package the suite is skipped with one line
 * naming it (CI installs it and requires it: test/helpers/system-deps.ts). Every supported op's cases run at the float and quantized-
 * reference level; a selection also compiles the circuit and checks that its witness equals
 * the reference executor and satisfies the constraints (no Groth16 setup). The pass counts
 * are pinned, so a regression — or an improvement to record — shows up here. Print the table
 * for the README with `npx tsx test/conformance/print-table.ts`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { emitCircuit } from '../../src/circuit/emit.js';
import { MODEL_OPTIMIZATION } from '../../src/compile/compile.js';
import { runReference } from '../../src/reference/execute.js';
import { encodeSigned } from '../../src/shared/field.js';
import { compileTestCircuit, removeTestCircuits } from '../helpers/circuit.js';
import { expectedConstraintsO1 } from '../model-circuits/cost.js';
import { debianData, skipWithout, titled } from '../helpers/system-deps.js';
import { conformanceTable, NODE_TESTS_DIR, runCase, runConformance } from './backend.js';

const testData = debianData('libonnx-testdata', NODE_TESTS_DIR);
const skip = skipWithout(testData);

afterAll(removeTestCircuits);

/** Cases passing / total per op (the cases that do not pass are listed with reasons in the table). */
const EXPECTED: Record<string, [number, number]> = {
  Add: [3, 3],
  ArgMax: [16, 16],
  AveragePool: [13, 13],
  BatchNormalization: [2, 4],
  Clip: [9, 11],
  Concat: [12, 12],
  Conv: [6, 6],
  ConvInteger: [3, 3],
  DequantizeLinear: [2, 2],
  Div: [3, 4],
  Dropout: [0, 12],
  Flatten: [9, 9],
  Gemm: [11, 11],
  GlobalAveragePool: [2, 2],
  GlobalMaxPool: [2, 2],
  LeakyRelu: [3, 3],
  LogSoftmax: [6, 7],
  MatMul: [1, 3],
  MatMulInteger: [1, 1],
  MaxPool: [13, 15],
  Mul: [4, 4],
  PRelu: [2, 2],
  Pad: [3, 3],
  QLinearConv: [1, 1],
  QLinearMatMul: [1, 2],
  QuantizeLinear: [2, 2],
  Relu: [1, 1],
  Reshape: [9, 10],
  Shape: [0, 10],
  Sigmoid: [2, 2],
  Softmax: [6, 7],
  Squeeze: [2, 2],
  Sub: [4, 4],
  Tanh: [2, 2],
  Transpose: [7, 7],
  Unsqueeze: [8, 8],
  // Added through the operator modules (src/ops/).
  Abs: [1, 1],
  DepthToSpace: [4, 4],
  Erf: [1, 1],
  Expand: [2, 2],
  Gather: [4, 4],
  HardSigmoid: [0, 3],
  HardSwish: [1, 1],
  Max: [7, 14],
  Mean: [3, 3],
  Min: [7, 14],
  Neg: [2, 2],
  ReduceMax: [8, 8],
  ReduceMean: [8, 8],
  ReduceSum: [7, 10],
  Resize: [7, 22],
  Slice: [7, 8],
  Split: [0, 7],
  Sum: [2, 3],
  ThresholdedRelu: [3, 3],
  Tile: [2, 2],
  Upsample: [1, 1],
  Where: [0, 2],
};

/** Cases whose circuit witness is checked against the reference executor. */
const WITNESS_CASES = [
  'test_basic_conv_with_padding',
  'test_conv_with_strides_and_asymmetric_padding',
  'test_maxpool_2d_precomputed_pads',
  'test_averagepool_2d_pads_count_include_pad',
  'test_clip_splitbounds',
  'test_leakyrelu_example',
  'test_prelu_broadcast',
  'test_sigmoid_example',
  'test_tanh_example',
  'test_argmax_keepdims_random_select_last_index',
  'test_constant_pad',
  'test_concat_3d_axis_1',
  'test_gemm_all_attributes',
  'test_quantizelinear',
  'test_dequantizelinear',
  'test_matmulinteger',
  'test_convinteger_with_padding',
  'test_qlinearconv',
  'test_qlinearmatmul_2D',
  'test_maxpool_2d_uint8',
  'test_slice_neg_steps',
  'test_gather_2d_indices',
  'test_resize_upsample_sizes_nearest_floor_align_corners',
  'test_tile_precomputed',
  'test_reduce_max_keepdims_random',
  'test_reduce_mean_do_not_keepdims_example',
  'test_abs',
  'test_max_example',
  'test_min_two_inputs',
  'test_hardswish',
  'test_neg_example',
  'test_depthtospace_crd_mode_example',
  'test_thresholdedrelu_example',
];

describe.skipIf(skip)(titled('ONNX backend node tests', testData, skip), () => {
  it('pass at the float and quantized-reference level as pinned per op', () => {
    const byOp = runConformance();
    const counts = Object.fromEntries([...byOp].map(([op, rs]) => [op, [rs.filter((r) => r.status === 'pass').length, rs.length]]));
    if (process.env.ZKINFER_PRINT_CONFORMANCE) console.log(conformanceTable(byOp));
    expect(counts).toEqual(EXPECTED);
  });

  for (const name of WITNESS_CASES) {
    it(`${name}: the circuit witness equals the reference executor`, async () => {
      const ops = [name.replace(/^test_/, '')];
      const result = runCase(name, ops);
      expect(result.status, result.reason).toBe('pass');
      const model = result.model!;
      const circuit = await compileTestCircuit(emitCircuit(model).source, { optimization: MODEL_OPTIMIZATION });
      expect(circuit.compiled.constraints).toBe(expectedConstraintsO1(model));
      const witness = await circuit.witness({ in: result.inputRaw!.map((v) => encodeSigned(BigInt(v))), ctx: 12345n });
      expect(circuit.check(witness)).toEqual([]);
      runReference(model, result.inputRaw!).forEach((v, j) => expect(circuit.get(witness, `main.out[${j}]`)).toBe(encodeSigned(BigInt(v))));
    });
  }
});
