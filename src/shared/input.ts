/**
 * Reading model inputs: `{"input": <nested array in the ONNX input's shape>}` as one JSON
 * file, or one such object per line of a JSONL file (optionally with "id" and "label").
 * Every failure names the file, the line and the field.
 */
import { readFileSync } from 'node:fs';
import { InputError } from './errors.js';

/** One parsed input record. */
export interface InputRecord {
  /** The record's id: its "id" field, or `line-N` (1-based) for JSONL, or `input`. */
  id: string;
  label?: number;
  /** Values flattened row-major. */
  values: Float64Array;
  /** 1-based line number in a JSONL file. */
  line?: number;
}

/** The shape of a nested array, read along its first elements. */
function nestedShape(v: unknown): number[] {
  const dims: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]) dims.push(x.length);
  return dims;
}

/**
 * What the likely mistake is when an input's outer length is wrong: the batch dimension left
 * out, or one row given to a model exported with a fixed batch. Empty when neither fits.
 */
function outerShapeHint(value: unknown[], shape: readonly number[]): string {
  const got = nestedShape(value);
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  const seen = `; this input has shape [${got.join(', ')}]`;
  if (shape[0] === 1 && same(got, shape.slice(1))) return `${seen}: wrap it in one more [ ] for the batch dimension`;
  if (shape[0]! > 1 && same(got.slice(1), shape.slice(1)) && got[0]! < shape[0]!) {
    return `${seen}: the model was exported with a fixed batch of ${shape[0]}; compile it with --batch 1 to prove one row at a time`;
  }
  return '';
}

/**
 * Flattens a nested array, checking it has exactly `shape` and holds finite numbers.
 * @throws {InputError} naming `where` and the first offending position
 */
export function flattenInput(value: unknown, shape: readonly number[], where: string): Float64Array {
  const total = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(total);
  let k = 0;
  const walk = (v: unknown, depth: number, path: string) => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new InputError(`${where}: "input"${path} must be a number, got ${v === null ? 'null' : typeof v}`);
      if (!Number.isFinite(v)) throw new InputError(`${where}: "input"${path} is ${v}; inputs must be finite numbers`);
      out[k++] = v;
      return;
    }
    if (!Array.isArray(v)) throw new InputError(`${where}: "input"${path} must be an array of length ${shape[depth]} (expected shape [${shape.join(', ')}])`);
    if (v.length !== shape[depth]) {
      const hint = depth === 0 ? outerShapeHint(v, shape) : '';
      throw new InputError(`${where}: "input"${path} has length ${v.length}, expected ${shape[depth]} (expected shape [${shape.join(', ')}]${hint})`);
    }
    v.forEach((item, i) => walk(item, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, '');
  return out;
}

/**
 * Parses one input object (already JSON-decoded).
 * @throws {InputError} when "input" is missing or has the wrong shape
 */
export function parseInputObject(obj: unknown, shape: readonly number[], where: string, fallbackId: string): InputRecord {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InputError(`${where}: expected a JSON object with an "input" field`);
  const record = obj as Record<string, unknown>;
  if (!('input' in record)) throw new InputError(`${where}: missing field "input"`);
  const id = record.id;
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') throw new InputError(`${where}: "id" must be a string or number`);
  const label = record.label;
  if (label !== undefined && typeof label !== 'number') throw new InputError(`${where}: "label" must be a number`);
  // NaN and Infinity are not JSON; accept the strings "NaN"/"Infinity" only to reject them clearly.
  return { id: id === undefined ? fallbackId : String(id), label, values: flattenInput(normaliseSpecials(record.input, shape.length), shape, where) };
}

/**
 * Turns the strings "NaN"/"Infinity" into numbers down to the shape's depth and no further:
 * a line nested thousands deep must fail the shape check, not exhaust the stack.
 */
function normaliseSpecials(v: unknown, depth: number): unknown {
  if (Array.isArray(v)) return depth > 0 ? v.map((item) => normaliseSpecials(item, depth - 1)) : v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity' || v === '+Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v;
}

/** Parses JSON text, turning bare NaN/Infinity (as Python's json module writes them) into strings first. */
function parseJsonLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const patched = text.replace(/(?<=[[,:\s])(-?Infinity|NaN)(?=\s*[\],}])/g, '"$1"');
    if (patched !== text) {
      try {
        return JSON.parse(patched);
      } catch {
        /* report the original error */
      }
    }
    throw first;
  }
}

/**
 * Reads an input JSON file.
 * @throws {InputError} for a missing file, malformed JSON or a wrong shape
 */
export function readInputFile(path: string, shape: readonly number[]): InputRecord {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new InputError(`${path}: cannot read input file (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  let obj: unknown;
  try {
    obj = parseJsonLenient(text);
  } catch (cause) {
    throw new InputError(`${path}: malformed JSON (${(cause as Error).message})`, { cause });
  }
  return parseInputObject(obj, shape, path, 'input');
}

/** A JSONL line that could not be parsed, with its reason. */
export interface InputFailure {
  line: number;
  id?: string;
  reason: string;
}

/**
 * Reads a JSONL input file; bad lines are returned as failures rather than thrown, so a
 * batch can go on. Blank lines are skipped.
 * @throws {InputError} only when the file cannot be read
 */
export function readInputLines(path: string, shape: readonly number[]): { records: InputRecord[]; failures: InputFailure[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new InputError(`${path}: cannot read inputs file (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  const records: InputRecord[] = [];
  const failures: InputFailure[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const where = `${path}:${line}`;
    try {
      let obj: unknown;
      try {
        obj = parseJsonLenient(raw);
      } catch (cause) {
        throw new InputError(`${where}: malformed JSON (${(cause as Error).message})`, { cause });
      }
      records.push({ ...parseInputObject(obj, shape, where, `line-${line}`), line });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      failures.push({ line, reason: e.message });
    }
  });
  return { records, failures };
}
