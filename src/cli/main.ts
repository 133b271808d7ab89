/**
 * The zkinfer command line. It only parses arguments and calls the library; every failure
 * becomes one line on stderr and a non-zero exit code (DESIGN.md "Command-line contract").
 *
 * Start-up is kept small: this module and the command modules load only commander and the
 * error classes; each command's action imports the library modules it needs (snarkjs,
 * onnxruntime, the circom driver, …) when it runs, so `zkinfer --help` or a usage error
 * costs little more than starting Node.
 */
import { packageVersion } from './version.js';
import { Command, CommanderError } from 'commander';
import { EXIT, exitCodeOf } from '../shared/errors.js';
import { errorLine } from './output.js';
import { registerCompileCommand } from './commands/compile.js';
import { registerProveCommand } from './commands/prove.js';
import { registerVerifyCommand } from './commands/verify.js';
import { registerAttestCommand } from './commands/attest.js';
import { registerInferCommand } from './commands/infer.js';
import { registerDatasetCommand } from './commands/dataset.js';
import { registerProvenanceCommand } from './commands/provenance.js';
import { registerAttributeCommand } from './commands/attribute.js';
import { registerSetupCommand } from './commands/setup.js';
import { registerExportCommand } from './commands/export.js';
import { registerOpenCommand } from './commands/open.js';
import { registerServeCommand } from './commands/serve.js';
import { registerWorkerCommand } from './commands/worker.js';
import { registerTeeCommand } from './commands/tee.js';

export { packageVersion } from './version.js';

/** Builds the program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('zkinfer')
    .description('verifiable inference for small ONNX models: Groth16 proofs and TEE attestations')
    .version(packageVersion(), '-V, --version', 'print the zkinfer version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError(false);
  registerCompileCommand(program);
  registerProveCommand(program);
  registerVerifyCommand(program);
  registerAttestCommand(program);
  registerInferCommand(program);
  registerDatasetCommand(program);
  registerProvenanceCommand(program);
  registerAttributeCommand(program);
  registerSetupCommand(program);
  registerExportCommand(program);
  registerOpenCommand(program);
  registerServeCommand(program);
  registerWorkerCommand(program);
  registerTeeCommand(program);
  return program;
}

/**
 * Runs the CLI.
 * @returns the exit code
 */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  const program = buildProgram();
  program.commands.forEach((c) => c.exitOverride());
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message (usage errors, --help, --version)
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`${errorLine(e)}\n`);
    return exitCodeOf(e);
  }
}
