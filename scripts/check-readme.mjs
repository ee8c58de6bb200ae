#!/usr/bin/env node
// The README's examples are what they say they are.
// - Every ```ts block type-checks against the built types (dist/cos-sign.d.mts, dist/sync.d.mts and
//   dist/sts.d.mts, as `cos-sign`, `cos-sign/sync` and `cos-sign/sts`), so the README cannot drift from the API. Each block is its own
//   module (top-level await allowed), strict mode, DOM + Node types. The only ambient help is a minimal
//   declaration of the `Deno` and `Bun` globals the runtime recipes use; every other name a block uses
//   it must import or declare itself.
// - Every ```js / ```mjs / ```javascript block is JavaScript: `node --check` parses it as an .mjs file,
//   and it type-checks against the same types as JavaScript (checkJs, without strict null checks, as
//   an editor checks a .js file). So is the "In 30 seconds" example, whatever its fence says, and the
//   inline <script>s of ```html blocks (modules as .mjs, classic scripts as .cjs).
//
//   node scripts/check-readme.mjs        (after `npm run build`; exit 1 on any error)
//
// test/readme.test.ts runs it inside `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The runtime globals the recipes use that neither DOM nor Node types declare. */
const RUNTIMES = `
declare namespace Deno {
  function serve(handler: (request: Request) => Response | Promise<Response>): unknown;
  const env: { get(name: string): string | undefined };
}
declare namespace Bun {
  function serve(options: { port?: number; fetch(request: Request): Response | Promise<Response> }): unknown;
  const env: Record<string, string | undefined>;
}
`;

/** Every fenced code block of a Markdown text: its info string's first word (`lang`), the line its code starts on, the code. */
export const fencedBlocks = (markdown) => {
  const blocks = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*([^`\s]*)[^`]*$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^\\s*${fence}\\s*$`).test(lines[j]); j++) body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    if (j === lines.length) throw new Error(`README.md:${i + 1}: unclosed code block`);
    blocks.push({ line: i + 2, lang: lang.toLowerCase(), code: body.join('\n') });
    i = j;
  }
  return blocks;
};

const TS = new Set(['ts', 'typescript']);
const JS = new Set(['js', 'mjs', 'javascript']);

/** The fenced ```ts / ```typescript blocks of a Markdown text, with the line each starts on. */
export const tsBlocks = (markdown) => fencedBlocks(markdown).filter((b) => TS.has(b.lang));

/** The fenced ```js / ```mjs / ```javascript blocks of a Markdown text, with the line each starts on. */
export const jsBlocks = (markdown) => fencedBlocks(markdown).filter((b) => JS.has(b.lang));

/** The first code block after the "In 30 seconds" line (undefined when there is none). */
export const quickExample = (markdown) => {
  const at = markdown.split('\n').findIndex((l) => /In 30 seconds/.test(l));
  return at < 0 ? undefined : fencedBlocks(markdown).find((b) => b.line > at + 1);
};

/** The inline <script>s of the ```html blocks: { line, module, code }. */
export const htmlScripts = (markdown) =>
  fencedBlocks(markdown)
    .filter((b) => b.lang === 'html')
    .flatMap((b) =>
      [...b.code.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
        .filter((m) => m[2].trim())
        .map((m) => ({ line: b.line + b.code.slice(0, m.index).split('\n').length - 1, module: /type=["']?module/.test(m[1]), code: m[2] })),
    );

/**
 * Parses the README's JavaScript with `node --check`: every js block and the "In 30 seconds" example
 * as .mjs files, the html blocks' scripts as .mjs (modules) or .cjs (classic). Returns what was checked
 * ({ line, what }) and the diagnostics, "README.md:<line>: <what>: <node's message>".
 */
export const checkReadmeSyntax = ({ root = ROOT, readme = join(root, 'README.md') } = {}) => {
  const markdown = readFileSync(readme, 'utf8');
  const items = jsBlocks(markdown).map((b) => ({ line: b.line, what: `${b.lang} block`, ext: '.mjs', code: b.code }));
  const quick = quickExample(markdown);
  if (quick && !items.some((x) => x.line === quick.line)) items.push({ line: quick.line, what: `"In 30 seconds" (${quick.lang || 'untagged'} block)`, ext: '.mjs', code: quick.code });
  for (const s of htmlScripts(markdown)) items.push({ line: s.line, what: `html <script${s.module ? ' type="module"' : ''}>`, ext: s.module ? '.mjs' : '.cjs', code: s.code });
  const dir = mkdtempSync(join(tmpdir(), 'cos-sign-readme-js-'));
  try {
    const diagnostics = [];
    for (const item of items) {
      const file = join(dir, `readme-line-${item.line}${item.ext}`);
      writeFileSync(file, item.code + '\n');
      const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
      if (r.status !== 0) {
        // node prints "<file>:<line>" first; point it at the README line.
        const at = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(r.stderr);
        const message = r.stderr.split('\n').find((l) => /Error/.test(l)) ?? r.stderr.trim();
        diagnostics.push(`README.md:${item.line + (at ? Number(at[1]) - 1 : 0)}: ${item.what}: ${message}`);
      }
    }
    return { items, diagnostics };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/**
 * Type-checks the README's ts blocks (strict) and js blocks (checkJs, no strict null checks). Returns
 * the blocks, the js blocks and the diagnostics, each as "README.md:<line>:<col>: <message>" pointing at
 * the README line.
 */
export const checkReadme = ({ root = ROOT, readme = join(root, 'README.md') } = {}) => {
  const types = join(root, 'dist', 'cos-sign.d.mts');
  if (!existsSync(types)) throw new Error(`${types} is missing: run \`npm run build\` first`);
  const markdown = readFileSync(readme, 'utf8');
  const blocks = tsBlocks(markdown);
  const js = jsBlocks(markdown);
  // Inside the project, so packages the recipes import (qcloud-cos-sts) resolve from node_modules.
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'check-readme-'));
  try {
    const named = new Map();
    const files = blocks.map((b) => {
      // A block whose first line is `// <name>.ts…` is that file, so other blocks can import it.
      const name = /^\/\/ ([\w-]+\.ts)\b/.exec(b.code)?.[1];
      if (name && named.has(name)) throw new Error(`README.md:${b.line}: a second block named ${name} (the first is at line ${named.get(name)})`);
      if (name) named.set(name, b.line);
      const file = join(dir, name ?? `readme-line-${b.line}.ts`);
      b.file = file;
      // `export {}` makes every block a module: its own scope, top-level await allowed.
      writeFileSync(file, b.code + '\nexport {};\n');
      return file;
    });
    for (const b of js) {
      b.file = join(dir, `readme-line-${b.line}.mjs`);
      writeFileSync(b.file, b.code + '\n');
    }
    const env = join(dir, 'runtimes.d.ts');
    writeFileSync(env, RUNTIMES);
    const sync = join(root, 'dist', 'sync.d.mts');
    const sts = join(root, 'dist', 'sts.d.mts');
    const options = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      noFallthroughCasesInSwitch: true,
      // `npm:cos-sign` is how Deno imports it.
      paths: {
        'cos-sign': [types],
        'npm:cos-sign': [types],
        ...(existsSync(sync) && { 'cos-sign/sync': [sync] }),
        ...(existsSync(sts) && { 'cos-sign/sts': [sts], 'npm:cos-sign/sts': [sts] }),
        // The Uppy recipe is checked against Uppy's own types (devDependencies).
        '@uppy/*': [join(root, 'node_modules/@uppy/*')],
      },
    };
    // One parse of the lib and dist .d.ts files for both programs.
    const host = ts.createCompilerHost(options);
    const parsed = new Map();
    const getSourceFile = host.getSourceFile;
    host.getSourceFile = (name, ...rest) => {
      if (name.startsWith(dir)) return getSourceFile.call(host, name, ...rest);
      if (!parsed.has(name)) parsed.set(name, getSourceFile.call(host, name, ...rest));
      return parsed.get(name);
    };
    const programs = [ts.createProgram([...files, env], options, host)];
    // JavaScript as an editor checks a .js file: types from the .d.ts, no strict null checks.
    if (js.length) programs.push(ts.createProgram([...js.map((b) => b.file), env], { ...options, allowJs: true, checkJs: true, strict: false }, host));
    const diagnostics = programs.flatMap((program) =>
      ts.getPreEmitDiagnostics(program).map((d) => {
        const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
        if (!d.file) return `README.md: ${text}`;
        const at = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
        const block = [...blocks, ...js].find((b) => b.file === d.file.fileName);
        return block ? `README.md:${block.line + at.line}:${at.character + 1}: ${text}` : `${d.file.fileName}:${at.line + 1}: ${text}`;
      }),
    );
    return { blocks, jsBlocks: js, diagnostics };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { blocks, jsBlocks: js, diagnostics } = checkReadme();
  const syntax = checkReadmeSyntax();
  for (const d of [...diagnostics, ...syntax.diagnostics]) console.error(d);
  console.log(`README.md: ${blocks.length} ts and ${js.length} js blocks, ${diagnostics.length} type errors; ${syntax.items.length} JavaScript examples, ${syntax.diagnostics.length} syntax errors`);
  process.exitCode = diagnostics.length + syntax.diagnostics.length ? 1 : 0;
}
