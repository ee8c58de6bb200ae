// The README cannot drift from the code: its ```ts blocks type-check against the built types, its
// JavaScript (```js blocks, the "In 30 seconds" example, the html blocks' scripts) parses as JavaScript
// with `node --check` and its js blocks type-check as JavaScript (scripts/check-readme.mjs), its option tables list exactly the options of the built types with the
// defaults their TSDoc states (@defaultValue), and its error table lists exactly the error codes.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { checkReadme, checkReadmeSyntax, quickExample } from '../scripts/check-readme.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
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
      codes = node.type.types.map((t) => (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : t.getText()));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { interfaces, codes };
};

/** The rows of the Markdown table right after `<!-- marker -->`: first cell (unquoted) → whole row. */
const table = (marker: string): Map<string, string> => {
  const at = README.indexOf(`<!-- ${marker} -->`);
  expect(at, `README has no <!-- ${marker} --> table`).toBeGreaterThanOrEqual(0);
  const rows = new Map<string, string>();
  const lines = README.slice(at).split('\n').slice(1);
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

describe('README', () => {
  it('every ```ts block type-checks against dist/cos-sign.d.mts, and every ```js block as JavaScript', () => {
    const { blocks, jsBlocks, diagnostics } = checkReadme({ root: ROOT });
    expect(blocks.length).toBeGreaterThanOrEqual(15);
    expect(jsBlocks.length).toBeGreaterThanOrEqual(2);
    expect(diagnostics).toEqual([]);
  }, 60_000);

  it('the JavaScript is JavaScript: node --check parses every js block, the 30-second example and the html scripts', () => {
    // "In 30 seconds" says it runs as an .mjs file: it is a ```js block, so it is type-checked as one too.
    expect(quickExample(README)?.lang).toBe('js');
    const { items, diagnostics } = checkReadmeSyntax({ root: ROOT });
    expect(items.map((i) => i.what)).toEqual(expect.arrayContaining(['js block', 'html <script type="module">', 'html <script>']));
    expect(diagnostics).toEqual([]);
  }, 60_000);

  const { interfaces, codes } = declarations();

  for (const name of ['CosSignerOptions', 'SignOptions', 'PostPolicyOptions', 'FetchCredentialsOptions', 'UploadOptions'])
    it(`documents exactly the options of ${name}, with the defaults the code states`, () => {
      const members = interfaces.get(name);
      expect(members, `${name} is not in dist/cos-sign.d.ts`).toBeDefined();
      const rows = table(`options: ${name}`);
      expect([...rows.keys()].sort()).toEqual([...members!.keys()].sort());
      for (const [option, def] of members!) {
        if (def === undefined) continue;
        const cells = rows.get(option)!.split(/(?<!\\)\|/).map((c) => c.trim());
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
    expect(lines.slice(fence + 1, fence + 3).map((l) => l.replace(/\s+#.*$/, ''))).toEqual(['npm install && npm run demo', 'npm test']);
  });
});
