// The house rules of src/, checked on the source itself (TypeScript's parser, not regular expressions):
// - no runtime import circle;
// - imports run one way through the layers: core ← sign ← send ← transfer ← bridges, with sts beside
//   transfer (it uses core and sign), and the entries (index.ts, sync.ts) above them all;
// - no dynamic import(): a bundler drops what an app does not import, with no hand-made lazy loading;
// - no module reads an `_`-member of another object (the signer's state is `#private`; a library's
//   `_`-members are its internals);
// - no line over 120 characters (the formatter wraps code; comments and literals are wrapped by hand).
// Each checker is also run on a small wrong example, so that a check which could never fail is caught.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Each layer may import its own and lower ranks only. */
const RANK: Record<string, number> = { core: 0, sign: 1, send: 2, transfer: 3, sts: 3, bridges: 4, '.': 5 };
const layer = (file: string) => (file.includes('/') ? file.split('/')[0]! : '.');

type Source = { file: string; text: string };
type Import = { from: string; to: string; typeOnly: boolean; line: number };

const sources = (): Source[] =>
  (readdirSync(SRC, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: f.split('\\').join('/'), text: readFileSync(join(SRC, f), 'utf8') }));

const parse = ({ file, text }: Source) => ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
const lineOf = (sf: ts.SourceFile, node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart()).line + 1;

/** The relative imports and re-exports of each file: target file, and whether only types cross. */
const imports = (files: Source[]): Import[] => {
  const out: Import[] = [];
  for (const f of files) {
    const sf = parse(f);
    for (const st of sf.statements) {
      const spec = (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier;
      if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
      let typeOnly: boolean;
      if (ts.isImportDeclaration(st)) {
        const c = st.importClause;
        const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
        typeOnly =
          !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      } else {
        const named = st.exportClause && ts.isNamedExports(st.exportClause) ? st.exportClause.elements : undefined;
        typeOnly = st.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly));
      }
      const to = join(dirname(f.file), spec.text.replace(/\.js$/, '.ts')).split('\\').join('/');
      out.push({ from: f.file, to, typeOnly, line: lineOf(sf, st) });
    }
  }
  return out;
};

/** Every runtime import circle, as the files along it. */
const circles = (edges: Import[]): string[][] => {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!e.typeOnly) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (f: string, path: string[]) => {
    if (state.get(f) == 'done') return;
    if (state.get(f) == 'open') return void found.push([...path.slice(path.indexOf(f)), f]);
    state.set(f, 'open');
    for (const t of next.get(f) ?? []) visit(t, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of next.keys()) visit(f, []);
  return found;
};

/** Imports (type or value) that point up the layers. */
const upward = (edges: Import[]): string[] =>
  edges
    .filter((e) => RANK[layer(e.to)]! > RANK[layer(e.from)]!)
    .map((e) => `${e.from}:${e.line} imports ${e.to} (${layer(e.from)} is below ${layer(e.to)})`);

/** Dynamic import() calls and reads of `_`-named members, with file:line. */
const offences = (files: Source[]): string[] => {
  const out: string[] = [];
  for (const f of files) {
    const sf = parse(f);
    const walk = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && n.expression.kind == ts.SyntaxKind.ImportKeyword)
        out.push(`${f.file}:${lineOf(sf, n)}: dynamic import()`);
      if (ts.isPropertyAccessExpression(n) && /^_/.test(n.name.text))
        out.push(`${f.file}:${lineOf(sf, n)}: reads ${n.name.text}`);
      if (
        ts.isElementAccessExpression(n) &&
        ts.isStringLiteral(n.argumentExpression) &&
        /^_/.test(n.argumentExpression.text)
      )
        out.push(`${f.file}:${lineOf(sf, n)}: reads ${n.argumentExpression.text}`);
      if (ts.isImportSpecifier(n) && /^_/.test((n.propertyName ?? n.name).text))
        out.push(`${f.file}:${lineOf(sf, n)}: imports ${(n.propertyName ?? n.name).text}`);
      ts.forEachChild(n, walk);
    };
    walk(sf);
  }
  return out;
};

describe('the house (src/)', () => {
  const files = sources();
  const edges = imports(files);

  it('reads every source file and its imports', () => {
    expect(files.map((f) => f.file)).toEqual(
      expect.arrayContaining(['index.ts', 'sign/signer.ts', 'send/send.ts', 'transfer/upload.ts']),
    );
    expect(edges.length).toBeGreaterThan(30);
    for (const e of edges)
      expect(
        files.some((f) => f.file == e.to),
        `${e.from}:${e.line} -> ${e.to}`,
      ).toBe(true);
  });

  it('has no runtime import circle', () => {
    expect(circles(edges)).toEqual([]);
  });

  it('imports one way through the layers', () => {
    for (const f of files) expect(RANK[layer(f.file)], `${f.file} is in no known layer`).toBeDefined();
    expect(upward(edges)).toEqual([]);
  });

  it('has no line over 120 characters', () => {
    const long = files.flatMap((f) =>
      f.text.split('\n').flatMap((l, i) => (l.length > 120 ? [`${f.file}:${i + 1}: ${l.length} characters`] : [])),
    );
    expect(long).toEqual([]);
  });

  it('has no dynamic import() and reads no `_`-member', () => {
    expect(offences(files)).toEqual([]);
  });

  it('the checks catch what they look for (a wrong example)', () => {
    const bad: Source[] = [
      { file: 'sign/a.ts', text: "import { b } from '../send/b.js';\nexport const a = () => b;" },
      {
        file: 'send/b.ts',
        text: "import { a } from '../sign/a.js';\nimport type { T } from './t.js';\nexport const b = () => a()._x;",
      },
      {
        file: 'send/t.ts',
        text: "import type { b } from './b.js';\nexport type T = typeof b;\nexport const l = () => import('./b.js');",
      },
    ];
    const e = imports(bad);
    expect(circles(e)).toEqual([['sign/a.ts', 'send/b.ts', 'sign/a.ts']]);
    expect(upward(e)).toEqual(['sign/a.ts:1 imports send/b.ts (sign is below send)']);
    expect(offences(bad)).toEqual(['send/b.ts:3: reads _x', 'send/t.ts:3: dynamic import()']);
  });
});
