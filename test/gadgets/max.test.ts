/**
 * Max2(b) and MaxOf(n, b): the max-pooling gadgets. Exact constraint counts, agreement with
 * the plain model on every input in range, refusal outside it, an exhaustive search showing
 * the honest witness is the only one, and forged witnesses (other outputs, flipped or
 * non-boolean sign bits, forged intermediate maxima) rejected by the independent R1CS checker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeSigned, encodeSigned, FIELD_MODULUS } from '../../src/shared/field.js';
import { compileTestCircuit, gadgetCircuit, removeTestCircuits, type TestCircuit } from '../helpers/circuit.js';
import { hasWire } from '../helpers/r1cs.js';
import { range, toBits } from './harness.js';

afterAll(removeTestCircuits);

const max2 = (b: number, level: 'O1' | 'O2'): Promise<TestCircuit> => compileTestCircuit(gadgetCircuit(`Max2(${b})`, ['a', 'c']), { optimization: level });
const maxOf = (n: number, b: number, level: 'O1' | 'O2'): Promise<TestCircuit> => compileTestCircuit(gadgetCircuit(`MaxOf(${n}, ${b})`), { optimization: level });
const bitName = (i: number) => `main.bits[${i}]`;
const big = (v: bigint) => (v > 0n ? v : -v);

describe('Max2(b)', () => {
  it('costs b + 2 constraints under O2 and b + 3 under O1', async () => {
    const counts: Record<number, [number, number]> = {};
    for (const b of [1, 4, 16]) counts[b] = [(await max2(b, 'O1')).compiled.constraints, (await max2(b, 'O2')).compiled.constraints];
    expect(counts).toEqual({ 1: [4, 3], 4: [7, 6], 16: [19, 18] });
  });

  for (const level of ['O1', 'O2'] as const) {
    describe(`under ${level}`, () => {
      it('b=3: every pair with a − c in [−8, 8) gives max(a, c); other pairs are refused', async () => {
        const c = await max2(3, level);
        for (const a of range(-10n, 10n)) {
          for (const x of range(-10n, 10n)) {
            const d = a - x;
            if (d < -8n || d >= 8n) {
              await expect(c.witness({ a, c: x }), `a=${a} c=${x}`).rejects.toThrow(/Assert Failed/);
              continue;
            }
            const w = await c.witness({ a, c: x });
            expect(decodeSigned(c.get(w, 'main.out')), `a=${a} c=${x}`).toBe(a > x ? a : x);
            expect(c.check(w)).toEqual([]);
          }
        }
      });

      it('b=16: random pairs agree with max (property)', async () => {
        const c = await max2(16, level);
        await fc.assert(
          fc.asyncProperty(fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }), fc.bigInt({ min: -(1n << 16n), max: (1n << 16n) - 1n }), async (a, d) => {
            const w = await c.witness({ a, c: a - d });
            return decodeSigned(c.get(w, 'main.out')) === (d >= 0n ? a : a - d) && c.check(w).length === 0;
          }),
          { numRuns: 200 },
        );
      });

      it('b=2: exhaustive search — the honest witness is the only solution, none when |a − c| is too wide', async () => {
        const c = await max2(2, level);
        const free = [0, 1, 2].map(bitName).filter((n) => hasWire(c.symbols, n));
        if (level === 'O1') expect(free.length).toBe(3);
        const wires = free.map((n) => c.symbols.get(n)!.wire);
        const outWire = c.symbols.get('main.out')!.wire;
        for (const a of range(-6n, 6n)) {
          for (const x of range(-6n, 6n)) {
            const base = new Array<bigint>(c.r1cs.nWires).fill(0n);
            base[0] = 1n;
            base[c.symbols.get('main.a')!.wire] = encodeSigned(a);
            base[c.symbols.get('main.c')!.wire] = encodeSigned(x);
            const solutions: bigint[][] = [];
            const assign = (i: number): void => {
              if (i === wires.length) {
                for (const o of range(-8n, 8n)) {
                  base[outWire] = encodeSigned(o);
                  if (c.check(base).length === 0) solutions.push([...base]);
                }
                return;
              }
              for (const v of [0n, 1n, 2n, -1n]) {
                base[wires[i]!] = encodeSigned(v);
                assign(i + 1);
              }
            };
            assign(0);
            if (a - x < -4n || a - x >= 4n) expect(solutions, `a=${a} c=${x}`).toEqual([]);
            else expect(solutions, `a=${a} c=${x}`).toEqual([await c.witness({ a, c: x })]);
          }
        }
      });

      it('rejects forged witnesses', async () => {
        const b = 8;
        const c = await max2(b, level);
        for (const [a, x] of [
          [5n, -3n],
          [-3n, 5n],
          [7n, 7n],
          [-100n, -101n],
          [127n, -128n],
        ] as const) {
          const honest = await c.witness({ a, c: x });
          const out = a > x ? a : x;
          const bits = toBits(a - x + (1n << BigInt(b)), b + 1);
          const forgeries: Record<string, Record<string, bigint>> = {
            'out = min(a, c)': { 'main.out': a > x ? x : a },
            'out + 1': { 'main.out': out + 1n },
            'out − 1': { 'main.out': out - 1n },
            'out + p − 1': { 'main.out': out + FIELD_MODULUS - 1n },
            'flipped sign bit, output following it': { [bitName(b)]: 1n - bits[b]!, 'main.out': bits[b] === 1n ? x : a },
            'sign bit ½': { [bitName(b)]: (FIELD_MODULUS + 1n) / 2n, 'main.out': (a + x) * ((FIELD_MODULUS + 1n) / 2n) },
            'bit 0 + 2, bit 1 cleared': { [bitName(0)]: bits[0]! + 2n, [bitName(1)]: 0n },
            'sign bit − 1 with bit b−1 + 2 (same sum, wrong sign)': { [bitName(b)]: bits[b]! - 1n, [bitName(b - 1)]: bits[b - 1]! + 2n, 'main.out': bits[b] === 1n ? x : a },
          };
          for (const [what, values] of Object.entries(forgeries)) {
            const forged = c.forge(honest, values, { skipEliminated: level === 'O2' });
            if (forged.every((v, i) => v === honest[i])) continue;
            expect(c.check(forged).length, `${what} (a=${a}, c=${x})`).toBeGreaterThan(0);
          }
          expect(big(a - x)).toBeLessThan(1n << BigInt(b));
        }
      });
    });
  }
});

describe('MaxOf(n, b)', () => {
  it('costs (n − 1)·(b + 2) constraints under O2', async () => {
    const counts: Record<string, number> = {};
    for (const [n, b] of [
      [2, 5],
      [4, 10],
      [9, 3],
    ] as const)
      counts[`${n},${b}`] = (await maxOf(n, b, 'O2')).compiled.constraints;
    expect(counts).toEqual({ '2,5': 7, '4,10': 36, '9,3': 40 });
  });

  it('n=4, b=12: random windows give their maximum (property), too-wide windows are refused', async () => {
    const c = await maxOf(4, 12, 'O2');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.bigInt({ min: -2047n, max: 2047n }), { minLength: 4, maxLength: 4 }), async (xs) => {
        const w = await c.witness({ in: xs });
        const m = xs.reduce((p, v) => (v > p ? v : p));
        return decodeSigned(c.get(w, 'main.out')) === m && c.check(w).length === 0;
      }),
      { numRuns: 150 },
    );
    await expect(c.witness({ in: [-3000n, 2000n, 0n, 0n] })).rejects.toThrow(/Assert Failed/);
  });

  it('rejects forged outputs and forged intermediate maxima', async () => {
    const c = await maxOf(4, 12, 'O1');
    for (const xs of [
      [3n, -7n, 12n, 12n],
      [-5n, -6n, -7n, -8n],
      [0n, 2000n, -2000n, 1n],
    ]) {
      const honest = await c.witness({ in: xs });
      const m = xs.reduce((p, v) => (v > p ? v : p));
      for (const other of [...xs.filter((v) => v !== m), m + 1n, m - 1n]) {
        expect(c.check(c.forge(honest, { 'main.out': other })).length, `out=${other}`).toBeGreaterThan(0);
        expect(c.check(c.forge(honest, { 'main.out': other, 'main.m[1].out': other })).length, `out=m[1]=${other}`).toBeGreaterThan(0);
      }
      expect(c.check(c.forge(honest, { 'main.m[0].out': xs[0]! < xs[1]! ? xs[0]! : xs[1]! })).length).toBeGreaterThan(0);
      expect(c.check(c.forge(honest, { 'main.m[1].out': m + 5n })).length).toBeGreaterThan(0);
    }
  });
});
