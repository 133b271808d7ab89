/**
 * An API report of a built entry point: every export of a declaration file (dist/*.d.ts)
 * with its declared type as the TypeScript checker prints it — function signatures, class
 * constructors and public members, interface members, type aliases and constants — one
 * export after another in name order. Snapshotted by test/api/index.test.ts, so that a
 * change to a public type (a parameter, a result field, an option) shows up in review like
 * a change to the list of names.
 */
import ts from 'typescript';

const FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.WriteArrowStyleSignature;

/** A member's name; a well-known symbol as [Symbol.name] (the checker's internal name carries a numeric id). */
function memberName(p: ts.Symbol): string {
  return p.getName().replace(/^__@(\w+)@\d+$/, '[Symbol.$1]');
}

/** Whether a member is private or protected (not part of the surface). */
function hidden(p: ts.Symbol): boolean {
  const d = p.valueDeclaration ?? p.declarations?.[0];
  return d !== undefined && (ts.getCombinedModifierFlags(d as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;
}

/** The report of one declaration file (its exports and their types). */
export function apiReport(dtsPath: string): string {
  const program = ts.createProgram([dtsPath], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(dtsPath);
  if (!source) throw new Error(`${dtsPath}: not found (run npm run build)`);
  const moduleSymbol = checker.getSymbolAtLocation(source)!;
  const typeText = (t: ts.Type, flags = FLAGS) => checker.typeToString(t, undefined, flags);
  const members = (t: ts.Type, at: ts.Node): string[] =>
    checker
      .getPropertiesOfType(t)
      .filter((p) => !p.getName().startsWith('#') && !hidden(p))
      .map((p) => `  ${memberName(p)}${p.flags & ts.SymbolFlags.Optional ? '?' : ''}: ${typeText(checker.getTypeOfSymbolAtLocation(p, at))}`);
  const out: string[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.getName().localeCompare(b.getName()))) {
    const name = exported.getName();
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const decl = symbol.declarations?.[0] ?? source;
    const f = symbol.flags;
    if (f & ts.SymbolFlags.Class) {
      const type = checker.getTypeOfSymbolAtLocation(symbol, decl);
      const ctors = type.getConstructSignatures().map((s) => `  new${checker.signatureToString(s, undefined, FLAGS)}`);
      const statics = checker.getPropertiesOfType(type).filter((p) => p.getName() !== 'prototype' && !hidden(p));
      out.push(
        `class ${name} {`,
        ...ctors,
        ...statics.map((p) => `  static ${memberName(p)}: ${typeText(checker.getTypeOfSymbolAtLocation(p, decl))}`),
        ...members(checker.getDeclaredTypeOfSymbol(symbol), decl),
        '}',
      );
    } else if (f & ts.SymbolFlags.Function) {
      const type = checker.getTypeOfSymbolAtLocation(symbol, decl);
      for (const s of type.getCallSignatures()) out.push(`function ${name}${checker.signatureToString(s, undefined, FLAGS)}`);
    } else if (f & ts.SymbolFlags.Interface) {
      out.push(`interface ${name} {`, ...members(checker.getDeclaredTypeOfSymbol(symbol), decl), '}');
    } else if (f & ts.SymbolFlags.TypeAlias) {
      // a union's members print in the checker's creation order, which follows the order files are read (the IR unions
      // are assembled by declaration merging): sort them so the report does not depend on it
      const declared = checker.getDeclaredTypeOfSymbol(symbol);
      const text =
        declared.isUnion() && declared.aliasSymbol === symbol && declared.types.every((m) => m.aliasSymbol || m.symbol)
          ? declared.types
              .map((m) => typeText(m))
              .sort()
              .join(' | ')
          : typeText(declared, FLAGS | ts.TypeFormatFlags.InTypeAlias);
      out.push(`type ${name} = ${text}`);
    } else if (f & ts.SymbolFlags.Variable) {
      const type = checker.getTypeOfSymbolAtLocation(symbol, decl);
      // zod schemas: their inferred types are named by the aliases exported beside them; the schema's own type is long and internal.
      const text = typeText(type, ts.TypeFormatFlags.None);
      out.push(`const ${name}: ${text}`);
    } else {
      out.push(`${name}: (symbol flags ${f})`);
    }
  }
  // types from modules the entry does not export print as import("<path>"): keep the path relative to dist/
  const dist = dtsPath.slice(0, dtsPath.lastIndexOf('/') + 1);
  // string-literal unions print in the order the checker met the literals, which moves with unrelated edits: sort them
  const sortedLiterals = (text: string) => text.replace(/"[^"]*"(?: \| "[^"]*")+/g, (u) => u.split(' | ').sort().join(' | '));
  return `${sortedLiterals(out.join('\n').split('\n').map(sortedMembers).join('\n')).split(dist).join('dist/')}\n`;
}

/**
 * Inline object types (`{ b: …; a: …; }`) print their members in the order the checker met
 * the properties, which can differ between two builds of the same source: sort the members
 * of every such literal, at every depth, within one line of the report (a class or interface
 * block spans lines and is sorted where it is listed). Quoted text is copied as it is.
 */
export function sortedMembers(text: string): string {
  let i = 0;
  const literal = (): string => {
    // at text[i] === '{'; returns the whole literal with its members sorted
    const start = i;
    i++;
    const members: string[] = [];
    let current = '';
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"' || c === "'" || c === '`') {
        const end = text.indexOf(c, i + 1);
        current += text.slice(i, end + 1);
        i = end + 1;
      } else if (c === '{') current += literal();
      else if (c === '}') {
        i++;
        if (current.trim()) members.push(current.trim());
        return members.length ? `{ ${members.sort().join(' ')} }` : '{}';
      } else if (c === ';') {
        members.push(`${current.trim()};`);
        current = '';
        i++;
      } else {
        current += c;
        i++;
      }
    }
    return text.slice(start); // not closed on this line: left as it was
  };
  let out = '';
  while (i < text.length) {
    const c = text[i]!;
    if (c === '{') out += literal();
    else {
      out += c;
      i++;
    }
  }
  return out;
}
