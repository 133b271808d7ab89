/**
 * closingLeakedFileHandles: a call's leftover file handles are closed when it settles (as
 * snarkjs's zkey verification leaves the ptau file open), and handles opened by unrelated
 * work at the same time, or closed by the call itself, are left alone.
 */
import fs from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closingLeakedFileHandles } from '../../src/shared/file-handles.js';

const file = join(mkdtempSync(join(tmpdir(), 'zkinfer-fh-')), 'data.bin');
writeFileSync(file, 'x');

describe('closingLeakedFileHandles', () => {
  it('closes what the call left open, only that, and restores fs.promises.open', async () => {
    const open = fs.promises.open;
    let leaked: FileHandle | undefined;
    let closedByCall: FileHandle | undefined;
    let unrelated: FileHandle | undefined;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const other = (async () => {
      await gate;
      unrelated = await fs.promises.open(file, 'r'); // opened while the call runs, outside it
    })();
    const result = await closingLeakedFileHandles(async () => {
      leaked = await fs.promises.open(file, 'r');
      closedByCall = await fs.promises.open(file, 'r');
      await closedByCall.close();
      release();
      await other;
      return 42;
    });
    expect(result).toBe(42);
    expect(leaked!.fd).toBe(-1);
    expect(closedByCall!.fd).toBe(-1);
    expect(unrelated!.fd).toBeGreaterThan(-1);
    await unrelated!.close();
    expect(fs.promises.open).toBe(open);
  });

  it('closes them when the call fails too, and passes the failure on', async () => {
    let leaked: FileHandle | undefined;
    await expect(
      closingLeakedFileHandles(async () => {
        leaked = await fs.promises.open(file, 'r');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(leaked!.fd).toBe(-1);
  });
});
