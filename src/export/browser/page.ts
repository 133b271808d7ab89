/**
 * The exported verifier page's script: reads the embedded key, lets the user paste or drop a
 * receipt, and shows the verdict and each check, all computed in the browser by the library's
 * own verification code (./verify-receipt.ts). Text from receipts is shown with textContent,
 * never as HTML. `window.zkinferPage` exposes the same verification to scripts (tests, the
 * benchmark): `ready` (resolves once the key is read and the curve engine built, with the
 * load time), `verify(text)` and `show(text)` (verify and render).
 */
import { keyFromJson, keyIdOf, verifyReceiptText, warmUp, type PageVerdict, type VerifierKey, type VerifyOptions } from './verify-receipt.js';

interface PageApi {
  ready: Promise<{ loadMs: number; keyId: string }>;
  verify(text: string, options?: VerifyOptions): Promise<PageVerdict>;
  show(text: string): Promise<PageVerdict>;
}

declare global {
  interface Window {
    zkinferPage: PageApi;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function element(tag: string, text?: string, className?: string): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

function render(verdict: PageVerdict): void {
  const box = $('verdict');
  box.className = verdict.valid ? 'verdict valid' : 'verdict invalid';
  box.replaceChildren(element('strong', verdict.valid ? 'VALID' : 'INVALID'), element('span', verdict.valid ? ' every check passed' : ` ${verdict.reason ?? ''}`));
  $('timing').textContent = `verified in ${verdict.ms.toFixed(1)} ms in this browser`;
  const list = $('checks');
  list.replaceChildren(
    ...verdict.checks.map((c) => {
      const li = element('li', undefined, c.status.replace(' ', '-'));
      li.append(element('span', c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : '–', 'mark'), element('span', c.name));
      if (c.detail) li.append(element('div', c.detail, 'detail'));
      return li;
    }),
  );
  const s = verdict.summary;
  const summary = $('summary');
  summary.replaceChildren();
  if (s) {
    const rows: [string, string][] = [
      ['model id', s.modelId],
      ['key id', s.keyId ?? '(none)'],
      ['nonce', s.nonce],
      ['created', s.createdAt],
    ];
    // a hashed tensor is shown by its salted Poseidon commitment: the receipt holds no values of it
    if (s.inputCommitment !== undefined) rows.push(['input commitment', s.inputCommitment]);
    if (s.outputCommitment !== undefined) rows.push(['output commitment', s.outputCommitment]);
    if (s.output) rows.push(['output', `[${s.output.join(', ')}]`], ['argmax', String(s.output.indexOf(Math.max(...s.output)))]);
    if (s.probabilities) rows.push(['probabilities', `[${s.probabilities.map((p) => p.toFixed(4)).join(', ')}]`]);
    for (const [k, v] of rows) summary.append(element('dt', k), element('dd', v));
  }
}

function options(): VerifyOptions {
  const pinned = $<HTMLInputElement>('pinned').value.trim();
  const nonce = $<HTMLInputElement>('nonce').value.trim();
  const age = $<HTMLInputElement>('max-age').value.trim();
  return { keyIds: pinned ? [pinned] : undefined, nonce: nonce || undefined, maxAgeSeconds: age ? Number(age) : undefined };
}

async function start(): Promise<{ loadMs: number; keyId: string; key: VerifierKey }> {
  const embedded = $('zkinfer-key').textContent ?? '';
  const expected = $('zkinfer-key').dataset.keyId;
  const key = keyFromJson(embedded, expected);
  const id = keyIdOf(key.vkey);
  $('model-name').textContent = key.manifest.name;
  $('model-id').textContent = key.manifest.modelId;
  $('key-id').textContent = id;
  $('setup').textContent = key.manifest.setup?.localSingleParty
    ? 'local single-party setup: whoever ran it could forge proofs; trust it only if you made it'
    : key.manifest.setup
      ? `setup from ${key.manifest.setup.ptau?.origin ?? key.manifest.setup.method}`
      : 'no setup recorded';
  $<HTMLInputElement>('pinned').value = id;
  await warmUp();
  return { loadMs: performance.now(), keyId: id, key };
}

const started = start();
let busy: Promise<unknown> = Promise.resolve();

async function verify(text: string, opts?: VerifyOptions): Promise<PageVerdict> {
  const { key } = await started;
  return verifyReceiptText(text, key, opts ?? options());
}

async function show(text: string): Promise<PageVerdict> {
  $('verdict').textContent = 'verifying…';
  $('verdict').className = 'verdict';
  let verdict: PageVerdict;
  try {
    verdict = await verify(text);
  } catch (e) {
    verdict = { valid: false, reason: (e as Error).message, checks: [], ms: 0 };
  }
  render(verdict);
  return verdict;
}

window.zkinferPage = { ready: started.then(({ loadMs, keyId }) => ({ loadMs, keyId })), verify, show };

started.then(
  ({ loadMs }) => {
    $('status').textContent = `ready (${loadMs.toFixed(0)} ms after navigation start)`;
    $<HTMLButtonElement>('verify').disabled = false;
  },
  (e: Error) => {
    $('status').textContent = `cannot start: ${e.message}`;
  },
);

$('verify').addEventListener('click', () => {
  busy = busy.then(() => show($<HTMLTextAreaElement>('receipt').value));
});

const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) void loadFile(file);
});
$<HTMLInputElement>('file').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void loadFile(file);
});

async function loadFile(file: File): Promise<void> {
  const text = await file.text();
  $<HTMLTextAreaElement>('receipt').value = text;
  busy = busy.then(() => show(text));
}
