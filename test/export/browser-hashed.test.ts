/**
 * The exported browser page with hashed models, in Debian's Chromium (headless, from file://):
 * the tiny model compiled with a hashed input, and with both hashed. The honest receipt
 * verifies and is shown by its commitments (no value of a hashed tensor appears on the page);
 * every case of the shared tampering table for the mode gets `zkinfer verify`'s verdict and
 * reason. Screenshots go to test-output/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { exportVerifier } from '../../src/export/export.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { proveWithOpening } from '../../src/prove/prove.js';
import { releaseCurve } from '../../src/shared/curve.js';
import type { Opening } from '../../src/shared/opening.js';
import { isHashedOutput, type Receipt } from '../../src/shared/receipt.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { debianData, skipWithout, titled } from '../helpers/system-deps.js';
import { MODES, tamperCasesFor } from '../verify/tampering-cases.js';

const chromium = debianData('chromium', CHROMIUM);
const skipped = skipWithout(chromium);
const SHOTS = join(process.cwd(), 'test-output');

let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
afterAll(async () => {
  await browser?.close();
  await releaseCurve();
});

describe.skipIf(skipped).each([
  ['hashed-input', MODES.hashedInput, { inputVisibility: 'hashed' } as const],
  ['hashed-both', MODES.hashedBoth, { inputVisibility: 'hashed', outputVisibility: 'hashed' } as const],
])(titled('the browser verifier in Chromium, %s model', chromium, skipped), (label, mode, options) => {
  let key: VerifierKey;
  let receipt: Receipt;
  let opening: Opening;
  let page: Page;

  beforeAll(async () => {
    const tiny = await compileTinyModel(options);
    key = loadVerifierKey(tiny.dir);
    const proven = await proveWithOpening(loadArtifacts(tiny.dir), [0.5, -0.25, 0.75, 0.1, -0.6, 0.3], { nonce: '5eed'.repeat(8), createdAt: '2026-12-01T10:00:00.000Z' });
    receipt = proven.receipt;
    opening = proven.opening!;
    const outDir = join(tiny.work, 'web');
    await exportVerifier(tiny.dir, { target: 'browser', outDir });
    browser ??= await launchChromium();
    page = await browser.context.newPage();
    await page.goto(`file://${join(outDir, 'index.html')}`);
    await page.waitForFunction(() => !(document.getElementById('verify') as HTMLButtonElement).disabled, undefined, { timeout: 60_000 });
    mkdirSync(SHOTS, { recursive: true });
  }, 300_000);

  /** Pastes text into the page, presses Verify and reads the verdict, the checks and the summary. */
  async function verifyInPage(text: string): Promise<{ verdict: string; checks: string[]; summary: Record<string, string> }> {
    await page.evaluate(() => {
      const v = document.getElementById('verdict')!;
      v.className = 'verdict';
      v.textContent = '';
    });
    await page.fill('#receipt', text);
    await page.click('#verify');
    await page.waitForFunction(() => /\b(valid|invalid)\b/.test(document.getElementById('verdict')!.className), undefined, { timeout: 30_000 });
    return page.evaluate(() => {
      const dts = [...document.querySelectorAll('#summary dt')].map((e) => e.textContent!);
      const dds = [...document.querySelectorAll('#summary dd')].map((e) => e.textContent!);
      return {
        verdict: document.getElementById('verdict')!.textContent!,
        checks: [...document.querySelectorAll('#checks li')].map((li) => `${li.className}: ${li.querySelector('span:nth-child(2)')!.textContent}`),
        summary: Object.fromEntries(dts.map((k, i) => [k, dds[i]!])),
      };
    });
  }

  it('verifies the honest receipt and shows its commitments, no value of a hashed tensor', async () => {
    const out = await verifyInPage(JSON.stringify(receipt, null, 2));
    expect(out.verdict).toBe('VALID every check passed');
    expect(out.checks.every((c) => c.startsWith('passed: '))).toBe(true);
    expect(out.summary['input commitment']).toBe(receipt.input.commitment);
    if (isHashedOutput(receipt.output)) {
      expect(out.summary['output commitment']).toBe(receipt.output.commitment);
      expect(out.summary.output).toBeUndefined();
    } else expect(out.summary.output).toBe(`[${receipt.output.values.join(', ')}]`);
    const body = await page.textContent('#summary');
    expect(body).not.toContain(opening.input!.raw.join(', '));
    expect(body).not.toContain(opening.input!.salt);
    await page.screenshot({ path: join(SHOTS, `browser-verifier-${label}-valid.png`), fullPage: true });
  });

  it("gives verify's verdict and reason on every case of the tampering table for the mode", async () => {
    const cases = tamperCasesFor(mode);
    expect(cases.some((c) => c.name === 'altered input commitment (digest re-sealed)')).toBe(true);
    for (const c of cases) {
      const text = JSON.stringify(c.tamper(receipt, key.manifest));
      const ts = await verifyProof(text, key);
      expect(ts.valid, c.name).toBe(false);
      const out = await verifyInPage(text);
      expect(out.verdict, c.name).toBe(`INVALID ${ts.reason}`);
      expect(
        out.checks.some((row) => row.startsWith('failed: ')),
        c.name,
      ).toBe(true);
      if (c.name === 'altered input commitment (digest re-sealed)') await page.screenshot({ path: join(SHOTS, `browser-verifier-${label}-tampered.png`), fullPage: true });
    }
  });
});
