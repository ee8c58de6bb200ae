// The README and the guides in docs/ cannot drift from the code: their ```ts blocks type-check against
// the built types, their JavaScript (```js blocks, the README's "In 30 seconds" example, the html blocks'
// scripts) parses as JavaScript with `node --check` and their js blocks type-check as JavaScript, and
// their relative links reach files and headings that exist (scripts/check-readme.mjs); their option
// tables list exactly the options of the built types with the defaults their TSDoc states
// (@defaultValue), and the error table lists exactly the error codes.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { checkLinks, checkReadme, checkReadmeSyntax, markdownFiles, quickExample } from '../scripts/check-readme.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** README.md and every docs/*.md, by path. */
const DOCS = new Map(markdownFiles(ROOT).map((f: string) => [f, readFileSync(join(ROOT, f), 'utf8')]));
const DTS = join(ROOT, 'dist', 'cos-sign.d.ts');

/** The built declarations, parsed: interface members with their @defaultValue, and the error codes. */
const declarations = () => {
  const source = ts.createSourceFile(DTS, readFileSync(DTS, 'utf8'), ts.ScriptTarget.Latest, true);
  const interfaces = new Map<string, Map<string, string | undefined>>();
  let codes: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isInterfaceDeclaration(node)) {
      const members = new Map<string, string | undefined>();
      for (const m of node.members) {
        if (!m.name || !(ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) continue;
        const tag = ts.getJSDocTags(m).find((t) => t.tagName.text === 'defaultValue');
        members.set(m.name.text, tag ? ts.getTextOfJSDocComment(tag.comment)?.trim() : undefined);
      }
      interfaces.set(node.name.text, members);
    }
    if (ts.isTypeAliasDeclaration(node) && node.name.text === 'CosSignErrorCode' && ts.isUnionTypeNode(node.type))
      codes = node.type.types.map((t) =>
        ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : t.getText(),
      );
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { interfaces, codes };
};

/** The rows of the Markdown table right after `<!-- marker -->` (in exactly one of README.md and docs/*.md): first cell (unquoted) → whole row. */
const table = (marker: string): Map<string, string> => {
  const holders = [...DOCS].filter(([, text]) => text.includes(`<!-- ${marker} -->`));
  expect(
    holders.map(([f]) => f),
    `one file has the <!-- ${marker} --> table`,
  ).toHaveLength(1);
  const text = holders[0][1];
  const rows = new Map<string, string>();
  const lines = text
    .slice(text.indexOf(`<!-- ${marker} -->`))
    .split('\n')
    .slice(1);
  for (const line of lines.slice(2)) {
    if (!line.startsWith('|')) break;
    const first = /^\|\s*`([^`]+)`/.exec(line);
    expect(first, `a row without a \`name\` first: ${line}`).not.toBeNull();
    rows.set(first![1], line);
  }
  return rows;
};

/** Text for comparing defaults: no backticks or quotes, one space. */
const plain = (s: string) => s.replace(/[`'"]/g, '').replace(/\s+/g, ' ').trim();

describe('README and docs/', () => {
  it('the guides are there, and the README is at most 15,000 bytes', () => {
    expect([...DOCS.keys()]).toEqual(
      expect.arrayContaining([
        'docs/large-files.md',
        'docs/credentials.md',
        'docs/recipes.md',
        'docs/security.md',
        'docs/errors.md',
        'docs/migrating.md',
        'docs/benchmarks.md',
        'docs/signing.md',
        'docs/streams.md',
      ]),
    );
    expect(Buffer.byteLength(README)).toBeLessThanOrEqual(15_000);
  });

  it('every ```ts block type-checks against dist/cos-sign.d.mts, and every ```js block as JavaScript', () => {
    const { blocks, jsBlocks, diagnostics } = checkReadme({ root: ROOT });
    expect([...new Set(blocks.map((b: { source: string }) => b.source))]).toEqual(
      expect.arrayContaining(['README.md', 'docs/large-files.md', 'docs/requests.md']),
    );
    expect(blocks.length).toBeGreaterThanOrEqual(25);
    expect(jsBlocks.length).toBeGreaterThanOrEqual(2);
    expect(diagnostics).toEqual([]);
  }, 60_000);

  it('the JavaScript is JavaScript: node --check parses every js block, the 30-second example and the html scripts', () => {
    // "In 30 seconds" says it runs as an .mjs file: it is a ```js block, so it is type-checked as one too.
    expect(quickExample(README)?.lang).toBe('js');
    const { items, diagnostics } = checkReadmeSyntax({ root: ROOT });
    expect(items.map((i) => i.what)).toEqual(
      expect.arrayContaining(['js block', 'html <script type="module">', 'html <script>']),
    );
    expect(diagnostics).toEqual([]);
  }, 60_000);

  it('every relative link reaches a file of the repository, and every #anchor a heading', () => {
    const { links, diagnostics } = checkLinks({ root: ROOT });
    expect(links.length).toBeGreaterThan(30);
    expect(diagnostics).toEqual([]);
  });

  const { interfaces, codes } = declarations();

  for (const name of [
    'CosSignerOptions',
    'SignOptions',
    'PostPolicyOptions',
    'FetchCredentialsOptions',
    'UploadOptions',
    'DownloadOptions',
  ])
    it(`documents exactly the options of ${name}, with the defaults the code states`, () => {
      const members = interfaces.get(name);
      expect(members, `${name} is not in dist/cos-sign.d.ts`).toBeDefined();
      const rows = table(`options: ${name}`);
      expect([...rows.keys()].sort()).toEqual([...members!.keys()].sort());
      for (const [option, def] of members!) {
        if (def === undefined) continue;
        const cells = rows
          .get(option)!
          .split(/(?<!\\)\|/)
          .map((c) => c.trim());
        // | option | type | default | meaning |: the default cell starts with the stated default.
        expect(plain(cells[3]), `README's default of ${name}.${option}`).toContain(plain(def));
      }
    });

  it('lists exactly the error codes of CosSignErrorCode', () => {
    expect(codes.length).toBeGreaterThan(10);
    expect([...table('error-codes').keys()].sort()).toEqual([...codes].sort());
  });

  it('starts with one line, then the two commands', () => {
    const lines = README.split('\n');
    expect(lines[0]).toBe('# cos-sign');
    const fence = lines.indexOf('```sh');
    expect(lines.slice(fence + 1, fence + 3).map((l) => l.replace(/\s+#.*$/, ''))).toEqual([
      'npm install && npm run demo',
      'npm test',
    ]);
  });
});
