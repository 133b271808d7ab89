/**
 * Small helpers for the command line: one-line errors and a progress
 * reporter that draws a bar on a terminal and prints plain lines otherwise.
 */
import cliProgress from 'cli-progress';
import { ZkinferError } from '../shared/errors.js';

/** The one line printed for a failure: the error's message, never a stack trace. */
export function errorLine(e: unknown): string {
  if (e instanceof ZkinferError) return `error: ${e.message}`;
  if (e instanceof Error) return `error: ${e.message.split('\n')[0]}`;
  return `error: ${String(e)}`;
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
