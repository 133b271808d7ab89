/**
 * Import-graph health of src/: finds import cycles among modules and imports that run
 * from an earlier pipeline stage to a later one. Every static `import`/`export … from`
 * (type-only imports included) and every dynamic `import('…')` of a relative module counts.
 *
 * Stage order (earliest first): shared, ir (the float IR the importer produces, its executor
 * and optimizer), onnx, quant, reference, circuit, compile, prove,
 * tee, verify, export, provenance, serve, data, cli; src/index.ts and src/types come last.
 * The operator modules (src/ops/) are the plug-in layer between the stages: a stage reaches
 * them only through src/ops/registry.ts (and the interfaces in src/ops/types.ts), and an
 * operator module may use the stages up to circuit (their helpers, not their drivers), never
 * a later stage.
 *
 * Usage: `npx tsx scripts/check-imports.ts [--json]`; exit code 0 when healthy, 1 otherwise.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Stage folders of src/, earliest first. */
export const STAGES = ['shared', 'ir', 'onnx', 'quant', 'reference', 'circuit', 'compile', 'prove', 'tee', 'verify', 'export', 'provenance', 'serve', 'data', 'cli'] as const;

/** Modules of src/ops/ a stage may import. */
const OPS_ENTRY = new Set(['ops/registry.ts', 'ops/types.ts']);

/** One import edge between two modules (paths relative to src/). */
export interface Edge {
  from: string;
  to: string;
}

/** What the check found. */
export interface ImportReport {
  modules: number;
  edges: number;
  /** Each cycle as a list of modules, the first repeated at the end. */
  cycles: string[][];
  /** Imports that break the stage order or the ops layering, with the rule broken. */
  violations: (Edge & { rule: string })[];
}

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listSources(path));
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"](\.[^'"]+)['"]/g;

/** The relative imports of one source file, resolved to paths relative to `srcDir`. */
function importsOf(srcDir: string, file: string, known: Set<string>): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    const abs = resolve(dirname(file), spec);
    const base = relative(srcDir, abs).replace(/\.(m?js)$/, '');
    const candidate = [`${base}.ts`, `${base}.mts`, `${base}/index.ts`].find((c) => known.has(c));
    if (candidate) out.push(candidate);
  }
  return out;
}

function stageOf(module: string): number {
  const top = module.includes('/') ? module.slice(0, module.indexOf('/')) : '';
  const i = (STAGES as readonly string[]).indexOf(top);
  return i >= 0 ? i : STAGES.length;
}

/** Strongly connected components with more than one module (or a self-import), as cycles. */
function findCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  // One concrete cycle per component: a shortest path back to its first module.
  return components.map((comp) => {
    const inComp = new Set(comp);
    const start = comp[0]!;
    const prev = new Map<string, string>();
    const queue = [start];
    const seen = new Set([start]);
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of graph.get(v) ?? []) {
        if (!inComp.has(w)) continue;
        if (w === start) {
          const path = [v];
          while (path[0] !== start) path.unshift(prev.get(path[0]!)!);
          return [...path, start];
        }
        if (!seen.has(w)) {
          seen.add(w);
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return [...comp, start];
  });
}

/** Checks the import graph of the TypeScript sources under `srcDir`. */
export function checkImports(srcDir: string): ImportReport {
  const files = listSources(srcDir);
  const known = new Set(files.map((f) => relative(srcDir, f)));
  const graph = new Map<string, string[]>();
  let edges = 0;
  const violations: ImportReport['violations'] = [];
  for (const file of files) {
    const from = relative(srcDir, file);
    const targets = [...new Set(importsOf(srcDir, file, known))];
    graph.set(from, targets);
    edges += targets.length;
    for (const to of targets) {
      const fromOps = from.startsWith('ops/');
      const toOps = to.startsWith('ops/');
      if (toOps && !fromOps && !OPS_ENTRY.has(to)) violations.push({ from, to, rule: 'a stage reaches an operator module only through ops/registry.ts' });
      else if (fromOps && !toOps && stageOf(to) > STAGES.indexOf('circuit')) violations.push({ from, to, rule: 'an operator module uses no stage after circuit' });
      else if (!fromOps && !toOps && stageOf(to) > stageOf(from))
        violations.push({ from, to, rule: `earlier stage imports a later one (${STAGES[stageOf(from)] ?? 'top'} → ${STAGES[stageOf(to)] ?? 'top'})` });
    }
  }
  return { modules: files.length, edges, cycles: findCycles(graph), violations };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const report = checkImports(srcDir);
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(`${report.modules} modules, ${report.edges} imports, ${report.cycles.length} cycles, ${report.violations.length} stage-order violations\n`);
    for (const c of report.cycles) process.stdout.write(`cycle: ${c.join(' → ')}\n`);
    for (const v of report.violations) process.stdout.write(`order: ${v.from} → ${v.to} (${v.rule})\n`);
  }
  process.exit(report.cycles.length === 0 && report.violations.length === 0 ? 0 : 1);
}
