/** Where the opening of a receipt is written (kept apart from ./opening.ts so that the command line loads no schema library to name it). */

/** `<name>.opening.json` beside `<name>.json` (or `<path>.opening.json`). */
export function openingPathFor(receiptPath: string): string {
  return receiptPath.endsWith('.json') ? `${receiptPath.slice(0, -'.json'.length)}.opening.json` : `${receiptPath}.opening.json`;
}
