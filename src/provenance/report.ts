/**
 * Attribution reports over many inferences — the basis for paying contributors: for each
 * contributor, how many inferences their data supported (at least one of the k neighbours),
 * how many neighbours were theirs, and their share total (the sum over inferences of
 * their neighbours / k) and share of all inferences. Written as JSON, CSV (RFC 4180) and an
 * SVG bar chart.
 */
import type { Attribution } from './attribution.js';
import type { DatasetCommitment } from './commitment.js';

/** The summary's format tag. */
export const SUMMARY_FORMAT = 'zkinfer.attribution-summary/1';

/** One contributor's line of a summary. */
export interface ContributorSummary {
  contributor: string;
  /** Inferences with at least one neighbour of this contributor. */
  inferences: number;
  /** Neighbours of this contributor over all inferences. */
  neighbours: number;
  /** Σ over inferences of (this contributor's neighbours / k). */
  shareTotal: number;
  /** shareTotal / number of inferences (the shares of all contributors sum to 1). */
  shareOfAll: number;
}

/** A per-contributor summary of attributions. */
export interface AttributionSummary {
  format: typeof SUMMARY_FORMAT;
  inferences: number;
  modelIds: string[];
  datasetRoots: string[];
  k: number[];
  contributors: ContributorSummary[];
}

/**
 * Summarizes attributions per contributor, largest share first (ties by id).
 * @param commitment lists contributors whose data supported no inference too
 */
export function summarizeAttributions(attributions: readonly Attribution[], commitment?: DatasetCommitment): AttributionSummary {
  const rows = new Map<string, { inferences: number; neighbours: number; byK: Map<number, number> }>();
  const row = (id: string) => {
    let r = rows.get(id);
    if (!r) rows.set(id, (r = { inferences: 0, neighbours: 0, byK: new Map() }));
    return r;
  };
  for (const c of commitment?.contributors ?? []) row(c.id);
  for (const a of attributions) {
    for (const s of a.shares) {
      const r = row(s.contributor);
      r.inferences++;
      r.neighbours += s.neighbours;
      // Shares are summed per k as (Σ neighbours) / k, so equal k give exact totals.
      const n = a.neighbours.length;
      r.byK.set(n, (r.byK.get(n) ?? 0) + s.neighbours);
    }
  }
  const total = attributions.length;
  const contributors = [...rows.entries()]
    .map(([contributor, r]) => {
      const shareTotal = [...r.byK.entries()].reduce((acc, [k, n]) => acc + n / k, 0);
      return { contributor, inferences: r.inferences, neighbours: r.neighbours, shareTotal, shareOfAll: total === 0 ? 0 : shareTotal / total };
    })
    .sort((a, b) => b.shareTotal - a.shareTotal || (a.contributor < b.contributor ? -1 : a.contributor > b.contributor ? 1 : 0));
  const distinct = <T>(xs: T[]) => [...new Set(xs)].sort();
  return {
    format: SUMMARY_FORMAT,
    inferences: total,
    modelIds: distinct(attributions.map((a) => a.modelId)),
    datasetRoots: distinct(attributions.map((a) => a.dataset.root)),
    k: distinct(attributions.map((a) => a.k)).sort((a, b) => a - b),
    contributors,
  };
}

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The summary as CSV: one header line, one line per contributor. */
export function summaryCsv(s: AttributionSummary): string {
  const lines = [['contributor', 'inferences', 'neighbours', 'share_total', 'share_of_all'].join(',')];
  for (const c of s.contributors) lines.push([c.contributor, c.inferences, c.neighbours, round(c.shareTotal), round(c.shareOfAll)].map(csvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

const round = (x: number) => Number(x.toFixed(9));
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The summary as an SVG horizontal bar chart of each contributor's share of all inferences. */
export function summarySvg(s: AttributionSummary): string {
  const width = 720;
  const labelWidth = 200;
  const barArea = width - labelWidth - 90;
  const rowHeight = 26;
  const top = 48;
  const height = top + rowHeight * Math.max(1, s.contributors.length) + 24;
  const max = Math.max(...s.contributors.map((c) => c.shareOfAll), 1e-12);
  const rows = s.contributors.map((c, i) => {
    const y = top + i * rowHeight;
    const w = Math.round((c.shareOfAll / max) * barArea * 10) / 10;
    return (
      `  <text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${xml(c.contributor)}</text>\n` +
      `  <rect x="${labelWidth}" y="${y + 4}" width="${w}" height="${rowHeight - 8}" fill="#3b6ea5"><title>${xml(c.contributor)}: ${c.inferences} inferences, ${c.neighbours} neighbours</title></rect>\n` +
      `  <text x="${labelWidth + w + 6}" y="${y + 17}">${(c.shareOfAll * 100).toFixed(1)} %</text>\n`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">\n` +
    `  <title>Attribution shares by contributor</title>\n` +
    `  <rect width="${width}" height="${height}" fill="#ffffff"/>\n` +
    `  <text x="12" y="26" font-size="16" font-weight="bold">Share of ${s.inferences} inference${s.inferences === 1 ? '' : 's'} by contributor (k = ${s.k.join(', ') || '–'})</text>\n` +
    rows.join('') +
    `</svg>\n`
  );
}
