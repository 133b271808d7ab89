import { afterAll, describe, expect, it } from 'vitest';
import { encodeSigned, FIELD_MODULUS } from '../../src/shared/field.js';
import { compileTestCircuit, gadgetCircuit, removeTestCircuits } from '../helpers/circuit.js';
import { rescale, rescaleInputRange, rescaleRemainder } from './fixed-point-model.js';
import { describeRescale } from './rescale-suite.js';

afterAll(removeTestCircuits);

describe('the bigint model', () => {
  it('rounds half up, also for negative values', () => {
    expect([-3n, -2n, -1n, 0n, 1n, 2n, 3n].map((x) => rescale(x, 1))).toEqual([-1n, -1n, 0n, 0n, 1n, 1n, 2n]);
    expect([-6n, -5n, -3n, -2n, 1n, 2n, 5n, 6n].map((x) => rescale(x, 2))).toEqual([-1n, -1n, -1n, 0n, 0n, 1n, 1n, 2n]);
    expect(rescale(-7n, 0)).toBe(-7n);
    expect(rescaleRemainder(-6n, 2)).toBe(0n); // −6 + 2 = −1·4 + 0
    expect(rescaleRemainder(-3n, 2)).toBe(3n); // −3 + 2 = −1·4 + 3
    expect(rescaleInputRange(2, 3)).toEqual([-18n, 13n]);
    expect(rescaleInputRange(0, 4)).toEqual([-8n, 7n]);
  });
});

describeRescale({
  template: 'RescaleSigned',
  activation: (q) => q,
  // O2: k + b; O1: k + b + 2 (the bit sum and the output are linear constraints O1 keeps).
  // k = 0: out = in links two public signals of the test circuit, which O2 cannot fold;
  // inside a model, where out is not public, it folds like the others.
  counts: { '2,3': [7, 5], '8,16': [26, 24], '100,100': [202, 200], '0,4': [6, 5] },
});

describe('RescaleSigned encoding', () => {
  it('outputs negative quotients as p − |q|', async () => {
    const c = await compileTestCircuit(gadgetCircuit('RescaleSigned(2, 3)'));
    const w = await c.witness({ in: -18n });
    expect(c.get(w, 'main.out')).toBe(encodeSigned(-4n));
    expect(c.get(w, 'main.out')).toBe(FIELD_MODULUS - 4n);
  });
});
