/**
 * `zkinfer export --target solidity`: the model's verifier contract, the shared registry
 * contract, their compiled artifacts (npm solc) and a deployment description — what a
 * deployer needs, with nothing to install beyond a way to send transactions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '@noble/hashes/utils.js';
import { sha256Json } from '../../shared/canonical.js';
import { ExportError } from '../../shared/errors.js';
import { publicSignalCount, publicSignalLayout } from '../../shared/layout.js';
import { describeLayout, type VerifierKey } from '../../verify/verify.js';
import { parseGroth16Key } from '../vkey.js';
import { compileSolidity, SOLC_SETTINGS, solcVersion, type CompiledContract } from './solc.js';
import { MAX_CODE_BYTES, verifierSource, type KeyDataChunk } from './verifier.js';

/** The hand-written Solidity shipped with every export. */
export const STATIC_SOURCES = ['IZkinferVerifier.sol', 'ZkinferGroth16.sol', 'ZkinferRegistry.sol'] as const;

/**
 * Reads one of the hand-written Solidity files: beside this module when run from the
 * sources, from the package's src/export/solidity/ (shipped in `files`) when run from dist/.
 */
export function staticSource(name: (typeof STATIC_SOURCES)[number]): string {
  const here = fileURLToPath(import.meta.url);
  const candidates = [join(dirname(here), name), join(dirname(here).replace(/([\\/])dist([\\/]export[\\/]solidity)$/, '$1src$2'), name)];
  const path = candidates.find((p) => existsSync(p)) ?? candidates[0]!;
  return readFileSync(path, 'utf8');
}

/** The compiled contracts of a model's export. */
export interface SolidityExport {
  /** File name → Solidity source (the generated verifier and the static files). */
  sources: Record<string, string>;
  verifier: CompiledContract;
  registry: CompiledContract;
  keyData: KeyDataChunk[];
  /** The registry's register() arguments for this model. */
  registration: { modelId: string; keyId: string; provenanceHash: string };
  compiler: { version: string; settings: typeof SOLC_SETTINGS };
}

/**
 * The provenance hash a registry records: SHA-256 of the canonical JSON of the manifest's
 * provenance block (a signed record, free text, or null), 0x-prefixed.
 */
export function provenanceHash(key: VerifierKey): string {
  return `0x${sha256Json(key.manifest.provenance ?? null)}`;
}

/**
 * Generates and compiles a model's contracts.
 * @param options.inlineIcPoints the most IC points kept in the verifier's code (default
 *   INLINE_IC_POINTS; 0 puts every key's points in key-data contracts)
 * @throws {ExportError} for a key that is not a BN254 Groth16 key of this layout, or a compile failure
 */
export function buildSolidityExport(key: VerifierKey, options: { inlineIcPoints?: number } = {}): SolidityExport {
  const { manifest } = key;
  const layout = publicSignalLayout(manifest.io);
  const generated = verifierSource(manifest, parseGroth16Key(key.vkey, publicSignalCount(layout)), options);
  const sources: Record<string, string> = { 'ZkinferVerifier.sol': generated.source };
  for (const name of STATIC_SOURCES) sources[name] = staticSource(name);
  const compiled = compileSolidity(sources);
  const verifier = compiled.get('ZkinferVerifier');
  const registry = compiled.get('ZkinferRegistry');
  if (!verifier || !registry) throw new ExportError('solc did not produce ZkinferVerifier and ZkinferRegistry');
  const size = (verifier.deployedBytecode.length - 2) / 2;
  if (size > MAX_CODE_BYTES) throw new ExportError(`the verifier's code is ${size} bytes, over the ${MAX_CODE_BYTES}-byte limit of EIP-170`);
  return {
    sources,
    verifier,
    registry,
    keyData: generated.keyData,
    registration: { modelId: `0x${manifest.modelId}`, keyId: `0x${manifest.keyId}`, provenanceHash: provenanceHash(key) },
    compiler: { version: solcVersion(), settings: SOLC_SETTINGS },
  };
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** The files of a Solidity export folder. */
export function solidityExportFiles(key: VerifierKey, built: SolidityExport): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, source] of Object.entries(built.sources)) files.set(`contracts/${name}`, source);
  for (const c of [built.verifier, built.registry]) files.set(`build/${c.contractName}.json`, json({ ...c, compiler: built.compiler }));
  const layout = describeLayout(publicSignalLayout(key.manifest.io));
  files.set(
    'deployment.json',
    json({
      format: 'zkinfer.solidity-export/1',
      model: { name: key.manifest.name, ...built.registration, layout },
      compiler: built.compiler,
      keyData: built.keyData.map((k) => ({ initcode: `0x${bytesToHex(k.initcode)}`, codehash: k.codehash, icPoints: [k.first, k.first + k.count] })),
      verifier: { artifact: 'build/ZkinferVerifier.json', constructorArguments: built.keyData.map((_, i) => `address of keyData[${i}]`) },
      registry: { artifact: 'build/ZkinferRegistry.json', register: built.registration },
    }),
  );
  files.set('README.md', deploymentReadme(key, built, layout));
  return files;
}

function deploymentReadme(key: VerifierKey, built: SolidityExport, layout: string): string {
  const n = built.keyData.length;
  return `# zkinfer verifier contracts — ${key.manifest.name}

Model id \`${built.registration.modelId}\`, key id \`${built.registration.keyId}\`.
Public signals: ${layout}. Compiled with solc ${built.compiler.version} (optimizer on, 200 runs, EVM cancun).

Deploy, in order (every artifact is in this folder):

${
  n === 0
    ? `1. No key-data contract: the verification key's IC points are in the verifier's own code.
2. \`ZkinferVerifier\` (\`build/ZkinferVerifier.json\`, \`bytecode\`), with no constructor arguments.`
    : `1. The ${n} key-data contract${n > 1 ? 's' : ''}: send a contract-creation transaction whose data is \`keyData[i].initcode\`
   from \`deployment.json\`; each holds part of the verification key's IC points as code.
2. \`ZkinferVerifier\` (\`build/ZkinferVerifier.json\`, \`bytecode\`) with the key-data addresses as constructor
   arguments, in order; the constructor checks each one's code hash.`
}
3. Once per chain: \`ZkinferRegistry\` (\`build/ZkinferRegistry.json\`), then, from the model owner's account,
   \`register(modelId, keyId, verifier, provenanceHash)\` with the values in \`deployment.json\` → \`registry.register\`.

Call \`verifyReceipt(r)\` (a view: true, or a revert with the reason \`zkinfer verify\` prints) or the registry's
\`submit(r)\`. Fill \`r\` from a receipt with \`zkinfer export <artifacts> --target calldata --receipt <receipt.json>\`,
which first makes the checks a contract cannot (the receipt's JSON schema, output values, probabilities,
semantics, commitment and digest strings) and refuses a receipt that fails them.
`;
}
