/**
 * A JUnit XML report of receipt verifications, the format CI systems (GitHub Actions test
 * reporters, GitLab, Jenkins) read: one `<testcase>` per receipt, a `<failure>` with the
 * reason for each invalid one. The shape follows the de-facto schema of Ant's JUnit task
 * (testsuites › testsuite › testcase › failure), as Jenkins documents it.
 *
 * XML 1.0 (§2.2) cannot carry most control characters even escaped, so they are written
 * as visible `\u{…}` text; the five markup characters are escaped as entities, and in
 * attributes tab and line breaks as character references so parsers keep them.
 */
import { hostname } from 'node:os';
import type { ReceiptResult } from './many.js';

/** Options for {@link junitReport}. */
export interface JunitOptions {
  /** The suite's name; default "zkinfer verify". */
  suiteName?: string;
  /** Wall time of the whole run in seconds; default the sum of the receipts' times. */
  seconds?: number;
  /** When the run started; default now. */
  timestamp?: Date;
}

// Characters XML 1.0 forbids: C0 controls but tab, LF, CR; U+FFFE, U+FFFF; lone surrogates.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Escapes text for XML 1.0 content or (with `attribute`) a double- or single-quoted
 * attribute value.
 */
export function escapeXml(text: string, attribute = false): string {
  let out = text.replace(FORBIDDEN, (c) => `\\u{${c.codePointAt(0)!.toString(16).padStart(4, '0')}}`);
  out = out.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (attribute) out = out.replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
  else out = out.replace(/\r/g, '&#13;');
  return out;
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/**
 * Renders verification results as a JUnit XML document.
 * @param results one per receipt (as {@link verifyMany} returns them)
 * @returns the XML text, ending with a newline
 */
export function junitReport(results: readonly ReceiptResult[], options: JunitOptions = {}): string {
  const name = escapeXml(options.suiteName ?? 'zkinfer verify', true);
  const failures = results.filter((r) => !r.valid).length;
  const time = options.seconds !== undefined ? options.seconds.toFixed(3) : seconds(results.reduce((a, r) => a + r.ms, 0));
  const timestamp = (options.timestamp ?? new Date()).toISOString().replace(/\.\d{3}Z$/, '');
  const counts = `tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${time}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${name}" ${counts}>`,
    `  <testsuite name="${name}" ${counts} timestamp="${timestamp}" hostname="${escapeXml(hostname(), true)}">`,
  ];
  for (const r of results) {
    const head = `    <testcase classname="zkinfer.verify" name="${escapeXml(r.file, true)}" file="${escapeXml(r.file, true)}" time="${seconds(r.ms)}"`;
    if (r.valid) {
      lines.push(`${head}/>`);
      continue;
    }
    const reason = r.reason ?? 'invalid receipt';
    lines.push(`${head}>`, `      <failure message="${escapeXml(reason, true)}" type="InvalidReceipt">${escapeXml(`${r.file}: ${reason}`)}</failure>`, '    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>');
  return `${lines.join('\n')}\n`;
}
