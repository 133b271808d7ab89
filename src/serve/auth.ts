/**
 * Who may submit work. With a tokens file (one token a line), a submission must carry
 * `Authorization: Bearer <token>`; tokens are compared in constant time (SHA-256 of both
 * sides, `crypto.timingSafeEqual`, every token tried). Without one, the server serves
 * loopback clients only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../shared/errors.js';

/** Shortest token accepted in a tokens file. */
export const MIN_TOKEN_LENGTH = 16;

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Reads a tokens file: one token a line; blank lines and lines starting with `#` are skipped.
 * @throws {InvalidArgumentError} naming the file and line for a short or non-printable token, or a file with none
 */
export function readTokens(path: string): Buffer[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new InvalidArgumentError(`${path}: cannot read tokens (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, { cause });
  }
  const tokens: Buffer[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(line))
      throw new InvalidArgumentError(`${path}:${i + 1}: a token must be at least ${MIN_TOKEN_LENGTH} printable characters without spaces`);
    tokens.push(digest(line));
  });
  if (tokens.length === 0) throw new InvalidArgumentError(`${path}: no tokens (one a line)`);
  return tokens;
}

/** Whether `presented` is one of the tokens, in time independent of which one and of where they differ. */
export function tokenAccepted(presented: string, tokens: readonly Buffer[]): boolean {
  const d = digest(presented);
  let ok = false;
  for (const t of tokens) ok = timingSafeEqual(d, t) || ok;
  return ok;
}

/** Whether an address is a loopback address (IPv4 127/8, ::1, IPv4-mapped 127/8). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}
