/**
 * Linear combinations of circuit signals with integer coefficients. Linear layers with
 * compile-time weights only ever build these; they become constraints solely where a
 * gadget or a public output consumes them.
 */
import { encodeSigned } from '../shared/field.js';

/** Σ coeff·signal + constant, with signal names as Circom expressions (e.g. `in[3]`). */
export interface LinearExpr {
  terms: Map<string, bigint>;
  constant: bigint;
}

/** The expression consisting of one signal. */
export function signalExpr(name: string): LinearExpr {
  return { terms: new Map([[name, 1n]]), constant: 0n };
}

/** Σ weights[i]·exprs[i] + constant. */
export function combine(exprs: readonly LinearExpr[], weights: ArrayLike<number>, offset: number, constant: number): LinearExpr {
  const terms = new Map<string, bigint>();
  let c = BigInt(constant);
  for (let i = 0; i < exprs.length; i++) {
    const w = BigInt(weights[offset + i]!);
    if (w === 0n) continue;
    const e = exprs[i]!;
    c += w * e.constant;
    for (const [s, k] of e.terms) {
      const v = (terms.get(s) ?? 0n) + w * k;
      if (v === 0n) terms.delete(s);
      else terms.set(s, v);
    }
  }
  return { terms, constant: c };
}

/** expr + constant. */
export function addConstant(e: LinearExpr, constant: number): LinearExpr {
  return { terms: e.terms, constant: e.constant + BigInt(constant) };
}

/** Terms per flat run before the sum is split into parenthesised halves. */
const FLAT_TERMS = 8;

/**
 * Circom source text of the expression, e.g. `3*in[0] - 5*in[1] + 7`. Coefficients are
 * written as signed integers (Circom reduces them into the field). Long sums are written
 * as a balanced tree of parenthesised halves: circom2 runs in WebAssembly with a 1 MiB
 * stack, and its parser recurses once per `+` of a flat sum, so a 784-term flat sum
 * overflows while a tree of depth log2(n) does not.
 */
export function formatExpr(e: LinearExpr): string {
  const terms: string[] = [];
  for (const [s, k] of e.terms) terms.push(k === 1n ? s : k === -1n ? `-${s}` : `${k}*${s}`);
  if (e.constant !== 0n || terms.length === 0) terms.push(`${e.constant}`);
  return tree(terms, 0, terms.length);
}

function tree(terms: string[], lo: number, hi: number): string {
  if (hi - lo <= FLAT_TERMS) return terms.slice(lo, hi).join(' + ').replace(/\+ -/g, '- ');
  const mid = (lo + hi) >>> 1;
  return `(${tree(terms, lo, mid)}) + (${tree(terms, mid, hi)})`;
}

/** Evaluates the expression over a signal assignment (field arithmetic), for tests. */
export function evalExpr(e: LinearExpr, signals: (name: string) => bigint): bigint {
  let acc = e.constant;
  for (const [s, k] of e.terms) acc += k * signals(s);
  return encodeSigned(acc);
}

/** The constant expression c. */
export function constantExpr(c: number): LinearExpr {
  return { terms: new Map(), constant: BigInt(c) };
}
