/**
 * The whole-model circuit check shared by the model, CNN and residual circuit tests: the
 * constraint count is exactly what test/model-circuits/cost.ts predicts, the witness equals the
 * reference executor on every input, the honest witness satisfies every constraint, and
 * any other value of any public output breaks one.
 */
import { expect } from 'vitest';
import type { QModel } from '../../src/quant/model.js';
import { emitCircuit, type EmittedCircuit } from '../../src/circuit/emit.js';
import { MODEL_OPTIMIZATION } from '../../src/compile/compile.js';
import { quantizeInput, runReference } from '../../src/reference/execute.js';
import { encodeSigned, FIELD_MODULUS } from '../../src/shared/field.js';
import { compileTestCircuit } from '../helpers/circuit.js';
import { expectedConstraintsO1 } from './cost.js';

/** Forged output offsets: neighbours, −1 in the field, and a value far outside any range. */
const FORGED_DELTAS = [1n, -1n, FIELD_MODULUS - 1n, 1n << 100n];

/** Compiles the model's circuit and checks it on `inputs` (floats in the input's shape). */
export async function checkModelCircuit(model: QModel, inputs: number[][]): Promise<EmittedCircuit> {
  const emitted = emitCircuit(model);
  const circuit = await compileTestCircuit(emitted.source, { optimization: MODEL_OPTIMIZATION });
  expect(circuit.compiled.constraints).toBe(expectedConstraintsO1(model));
  for (const x of inputs) {
    const raw = quantizeInput(model, x);
    const expected = runReference(model, raw);
    const witness = await circuit.witness({ in: raw.map((v) => encodeSigned(BigInt(v))), ctx: 12345n });
    expect(circuit.check(witness)).toEqual([]);
    expected.forEach((v, j) => expect(circuit.get(witness, `main.out[${j}]`)).toBe(encodeSigned(BigInt(v))));
    for (let j = 0; j < expected.length; j++) {
      for (const delta of FORGED_DELTAS) {
        const forged = circuit.forge(witness, { [`main.out[${j}]`]: encodeSigned(BigInt(expected[j]!)) + delta });
        expect(circuit.check(forged).length).toBeGreaterThan(0);
      }
    }
  }
  return emitted;
}
