// The size budgets, measured as users' bundlers see them (`npm run size`, part of `npm test`; run
// `npm run build` first).
//
// Two apps are built against the built package, which each bundler resolves itself through
// package.json "exports" with its browser conditions (the package is linked as node_modules/cos-sign
// in a temporary folder, removed afterwards), with four bundlers, in this process through their JS APIs:
//   rollup 4 + @rollup/plugin-node-resolve (browser) + @rollup/plugin-terser; esbuild (bundle, minify,
//   ESM); webpack 5 (production mode, its default terser); Vite 8 (Rolldown; modulePreload off).
// - presign: an app that imports only `CosSigner` and presigns one URL.
// - upload: an app with `CosSigner`, `upload` (one Blob) and `listObjects` (one listing loop).
// For each, min and gzip -9 of everything the app ships: every JS chunk the bundler emits, each
// gzipped alone (a browser fetches them one by one), summed, with the number of chunks.
// Budgets (min+gzip):
//   presign: 4,200 B with rollup or esbuild, 4,300 B with webpack or Vite (their runtimes and the
//            top-level calls they keep cost a little more);
//   upload:  13,000 B with rollup or esbuild, 13,500 B with Vite, 14,000 B with webpack;
//   umd:     the whole file dist/cos-sign.umd.js, gzip -9, 14,000 B. It holds everything, so a UMD user
//            pays for all of it (13,000 B until verified bytes, download() and stream uploads joined it,
//            about +2.2 KB with crc64, MD5, Content-MD5 and the stream paths).
// Prints each beside aws4fetch (2,721 B, its published figure) and cos-js-sdk-v5 (its dist min.js,
// gzipped here), and exits 1, with an OVER line, when a budget is exceeded. When over budget (or with
// --why) it also prints where the bytes go in the app that is over (rollup, from src/): each source
// module, the largest functions and methods, and the longest string literals (--no-why leaves that out).
//
//   node scripts/size.mjs [--budget KEY=BYTES ...] [--why | --no-why]
//
// --budget replaces a budget for one run (test/size.test.ts checks that exceeding one fails). KEY is
// `umd`, an app (`presign`, `upload`: every bundler's budget for it) or an app and a bundler
// (`presign.rollup`, `upload.webpack`, …), which wins over the app's, whatever the order.
//
// Also a library: `bundleApp` (used by test/conformance.test.ts to bundle an app for the browser).
import {
  readFileSync,
  existsSync,
  mkdtempSync,
  mkdirSync,
  writeFileSync,
  symlinkSync,
  unlinkSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { rollup } from 'rollup';
import { parseAst } from 'rollup/parseAst';
import terser from '@rollup/plugin-terser';
import nodeResolve from '@rollup/plugin-node-resolve';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLERS = ['rollup', 'esbuild', 'webpack', 'vite'];
/** min+gzip budgets in bytes: `<app>.<bundler>` and `umd`. */
export const BUDGET = {
  'presign.rollup': 4200,
  'presign.esbuild': 4200,
  'presign.webpack': 4300,
  'presign.vite': 4300,
  'upload.rollup': 13000,
  'upload.esbuild': 13000,
  'upload.vite': 13500,
  'upload.webpack': 14000,
  umd: 14000,
};
const AWS4FETCH = 2721; // aws4fetch 1.0.20, min+gzip, as published (bundlephobia); not installed here
const SIGNER = `const signer = new CosSigner({ region: 'ap-guangzhou', credentials: { secretId: 'AKIDexample', secretKey: 'example' } });`;
export const APPS = {
  presign: {
    what: 'CosSigner + one getPresignedUrl',
    code: `import { CosSigner } from 'cos-sign';
${SIGNER}
signer.getPresignedUrl({ method: 'GET', bucket: 'examplebucket-1250000000', key: 'a.txt' }).then((url) => console.log(url));
`,
  },
  upload: {
    what: 'CosSigner + upload of a Blob + a listObjects loop',
    code: `import { CosSigner, upload, listObjects } from 'cos-sign';
${SIGNER}
const bucket = 'examplebucket-1250000000';
upload(signer, { bucket, key: 'a.bin', body: new Blob(['x']) }).then(async (r) => {
  console.log(r.etag);
  for await (const page of listObjects(signer, { bucket, prefix: 'a' })) for (const o of page.objects) console.log(o.key, o.size);
});
`,
  },
};

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
      for (const [k, v] of Object.entries(t))
        if (conditions.includes(k)) {
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
 * imports are an error. `minify`: terser, as a production build does; `output`: more rollup output
 * options. Returns { code, output, chunks }: the entry chunk's code and rollup output, and every chunk
 * (the entry first).
 */
export const bundleApp = async (
  code,
  {
    conditions = ['browser', 'import', 'module', 'default'],
    minify = false,
    plugins = [],
    terserOptions,
    output: outputOptions,
  } = {},
) => {
  const entry = '\0app.mjs';
  const bundle = await rollup({
    input: entry,
    onwarn: (w) => {
      throw new Error(`rollup: ${w.message}`);
    },
    plugins: [
      {
        name: 'app',
        resolveId: (id) =>
          id === entry ? id : id === 'cos-sign' || id.startsWith('cos-sign/') ? resolveExport(id, conditions) : null,
        load: (id) => (id === entry ? code : null),
      },
      ...plugins,
    ],
  });
  const { output } = await bundle.generate({
    format: 'es',
    plugins: minify ? [terser({ ecma: 2020, module: true, ...terserOptions })] : [],
    ...outputOptions,
  });
  await bundle.close();
  // output[0] is the entry chunk; the rest are chunks it imports (statically or with import()).
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
      return ts.transpileModule(code, {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
      }).outputText;
    },
  };
};

const why = async (name) => {
  const src = join(root, 'src/index.ts');
  const app = APPS[name].code.replace("'cos-sign'", JSON.stringify(src));
  const plugin = await transpile();
  // Everything the app ships, as one chunk (should src/ load some of it with import() again).
  const output = { inlineDynamicImports: true };
  const label = `the ${name} app (${APPS[name].what}; rollup, from src/)`;
  // Per module: its tree-shaken code in the app, minified and gzipped alone.
  const { output: out } = await bundleApp(app, { plugins: [plugin], output });
  const { minify } = await import('terser');
  const rows = [];
  for (const [id, m] of Object.entries(out.modules)) {
    if (!m.code) continue;
    const min = (await minify(m.code, { ecma: 2020, toplevel: false })).code || '';
    rows.push([id.startsWith(root) ? id.slice(root.length + 1) : 'the app', min.length, gzip(min)]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  console.log(
    `\n${label[0].toUpperCase() + label.slice(1)} by source module (each minified and gzipped alone, so the gzip column does not add up):`,
  );
  for (const [id, min, gz] of rows)
    console.log(`  ${id.padEnd(22)} ${String(min).padStart(6)} B min  ${String(gz).padStart(5)} B gzip`);

  // Per function and method, in the minified bundle. Terser mangles #private names even
  // with top-level names kept, so the names come from an unmangled build of the same code, in order.
  const min = (mangle) =>
    bundleApp(app, {
      plugins: [plugin],
      minify: true,
      terserOptions: { module: false, toplevel: false, mangle },
      output,
    });
  const members = (code) => {
    const ast = parseAst(code);
    const top = new Set(ast.body.flatMap((st) => (st.type === 'VariableDeclaration' ? st.declarations : [st])));
    const out = [];
    for (const [n] of walk(ast)) {
      if (n.type === 'MethodDefinition' || n.type === 'PropertyDefinition')
        out.push([(n.key.type === 'PrivateIdentifier' ? '#' : '.') + (n.key.name ?? n.key.value), n]);
      else if (top.has(n) && n.type === 'FunctionDeclaration') out.push([n.id.name, n]);
      else if (top.has(n) && n.type === 'VariableDeclarator' && /Function/.test(n.init?.type ?? ''))
        out.push([n.id.name, n]);
    }
    return out;
  };
  const { code } = await min({ toplevel: false });
  const named = members((await min(false)).code);
  const fns = members(code).map(([name, n], i) => [
    named[i]?.[0] ?? name,
    n.end - n.start,
    gzip(code.slice(n.start, n.end)),
  ]);
  fns.sort((a, b) => b[1] - a[1]);
  console.log(
    `\nLargest top-level functions and class members (.method, #private) of ${label} (minified; gzip alone):`,
  );
  for (const [name, min, gz] of fns.slice(0, 16))
    console.log(`  ${name.padEnd(28)} ${String(min).padStart(6)} B min  ${String(gz).padStart(5)} B gzip`);

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
  console.log(
    `\nString literals of the ${name} app: ${strs.length}, ${total} B of ${code.length} B minified (${Math.round((100 * total) / code.length)} %); gzip of them all together: ${gzip(strs.join(''))} B. Longest:`,
  );
  for (const s of strs.slice(0, 12))
    console.log(`  ${String(s.length).padStart(4)} ${s.length > 110 ? s.slice(0, 107) + '…' : s}`);
  let bare = code;
  for (const [a, b] of long.sort((x, y) => y[0] - x[0])) bare = bare.slice(0, a) + bare.slice(b);
  console.log(
    `  what-if: with every literal text over 24 characters emptied, this bundle is ${gzip(bare)} B gzip instead of ${gzip(code)} B (names kept)`,
  );
};

// ---------------------------------------------------------------------------------------------

/**
 * Builds each app of APPS with each bundler of BUNDLERS, in a temporary folder where the package is
 * node_modules/cos-sign (a link to this folder), so that every bundler resolves 'cos-sign' through its
 * package.json "exports" with its own browser conditions. Returns { 'presign.rollup': [{ fileName,
 * code }, …], … }: every JS chunk each build emits.
 */
export const buildApps = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cos-sign-size-'));
  const link = join(dir, 'node_modules/cos-sign');
  try {
    mkdirSync(dirname(link));
    symlinkSync(root, link, 'dir');
    for (const [name, { code }] of Object.entries(APPS)) writeFileSync(join(dir, `${name}.mjs`), code);
    const builds = [];
    for (const name of Object.keys(APPS))
      for (const bundler of BUNDLERS)
        builds.push([`${name}.${bundler}`, build[bundler](dir, name, join(dir, `out-${bundler}-${name}`))]);
    // All settled before the folder goes; the first failure is thrown.
    const done = await Promise.allSettled(builds.map(([, p]) => p));
    const failed = done.find((d) => d.status === 'rejected');
    if (failed) throw failed.reason;
    return Object.fromEntries(builds.map(([key], i) => [key, done[i].value]));
  } finally {
    // The link first, so that removing the folder cannot reach this package.
    if (existsSync(link)) unlinkSync(link);
    rmSync(dir, { recursive: true, force: true });
  }
};

// name -> (dir, app, outDir) -> [{ fileName, code }]: the JS chunks a production build emits.
const version = (pkg) => JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
const build = {
  rollup: async (dir, app) => {
    const bundle = await rollup({
      input: join(dir, `${app}.mjs`),
      onwarn: (w) => {
        throw new Error(`rollup: ${w.message}`);
      },
      plugins: [nodeResolve({ browser: true })],
    });
    try {
      const { output } = await bundle.generate({ format: 'es', plugins: [terser({ ecma: 2020, module: true })] });
      return output.filter((o) => o.type === 'chunk').map((c) => ({ fileName: c.fileName, code: c.code }));
    } finally {
      await bundle.close();
    }
  },
  esbuild: async (dir, app, outdir) => {
    const esbuild = await import('esbuild');
    const r = await esbuild.build({
      entryPoints: [join(dir, `${app}.mjs`)],
      absWorkingDir: dir,
      outdir,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    return r.outputFiles
      .filter((f) => f.path.endsWith('.js'))
      .map((f) => ({ fileName: f.path.slice(outdir.length + 1), code: f.text }));
  },
  webpack: async (dir, app, outdir) => {
    const { default: webpack } = await import('webpack');
    const compiler = webpack({ mode: 'production', context: dir, entry: `./${app}.mjs`, output: { path: outdir } });
    const stats = await new Promise((res, rej) => compiler.run((e, s) => (e ? rej(e) : res(s))));
    await new Promise((res) => compiler.close(res));
    if (stats.hasErrors())
      throw new Error(
        `webpack: ${stats
          .toJson({ all: false, errors: true })
          .errors.map((e) => e.message)
          .join('\n')}`,
      );
    return readdirSync(outdir)
      .filter((f) => f.endsWith('.js'))
      .sort()
      .map((f) => ({ fileName: f, code: readFileSync(join(outdir, f), 'utf8') }));
  },
  vite: async (dir, app) => {
    const { build } = await import('vite');
    const r = await build({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      build: { modulePreload: false, write: false, rolldownOptions: { input: join(dir, `${app}.mjs`) } },
    });
    return (Array.isArray(r) ? r : [r])
      .flatMap((o) => o.output)
      .filter((o) => o.type === 'chunk')
      .map((c) => ({ fileName: c.fileName, code: c.code }));
  },
};
const BUNDLER_NAMES = {
  rollup: () =>
    `rollup ${version('rollup')} + node-resolve ${version('@rollup/plugin-node-resolve')} + terser ${version('@rollup/plugin-terser')}`,
  esbuild: () => `esbuild ${version('esbuild')} (minify)`,
  webpack: () => `webpack ${version('webpack')} (production, its terser)`,
  vite: () => `Vite ${version('vite')} (Rolldown; modulePreload off)`,
};

/** `--budget` values applied to BUDGET: `umd=N`, `<app>=N` (every bundler), `<app>.<bundler>=N` (wins). */
export const parseBudgets = (list = []) => {
  const budget = { ...BUDGET };
  const apps = Object.keys(APPS).join('|');
  const re = new RegExp(`^(umd|(?:${apps})(?:\\.(?:${BUNDLERS.join('|')}))?)=(\\d+)$`);
  const given = list.map((b) => {
    const m = re.exec(b);
    if (!m)
      throw new Error(
        `--budget ${b}: expected KEY=BYTES, KEY one of umd, ${Object.keys(APPS).join(', ')}, or an app and a bundler (e.g. presign.rollup)`,
      );
    return [m[1], Number(m[2])];
  });
  // An app's budget first, then the app-and-bundler ones, so that the more precise one wins.
  for (const [key, n] of given.filter(([k]) => !k.includes('.')))
    for (const k of Object.keys(budget)) if (k === key || k.startsWith(key + '.')) budget[k] = n;
  for (const [key, n] of given.filter(([k]) => k.includes('.'))) budget[key] = n;
  return budget;
};

const fmt = (n) => n.toLocaleString('en');

const main = async () => {
  const started = performance.now();
  const { values: args } = parseArgs({
    options: { budget: { type: 'string', multiple: true }, why: { type: 'boolean' }, 'no-why': { type: 'boolean' } },
  });
  let budget;
  try {
    budget = parseBudgets(args.budget);
  } catch (e) {
    console.error(e.message);
    process.exitCode = 1;
    return;
  }
  for (const f of ['dist/cos-sign.mjs', 'dist/cos-sign.umd.js'])
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
  const built = await buildApps();
  const umd = readFileSync(join(root, 'dist/cos-sign.umd.js'), 'utf8');
  const cosJs = readFileSync(join(root, 'node_modules/cos-js-sdk-v5/dist/cos-js-sdk-v5.min.js'), 'utf8');
  const cosJsGz = gzip(cosJs);
  const overApps = new Set();
  let over = false;
  const row = (key, min, gz, chunks) => {
    const bad = gz > budget[key];
    over ||= bad;
    if (bad && key !== 'umd') overApps.add(key.split('.')[0]);
    const n = chunks === undefined ? '' : `, ${chunks} chunk${chunks === 1 ? '' : 's'}`;
    console.log(
      `  ${bad ? 'OVER' : 'ok  '} ${key.padEnd(15)} ${fmt(min).padStart(6)} B min, ${fmt(gz).padStart(6)} B gzip${n} ` +
        `(budget ${fmt(budget[key])} B; ${(gz / AWS4FETCH).toFixed(2)}× aws4fetch ${fmt(AWS4FETCH)} B, ` +
        `${((100 * gz) / cosJsGz).toFixed(1)} % of cos-js-sdk-v5 ${fmt(cosJsGz)} B)`,
    );
  };
  console.log('cos-sign size: min and gzip -9 of every JS chunk an app ships (each gzipped alone), summed');
  console.log(
    `  apps built against dist/ through package.json "exports" with ${BUNDLERS.map((b) => BUNDLER_NAMES[b]()).join('; ')}`,
  );
  for (const [name, { what }] of Object.entries(APPS)) {
    console.log(`${name}: ${what}`);
    for (const bundler of BUNDLERS) {
      const chunks = built[`${name}.${bundler}`];
      row(
        `${name}.${bundler}`,
        chunks.reduce((n, c) => n + c.code.length, 0),
        chunks.reduce((n, c) => n + gzip(c.code), 0),
        chunks.length,
      );
    }
  }
  console.log('umd: the whole UMD file dist/cos-sign.umd.js');
  row('umd', umd.length, gzip(umd));
  // cos-sign/sts, printed apart: its own entry and UMD file, in neither app, no budget here.
  const sts = existsSync(join(root, 'dist/sts.umd.js')) && [
    (await bundleApp(`import * as sts from 'cos-sign/sts'; globalThis.sts = sts;`, { minify: true })).code,
    readFileSync(join(root, 'dist/sts.umd.js'), 'utf8'),
  ];
  if (sts)
    console.log(
      `apart: cos-sign/sts (the whole entry, rollup, minified) ${fmt(sts[0].length)} B min, ${fmt(gzip(sts[0]))} B gzip; dist/sts.umd.js ${fmt(sts[1].length)} B min, ${fmt(gzip(sts[1]))} B gzip`,
    );
  console.log(
    `for scale: aws4fetch ${fmt(AWS4FETCH)} B (published); cos-js-sdk-v5 1.10.1 dist min.js ${fmt(cosJs.length)} B min, ${fmt(cosJsGz)} B gzip (measured here)`,
  );
  console.log(`(measured in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  if (!args['no-why']) for (const name of Object.keys(APPS)) if (args.why || overApps.has(name)) await why(name);
  if (over) {
    console.error('\nsize budget exceeded');
    process.exitCode = 1;
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
