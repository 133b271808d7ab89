/**
 * A lock file that keeps two processes from writing into one folder at once (two batches
 * proving into the same `--out` would do the work twice and race on every receipt).
 *
 * The lock is a small JSON file naming its owner — pid, host name, start time and a random
 * token — created atomically with a hard link (which fails when the name exists), so it is
 * never seen half-written. A lock whose owner is a dead process on this host is stale and is
 * taken over; the take-over itself is guarded by a second link-created file, so two processes
 * finding the same stale lock do not both take it. A lock from another host cannot be
 * checked and counts as held.
 */
import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';

/** Who holds a lock. */
export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  token: string;
}

/** A lock this process holds. */
export interface HeldLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it is still this lock's (idempotent). */
  release(): void;
}

/** The outcome of {@link tryLock}: the lock, or who holds it (`unreadable`: a lock file that names no owner). */
export type LockAttempt = { lock: HeldLock } | { heldBy: LockOwner | 'unreadable' };

const ATTEMPTS = 4;
/** Tokens of the locks this process holds: a lock naming this pid is live only if it is one of them. */
const heldTokens = new Set<string>();

/**
 * Tries to take the lock file `path` (its folder must exist); never waits.
 * @returns the held lock, or the owner of the lock that stands in the way
 * @throws the file system's error when the lock cannot be written at all (e.g. EACCES)
 */
export function tryLock(path: string): LockAttempt {
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), token: randomUUID() };
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(owner)}\n`);
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (link(tmp, path)) {
        heldTokens.add(owner.token);
        return { lock: heldLock(path, owner) };
      }
      const current = readOwner(path);
      if (current === 'missing') continue; // released meanwhile: try again
      if (current === 'unreadable' || isLive(current)) return { heldBy: current };
      // stale: take it over, guarded so that only one process does
      const guard = `${path}.takeover`;
      if (!link(tmp, guard)) {
        const taker = readOwner(guard);
        if (taker !== 'missing' && taker !== 'unreadable' && isLive(taker)) return { heldBy: taker };
        rmSync(guard, { force: true }); // left by a process that died while taking over
        continue;
      }
      try {
        const again = readOwner(path); // under the guard: still stale?
        if (again === 'unreadable' || (again !== 'missing' && isLive(again))) return { heldBy: again };
        rmSync(path, { force: true });
      } finally {
        rmSync(guard, { force: true });
      }
    }
    const last = readOwner(path);
    return { heldBy: last === 'missing' ? 'unreadable' : last };
  } finally {
    rmSync(tmp, { force: true });
  }
}

function heldLock(path: string, owner: LockOwner): HeldLock {
  let released = false;
  return {
    path,
    owner,
    release() {
      if (released) return;
      released = true;
      heldTokens.delete(owner.token);
      const current = readOwner(path);
      if (current !== 'missing' && current !== 'unreadable' && current.token === owner.token) rmSync(path, { force: true });
    },
  };
}

/** Creates `to` as a hard link of `from`; false when `to` exists. */
function link(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function readOwner(path: string): LockOwner | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isSafeInteger(o.pid) && o.pid! > 0 && typeof o.host === 'string') return { pid: o.pid!, host: o.host, startedAt: String(o.startedAt ?? ''), token: String(o.token ?? '') };
  } catch {
    /* not JSON */
  }
  return 'unreadable';
}

/**
 * Whether a lock's owner may still be running: a lock this process holds, a live pid on this
 * host, or any pid on another host. A lock naming this pid but not held by this process was
 * left by an earlier process that had the same pid.
 */
function isLive(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return true;
  if (owner.pid === process.pid) return heldTokens.has(owner.token);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
