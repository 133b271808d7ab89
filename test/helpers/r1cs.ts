/**
 * An independent R1CS checker for tests: reads circom's `.r1cs` (iden3 binary format,
 * https://github.com/iden3/r1csfile/blob/master/doc/r1cs_bin_format.md) and `.sym` files and checks
 * a witness against every constraint A·w × B·w = C·w (mod p) with plain bigint arithmetic.
 * It shares no code with circom's witness generator or snarkjs, so a forged witness that it
 * accepts is a real hole in the constraints, not an artefact of the tool that made it.
 */
import { readFile } from 'node:fs/promises';

/** A linear combination: (wire index, coefficient) pairs, coefficients canonical in [0, p). */
export type LinearCombination = ReadonlyArray<readonly [wire: number, coefficient: bigint]>;

/** One rank-1 constraint A·w × B·w = C·w. */
export interface R1csConstraint {
  a: LinearCombination;
  b: LinearCombination;
  c: LinearCombination;
}

/** A parsed `.r1cs` file. Wire 0 is the constant 1, then outputs, public inputs, private inputs. */
export interface R1cs {
  prime: bigint;
  nWires: number;
  nOutputs: number;
  nPublicInputs: number;
  nPrivateInputs: number;
  nLabels: number;
  constraints: R1csConstraint[];
  /** Label id of every wire (section 3), when present. */
  wireToLabel: bigint[];
}

/** One line of a `.sym` file. `wire` is −1 when the optimizer eliminated the signal. */
export interface SymbolEntry {
  label: number;
  wire: number;
  component: number;
}

/** Signal name (e.g. `main.d.bits[3]`) → its symbol entry. */
export type SymbolTable = ReadonlyMap<string, SymbolEntry>;

function readLe(buf: Buffer, pos: number, n8: number): bigint {
  let v = 0n;
  for (let i = n8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[pos + i]);
  return v;
}

/**
 * Parses a `.r1cs` file completely (header, constraints, wire-to-label map).
 * @throws {Error} on a malformed file (bad magic, version, truncated sections)
 */
export async function readR1cs(path: string): Promise<R1cs> {
  const buf = await readFile(path);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'r1cs') throw new Error(`${path}: not an r1cs file`);
  if (buf.readUInt32LE(4) !== 1) throw new Error(`${path}: unsupported r1cs version ${buf.readUInt32LE(4)}`);
  const nSections = buf.readUInt32LE(8);
  const sections = new Map<number, { start: number; size: number }>();
  let pos = 12;
  for (let i = 0; i < nSections; i++) {
    const type = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    if (pos + 12 + size > buf.length) throw new Error(`${path}: section ${type} is truncated`);
    sections.set(type, { start: pos + 12, size });
    pos += 12 + size;
  }
  const header = sections.get(1);
  const body = sections.get(2);
  if (!header || !body) throw new Error(`${path}: missing header or constraint section`);

  let h = header.start;
  const n8 = buf.readUInt32LE(h);
  const prime = readLe(buf, h + 4, n8);
  h += 4 + n8;
  const nWires = buf.readUInt32LE(h);
  const nOutputs = buf.readUInt32LE(h + 4);
  const nPublicInputs = buf.readUInt32LE(h + 8);
  const nPrivateInputs = buf.readUInt32LE(h + 12);
  const nLabels = Number(buf.readBigUInt64LE(h + 16));
  const nConstraints = buf.readUInt32LE(h + 24);

  let c = body.start;
  const readLc = (): LinearCombination => {
    const nTerms = buf.readUInt32LE(c);
    c += 4;
    const terms: Array<readonly [number, bigint]> = [];
    for (let i = 0; i < nTerms; i++) {
      const wire = buf.readUInt32LE(c);
      const coefficient = readLe(buf, c + 4, n8);
      if (wire >= nWires) throw new Error(`${path}: constraint refers to wire ${wire} of ${nWires}`);
      if (coefficient >= prime) throw new Error(`${path}: non-canonical coefficient`);
      terms.push([wire, coefficient]);
      c += 4 + n8;
    }
    return terms;
  };
  const constraints: R1csConstraint[] = [];
  for (let i = 0; i < nConstraints; i++) {
    const a = readLc();
    const b = readLc();
    constraints.push({ a, b, c: readLc() });
  }
  if (c !== body.start + body.size) throw new Error(`${path}: constraint section size mismatch`);

  const wireToLabel: bigint[] = [];
  const labels = sections.get(3);
  if (labels) {
    for (let i = 0; i < nWires; i++) wireToLabel.push(buf.readBigUInt64LE(labels.start + 8 * i));
  }
  return { prime, nWires, nOutputs, nPublicInputs, nPrivateInputs, nLabels, constraints, wireToLabel };
}

/**
 * Parses a `.sym` file (`label,wire,component,name` per line).
 * @throws {Error} on a malformed line
 */
export async function readSymbols(path: string): Promise<SymbolTable> {
  const table = new Map<string, SymbolEntry>();
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    if (line.length === 0) continue;
    const m = /^(\d+),(-?\d+),(-?\d+),(.+)$/.exec(line);
    if (!m) throw new Error(`${path}: malformed symbol line ${JSON.stringify(line)}`);
    table.set(m[4], { label: Number(m[1]), wire: Number(m[2]), component: Number(m[3]) });
  }
  return table;
}

function mod(x: bigint, p: bigint): bigint {
  const r = x % p;
  return r < 0n ? r + p : r;
}

function evaluate(lc: LinearCombination, witness: readonly bigint[], p: bigint): bigint {
  let acc = 0n;
  for (const [wire, coefficient] of lc) acc += coefficient * witness[wire];
  return mod(acc, p);
}

/**
 * Checks a witness against every constraint of the system.
 * Witness values may be any bigints (they are reduced mod p), so forged values need no encoding.
 * @returns the indices of the constraints that fail (empty iff the witness satisfies the system)
 * @throws {Error} if the witness has the wrong length or wire 0 is not 1 (not a witness at all)
 */
export function checkWitness(r1cs: R1cs, witness: readonly bigint[]): number[] {
  if (witness.length !== r1cs.nWires) throw new Error(`expected a witness of ${r1cs.nWires} wires, got ${witness.length}`);
  if (mod(witness[0], r1cs.prime) !== 1n) throw new Error(`expected wire 0 to be 1, got ${witness[0]}`);
  const p = r1cs.prime;
  const failed: number[] = [];
  r1cs.constraints.forEach((k, i) => {
    if (mod(evaluate(k.a, witness, p) * evaluate(k.b, witness, p) - evaluate(k.c, witness, p), p) !== 0n) failed.push(i);
  });
  return failed;
}

/**
 * The wire index of a named signal.
 * @throws {Error} if the name is unknown or the optimizer eliminated the signal
 */
export function wireOf(symbols: SymbolTable, name: string): number {
  const entry = symbols.get(name);
  if (!entry) throw new Error(`unknown signal ${name}`);
  if (entry.wire < 0) throw new Error(`signal ${name} was eliminated by the optimizer (no wire)`);
  return entry.wire;
}

/** Whether a named signal exists and kept its own wire after optimization. */
export function hasWire(symbols: SymbolTable, name: string): boolean {
  return (symbols.get(name)?.wire ?? -1) >= 0;
}

/** Reads a named signal from a witness (raw field element). */
export function getSignal(witness: readonly bigint[], symbols: SymbolTable, name: string): bigint {
  return witness[wireOf(symbols, name)];
}

/**
 * Returns a copy of `witness` with named signals replaced (values reduced mod p, so negative
 * integers are encoded as field elements). Used to forge witnesses.
 * @param options.skipEliminated silently skip signals without a wire (default: throw)
 * @throws {Error} for an unknown signal, or an eliminated one unless skipped
 */
export function setSignals(witness: readonly bigint[], symbols: SymbolTable, values: Readonly<Record<string, bigint>>, prime: bigint, options: { skipEliminated?: boolean } = {}): bigint[] {
  const out = [...witness];
  for (const [name, value] of Object.entries(values)) {
    if (options.skipEliminated && symbols.has(name) && !hasWire(symbols, name)) continue;
    out[wireOf(symbols, name)] = mod(value, prime);
  }
  return out;
}
