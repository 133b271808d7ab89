/**
 * Option parsers and shutdown handling shared by the `serve` and `worker` commands
 * (commander only: the command modules load nothing heavy until they run).
 */
import { InvalidArgumentError } from '../../shared/errors.js';

/** A parser for a positive integer option. */
export function positiveInt(option: string, min = 1): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected ${option} to be an integer ≥ ${min}, got ${value}`);
    return n;
  };
}

/** Collects a repeatable option's values (and values given after it, `--artifacts a b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Checks a Redis URL. */
export function checkRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidArgumentError(`expected --redis to be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new InvalidArgumentError(`expected --redis to be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  return url;
}

/**
 * Resolves on the first SIGTERM or SIGINT (and names it); a second one exits at once.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      process.once('SIGTERM', () => process.exit(143));
      process.once('SIGINT', () => process.exit(130));
      resolve(signal);
    };
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
  });
}
