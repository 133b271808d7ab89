/**
 * Closing the file handles a third-party call leaves open. snarkjs 0.7.6's zkey verification
 * (`zkey_verify_frominit.js`, `sameRatioH`) opens the powers-of-tau file through fastfile and
 * never closes it; Node then prints "Closing file descriptor N on garbage collection" and a
 * DEP0137 deprecation on stderr whenever a garbage collection finds the handle before the
 * process exits — which `zkinfer setup verify` did in about one run of three once the CLI
 * ran compiled (its smaller heap collects sooner).
 *
 * {@link closingLeakedFileHandles} runs such a call with `fs.promises.open` (the function
 * fastfile calls) wrapped to note every handle opened inside the call's own asynchronous
 * context (AsyncLocalStorage): handles opened by unrelated work at the same time are not
 * noted. When the call settles, the noted handles still open are closed. The wrapper is
 * installed only while such a call runs.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

const scope = new AsyncLocalStorage<Set<FileHandle>>();
let active = 0;
let original: typeof fs.promises.open | undefined;

function install(): void {
  if (active++ > 0) return;
  const open = (original = fs.promises.open);
  fs.promises.open = async function (this: unknown, ...args: Parameters<typeof open>): Promise<FileHandle> {
    const handle = await open.apply(fs.promises, args);
    scope.getStore()?.add(handle);
    return handle;
  } as typeof open;
}

function uninstall(): void {
  if (--active > 0) return;
  fs.promises.open = original!;
  original = undefined;
}

/**
 * Runs `call`, then closes every file handle it opened through `fs.promises.open` and left open.
 * @returns what `call` returns
 */
export async function closingLeakedFileHandles<T>(call: () => Promise<T>): Promise<T> {
  const opened = new Set<FileHandle>();
  install();
  try {
    return await scope.run(opened, call);
  } finally {
    uninstall();
    for (const handle of opened) if (handle.fd !== -1) await handle.close().catch(() => undefined);
  }
}
