/**
 * `compile`: ONNX file → artifacts folder. Wires the stages in order — import, optimize,
 * calibrate, quantize, measure the quantization error against onnxruntime, emit Circom,
 * compile it with circom (WebAssembly), Groth16 setup — and writes manifest.json last, so
 * a folder with a manifest is always complete.
 *
 * The folder is built beside the target and swapped in at the end (out-dir.ts): a failed
 * compile leaves the old folder as it was, a folder that is not this model's artifacts is
 * replaced only when forced, and the keys of an unchanged circuit (same r1cs hash) are kept,
 * so receipts made with them stay valid.
 */
import { constants, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompileError, EXIT, InvalidArgumentError } from '../shared/errors.js';
import { randomSalt } from '../shared/commitment.js';
import {
  CONSTRAINTS_PER_COMMITTED_WEIGHT,
  commitWeights,
  graphWeightCount,
  MAX_HASHED_CONSTRAINTS,
  MAX_HASHED_WEIGHTS,
  segmentValues,
  stripWeights,
  weightLayers,
  weightSegments,
  WEIGHTS_FORMAT,
  type PrivateWeights,
  type WeightSegment,
} from '../quant/weights.js';
import { canonicalJson, sha256File, sha256Hex } from '../shared/hash.js';
import { readInputLines } from '../shared/input.js';
import { writeFileAtomicSync } from '../shared/fs.js';
import { importOnnx } from '../onnx/import.js';
import { OrtModel } from '../onnx/runtime.js';
import { optimize } from '../ir/optimize.js';
import { calibrate, DEFAULT_INPUT_RANGE, intervalRanges } from '../quant/calibrate.js';
import { quantize } from '../quant/quantize.js';
import { DEFAULT_QUANT_OPTIONS, type QModel, type QuantOptions } from '../quant/model.js';
import { measureError, type ErrorReport } from '../reference/error.js';
import { emitCircuit } from '../circuit/emit.js';
import { convProducts } from '../circuit/emit-layers.js';
import { sizeOf } from '../ir/graph.js';
import { VISIBILITIES, type Visibility } from '../shared/layout.js';
import { MAX_INFERENCES } from '../shared/shared-proof.js';
import { compileCircom } from './circom.js';
import { directSetup, groth16Setup, setupManifestBlock, type DirectSetupResult, type LocalSetupMethod, type SetupResult } from './setup.js';
import { filePtau, sha256File as sha256FileStreamed } from './ptau.js';
import {
  computeKeyId,
  computeModelId,
  MANIFEST_FORMAT,
  PROVENANCE_RECORD_FORMAT,
  provenanceSchema,
  type Manifest,
  type Provenance,
  type ProvenanceStatus,
  type WeightsDeclaration,
} from '../shared/manifest.js';
import { checkOutDir, createStaging, inspectOutDir, relativeTo } from './out-dir.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * When compile warns that the quantized model is far from the float one: its largest output
 * error above this fraction of the largest float output magnitude, or (for outputs of two or
 * more classes) argmax agreement below this fraction of the measured inputs. Not for a final
 * ArgMax (its outputs are indices).
 */
const QUALITY_WARNING = { relativeError: 0.1, argmaxAgreement: 0.9 } as const;

/** The one-line warning for a measured error that makes the proven outputs misleading, if any. */
function qualityWarning(error: ErrorReport, floatPeak: number, classes: number): string | undefined {
  if (error.inputs - error.outOfRange <= 0) return undefined;
  const advice =
    'raise --input-bits, --weight-bits and --activation-bits, calibrate on inputs like the real ones, or normalize input features of very different magnitudes before the model (the input has one scale: small features round away)';
  const relative = floatPeak > 0 ? error.maxAbsError / floatPeak : 0;
  if (relative > QUALITY_WARNING.relativeError) {
    return `quantization error: the quantized model's outputs differ from onnxruntime's by up to ${error.maxAbsError.toPrecision(3)} (${Math.round(relative * 100)} % of their largest magnitude) on ${error.inputs} inputs; ${advice}`;
  }
  if (classes > 1 && error.argmaxAgreement < QUALITY_WARNING.argmaxAgreement) {
    return `quantization error: the quantized model's argmax agrees with onnxruntime's on only ${(error.argmaxAgreement * 100).toFixed(1)} % of ${error.inputs} inputs; ${advice}`;
  }
  return undefined;
}

/**
 * circom's simplification level for model circuits. O1, not O2: O2 substitutes each
 * neuron's linear combination (784 terms for the example) into the quadratic constraints of
 * its range check, so the A and B matrices hold ~3× more non-zeros (318k vs ~6k for the
 * example) and snarkjs's prover, which evaluates A·w and B·w in JavaScript, took 2–3× longer
 * (measured 1.3 s vs 0.45 s per proof). O1 keeps the combination in one linear constraint,
 * whose C side costs the prover nothing, for ~8 % more constraints.
 */
export const MODEL_OPTIMIZATION = 'O1' as const;

/** Whether compile packs a public output unless told otherwise. */
export const PACK_OUTPUT_DEFAULT = true;
/** The repository's gadget library folder. */
export const CIRCUITS_DIR = resolve(here, '../../circuits');

/** A step of a long compile, for progress displays. */
export interface CompileProgress {
  stage: 'import' | 'calibrate' | 'quantize' | 'measure' | 'emit' | 'circom' | 'setup' | 'manifest';
  message: string;
  done?: number;
  total?: number;
}

/** Options for {@link compileModel}. */
export interface CompileOptions {
  /**
   * The artifacts folder to write: missing, empty, or this model's artifacts folder (same
   * ONNX file, nothing else in it); anything else is refused unless `force`.
   */
  outDir: string;
  /** Replace an `outDir` that holds something else (only once the new folder is complete). */
  force?: boolean;
  /** JSONL file of calibration inputs. */
  calibrationPath?: string;
  /** A prepared powers-of-tau file from a public ceremony; without it a local one is made. */
  ptauPath?: string;
  /** Accept a `ptauPath` that is no published ceremony file, recorded as unverified. */
  ptauUnchecked?: boolean;
  /**
   * How a local setup (no `ptauPath`) computes the keys: `direct` (default) from a τ drawn here,
   * or `snarkjs` from the cached local powers of tau with a contribution and a beacon (a key that
   * `setup verify` can check and others can contribute to). Not allowed with `ptauPath`, which
   * always goes through snarkjs.
   */
  localSetup?: LocalSetupMethod;
  /** Batch size to compile for. */
  batch?: number;
  /**
   * Inferences proven by one proof (default 1): the model's circuit N times in one circuit,
   * for batch proving with shared proofs (src/shared/shared-proof.ts). Recorded in the
   * manifest (and so in the model id) only when above 1.
   */
  inferences?: number;
  /** Input visibility: `public` (default) or `hashed` (private values, a salted Poseidon commitment is public). */
  inputVisibility?: Visibility;
  /** Output visibility: `public` (default) or `hashed`. */
  outputVisibility?: Visibility;
  /**
   * Pack a public output into ⌈n / ⌊252 / bits⌋⌉ public signals, each value range-checked to
   * its width in the circuit (default {@link PACK_OUTPUT_DEFAULT}; src/shared/layout.ts). A
   * verifier pays per public signal (an EVM verifier 6,000 gas for each), so the 10 logits of
   * the example cost one signal instead of ten. Ignored for a hashed output. Recorded in the
   * manifest (`io.output.packing`) and in the model id.
   */
  packOutput?: boolean;
  /**
   * Weight visibility: `public` (default: the quantized weights are constants of the circuit)
   * or `hashed` (the dense layers' weights and biases are private signals bound to a public
   * salted Poseidon commitment; src/quant/weights.ts). Hashed needs `weightsOut`.
   */
  weights?: Visibility;
  /**
   * Where a `hashed`-weights compile writes the private weights file (the salt and the
   * quantized weights, mode 0600): the model owner's secret, needed to prove. Must lie outside
   * `outDir`; an existing file is replaced only with `force`.
   */
  weightsOut?: string;
  /** The most weights a `hashed`-weights compile accepts (default {@link MAX_HASHED_WEIGHTS}). */
  maxWeights?: number;
  quant?: Partial<QuantOptions>;
  /** Provenance block, or the path of a JSON file holding one: free text, or a signed record. */
  provenance?: Provenance | string;
  /**
   * Checks a signed provenance record (format zkinfer.provenance/1) against the ONNX file's
   * hash and returns the manifest's label; throws to refuse the compile. A signed record
   * without a checker is refused; src/provenance provides `checkProvenanceForCompile`.
   */
  provenanceChecker?: ProvenanceChecker;
  /** Skip the Groth16 setup (circuit only). */
  skipSetup?: boolean;
  onProgress?: (p: CompileProgress) => void;
  onWarning?: (message: string) => void;
}

/** See {@link CompileOptions.provenanceChecker}. */
export type ProvenanceChecker = (block: Provenance, context: { onnxSha256: string; onnxPath: string; source: string }) => ProvenanceStatus;

/** What {@link compileModel} returns. */
export interface CompileResult {
  dir: string;
  /**
   * Where the keys came from: a new setup, `kept` from this model's earlier compile in the
   * same folder (unchanged r1cs), or `none` (setup skipped).
   */
  keys: 'generated' | 'kept' | 'none';
  manifest: Manifest;
  model: QModel;
  error: ErrorReport;
  timings: Record<string, number>;
}

/** Versions of the tools that shaped the artifacts. */
export function toolVersions(circom: string): Record<string, string> {
  const require = createRequire(import.meta.url);
  const version = (pkg: string) => {
    // Walk up from the package's entry point: not every package exports its package.json.
    let dir = dirname(require.resolve(pkg));
    for (;;) {
      try {
        const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
        if (meta.name === pkg) return meta.version;
      } catch {
        /* keep walking up */
      }
      const parent = dirname(dir);
      if (parent === dir) return 'unknown';
      dir = parent;
    }
  };
  return { zkinfer: (JSON.parse(readFileSync(resolve(here, '../../package.json'), 'utf8')) as { version: string }).version, circom, snarkjs: version('snarkjs'), node: process.version };
}

/**
 * Compiles an ONNX model into an artifacts folder.
 * @throws {CompileError | OnnxImportError} with the failing file or ONNX node named
 */
export async function compileModel(onnxPath: string, options: CompileOptions): Promise<CompileResult> {
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const r = await f();
    timings[name] = Math.round(performance.now() - t0);
    return r;
  };

  let bytes: Uint8Array;
  try {
    bytes = readFileSync(onnxPath);
  } catch (cause) {
    throw new CompileError(`${onnxPath}: cannot read model (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  for (const [name, v] of [
    ['inputVisibility', options.inputVisibility],
    ['outputVisibility', options.outputVisibility],
  ] as const) {
    if (v !== undefined && !VISIBILITIES.includes(v)) throw new InvalidArgumentError(`expected ${name} to be public or hashed, got ${JSON.stringify(v)}`);
  }
  const hashedWeights = checkWeightOptions(options);
  if (options.localSetup !== undefined && options.localSetup !== 'direct' && options.localSetup !== 'snarkjs') {
    throw new InvalidArgumentError(`expected localSetup to be "direct" or "snarkjs", got ${JSON.stringify(options.localSetup)}`);
  }
  if (options.localSetup !== undefined && options.ptauPath !== undefined) {
    throw new InvalidArgumentError('localSetup applies to a local setup; a ptauPath is always set up through snarkjs');
  }
  const inferences = options.inferences ?? 1;
  if (!Number.isInteger(inferences) || inferences < 1 || inferences > MAX_INFERENCES)
    throw new InvalidArgumentError(`expected inferences to be an integer in [1, ${MAX_INFERENCES}], got ${inferences}`);
  if (inferences > 1 && options.weights === 'hashed')
    throw new InvalidArgumentError('inferences above 1 and hashed weights cannot be combined in this version (a shared proof holds public or committed tensors per slot, not private weights)');
  const provenance = loadProvenance(options.provenance);
  const provenanceStatus = provenance === undefined ? null : checkProvenance(provenance, bytes, onnxPath, options);
  // A --ptau that is no public ceremony file is refused before the long steps, not after them.
  if (options.ptauPath !== undefined && !options.skipSetup) await filePtau(options.ptauPath, { unchecked: options.ptauUnchecked });
  const target = resolve(options.outDir);
  const state = inspectOutDir(target);
  const previous = checkOutDir(target, state, sha256Hex(bytes), options.force ?? false);
  const staging = createStaging(target);
  try {
    const result = await build(onnxPath, bytes, provenance, provenanceStatus, staging.dir, target, previous, options, timed);
    // the owner's weights are written (mode 0600, outside the folder) before the folder is published
    if (hashedWeights && result.privateWeights) writeFileAtomicSync(resolve(options.weightsOut!), `${JSON.stringify(result.privateWeights)}\n`, { mode: 0o600, overwrite: options.force ?? false });
    staging.commit(state.kind === 'artifacts' || state.kind === 'other');
    const { privateWeights: _secret, ...published } = result;
    return { ...published, dir: target, timings };
  } catch (e) {
    staging.discard();
    throw e;
  }
}

/**
 * Keys a recompile may keep: this model's earlier ones, for the same r1cs, whole, from the same
 * ptau, or made the way an explicit `localSetup` asks.
 */
async function reusableKeys(
  target: string,
  previous: Manifest | undefined,
  r1csSha256: string,
  ptauPath: string | undefined,
  localSetup: LocalSetupMethod | undefined,
): Promise<{ zkey: string; vkey: string } | undefined> {
  if (!previous || previous.files.r1cs.sha256 !== r1csSha256 || !previous.files.zkey || !previous.files.vkey || !previous.setup || !previous.keyId) return undefined;
  if (localSetup !== undefined && (previous.setup.method ?? 'snarkjs') !== localSetup) return undefined;
  const zkey = join(target, previous.files.zkey.path);
  const vkey = join(target, previous.files.vkey.path);
  try {
    if (sha256File(zkey) !== previous.files.zkey.sha256 || sha256File(vkey) !== previous.files.vkey.sha256) return undefined;
    if (computeKeyId(JSON.parse(readFileSync(vkey, 'utf8'))) !== previous.keyId) return undefined;
    if (ptauPath !== undefined && (await sha256FileStreamed(ptauPath)) !== previous.setup.ptau?.sha256) return undefined;
  } catch {
    return undefined; // missing or unreadable: make new keys (a bad --ptau fails in the setup, naming it)
  }
  return { zkey, vkey };
}

/** Everything compileModel does, into the staging folder `dir`; `target` is where it will land. */
async function build(
  onnxPath: string,
  bytes: Uint8Array,
  provenance: Provenance | undefined,
  provenanceStatus: ProvenanceStatus | null,
  dir: string,
  target: string,
  previous: Manifest | undefined,
  options: CompileOptions,
  timed: <T>(name: string, f: () => Promise<T> | T) => Promise<T>,
): Promise<Omit<CompileResult, 'dir' | 'timings'> & { privateWeights?: PrivateWeights }> {
  const progress = options.onProgress ?? (() => {});
  const warn = options.onWarning ?? (() => {});
  progress({ stage: 'import', message: `importing ${basename(onnxPath)}` });
  const graph = await timed('import', () => optimize(importOnnx(bytes, { batch: options.batch, file: onnxPath })));
  if (graph.originalBatch !== undefined) warn(`${onnxPath}: batch dimension ${graph.originalBatch} replaced by ${graph.input.shape[0]}`);
  const hashedWeights = options.weights === 'hashed';
  if (hashedWeights) {
    // before calibration and circom: each private weight costs ~14 constraints
    const count = graphWeightCount(graph);
    const limit = options.maxWeights ?? MAX_HASHED_WEIGHTS;
    if (count > limit)
      throw new CompileError(`${onnxPath}: ${count} weights exceed the limit of ${limit} for --weights hashed (about 14 constraints each); use a smaller model or raise --max-weights`);
  }

  // int8 `exact` is the default and is not recorded (the model ids of such models stay as they were).
  const { int8, ...quantRest } = { ...DEFAULT_QUANT_OPTIONS, ...options.quant };
  const quantOptions: QuantOptions = int8 === undefined || int8 === 'exact' ? quantRest : { ...quantRest, int8 };
  let calibrationInputs: Float64Array[] = [];
  let calibrationInfo: Record<string, unknown>;
  const ranges = await timed('calibrate', () => {
    if (options.calibrationPath) {
      progress({ stage: 'calibrate', message: `calibrating on ${basename(options.calibrationPath)}` });
      const { records, failures } = readInputLines(options.calibrationPath, graph.input.shape);
      if (failures.length > 0) throw new CompileError(failures[0]!.reason);
      if (records.length === 0) throw new CompileError(`${options.calibrationPath}: no calibration inputs`);
      calibrationInputs = records.map((r) => r.values);
      calibrationInfo = { source: 'data', file: basename(options.calibrationPath), sha256: sha256File(options.calibrationPath), inputs: records.length };
      return calibrate(graph, calibrationInputs);
    }
    warn(`no --calibration given: assuming every input value lies in [${DEFAULT_INPUT_RANGE.join(', ')}] and using worst-case interval ranges (less precise)`);
    calibrationInfo = { source: 'interval', inputRange: [...DEFAULT_INPUT_RANGE] };
    return intervalRanges(graph, DEFAULT_INPUT_RANGE);
  });

  progress({ stage: 'quantize', message: 'quantizing' });
  const model = await timed('quantize', () => quantize(graph, ranges, quantOptions));
  if (model.nodes.length === 0) {
    throw new CompileError(
      `${onnxPath}: after quantization the model's output is its input (a final Softmax is applied outside the circuit; Clip bounds outside the input's range are dropped); nothing to prove`,
    );
  }

  progress({ stage: 'measure', message: 'measuring quantization error against onnxruntime' });
  let floatPeak = 0;
  const error = await timed('measure', async () => {
    const ort = await OrtModel.load(bytes, { file: onnxPath });
    try {
      const samples = calibrationInputs.length > 0 ? calibrationInputs : randomInputs(graph.input.shape, 64);
      return await measureError(model, samples, async (x) => {
        const y = await ort.run(x, graph.input.shape);
        for (let i = 0; i < y.length; i++) floatPeak = Math.max(floatPeak, Math.abs(y[i]!));
        return y;
      });
    } finally {
      await ort.close();
    }
  });
  // a final ArgMax outputs indices: a tie broken the other way is not an error of a magnitude
  const quality = model.nodes.at(-1)?.kind === 'argMax' ? undefined : qualityWarning(error, floatPeak, model.output.shape.at(-1) ?? 1);
  if (quality) warn(quality);

  progress({ stage: 'emit', message: 'emitting circuit' });
  const visibility = { input: options.inputVisibility ?? 'public', output: options.outputVisibility ?? 'public' } as const;
  const inferences = options.inferences ?? 1;
  let weights: { declaration: WeightsDeclaration; salt: bigint } | undefined;
  if (hashedWeights) {
    let segments: WeightSegment[];
    try {
      segments = weightSegments(model, quantOptions.weightBits);
    } catch (cause) {
      throw new CompileError(`${onnxPath}: ${(cause as Error).message}`, { cause });
    }
    const count = segments.reduce((a, g) => a + g.count, 0);
    const products = privateProducts(model);
    const limit = Math.round(MAX_HASHED_CONSTRAINTS * ((options.maxWeights ?? MAX_HASHED_WEIGHTS) / MAX_HASHED_WEIGHTS));
    const estimate = products + CONSTRAINTS_PER_COMMITTED_WEIGHT * count;
    if (estimate > limit) {
      throw new CompileError(
        `${onnxPath}: with private weights the circuit would have about ${estimate} constraints (${products} products, ${count} weights), over the limit of ${limit} for --weights hashed; use a smaller model or raise --max-weights`,
      );
    }
    const salt = randomSalt();
    const commitment = await commitWeights(segments, segmentValues(model, segments), salt);
    weights = { declaration: { visibility: 'hashed', commitment: commitment.toString(), count, segments }, salt };
  }
  if (options.packOutput !== undefined && typeof options.packOutput !== 'boolean') throw new InvalidArgumentError(`expected packOutput to be a boolean, got ${JSON.stringify(options.packOutput)}`);
  const packOutput = visibility.output === 'public' && (options.packOutput ?? PACK_OUTPUT_DEFAULT);
  const emitted = await timed('emit', () => emitCircuit(model, { ...visibility, packOutput, inferences, ...(weights ? { weights: weights.declaration.segments } : {}) }));
  // A model with private weights publishes neither its ONNX file nor its weights (quantized.json keeps the rest).
  const onnxCopy = weights ? undefined : join(dir, 'model.onnx');
  if (onnxCopy) writeFileSync(onnxCopy, bytes); // the bytes compiled, whatever happened to the file since
  const circuitPath = join(dir, 'circuit.circom');
  writeFileSync(circuitPath, emitted.source);
  const quantizedPath = join(dir, 'quantized.json');
  writeFileSync(quantizedPath, canonicalJson(weights ? stripWeights(model) : model));

  progress({ stage: 'circom', message: 'compiling circuit with circom' });
  const circom = await timed('circom', () => compileCircom(circuitPath, { outDir: dir, includePaths: [CIRCUITS_DIR], optimization: MODEL_OPTIMIZATION }));

  const r1csSha256 = sha256File(circom.r1csPath);
  let setup: { zkeyPath: string; vkeyPath: string; block: NonNullable<Manifest['setup']> } | undefined;
  let keys: CompileResult['keys'] = 'none';
  const kept = await reusableKeys(target, previous, r1csSha256, options.ptauPath, options.localSetup);
  if (kept) {
    progress({ stage: 'setup', message: 'circuit unchanged: keeping the existing keys' });
    const zkeyPath = join(dir, previous!.files.zkey!.path);
    const vkeyPath = join(dir, previous!.files.vkey!.path);
    for (const [from, to] of [
      [kept.zkey, zkeyPath],
      [kept.vkey, vkeyPath],
    ] as const) {
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(from, to, constants.COPYFILE_FICLONE);
    }
    setup = { zkeyPath, vkeyPath, block: previous!.setup! };
    keys = 'kept';
  } else {
    if (previous?.keyId) {
      const change =
        previous.files.r1cs.sha256 !== r1csSha256
          ? `the circuit changed (r1cs sha256 ${previous.files.r1cs.sha256.slice(0, 12)}… → ${r1csSha256.slice(0, 12)}…)`
          : options.ptauPath !== undefined
            ? `the keys were not made from ${options.ptauPath}`
            : options.localSetup !== undefined && (previous.setup?.method ?? 'snarkjs') !== options.localSetup
              ? `its keys were not made by the ${options.localSetup} local setup`
              : 'its keys do not match its manifest';
      const what = options.skipSetup ? `the keys of key id ${previous.keyId} are dropped (--skip-setup)` : `new keys replace key id ${previous.keyId}`;
      warn(`${target}: ${change}: ${what}; receipts made with it will not verify against this folder`);
    }
    if (!options.skipSetup) {
      const direct = options.ptauPath === undefined && (options.localSetup ?? 'direct') === 'direct';
      progress({
        stage: 'setup',
        message: options.ptauPath ? `Groth16 setup with ${basename(options.ptauPath)}` : direct ? 'Groth16 keys computed directly from a local τ' : 'Groth16 setup with a local powers-of-tau',
      });
      const onProgress = (e: { stage: string; done?: number; total?: number }) => progress({ stage: 'setup', message: e.stage, done: e.done, total: e.total });
      const made = await timed<SetupResult | DirectSetupResult>('setup', () =>
        direct ? directSetup(circom.r1csPath, dir, { onProgress }) : groth16Setup(circom.r1csPath, dir, { ptauPath: options.ptauPath, ptauUnchecked: options.ptauUnchecked, onProgress }),
      );
      setup = {
        zkeyPath: made.zkeyPath,
        vkeyPath: made.vkeyPath,
        block: setupManifestBlock(made),
      };
      keys = 'generated';
    }
  }

  progress({ stage: 'manifest', message: 'writing manifest' });
  // Visibility is recorded (and so enters the model id) only when a tensor is hashed: public models keep their ids.
  const hashed = visibility.input !== 'public' || visibility.output !== 'public' || weights !== undefined;
  // Likewise the inferences per proof: recorded only above 1.
  const compileOptions = {
    batch: graph.input.shape[0],
    quant: quantOptions,
    calibration: calibrationInfo!,
    ...(hashed ? { visibility: { ...visibility, ...(weights ? { weights: 'hashed' } : {}) } } : {}),
    ...(inferences > 1 ? { inferences } : {}),
    ...(emitted.packing ? { packOutput: true } : {}),
  };
  const onnxSha256 = onnxCopy ? sha256File(onnxCopy) : null;
  const vkey = setup ? JSON.parse(readFileSync(setup.vkeyPath, 'utf8')) : undefined;
  const rel = (p: string) => ({ path: relativeTo(dir, p), sha256: sha256File(p) });
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name: provenance?.name ?? basename(onnxPath).replace(/\.onnx$/, ''),
    modelId: computeModelId({ onnxSha256, compileOptions, provenance, r1csSha256, ...(weights ? { weightsCommitment: weights.declaration.commitment } : {}) }),
    keyId: vkey ? computeKeyId(vkey) : null,
    files: {
      onnx: onnxCopy ? rel(onnxCopy) : null,
      circuit: rel(circuitPath),
      quantized: rel(quantizedPath),
      r1cs: rel(circom.r1csPath),
      wasm: rel(circom.wasmPath),
      zkey: setup ? rel(setup.zkeyPath) : null,
      vkey: setup ? rel(setup.vkeyPath) : null,
    },
    compileOptions,
    io: {
      input: {
        name: model.input.name,
        shape: [...model.input.shape],
        scale: model.input.scale,
        bits: model.input.bits,
        min: -(2 ** (model.input.bits - 1)),
        max: 2 ** (model.input.bits - 1) - 1,
        visibility: visibility.input,
        ...(model.input.quantization ? { quantization: model.input.quantization } : {}),
      },
      output: {
        shape: [...model.output.shape],
        scale: model.output.scale,
        min: model.output.min,
        max: model.output.max,
        visibility: visibility.output,
        semantics: model.output.transform
          ? `logits: the final ${model.output.transform.log ? 'LogSoftmax' : 'Softmax'} is monotone and applied outside the circuit; the circuit proves its input`
          : 'the model output',
        transform: model.output.transform,
        ...(emitted.packing ? { packing: emitted.packing } : {}),
      },
      ...(weights ? { weights: weights.declaration } : {}),
    },
    quantization: {
      options: quantOptions,
      steps: model.nodes
        .filter((n) => n.kind === 'rescale')
        .map((n) => ({ node: n.source, shift: n.kind === 'rescale' ? n.shift : 0, bits: n.kind === 'rescale' ? n.bits : 0, relu: n.kind === 'rescale' && n.relu })),
      weightScales: model.nodes.flatMap((n) => (n.kind === 'linear' ? [{ node: n.source, scale: n.weightScale }] : [])),
      calibration: calibrationInfo!,
      error,
    },
    circuit: {
      constraints: circom.constraints,
      wires: circom.wires,
      publicInputs: emitted.inputs,
      publicOutputs: emitted.outputs,
      ...(hashed ? { commitmentSignals: emitted.commitments } : {}),
      contextSignals: emitted.context,
      ...(inferences > 1 ? { inferences } : {}),
      gadgets: emitted.gadgets,
      optimization: MODEL_OPTIMIZATION,
    },
    setup: setup ? setup.block : null,
    tolerance: { maxAbsOutputError: Math.max(error.maxAbsError * 2, 2 ** -model.output.scale) },
    tools: toolVersions(circom.compilerVersion),
    provenance: provenance ?? null,
    provenanceStatus,
    createdAt: new Date().toISOString(),
  };
  const manifestPath = join(dir, 'manifest.json');
  writeFileAtomicSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  const privateWeights: PrivateWeights | undefined = weights
    ? { format: WEIGHTS_FORMAT, modelId: manifest.modelId, commitment: weights.declaration.commitment, salt: weights.salt.toString(), layers: weightLayers(model) }
    : undefined;
  return { manifest, model, error, keys, ...(privateWeights ? { privateWeights } : {}) };
}

/** The products of private weights by signals: one constraint each (dense: rows · in · out; convolution: every in-bounds tap). */
function privateProducts(model: QModel): number {
  let n = 0;
  for (const node of model.nodes) {
    if (node.kind === 'linear') n += (sizeOf(model.values[node.input]!.shape) / node.inFeatures) * node.inFeatures * node.outFeatures;
    else if (node.kind === 'conv') n += convProducts(node, model.values[node.input]!.shape, model.values[node.output]!.shape);
  }
  return n;
}

/**
 * Checks the weight options before any work.
 * @returns whether the weights are hashed
 * @throws {InvalidArgumentError} for a bad visibility, a missing or misplaced weights file, or a bad limit
 * @throws {CompileError} (usage) when the weights file exists and `force` is not set
 */
function checkWeightOptions(options: CompileOptions): boolean {
  const v = options.weights;
  if (v !== undefined && !VISIBILITIES.includes(v)) throw new InvalidArgumentError(`expected weights to be public or hashed, got ${JSON.stringify(v)}`);
  if (options.maxWeights !== undefined && !(Number.isSafeInteger(options.maxWeights) && options.maxWeights > 0))
    throw new InvalidArgumentError(`expected maxWeights to be a positive integer, got ${options.maxWeights}`);
  if (v !== 'hashed') {
    if (options.weightsOut !== undefined) throw new InvalidArgumentError('a weights file (weightsOut) is written only with hashed weights');
    return false;
  }
  if (options.weightsOut === undefined) throw new InvalidArgumentError('hashed weights need a private weights file outside the artifacts folder (weightsOut; --weights-out <file>)');
  const file = resolve(options.weightsOut);
  const inside = relative(resolve(options.outDir), file);
  if (!inside.startsWith('..') && !isAbsolute(inside))
    throw new InvalidArgumentError(`${options.weightsOut}: the private weights file must lie outside the artifacts folder ${options.outDir}, which is published`);
  if (existsSync(file) && !options.force) throw new CompileError(`${options.weightsOut}: exists; the private weights file is never overwritten without --force`, { exitCode: EXIT.usage });
  return true;
}

function loadProvenance(p: CompileOptions['provenance']): Provenance | undefined {
  if (p === undefined) return undefined;
  let data: unknown = p;
  if (typeof p === 'string') {
    try {
      data = JSON.parse(readFileSync(p, 'utf8'));
    } catch (cause) {
      throw new CompileError(`${p}: cannot read provenance JSON`, { cause });
    }
  }
  const parsed = provenanceSchema.safeParse(data);
  if (!parsed.success) throw new CompileError(`provenance: ${parsed.error.issues[0]!.message} at "${parsed.error.issues[0]!.path.join('.')}"`);
  return parsed.data;
}

/** Labels free text as unverified; checks a signed record with the caller's checker, before any work. */
function checkProvenance(block: Provenance, onnxBytes: Uint8Array, onnxPath: string, options: CompileOptions): ProvenanceStatus {
  const source = typeof options.provenance === 'string' ? options.provenance : 'provenance';
  if (block.format !== PROVENANCE_RECORD_FORMAT) return { status: 'unverified', note: 'free-text provenance: nothing in it is signed or checked' };
  if (!options.provenanceChecker) {
    throw new CompileError(`${source}: a signed provenance record must be checked before it is compiled (pass provenanceChecker: checkProvenanceForCompile)`);
  }
  return options.provenanceChecker(block, { onnxSha256: sha256Hex(onnxBytes), onnxPath, source });
}

/** Deterministic inputs uniform in the default range, when no calibration data exists. */
function randomInputs(shape: readonly number[], count: number): Float64Array[] {
  const n = shape.reduce((a, b) => a * b, 1);
  let seed = 0x2545f491;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const [lo, hi] = DEFAULT_INPUT_RANGE;
  return Array.from({ length: count }, () => Float64Array.from({ length: n }, () => lo + (hi - lo) * next()));
}
