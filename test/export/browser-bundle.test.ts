/**
 * The browser bundle and the page's verification module, in Node: the bundle is built from
 * the library's sources with Node's file built-ins replaced by throwing stand-ins and every
 * other node: import refused; the module's verdicts are verifyProof's; a key file is taken
 * only with the id it must have.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBrowserVerifier, nodeBuiltinsSeam } from '../../src/export/browser/bundle.js';
import { keyFromJson, verifyReceiptText } from '../../src/export/browser/verify-receipt.js';
import { inlineJson, inlineScript } from '../../src/export/browser/html.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { releaseCurve } from '../../src/shared/curve.js';
import type { PublicReceipt as Receipt } from '../../src/shared/receipt.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { MODES, tamperCasesFor } from '../verify/tampering-cases.js';

/** The table's cases for the public tiny model. */
const TAMPER_CASES = tamperCasesFor(MODES.public);

let key: VerifierKey;
let receipt: Receipt;
beforeAll(async () => {
  const tiny = await compileTinyModel();
  key = loadVerifierKey(tiny.dir);
  receipt = await proveInference(loadArtifacts(tiny.dir), [0.5, -0.25, 0.75, 0.1, -0.6, 0.3], { nonce: '5eed'.repeat(8) });
}, 300_000);
afterAll(releaseCurve);

describe('the browser bundle', () => {
  it('bundles the verifier and the page with no import left (the file-reading functions are not even included)', async () => {
    const { module, page } = await bundleBrowserVerifier();
    for (const js of [module, page]) {
      // booleans, not the text: a failure would print a megabyte of JavaScript
      expect(/\bfrom\s*["'][^"']+["']|\bimport\s*\(\s*["']/.test(js)).toBe(false);
      expect(js.includes('is not available in the browser')).toBe(false);
    }
    expect(/export\{[^}]*verifyReceiptText/.test(module)).toBe(true);
  }, 60_000);

  it('refuses any other Node built-in on the verification path, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkinfer-seam-'));
    const entry = join(dir, 'entry.js');
    writeFileSync(entry, "import { createHash } from 'node:crypto'; export const h = createHash;");
    const failure = await build({ entryPoints: [entry], bundle: true, write: false, platform: 'browser', format: 'esm', logLevel: 'silent', plugins: [nodeBuiltinsSeam] }).catch(
      (e: { errors: { text: string }[] }) => e.errors[0]!.text,
    );
    expect(failure).toBe(`node:crypto (imported by ${entry}) is not available in the browser and has no seam in src/export/browser/bundle.ts`);
  });

  it('inlined script and JSON cannot close their <script> element', () => {
    expect(inlineScript('a="</script><!--"')).toBe('a="<\\/script><\\!--"');
    expect(JSON.parse(inlineJson({ s: '</script>' }))).toEqual({ s: '</script>' });
    expect(inlineJson({ s: '</script>' })).not.toContain('</');
  });
});

describe('the page’s verification module', () => {
  it('takes a key file only with its id', () => {
    const text = JSON.stringify({ manifest: key.manifest, vkey: key.vkey });
    expect(keyFromJson(text, key.manifest.keyId!).manifest.modelId).toBe(key.manifest.modelId);
    expect(() => keyFromJson(text, 'ef'.repeat(32))).toThrow(`the verification key's id ${key.manifest.keyId} is not the expected key id ${'ef'.repeat(32)}`);
    const swapped = JSON.parse(text);
    swapped.vkey.vk_alpha_1 = swapped.vkey.IC[0];
    expect(() => keyFromJson(JSON.stringify(swapped))).toThrow(/^the verification key's id [0-9a-f]{64} is not the manifest's key id /);
  });

  it("gives verifyProof's verdict on the honest receipt and every tampering case, with a failed check row for each", async () => {
    const honest = await verifyReceiptText(JSON.stringify(receipt), key);
    expect(honest).toMatchObject({ valid: true });
    expect(honest.checks.map((c) => c.status)).toEqual(Array(6).fill('passed'));
    for (const c of TAMPER_CASES) {
      const text = JSON.stringify(c.tamper(receipt, key.manifest));
      const v = await verifyReceiptText(text, key);
      expect({ valid: v.valid, reason: v.reason }, c.name).toEqual({ valid: false, reason: (await verifyProof(text, key)).reason });
      expect(v.checks.filter((row) => row.status === 'failed').length, c.name).toBeGreaterThan(0);
    }
  });
});
