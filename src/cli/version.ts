/** The package version, read where the command modules can reach it without importing ./main.ts. */
import { readFileSync } from 'node:fs';

/** The version in zkinfer's package.json (two folders up, from src/cli/ or dist/cli/). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
