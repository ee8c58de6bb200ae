// The size budget, measured as a user's bundler sees it (`npm run size`, part of `npm test`; run
// `npm run build` first).
//
// - presign path: rollup tree-shakes an app that imports only `CosSigner` from 'cos-sign' (resolved
//   through package.json "exports", as a bundler resolves it, to dist/) and presigns one URL; terser
//   minifies it; gzip -9. Budget 4,300 bytes (4,272 B when set: room for fixes, not for features).
// - the whole UMD file dist/cos-sign.umd.js, gzip -9. Budget 9,800 bytes: 9,783 B with the large-upload
//   and listing functions (issue #12 had guessed 9,000 B for them before they existed; they take 3.5 KB
//   gzip in the UMD after compaction). It holds everything, so a UMD user pays for all of it.
// - the chunks the presign app loads lazily (import() of signRequest / fetch / getPostPolicy code) are
//   printed apart, without a budget: an app that only presigns never downloads them. So is what an app
//   that uploads with `upload()` pays: its entry chunk and the chunks loaded on the first upload.
// Prints each beside aws4fetch (2,721 B, its published figure) and cos-js-sdk-v5 (its dist min.js,
// gzipped here), and exits 1 when a budget is exceeded. When over budget (or with --why) it also prints
// where the bytes go: each source module of the presign path, the largest functions and methods, and
// the longest string literals (--no-why leaves that out).
//
//   node scripts/size.mjs [--budget presign=BYTES] [--budget umd=BYTES] [--why | --no-why]
//
// --budget replaces a budget for one run (test/size.test.ts checks that exceeding one fails).
//
// Also a library: `bundleApp` (used by test/conformance.test.ts to bundle an app for the browser).
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { rollup } from 'rollup';
import { parseAst } from 'rollup/parseAst';
import terser from '@rollup/plugin-terser';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BUDGET = { presign: 4300, umd: 9800 };
const AWS4FETCH = 2721; // aws4fetch 1.0.20, min+gzip, as published (bundlephobia); not installed here
const APP = `import { CosSigner } from 'cos-sign';
const signer = new CosSigner({ region: 'ap-guangzhou', credentials: { secretId: 'AKIDexample', secretKey: 'example' } });
signer.getPresignedUrl({ method: 'GET', bucket: 'examplebucket-1250000000', key: 'a.txt' }).then((url) => console.log(url));
`;

export const gzip = (s) => gzipSync(Buffer.from(s), { level: 9 }).length;

/**
 * Resolves `cos-sign` or `cos-sign/<sub>` through the package.json "exports" map with the given
 * conditions, the way Node and bundlers do (first matching key in the map's own order).
 */
export const resolveExport = (spec, conditions, pkgDir = root) => {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const sub = '.' + spec.slice(pkg.name.length);
  const pick = (t) => {
    if (typeof t === 'string') return t;
    if (t && typeof t === 'object')
      for (const [k, v] of Object.entries(t)) if (conditions.includes(k)) {
        const r = pick(v);
        if (r) return r;
      }
    return undefined;
  };
  const target = pick(pkg.exports?.[sub]);
  if (!target) throw new Error(`${spec}: no "exports" entry for ${sub} under conditions ${conditions.join(', ')}`);
  return join(pkgDir, target);
};

/**
 * Bundles `code` (an app's entry module) with rollup, resolving 'cos-sign' and 'cos-sign/*' through
 * package.json exports under `conditions` (browser bundlers: browser, import, default); other bare
 * imports are an error. `minify`: terser, as a production build does. Returns { code, output, chunks }:
 * the entry chunk's code and rollup output, and every chunk (lazily loaded ones after the entry).
 */
export const bundleApp = async (code, { conditions = ['browser', 'import', 'module', 'default'], minify = false, plugins = [], terserOptions } = {}) => {
  const entry = '\0app.mjs';
  const bundle = await rollup({
    input: entry,
    onwarn: (w) => {
      throw new Error(`rollup: ${w.message}`);
    },
    plugins: [
      {
        name: 'app',
        resolveId: (id) => (id === entry ? id : id === 'cos-sign' || id.startsWith('cos-sign/') ? resolveExport(id, conditions) : null),
        load: (id) => (id === entry ? code : null),
      },
      ...plugins,
    ],
  });
  const { output } = await bundle.generate({ format: 'es', plugins: minify ? [terser({ ecma: 2020, module: true, ...terserOptions })] : [] });
  await bundle.close();
  // output[0] is the entry chunk; the rest are chunks the app loads lazily (dynamic import()).
  return { code: output[0].code, output: output[0], chunks: output.filter((o) => o.type === 'chunk') };
};

/** Every node of an ESTree AST, depth first. */
export function* walk(node, parent) {
  if (!node || typeof node.type !== 'string') return;
  yield [node, parent];
  for (const k of Object.keys(node)) {
    const v = node[k];
    if (Array.isArray(v)) for (const c of v) yield* walk(c, node);
    else if (v && typeof v === 'object' && typeof v.type === 'string') yield* walk(v, node);
  }
}

// ---------------------------------------------------------------------------------------------
// Where the bytes go (diagnostics for trimming; src/ compiled with TypeScript's transpileModule).

const transpile = async () => {
  const ts = (await import('typescript')).default;
  return {
    name: 'ts-strip',
    resolveId(id, importer) {
      if (importer && id.startsWith('.') && id.endsWith('.js')) {
        const p = resolve(dirname(importer), id.replace(/\.js$/, '.ts'));
        if (existsSync(p)) return p;
      }
      return null;
    },
    transform(code, id) {
      if (!id.endsWith('.ts')) return null;
      return ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true } }).outputText;
    },
  };
};

const why = async () => {
  const src = join(root, 'src/index.ts');
  const app = APP.replace("'cos-sign'", JSON.stringify(src));
  const plugin = await transpile();
  // Per module: its tree-shaken code in the presign path, minified and gzipped alone.
  const { output } = await bundleApp(app, { plugins: [plugin] });
  const { minify } = await import('terser');
  const rows = [];
  for (const [id, m] of Object.entries(output.modules)) {
    if (!m.code) continue;
    const min = (await minify(m.code, { ecma: 2020, toplevel: false })).code || '';
    rows.push([id.startsWith(root) ? id.slice(root.length + 1) : 'the app', min.length, gzip(min)]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  console.log('\nPresign path by source module (each minified and gzipped alone, so the gzip column does not add up):');
  for (const [id, min, gz] of rows) console.log(`  ${id.padEnd(22)} ${String(min).padStart(6)} B min  ${String(gz).padStart(5)} B gzip`);

  // Per function and method, in the minified presign bundle. Terser mangles #private names even
  // with top-level names kept, so the names come from an unmangled build of the same code, in order.
  const min = (mangle) => bundleApp(app, { plugins: [plugin], minify: true, terserOptions: { module: false, toplevel: false, mangle } });
  const members = (code) => {
    const ast = parseAst(code);
    const top = new Set(ast.body.flatMap((st) => (st.type === 'VariableDeclaration' ? st.declarations : [st])));
    const out = [];
    for (const [n] of walk(ast)) {
      if (n.type === 'MethodDefinition' || n.type === 'PropertyDefinition') out.push([(n.key.type === 'PrivateIdentifier' ? '#' : '.') + (n.key.name ?? n.key.value), n]);
      else if (top.has(n) && n.type === 'FunctionDeclaration') out.push([n.id.name, n]);
      else if (top.has(n) && n.type === 'VariableDeclarator' && /Function/.test(n.init?.type ?? '')) out.push([n.id.name, n]);
    }
    return out;
  };
  const { code } = await min({ toplevel: false });
  const named = members((await min(false)).code);
  const fns = members(code).map(([name, n], i) => [named[i]?.[0] ?? name, n.end - n.start, gzip(code.slice(n.start, n.end))]);
  fns.sort((a, b) => b[1] - a[1]);
  console.log('\nLargest top-level functions and class members (.method, #private) of the presign path (minified; gzip alone):');
  for (const [name, min, gz] of fns.slice(0, 16)) console.log(`  ${name.padEnd(28)} ${String(min).padStart(6)} B min  ${String(gz).padStart(5)} B gzip`);

  // Longest string literals (error messages mostly).
  const strs = [];
  const long = []; // [start, end] of every literal text over 24 characters
  for (const [n] of walk(parseAst(code)))
    if (n.type === 'Literal' && typeof n.value === 'string') {
      strs.push(code.slice(n.start, n.end));
      if (n.end - n.start > 26) long.push([n.start + 1, n.end - 1]);
    } else if (n.type === 'TemplateElement') {
      strs.push('`' + n.value.raw + '`');
      if (n.value.raw.length > 24) long.push([n.start, n.start + n.value.raw.length]);
    }
  strs.sort((a, b) => b.length - a.length);
  const total = strs.reduce((s, x) => s + x.length, 0);
  console.log(`\nString literals: ${strs.length}, ${total} B of ${code.length} B minified (${Math.round((100 * total) / code.length)} %); gzip of them all together: ${gzip(strs.join(''))} B. Longest:`);
  for (const s of strs.slice(0, 12)) console.log(`  ${String(s.length).padStart(4)} ${s.length > 110 ? s.slice(0, 107) + '…' : s}`);
  let bare = code;
  for (const [a, b] of long.sort((x, y) => y[0] - x[0])) bare = bare.slice(0, a) + bare.slice(b);
  console.log(`  what-if: with every literal text over 24 characters emptied, this bundle is ${gzip(bare)} B gzip instead of ${gzip(code)} B (names kept)`);
};

// ---------------------------------------------------------------------------------------------

const main = async () => {
  const { values: args } = parseArgs({ options: { budget: { type: 'string', multiple: true }, why: { type: 'boolean' }, 'no-why': { type: 'boolean' } } });
  const budget = { ...BUDGET };
  for (const b of args.budget ?? []) {
    const m = /^(presign|umd)=(\d+)$/.exec(b);
    if (!m) throw new Error(`--budget ${b}: expected presign=BYTES or umd=BYTES`);
    budget[m[1]] = Number(m[2]);
  }
  for (const f of ['dist/cos-sign.mjs', 'dist/cos-sign.umd.js'])
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
  const { code: presign, chunks } = await bundleApp(APP, { minify: true });
  const umd = readFileSync(join(root, 'dist/cos-sign.umd.js'), 'utf8');
  const cosJs = readFileSync(join(root, 'node_modules/cos-js-sdk-v5/dist/cos-js-sdk-v5.min.js'), 'utf8');
  const cosJsGz = gzip(cosJs);
  const rows = [
    ['presign path (CosSigner + one presigned URL, tree-shaken, minified)', presign, budget.presign],
    ['whole UMD file dist/cos-sign.umd.js', umd, budget.umd],
  ];
  let over = false;
  console.log('cos-sign size (min+gzip, gzip -9):');
  for (const [what, code, budget] of rows) {
    const gz = gzip(code);
    const bad = gz > budget;
    over ||= bad;
    console.log(
      `  ${bad ? 'OVER' : 'ok  '} ${what}: ${code.length.toLocaleString('en')} B min, ${gz.toLocaleString('en')} B gzip ` +
        `(budget ${budget.toLocaleString('en')} B; ${(gz / AWS4FETCH).toFixed(2)}× aws4fetch ${AWS4FETCH.toLocaleString('en')} B, ` +
        `${((100 * gz) / cosJsGz).toFixed(1)} % of cos-js-sdk-v5 ${cosJsGz.toLocaleString('en')} B)`,
    );
  }
  for (const c of chunks.slice(1))
    console.log(`       + lazily loaded, not on the presign path: ${c.fileName} ${c.code.length.toLocaleString('en')} B min, ${gzip(c.code).toLocaleString('en')} B gzip`);
  // An app that uploads: what it loads up front and on its first upload.
  const up = await bundleApp(`import { CosSigner, upload } from 'cos-sign';\nconst signer = new CosSigner({ region: 'ap-guangzhou', credentials: { secretId: 'AKIDexample', secretKey: 'example' } });\nupload(signer, { bucket: 'examplebucket-1250000000', key: 'a.bin', body: new Blob(['x']) }).then((r) => console.log(r.etag));`, { minify: true });
  // (Not the signRequest/fetch/getPostPolicy chunk: upload() does not load it.)
  const later = up.chunks.slice(1).filter((c) => !Object.keys(c.modules).some((m) => m.includes('cos-sign-requests')));
  const laterGz = later.reduce((n, c) => n + gzip(c.code), 0);
  console.log(`  apart: an app that uploads (CosSigner + upload): ${gzip(up.code).toLocaleString('en')} B gzip up front, ${laterGz.toLocaleString('en')} B gzip in ${later.length} chunks loaded on the first upload`);
  // cos-sign/sts, printed apart: its own entry and UMD file, on no presign path, no budget here.
  const sts = existsSync(join(root, 'dist/sts.umd.js')) && [(await bundleApp(`import * as sts from 'cos-sign/sts'; globalThis.sts = sts;`, { minify: true })).code, readFileSync(join(root, 'dist/sts.umd.js'), 'utf8')];
  if (sts) console.log(`  apart: cos-sign/sts (the whole entry, bundled and minified) ${sts[0].length.toLocaleString('en')} B min, ${gzip(sts[0]).toLocaleString('en')} B gzip; dist/sts.umd.js ${sts[1].length.toLocaleString('en')} B min, ${gzip(sts[1]).toLocaleString('en')} B gzip`);
  console.log(`  for scale: aws4fetch ${AWS4FETCH.toLocaleString('en')} B (published); cos-js-sdk-v5 1.10.1 dist min.js ${cosJs.length.toLocaleString('en')} B min, ${cosJsGz.toLocaleString('en')} B gzip (measured here)`);
  if (args.why || (over && !args['no-why'])) await why();
  if (over) {
    console.error('\nsize budget exceeded');
    process.exitCode = 1;
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
