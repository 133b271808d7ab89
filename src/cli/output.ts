/**
 * Small helpers for the command line: one-line errors and a progress
 * reporter that draws a bar on a terminal and prints plain lines otherwise.
 */
import cliProgress from 'cli-progress';
import { ZkinferError } from '../shared/errors.js';

/**
 * Makes text safe to print on a terminal: control characters (escape sequences, carriage
 * returns, bells; C0, DEL and C1) from files or receipts are shown as `\u001b`-style
 * escapes, so a crafted receipt cannot rewrite the screen or forge a "valid" line.
 */
export function sanitize(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const ERRNO: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, expected a file',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
};

/** A Node file-system error as one line naming its path (never a temporary file's name). */
function fileSystemLine(e: NodeJS.ErrnoException): string {
  const path = typeof e.path === 'string' ? e.path.replace(/\.\d+\.tmp$/, '') : undefined;
  const what = ERRNO[e.code ?? ''] ?? 'file system error';
  return `${path ? `${path}: ` : ''}${what} (${e.code})`;
}

/** The one line printed for a failure: the error's message, never a stack trace; sanitized. */
export function errorLine(e: unknown): string {
  let text: string;
  if (e instanceof ZkinferError) text = e.message;
  else if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && 'syscall' in e) text = fileSystemLine(e as NodeJS.ErrnoException);
  else if (e instanceof Error) text = e.message.split('\n')[0]!;
  else text = String(e);
  return `error: ${sanitize(text.split('\n')[0]!)}`;
}

/** Progress display: a bar on a terminal, plain lines elsewhere (CI logs). */
export class Progress {
  private bar?: cliProgress.SingleBar;
  private lastStage?: string;
  private readonly tty = Boolean(process.stderr.isTTY);

  /** A stage message, with optional done/total counts. */
  update(stage: string, message: string, done?: number, total?: number): void {
    if (this.tty && done !== undefined && total !== undefined && total > 0) {
      if (!this.bar || this.lastStage !== `${stage}:${message}`) {
        this.stop();
        this.bar = new cliProgress.SingleBar({ format: `${stage.padEnd(9)} ${message} [{bar}] {value}/{total} eta {eta}s`, stream: process.stderr, hideCursor: false }, cliProgress.Presets.shades_classic);
        this.bar.start(total, done);
        this.lastStage = `${stage}:${message}`;
      } else this.bar.update(done);
      return;
    }
    const key = `${stage}:${message}`;
    if (key === this.lastStage && done !== undefined && done !== total) return;
    this.stop();
    this.lastStage = key;
    process.stderr.write(`${stage.padEnd(9)} ${message}${done !== undefined && total ? ` (${done}/${total})` : ''}\n`);
  }

  /** Ends any bar in progress. */
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
