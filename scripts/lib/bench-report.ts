/**
 * Shared by the benchmark scripts: the machine description and the replacement of one
 * titled section of BENCHMARKS.md, so each script updates only its own figures.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';

export { median, quantile, summary } from './stats.js';

const PATH = 'BENCHMARKS.md';
const HEADER = '# zkinfer benchmarks\n\nWritten by `npm run bench` (and the `bench:*` scripts); every figure was measured on the machine named in its section, in one process unless stated.\n';

/** One line naming the machine, Node and the load average when the run started. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average at start ${loadavg()[0]!.toFixed(2)}`;
}

/** A markdown table from rows of cells. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Replaces (or appends) the section whose heading starts with `## <title>` in BENCHMARKS.md. */
export function writeSection(title: string, body: string): void {
  let doc: string;
  try {
    doc = readFileSync(PATH, 'utf8');
  } catch {
    doc = HEADER;
  }
  const date = new Date().toISOString().slice(0, 10);
  const section = `## ${title} — ${date}\n\nMachine: ${machineLine()}.\n\n${body.trim()}\n`;
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`## ${escaped} —[\\s\\S]*?(?=\\n## |$)`);
  doc = re.test(doc) ? doc.replace(re, `${section.trimEnd()}\n`) : `${doc.trimEnd()}\n\n${section}`;
  writeFileSync(PATH, `${doc.trimEnd()}\n`);
}
