/**
 * Verifying a folder of receipts in parallel, and the JUnit XML report for CI — checked
 * for well-formedness by Python's expat parser, not by our own reading of it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { proveBatch } from '../../src/prove/batch.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { junitReport, escapeXml } from '../../src/verify/junit.js';
import { listReceiptFiles, verifyMany, MIN_RECEIPTS_PER_THREAD, type ReceiptResult, type VerifyManySummary, type VerifyProgress, BATCH_SIZE } from '../../src/verify/many.js';
import { loadVerifierKey, type VerifierKey } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { systemCommand, skipWithout, titled } from '../helpers/system-deps.js';
import { writeTinyInputs } from './helpers.js';

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let key: VerifierKey;
let folder: string;
let inline: VerifyManySummary | undefined; // the concurrency-1 run, reused by the JUnit test
const N = 2 * MIN_RECEIPTS_PER_THREAD + 2; // enough for two verifier threads
const TAMPERED = 'x-17.json';

beforeAll(async () => {
  tiny = await compileTinyModel();
  key = loadVerifierKey(tiny.dir);
  const proven = join(tiny.work, 'proven');
  await proveBatch(loadArtifacts(tiny.dir), writeTinyInputs(tiny.work, 'in.jsonl', 6, 17), proven, { workers: 2 });
  // N receipts: copies of the six proven ones under their own names, plus the batch's failures file
  folder = join(tiny.work, 'receipts');
  mkdirSync(folder);
  for (let i = 0; i < N; i++) copyFileSync(join(proven, `x-${i % 6}.json`), join(folder, `x-${i}.json`));
  writeFileSync(join(folder, 'failures.jsonl'), '');
  writeFileSync(join(folder, 'x-3.json.123.tmp'), '{');
  // the tampered one carries another receipt's (valid) proof: only the pairing check can tell
  const victim = JSON.parse(readFileSync(join(folder, TAMPERED), 'utf8'));
  victim.proof = JSON.parse(readFileSync(join(proven, 'x-0.json'), 'utf8')).proof;
  writeFileSync(join(folder, TAMPERED), JSON.stringify(victim));
}, 300_000);
afterAll(() => releaseCurve());

describe('verifyMany', () => {
  it('lists a folder: every *.json, sorted, without failures or temporaries', () => {
    const files = listReceiptFiles([folder]);
    expect(files).toHaveLength(N);
    expect(files).toEqual([...files].sort());
    expect(files.every((f) => f.endsWith('.json'))).toBe(true);
  });

  for (const concurrency of [1, 2]) {
    it(`finds the one tampered receipt among ${N} (concurrency ${concurrency})`, async () => {
      const paths = listReceiptFiles([folder]);
      const events: VerifyProgress[] = [];
      const summary = await verifyMany(paths, key, { concurrency, onProgress: (p) => events.push(p) });
      if (concurrency === 1) inline = summary;
      expect(summary.threads).toBe(concurrency === 1 ? 0 : 2);
      expect(summary).toMatchObject({ total: N, valid: N - 1, invalid: 1, unchecked: 0 });
      expect(summary.results.map((r) => r.file)).toEqual(paths);
      expect(summary.results.filter((r) => !r.valid)).toEqual([
        { file: join(folder, TAMPERED), valid: false, reason: 'the Groth16 proof does not verify', output: expect.any(Array), ms: expect.any(Number) },
      ]);
      expect(events.map((e) => e.done)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
      expect(events.at(-1)).toMatchObject({ total: N, invalid: 1 });
    });
  }

  it('reports unreadable and malformed files as invalid, and stops on an AbortSignal after the batch in flight', async () => {
    const bad = join(tiny.work, 'bad.json');
    writeFileSync(bad, '{"format":');
    const missing = join(tiny.work, 'missing.json');
    const summary = await verifyMany([missing, bad], key);
    expect(summary.results.map((r) => [r.valid, r.reason?.split(':')[0]])).toEqual([
      [false, 'cannot read (ENOENT)'],
      [false, 'malformed JSON'],
    ]);
    const abort = new AbortController();
    const stopped = await verifyMany(listReceiptFiles([folder]), key, { concurrency: 1, signal: abort.signal, onProgress: (p) => p.done === 3 && abort.abort() });
    // receipts are checked in batches: the batch in flight when the signal fires is completed
    expect(stopped).toMatchObject({ total: N, valid: BATCH_SIZE, invalid: 0, unchecked: N - BATCH_SIZE });
  });
});

/** Parses XML with Python's expat and returns the testcases as JSON. */
function parseWithExpat(xml: string): {
  root: Record<string, string>;
  suite: Record<string, string>;
  cases: { attrs: Record<string, string>; failure?: { attrs: Record<string, string>; text: string } }[];
} {
  const path = join(tiny.work, `report-${Math.random().toString(16).slice(2)}.xml`);
  writeFileSync(path, xml);
  const code = [
    'import json, sys, xml.etree.ElementTree as ET',
    'root = ET.parse(sys.argv[1]).getroot()',
    "assert root.tag == 'testsuites', root.tag",
    "suite = root.find('testsuite')",
    "cases = [{'attrs': c.attrib, **({'failure': {'attrs': f.attrib, 'text': f.text or ''}} if (f := c.find('failure')) is not None else {})} for c in suite.findall('testcase')]",
    "print(json.dumps({'root': root.attrib, 'suite': suite.attrib, 'cases': cases}))",
  ].join('\n');
  const r = spawnSync('python3', ['-c', code, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`expat rejected the report: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// The JUnit report is parsed by an independent XML parser: Python's expat.
const python = systemCommand('python3', 'python3');
const skipJunit = skipWithout(python);

describe.skipIf(skipJunit)(titled('junitReport', python, skipJunit), () => {
  it('is well-formed JUnit XML with one failure for the tampered receipt', async () => {
    const summary = inline ?? (await verifyMany(listReceiptFiles([folder]), key, { concurrency: 1 }));
    const xml = junitReport(summary.results, { seconds: summary.seconds, timestamp: new Date('2026-01-02T03:04:05.678Z') });
    const parsed = parseWithExpat(xml);
    expect(parsed.root).toMatchObject({ tests: String(N), failures: '1', errors: '0' });
    expect(parsed.suite).toMatchObject({ name: 'zkinfer verify', tests: String(N), failures: '1', timestamp: '2026-01-02T03:04:05' });
    expect(parsed.cases).toHaveLength(N);
    const failed = parsed.cases.filter((c) => c.failure);
    expect(failed).toEqual([
      {
        attrs: expect.objectContaining({ name: join(folder, TAMPERED), classname: 'zkinfer.verify' }),
        failure: { attrs: { message: 'the Groth16 proof does not verify', type: 'InvalidReceipt' }, text: `${join(folder, TAMPERED)}: the Groth16 proof does not verify` },
      },
    ]);
  });

  it('escapes markup, quotes, line breaks and characters XML cannot carry', () => {
    const nasty = `a<b>&"c"'d'\n\tend\u0001\u001b[31m\uFFFE\uD800!`;
    const results: ReceiptResult[] = [
      { file: `dir/${nasty}.json`, valid: false, reason: nasty, ms: 1.5 },
      { file: 'ok & fine.json', valid: true, ms: 2 },
    ];
    const parsed = parseWithExpat(junitReport(results, { suiteName: 'suite "x" <y>' }));
    const shown = `a<b>&"c"'d'\n\tend\\u{0001}\\u{001b}[31m\\u{fffe}\\u{d800}!`;
    expect(parsed.suite.name).toBe('suite "x" <y>');
    expect(parsed.cases[0]).toEqual({
      attrs: { classname: 'zkinfer.verify', name: `dir/${shown}.json`, file: `dir/${shown}.json`, time: '0.002' },
      failure: { attrs: { message: shown, type: 'InvalidReceipt' }, text: `dir/${shown}.json: ${shown}` },
    });
    expect(parsed.cases[1]).toEqual({ attrs: { classname: 'zkinfer.verify', name: 'ok & fine.json', file: 'ok & fine.json', time: '0.002' } });
    expect(escapeXml('x\r\ny')).toBe('x&#13;\ny');
    expect(escapeXml('😀', true)).toBe('😀'); // a surrogate pair is one valid character
  });
});
