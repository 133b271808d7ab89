/**
 * Bundles the library's verification code for browsers with esbuild: an ES module to embed
 * in other pages (./verify-receipt.ts) and the exported page's script (./page.ts), both from
 * the same sources `zkinfer verify` runs (src/verify/verify.ts and what it imports; snarkjs
 * and ffjavascript through their "browser" builds).
 *
 * The seam for Node built-ins: the verification path needs none, but two modules it imports
 * also read artifacts folders — loadVerifierKey (src/verify/verify.ts) and readManifest
 * (src/shared/manifest.ts) use node:fs and node:path. In the bundle those two imports resolve
 * to a module whose functions throw "… is not available in the browser"; the page never calls
 * the file readers (its key is embedded or fetched), so esbuild drops them and the stand-ins
 * with them (a test checks no import and no stand-in reaches the output). Any other node:
 * import fails the bundle, so a Node-only dependency added to the verification path is seen
 * at once, not in a browser.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { ExportError } from '../../shared/errors.js';

/** Node built-ins the verification path imports only for reading files, with the names it imports. */
const FILE_ONLY_BUILTINS: Record<string, readonly string[]> = {
  'node:fs': ['readFileSync', 'existsSync', 'statSync', 'readdirSync'],
  'node:path': ['join', 'dirname', 'basename', 'resolve', 'relative'],
};

const NAMESPACE = 'zkinfer-browser-seam';

/** Resolves the file-only built-ins to throwing stand-ins; refuses every other node: import. */
export const nodeBuiltinsSeam: Plugin = {
  name: 'zkinfer-node-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      if (args.path in FILE_ONLY_BUILTINS) return { path: args.path, namespace: NAMESPACE };
      return { errors: [{ text: `${args.path} (imported by ${args.importer}) is not available in the browser and has no seam in src/export/browser/bundle.ts` }] };
    });
    b.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
      loader: 'js',
      contents: FILE_ONLY_BUILTINS[args.path]!.map((name) => `export function ${name}() { throw new Error(${JSON.stringify(`${args.path} ${name} is not available in the browser`)}); }`).join('\n'),
    }));
  },
};

/** A source file beside this one (.ts when run from source, .js when compiled). */
function sibling(name: string): string {
  for (const ext of ['.ts', '.js']) {
    const path = fileURLToPath(new URL(`./${name}${ext}`, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new ExportError(`cannot find the browser source ${name} beside ${fileURLToPath(import.meta.url)}`);
}

/** The two bundles. */
export interface BrowserBundles {
  /** The ES module to embed (exports verifyReceiptText, keyFromJson, fetchKey, warmUp, keyIdOf). */
  module: string;
  /** The page's script, an ES module with no imports (inlined in index.html). */
  page: string;
}

async function bundle(entry: string): Promise<string> {
  try {
    const result = await build({
      entryPoints: [sibling(entry)],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      minify: true,
      write: false,
      logLevel: 'silent',
      plugins: [nodeBuiltinsSeam],
    });
    return result.outputFiles[0]!.text;
  } catch (cause) {
    const first = (cause as { errors?: { text: string }[] }).errors?.[0]?.text ?? (cause as Error).message;
    throw new ExportError(`cannot bundle the browser verifier: ${first}`, { cause });
  }
}

/**
 * Bundles the browser verifier.
 * @throws {ExportError} when esbuild fails (a Node-only import on the verification path, say)
 */
export async function bundleBrowserVerifier(): Promise<BrowserBundles> {
  const [module, page] = await Promise.all([bundle('verify-receipt'), bundle('page')]);
  return { module, page };
}
