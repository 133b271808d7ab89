/**
 * Argument parsing of the benchmark scripts (`--name value` pairs and `--flag` switches),
 * one set of helpers with one error form: "<name> expects <what>, got <value>".
 */

/** The value after `name` on the command line, or `fallback`. */
export function flag(name: string, fallback: string): string;
export function flag(name: string): string | undefined;
export function flag(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** Every value given after `name` (the option repeated). */
export function flags(name: string): string[] {
  return process.argv.flatMap((a, i) => (a === name && process.argv[i + 1] !== undefined ? [process.argv[i + 1]!] : []));
}

/**
 * The positive integer after `name`, or `fallback`.
 * @throws {Error} "<name> expects a positive integer, got <value>"
 */
export function intFlag(name: string, fallback: number): number {
  const raw = flag(name, String(fallback));
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} expects a positive integer, got ${raw}`);
  return v;
}

/** Whether the switch `name` is on the command line. */
export function hasFlag(name: string): boolean {
  return process.argv.includes(name);
}
