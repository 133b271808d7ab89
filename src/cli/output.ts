/**
 * Small helpers for the command line: one-line errors and a progress reporter. On a
 * terminal a step with counts draws a bar and a step without counts a spinner line with
 * its elapsed time, so a long step (circom, the Groth16 setup) is never silent; elsewhere
 * (CI logs, pipes) each step is one plain line. cli-progress is loaded only when a bar is
 * drawn, so that `zkinfer --help` loads almost nothing.
 */
import { createRequire } from 'node:module';
import type { SingleBar } from 'cli-progress';
import { ZkinferError } from '../shared/errors.js';

type CliProgress = typeof import('cli-progress');
const requireHere = createRequire(import.meta.url);

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

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** Where to draw; default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Print plain lines when not on a terminal (default true); false draws only on a terminal. */
  plainLines?: boolean;
  /** Erase each finished spinner line instead of leaving it with its time (default false). */
  transient?: boolean;
}

/** Progress display: a bar or a spinner line on a terminal, plain lines elsewhere. */
export class Progress {
  private bar?: SingleBar;
  private spinner?: { timer: NodeJS.Timeout; text: string; started: number; frame: number };
  private lastStage?: string;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly plainLines: boolean;
  private readonly transient: boolean;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.plainLines = options.plainLines ?? true;
    this.transient = options.transient ?? false;
  }

  /** A stage message, with optional done/total counts. */
  update(stage: string, message: string, done?: number, total?: number): void {
    const key = `${stage}:${message}`;
    const text = `${stage.padEnd(9)} ${message}`;
    if (this.tty) {
      if (done !== undefined && total !== undefined && total > 0) {
        if (!this.bar || this.lastStage !== key) {
          this.stop();
          const cliProgress = requireHere('cli-progress') as CliProgress;
          this.bar = new cliProgress.SingleBar({ format: `${text} [{bar}] {value}/{total} eta {eta}s`, stream: this.stream, hideCursor: false }, cliProgress.Presets.shades_classic);
          this.bar.start(total, done);
          this.lastStage = key;
        } else this.bar.update(done);
        return;
      }
      if (this.spinner && this.lastStage === key) return;
      this.stop();
      this.lastStage = key;
      this.startSpinner(text);
      return;
    }
    if (!this.plainLines) return;
    if (key === this.lastStage && done !== undefined && done !== total) return;
    this.lastStage = key;
    this.stream.write(`${text}${done !== undefined && total ? ` (${done}/${total})` : ''}\n`);
  }

  /** Ends any bar or spinner in progress. */
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
    const s = this.spinner;
    if (s) {
      clearInterval(s.timer);
      this.spinner = undefined;
      this.stream.write(this.transient ? '\r\x1b[2K' : `\r\x1b[2K${s.text} (${seconds(s.started)})\n`);
    }
    this.lastStage = undefined;
  }

  private startSpinner(text: string): void {
    const s = { text, started: performance.now(), frame: 0, timer: undefined as unknown as NodeJS.Timeout };
    const draw = () => this.stream.write(`\r\x1b[2K${text} ${SPINNER[s.frame++ % SPINNER.length]} ${seconds(s.started)}`);
    s.timer = setInterval(draw, 100);
    s.timer.unref();
    this.spinner = s;
    draw();
  }
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}
