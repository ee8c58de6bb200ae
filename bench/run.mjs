// `npm run bench`: cos-sign against the official SDKs and a plain node:crypto signer, in one process,
// variants interleaved (bench/interleave.mjs), medians and ratios printed; then heap growth (child
// process with --expose-gc), a 256 MiB multipart upload against the official SDK's sliceUploadFile
// (bench/upload.mjs: throughput and peak RSS, a process per upload), the local COS server's own
// figures (part "server", bench/server.mjs: MiB/s stored and RSS for 16 parallel uploads, small signed
// GETs/s with autocannon), and the same batch in real Chromium; crc64() throughput in Node and Chromium
// (part "crc", bench/crc.mjs); upload() with crc64 on against off, 256 MiB, in Node and Chromium (part
// "verify", bench/verify.mjs); part "streams" (bench/streams.mjs): a 256 MiB stream upload() against a
// Blob, and download() against one plain GET in Node and Chromium; then (part "bare") the presign batch
// against the bare crypto.subtle loop in Node, Chromium, Deno, Bun and workerd (bench/ceiling.mjs).
// See bench/README.md.
//   node bench/run.mjs [node] [single] [memory] [upload] [server] [browser] [crc] [verify] [streams] [bare]
//     (default: all; BENCH_ROUNDS=n to change rounds, BENCH_UPLOAD_ROUNDS=n for the upload's and streams'
//     (default 3), BENCH_CRC_ROUNDS=n for crc's passes (default 7), BENCH_VERIFY_ROUNDS=n (default 7: one
//     upload swings by ±15 % on a 2-vCPU machine shared with the server))
//   COS_SIGN_DIST=/path/to/other/dist node bench/run.mjs …      (measure another build, e.g. to compare a change)
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Bench } from 'tinybench';
import { interleaved } from './interleave.mjs';
import { plainPresigner, plainSubtlePresigner } from './plain.mjs';
import { N, bucket, creds, expires, host, keyTime, keys, now, qSignature, region, sdkPresign } from './workload.mjs';

const require = createRequire(import.meta.url);
const dist = process.env.COS_SIGN_DIST
  ? new URL(process.env.COS_SIGN_DIST.replace(/\/?$/, '/'), 'file:///')
  : new URL('../dist/', import.meta.url);
const { CosSigner } = await import(new URL('cos-sign.mjs', dist).href);
const { syncBackend } = await import(new URL('sync.mjs', dist).href);
const COSjs = require('cos-js-sdk-v5');
const COSnode = require('cos-nodejs-sdk-v5');
const sdkVersion = (p) => require(`${p}/package.json`).version;

const parts = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const want = (p) => !parts.length || parts.includes(p);
const rounds = Number(process.env.BENCH_ROUNDS) || 5;
// A full GC before each variant's turn, so that none is billed for the garbage of the one before.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3));
const goals = [];
const goal = (what, ok, detail) => goals.push(`${ok ? 'PASS' : 'MISS'}  ${what}: ${detail}`);

/** Prints a markdown table of ops/s with ratios to the named baselines. */
const table = (title, res, opsOf, baselines) => {
  console.log(`\n### ${title}\n`);
  console.log(`| variant | ops/s (median) | ${baselines.map((b) => `× ${b}`).join(' | ')} |`);
  console.log(`|---|--:|${baselines.map(() => '--:').join('|')}|`);
  for (const [name, r] of Object.entries(res))
    console.log(
      `| ${name} | ${fmt(opsOf(r))} | ${baselines.map((b) => (opsOf(r) / opsOf(res[b])).toFixed(2)).join(' | ')} |`,
    );
};

const JS = `cos-js-sdk-v5 ${sdkVersion('cos-js-sdk-v5')}`;
const NODE = `cos-nodejs-sdk-v5 ${sdkVersion('cos-nodejs-sdk-v5')}`;
const SUBTLE = 'cos-sign (SubtleCrypto)';
const SYNC = 'cos-sign (cos-sign/sync)';
const PLAIN = 'plain node:crypto';
const PLAIN_SUBTLE = 'plain crypto.subtle';

console.log(
  `cos-sign benchmarks — Node ${process.version}, ${os.cpus()[0]?.model} × ${os.cpus().length}, ${rounds} interleaved rounds, medians`,
);

const subtle = new CosSigner({ region, credentials: creds });
const sync = new CosSigner({ region, credentials: creds, backend: syncBackend });
const plain = plainPresigner(creds, host);
const plainSubtle = plainSubtlePresigner(creds, host);
const list = keys();
const opts = (key) => ({ method: 'GET', bucket, key, now, expires });

// Every variant must produce the same signatures before its speed means anything.
{
  const kt = keyTime();
  const ref = list.map((key) => qSignature(sdkPresign(COSnode, key, kt)));
  const check = async (name, urls) => {
    const got = (await urls).map(qSignature);
    const bad = got.findIndex((s, i) => s !== ref[i]);
    if (bad >= 0) throw new Error(`${name} signs ${list[bad]} differently from ${NODE}`);
  };
  await check(SUBTLE, Promise.all(list.map((k) => subtle.getPresignedUrl(opts(k)))));
  await check(SYNC, Promise.all(list.map((k) => sync.getPresignedUrl(opts(k)))));
  await check(
    JS,
    list.map((k) => sdkPresign(COSjs, k, kt)),
  );
  await check(
    PLAIN,
    list.map((k) => plain(opts(k))),
  );
  await check(PLAIN_SUBTLE, Promise.all(list.map((k) => plainSubtle(opts(k)))));
  console.log(`\nAll six variants agree on the signatures of the ${N.toLocaleString('en-US')} URLs.`);
}

if (want('node')) {
  const res = await interleaved(
    Bench,
    {
      [SUBTLE]: () => Promise.all(list.map((k) => subtle.getPresignedUrl(opts(k)))),
      [SYNC]: () => Promise.all(list.map((k) => sync.getPresignedUrl(opts(k)))),
      [JS]: () => {
        const kt = keyTime();
        return list.map((k) => sdkPresign(COSjs, k, kt));
      },
      [NODE]: () => {
        const kt = keyTime();
        return list.map((k) => sdkPresign(COSnode, k, kt));
      },
      [PLAIN]: () => list.map((k) => plain(opts(k))),
      [PLAIN_SUBTLE]: () => Promise.all(list.map((k) => plainSubtle(opts(k)))),
    },
    { rounds, iterations: 2, gc },
  );
  const ops = (r) => (N * 1000) / r.median;
  table(`Node batch: ${N.toLocaleString('en-US')} presigned URLs, one clock, one credential set (URLs/s)`, res, ops, [
    JS,
    NODE,
  ]);
  console.log(
    `\n${PLAIN} and ${PLAIN_SUBTLE} are the signature written directly over each API with no input checks (bench/plain.mjs): ceilings, not products.`,
  );
  goal(
    'SubtleCrypto batch >= 2x cos-js-sdk-v5',
    ops(res[SUBTLE]) >= 2 * ops(res[JS]),
    `${(ops(res[SUBTLE]) / ops(res[JS])).toFixed(2)}x`,
  );
  goal(
    'cos-sign/sync batch >= cos-nodejs-sdk-v5',
    ops(res[SYNC]) >= ops(res[NODE]),
    `${(ops(res[SYNC]) / ops(res[NODE])).toFixed(2)}x`,
  );
}

if (want('single')) {
  let i = 0;
  const next = () => list[i++ % N];
  const kt = keyTime();
  const one = (s) => () => s.getAuth(opts(next()));
  const res = await interleaved(
    Bench,
    {
      [SUBTLE]: one(subtle),
      [SYNC]: one(sync),
      [JS]: () =>
        COSjs.getAuthorization({
          SecretId: creds.secretId,
          SecretKey: creds.secretKey,
          Method: 'GET',
          Key: next(),
          KeyTime: kt,
          Headers: { Host: host },
        }),
      [NODE]: () =>
        COSnode.getAuthorization({
          SecretId: creds.secretId,
          SecretKey: creds.secretKey,
          Method: 'GET',
          Key: next(),
          KeyTime: kt,
          Headers: { Host: host },
        }),
      [PLAIN]: () => plain(opts(next())),
      [PLAIN_SUBTLE]: () => plainSubtle(opts(next())),
    },
    { rounds, iterations: 2000, time: 300, warmupIterations: 200, gc },
  );
  console.log(`\n### Single: one getAuth at a time, awaited (latency, median)\n`);
  console.log(`| variant | µs per call | calls/s |\n|---|--:|--:|`);
  for (const [name, r] of Object.entries(res))
    console.log(`| ${name} | ${(r.median * 1000).toFixed(1)} | ${fmt(1000 / r.median)} |`);
}

if (want('memory')) {
  const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(new URL('./memory.mjs', import.meta.url))], {
    encoding: 'utf8',
  });
  const m = JSON.parse(out);
  console.log(
    `\n### Memory: heap growth after ${m.signatures.toLocaleString('en-US')} signatures with ${m.sets.toLocaleString('en-US')} credential sets (after GC)\n`,
  );
  console.log(`| scenario | heap growth |\n|---|--:|`);
  for (const s of m.scenarios) console.log(`| ${s.name} | ${(s.growth / 1024 / 1024).toFixed(2)} MB |`);
  const worst = Math.max(...m.scenarios.filter((s) => s.goal).map((s) => s.growth));
  goal('heap growth < 5 MB', worst < 5 * 1024 * 1024, `worst ${(worst / 1024 / 1024).toFixed(2)} MB`);
}

if (want('upload')) {
  const { runUpload, sdkDefaults, COS_SIGN_DEFAULTS, CLIENTS } = await import('./upload.mjs');
  const MiB = 1024 * 1024;
  const uploadRounds = Number(process.env.BENCH_UPLOAD_ROUNDS) || 3;
  if (typeof fs.openAsBlob != 'function')
    console.log(`\n### Large upload: skipped (needs fs.openAsBlob, Node >= 19.8; this is ${process.version})`);
  else {
    const d = sdkDefaults();
    const { partSize, concurrency } = COS_SIGN_DEFAULTS;
    const bound = concurrency * partSize + 32 * MiB;
    const size = 256 * MiB;
    console.log(
      `\n### Large upload: ${size / MiB} MiB to the local COS server (demo/server, its own process), ${uploadRounds} rounds, each upload in a fresh process\n`,
    );
    console.log(
      `Defaults: cos-sign upload() partSize ${partSize / MiB} MiB, concurrency ${concurrency}, body fs.openAsBlob(file);`,
    );
    console.log(
      `${NODE} sliceUploadFile({ FilePath }) ChunkSize ${d.ChunkSize / MiB} MiB (its part size), ChunkParallelLimit ${d.ChunkParallelLimit} (parts in flight), SliceSize ${d.SliceSize / MiB} MiB (uploadFile's multipart threshold), ChunkRetryTimes ${d.ChunkRetryTimes}.\n`,
    );
    const u = await runUpload({ rounds: uploadRounds, size, log: (line) => console.log(`    ${line}`) });
    const label = {
      'cos-sign': `cos-sign upload() (${partSize / MiB} MiB × ${concurrency})`,
      sdk: `${NODE} sliceUploadFile (${d.ChunkSize / MiB} MiB × ${d.ChunkParallelLimit})`,
      fetch: `ceiling: bare fetch, cos-sign's plan`,
      http: `ceiling: bare node:http, cos-sign's plan`,
    };
    console.log(
      `\n| client | MiB/s (median) | × ${NODE} | peak RSS growth (worst / median of ${uploadRounds}) |\n|---|--:|--:|--:|`,
    );
    for (const c of CLIENTS)
      console.log(
        `| ${label[c]} | ${u[c].mibps.toFixed(1)} | ${(u[c].mibps / u.sdk.mibps).toFixed(2)} | ${(u[c].peak / MiB).toFixed(1)} / ${(u[c].peakMedian / MiB).toFixed(1)} MiB |`,
      );
    console.log(
      `\nThe ceilings (bench/upload-client.mjs) send cos-sign's plan over the same Blob with nothing else (presigned by bench/plain.mjs's bare node:crypto signer, no checks or retries): transports, not products.`,
    );
    const ratio = u['cos-sign'].mibps / u.sdk.mibps;
    const forcedGc = process.env.BENCH_UPLOAD_GC_MS;
    if (forcedGc)
      console.log(
        `\nBENCH_UPLOAD_GC_MS=${forcedGc}: a full GC every ${forcedGc} ms during each upload (to tell live memory from garbage); no goal is judged on these figures.`,
      );
    else {
      goal(
        `upload() throughput >= ${NODE} sliceUploadFile`,
        ratio >= 1,
        `${ratio.toFixed(2)}x (${u['cos-sign'].mibps.toFixed(1)} vs ${u.sdk.mibps.toFixed(1)} MiB/s)`,
      );
      goal(
        'upload() peak RSS growth <= concurrency × partSize + 32 MiB',
        u['cos-sign'].peak <= bound,
        `worst of ${uploadRounds} ${(u['cos-sign'].peak / MiB).toFixed(1)} MiB (median ${(u['cos-sign'].peakMedian / MiB).toFixed(1)}), bound ${bound / MiB} MiB; ${NODE}: ${(u.sdk.peak / MiB).toFixed(1)} MiB`,
      );
    }
  }
}

if (want('server')) {
  const { serverPart } = await import('./server.mjs');
  const { signedFetch } = await import(new URL('cos-sign.mjs', dist).href);
  await serverPart({ CosSigner, signedFetch, goal });
}

if (want('browser')) {
  const { runBrowser } = await import('./browser.mjs');
  const b = await runBrowser({ rounds });
  const ops = (r) => (N * 1000) / r.median;
  const BJS = `${JS} (dist/cos-js-sdk-v5.min.js)`;
  const res = { [`${SUBTLE} (dist/cos-sign.umd.js)`]: b.subtle, [`${SYNC} (dist/sync.umd.js)`]: b.sync, [BJS]: b.js };
  table(`Chromium ${b.version} batch: ${N.toLocaleString('en-US')} presigned URLs in one page (URLs/s)`, res, ops, [
    BJS,
  ]);
  goal(
    'Chromium SubtleCrypto batch >= cos-js-sdk-v5',
    ops(b.subtle) >= ops(b.js),
    `${(ops(b.subtle) / ops(b.js)).toFixed(2)}x`,
  );
}

if (want('crc')) {
  const { crcPart } = await import('./crc.mjs');
  await crcPart({ dist, gc, goal, rounds: Number(process.env.BENCH_CRC_ROUNDS) || 7 });
}

if (want('verify')) {
  const { verifyPart } = await import('./verify.mjs');
  await verifyPart({ dist, goal, rounds: Number(process.env.BENCH_VERIFY_ROUNDS) || 7 });
}

if (want('streams')) {
  const { streamsPart } = await import('./streams.mjs');
  await streamsPart({ rounds: Number(process.env.BENCH_UPLOAD_ROUNDS) || 3, goal });
}

if (want('bare')) {
  const { ceilingPart } = await import('./ceiling.mjs');
  await ceilingPart({ CosSigner, gc, rounds: Number(process.env.BENCH_ROUNDS) || 9, goal });
}

console.log(`\n### Goals\n\n${goals.map((g) => '    ' + g).join('\n')}`);
