// The conformance suite (test/conformance/suite.mjs) against the BUILT ESM file, under vitest's node
// and happy-dom projects; and a check that nothing of Node (node: imports, process, Buffer, require,
// __dirname, __filename, global) reaches the browser bundles or a browser app bundled from the package.
// `npm run build` first (npm test does).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAst } from 'rollup/parseAst';
import * as lib from '../dist/cos-sign.mjs';
import * as sts from '../dist/sts.mjs';
// @ts-expect-error plain JS without types
import { runSuite } from './conformance/suite.mjs';
// @ts-expect-error plain JS without types
import { bundleApp, walk } from '../scripts/size.mjs';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

describe('conformance suite on dist/cos-sign.mjs', () => {
  it('passes every check', async () => {
    const r = await runSuite(lib, { sts, vectors: readFileSync(here('./fixtures/python-sdk.jsonl'), 'utf8') });
    // The line test/runtimes/run.mjs reads when it runs this file under the happy-dom project.
    const env =
      typeof window === 'undefined'
        ? `node ${process.version}`
        : (navigator.userAgent.match(/HappyDOM\/[\d.]+/)?.[0] ?? navigator.userAgent);
    console.log(
      'CONFORMANCE ' +
        JSON.stringify({ ...r, resolved: new URL('../dist/cos-sign.mjs', import.meta.url).href, version: env }),
    );
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.passed).toBeGreaterThan(529);
  }, 60_000);
});

const NODE_GLOBALS = ['process', 'Buffer', 'require', '__dirname', '__filename', 'global', 'setImmediate'];
const builtins = new Set(builtinModules);

/**
 * What of Node a script needs: imports of node: or builtin modules, and references to Node globals
 * that the script does not declare itself (bare, or as globalThis.x / self.x / window.x).
 */
const nodeUses = (code: string): string[] => {
  const ast = parseAst(code);
  const declared = new Set<string>();
  const names = (p: any): void => {
    if (!p) return;
    if (p.type === 'Identifier') declared.add(p.name);
    else if (p.type === 'ObjectPattern')
      for (const q of p.properties) names(q.type === 'RestElement' ? q.argument : q.value);
    else if (p.type === 'ArrayPattern') for (const q of p.elements) names(q);
    else if (p.type === 'AssignmentPattern') names(p.left);
    else if (p.type === 'RestElement') names(p.argument);
  };
  const notRefs = new Set<any>();
  const found: string[] = [];
  for (const [n] of walk(ast) as Iterable<[any]>) {
    if (n.type === 'VariableDeclarator') names(n.id);
    if (/Function/.test(n.type)) n.params.forEach(names), n.id && names(n.id);
    if (n.type === 'ClassDeclaration' && n.id) names(n.id);
    if (n.type === 'CatchClause') names(n.param);
    if (n.type === 'MemberExpression' && !n.computed) notRefs.add(n.property);
    if (
      (n.type === 'Property' || n.type === 'MethodDefinition' || n.type === 'PropertyDefinition') &&
      !n.computed &&
      !n.shorthand
    )
      notRefs.add(n.key);
    if (n.type === 'LabeledStatement' || n.type === 'BreakStatement' || n.type === 'ContinueStatement')
      notRefs.add(n.label);
    const src =
      (n.type === 'ImportDeclaration' || n.type === 'ImportExpression' || /^Export(All|Named)/.test(n.type)) &&
      n.source;
    if (src) {
      const s = src.type === 'Literal' ? String(src.value) : '<dynamic import>';
      if (s.startsWith('node:') || builtins.has(s) || s === '<dynamic import>') found.push(`import ${s}`);
    }
    if (
      n.type === 'MemberExpression' &&
      !n.computed &&
      n.object.type === 'Identifier' &&
      ['globalThis', 'self', 'window'].includes(n.object.name) &&
      NODE_GLOBALS.includes(n.property.name)
    )
      found.push(`${n.object.name}.${n.property.name}`);
  }
  for (const [n] of walk(ast) as Iterable<[any]>)
    if (n.type === 'Identifier' && !notRefs.has(n) && NODE_GLOBALS.includes(n.name) && !declared.has(n.name))
      found.push(n.name);
  return [...new Set(found)];
};

describe('browser bundles carry nothing of Node', () => {
  it('the scan finds what it looks for', () => {
    expect(
      nodeUses(
        `import fs from 'node:fs'; import 'path'; export const f = () => process.env.X + Buffer.from('') + require('x') + __dirname + global.y + globalThis.process;`,
      ),
    ).toEqual([
      'import node:fs',
      'import path',
      'globalThis.process',
      'process',
      'Buffer',
      'require',
      '__dirname',
      'global',
    ]);
    expect(
      nodeUses(
        `const o = { process: 1, Buffer }; o.process; class A { require() {} } (function (global) { global.x = 1 })(this);`,
      ),
    ).toEqual(['Buffer']);
  });

  // Every ESM file (entries and their chunks) and every UMD file of dist/.
  const files = readdirSync(here('../dist')).filter((f) => f.endsWith('.mjs') || f.endsWith('.umd.js'));
  it('scans the entry files', () =>
    expect(files).toEqual(expect.arrayContaining(['cos-sign.mjs', 'cos-sign.umd.js', 'sts.mjs', 'sts.umd.js'])));
  for (const f of files)
    it(`dist/${f}`, () => {
      expect(nodeUses(readFileSync(here(`../dist/${f}`), 'utf8'))).toEqual([]);
    });

  it('an app importing everything of the package, bundled for the browser through package.json exports', async () => {
    const sync = existsSync(here('../dist/sync.mjs'));
    const app = `import * as a from 'cos-sign'; import * as c from 'cos-sign/sts';${sync ? ` import * as b from 'cos-sign/sync';` : ''} globalThis.lib = [a, c${sync ? ', b' : ''}];`;
    const { code, chunks } = await bundleApp(app);
    expect(code).toContain('CosSigner');
    for (const c of chunks) expect([c.fileName, nodeUses(c.code)]).toEqual([c.fileName, []]);
  }, 30_000);
});
