/**
 * `zkinfer export --target browser`: a page that verifies receipts of one model in any
 * browser, offline, from the files (index.html, self-contained), the same verifier as an ES
 * module to embed in other pages, and the key as a file named by its id.
 */
import type { VerifierKey } from '../../verify/verify.js';
import { bundleBrowserVerifier } from './bundle.js';
import { pageHtml } from './html.js';

/**
 * The files of a browser export folder.
 * @throws {ExportError} when the bundle cannot be built
 */
export async function browserExportFiles(key: VerifierKey): Promise<Map<string, string>> {
  const bundles = await bundleBrowserVerifier();
  const id = key.manifest.keyId!;
  const files = new Map<string, string>();
  files.set('index.html', pageHtml(key, bundles.page));
  files.set('zkinfer-verifier.mjs', bundles.module);
  files.set(`keys/${id}.json`, `${JSON.stringify({ manifest: key.manifest, vkey: key.vkey })}\n`);
  files.set('README.md', embeddingReadme(key));
  return files;
}

function embeddingReadme(key: VerifierKey): string {
  const id = key.manifest.keyId!;
  return `# zkinfer receipt verifier — ${key.manifest.name}

Open \`index.html\` in a browser (from the file, no server needed, no network used): paste or drop a
receipt and read the verdict and each check. The verification key is embedded; its id
\`${id}\` is shown and pinned — compare it with the one the model's publisher gave you.

To verify in your own page, serve \`zkinfer-verifier.mjs\` and \`keys/\` beside it:

\`\`\`html
<script type="module">
  import { fetchKey, verifyReceiptText, warmUp } from './zkinfer-verifier.mjs';
  const keyId = '${id}';           // pinned: received through a trusted channel
  const key = await fetchKey('./keys', keyId);   // refuses a file whose key has another id
  await warmUp();                  // builds the curve engine once
  const verdict = await verifyReceiptText(receiptJson, key, { keyIds: [keyId] });
  // verdict.valid, verdict.reason (the line zkinfer verify prints), verdict.checks
</script>
\`\`\`

The module bundles zkinfer's verification code with snarkjs (GPL-3.0) and @noble libraries.
`;
}
