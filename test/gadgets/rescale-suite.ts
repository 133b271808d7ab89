/**
 * The test suite shared by RescaleSigned(k, b) and RescaleRelu(k, b): both decompose
 * t = in + 2^(k−1) + 2^(k+b−1) into k + b bits and differ only in what they output from the
 * quotient q: q itself, or max(0, q) — given here as `activation`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeSigned, FIELD_MODULUS } from '../../src/shared/field.js';
import { compileTestCircuit, gadgetCircuit, type TestCircuit } from '../helpers/circuit.js';
import { bit, bitAssignments, range, satisfyingAssignments, survivingBits, toBits } from './harness.js';
import { rescale, rescaleInputRange, rescaleRemainder } from './fixed-point-model.js';

export interface RescaleSuiteOptions {
  template: 'RescaleSigned' | 'RescaleRelu';
  /** What the gadget outputs for quotient q. */
  activation: (q: bigint) => bigint;
  /** Expected constraint counts, `"k,b"` → [O1, O2]. */
  counts: Record<string, [number, number]>;
}

const LEVELS = ['O1', 'O2'] as const;

/** Inputs at the edges: range ends, and quotients at their extremes with remainders 0, 1, 2^(k−1)−1, 2^(k−1), 2^k−1. */
export function boundaryInputs(k: number, b: number): bigint[] {
  const [lo, hi] = rescaleInputRange(k, b);
  const K = 1n << BigInt(k);
  const half = k === 0 ? 0n : K / 2n;
  const top = 1n << BigInt(b - 1);
  const qs = [-top, -top + 1n, -1n, 0n, 1n, top - 2n, top - 1n];
  const rs = k === 0 ? [0n] : [0n, 1n, half - 1n, half, K - 1n];
  const xs = new Set<bigint>([lo, lo + 1n, hi - 1n, hi, 0n, -1n, 1n]);
  for (const q of qs) for (const r of rs) xs.add(q * K + r - half);
  return [...xs].filter((x) => x >= lo && x <= hi).sort((a, b) => (a < b ? -1 : 1));
}

/** Declares the shared tests for one rescale template. */
export function describeRescale({ template, activation, counts }: RescaleSuiteOptions): void {
  const circuit = (k: number, b: number, level: 'O1' | 'O2'): Promise<TestCircuit> => compileTestCircuit(gadgetCircuit(`${template}(${k}, ${b})`), { optimization: level });
  const model = (x: bigint, k: number): bigint => activation(rescale(x, k));

  describe(`${template}(k, b)`, () => {
    it('has the expected exact constraint counts under O1 and O2', async () => {
      const measured: Record<string, [number, number]> = {};
      for (const key of Object.keys(counts)) {
        const [k, b] = key.split(',').map(Number);
        measured[key] = [(await circuit(k, b, 'O1')).compiled.constraints, (await circuit(k, b, 'O2')).compiled.constraints];
      }
      expect(measured).toEqual(counts);
    });

    for (const level of LEVELS) {
      describe(`under ${level}`, () => {
        for (const [k, b] of [
          [2, 3],
          [8, 16],
          [0, 4],
          [100, 100],
        ] as const) {
          it(`k=${k}, b=${b}: boundary inputs give the model's output and satisfy the r1cs`, async () => {
            const c = await circuit(k, b, level);
            for (const x of boundaryInputs(k, b)) {
              const w = await c.witness({ in: x });
              expect(decodeSigned(c.get(w, 'main.out')), `in=${x}`).toBe(model(x, k));
              expect(c.check(w), `in=${x}`).toEqual([]);
              // Every surviving bit is the model's decomposition: remainder, then quotient + 2^(b−1).
              const expected = [...toBits(rescaleRemainder(x, k), k), ...toBits(rescale(x, k) + (1n << BigInt(b - 1)), b)];
              for (const name of survivingBits(c, k + b)) {
                expect(c.get(w, name), `${name} for in=${x}`).toBe(expected[Number(/\[(\d+)\]/.exec(name)![1])]);
              }
            }
          });

          it(`k=${k}, b=${b}: the witness calculator refuses inputs whose quotient does not fit`, async () => {
            const c = await circuit(k, b, level);
            const [lo, hi] = rescaleInputRange(k, b);
            for (const x of [lo - 1n, hi + 1n, lo - (1n << BigInt(k + b)), hi + (1n << 120n), -(FIELD_MODULUS / 2n)]) {
              await expect(c.witness({ in: x }), `in=${x}`).rejects.toThrow(/Assert Failed/);
            }
          });
        }

        it('k=8, b=16: random inputs agree with the model (property)', async () => {
          const c = await circuit(8, 16, level);
          const [lo, hi] = rescaleInputRange(8, 16);
          await fc.assert(
            fc.asyncProperty(fc.bigInt({ min: lo, max: hi }), async (x) => {
              const w = await c.witness({ in: x });
              return decodeSigned(c.get(w, 'main.out')) === model(x, 8) && c.check(w).length === 0;
            }),
            { numRuns: 300 },
          );
        });

        it('k=2, b=3: every input in and around the range gives the model or is refused', async () => {
          const c = await circuit(2, 3, level);
          const [lo, hi] = rescaleInputRange(2, 3);
          for (const x of range(lo - 8n, hi + 8n)) {
            if (x < lo || x > hi) await expect(c.witness({ in: x }), `in=${x}`).rejects.toThrow(/Assert Failed/);
            else expect(decodeSigned(c.get(await c.witness({ in: x }), 'main.out')), `in=${x}`).toBe(model(x, 2));
          }
        });

        it('k=2, b=3: exhaustive search — the honest witness is the only solution (none out of range)', async () => {
          const c = await circuit(2, 3, level);
          const [lo, hi] = rescaleInputRange(2, 3);
          const free = survivingBits(c, 5);
          if (level === 'O1') expect(free.length).toBe(5);
          for (const x of range(lo - 4n, hi + 4n)) {
            const solutions = satisfyingAssignments(c, x, free, [0n, 1n], range(-6n, 6n));
            if (x < lo || x > hi) expect(solutions, `in=${x}`).toEqual([]);
            else expect(solutions, `in=${x}`).toEqual([await c.witness({ in: x })]);
          }
          // Non-boolean values open no other solution either.
          for (const x of [lo, -1n, 0n, 5n, hi]) {
            const solutions = satisfyingAssignments(c, x, free, [0n, 1n, 2n, -1n], range(-6n, 6n));
            expect(solutions, `in=${x}`).toEqual([await c.witness({ in: x })]);
          }
        });

        it('rejects forged witnesses', async () => {
          let checked = 0;
          let total = 0;
          for (const [k, b] of [
            [2, 3],
            [8, 16],
          ] as const) {
            const c = await circuit(k, b, level);
            const n = k + b;
            const K = 1n << BigInt(k);
            const half = K / 2n;
            const top = 1n << BigInt(b - 1);
            // q = −3 (r = 1), q = 0 (r = 0), q = 2 (r = 2^k − 1)
            for (const x of [-3n * K - half + 1n, -half, 2n * K - half + (K - 1n)]) {
              const honest = await c.witness({ in: x });
              const q = rescale(x, k);
              const r = rescaleRemainder(x, k);
              const uBits = toBits(q + top, b);
              const rBits = toBits(r, k);
              const forgeries: Record<string, Record<string, bigint>> = {
                'out + 1': { 'main.out': model(x, k) + 1n },
                'out − 1': { 'main.out': model(x, k) - 1n },
                'out + 2^b': { 'main.out': model(x, k) + (1n << BigInt(b)) },
                'out = q + 1 (next quotient)': { 'main.out': q + 1n },
                'q + 1 with r − 2^k (top remainder bit − 2)': {
                  ...bitAssignments(rBits.map((v, i) => (i === k - 1 ? v - 2n : v))),
                  ...bitAssignments(toBits(q + 1n + top, b), k),
                  'main.out': activation(q + 1n),
                },
                'q − 1 with r + 2^k ≥ 2^k (top remainder bit + 2)': {
                  ...bitAssignments(rBits.map((v, i) => (i === k - 1 ? v + 2n : v))),
                  ...bitAssignments(toBits(q - 1n + top, b), k),
                  'main.out': activation(q - 1n),
                },
                'another remainder (2^k − 1 − r), same quotient': bitAssignments(toBits(K - 1n - r, k)),
                'flipped sign bit, output following it': {
                  [bit(n - 1)]: 1n - uBits[b - 1],
                  'main.out': activation(uBits[b - 1] === 1n ? q - top : q + top),
                },
                'flipped quotient bit 0, output following it': {
                  [bit(k)]: 1n - uBits[0],
                  'main.out': activation(uBits[0] === 1n ? q - 1n : q + 1n),
                },
                'non-boolean bit: ½ in bit 0': { [bit(0)]: (FIELD_MODULUS + 1n) / 2n },
                'non-boolean bit: bit 0 + 2, bit 1 cleared': { [bit(0)]: 2n + rBits[0], [bit(1)]: 0n },
                'non-boolean sign bit: −1': { [bit(n - 1)]: -1n },
              };
              for (const [what, values] of Object.entries(forgeries)) {
                total++;
                const forged = c.forge(honest, values, { skipEliminated: level === 'O2' });
                if (forged.every((v, i) => v === honest[i])) continue; // only eliminated signals named (O2)
                checked++;
                expect(c.check(forged).length, `${what} (k=${k}, b=${b}, in=${x})`).toBeGreaterThan(0);
              }
            }
          }
          if (level === 'O1') expect(checked).toBe(total);
          else expect(checked).toBeGreaterThan(total * 0.75);
        });

        it('rejects any single altered wire (property)', async () => {
          const c = await circuit(8, 16, level);
          const [lo, hi] = rescaleInputRange(8, 16);
          const inWire = c.symbols.get('main.in')!.wire;
          await fc.assert(
            fc.asyncProperty(
              fc.bigInt({ min: lo, max: hi }),
              fc.integer({ min: 1, max: c.r1cs.nWires - 1 }).filter((wire) => wire !== inWire),
              fc.bigInt({ min: 1n, max: FIELD_MODULUS - 1n }),
              async (x, wire, delta) => {
                const w = await c.witness({ in: x });
                w[wire] = (w[wire] + delta) % FIELD_MODULUS;
                return c.check(w).length > 0;
              },
            ),
            { numRuns: 200 },
          );
        });
      });
    }
  });
}
