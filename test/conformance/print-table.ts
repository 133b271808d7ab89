/**
 * Prints the conformance table (markdown) for the README: `npx tsx test/conformance/print-table.ts`.
 */
import { conformanceTable, runConformance } from './backend.js';

process.stdout.write(`${conformanceTable(runConformance())}\n`);
