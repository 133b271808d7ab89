/**
 * Groth16 against the universal-setup systems snarkjs implements over the same powers of tau
 * (PLONK and FFLONK), on zkinfer's circuits (issue 15, item 4): gates, setup, warm proving,
 * verification, proof size and on-chain verification gas.
 *
 *   npx tsx scripts/bench-proof-systems.ts [--models mlp,cnn] [--systems groth16,plonk,fflonk]
 *       [--runs 3] [--cache-dir <dir>] [--no-write]
 *
 * Each (model, system) pair runs in its own child process, so peak memory is that pair's alone.
 * Powers of tau are zkinfer's local known-τ files (`localPtau`), cached in `--cache-dir`
 * (default: a fixed folder under the system's temp directory, so a re-run reuses them);
 * a real deployment uses a public ceremony file of the same power. Gas is measured with
 * snarkjs's own Solidity verifiers (rendered from the templates inside the installed snarkjs
 * package into a temporary folder, compiled with solc, deployed on an in-process EVM with the
 * contract-size limit lifted); nothing generated is kept. Proving time is witness-free: the
 * witness is computed once and is the same for every system (its time is reported apart).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compileModel } from '../src/compile/compile.js';
import { readManifest } from '../src/shared/manifest.js';
import { localPtau } from '../src/compile/ptau.js';
import { groth16Setup, readR1csHeader, requiredPower } from '../src/compile/setup.js';
import { quantizeInput } from '../src/reference/execute.js';
import { receiptContext } from '../src/shared/context.js';
import { encodeSigned } from '../src/shared/field.js';
import { readInputFile } from '../src/shared/input.js';
import { releaseCurve } from '../src/shared/curve.js';
import type { QModel } from '../src/quant/model.js';
import { median, table, writeSection } from './lib/bench-report.js';
import { flag, hasFlag } from './lib/args.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const requireHere = createRequire(import.meta.url);
const log = (s: string) => process.stderr.write(`${s}\n`);

type System = 'groth16' | 'plonk' | 'fflonk';
const SYSTEMS: readonly System[] = ['groth16', 'plonk', 'fflonk'];

interface ModelSpec {
  key: string;
  title: string;
  onnx: string;
  batch?: number;
  /** Writes the calibration file into `work` and returns its path. */
  calibration: (work: string) => string;
  /** Writes one input file into `work` and returns its path. */
  input: (work: string) => string;
}

const fixedBatch = () =>
  JSON.parse(readFileSync(join(root, 'test/fixtures/models/fixed_batch.json'), 'utf8')) as {
    calibration: number[][][][];
    models: Record<string, { input: { shape: number[]; data: number[] } }>;
  };

/** A [1,1,28,28] image to [1,1,14,14]: the mean of each 2×2 block (as scripts/make_reduced_mlp.py). */
function downsample(x: number[][][][]): number[][][][] {
  const img = x[0]![0]!;
  const rows = Array.from({ length: 14 }, (_, r) =>
    Array.from({ length: 14 }, (_, c) => {
      const sum = img[2 * r]![2 * c]! + img[2 * r]![2 * c + 1]! + img[2 * r + 1]![2 * c]! + img[2 * r + 1]![2 * c + 1]!;
      return Math.round((sum / 4) * 1e4) / 1e4;
    }),
  );
  return [[rows]];
}

const MODELS: readonly ModelSpec[] = [
  {
    key: 'mlp',
    title: 'examples/fashion-mnist (784-128-10 MLP)',
    onnx: join(root, 'examples/fashion-mnist/model.onnx'),
    calibration: () => join(root, 'examples/fashion-mnist/calibration.jsonl'),
    input: () => join(root, 'examples/fashion-mnist/input.json'),
  },
  {
    key: 'mlp-196',
    title: 'test/fixtures/models/mlp_196_32_10.onnx (196-32-10 MLP on 14×14 Fashion-MNIST; scripts/make_reduced_mlp.py)',
    onnx: join(root, 'test/fixtures/models/mlp_196_32_10.onnx'),
    calibration: (work) => {
      const path = join(work, 'mlp-196-calibration.jsonl');
      const lines = readFileSync(join(root, 'examples/fashion-mnist/calibration.jsonl'), 'utf8').trim().split('\n');
      writeFileSync(path, `${lines.map((l) => JSON.stringify({ input: downsample((JSON.parse(l) as { input: number[][][][] }).input) })).join('\n')}\n`);
      return path;
    },
    input: (work) => {
      const path = join(work, 'mlp-196-input.json');
      const { input } = JSON.parse(readFileSync(join(root, 'examples/fashion-mnist/input.json'), 'utf8')) as { input: number[][][][] };
      writeFileSync(path, JSON.stringify({ input: downsample(input) }));
      return path;
    },
  },
  {
    key: 'cnn',
    title: 'test/fixtures/models/fixed_cnn_b10.onnx at batch 1 (8×8 input, Conv 2@3×3, MaxPool 2, Conv 4@2×2, 16-16-10)',
    onnx: join(root, 'test/fixtures/models/fixed_cnn_b10.onnx'),
    batch: 1,
    calibration: (work) => {
      const path = join(work, 'cnn-calibration.jsonl');
      writeFileSync(
        path,
        `${fixedBatch()
          .calibration.map((input) => JSON.stringify({ input }))
          .join('\n')}\n`,
      );
      return path;
    },
    input: (work) => {
      const path = join(work, 'cnn-input.json');
      const first = fixedBatch().models.fixed_cnn_b10!.input.data.slice(0, 64);
      writeFileSync(path, JSON.stringify({ input: [[Array.from({ length: 8 }, (_, r) => first.slice(8 * r, 8 * r + 8))]] }));
      return path;
    },
  },
];

/** Gas of one exported verifier (which accepted the proof and refused it with a signal changed): execution, whole transaction, deployed code size. */
interface Gas {
  execution: number;
  transaction: number;
  codeBytes: number;
}

/** What one child measures for one (model, system) pair. */
interface Result {
  model: string;
  system: System;
  r1csConstraints: number;
  publicSignals: number;
  /** PLONK/FFLONK gates as snarkjs's setup reports them (Groth16: the r1cs constraints). */
  gates: number;
  ptauPower: number;
  /** Seconds to generate the local ptau, or null when it was already cached. */
  ptauSeconds: number | null;
  /** Why the setup and proofs were not run (the key would not fit this machine), if so. */
  skipped?: string;
  measured?: {
    setupSeconds: number;
    setupCpuSeconds: number;
    zkeyBytes: number;
    witnessMs: number;
    proveMs: number[];
    proveCpuMs: number[];
    verifyMs: number[];
    proofBytes: number;
    gas?: Gas;
    gasError?: string;
  };
  peakRssMiB: number;
  load: { start: number; end: number };
}

/**
 * A lower bound on a PLONK/FFLONK proving key's size: snarkjs stores, for every public signal,
 * the Lagrange polynomial's n coefficients and its 4n evaluations (plonk_setup.js `writeLs`,
 * fflonk_setup.js `writeLagrangePolynomials`), 32 bytes each; the prover reads all the evaluations.
 */
const lagrangeBytes = (publicSignals: number, domainPower: number) => Math.max(publicSignals, 1) * 5 * 2 ** domainPower * 32;

interface SnarkjsLike {
  plonk: {
    setup(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<unknown>;
    prove(zkey: unknown, wtns: unknown): Promise<{ proof: Record<string, unknown>; publicSignals: string[] }>;
    verify(vk: unknown, pub: string[], proof: unknown): Promise<boolean>;
    exportSolidityCallData(proof: unknown, pub: string[]): Promise<string>;
  };
  fflonk: {
    setup(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<unknown>;
    prove(zkey: unknown, wtns: unknown): Promise<{ proof: Record<string, unknown>; publicSignals: string[] }>;
    verify(vk: unknown, pub: string[], proof: unknown): Promise<boolean>;
    exportSolidityCallData(pub: string[], proof: unknown): Promise<string>;
  };
  groth16: {
    prove(zkey: unknown, wtns: unknown): Promise<{ proof: Record<string, unknown>; publicSignals: string[] }>;
    verify(vk: unknown, pub: string[], proof: unknown): Promise<boolean>;
    exportSolidityCallData(proof: unknown, pub: string[]): Promise<string>;
  };
  zKey: {
    exportVerificationKey(zkey: string): Promise<Record<string, unknown>>;
    exportSolidityVerifier(zkey: string, templates: Record<string, string>): Promise<string>;
  };
}

const arg = (name: string): string | undefined => flag(name);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs `f`, returning its value with the wall and CPU (all threads of this process) time in ms. */
async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number; cpu: number }> {
  const c0 = cpuMs();
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0, cpu: cpuMs() - c0 };
}

/** A logger that keeps snarkjs's info lines, for the gate counts it prints. */
function lineLogger(): { lines: string[]; info(m: string): void; warn(m: string): void; error(m: string): void; debug(): void } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(`error: ${m}`), debug: () => undefined };
}

/** snarkjs's PLONK gate count for an r1cs: its setup prints it before refusing a too-small ptau. */
async function plonkGates(snarkjs: SnarkjsLike, r1cs: string, smallPtau: string, work: string): Promise<number> {
  const logger = lineLogger();
  await snarkjs.plonk.setup(r1cs, smallPtau, join(work, 'probe.zkey'), logger);
  rmSync(join(work, 'probe.zkey'), { force: true });
  const line = logger.lines.find((l) => l.startsWith('Plonk constraints: '));
  if (!line) throw new Error(`snarkjs plonk setup printed no gate count: ${logger.lines.join(' | ')}`);
  return Number(line.slice('Plonk constraints: '.length));
}

const log2Floor = (n: number) => 31 - Math.clz32(n);

/**
 * snarkjs's Solidity call data as 32-byte words, in order. Its three exporters print different
 * layouts (quoted or bare hex, arrays with or without commas between them), all of hex numbers.
 */
function callDataWords(text: string): string[] {
  return (text.match(/0x[0-9a-fA-F]+/g) ?? []).map((h) => BigInt(h).toString(16).padStart(64, '0'));
}

/** Gas of snarkjs's exported verifier for `system`, on an in-process EVM (code-size limit lifted). */
async function measureGas(snarkjs: SnarkjsLike, system: System, zkeyPath: string, words: string[], work: string): Promise<Gas> {
  const templatesDir = join(dirname(requireHere.resolve('snarkjs')), '..', 'templates');
  const templates = Object.fromEntries(SYSTEMS.map((s) => [s, readFileSync(join(templatesDir, `verifier_${s}.sol.ejs`), 'utf8')]));
  const source = await snarkjs.zKey.exportSolidityVerifier(zkeyPath, templates);
  writeFileSync(join(work, `verifier_${system}.sol`), source); // temporary: the work folder is deleted
  const solc = requireHere('solc') as { compile(input: string): string };
  const out = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: 'Solidity',
        sources: { 'Verifier.sol': { content: source } },
        settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['evm.bytecode.object', 'evm.methodIdentifiers'] } } },
      }),
    ),
  ) as { errors?: { severity: string; formattedMessage: string }[]; contracts: Record<string, Record<string, { evm: { bytecode: { object: string }; methodIdentifiers: Record<string, string> } }>> };
  const fatal = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (fatal.length) throw new Error(`solc: ${fatal[0]!.formattedMessage}`);
  const [contract] = Object.values(out.contracts['Verifier.sol']!);
  const selector = Object.entries(contract!.evm.methodIdentifiers).find(([sig]) => sig.startsWith('verifyProof('))![1];

  const { createVM } = (await import('@ethereumjs/vm')) as typeof import('@ethereumjs/vm');
  const { Common, Mainnet } = (await import('@ethereumjs/common')) as typeof import('@ethereumjs/common');
  const { Address, hexToBytes, bytesToHex } = (await import('@ethereumjs/util')) as typeof import('@ethereumjs/util');
  const common = new Common({ chain: Mainnet });
  const vm = await createVM({ common, evmOpts: { allowUnlimitedContractSize: true, allowUnlimitedInitCodeSize: true } });
  const caller = new Address(hexToBytes(`0x${'11'.repeat(20)}`));
  const deployed = await vm.evm.runCall({ caller, data: hexToBytes(`0x${contract!.evm.bytecode.object}`), gasLimit: 1_000_000_000n });
  if (deployed.execResult.exceptionError || !deployed.createdAddress) throw new Error(`deployment failed: ${deployed.execResult.exceptionError?.error}`);
  const code = await vm.stateManager.getCode(deployed.createdAddress);
  const call = async (ws: string[]) => {
    const data = hexToBytes(`0x${selector}${ws.join('')}`);
    const r = await vm.evm.runCall({ caller, to: deployed.createdAddress, data, gasLimit: 100_000_000n });
    if (r.execResult.exceptionError) throw new Error(`call failed: ${r.execResult.exceptionError.error}`);
    const ok = BigInt(bytesToHex(r.execResult.returnValue)) === 1n;
    let calldataGas = 0;
    for (const b of data) calldataGas += b === 0 ? 4 : 16;
    return { ok, execution: Number(r.execResult.executionGasUsed), transaction: 21_000 + calldataGas + Number(r.execResult.executionGasUsed) };
  };
  const good = await call(words);
  if (!good.ok) throw new Error('the exported verifier rejected a valid proof');
  const tampered = [...words];
  tampered[words.length - 1] = (BigInt(`0x${tampered[words.length - 1]}`) ^ 1n).toString(16).padStart(64, '0'); // the last public signal
  if ((await call(tampered)).ok) throw new Error('the exported verifier accepted a proof with a changed public signal');
  return { execution: good.execution, transaction: good.transaction, codeBytes: code.length };
}

/** The child: one system on one compiled model. */
async function child(model: ModelSpec, system: System, dir: string, runs: number, cacheDir: string, maxZkeyBytes: number): Promise<Result> {
  const load0 = loadavg()[0]!;
  const snarkjs = (await import('snarkjs')) as unknown as SnarkjsLike;
  const work = mkdtempSync(join(tmpdir(), `zkinfer-ps-${model.key}-${system}-`));
  try {
    const manifest = readManifest(dir);
    const r1cs = join(dir, manifest.files.r1cs.path);
    const header = await readR1csHeader(r1cs);
    const publicSignals = header.nOutputs + header.nPubInputs;
    const groth16Power = requiredPower(header);

    let gates = header.nConstraints;
    let power = groth16Power;
    if (system !== 'groth16') {
      const small = await localPtau(groth16Power, { cacheDir });
      gates = await plonkGates(snarkjs, r1cs, small.path, work);
      // snarkjs plonk_setup.js: domain 2^(log2(n − 1) + 1), at least 2^3, and a ptau of that power.
      // fflonk_setup.js: domain 2^(log2(n + 1) + 1), and 9·domain + 18 τ-powers in G1, which a
      // prepared ptau of 2^p holds (2^(p+1) − 1 of them) from p = domain power + 3.
      power = system === 'plonk' ? Math.max(3, log2Floor(gates - 1) + 1) : Math.max(3, log2Floor(gates + 1) + 1) + 3;
    }
    if (system !== 'groth16') {
      const domainPower = system === 'plonk' ? power : power - 3;
      const bytes = lagrangeBytes(publicSignals, domainPower);
      if (bytes > maxZkeyBytes) {
        const skipped = `proving key ≥ ${(bytes / 2 ** 30).toFixed(1)} GiB (${n(publicSignals)} public signals × 5 × 2^${domainPower} × 32 B of Lagrange polynomials), over the --max-zkey-gib limit of ${(maxZkeyBytes / 2 ** 30).toFixed(0)} GiB`;
        return {
          model: model.key,
          system,
          r1csConstraints: header.nConstraints,
          publicSignals,
          gates,
          ptauPower: power,
          ptauSeconds: null,
          skipped,
          peakRssMiB: process.resourceUsage().maxRSS / 1024,
          load: { start: load0, end: loadavg()[0]! },
        };
      }
    }
    log(`${model.key}/${system}: ptau 2^${power}…`);
    const cached = new Set(existsSync(join(cacheDir, 'ptau')) ? readdirSync(join(cacheDir, 'ptau')) : []);
    const p = await timed(() => localPtau(power, { cacheDir }));
    const ptau = p.value;
    const ptauSeconds = cached.has(basename(ptau.path)) ? null : p.ms / 1000;

    log(`${model.key}/${system}: setup…`);
    const zkeyPath = join(work, 'circuit.zkey');
    let setupLogger = lineLogger();
    const s = await timed(async () => {
      if (system === 'groth16') {
        // zkinfer's own setup: new zkey, one contribution, a beacon, the verification key
        const r = await groth16Setup(r1cs, work, { cacheDir });
        return r.zkeyPath;
      }
      setupLogger = lineLogger();
      const ret = await snarkjs[system].setup(r1cs, ptau.path, zkeyPath, setupLogger);
      if (ret === -1) throw new Error(`snarkjs ${system} setup failed: ${setupLogger.lines.filter((l) => l.startsWith('error')).join(' | ')}`);
      await snarkjs.zKey.exportVerificationKey(zkeyPath);
      return zkeyPath;
    });
    const zkey = s.value;
    if (system === 'fflonk') {
      const line = setupLogger.lines.find((l) => /^\s*Constraints:/.test(l));
      if (line) gates = Number(line.split(':')[1]!.trim());
    }
    const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
    const zkeyBytes = readFileSync(zkey);

    // the witness: the model's integer input and a receipt context, as `prove` computes them
    const model_ = JSON.parse(readFileSync(join(dir, manifest.files.quantized.path), 'utf8')) as QModel;
    const input = readInputFile(model.input(work), model_.input.shape).values;
    const raw = quantizeInput(model_, input);
    const ctx = receiptContext({ modelId: manifest.modelId, createdAt: '2026-12-02T00:00:00.000Z', nonce: '00'.repeat(16) });
    const wasmPath = join(dir, manifest.files.wasm.path);
    const builder = requireHere(join(dirname(wasmPath), 'witness_calculator.js')) as (code: Uint8Array) => Promise<{ calculateWTNSBin(i: object, s: boolean): Promise<Uint8Array> }>;
    const calc = await builder(readFileSync(wasmPath));
    const signals = { in: raw.map((v) => encodeSigned(BigInt(v))), ctx };
    await calc.calculateWTNSBin(signals, true);
    const w = await timed(() => calc.calculateWTNSBin(signals, true));
    const wtns = w.value;

    log(`${model.key}/${system}: prove ×${runs + 1}…`);
    const proveMs: number[] = [];
    const proveCpuMs: number[] = [];
    let out = await snarkjs[system].prove({ type: 'mem', data: zkeyBytes }, { type: 'mem', data: wtns }); // warm-up
    for (let i = 0; i < runs; i++) {
      const r = await timed(() => snarkjs[system].prove({ type: 'mem', data: zkeyBytes }, { type: 'mem', data: wtns }));
      out = r.value;
      proveMs.push(r.ms);
      proveCpuMs.push(r.cpu);
    }
    const { proof, publicSignals: pub } = out;

    log(`${model.key}/${system}: verify…`);
    if (!(await snarkjs[system].verify(vkey, pub, proof))) throw new Error(`snarkjs ${system} rejected its own proof`);
    const verifyMs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await timed(() => snarkjs[system].verify(vkey, pub, proof));
      if (!r.value) throw new Error(`snarkjs ${system} rejected its own proof`);
      verifyMs.push(r.ms);
    }

    const callData = system === 'fflonk' ? await snarkjs.fflonk.exportSolidityCallData(pub, proof) : await snarkjs[system].exportSolidityCallData(proof, pub);
    const words = callDataWords(callData);
    const proofBytes = (words.length - pub.length) * 32;

    let gas: Gas | undefined;
    let gasError: string | undefined;
    log(`${model.key}/${system}: gas…`);
    try {
      gas = await measureGas(snarkjs, system, zkey, words, work);
    } catch (e) {
      gasError = (e as Error).message.split('\n')[0];
    }
    await releaseCurve();
    return {
      model: model.key,
      system,
      r1csConstraints: header.nConstraints,
      publicSignals,
      gates,
      ptauPower: power,
      ptauSeconds,
      measured: { setupSeconds: s.ms / 1000, setupCpuSeconds: s.cpu / 1000, zkeyBytes: zkeyBytes.length, witnessMs: w.ms, proveMs, proveCpuMs, verifyMs, proofBytes, gas, gasError },
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      load: { start: load0, end: loadavg()[0]! },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const s1 = (x: number) => x.toFixed(1);
const s2 = (x: number) => x.toFixed(2);
const ms = (x: number) => (x >= 1000 ? `${s2(x / 1000)} s` : `${x.toFixed(1)} ms`);
const n = (x: number) => x.toLocaleString('en-US');
/** EIP-170: the largest contract code Ethereum mainnet deploys. */
const EIP170 = 24_576;
const NAMES: Record<System, string> = { groth16: 'Groth16', plonk: 'PLONK', fflonk: 'FFLONK' };
/** log2 of the evaluation domain of a run (FFLONK's ptau is 2^3 larger than its domain). */
const domainPower = (r: Result) => (r.system === 'fflonk' ? r.ptauPower - 3 : r.ptauPower);

function row(r: Result): string[] {
  const head = [NAMES[r.system], r.system === 'groth16' ? `${n(r.gates)} R1CS` : `${n(r.gates)} gates, 2^${domainPower(r)}`];
  const m = r.measured;
  if (!m) return [...head, `2^${r.ptauPower}`, `not run: ${r.skipped}`, '', '', '', '', '', '', '', `${s2(r.load.start)}`];
  return [
    ...head,
    `2^${r.ptauPower}${r.ptauSeconds === null ? '' : ` (made in ${s1(r.ptauSeconds)} s)`}`,
    `${s1(m.setupSeconds)} s (CPU ${s1(m.setupCpuSeconds)} s)`,
    `${(m.zkeyBytes / 2 ** 20).toFixed(1)} MiB`,
    `${ms(median(m.proveMs))} (CPU ${ms(median(m.proveCpuMs))}; ${m.proveMs.map((x) => s2(x / 1000)).join(', ')} s)`,
    ms(median(m.verifyMs)),
    `${m.proofBytes} B`,
    m.gas ? `${n(m.gas.execution)} / ${n(m.gas.transaction)}` : `not measured: ${m.gasError}`,
    m.gas ? `${n(m.gas.codeBytes)} B${m.gas.codeBytes > EIP170 ? ' (over the limit)' : ''}` : '—',
    `${r.peakRssMiB.toFixed(0)} MiB`,
    `${s2(r.load.start)} → ${s2(r.load.end)}`,
  ];
}

function modelSection(model: ModelSpec, results: readonly Result[]): string {
  const g = results.find((r) => r.system === 'groth16')?.measured;
  const ratios = g
    ? results
        .filter((r) => r.system !== 'groth16' && r.measured)
        .map((r) => `${NAMES[r.system]} ${s1(median(r.measured!.proveMs) / median(g.proveMs))}× (CPU ${s1(median(r.measured!.proveCpuMs) / median(g.proveCpuMs))}×)`)
        .join(', ')
    : '';
  const first = results[0]!;
  const witness = results.find((r) => r.measured)?.measured?.witnessMs;
  const runs = results.find((r) => r.measured)?.measured?.proveMs.length ?? 0;
  return (
    `### ${model.title}\n\n${n(first.r1csConstraints)} R1CS constraints, ${n(first.publicSignals)} public signals` +
    (witness === undefined ? '.' : `; witness ${ms(witness)} (the same for every system, not included below).`) +
    (ratios ? ` Proving time against Groth16's: ${ratios}.` : '') +
    `\n\n${table(['system', 'size', 'ptau', 'setup', 'proving key', `proof, warm (median of ${runs}; each run)`, 'verify (snarkjs, warm)', 'proof', 'gas: verifier / transaction', 'verifier code', 'peak RSS', 'load (1 min)'], results.map(row))}`
  );
}

/**
 * For the example MLP when its PLONK/FFLONK keys were too large to build: a lower bound on proving
 * time from the reduced MLP (no part of the prover grows more slowly than a multi-exponentiation,
 * n / log n in the domain size, and the public signals grow too), and the
 * verifier's gas extrapolated linearly in the public signals (the snarkjs verifiers do a fixed
 * amount of work plus a loop over the public signals) through the two smaller circuits.
 */
function extrapolation(all: readonly Result[]): string {
  const get = (model: string, system: System) => all.find((r) => r.model === model && r.system === system);
  const lines: string[] = [];
  const bounds: number[] = [];
  const g = get('mlp', 'groth16')?.measured;
  for (const system of ['plonk', 'fflonk'] as const) {
    const full = get('mlp', system);
    const small = get('mlp-196', system);
    if (!g || !full || full.measured || !small?.measured) continue;
    // n / log2 n: how a bucket multi-exponentiation grows, the slowest-growing part of the prover
    const [dF, dS] = [domainPower(full), domainPower(small)];
    const factor = 2 ** dF / dF / (2 ** dS / dS);
    const wall = median(small.measured.proveMs) * factor;
    const cpu = median(small.measured.proveCpuMs) * factor;
    let line = `- ${NAMES[system]} on the example MLP (${n(full.gates)} gates, domain 2^${domainPower(full)}, ${n(full.publicSignals)} public signals; not run: ${full.skipped}): proving time **at least** ${ms(wall)} (CPU ${ms(cpu)}) — the reduced MLP's measured time × ${s2(factor)} = (2^${dF}/${dF}) / (2^${dS}/${dS}), the growth of a multi-exponentiation (n / log n), the slowest-growing part of the prover (FFTs grow as n log n, the loops over public signals as n × signals), not counting the ${s1(full.publicSignals / small.publicSignals)}× more public signals — that is **at least ${s1(wall / median(g.proveMs))}× Groth16's** measured ${ms(median(g.proveMs))} (CPU ≥ ${s1(cpu / median(g.proveCpuMs))}×).`;
    const cnn = get('cnn', system)?.measured?.gas;
    if (cnn && small.measured.gas) {
      const a = get('cnn', system)!;
      const slope = (small.measured.gas.execution - cnn.execution) / (small.publicSignals - a.publicSignals);
      const at = cnn.execution + slope * (full.publicSignals - a.publicSignals);
      line += ` Verifier gas, extrapolated linearly in the public signals through the CNN and the reduced MLP (${n(Math.round(slope))} gas per public signal): about ${n(Math.round(at / 1000) * 1000)}.`;
    }
    lines.push(line);
    bounds.push(Math.min(wall / median(g.proveMs), cpu / median(g.proveCpuMs)));
  }
  if (!lines.length) return '';
  const verdict = bounds.every((b) => b > 10)
    ? `Issue 15 offers a universal-setup option only if proving the example MLP stays within 10× of Groth16's time: neither system does (at least ${s1(Math.min(...bounds))}×), so zkinfer keeps Groth16 with its phase-2 chain.`
    : 'A lower bound here is within 10× of Groth16: measure the full model before deciding.';
  return `### The example MLP with PLONK and FFLONK: extrapolated (labelled as such)\n\n${lines.join('\n')}\n\n${verdict}`;
}

async function main(): Promise<void> {
  const runs = Number(arg('--runs') ?? 3);
  const cacheDir = arg('--cache-dir') ?? join(tmpdir(), 'zkinfer-bench-proof-systems-ptau');
  mkdirSync(cacheDir, { recursive: true });

  if (hasFlag('--child')) {
    const [modelKey, system, dir] = [arg('--model')!, arg('--system') as System, arg('--dir')!];
    const result = await child(
      MODELS.find((m) => m.key === modelKey)!,
      system,
      dir,
      runs,
      cacheDir,
      Number(arg('--max-zkey-gib') ?? 4) * 2 ** 30,
    );
    writeFileSync(arg('--result')!, JSON.stringify(result));
    return;
  }

  const models = (arg('--models') ?? MODELS.map((m) => m.key).join(',')).split(',').map((k) => {
    const m = MODELS.find((x) => x.key === k);
    if (!m) throw new Error(`unknown model ${k}; known: ${MODELS.map((x) => x.key).join(', ')}`);
    return m;
  });
  const systems = (arg('--systems') ?? SYSTEMS.join(',')).split(',') as System[];
  for (const s of systems) if (!SYSTEMS.includes(s)) throw new Error(`unknown system ${s}`);
  // Results accumulate in one file across runs (a model or a system at a time), replaced per pair.
  const resultsPath = arg('--results') ?? join(tmpdir(), 'zkinfer-bench-proof-systems.json');
  let all: Result[] = !hasFlag('--fresh') && existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Result[]) : [];
  const work = mkdtempSync(join(tmpdir(), 'zkinfer-bench-proof-systems-'));
  try {
    for (const model of models) {
      if (hasFlag('--render-only')) break;
      log(`compile ${model.key} (circuit only)…`);
      const compiled = await compileModel(model.onnx, { outDir: join(work, model.key), batch: model.batch, calibrationPath: model.calibration(work), skipSetup: true });
      for (const system of systems) {
        const resultPath = join(work, `${model.key}-${system}.json`);
        await promisify(execFile)(
          process.execPath,
          [
            ...process.execArgv,
            fileURLToPath(import.meta.url),
            '--child',
            '--model',
            model.key,
            '--system',
            system,
            '--dir',
            compiled.dir,
            '--runs',
            String(runs),
            '--cache-dir',
            cacheDir,
            '--max-zkey-gib',
            arg('--max-zkey-gib') ?? '4',
            '--result',
            resultPath,
          ],
          { cwd: root, maxBuffer: 64 * 2 ** 20 },
        ).catch((e: { stderr?: string; message: string }) => {
          throw new Error(`${model.key}/${system} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ')}`);
        });
        const r = JSON.parse(readFileSync(resultPath, 'utf8')) as Result;
        console.log(JSON.stringify(r));
        all = [...all.filter((x) => x.model !== r.model || x.system !== r.system), r];
        writeFileSync(resultsPath, JSON.stringify(all, null, 1));
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const sections = MODELS.map((m) => [m, SYSTEMS.flatMap((s) => all.filter((r) => r.model === m.key && r.system === s))] as const)
    .filter(([, rs]) => rs.length)
    .map(([m, rs]) => modelSection(m, rs));
  const body = `Measured by \`npx tsx scripts/bench-proof-systems.ts\` (results of separate runs, one model or system at a time, collected in one file and written together): each system in its own process on the same compiled circuit (compile with \`--skip-setup\`).
Powers of tau: zkinfer's local known-τ files (\`localPtau\`), for measurement only; a real deployment uses a public ceremony file of the same power (the Hermez files go to 2^28). "made in" is the time to generate the file when it was not cached. FFLONK needs 9 × domain + 18 powers in G1, hence a ptau 2^3 times its domain.
Setup: Groth16 is zkinfer's own (new key, one contribution, a beacon, the verification key); PLONK and FFLONK are snarkjs's \`plonk setup\` / \`fflonk setup\` and the verification key, with no per-circuit ceremony. Gates are the counts snarkjs's setup prints: every term of a linear combination costs an addition gate, so zkinfer's free linear layers are not free there.
Proving: snarkjs's \`prove\` from the witness, proving key in memory, after one warm-up proof; CPU is the process's CPU time over all threads (steadier than wall time on this shared machine). Verification: snarkjs's \`verify\` alone (no receipt bindings), median of 7 after a warm-up.
Proof: the proof's words in Solidity call data (public signals excluded). Gas: **snarkjs's own exported Solidity verifiers** (its templates, rendered and compiled with solc 0.8, optimizer 200 runs, in a temporary folder at benchmark time — not zkinfer's \`export\`, which was not on main when this was measured), deployed on an in-process EVM (@ethereumjs/vm, Prague rules) with the 24,576-byte contract-size limit (EIP-170) lifted — code "over the limit" would not deploy on Ethereum mainnet as it is; "verifier" is the call's execution gas, "transaction" adds 21,000 and the call data (4/16 gas per zero/non-zero byte). Each verifier accepted the proof and rejected it with one public signal changed.
The machine is shared: the load average at the start and end of each run is in the last column (the one in the line above is from when the section was written).

${[...sections, extrapolation(all)].filter(Boolean).join('\n\n')}`;
  if (!hasFlag('--no-write')) writeSection('Proof systems: Groth16, PLONK, FFLONK (issue 15)', body);
  else console.log(body);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
