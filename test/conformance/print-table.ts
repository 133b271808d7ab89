/**
 * Prints the conformance table (markdown) for the README: `npx tsx test/conformance/print-table.ts`.
 */
import { existsSync } from 'node:fs';
import { conformanceTable, NODE_TESTS_DIR, runConformance } from './backend.js';

if (!existsSync(NODE_TESTS_DIR)) {
  process.stderr.write(`error: ${NODE_TESTS_DIR}: no ONNX backend node tests; install them with: apt-get install libonnx-testdata\n`);
  process.exit(1);
}
process.stdout.write(`${conformanceTable(runConformance())}\n`);
