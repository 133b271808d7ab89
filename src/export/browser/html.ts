/**
 * The exported verifier page: one self-contained HTML file (styles, the bundled script and
 * the key inline), so it works from file:// with no network and no server — browsers refuse
 * module scripts loaded from file:// URLs, but run inline ones.
 */
import type { Manifest } from '../../shared/manifest.js';

/** Makes script text safe inside a <script> element (no early </script>, no <!--). */
export function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON safe inside a <script type="application/json"> element. */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `
:root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f6f7f9; }
body { max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
code, textarea, dd, .id { font-family: ui-monospace, monospace; font-size: .85rem; }
.panel { background: #fff; border: 1px solid #d8dde3; border-radius: 6px; padding: .8rem 1rem; margin: .8rem 0; }
.id { word-break: break-all; }
label { display: block; margin: .4rem 0 .1rem; font-size: .85rem; color: #4a5560; }
input[type=text] { width: 100%; box-sizing: border-box; font-family: ui-monospace, monospace; }
textarea { width: 100%; box-sizing: border-box; height: 9rem; }
#drop { border: 2px dashed #aab4be; border-radius: 6px; padding: .6rem; text-align: center; color: #4a5560; margin: .4rem 0; }
#drop.over { background: #eef4ff; border-color: #3b6fd8; }
button { font-size: 1rem; padding: .4rem 1.2rem; }
.verdict { font-size: 1.1rem; padding: .6rem .8rem; border-radius: 6px; background: #eceff3; }
.verdict.valid { background: #e3f6e8; color: #11652c; }
.verdict.invalid { background: #fde8e8; color: #9b1c1c; }
#checks { list-style: none; padding: 0; }
#checks li { margin: .25rem 0; }
#checks .mark { display: inline-block; width: 1.4rem; font-weight: bold; }
#checks .passed .mark { color: #11652c; } #checks .failed .mark { color: #9b1c1c; } #checks .not-run { color: #7a858f; }
#checks .detail { margin-left: 1.4rem; font-size: .85rem; color: #9b1c1c; } #checks .not-run .detail { color: #7a858f; }
dl { display: grid; grid-template-columns: 8rem 1fr; gap: .2rem .8rem; }
dt { color: #4a5560; } dd { margin: 0; word-break: break-all; }
.small { font-size: .8rem; color: #4a5560; }
`;

/**
 * The verifier page.
 * @param key the manifest and verification key embedded (their id is checked when the page starts)
 * @param script the page bundle (./bundle.ts)
 */
export function pageHtml(key: { manifest: Manifest; vkey: Record<string, unknown> }, script: string): string {
  const m = key.manifest;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'wasm-unsafe-eval' blob:; worker-src blob:; style-src 'unsafe-inline'; connect-src 'none'">
<title>zkinfer receipt verifier — ${escapeHtml(m.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>zkinfer receipt verifier</h1>
<p class="small">Checks a receipt's Groth16 proof and every binding <code>zkinfer verify</code> checks, in this browser, with zkinfer's own verification code. Nothing is sent anywhere.</p>
<div class="panel">
<div>model <strong id="model-name">${escapeHtml(m.name)}</strong></div>
<div>model id <span class="id" id="model-id">${escapeHtml(m.modelId)}</span></div>
<div>embedded key id <span class="id" id="key-id">${escapeHtml(m.keyId ?? '')}</span></div>
<div class="small" id="setup"></div>
<label for="pinned">pinned key id (the one you received through a trusted channel; a key with another id is refused)</label>
<input type="text" id="pinned" spellcheck="false">
<label for="nonce">expected nonce (optional: your challenge, lowercase hex)</label>
<input type="text" id="nonce" spellcheck="false">
<label for="max-age">maximum age in seconds (optional)</label>
<input type="text" id="max-age" spellcheck="false" inputmode="numeric">
</div>
<div class="panel">
<label for="receipt">receipt (paste its JSON, or drop the file below)</label>
<textarea id="receipt" spellcheck="false"></textarea>
<div id="drop">drop a receipt file here, or <input type="file" id="file" accept=".json,application/json"></div>
<button id="verify" disabled>Verify</button> <span class="small" id="status">starting…</span>
</div>
<div class="panel">
<div class="verdict" id="verdict">no receipt verified yet</div>
<div class="small" id="timing"></div>
<ul id="checks"></ul>
<dl id="summary"></dl>
</div>
<script type="application/json" id="zkinfer-key" data-key-id="${escapeHtml(m.keyId ?? '')}">${inlineJson({ manifest: key.manifest, vkey: key.vkey })}</script>
<script type="module">${inlineScript(script)}</script>
</body>
</html>
`;
}
