/**
 * Debian's Chromium, headless, driven by playwright-core (no browser download): the flags
 * that keep it off the network (it hangs on a closed one otherwise) and a fresh profile per
 * launch, removed on close. Used by the browser tests and the export benchmark.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

/** Where Chromium is (ZKINFER_CHROMIUM overrides /usr/bin/chromium). */
export const CHROMIUM = process.env.ZKINFER_CHROMIUM ?? '/usr/bin/chromium';

/** Headless, no sandbox (root in CI), and nothing that reaches for the network. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launches Chromium with a fresh user-data dir; `close()` also removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'zkinfer-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
