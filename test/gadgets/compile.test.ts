import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileCircom } from '../../src/compile/circom.js';
import { CompileError, InvalidArgumentError } from '../../src/shared/errors.js';
import { FIELD_MODULUS } from '../../src/shared/field.js';
import { checkWitness, readR1cs, readSymbols } from '../helpers/r1cs.js';

let dir: string;

async function source(name: string, text: string): Promise<string> {
  const file = path.join(dir, `${name}.circom`);
  await writeFile(file, text);
  return file;
}

const SQUARE = `pragma circom 2.1.0;
include "bitify.circom";
include "zkinfer/bits.circom";
template Square() {
  signal input a;
  signal output b;
  b <== a * a;
  component n = Num2Bits(4);
  n.in <== a;
  component m = Bits(4);
  m.in <== a;
}
component main {public [a]} = Square();
`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'zkinfer-compile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('compileCircom', () => {
  it('compiles with circomlib and zkinfer on the include path and reports the r1cs counts', async () => {
    const file = await source('square', SQUARE);
    const out = path.join(dir, 'square-out');
    const result = await compileCircom(file, { outDir: out });
    expect(result.r1csPath).toBe(path.join(out, 'square.r1cs'));
    expect(result.symPath).toBe(path.join(out, 'square.sym'));
    expect(result.wasmPath).toBe(path.join(out, 'square_js', 'square.wasm'));
    expect(result.witnessCalculatorPath).toBe(path.join(out, 'square_js', 'witness_calculator.js'));
    for (const p of [result.r1csPath, result.symPath, result.wasmPath, result.witnessCalculatorPath]) expect(existsSync(p)).toBe(true);
    expect(result.compilerVersion).toBe('2.2.3');
    expect(result.log).toContain('Everything went okay');
    expect(result.log).not.toContain('\u001b[');
    expect(result.warnings).toEqual([]);

    // The header counts agree with the independent full parser and with the log.
    const r1cs = await readR1cs(result.r1csPath);
    expect(r1cs.prime).toBe(FIELD_MODULUS);
    expect({
      constraints: result.constraints,
      wires: result.wires,
      publicInputs: result.publicInputs,
      privateInputs: result.privateInputs,
      outputs: result.outputs,
      labels: result.labels,
    }).toEqual({
      constraints: r1cs.constraints.length,
      wires: r1cs.nWires,
      publicInputs: r1cs.nPublicInputs,
      privateInputs: r1cs.nPrivateInputs,
      outputs: r1cs.nOutputs,
      labels: r1cs.nLabels,
    });
    // O2: b = a·a, 4 + 4 booleanity constraints; both sums fold into a bit each.
    expect(result).toMatchObject({ constraints: 9, wires: 9, publicInputs: 1, privateInputs: 0, outputs: 1 });
    expect(result.log).toContain(`wires: ${result.wires}`);

    // The generated CommonJS witness calculator loads inside this ESM package.
    const builder = createRequire(import.meta.url)(result.witnessCalculatorPath) as (code: Uint8Array) => Promise<{ calculateWitness(i: object, s: boolean): Promise<bigint[]> }>;
    const wc = await builder(await readFile(result.wasmPath));
    const w = await wc.calculateWitness({ a: 5n }, true);
    expect(checkWitness(r1cs, w)).toEqual([]);
    const sym = await readSymbols(result.symPath);
    expect(w[sym.get('main.b')!.wire]).toBe(25n);
  });

  it('honours the optimization level', async () => {
    const file = await source('square-o1', SQUARE);
    const o1 = await compileCircom(file, { outDir: path.join(dir, 'o1'), optimization: 'O1' });
    expect(o1.constraints).toBe(11);
  });

  it('reports compile errors as CompileError with the compiler output in details', async () => {
    const file = await source('syntax', 'pragma circom 2.1.0;\ntemplate T() { signal input a; signal output b; b <== a * a }\ncomponent main = T();\n');
    const err = await compileCircom(file, { outDir: path.join(dir, 'syntax-out') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).message).toBe(`circom could not compile ${file}`);
    expect((err as CompileError).details).toContain('error[P1008]: Missing semicolon');
    expect((err as CompileError).details).toContain(`"${file}":2:60`);
  });

  it('fails on gadget parameter asserts (k + b > 200 could wrap the field)', async () => {
    const file = await source('toowide', 'pragma circom 2.1.0;\ninclude "zkinfer/rescale.circom";\ncomponent main {public [in]} = RescaleSigned(100, 101);\n');
    const err = await compileCircom(file, { outDir: path.join(dir, 'toowide-out') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).message).toBe(`circom could not compile ${file}`);
    expect((err as CompileError).details).toContain('error[T3001]: False assert reached');
    expect((err as CompileError).details).toContain('assert(k + b <= 200)');
  });

  it('reports a missing include', async () => {
    const file = await source('noinclude', 'pragma circom 2.1.0;\ninclude "nope/missing.circom";\ntemplate T() { signal input a; }\ncomponent main = T();\n');
    const err = await compileCircom(file, { outDir: path.join(dir, 'noinclude-out') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).details).toContain('nope/missing.circom');
  });

  it('reports a compiler crash (WebAssembly stack overflow on a 600-term flat sum)', async () => {
    const terms = Array.from({ length: 600 }, (_, i) => `${(i % 7) + 1}*x[${i}]`).join(' + ');
    const file = await source('deep', `pragma circom 2.1.0;\ntemplate T() { signal input x[600]; signal output y; y <== ${terms}; }\ncomponent main {public [x]} = T();\n`);
    const err = await compileCircom(file, { outDir: path.join(dir, 'deep-out') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).message).toBe(`circom crashed while compiling ${file}`);
    expect((err as CompileError).details).toContain('RuntimeError: memory access out of bounds');
    expect((err as CompileError).details).toContain('1 MiB stack');
  });

  it('checks its arguments and the source file', async () => {
    await expect(compileCircom(path.join(dir, 'absent.circom'), { outDir: dir })).rejects.toThrow(new CompileError(`circom source ${path.join(dir, 'absent.circom')} cannot be read`));
    await expect(compileCircom('x.circom', { outDir: '' })).rejects.toThrow(new InvalidArgumentError('expected options.outDir to be a non-empty string, got '));
    await expect(compileCircom('x.circom', { outDir: dir, optimization: 'O3' as 'O2' })).rejects.toThrow(new InvalidArgumentError('expected options.optimization to be one of O0, O1, O2, got O3'));
  });

  it('can be aborted', async () => {
    const file = await source('abort', SQUARE);
    const controller = new AbortController();
    const pending = compileCircom(file, { outDir: path.join(dir, 'abort-out'), signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow(new CompileError(`compilation of ${file} was aborted`));
  });

  it('is deterministic: the same source gives the same r1cs and sym, byte for byte', async () => {
    const file = await source('det', SQUARE);
    const a = await compileCircom(file, { outDir: path.join(dir, 'det-a') });
    const b = await compileCircom(file, { outDir: path.join(dir, 'det-b') });
    expect(await readFile(b.r1csPath)).toEqual(await readFile(a.r1csPath));
    expect(await readFile(b.symPath)).toEqual(await readFile(a.symPath));
  });

  it('runs concurrent compilations (queued, at most one per CPU) without mixing their outputs', async () => {
    const files = await Promise.all([3, 5, 7, 9].map((n) => source(`par${n}`, `pragma circom 2.1.0;\ninclude "zkinfer/bits.circom";\ncomponent main {public [in]} = Bits(${n});\n`)));
    const results = await Promise.all(files.map((f, i) => compileCircom(f, { outDir: path.join(dir, `par-out${i}`) })));
    expect(results.map((r) => r.constraints)).toEqual([4, 6, 8, 10]);
    results.forEach((r, i) => expect(r.log).toContain(`Written successfully: ${path.join(dir, `par-out${i}`)}`));
  });

  it('passes --inspect: the gadgets have no under-constrained signal, only the expected CA02 notes', async () => {
    const file = await source(
      'inspect',
      `pragma circom 2.1.0;
include "zkinfer/zkinfer.circom";
template All() {
  signal input in[5];
  signal output out[3];
  component rc = RangeCheckSigned(8);
  rc.in <== in[0];
  component rs = RescaleSigned(4, 8);
  rs.in <== in[1];
  out[0] <== rs.out;
  component rr = RescaleRelu(4, 8);
  rr.in <== in[2];
  out[1] <== rr.out;
  component re = Relu(8);
  re.in <== in[3];
  out[2] <== re.out;
  component bits = Bits(4);
  bits.in <== in[4];
}
component main {public [in]} = All();
`,
    );
    const result = await compileCircom(file, { outDir: path.join(dir, 'inspect-out'), inspect: true });
    expect(result.constraints).toBe(8 + 12 + 13 + 9 + 4);
    // CA02: a subcomponent output the parent does not use (d.bits inside the gadgets,
    // bits.out here) — the signals are constrained inside their own component.
    expect(result.warnings.length).toBeGreaterThan(0);
    for (const w of result.warnings) expect(w).toMatch(/^warning\[CA02\]: In template "\w+\([\d,]*\)": Array of subcomponent input\/output signals (d\.bits|bits\.out) /);
  });

  it.runIf(existsSync('/proc/self/fd'))('leaks no file descriptors across compilations', async () => {
    const file = await source('fds', SQUARE);
    await compileCircom(file, { outDir: path.join(dir, 'fds-out') });
    const before = (await readdir('/proc/self/fd')).length;
    for (let i = 0; i < 3; i++) await compileCircom(file, { outDir: path.join(dir, 'fds-out') });
    expect((await readdir('/proc/self/fd')).length).toBe(before);
  });
});
