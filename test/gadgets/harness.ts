/**
 * Shared machinery for the gadget tests: naming the decomposition bits, building forged
 * witnesses from bit patterns, and the exhaustive search that proves a gadget's output unique.
 */
import { encodeSigned } from '../../src/shared/field.js';
import { hasWire } from '../helpers/r1cs.js';
import type { TestCircuit } from '../helpers/circuit.js';

/** Name of bit i of the gadget's SignedDecompose component `main.d`. */
export const bit = (i: number): string => `main.d.bits[${i}]`;

/** The n little-endian bits of a non-negative integer. */
export function toBits(value: bigint, n: number): bigint[] {
  if (value < 0n || value >= 1n << BigInt(n)) throw new RangeError(`${value} does not fit in ${n} bits`);
  return Array.from({ length: n }, (_, i) => (value >> BigInt(i)) & 1n);
}

/** Assignments `main.d.bits[from + i] = values[i]`. */
export function bitAssignments(values: readonly bigint[], from = 0): Record<string, bigint> {
  return Object.fromEntries(values.map((v, i) => [bit(from + i), v]));
}

/** The gadget's bit signals that kept a wire after optimization. */
export function survivingBits(c: TestCircuit, n: number): string[] {
  return Array.from({ length: n }, (_, i) => bit(i)).filter((name) => hasWire(c.symbols, name));
}

/**
 * Every assignment of `free` signals (each over `domain`) and of `main.out` (over `outs`, when
 * given) that satisfies all constraints for the public input `main.in = x`, with the `fixed`
 * signals at their given values (wires a linear constraint determines). All other wires are 0.
 * @returns the satisfying witnesses
 */
export function satisfyingAssignments(c: TestCircuit, x: bigint, free: readonly string[], domain: readonly bigint[], outs?: readonly bigint[], fixed: Record<string, bigint> = {}): bigint[][] {
  const base = new Array<bigint>(c.r1cs.nWires).fill(0n);
  base[0] = 1n;
  for (const [name, v] of Object.entries(fixed)) if (hasWire(c.symbols, name)) base[c.symbols.get(name)!.wire] = encodeSigned(v);
  const freeWires = free.map((name) => c.symbols.get(name)!.wire);
  base[c.symbols.get('main.in')!.wire] = encodeSigned(x);
  const outWire = outs ? c.symbols.get('main.out')!.wire : -1;
  const solutions: bigint[][] = [];
  const w = [...base];
  const recurse = (i: number): void => {
    if (i === freeWires.length) {
      for (const o of outs ?? [0n]) {
        if (outWire >= 0) w[outWire] = encodeSigned(o);
        if (c.check(w).length === 0) solutions.push([...w]);
      }
      return;
    }
    for (const v of domain) {
      w[freeWires[i]] = encodeSigned(v);
      recurse(i + 1);
    }
  };
  recurse(0);
  return solutions;
}

/** Integers from lo to hi inclusive. */
export function range(lo: bigint, hi: bigint): bigint[] {
  const out: bigint[] = [];
  for (let v = lo; v <= hi; v++) out.push(v);
  return out;
}
