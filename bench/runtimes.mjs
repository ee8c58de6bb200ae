// cos-sign's presign batch against the bare crypto.subtle loop in Deno, Bun, workerd and Chromium, each
// measured as in Node (bench/presign.mjs: interleaved, medians, same run), on the built files. Used by
// bench/run.mjs (part "bare"). Deno, Bun and workerd come from test/runtimes (`npm run test:runtimes`
// installs them once); a runtime that is missing is reported, not measured.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gcShares, traceGcPauses } from './presign.mjs';
import { serveAndLaunch } from './browser.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const bin = (name) => here(`../test/runtimes/node_modules/.bin/${name}`);
const distDir = () => (process.env.COS_SIGN_DIST ? process.env.COS_SIGN_DIST.replace(/\/?$/, '/') : here('../dist/'));
const TIMEOUT = 15 * 60_000;

/** Runs a command; resolves to its stdout and stderr (rejects on a non-zero exit, with their ends). */
const run = (cmd, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      code === 0
        ? resolve({ out, err })
        : reject(new Error(`${cmd} exited with ${code}: ${(err || out).slice(-1500)}`));
    });
  });

/** The `PRESIGN {json}` line of a run. */
const result = (text) => {
  const line = text.split('\n').find((l) => l.startsWith('PRESIGN '));
  if (!line) throw new Error(`no result: ${text.slice(-1500)}`);
  return JSON.parse(line.slice(8));
};

const missing = (name) => ({
  name,
  skipped: `not installed: run \`npm run test:runtimes\` once (it installs ${name} into test/runtimes)`,
});

export const runDeno = async ({ rounds, sizes }) => {
  if (!existsSync(bin('deno'))) return missing('deno');
  const { out } = await run(
    bin('deno'),
    [
      'run',
      '--no-remote',
      '--no-npm',
      '--no-config',
      '--no-lock',
      '--v8-flags=--expose-gc',
      `--allow-read=${here('.')},${distDir()}`,
      here('./runtime-entry.mjs'),
      pathToFileURL(distDir()).href,
      String(rounds),
      sizes.join(),
    ],
    {
      env: {
        ...process.env,
        DENO_NO_UPDATE_CHECK: '1',
        NO_COLOR: '1',
        DENO_DIR: join(tmpdir(), 'cos-sign-bench-deno'),
      },
    },
  );
  return { name: 'deno', ...result(out) };
};

export const runBun = async ({ rounds, sizes }) => {
  if (!existsSync(bin('bun'))) return missing('bun');
  const { out } = await run(
    bin('bun'),
    ['run', '--no-install', here('./runtime-entry.mjs'), pathToFileURL(distDir()).href, String(rounds), sizes.join()],
    { env: { ...process.env, NO_COLOR: '1' } },
  );
  return { name: 'bun', ...result(out) };
};

/** workerd: `workerd test` of bench/workerd-entry.mjs with the harness and dist/ embedded, V8's --trace-gc on. */
export const runWorkerd = async ({ rounds, sizes }) => {
  if (!existsSync(bin('workerd'))) return missing('workerd');
  const dir = mkdtempSync(join(tmpdir(), 'cos-sign-bench-workerd-'));
  try {
    mkdirSync(join(dir, 'bench'));
    mkdirSync(join(dir, 'dist'));
    const modules = [];
    for (const f of ['workerd-entry.mjs', 'presign.mjs', 'bare.mjs', 'workload.mjs'])
      copyFileSync(here(`./${f}`), join(dir, 'bench', f)), modules.push(`bench/${f}`);
    for (const f of readdirSync(distDir()).filter((f) => f.endsWith('.mjs')))
      copyFileSync(join(distDir(), f), join(dir, 'dist', f)), modules.push(`dist/${f}`);
    writeFileSync(join(dir, 'bench/options.json'), JSON.stringify({ rounds, sizes }));
    const list = modules.map((m) => `(name = "${m}", esModule = embed "${m}"),`).join('\n    ');
    writeFileSync(
      join(dir, 'config.capnp'),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = ( services = [ (name = "bench", worker = .worker) ], v8Flags = ["--expose-gc", "--trace-gc"] );
const worker :Workerd.Worker = (
  modules = [
    ${list}
    (name = "bench/options.json", json = embed "bench/options.json"),
  ],
  compatibilityDate = "2026-11-17",
);
`,
    );
    // (The first module, bench/workerd-entry.mjs, is the worker's main module.)
    const { out, err } = await run(bin('workerd'), ['test', 'config.capnp'], { cwd: dir });
    const r = result(out + '\n' + err);
    gcShares(traceGcPauses(out), r);
    return {
      name: 'workerd',
      version: `workerd ${JSON.parse(readFileSync(here('../test/runtimes/node_modules/workerd/package.json'), 'utf8')).version}`,
      rows: r.rows,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/**
 * Chromium (@sparticuz/chromium through playwright-core; CHROMIUM_PATH overrides): bench/bare.html from
 * 127.0.0.1 (a secure context), cos-sign as dist/cos-sign.umd.js. One run for the figures; then a short
 * run traced (the page's MinorGC/MajorGC events) for the GC shares, so tracing does not slow the first.
 */
export const runChromium = async ({ rounds, sizes }) => {
  const files = {
    '/': [here('./bare.html'), 'text/html'],
    '/cos-sign.umd.js': [join(distDir(), 'cos-sign.umd.js'), 'text/javascript'],
    '/workload.mjs': [here('./workload.mjs'), 'text/javascript'],
    '/presign.mjs': [here('./presign.mjs'), 'text/javascript'],
    '/bare.mjs': [here('./bare.mjs'), 'text/javascript'],
  };
  const { server, browser, page } = await serveAndLaunch(files, ['--js-flags=--expose-gc']);
  try {
    const { rows } = await page.evaluate((o) => window.presign(o), { rounds, sizes });
    const cdp = await page.context().newCDPSession(page);
    const events = [];
    cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
    await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['v8'] }, transferMode: 'ReportEvents' });
    const traced = await page.evaluate((o) => window.presign(o), { rounds: 3, sizes });
    const complete = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.end');
    await complete;
    const gcs = events.filter((e) => e.ph == 'X' && (e.name == 'MinorGC' || e.name == 'MajorGC'));
    const main = gcs.find((e) => e.args?.type == 'testing')?.tid;
    gcShares(
      gcs
        .filter((e) => e.tid == main)
        .sort((a, b) => a.ts - b.ts)
        .map((e) => ({ ms: e.dur / 1000, forced: e.args?.type == 'testing' })),
      traced,
    );
    for (const [i, r] of rows.entries()) (r.cos.gc = traced.rows[i].cos.gc), (r.bare.gc = traced.rows[i].bare.gc);
    return { name: 'chromium', version: `Chromium ${browser.version()}`, rows };
  } finally {
    await browser.close();
    server.close();
  }
};
