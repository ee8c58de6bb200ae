#!/usr/bin/env node
// The cos-sign demo: an upload page (http://127.0.0.1:8787/) and, unless real COS is configured, a
// local COS-compatible server for one bucket (http://127.0.0.1:8788/).
//
//   npm run demo                          builds dist/, then runs this file
//   node demo/server/index.mjs --data ./cos-data --clock-skew 600 --sts-ttl 60
//
// The local COS server is cos-sign/server (server/index.mjs), as apps get it; `cos` below is the server
// underneath it (createCosServer: addKey, state, tmpFiles… for the demo's STS and tests).
//
// Real COS: set COS_SECRET_ID, COS_SECRET_KEY, COS_BUCKET, COS_REGION (optional COS_PREFIX): /sts
// then issues real temporary keys (cos-sign/sts) limited to that bucket and prefix.
//
// Importable: `const demo = await start({ port: 0, cosPort: 0 })` → { pageUrl, cosUrl, cos, close() }.
//
// Pages: / (the upload widget, ES module), /umd.html (the same with the UMD bundle), /uppy.html (Uppy 6
// with cos-sign's uppySignRequest; /vendor/uppy.mjs is Uppy bundled on first request, uppy-bundle.mjs).
import http from 'node:http';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { startCosServer } from '../../server/index.mjs';
import { localSts, realSts } from './sts.mjs';
import { uppyBundle } from './uppy-bundle.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PUBLIC = path.join(here, '..', 'public');
const DIST = path.join(here, '..', '..', 'dist');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
};
/** The files of dist/ the page may load: the bundles and the chunks they import (no sub-folders). */
const DIST_FILE = /^[\w-]+(\.umd)?\.(mjs|js|d\.ts)$/;

const json = (res, status, body) => {
  const s = JSON.stringify(body);
  res
    .writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(s),
    })
    .end(s);
};

/**
 * Starts the demo. Options: port, cosPort (0 = any free port), dataDir, clockSkewMs (the local COS
 * server's and STS's clock minus the real one), stsTtl (seconds temporary keys live), prefix (the
 * key prefix uploads go under), maxUploadBytes, multipartThreshold (files larger than this go up in
 * parts, 8 MiB), partSize (8 MiB), bucket, log (function), real ({ secretId, secretKey, bucket,
 * region, prefix?, stsEndpoint? }: use real COS instead of the local server; stsEndpoint is the STS
 * URL, https://sts.tencentcloudapi.com by default), cosDomain (local mode: the `host:port` the pages
 * send COS requests to instead of the local server's own, e.g. a proxy in front of it; the local
 * server verifies the signed host without its port, so any port on 127.0.0.1 works).
 */
export const start = async ({
  port = 8787,
  cosPort = 8788,
  dataDir,
  clockSkewMs = 0,
  stsTtl = 1800,
  prefix = 'uploads/',
  maxUploadBytes = 100 * 1024 * 1024,
  multipartThreshold = 8 * 1024 * 1024,
  partSize = 8 * 1024 * 1024,
  bucket = 'demo-1250000000',
  log,
  real,
  cosDomain,
  cors,
} = {}) => {
  const { CosSigner } = await import(pathToFileURL(path.join(DIST, 'cos-sign.mjs')).href).catch(() => {
    throw new Error('dist/cos-sign.mjs is missing: run `npm run build` first (npm run demo does)');
  });
  let local;
  let cos;
  let cosUrl;
  let sts;
  let serverSigner;
  let config;
  if (real) {
    const p = real.prefix ?? prefix;
    sts = realSts({ ...real, prefix: p, ttlSeconds: stsTtl, endpoint: real.stsEndpoint });
    serverSigner = new CosSigner({
      region: real.region,
      credentials: { secretId: real.secretId, secretKey: real.secretKey },
    });
    cosUrl = `https://${real.bucket}.cos.${real.region}.myqcloud.com`;
    config = {
      mode: 'cos',
      bucket: real.bucket,
      region: real.region,
      scheme: 'https',
      prefix: p,
      maxUploadBytes,
      multipartThreshold,
      partSize,
      cosUrl,
    };
  } else {
    // The demo backend's own permanent key: it presigns for /presign; the page never sees it.
    const secretId = 'AKIDdemo' + randomBytes(12).toString('hex');
    const secretKey = randomBytes(24).toString('base64url');
    // cos-sign/server, on disk (a temp folder unless --data) so that a run's uploads can be looked at.
    local = await startCosServer({
      port: cosPort,
      buckets: [bucket],
      dataDir: dataDir || (await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-demo-'))),
      clockSkew: clockSkewMs / 1000,
      maxObjectSize: maxUploadBytes,
      credentials: [{ secretId, secretKey }],
      cors,
      log,
    });
    cos = local.server;
    cosUrl = local.url;
    const domain = cosDomain || cosUrl.replace(/^http:\/\//, '');
    sts = localSts(cos, stsTtl);
    serverSigner = new CosSigner({
      domain,
      scheme: 'http',
      credentials: { secretId, secretKey },
      clockOffset: clockSkewMs,
    });
    config = {
      mode: 'local',
      bucket,
      domain,
      scheme: 'http',
      prefix,
      maxUploadBytes,
      multipartThreshold,
      partSize,
      cosUrl,
    };
  }
  const stats = { sts: 0, presign: 0 };

  const serveFile = async (res, file, head) => {
    let data;
    try {
      data = await fsp.readFile(file);
    } catch {
      return json(res, 404, { error: 'not found' });
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
      'Cache-Control': 'no-cache',
      'Content-Length': data.length,
    });
    res.end(head ? undefined : data);
  };

  const page = http.createServer(async (req, res) => {
    res.on('finish', () => log?.(`page ${req.method} ${req.url?.split('?')[0]} → ${res.statusCode}`));
    try {
      const url = new URL(req.url || '/', 'http://localhost');
      const p = url.pathname;
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
      if (p === '/config') return json(res, 200, config);
      if (p === '/sts') {
        stats.sts++;
        try {
          return json(res, 200, await sts.issue());
        } catch (e) {
          log?.(`STS failed: ${e?.Code || e?.code || ''} ${e?.Message || e?.message || e}`);
          return json(res, 502, { error: 'STS failed', code: e?.Code || e?.code, message: e?.Message || e?.message });
        }
      }
      if (p === '/presign') {
        // The "server presigns, browser uploads" pattern: the backend decides which key may be
        // written (only under the prefix), for how long, and with which Content-Type.
        const key = url.searchParams.get('key') || '';
        const method = (url.searchParams.get('method') || 'PUT').toUpperCase();
        const expires = Math.min(Math.max(parseInt(url.searchParams.get('expires') || '300', 10) || 300, 1), 3600);
        if (!key.startsWith(config.prefix) || key.length <= config.prefix.length || key.length > 850)
          return json(res, 400, { error: `key must start with "${config.prefix}"` });
        if (method !== 'PUT' && method !== 'GET') return json(res, 400, { error: 'method must be PUT or GET' });
        const headers = {};
        const ct = url.searchParams.get('contentType');
        if (method === 'PUT' && ct) headers['Content-Type'] = ct;
        stats.presign++;
        if (cos) serverSigner.clockOffset = cos.state.clockSkewMs;
        const signed = await serverSigner.getPresignedUrl({ method, bucket: config.bucket, key, expires, headers });
        return json(res, 200, { url: signed, method, headers, expires });
      }
      if (p === '/vendor/uppy.mjs') {
        let code;
        try {
          code = await uppyBundle();
        } catch (e) {
          log?.(`Uppy bundle failed: ${e?.message || e}`);
          return json(res, 503, { error: String(e?.message || e) });
        }
        res.writeHead(200, {
          'Content-Type': TYPES['.mjs'],
          'Cache-Control': 'no-cache',
          'Content-Length': Buffer.byteLength(code),
        });
        return res.end(req.method === 'HEAD' ? undefined : code);
      }
      if (p.startsWith('/dist/')) {
        const name = p.slice(6);
        if (!DIST_FILE.test(name)) return json(res, 404, { error: 'not found' });
        return serveFile(res, path.join(DIST, name), req.method === 'HEAD');
      }
      const rel = p === '/' ? 'index.html' : decodeURIComponent(p.slice(1));
      const file = path.resolve(PUBLIC, rel);
      if (!file.startsWith(PUBLIC + path.sep)) return json(res, 404, { error: 'not found' });
      return serveFile(res, file, req.method === 'HEAD');
    } catch (e) {
      log?.(`page error: ${e?.stack || e}`);
      if (!res.headersSent) json(res, 500, { error: String(e?.message || e) });
      else res.destroy();
    }
  });
  await new Promise((ok, ko) => page.once('error', ko).listen(port, '127.0.0.1', ok));
  const pageUrl = `http://127.0.0.1:${page.address().port}`;
  return {
    pageUrl,
    cosUrl,
    cos,
    config,
    stats,
    sts,
    async close() {
      page.closeAllConnections?.();
      await new Promise((ok) => page.close(() => ok()));
      await local?.close();
    },
  };
};

const parseArgs = (argv) => {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unexpected argument ${a}`);
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    o[m[1]] = v;
  }
  return o;
};

const main = async () => {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(
      `${e.message}\nusage: node demo/server/index.mjs [--port 8787] [--cos-port 8788] [--data DIR] [--clock-skew SECONDS] [--sts-ttl SECONDS] [--prefix uploads/]`,
    );
    process.exit(2);
  }
  const env = process.env;
  const num = (v, d) => (v === undefined || v === '' ? d : Number(v));
  const real =
    env.COS_SECRET_ID && env.COS_SECRET_KEY && env.COS_BUCKET && env.COS_REGION
      ? {
          secretId: env.COS_SECRET_ID,
          secretKey: env.COS_SECRET_KEY,
          bucket: env.COS_BUCKET,
          region: env.COS_REGION,
          prefix: env.COS_PREFIX || undefined,
        }
      : undefined;
  const demo = await start({
    port: num(args.port ?? env.PORT, 8787),
    cosPort: num(args['cos-port'] ?? env.COS_PORT, 8788),
    dataDir: args.data ? path.resolve(args.data) : undefined,
    clockSkewMs: num(args['clock-skew'] ?? env.COS_CLOCK_SKEW, 0) * 1000,
    stsTtl: num(args['sts-ttl'] ?? env.STS_TTL, 1800),
    prefix: args.prefix ?? 'uploads/',
    real,
    log: env.DEMO_QUIET ? undefined : (line) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${line}`),
  });
  console.log(`\ncos-sign demo\n`);
  console.log(`  Upload page   ${demo.pageUrl}/        (UMD variant: ${demo.pageUrl}/umd.html)`);
  console.log(`  Uppy page     ${demo.pageUrl}/uppy.html`);
  if (real) console.log(`  COS bucket    ${demo.cosUrl}  (real COS, keys limited to "${demo.config.prefix}*")`);
  else {
    console.log(`  Local COS     ${demo.cosUrl}/        (bucket ${demo.config.bucket}, data in ${demo.cos.dataDir})`);
    if (demo.cos.state.clockSkewMs)
      console.log(`  Clock skew    the local COS/STS clock runs ${demo.cos.state.clockSkewMs / 1000} s off`);
  }
  console.log(`\n  Ctrl-C stops.\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    await demo.close();
    // A temp folder made for this run goes with it; a --data folder stays.
    if (demo.cos && !args.data) await fsp.rm(demo.cos.dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
};

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`demo: ${e?.message || e}`);
    process.exit(1);
  });
}
