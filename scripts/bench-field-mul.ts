/**
 * `npx tsx scripts/bench-field-mul.ts [--calls N] [--runs N]`: times one Montgomery
 * multiplication (and squaring) of the BN254 fields in snarkjs's wasm module — wasmcurves'
 * `f1m_mul`/`f1m_square`/`frm_mul`/`frm_square` against src/shared/wasm-field-mul.ts's
 * 29-bit-limb version — in a loop inside wasm (r ← r · y, N times), so the JavaScript call
 * does not count. Prints ns per call (CPU time of the process, best and median of the runs)
 * and checks that both give the same results on the loop's values.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { emitMontMul, type FieldModuleBuilder, type FunctionBuilder } from '../src/shared/wasm-field-mul.js';
import { intFlag } from './lib/args.js';
import { median } from './lib/bench-report.js';

const require = createRequire(import.meta.url);
const buildBn128 = require('wasmcurves/src/bn128/build_bn128.js') as (m: unknown) => void;
/** wasmbuilder's module builder (the package ships no types): the parts used here. */
interface ModuleBuilder {
  setMemory(pages: number): void;
  addFunction(name: string): unknown;
  exportFunction(name: string): void;
  alloc(bytes: number): number;
  build(): Uint8Array;
}
const { ModuleBuilder } = require('wasmbuilder') as { ModuleBuilder: new () => ModuleBuilder };

type Code = number[];
interface LoopBuilder {
  addParam(name: string, type: 'i32'): void;
  addLocal(name: string, type: 'i32'): void;
  getCodeBuilder(): {
    getLocal(n: string): Code;
    setLocal(n: string, v: Code): Code;
    i32_const(v: number): Code;
    i32_sub(a: Code, b: Code): Code;
    i32_eqz(a: Code): Code;
    call(fn: string, ...args: Code[]): Code;
    block(c: Code): Code;
    loop(...c: Code[]): Code;
    br_if(d: number, c: Code): Code;
    br(d: number): Code;
  };
  addCode(...c: Code[]): void;
}

/** `${fn}_loop(x, y, n)`: n times x ← fn(x, y) (or x ← fn(x) for a square). */
function addLoop(module: ModuleBuilder, fn: string, square: boolean): string {
  const f = module.addFunction(`${fn}_loop`) as unknown as LoopBuilder;
  f.addParam('x', 'i32');
  f.addParam('y', 'i32');
  f.addParam('n', 'i32');
  const c = f.getCodeBuilder();
  const step = square ? c.call(fn, c.getLocal('x'), c.getLocal('x')) : c.call(fn, c.getLocal('x'), c.getLocal('y'), c.getLocal('x'));
  f.addCode(c.block(c.loop(c.br_if(1, c.i32_eqz(c.getLocal('n'))), step, c.setLocal('n', c.i32_sub(c.getLocal('n'), c.i32_const(1))), c.br(0))));
  module.exportFunction(`${fn}_loop`);
  return `${fn}_loop`;
}

async function main() {
  const calls = intFlag('--calls', 2_000_000);
  const runs = intFlag('--runs', 7);
  const module = new ModuleBuilder();
  module.setMemory(25);
  buildBn128(module);
  const fm = module as unknown as FieldModuleBuilder;
  const fields: Array<{ prefix: string; q: bigint }> = ['f1m', 'frm'].map((prefix) => ({ prefix, q: fm.modules[prefix]!.q! }));
  const variants: Array<{ field: string; name: string; fn: string; square: boolean }> = [];
  for (const { prefix, q } of fields) {
    for (const square of [false, true]) {
      const op = square ? 'square' : 'mul';
      variants.push({ field: prefix, name: `wasmcurves ${prefix}_${op}`, fn: addLoop(module, `${prefix}_${op}`, square), square });
      for (const shape of square ? (['symmetric', 'full'] as const) : (['full'] as const)) {
        const mine = `${prefix}_zk29${shape}_${op}`;
        emitMontMul(module.addFunction(mine) as unknown as FunctionBuilder, q, square, { square: shape });
        variants.push({ field: prefix, name: `29-bit limbs ${op}${square ? ` (${shape} products)` : ''}`, fn: addLoop(module, mine, square), square });
      }
    }
  }
  const memory = new WebAssembly.Memory({ initial: 25 });
  const { instance } = (await WebAssembly.instantiate(module.build(), { env: { memory } })) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
  const exports = instance.exports as Record<string, (x: number, y: number, n: number) => void>;
  const bytes = new Uint8Array(memory.buffer);
  const pX = module.alloc(64);
  const pY = pX + 32;
  const toBig = (p: number) => bytes.subarray(p, p + 32).reduce((v, b, i) => v + (BigInt(b) << BigInt(8 * i)), 0n);
  const put = (p: number, v: bigint) => {
    for (let i = 0; i < 32; i++) bytes[p + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  };

  // the variants of a field take turns, run after run, so a change of load touches them alike
  const rows: string[] = [];
  for (const { prefix, q } of fields) {
    const seedX = BigInt(`0x${randomBytes(32).toString('hex')}`) % q;
    const seedY = BigInt(`0x${randomBytes(32).toString('hex')}`) % q;
    const mine = variants.filter((v) => v.field === prefix);
    const ns = mine.map(() => [] as number[]);
    const results = new Map<string, bigint>();
    for (let run = 0; run < runs; run++) {
      mine.forEach((v, i) => {
        put(pX, seedX);
        put(pY, seedY);
        const t0 = process.cpuUsage();
        exports[v.fn]!(pX, pY, calls);
        const t = process.cpuUsage(t0);
        ns[i]!.push(((t.user + t.system) * 1000) / calls);
        const key = v.square ? 'square' : 'mul';
        const got = toBig(pX);
        if (results.has(key) && results.get(key) !== got) throw new Error(`${v.name} disagrees with wasmcurves after ${calls} calls`);
        results.set(key, got);
      });
    }
    mine.forEach((v, i) => rows.push(`| ${prefix} | ${v.name} | ${Math.min(...ns[i]!).toFixed(1)} | ${median(ns[i]!).toFixed(1)} |`));
  }
  console.log(`${calls.toLocaleString('en-US')} chained calls per run, ${runs} runs; ns per call from the process's CPU time (user + sys)\n`);
  console.log('| field | function | best ns | median ns |\n|---|---|---:|---:|');
  console.log(rows.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
