/**
 * Compiles the exported Solidity with the npm `solc` package (the compiler built to
 * WebAssembly: no native toolchain), through its standard JSON interface. Settings are fixed
 * and written beside the output, so anyone can recompile the sources and compare bytecode.
 */
import { createRequire } from 'node:module';
import { ExportError } from '../../shared/errors.js';

/** One compiled contract. */
export interface CompiledContract {
  contractName: string;
  /** The source file it is declared in. */
  sourceName: string;
  abi: unknown[];
  /** Creation code, 0x-prefixed hex. */
  bytecode: string;
  /** Runtime code, 0x-prefixed hex. */
  deployedBytecode: string;
}

/** The compiler settings every export uses. */
export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  // cancun: MCOPY is used; every chain with the Dencun upgrade has it
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string; message: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

type Solc = { compile(input: string): string; version(): string };
let solc: Solc | undefined;
function loadSolc(): Solc {
  // loaded on first use: the compiler is 9 MB of JavaScript and WebAssembly
  solc ??= createRequire(import.meta.url)('solc') as Solc;
  return solc;
}

/** The compiler's version string (e.g. 0.8.37+commit.f401782d.Emscripten.clang). */
export function solcVersion(): string {
  return loadSolc().version();
}

/**
 * Compiles Solidity sources (every import among them).
 * @param sources file name → source text
 * @returns every contract compiled, by name
 * @throws {ExportError} with the compiler's first error
 */
export function compileSolidity(sources: Record<string, string>): Map<string, CompiledContract> {
  const input = { language: 'Solidity', sources: Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }])), settings: SOLC_SETTINGS };
  let output: SolcOutput;
  try {
    output = JSON.parse(loadSolc().compile(JSON.stringify(input))) as SolcOutput;
  } catch (cause) {
    throw new ExportError(`solc failed: ${(cause as Error).message?.split('\n')[0]}`, { cause });
  }
  const error = output.errors?.find((e) => e.severity === 'error');
  if (error) {
    const where = /-->\s*(\S+)/.exec(error.formattedMessage)?.[1];
    throw new ExportError(`solc: ${error.formattedMessage.split('\n')[0]}${where ? ` (${where})` : ''}`, { details: error.formattedMessage });
  }
  const out = new Map<string, CompiledContract>();
  for (const [sourceName, contracts] of Object.entries(output.contracts ?? {})) {
    for (const [contractName, c] of Object.entries(contracts)) {
      out.set(contractName, { contractName, sourceName, abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` });
    }
  }
  return out;
}
