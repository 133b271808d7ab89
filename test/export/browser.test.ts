/**
 * The exported browser verifier in a real browser: Debian's Chromium, headless, driven by
 * playwright-core. The page is opened from its file (file://, no server, no network), an
 * honest receipt and every case of the shared tampering table are pasted into it and
 * verified through its button, and each verdict must be `zkinfer verify`'s, reason for
 * reason. The ES module is embedded in another page served from loopback and loads the key
 * by its id. Screenshots go to test-output/ (git-ignored; CI keeps them as artifacts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { exportVerifier } from '../../src/export/export.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { releaseCurve } from '../../src/shared/curve.js';
import type { PublicReceipt as Receipt } from '../../src/shared/receipt.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { debianData, skipWithout, titled } from '../helpers/system-deps.js';
import { MODES, tamperCasesFor } from '../verify/tampering-cases.js';

/** The table's cases for the public tiny model. */
const TAMPER_CASES = tamperCasesFor(MODES.public);

const chromium = debianData('chromium', CHROMIUM);
const skipped = skipWithout(chromium);
const SHOTS = join(process.cwd(), 'test-output');

let key: VerifierKey;
let receipt: Receipt;
let outDir: string;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
let context: BrowserContext;
let page: Page;
let server: Server | undefined;

describe.skipIf(skipped)(titled('the browser verifier in Chromium', chromium, skipped), () => {
  beforeAll(async () => {
    const tiny = await compileTinyModel();
    key = loadVerifierKey(tiny.dir);
    receipt = await proveInference(loadArtifacts(tiny.dir), [0.5, -0.25, 0.75, 0.1, -0.6, 0.3], { nonce: '5eed'.repeat(8), createdAt: '2026-12-01T10:00:00.000Z' });
    outDir = join(tiny.work, 'web');
    await exportVerifier(tiny.dir, { target: 'browser', outDir });
    browser = await launchChromium();
    context = browser.context;
    page = await context.newPage();
    await page.goto(`file://${join(outDir, 'index.html')}`);
    await page.waitForFunction(() => !(document.getElementById('verify') as HTMLButtonElement).disabled, undefined, { timeout: 60_000 });
    mkdirSync(SHOTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await releaseCurve();
  });

  /** Pastes text into the page, presses Verify and reads the verdict line and the checks. */
  async function verifyInPage(text: string): Promise<{ verdict: string; checks: string[] }> {
    await page.evaluate(() => {
      const v = document.getElementById('verdict')!;
      v.className = 'verdict';
      v.textContent = '';
    });
    await page.fill('#receipt', text);
    await page.click('#verify');
    await page.waitForFunction(() => /\b(valid|invalid)\b/.test(document.getElementById('verdict')!.className), undefined, { timeout: 30_000 });
    return page.evaluate(() => ({
      verdict: document.getElementById('verdict')!.textContent!,
      checks: [...document.querySelectorAll('#checks li')].map((li) => `${li.className}: ${li.querySelector('span:nth-child(2)')!.textContent}`),
    }));
  }

  it('opens from file://, shows the embedded key id, and verifies the honest receipt', async () => {
    expect(await page.textContent('#key-id')).toBe(key.manifest.keyId);
    expect(await page.inputValue('#pinned')).toBe(key.manifest.keyId);
    const out = await verifyInPage(JSON.stringify(receipt, null, 2));
    expect(out.verdict).toBe('VALID every check passed');
    expect(out.checks).toHaveLength(6);
    expect(out.checks.every((c) => c.startsWith('passed: '))).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'browser-verifier-valid.png'), fullPage: true });
  });

  it("gives verify's verdict and reason on every case of the tampering table", async () => {
    for (const c of TAMPER_CASES) {
      const text = JSON.stringify(c.tamper(receipt, key.manifest));
      const ts = await verifyProof(text, key);
      const out = await verifyInPage(text);
      expect(out.verdict, c.name).toBe(`INVALID ${ts.reason}`);
      expect(
        out.checks.some((row) => row.startsWith('failed: ')),
        c.name,
      ).toBe(true);
      if (c.name.startsWith('altered output (values')) await page.screenshot({ path: join(SHOTS, 'browser-verifier-tampered.png'), fullPage: true });
    }
  });

  it('refuses a key id other than the pinned one, and a receipt for another nonce', async () => {
    await page.fill('#pinned', 'ef'.repeat(32));
    const pinned = await verifyInPage(JSON.stringify(receipt));
    expect(pinned.verdict).toBe(`INVALID the verification key ${key.manifest.keyId!.slice(0, 16)}… is not a trusted key id (pinned: efefefefefefefef…)`);
    await page.fill('#pinned', key.manifest.keyId!);
    await page.fill('#nonce', '00'.repeat(16));
    const nonce = await verifyInPage(JSON.stringify(receipt));
    expect(nonce.verdict).toBe('INVALID the receipt nonce 5eed5eed5eed5eed… is not the expected nonce 0000000000000000…');
    await page.fill('#nonce', '');
  });

  it('the ES module, embedded in a page served from loopback, loads the key by its id and verifies', async () => {
    writeFileSync(
      join(outDir, 'embed.html'),
      `<!doctype html><script type="module">
import { fetchKey, verifyReceiptText, warmUp } from './zkinfer-verifier.mjs';
window.run = async (keyId, text) => {
  const key = await fetchKey('./keys', keyId);
  await warmUp();
  return verifyReceiptText(text, key, { keyIds: [keyId] });
};
window.wrongKey = async (keyId) => fetchKey('./keys', keyId).then(() => 'loaded', (e) => e.message);
</script>`,
    );
    const types: Record<string, string> = { '.html': 'text/html', '.mjs': 'text/javascript', '.json': 'application/json' };
    server = createServer((req, res) => {
      const path = normalize(join(outDir, decodeURIComponent(new URL(req.url!, 'http://x').pathname)));
      if (!path.startsWith(outDir)) return void res.writeHead(403).end();
      try {
        const body = readFileSync(path);
        res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server!.address() as AddressInfo).port;
    const embed = await context.newPage();
    await embed.goto(`http://127.0.0.1:${port}/embed.html`);
    await embed.waitForFunction(() => typeof (window as unknown as { run?: unknown }).run === 'function');
    const verdict = await embed.evaluate(([id, text]) => (window as unknown as { run(a: string, b: string): Promise<{ valid: boolean }> }).run(id, text), [
      key.manifest.keyId!,
      JSON.stringify(receipt),
    ] as const);
    expect(verdict).toMatchObject({ valid: true });
    const missing = await embed.evaluate((id) => (window as unknown as { wrongKey(a: string): Promise<string> }).wrongKey(id), 'ef'.repeat(32));
    expect(missing).toBe(`http://127.0.0.1:${port}/keys/${'ef'.repeat(32)}.json: HTTP 404`);
    await embed.close();
  });
});
