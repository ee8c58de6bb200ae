// `npm run test:package`: the package as published is correct (run `npm run build` first).
// - publint --strict: every message, suggestions included, is a problem;
// - @arethetypeswrong/cli --pack: every entry point resolves to matching types and JS under node10,
//   node16 (from CJS and from ESM) and bundler resolution;
// - a clean clone of the committed HEAD packs with dist/ (the prepack script builds it), and its
//   tarball, installed with npm into a scratch project, works: import and require of 'cos-sign',
//   'cos-sign/sync', the UMD file as a classic script, the cos-sign command;
// - consumer projects type-check against the built .d.ts of the packed package, with skipLibCheck off,
//   under moduleResolution bundler, node16 and nodenext (ESM .mts and CommonJS .cts files for the
//   node ones), and a Node-only nodenext project without the DOM lib (@types/node only).
// The checks run two at a time; one line each; exit 1 on any problem.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { installPacked, packCleanClone, root, run } from './pack.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs a command (at most 2 minutes); resolves to its exit status and output. */
const exec = (cmd, args, opts) =>
  new Promise((resolveRun) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', (e) => (out += e.message));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolveRun({ status: signal ?? status, out: out.trim() });
    });
  });

for (const f of ['dist/cos-sign.mjs', 'dist/cos-sign.cjs', 'dist/cos-sign.d.ts', 'dist/cos-sign.d.mts'])
  if (!existsSync(join(root, f))) {
    console.error(`${f} is missing: run \`npm run build\` first`);
    process.exit(1);
  }
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const subpaths = Object.keys(pkg.exports ?? {}).filter((s) => s !== './package.json');
console.log(`package checks for ${pkg.name}@${pkg.version} (entry points ${subpaths.join(', ')}):`);

/** [name, () => Promise<problems: string[]>] */
const checks = [];

// The consumer projects: one source, as a bundler project's .ts and as a node project's ESM .mts and
// CommonJS .cts (whose imports resolve through the "require" condition), against the packed package.
const tmp = mkdtempSync(join(tmpdir(), 'cos-sign-consumer-'));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
// skipLibCheck off, so errors inside the package's .d.ts count; the default lib files are TypeScript's own.
const base = {
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  skipDefaultLibCheck: true,
  types: [],
  lib: ['ES2022', 'DOM'],
  target: 'ES2022',
};
const projects = [
  [
    'node-only',
    'nodenext, Node only (no DOM lib, @types/node)',
    { module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2022'], types: ['node'] },
    ['esm.mts', 'cjs.cts'],
  ],
  ['bundler', 'bundler', { module: 'ESNext', moduleResolution: 'bundler' }, ['app.ts']],
  ['node16', 'node16', { module: 'node16', moduleResolution: 'node16' }, ['esm.mts', 'cjs.cts']],
  ['nodenext', 'nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }, ['esm.mts', 'cjs.cts']],
];
for (const [id, name, options, files] of projects)
  checks.push([
    `consumer type-check, moduleResolution ${name}: ${files.join(' + ')}`,
    async () => {
      writeFileSync(
        join(tmp, `tsconfig.${id}.json`),
        JSON.stringify({ compilerOptions: { ...base, ...options }, files }, null, 2),
      );
      const r = await exec(process.execPath, [tsc, '-p', `tsconfig.${id}.json`, '--pretty', 'false'], { cwd: tmp });
      return r.status === 0 ? [] : [r.out || `tsc exited ${r.status}`];
    },
  ]);

// cos-sign/server is ESM only (Node ≥ 18, never bundled): checked apart under attw's esm-only profile
// (node16 from ESM, bundler); CommonJS code reaches it with import().
const ATTW_PASSES = [
  ['attw --pack (node10, node16 from CJS and ESM, bundler)', ['--exclude-entrypoints', './server']],
  [
    'attw --pack, cos-sign/server (ESM only: node16 from ESM, bundler)',
    ['--entrypoints', './server', '--profile', 'esm-only'],
  ],
];
checks.splice(
  1,
  0,
  ...ATTW_PASSES.map(([name, args]) => [
    name,
    async () => {
      // attw runs `npm pack`: without scripts, so prepack does not rebuild dist/ under the other checks.
      const r = await exec(
        join(root, 'node_modules/.bin/attw'),
        ['--pack', '.', '--no-color', '--format', 'table-flipped', ...args],
        {
          cwd: root,
          env: { ...process.env, FORCE_COLOR: '0', npm_config_ignore_scripts: 'true' },
        },
      );
      return r.status === 0 ? [] : [`attw exited ${r.status}:\n${r.out}`];
    },
  ]),
);

// What a user installs from a publish of a fresh checkout, or from git: one presigned URL each way,
// all the same, at a fixed time.
const SIGN = `{ region: 'ap-guangzhou', credentials: { secretId: 'AKIDpack', secretKey: 'packSecretKey' } }`;
const CALL = `{ method: 'GET', bucket: 'examplebucket-1250000000', key: 'a b.txt', now: new Date(1700000000000) }`;
const APP = {
  'esm.mjs': `import { CosSigner } from 'cos-sign';\nimport { syncBackend } from 'cos-sign/sync';\nconsole.log(await new CosSigner(${SIGN}).getPresignedUrl(${CALL}));\nconsole.log(await new CosSigner({ ...${SIGN}, backend: syncBackend }).getPresignedUrl(${CALL}));\n`,
  'cjs.cjs': `const { CosSigner } = require('cos-sign');\nnew CosSigner(${SIGN}).getPresignedUrl(${CALL}).then(console.log);\n`,
  // The UMD file as a browser's classic <script> runs it: no module, no exports; it sets CosSign.
  'umd.cjs': `const { readFileSync } = require('node:fs');\nconst { join, dirname } = require('node:path');\nconst file = join(dirname(require.resolve('cos-sign/package.json')), 'dist/cos-sign.umd.js');\nrequire('node:vm').runInThisContext(readFileSync(file, 'utf8'), { filename: file });\nnew globalThis.CosSign.CosSigner(${SIGN}).getPresignedUrl(${CALL}).then(console.log);\n`,
};
// cos-sign/server from the tarball: imported, a CosSigner's PUT and GET against it; and `npx cos-sign serve`
// prints its banner and stops on SIGINT with status 0.
const SERVE_APP = `import { startCosServer } from 'cos-sign/server';
import { CosSigner } from 'cos-sign';
const cos = await startCosServer();
const signer = new CosSigner({ domain: cos.domain, scheme: 'http', credentials: cos.credentials });
const put = await signer.getPresignedUrl({ method: 'PUT', bucket: cos.bucket, key: 'a.txt' });
const r = await fetch(put, { method: 'PUT', body: 'packed' });
const get = await signer.getPresignedUrl({ method: 'GET', bucket: cos.bucket, key: 'a.txt' });
const body = await (await fetch(get)).text();
await cos.close();
console.log(r.status, body);
`;
const servePacked = async (app) => {
  writeFileSync(join(app, 'serve.mjs'), SERVE_APP);
  const r = await run(process.execPath, ['serve.mjs'], { cwd: app, timeout: 30_000 });
  const problems = r.status === 0 && r.stdout.trim() === '200 packed' ? [] : [`node serve.mjs:\n${r.out}`];
  // Its own process group: npx runs the command through a shell, and SIGINT must reach the server too.
  const child = spawn('npx', ['--no', 'cos-sign', 'serve', '--port', '0'], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const signal = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {}
  };
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const status = await new Promise((done) => {
    const timer = setTimeout(() => signal('SIGKILL'), 30_000);
    child.stdout.on('data', () => out.includes('Ctrl-C stops it.') && signal('SIGINT'));
    child.on('close', (code, signal) => (clearTimeout(timer), done(signal ?? code)));
  });
  // npm re-raises the SIGINT its child got; what matters is the banner, and that nothing is left running.
  let left = false;
  try {
    process.kill(-child.pid, 0);
    left = true;
    signal('SIGKILL');
  } catch {}
  if ((status !== 0 && status !== 'SIGINT') || left || !/a local COS at http:\/\/127\.0\.0\.1:\d+/.test(out))
    problems.push(`npx cos-sign serve exited ${status}${left ? ', left a process running' : ''}:\n${out}`);
  return problems;
};

// First: the longest (a build), so the other checks run beside it.
checks.unshift([
  'a clean clone packs with dist/ (prepack builds it); its tarball installs and works (import, require, cos-sign/sync, UMD, bin, cos-sign/server, npx cos-sign serve)',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-sign-clone-'));
    try {
      const { tarball, files } = await packCleanClone(dir);
      const missing = [
        'dist/cos-sign.mjs',
        'dist/cos-sign.cjs',
        'dist/cos-sign.umd.js',
        'dist/cos-sign.d.ts',
        'dist/cos-sign.d.mts',
        'dist/sync.mjs',
        'dist/sync.cjs',
        'bin/cos-sign.mjs',
      ].filter((f) => !files.includes(f));
      if (missing.length) return [`the tarball of a clean clone lacks ${missing.join(', ')}`];
      const app = join(dir, 'app');
      mkdirSync(app);
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
      const install = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], {
        cwd: app,
        timeout: 60_000,
      });
      if (install.status !== 0) return [`npm install of the tarball failed:\n${install.out}`];
      const problems = [];
      const urls = [];
      for (const [file, code] of Object.entries(APP)) {
        writeFileSync(join(app, file), code);
        const r = await run(process.execPath, [file], { cwd: app, timeout: 30_000 });
        if (r.status !== 0) problems.push(`node ${file} exited ${r.status}:\n${r.out}`);
        else urls.push(...r.stdout.trim().split('\n'));
      }
      const env = {
        PATH: process.env.PATH,
        COS_SECRET_ID: 'AKIDpack',
        COS_SECRET_KEY: 'packSecretKey',
        COS_REGION: 'ap-guangzhou',
      };
      const bin = await run(
        join(app, 'node_modules/.bin/cos-sign'),
        ['url', 'cos://examplebucket-1250000000/a b.txt'],
        { cwd: app, env, timeout: 30_000 },
      );
      if (
        bin.status !== 0 ||
        !bin.stdout.startsWith(
          'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a%20b.txt?q-sign-algorithm=sha1&',
        )
      )
        problems.push(`node_modules/.bin/cos-sign url exited ${bin.status}:\n${bin.out}`);
      problems.push(...(await servePacked(app)));
      if (
        !problems.length &&
        (urls.length !== 4 ||
          new Set(urls).size !== 1 ||
          !urls[0].startsWith('https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a%20b.txt?'))
      )
        problems.push(
          `ESM, ESM with cos-sign/sync, require and UMD should print one and the same URL; they printed:\n${urls.join('\n')}`,
        );
      return problems;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
]);

checks.push([
  'publint --strict',
  async () => {
    const { messages } = await publint({ pkgDir: root, strict: true, pack: 'npm' });
    return messages.map(
      (m) => `${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code} [${m.code} at ${m.path.join('.')}]`,
    );
  },
]);

let failed = 0;
try {
  installPacked(tmp);
  for (const f of ['app.ts', 'esm.mts', 'cjs.cts']) cpSync(join(here, 'consumer/usage.ts'), join(tmp, f));
  // @types/node for the Node-only project, as such a project would have it.
  symlinkSync(join(root, 'node_modules/@types'), join(tmp, 'node_modules/@types'), 'dir');
  const queue = checks.slice();
  const worker = async () => {
    for (let c; (c = queue.shift()); ) {
      const [name, fn] = c;
      const start = Date.now();
      let problems;
      try {
        problems = await fn();
      } catch (e) {
        problems = [e?.stack ?? String(e)];
      }
      failed += problems.length > 0;
      console.log(`  ${problems.length ? 'FAIL' : 'ok  '} ${name}  (${((Date.now() - start) / 1000).toFixed(1)} s)`);
      for (const p of problems) console.log('       ' + p.replaceAll('\n', '\n       '));
    }
  };
  await Promise.all([worker(), worker()]);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(failed ? `${failed} package check(s) failed` : 'all package checks passed');
process.exit(failed ? 1 : 0);
