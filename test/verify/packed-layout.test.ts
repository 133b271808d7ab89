/**
 * The packed output layout (src/shared/layout.ts) without a circuit: which manifests get it,
 * which are refused, and how a verifier reads values back out of a packed signal.
 */
import { describe, expect, it } from 'vitest';
import { packValues } from '../../src/shared/packing.js';
import { outputPacking, publicSignalLayout, unpackOutputs, type IoDeclaration } from '../../src/shared/layout.js';

const io = (packing?: IoDeclaration['output']['packing']): IoDeclaration => ({
  input: { shape: [1, 4], min: -512, max: 511, visibility: 'hashed' },
  output: { shape: [1, 10], min: -300_000, max: 400_000, visibility: 'public', ...(packing ? { packing } : {}) },
});
const RANGE = { min: -300_000, max: 400_000 };

describe('the packed output layout', () => {
  it('packs 10 values of 20 bits into one signal; a manifest without io.output.packing keeps one signal per value', () => {
    const p = outputPacking(10, RANGE);
    expect(p).toEqual({ bits: 20, perSignal: 12, signals: 1 });
    expect(publicSignalLayout(io(p))).toEqual([
      { kind: 'packed', of: 'output', start: 0, count: 1, values: 10, min: -300_000, max: 400_000, bits: 20, perSignal: 12 },
      { kind: 'commitment', of: 'input', start: 1, count: 1 },
      { kind: 'context', start: 2, count: 1 },
    ]);
    expect(publicSignalLayout(io())[0]).toEqual({ kind: 'values', of: 'output', start: 0, count: 10, min: -300_000, max: 400_000 });
  });

  it('refuses a manifest whose packing is not the packing of its range', () => {
    expect(() => publicSignalLayout(io({ bits: 19, perSignal: 13, signals: 1 }))).toThrow(/is not the packing of 10 values in \[-300000, 400000\]/);
    expect(() => publicSignalLayout(io({ bits: 20, perSignal: 5, signals: 2 }))).toThrow(RangeError);
  });

  it('spans several signals when the values do not fit one', () => {
    const p = outputPacking(30, RANGE);
    expect(p).toEqual({ bits: 20, perSignal: 12, signals: 3 });
    const d = { ...io(p), output: { ...io(p).output, shape: [30], packing: p } };
    const [seg] = publicSignalLayout(d);
    const values = Array.from({ length: 30 }, (_, i) => (i % 2 ? -300_000 + i : 400_000 - i));
    const signals = [...packValues(values, RANGE).map(String), '7', '9'];
    expect(signals).toHaveLength(5);
    expect(unpackOutputs(seg as Extract<typeof seg, { kind: 'packed' }>, signals)).toEqual({ values: values.map(BigInt) });
  });

  it('reads values back out, and refuses bits above the last value and a value above the maximum', () => {
    const [seg] = publicSignalLayout(io(outputPacking(10, RANGE)));
    const packed = seg as Extract<typeof seg, { kind: 'packed' }>;
    const values = [-300_000, 400_000, 0, 1, -1, 5, 6, 7, 8, 9];
    const signal = packValues(values, RANGE)[0]!;
    expect(unpackOutputs(packed, [signal.toString()])).toEqual({ values: values.map(BigInt) });
    expect(unpackOutputs(packed, [(signal + (1n << 200n)).toString()])).toEqual({ problem: 'public signal 0 has bits set above its 10 packed outputs of 20 bits' });
    // value 0 at the top of its 20 bits: −300,000 + 2^20 − 1 = 748,575 > 400,000
    const top = (signal & ~((1n << 20n) - 1n)) | ((1n << 20n) - 1n);
    expect(unpackOutputs(packed, [top.toString()])).toEqual({ problem: 'public output 0 = 748575 is outside the declared range [-300000, 400000]' });
    // a forger's receipt that packs alike: output 0 + 2^20, output 1 − 1 — packValues refuses it, the read gives the honest values
    expect(() => packValues([values[0]! + 2 ** 20, values[1]! - 1, ...values.slice(2)], RANGE)).toThrow(/outside the declared range/);
  });
});
