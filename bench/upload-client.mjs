// One large upload by one client, in a fresh process (bench/upload.mjs starts one per client per
// round), timed and with its peak RSS growth measured. Prints one line of JSON.
//   node --expose-gc bench/upload-client.mjs '<json: client, file, warmFile, port, bucket, key, secretId, secretKey, work>'
// client: 'cos-sign' (upload(), body = fs.openAsBlob(file): a Blob read lazily from the file; crc64 on,
// its default; 'cos-sign-crc-off': the same with crc64: false),
// 'cos-sign-stream' (upload() of fs.createReadStream(file)), 'cos-sign-stream-http' (the same through a
// node:http `fetch` option, below), 'download' / 'download-nocrc' (crc64: false) / 'get' / 'get-crc' (below),
// 'sdk' (cos-nodejs-sdk-v5 sliceUploadFile({ FilePath: file })), each at its defaults; or one of the
// two ceilings, 'fetch' and 'http' (below).
//
// Memory: after a warm-up upload (a small multipart upload of warmFile, so that module loading, fetch /
// http agent set-up and JIT are not billed to the measured upload) and a full GC, the baseline is the
// process's RSS. During the upload a worker thread samples process.memoryUsage.rss() (process-wide)
// every 5 ms — a worker, so a busy main thread cannot delay the samples. After it, the kernel's
// high-water mark (process.resourceUsage().maxRSS) is read too: when it rose during the upload it is the
// exact peak (no sample can miss it); growth = peak − baseline. Both figures are printed.
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const cfg = JSON.parse(process.argv[2]);
const { client, file, warmFile, port, bucket, key, secretId, secretKey, work } = cfg;
const dist = process.env.COS_SIGN_DIST
  ? new URL(process.env.COS_SIGN_DIST.replace(/\/?$/, '/'), 'file:///')
  : new URL('../dist/', import.meta.url);
const MiB = 1024 * 1024;
const require = createRequire(import.meta.url);

let run;
/**
 * A `fetch` over node:http for the signer's `fetch` option ('cos-sign-stream-http'): the body written
 * as it is, where Node 20's fetch copies a Uint8Array body (more than once) before sending it.
 */
const httpFetch = (agent) => (url, init) =>
  new Promise((ok, ko) => {
    const body =
      init.body === undefined
        ? undefined
        : Buffer.from(init.body.buffer ?? init.body, init.body.byteOffset, init.body.byteLength);
    const req = http.request(
      url,
      { method: init.method, agent, headers: { ...init.headers, 'Content-Length': body ? body.length : 0 } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) for (const x of [v].flat()) headers.append(k, x);
          const empty = res.statusCode === 204 || res.statusCode === 304 || init.method === 'HEAD';
          ok(new Response(empty ? null : Buffer.concat(chunks), { status: res.statusCode, headers }));
        });
      },
    );
    req.on('error', ko);
    init.signal?.addEventListener('abort', () => req.destroy(init.signal.reason), { once: true });
    req.end(body);
  });

if (client.startsWith('cos-sign-stream') || client.startsWith('download') || client.startsWith('get')) {
  // Streams (part "streams" of bench/run.mjs): upload() of fs.createReadStream(file), no size given;
  // download() of the object read to its end (its CRC-64 checked by download() itself); one plain
  // presigned GET read to its end. A download's "etag" is the byte count, which the bench compares with
  // the file's size.
  const { CosSigner, upload, download, crc64 } = await import(new URL('cos-sign.mjs', dist).href);
  const signer = new CosSigner({
    domain: `127.0.0.1:${port}`,
    scheme: 'http',
    credentials: { secretId, secretKey },
    ...(client === 'cos-sign-stream-http' && { fetch: httpFetch(new http.Agent({ keepAlive: true })) }),
  });
  // 'get-crc': the plain GET with the CRC-64 of its bytes computed as they arrive (what verifying costs).
  const drain = async (stream) => {
    let n = 0;
    let crc = '0';
    for await (const c of stream) (n += c.length), client === 'get-crc' && (crc = crc64(c, crc));
    return String(n);
  };
  run = async (path, k, warm) =>
    client.startsWith('cos-sign-stream')
      ? (
          await upload(signer, {
            bucket,
            key: k,
            body: fs.createReadStream(path, { highWaterMark: MiB }),
            ...(warm && { partSize: MiB }),
          })
        ).etag
      : client.startsWith('download')
        ? drain((await download(signer, { bucket, key: k, crc64: client === 'download' })).body)
        : drain((await fetch(await signer.getPresignedUrl({ method: 'GET', bucket, key: k }))).body);
} else if (client === 'cos-sign' || client === 'cos-sign-crc-off') {
  const { CosSigner, upload } = await import(new URL('cos-sign.mjs', dist).href);
  const signer = new CosSigner({ domain: `127.0.0.1:${port}`, scheme: 'http', credentials: { secretId, secretKey } });
  // 'cos-sign': its defaults (crc64 on: each part read into memory, hashed and checked against COS's
  // answer); 'cos-sign-crc-off': the same with crc64: false (each part a Blob slice streamed by fetch).
  const crc64 = client === 'cos-sign';
  run = async (path, k, warm) => {
    const body = await fs.openAsBlob(path);
    const r = await upload(signer, { bucket, key: k, body, crc64, ...(warm && { partSize: MiB }) });
    if (crc64 && !r.verified) throw new Error(`upload() resolved verified: false (crc64 ${r.crc64})`);
    return r;
  };
} else if (client === 'sdk') {
  const COS = require('cos-nodejs-sdk-v5');
  // ConfCwd: the SDK's upload-id cache goes to the benchmark's temp folder, not the home folder.
  const sdk = new COS({
    SecretId: secretId,
    SecretKey: secretKey,
    Domain: `127.0.0.1:${port}`,
    Protocol: 'http:',
    ConfCwd: work,
  });
  run = (path, k) =>
    new Promise((ok, ko) =>
      sdk.sliceUploadFile({ Bucket: bucket, Region: 'ap-guangzhou', Key: k, FilePath: path }, (e, d) =>
        e ? ko(e) : ok(d.ETag),
      ),
    );
} else if (client === 'fetch' || client === 'http') {
  // The ceilings: cos-sign's plan (8 MiB slices of the same Blob, 4 in flight) with nothing else —
  // each request presigned by bench/plain.mjs's bare node:crypto signer, no checks, no retries — sent
  // with Node's fetch ('fetch') or with node:http, a keep-alive agent and the slice's stream ('http').
  const { plainPresigner } = await import('./plain.mjs');
  const host = `127.0.0.1:${port}`;
  const agent = new http.Agent({ keepAlive: true });
  const viaFetch = async (method, url, headers, body) => {
    const res = await fetch(url, { method, headers, body });
    return { status: res.status, etag: res.headers.get('etag'), text: await res.text() };
  };
  const viaHttp = (method, url, headers, body) =>
    new Promise((ok, ko) => {
      const size = body === undefined ? 0 : typeof body == 'string' ? Buffer.byteLength(body) : body.size;
      const req = http.request(url, { method, agent, headers: { ...headers, 'Content-Length': size } }, (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (c) => (text += c))
          .on('end', () => ok({ status: res.statusCode, etag: res.headers.etag, text }));
      });
      req.on('error', ko);
      if (typeof body != 'object') return req.end(body);
      (async () => {
        for await (const c of body.stream()) if (!req.write(c)) await new Promise((d) => req.once('drain', d));
        req.end();
      })().catch(ko);
    });
  const send = client === 'fetch' ? viaFetch : viaHttp;
  // Signed for the host without its port (the server accepts the Host signed with or without it): the
  // bare signer does not percent-encode header values, and the port's ':' would need it.
  const presign = plainPresigner({ secretId, secretKey }, '127.0.0.1');
  const call = async (method, k, params, body) => {
    const url = presign({ method, key: k, params, now: new Date(), expires: 3600 }).replace(
      'https://127.0.0.1/',
      `http://${host}/`,
    );
    const res = await send(method, url, {}, body);
    if (res.status !== 200) throw new Error(`${method} ${k}: ${res.status} ${res.text}`);
    return res;
  };
  run = async (path, k, warm) => {
    const blob = await fs.openAsBlob(path);
    const partSize = warm ? MiB : 8 * MiB;
    const count = Math.ceil(blob.size / partSize);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec((await call('POST', k, { uploads: '' })).text)[1];
    const etags = [];
    let next = 1;
    const worker = async () => {
      for (let n; (n = next++) <= count; )
        etags[n - 1] = (
          await call('PUT', k, { partNumber: String(n), uploadId }, blob.slice((n - 1) * partSize, n * partSize))
        ).etag;
    };
    await Promise.all(Array.from({ length: Math.min(4, count) }, worker));
    const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    return /<ETag>([^<]+)<\/ETag>/.exec((await call('POST', k, { uploadId }, xml)).text)[1];
  };
} else throw new Error(`unknown client ${client}`);

const gc = () => {
  for (let i = 0; i < 3; i++) globalThis.gc();
};

await run(warmFile, `${key}.warm`, true);
gc();
await new Promise((r) => setTimeout(r, 50));

// The sampler: [0] the highest RSS seen since the baseline, [1] how many samples were taken.
const shared = new BigInt64Array(new SharedArrayBuffer(16));
const sampler = new Worker(
  `const { workerData } = require('node:worker_threads');
   const a = new BigInt64Array(workerData);
   setInterval(() => { const r = BigInt(process.memoryUsage.rss()); if (r > Atomics.load(a, 0)) Atomics.store(a, 0, r); Atomics.add(a, 1, 1n); }, 5);`,
  { eval: true, workerData: shared.buffer },
);
await new Promise((r) => sampler.once('online', r));
await new Promise((r) => setTimeout(r, 50));
gc();

const base = process.memoryUsage.rss();
const hwmBefore = process.resourceUsage().maxRSS * 1024;
Atomics.store(shared, 0, BigInt(base));
Atomics.store(shared, 1, 0n);
// Diagnosis only (BENCH_UPLOAD_GC_MS=n): a full GC every n ms during the upload, to tell memory the
// upload holds from garbage not yet collected.
const forced =
  Number(process.env.BENCH_UPLOAD_GC_MS) > 0 &&
  setInterval(() => globalThis.gc(), Number(process.env.BENCH_UPLOAD_GC_MS));
const t0 = performance.now();
const result = await run(file, key, false);
const ms = performance.now() - t0;
clearInterval(forced);
const sampled = Number(Atomics.load(shared, 0));
const samples = Number(Atomics.load(shared, 1));
const hwmAfter = process.resourceUsage().maxRSS * 1024;
await sampler.terminate();

console.log(
  JSON.stringify({
    client,
    ms,
    // upload() resolves { etag, crc64, verified, … }; the others an ETag.
    ...(typeof result == 'string'
      ? { etag: result }
      : { etag: result.etag, crc64: result.crc64, verified: result.verified }),
    base,
    sampledPeak: sampled - base,
    samples,
    // The kernel's high-water mark is the upload's own only if it rose during the upload.
    hwmPeak: hwmAfter > hwmBefore ? hwmAfter - base : null,
  }),
);
process.exit(0);
