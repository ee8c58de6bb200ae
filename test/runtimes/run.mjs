// `npm run test:runtimes`: the conformance suite (test/conformance/suite.mjs) against the BUILT package,
// installed as a user installs it, in every runtime the library claims:
//   node  — `import 'cos-sign'` and `require('cos-sign')`
//   happy-dom — vitest's happy-dom environment (test/conformance.test.ts, on dist/)
//   deno  — the ESM file, offline (--no-remote --no-npm)
//   bun   — `import 'cos-sign'`
//   workerd — `workerd test` of a worker embedding the ESM file and the vectors (no port)
//   chromium, firefox, webkit — the ESM file from <script type="module"> and the UMD file from a classic
//              <script>, on pages served from 127.0.0.1 (a secure context, so crypto.subtle exists), in
//              each engine of test/e2e/engines.mjs: Chromium (@sparticuz/chromium), Firefox ESR and
//              WebKitGTK (Debian's packages). An engine that is not installed is one line saying so and
//              the command that installs it, and is skipped, unless COS_SIGN_REQUIRE_ENGINES=1 (CI sets
//              it), which makes it a failure.
//
// The package is `npm pack`ed and unpacked into a temporary node_modules/cos-sign, so only the files a
// user gets are there (happy-dom excepted: vitest imports ../dist/cos-sign.mjs). Deno, Bun and workerd
// come from test/runtimes/package.json (exact pins, its own lockfile), installed here with `npm ci` when
// missing or not the pinned versions. One line per runtime; exit 1 on any failure.
// Run `npm run build` first. `--only node-esm,deno,…` runs a subset; an engine's name (`--only firefox`)
// stands for both of its targets.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPacked } from '../package/pack.mjs';
import { ENGINES, available, launch } from '../e2e/engines.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const bin = (name) => join(here, 'node_modules/.bin', name);
const TIMEOUT = 60_000;
const started = Date.now();

const only = (() => {
  const i = process.argv.indexOf('--only');
  return i > 0
    ? new Set(process.argv[i + 1].split(',').flatMap((n) => (ENGINES.includes(n) ? [`${n}-esm`, `${n}-umd`] : [n])))
    : undefined;
})();
const REQUIRE_ENGINES = /^(1|true|yes)$/i.test(process.env.COS_SIGN_REQUIRE_ENGINES ?? '');

for (const f of ['dist/cos-sign.mjs', 'dist/cos-sign.cjs', 'dist/cos-sign.umd.js'])
  if (!existsSync(join(root, f))) {
    console.error(`${f} is missing: run \`npm run build\` first`);
    process.exit(1);
  }

// --- Deno, Bun, workerd: from test/runtimes/package-lock.json ------------------------------------
const pins = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).devDependencies;
const installed = (n) => {
  try {
    return (
      existsSync(bin(n)) &&
      JSON.parse(readFileSync(join(here, 'node_modules', n, 'package.json'), 'utf8')).version === pins[n]
    );
  } catch {
    return false;
  }
};
if (!Object.keys(pins).every(installed)) {
  console.log('test/runtimes: installing deno, bun and workerd from its lockfile (npm ci) …');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: here,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 300_000,
  });
  if (r.status !== 0) {
    console.error(`npm ci in test/runtimes failed (${r.error?.message ?? 'exit ' + r.status})`);
    process.exit(1);
  }
}

// --- The package as a user installs it ----------------------------------------------------------
const tmp = mkdtempSync(join(tmpdir(), 'cos-sign-runtimes-'));
const app = join(tmp, 'app');
try {
  installPacked(app);
} catch (e) {
  console.error(e.message);
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}
cpSync(join(here, 'entries'), app, { recursive: true });
cpSync(join(root, 'test/conformance/suite.mjs'), join(app, 'suite.mjs'));
cpSync(join(root, 'test/fixtures/python-sdk.jsonl'), join(app, 'python-sdk.jsonl'));
// workerd embeds modules by name: every ESM file of the package (the entry may import chunks).
const capnp = join(app, 'config.capnp');
const distModules = readdirSync(join(app, 'node_modules/cos-sign/dist'))
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => `(name = "node_modules/cos-sign/dist/${f}", esModule = embed "node_modules/cos-sign/dist/${f}"),`);
writeFileSync(capnp, readFileSync(capnp, 'utf8').replace('@DIST_MODULES@', distModules.join('\n    ')));

// --- Runners: each resolves to { passed, failed, failures, resolved, version } -------------------
/** Runs a command in the app dir with a time limit; the suite's result is its last CONFORMANCE line. */
const exec = (cmd, args, env = {}, cwd = app) =>
  new Promise((resolveRun) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT);
    const done = (code, why) => {
      clearTimeout(timer);
      const line = (out + '\n' + err)
        .split('\n')
        .reverse()
        .find((l) => l.includes('CONFORMANCE {'));
      if (line) {
        const r = JSON.parse(line.slice(line.indexOf('CONFORMANCE {') + 12));
        if (code !== 0) r.failures.push({ name: 'exit status', message: `${cmd} exited with ${code}` }), r.failed++;
        return resolveRun(r);
      }
      resolveRun({
        passed: 0,
        failed: 1,
        failures: [{ name: 'no result', message: `${why ?? 'exit ' + code}\n${(err || out).slice(-2000)}` }],
      });
    };
    child.on('error', (e) => done(-1, e.message));
    child.on('close', (code, signal) => done(code, signal && `killed by ${signal} after ${TIMEOUT} ms`));
  });

const denoDir = join(tmp, 'deno-dir');
const pkgFile = (f) => `node_modules/cos-sign/dist/${f}`;
const workerdVersion = JSON.parse(readFileSync(join(here, 'node_modules/workerd/package.json'), 'utf8')).version;
// name: [label, run, the file the runtime must have loaded (a substring of what it reports)]
const runtimes = {
  // happy-dom as vitest's environment: test/conformance.test.ts under the happy-dom project, on dist/ (first: it takes longest).
  'happy-dom': [
    'happy-dom: vitest environment',
    async () => {
      const r = await exec(
        process.execPath,
        [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/conformance.test.ts', '--project', 'happy-dom'],
        { NO_COLOR: '1' },
        root,
      );
      if (r.passed && !/^HappyDOM\//.test(r.version))
        r.failures.push({ name: 'environment', message: `ran under ${r.version}, not happy-dom` }), r.failed++;
      return r;
    },
    'dist/cos-sign.mjs',
  ],
  'node-esm': ['node: import "cos-sign"', () => exec(process.execPath, ['node-esm.mjs']), pkgFile('cos-sign.mjs')],
  'node-cjs': ['node: require("cos-sign")', () => exec(process.execPath, ['node-cjs.cjs']), pkgFile('cos-sign.cjs')],
  deno: [
    'deno: the ESM file, offline',
    () =>
      exec(
        bin('deno'),
        ['run', '--no-remote', '--no-npm', '--no-config', '--no-lock', `--allow-read=${app}`, 'deno.mjs'],
        {
          DENO_DIR: denoDir,
          DENO_NO_UPDATE_CHECK: '1',
          NO_COLOR: '1',
        },
      ),
    pkgFile('cos-sign.mjs'),
  ],
  bun: [
    'bun: import "cos-sign"',
    () => exec(bin('bun'), ['run', '--no-install', 'bun.mjs'], { NO_COLOR: '1' }),
    pkgFile('cos-sign.mjs'),
  ],
  workerd: [
    'workerd: workerd test, no port',
    async () => ({ ...(await exec(bin('workerd'), ['test', 'config.capnp'])), version: `workerd ${workerdVersion}` }),
    pkgFile('cos-sign.mjs'),
  ],
};
for (const engine of ENGINES) {
  runtimes[`${engine}-esm`] = [
    `${engine}: <script type="module">`,
    () => inBrowser(engine, 'esm.html'),
    pkgFile('cos-sign.mjs'),
  ];
  runtimes[`${engine}-umd`] = [
    `${engine}: classic <script>, UMD`,
    () => inBrowser(engine, 'umd.html'),
    pkgFile('cos-sign.umd.js'),
  ];
}

// --- Browsers (test/e2e/engines.mjs), pages from 127.0.0.1 --------------------------------------
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.jsonl': 'text/plain' };
const server = createServer((req, res) => {
  if (req.url === '/favicon.ico') return res.writeHead(204).end();
  const path = normalize(join(app, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  if (!path.startsWith(app + sep) || !existsSync(path) || !TYPES[extname(path)]) return res.writeHead(404).end();
  res
    .writeHead(200, { 'content-type': TYPES[extname(path)] + '; charset=utf-8', 'cache-control': 'no-store' })
    .end(readFileSync(path));
});
let listening;
/** One browser per engine, launched by its first target, closed after its last. */
const browsers = {};
const pending = {};
/**
 * One page at a time per engine: two WebKit pages opening together (each its own WebKitWebDriver and
 * MiniBrowser, besides the one engines.mjs opens ahead) failed now and then on a loaded machine
 * ("fetch failed", "unknown error" from the driver). The two workers still overlap different engines.
 */
const turns = {};
const inBrowser = (engine, file) => {
  const turn = (turns[engine] ?? Promise.resolve()).then(() => inBrowserNow(engine, file));
  turns[engine] = turn.catch(() => {});
  return turn;
};
const inBrowserNow = async (engine, file) => {
  listening ??= new Promise((r) => server.listen(0, '127.0.0.1', r));
  await listening;
  browsers[engine] ??= launch(engine);
  const b = await browsers[engine];
  const page = await b.newPage();
  try {
    await page.goto(`http://127.0.0.1:${server.address().port}/${file}`, { timeout: TIMEOUT });
    // The result, or the first error the page recorded (a broken bundle never produces a result).
    const r = await page
      .waitForFunction(
        () =>
          window.__result ||
          (window.__errors.some((e) => e.startsWith('page error')) && { passed: 0, failed: 0, failures: [] }),
        null,
        { timeout: TIMEOUT },
      )
      .catch((e) => ({ passed: 0, failed: 1, failures: [{ name: 'no result', message: e.message.split('\n')[0] }] }));
    // What the page recorded, and what the engine reported besides (Chromium: a resource that failed).
    const errors = [
      ...new Set([
        ...(await page.evaluate(() => window.__errors)),
        ...(await page.errors()).map((e) => `page error: ${e}`),
        ...(await page.consoleErrors()).map((e) => `console error: ${e}`),
      ]),
    ];
    if (!(await page.evaluate(() => isSecureContext && !!crypto.subtle)))
      errors.push('the page is not a secure context with crypto.subtle');
    for (const message of errors) r.failures.push({ name: 'browser', message }), r.failed++;
    return { ...r, engine: b.name, version: `${b.name} ${b.version}`, userAgent: r.version };
  } finally {
    await page.close();
    if (--pending[engine] === 0) await b.close().catch(() => {}), delete browsers[engine];
  }
};

// --- Run, two at a time (2 cores), and report -------------------------------------------------------
const selected = Object.keys(runtimes).filter((n) => !only || only.has(n));
// Engines that are not installed: one line each (with the install command) instead of their targets.
const missing = [];
for (const engine of ENGINES) {
  const targets = selected.filter((n) => n.startsWith(engine + '-'));
  if (!targets.length) continue;
  const a = await available(engine);
  if (a.ok) pending[engine] = targets.length;
  else missing.push({ engine, targets, message: a.message });
}
const names = selected.filter((n) => !missing.some((m) => m.targets.includes(n)));
const results = {};
const queue = names.slice();
const worker = async () => {
  for (let n; (n = queue.shift()); ) {
    const t = Date.now();
    const [label, run, file] = runtimes[n];
    try {
      results[n] = await run();
    } catch (e) {
      results[n] = { passed: 0, failed: 1, failures: [{ name: 'runner', message: e?.stack ?? String(e) }] };
    }
    const r = results[n];
    // The suite must have run against the package's file this runtime is meant to load.
    if (r.passed && !String(r.resolved).replaceAll('\\', '/').includes(file))
      r.failures.push({ name: 'resolution', message: `loaded ${r.resolved}, expected ${file}` }), r.failed++;
    r.ms = Date.now() - t;
    r.label = label;
    r.file = file;
  }
};
try {
  await Promise.all([worker(), worker()]);
} finally {
  for (const b of Object.values(browsers)) await (await b.catch(() => null))?.close().catch(() => {});
  server.close();
  rmSync(tmp, { recursive: true, force: true });
}

let bad = 0;
console.log(`conformance suite (test/conformance/suite.mjs) on the built package, ${names.length} runs:`);
for (const n of names) {
  const r = results[n];
  const fail = r.failed > 0 || r.passed === 0;
  bad += fail;
  const v = r.version ? `  [${r.version}]` : '';
  console.log(
    `  ${fail ? 'FAIL' : 'ok  '} ${r.label.padEnd(34)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed  ${(r.ms / 1000).toFixed(1).padStart(4)} s  ${r.file.replace('node_modules/cos-sign/', '')}${v}`,
  );
  for (const f of r.failures.slice(0, 5)) console.log(`       ✗ ${f.name}: ${f.message.slice(0, 800)}`);
}
for (const m of missing) {
  bad += REQUIRE_ENGINES;
  console.log(
    `  ${REQUIRE_ENGINES ? 'FAIL' : 'skip'} ${`${m.engine} (${m.targets.map((n) => n.slice(m.engine.length + 1)).join(', ')})`.padEnd(34)} not run: ${m.message}`,
  );
}
if (missing.length && REQUIRE_ENGINES)
  console.log('  (COS_SIGN_REQUIRE_ENGINES is set: a missing engine is a failure)');
const skipped = missing.length && !REQUIRE_ENGINES ? `, ${missing.length} engine(s) not installed` : '';
console.log(
  `${bad ? `${bad} runtime(s) failed` : 'all runtimes passed'}${skipped} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(bad ? 1 : 0);
