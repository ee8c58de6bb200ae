#!/usr/bin/env node
// The examples of README.md and of every guide in docs/*.md are what they say they are.
// - Every ```ts block type-checks against the built types (dist/cos-sign.d.mts, dist/sync.d.mts and
//   dist/sts.d.mts, as `cos-sign`, `cos-sign/sync` and `cos-sign/sts`), so the docs cannot drift from
//   the API. Each block is its own module (top-level await allowed), strict mode, DOM + Node types. The only ambient help is a minimal
//   declaration of the `Deno` and `Bun` globals the runtime recipes use; every other name a block uses
//   it must import or declare itself.
// - Every ```js / ```mjs / ```javascript block is JavaScript: `node --check` parses it as an .mjs file,
//   and it type-checks against the same types as JavaScript (checkJs, without strict null checks, as
//   an editor checks a .js file). So is the "In 30 seconds" example, whatever its fence says, and the
//   inline <script>s of ```html blocks (modules as .mjs, classic scripts as .cjs).
// - Blocks of one Markdown file share a folder: a ts block whose first line is `// <name>.ts` is that
//   file, and the other blocks of the same Markdown file can import it as './<name>.ts'.
// - Every relative link of README.md, docs/*.md, demo/README.md and bench/README.md points to a file
//   the repository has, and its #anchor (or a bare #anchor) to a heading of the Markdown it names.
// Every error says where, as "<file>:<line>[:<col>]: <message>".
//
//   node scripts/check-readme.mjs        (after `npm run build`; exit 1 on any error)
//
// test/readme.test.ts runs it inside `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The runtime globals the recipes use that neither DOM nor Node types declare. */
const RUNTIMES = `
declare namespace Deno {
  function serve(handler: (request: Request) => Response | Promise<Response>): unknown;
  const env: { get(name: string): string | undefined };
  const args: string[];
  function open(path: string): Promise<{ readable: ReadableStream<Uint8Array>; stat(): Promise<{ size: number }> }>;
}
declare namespace Bun {
  function serve(options: { port?: number; fetch(request: Request): Response | Promise<Response> }): unknown;
  const env: Record<string, string | undefined>;
}
`;

/** The Markdown files whose examples are checked, relative to `root`: README.md, then docs/*.md by name. */
export const markdownFiles = (root = ROOT) => {
  const docs = join(root, 'docs');
  const guides = existsSync(docs)
    ? readdirSync(docs)
        .filter((f) => f.endsWith('.md'))
        .sort()
    : [];
  return ['README.md', ...guides.map((f) => `docs/${f}`)];
};

/** Every fenced code block of a Markdown text (from `source`): its info string's first word (`lang`), the line its code starts on, the code. */
export const fencedBlocks = (markdown, source = 'README.md') => {
  const blocks = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*([^`\s]*)[^`]*$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^\\s*${fence}\\s*$`).test(lines[j]); j++)
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    if (j === lines.length) throw new Error(`${source}:${i + 1}: unclosed code block`);
    blocks.push({ source, line: i + 2, lang: lang.toLowerCase(), code: body.join('\n') });
    i = j;
  }
  return blocks;
};

const TS = new Set(['ts', 'typescript']);
const JS = new Set(['js', 'mjs', 'javascript']);

/** The fenced ```ts / ```typescript blocks of a Markdown text, with the line each starts on. */
export const tsBlocks = (markdown, source) => fencedBlocks(markdown, source).filter((b) => TS.has(b.lang));

/** The fenced ```js / ```mjs / ```javascript blocks of a Markdown text, with the line each starts on. */
export const jsBlocks = (markdown, source) => fencedBlocks(markdown, source).filter((b) => JS.has(b.lang));

/** The first code block after the "In 30 seconds" line (undefined when there is none). */
export const quickExample = (markdown) => {
  const at = markdown.split('\n').findIndex((l) => /In 30 seconds/.test(l));
  return at < 0 ? undefined : fencedBlocks(markdown).find((b) => b.line > at + 1);
};

/** The inline <script>s of the ```html blocks: { line, module, code }. */
export const htmlScripts = (markdown, source) =>
  fencedBlocks(markdown, source)
    .filter((b) => b.lang === 'html')
    .flatMap((b) =>
      [...b.code.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
        .filter((m) => m[2].trim())
        .map((m) => ({
          source,
          line: b.line + b.code.slice(0, m.index).split('\n').length - 1,
          module: /type=["']?module/.test(m[1]),
          code: m[2],
        })),
    );

/** The Markdown files, read: `{ source, markdown }` for each path relative to `root`. */
const read = (root, files) => files.map((source) => ({ source, markdown: readFileSync(join(root, source), 'utf8') }));

/**
 * Parses the JavaScript of README.md and docs/*.md (or `files`, relative to `root`) with `node --check`:
 * every js block and README's "In 30 seconds" example as .mjs files, the html blocks' scripts as .mjs
 * (modules) or .cjs (classic). Returns what was checked ({ source, line, what }) and the diagnostics,
 * "<file>:<line>: <what>: <node's message>".
 */
export const checkReadmeSyntax = ({ root = ROOT, files = markdownFiles(root) } = {}) => {
  const items = [];
  for (const { source, markdown } of read(root, files)) {
    const mine = jsBlocks(markdown, source).map((b) => ({
      source,
      line: b.line,
      what: `${b.lang} block`,
      ext: '.mjs',
      code: b.code,
    }));
    const quick = source === 'README.md' ? quickExample(markdown) : undefined;
    if (quick && !mine.some((x) => x.line === quick.line))
      mine.push({
        source,
        line: quick.line,
        what: `"In 30 seconds" (${quick.lang || 'untagged'} block)`,
        ext: '.mjs',
        code: quick.code,
      });
    for (const s of htmlScripts(markdown, source))
      mine.push({
        source,
        line: s.line,
        what: `html <script${s.module ? ' type="module"' : ''}>`,
        ext: s.module ? '.mjs' : '.cjs',
        code: s.code,
      });
    items.push(...mine);
  }
  const dir = mkdtempSync(join(tmpdir(), 'cos-sign-readme-js-'));
  try {
    const diagnostics = [];
    for (const [i, item] of items.entries()) {
      const file = join(dir, `block-${i}-line-${item.line}${item.ext}`);
      writeFileSync(file, item.code + '\n');
      const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
      if (r.status !== 0) {
        // node prints "<file>:<line>" first; point it at the Markdown line.
        const at = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(r.stderr);
        const message = r.stderr.split('\n').find((l) => /Error/.test(l)) ?? r.stderr.trim();
        diagnostics.push(`${item.source}:${item.line + (at ? Number(at[1]) - 1 : 0)}: ${item.what}: ${message}`);
      }
    }
    return { items, diagnostics };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/**
 * Type-checks the ts blocks (strict) and js blocks (checkJs, no strict null checks) of README.md and
 * docs/*.md (or `files`, relative to `root`), in one program each. Returns the blocks, the js blocks
 * (each with its `source` file and `line`) and the diagnostics, "<file>:<line>:<col>: <message>".
 */
export const checkReadme = ({ root = ROOT, files = markdownFiles(root) } = {}) => {
  const types = join(root, 'dist', 'cos-sign.d.mts');
  if (!existsSync(types)) throw new Error(`${types} is missing: run \`npm run build\` first`);
  const docs = read(root, files);
  const blocks = docs.flatMap(({ source, markdown }) => tsBlocks(markdown, source));
  const js = docs.flatMap(({ source, markdown }) => jsBlocks(markdown, source));
  // Inside the project, so packages the recipes import (qcloud-cos-sts) resolve from node_modules.
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'check-readme-'));
  // One folder per Markdown file: its named blocks are its own.
  const folder = (source) => {
    const f = join(dir, source.replace(/[^\w.-]/g, '_'));
    mkdirSync(f, { recursive: true });
    return f;
  };
  try {
    const named = new Map();
    const tsFiles = blocks.map((b) => {
      // A block whose first line is `// <name>.ts…` is that file, so other blocks of its Markdown file can import it.
      const name = /^\/\/ ([\w-]+\.ts)\b/.exec(b.code)?.[1];
      const file = join(folder(b.source), name ?? `line-${b.line}.ts`);
      if (name && named.has(file))
        throw new Error(
          `${b.source}:${b.line}: a second block named ${name} (the first is at line ${named.get(file)})`,
        );
      if (name) named.set(file, b.line);
      b.file = file;
      // `export {}` makes every block a module: its own scope, top-level await allowed.
      writeFileSync(file, b.code + '\nexport {};\n');
      return file;
    });
    for (const b of js) {
      b.file = join(folder(b.source), `line-${b.line}.mjs`);
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
        // The local COS server's hand-written types (docs/local-cos.md).
        'cos-sign/server': [join(root, 'server', 'index.d.mts')],
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
    const programs = [ts.createProgram([...tsFiles, env], options, host)];
    // JavaScript as an editor checks a .js file: types from the .d.ts, no strict null checks.
    if (js.length)
      programs.push(
        ts.createProgram(
          [...js.map((b) => b.file), env],
          { ...options, allowJs: true, checkJs: true, strict: false },
          host,
        ),
      );
    const diagnostics = programs.flatMap((program) =>
      ts.getPreEmitDiagnostics(program).map((d) => {
        const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
        if (!d.file) return `check-readme: ${text}`;
        const at = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
        const block = [...blocks, ...js].find((b) => b.file === d.file.fileName);
        return block
          ? `${block.source}:${block.line + at.line}:${at.character + 1}: ${text}`
          : `${d.file.fileName}:${at.line + 1}: ${text}`;
      }),
    );
    return { blocks, jsBlocks: js, diagnostics };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** The anchor GitHub gives a heading: lowercase, punctuation dropped, spaces as `-`. */
export const slug = (heading) =>
  heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');

/** The anchor TypeDoc gives a heading of a project document: as GitHub's, but code spans are left out. */
export const typedocSlug = (heading) =>
  heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`[^`]*`/g, '')
    .trim()
    .replace(/[\u2000-\u206F\u2E00-\u2E7F\\'!"#$%&()*+,./:;<=>?@[\]^`{|}~]/g, '')
    .replace(/\s/g, '-')
    .replace(/--+/, '-')
    .toLowerCase();

/** The lines of a Markdown text that are inside fenced code blocks (fences included), 1-based. */
const codeLines = (markdown, source) =>
  new Set(
    fencedBlocks(markdown, source).flatMap((b) =>
      Array.from({ length: b.code.split('\n').length + 2 }, (_, k) => b.line - 1 + k),
    ),
  );

/** The anchors of a Markdown text's headings (outside code blocks), made by `slugger`, with -1, -2… for repeats. */
export const anchors = (markdown, source, slugger = slug) => {
  const code = codeLines(markdown, source);
  const seen = new Map();
  const out = new Set();
  markdown.split('\n').forEach((l, i) => {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
    if (!h || code.has(i + 1)) return;
    const base = slugger(h[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  });
  return out;
};

/** The Markdown files whose links are checked: those with examples, and the demo's and the benchmarks' READMEs. */
export const linkedFiles = (root = ROOT) =>
  [...markdownFiles(root), 'demo/README.md', 'bench/README.md'].filter((f) => existsSync(join(root, f)));

/**
 * Every relative link (`[text](path#anchor)`, `![alt](path)`, `[text](#anchor)`) of `files` outside code:
 * the file must exist in the repository, and an anchor must be a heading of the Markdown file it names —
 * on GitHub, and for README.md and the guides in docs/ also in TypeDoc's rendering (`npm run docs`),
 * whose anchors leave out a heading's code spans. Returns the links checked and the diagnostics, "<file>:<line>: <message>".
 */
export const checkLinks = ({ root = ROOT, files = linkedFiles(root) } = {}) => {
  const cache = new Map();
  const headings = (file) => {
    if (!cache.has(file)) {
      const markdown = readFileSync(file, 'utf8');
      const github = anchors(markdown, relative(root, file));
      const rel = relative(root, file);
      const typedoc = rel === 'README.md' || rel.startsWith('docs/') ? anchors(markdown, rel, typedocSlug) : github;
      cache.set(file, new Set([...github].filter((a) => typedoc.has(a))));
    }
    return cache.get(file);
  };
  const links = [];
  const diagnostics = [];
  for (const { source, markdown } of read(root, files)) {
    const code = codeLines(markdown, source);
    markdown.split('\n').forEach((text, i) => {
      if (code.has(i + 1)) return;
      for (const m of text
        .replace(/`[^`]*`/g, (c) => ' '.repeat(c.length))
        .matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1];
        if (/^[a-z][a-z\d+.-]*:/i.test(target)) continue; // https:, mailto:…
        links.push({ source, line: i + 1, target });
        const [path, anchor] = target.split('#');
        const file = path ? resolve(root, dirname(source), decodeURIComponent(path)) : join(root, source);
        const where = `${source}:${i + 1}`;
        if (!file.startsWith(root + '/') || !existsSync(file))
          diagnostics.push(`${where}: ${target}: no such file in the repository`);
        else if (anchor !== undefined && !file.endsWith('.md'))
          diagnostics.push(`${where}: ${target}: an anchor into a file that is not Markdown`);
        else if (anchor !== undefined && !headings(file).has(anchor))
          diagnostics.push(
            `${where}: ${target}: ${relative(root, file)} has no heading #${anchor} (in TypeDoc's anchors too, for README.md and docs/)`,
          );
      }
    });
  }
  return { links, diagnostics };
};

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = markdownFiles();
  const { blocks, jsBlocks: js, diagnostics } = checkReadme({ files });
  const syntax = checkReadmeSyntax({ files });
  const links = checkLinks();
  for (const d of [...diagnostics, ...syntax.diagnostics, ...links.diagnostics]) console.error(d);
  for (const f of files) {
    const n = (list) => list.filter((x) => x.source === f).length;
    const bad = (list) => list.filter((d) => d.startsWith(`${f}:`)).length;
    console.log(
      `${f}: ${n(blocks)} ts and ${n(js)} js blocks, ${bad(diagnostics)} type errors; ${n(syntax.items)} JavaScript examples, ${bad(syntax.diagnostics)} syntax errors`,
    );
  }
  console.log(
    `links: ${links.links.length} relative links in ${linkedFiles().length} files, ${links.diagnostics.length} broken`,
  );
  const errors = diagnostics.length + syntax.diagnostics.length + links.diagnostics.length;
  console.log(
    `${files.length} Markdown files: ${blocks.length} ts and ${js.length} js blocks, ${syntax.items.length} JavaScript examples; ${errors} errors`,
  );
  process.exitCode = errors ? 1 : 0;
}
