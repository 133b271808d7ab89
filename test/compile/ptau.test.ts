/**
 * Local powers of tau and Groth16 setup, checked against snarkjs itself: its `powersoftau verify`
 * (proofs of knowledge, transcript hashes, power relations and the Lagrange sections), its own
 * `prepare phase2` run on our file (byte-identical output), `zkey verify` from the r1cs, and real
 * proofs of a tiny Circom circuit.
 */

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePreparedPtau, inspectPtau, localPtau, type PtauInfo } from '../../src/compile/ptau.js';
import { groth16Setup } from '../../src/compile/setup.js';
import { InputError, InvalidArgumentError } from '../../src/shared/errors.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

interface Proof {
  proof: unknown;
  publicSignals: string[];
}
interface SnarkjsForTests {
  powersOfTau: {
    verify(path: string): Promise<boolean>;
    preparePhase2(oldPath: string, newPath: string): Promise<void>;
    newAccumulator(curve: unknown, power: number, path: string): Promise<Uint8Array>;
  };
  zKey: { verifyFromR1cs(r1cs: string, ptau: string, zkey: string): Promise<boolean> };
  groth16: {
    fullProve(input: Record<string, unknown>, wasm: string, zkey: string): Promise<Proof>;
    verify(vkey: unknown, publicSignals: string[], proof: unknown): Promise<boolean>;
  };
  curves: { getCurveFromName(name: string): Promise<unknown> };
}
const SNARKJS: string = 'snarkjs';
const snarkjs = (await import(SNARKJS)) as SnarkjsForTests;

const CIRCUIT = `pragma circom 2.0.0;
template Mul() { signal input a; signal input b; signal output c; c <== a * b; }
component main {public [a]} = Mul();
`;

/** Compiles a Circom source with the circom2 package (argument array, no shell). */
async function compileCircom(source: string, dir: string, name: string): Promise<{ r1cs: string; wasm: string }> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name}.circom`);
  await writeFile(file, source);
  await run(process.execPath, [join(root, 'node_modules/circom2/cli.js'), file, '--r1cs', '--wasm', '-o', dir]);
  return { r1cs: join(dir, `${name}.r1cs`), wasm: join(dir, `${name}_js`, `${name}.wasm`) };
}

let tmp: string;
let cacheDir: string;
let local: PtauInfo;
let unprepared: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'zkinfer-ptau-test-'));
  cacheDir = join(tmp, 'cache');
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  await g.curve_bn128?.terminate();
});

describe('localPtau', () => {
  it('generates a prepared 2^6 file that snarkjs verifies', async () => {
    const events: Array<{ stage: string; done: number; total: number }> = [];
    local = await localPtau(6, { cacheDir, onProgress: (e) => events.push(e) });
    const sha256 = createHash('sha256')
      .update(await readFile(local.path))
      .digest('hex');
    // the cache file's name records the SHA-256 of its content, checked on every reuse
    expect(local).toEqual({
      path: join(cacheDir, 'ptau', `local-bn254-06-${sha256}.ptau`),
      power: 6,
      origin: 'local-single-party',
      sha256,
    });
    // sections 2–5 and 12–15: (2n−1) + n + n + n + 1 + (4n−1) + 3(2n−1) points, n = 64
    expect(events.at(-1)).toEqual({ stage: 'points', done: 15 * 64 - 4, total: 15 * 64 - 4 });
    expect(await readdir(join(cacheDir, 'ptau'))).toEqual([`local-bn254-06-${sha256}.ptau`]);
    expect(await inspectPtau(local.path)).toEqual({ power: 6, prepared: true, ceremonyPower: 6 });
    expect(await snarkjs.powersOfTau.verify(local.path)).toBe(true);
  });

  it('writes exactly the Lagrange sections snarkjs prepare phase2 computes from the same powers', async () => {
    // Tiny, uneven worker jobs: many chunk boundaries, results arriving out of order from 2 threads.
    const ours = join(tmp, 'chunked.ptau');
    await generatePreparedPtau(6, ours, { threads: 2, chunkPoints: { G1: 7, G2: 5 } });
    expect(await snarkjs.powersOfTau.verify(ours)).toBe(true);
    // preparePhase2 copies sections 1–7 and recomputes 12–15 by inverse FFTs over the points.
    const theirs = join(tmp, 'snarkjs-prepared.ptau');
    await snarkjs.powersOfTau.preparePhase2(ours, theirs);
    const [a, b] = await Promise.all([readFile(ours), readFile(theirs)]);
    expect(a.length).toBe(b.length);
    expect(a.equals(b)).toBe(true);
  });

  it('reuses the cached file, also for smaller powers', async () => {
    const before = await stat(local.path);
    const events: unknown[] = [];
    expect(await localPtau(6, { cacheDir, onProgress: (e) => events.push(e) })).toEqual(local);
    expect(await localPtau(3, { cacheDir, onProgress: (e) => events.push(e) })).toEqual(local);
    expect(events).toEqual([]);
    expect((await stat(local.path)).mtimeMs).toBe(before.mtimeMs);
  });

  it('rejects powers out of range', async () => {
    await expect(localPtau(0, { cacheDir })).rejects.toThrow(new InvalidArgumentError('expected power to be an integer in [1, 27], got 0'));
    await expect(localPtau(6.5, { cacheDir })).rejects.toThrow('expected power to be an integer in [1, 27], got 6.5');
  });
});

describe('inspectPtau', () => {
  it('rejects a file that is not a ptau', async () => {
    const path = join(tmp, 'not.ptau');
    await writeFile(path, 'this is not a powers-of-tau file');
    await expect(inspectPtau(path)).rejects.toThrow(new InputError(`${path}: not a powers-of-tau file (expected magic "ptau")`));
  });

  it('rejects a truncated file', async () => {
    const path = join(tmp, 'truncated.ptau');
    const bytes = await readFile(local.path);
    await writeFile(path, bytes.subarray(0, bytes.length - 100));
    await expect(inspectPtau(path)).rejects.toThrow(`${path}: powers-of-tau file is truncated (section 15 ends past the end of the file)`);
  });

  it('tells an unprepared file (snarkjs powersoftau new) from a prepared one', async () => {
    unprepared = join(tmp, 'unprepared.ptau');
    await snarkjs.powersOfTau.newAccumulator(await snarkjs.curves.getCurveFromName('bn128'), 3, unprepared);
    await expect(inspectPtau(unprepared)).rejects.toThrow(
      new InputError(`${unprepared}: powers-of-tau file is not prepared for phase 2 (no Lagrange sections); run \`snarkjs powersoftau prepare phase2\` on it or use a *_final_*.ptau file`),
    );
    expect(await inspectPtau(unprepared, { requirePrepared: false })).toEqual({ power: 3, prepared: false, ceremonyPower: 3 });
  });
});

describe('groth16Setup', () => {
  let circuit: { r1cs: string; wasm: string };

  beforeAll(async () => {
    circuit = await compileCircom(CIRCUIT, join(tmp, 'circuit'), 'mul');
  });

  it('sets up keys whose proofs verify, and whose verifier rejects a changed public signal', async () => {
    const stages: string[] = [];
    const result = await groth16Setup(circuit.r1cs, join(tmp, 'out'), { cacheDir, onProgress: (e) => stages.push(e.stage) });
    expect(result).toEqual({
      zkeyPath: join(tmp, 'out', 'mul.zkey'),
      vkeyPath: join(tmp, 'out', 'mul.vkey.json'),
      ptau: local, // 1 constraint + 2 public signals needs 2^2: the cached 2^6 file serves
      power: 2,
      contributions: 2,
      chain: {
        circuitHash: expect.stringMatching(/^[0-9a-f]{128}$/),
        contributions: [
          expect.objectContaining({ name: 'zkinfer local contribution', type: 'contribution', by: 'compile' }),
          expect.objectContaining({ name: 'zkinfer beacon', type: 'beacon', by: 'compile' }),
        ],
      },
    });
    expect(stages).toEqual(['ptau', 'zkey-new', 'zkey-contribute', 'zkey-beacon', 'vkey']);
    expect(await readdir(join(tmp, 'out'))).toEqual(['mul.vkey.json', 'mul.zkey']);
    expect(await snarkjs.zKey.verifyFromR1cs(circuit.r1cs, local.path, result.zkeyPath)).toBe(true);

    const vkey: unknown = JSON.parse(await readFile(result.vkeyPath, 'utf8'));
    const { proof, publicSignals } = await snarkjs.groth16.fullProve({ a: 3, b: 11 }, circuit.wasm, result.zkeyPath);
    expect(publicSignals).toEqual(['33', '3']);
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).toBe(true);
    expect(await snarkjs.groth16.verify(vkey, ['34', '3'], proof)).toBe(false);
    expect(await snarkjs.groth16.verify(vkey, ['33', '4'], proof)).toBe(false);
  });

  it('rejects a user ptau that is too small for the circuit', async () => {
    const small = join(tmp, 'small.ptau');
    await generatePreparedPtau(1, small);
    await expect(groth16Setup(circuit.r1cs, join(tmp, 'out-small'), { ptauPath: small })).rejects.toThrow(
      new InputError(`${small}: powers-of-tau file of 2^1 is too small for ${circuit.r1cs}, which needs 2^2 (constraints + public signals + 1 = 4)`),
    );
  });

  it('rejects an unprepared user ptau', async () => {
    await expect(groth16Setup(circuit.r1cs, join(tmp, 'out-unprepared'), { ptauPath: unprepared })).rejects.toThrow(`${unprepared}: powers-of-tau file is not prepared for phase 2`);
  });

  it('rejects bad inputs before doing any work', async () => {
    await expect(groth16Setup(circuit.r1cs, join(tmp, 'out-bad'), { beaconHash: 'xyz' })).rejects.toThrow(new InvalidArgumentError('expected beaconHash to be 1–255 bytes of hex, got "xyz"'));
    const notR1cs = join(tmp, 'circuit', 'mul.circom');
    await expect(groth16Setup(notR1cs, join(tmp, 'out-bad'))).rejects.toThrow(new InputError(`${notR1cs}: not an r1cs file (expected magic "r1cs")`));
  });

  it('lets the process exit afterwards (snarkjs worker threads are terminated)', async () => {
    const script = join(tmp, 'exit-check.mts');
    await writeFile(
      script,
      [
        `import { groth16Setup } from ${JSON.stringify(join(root, 'src/compile/setup.ts'))};`,
        `const r = await groth16Setup(${JSON.stringify(circuit.r1cs)}, ${JSON.stringify(join(tmp, 'out-exit'))}, { cacheDir: ${JSON.stringify(cacheDir)} });`,
        `console.log('set up', r.power);`,
      ].join('\n'),
    );
    // Without the termination, the child never exits and is killed at the timeout.
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { cwd: root, timeout: 60_000 });
    expect(stdout.trim()).toBe('set up 2');
  });
});
