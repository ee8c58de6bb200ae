#!/usr/bin/env node
// Type-checks every ```ts block of README.md against the built types (dist/cos-sign.d.mts,
// dist/sync.d.mts and dist/sts.d.mts, as `cos-sign`, `cos-sign/sync` and `cos-sign/sts`), so the README
// cannot drift from the API.
// Each block is its own module (top-level await allowed), strict mode, DOM + Node types. The only
// ambient help is a minimal declaration of the `Deno` and `Bun` globals the runtime recipes use;
// every other name a block uses it must import or declare itself.
//
//   node scripts/check-readme.mjs        (after `npm run build`; exit 1 on any type error)
//
// test/readme.test.ts runs it inside `npm test`.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** The fenced ```ts / ```typescript blocks of a Markdown text, with the line each starts on. */
export const tsBlocks = (markdown) => {
  const blocks = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*(ts|typescript)\s*$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence] = open;
    const body = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^\\s*${fence}\\s*$`).test(lines[j]); j++) body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    if (j === lines.length) throw new Error(`README.md:${i + 1}: unclosed code block`);
    blocks.push({ line: i + 2, code: body.join('\n') });
    i = j;
  }
  return blocks;
};

/**
 * Type-checks the README's ts blocks. Returns the blocks and the diagnostics, each as
 * "README.md:<line>:<col>: <message>" pointing at the README line.
 */
export const checkReadme = ({ root = ROOT, readme = join(root, 'README.md') } = {}) => {
  const types = join(root, 'dist', 'cos-sign.d.mts');
  if (!existsSync(types)) throw new Error(`${types} is missing: run \`npm run build\` first`);
  const blocks = tsBlocks(readFileSync(readme, 'utf8'));
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
      },
    };
    const program = ts.createProgram([...files, env], options);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file) return `README.md: ${text}`;
      const at = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      const block = blocks.find((b) => b.file === d.file.fileName);
      return block ? `README.md:${block.line + at.line}:${at.character + 1}: ${text}` : `${d.file.fileName}:${at.line + 1}: ${text}`;
    });
    return { blocks, diagnostics };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { blocks, diagnostics } = checkReadme();
  for (const d of diagnostics) console.error(d);
  console.log(`README.md: ${blocks.length} ts blocks, ${diagnostics.length} type errors`);
  process.exitCode = diagnostics.length ? 1 : 0;
}
