import { afterAll, describe, expect, it } from 'vitest';
import { decodeSigned } from '../../src/shared/field.js';
import { compileTestCircuit, gadgetCircuit, removeTestCircuits } from '../helpers/circuit.js';
import { relu, rescale, rescaleInputRange } from './fixed-point-model.js';
import { range } from './harness.js';
import { describeRescale } from './rescale-suite.js';

afterAll(removeTestCircuits);

describeRescale({
  template: 'RescaleRelu',
  activation: relu,
  // O2: k + b + 1 (ReLU is the one product s·low); O1: k + b + 2 (the bit sum stays linear).
  counts: { '2,3': [7, 6], '8,16': [26, 25], '100,100': [202, 201], '0,4': [6, 5], '1,1': [4, 3] },
});

describe('RescaleRelu extremes', () => {
  it('b = 1: the quotient is −1 or 0, the output always 0', async () => {
    const c = await compileTestCircuit(gadgetCircuit('RescaleRelu(1, 1)'));
    const [lo, hi] = rescaleInputRange(1, 1);
    expect([lo, hi]).toEqual([-3n, 0n]);
    for (const x of range(lo, hi)) {
      const w = await c.witness({ in: x });
      expect(decodeSigned(c.get(w, 'main.out'))).toBe(relu(rescale(x, 1)));
      expect(c.check(w)).toEqual([]);
    }
    await expect(c.witness({ in: 1n })).rejects.toThrow(/Assert Failed/);
  });

  it('does not output the negative quotient or drop a positive one', async () => {
    const c = await compileTestCircuit(gadgetCircuit('RescaleRelu(8, 16)'));
    for (const [x, q] of [
      [-1000n, rescale(-1000n, 8)],
      [1000n, rescale(1000n, 8)],
    ] as const) {
      const honest = await c.witness({ in: x });
      expect(decodeSigned(c.get(honest, 'main.out'))).toBe(relu(q));
      expect(c.check(c.forge(honest, { 'main.out': q < 0n ? q : 0n })).length).toBeGreaterThan(0);
    }
  });
});
