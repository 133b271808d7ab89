/**
 * The progress display: on a terminal a step without counts is a spinner line with its
 * elapsed time (a long step such as circom or the Groth16 setup is never silent), a step
 * with counts a bar; elsewhere one plain line a step.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { errorLine, Progress } from '../../src/cli/output.js';
import { CompileError } from '../../src/shared/errors.js';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  const s = {
    isTTY,
    columns: 120,
    write: (c: string) => (chunks.push(String(c)), true),
    on: () => s,
    once: () => s,
    removeListener: () => s,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  };
  return { stream: s as unknown as NodeJS.WriteStream, text: () => chunks.join(''), chunks };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Progress on a terminal', () => {
  it('draws a spinner line whose elapsed time moves, and leaves it with its time when the step ends', () => {
    const out = stream(true);
    const p = new Progress({ stream: out.stream });
    p.update('circom', 'compiling circuit with circom');
    expect(out.text()).toBe('\r\x1b[2Kcircom    compiling circuit with circom ⠋ 0.0 s');
    vi.advanceTimersByTime(2_500);
    expect(out.chunks.length).toBe(26); // redrawn every 100 ms
    expect(out.chunks.at(-1)).toBe('\r\x1b[2Kcircom    compiling circuit with circom ⠴ 2.5 s');
    p.update('circom', 'compiling circuit with circom'); // the same step again: no new line
    expect(out.chunks.length).toBe(26);
    p.update('setup', 'zkey-new');
    expect(out.chunks.slice(26)).toEqual(['\r\x1b[2Kcircom    compiling circuit with circom (2.5 s)\n', '\r\x1b[2Ksetup     zkey-new ⠋ 0.0 s']);
    vi.advanceTimersByTime(1_000);
    p.stop();
    expect(out.chunks.at(-1)).toBe('\r\x1b[2Ksetup     zkey-new (1.0 s)\n');
    const after = out.chunks.length;
    vi.advanceTimersByTime(1_000);
    expect(out.chunks.length).toBe(after); // the timer is gone
  });

  it('erases finished spinner lines when transient', () => {
    const out = stream(true);
    const p = new Progress({ stream: out.stream, transient: true, plainLines: false });
    p.update('prove', 'loading artifacts');
    p.update('prove', 'proving x.json');
    p.stop();
    expect(out.chunks).toEqual(['\r\x1b[2Kprove     loading artifacts ⠋ 0.0 s', '\r\x1b[2K', '\r\x1b[2Kprove     proving x.json ⠋ 0.0 s', '\r\x1b[2K']);
  });

  it('draws a bar for a step with counts, after ending the spinner before it', () => {
    const out = stream(true);
    const p = new Progress({ stream: out.stream });
    p.update('setup', 'Groth16 setup');
    p.update('setup', 'ptau-points', 5, 20);
    p.update('setup', 'ptau-points', 10, 20);
    p.stop();
    const text = out.text();
    expect(text.startsWith('\r\x1b[2Ksetup     Groth16 setup ⠋ 0.0 s\r\x1b[2Ksetup     Groth16 setup (0.0 s)\n')).toBe(true);
    expect(text).toContain('setup     ptau-points [');
    expect(text).toContain('] 5/20');
  });
});

describe('Progress elsewhere', () => {
  it('prints one plain line a step, and the last count of a step', () => {
    const out = stream(false);
    const p = new Progress({ stream: out.stream });
    p.update('circom', 'compiling circuit with circom');
    vi.advanceTimersByTime(5_000);
    p.update('setup', 'ptau-points', 1, 3);
    p.update('setup', 'ptau-points', 2, 3);
    p.update('setup', 'ptau-points', 3, 3);
    p.stop();
    expect(out.text()).toBe('circom    compiling circuit with circom\nsetup     ptau-points (1/3)\nsetup     ptau-points (3/3)\n');
  });

  it('prints nothing with plainLines: false', () => {
    const out = stream(false);
    const p = new Progress({ stream: out.stream, plainLines: false });
    p.update('prove', 'proving x.json');
    p.stop();
    expect(out.text()).toBe('');
  });
});

describe('errorLine', () => {
  it('is the message of a zkinfer error and the first line of another', () => {
    expect(errorLine(new CompileError('m.onnx: node 1 "x" (Cos): unsupported op Cos'))).toBe('error: m.onnx: node 1 "x" (Cos): unsupported op Cos');
    expect(errorLine(new Error('first\nsecond'))).toBe('error: first');
    expect(errorLine('plain')).toBe('error: plain');
  });
});
