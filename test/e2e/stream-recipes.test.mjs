// The stream recipes of docs/streams.md, each run as it is written, in its runtime, against the local COS
// server: the Worker in workerd (`workerd serve`, a request streamed to it, with and without a length),
// the Deno script with Deno, the Node script with Node, and the page's downloadToBlob and downloadToFile
// (into the origin private file system) in Chromium, each paused after its first range and resumed: the
// second download starts at the byte where the first stopped.
// A recipe is the code block after its `<!-- recipe: name -->` marker; the test changes only its
// `region: 'ap-guangzhou',` (to the local server's domain, over http) and where `cos-sign` is imported from.
// Deno and workerd come from test/runtimes (its lockfile; `npm run test:runtimes` installs them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createCosServer } from '../../demo/server/cos-server.mjs';
import { ENGINES, available, launch } from './engines.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Serves a page's files (URL path -> [content type, body]) and the built ES module from 127.0.0.1, another
 * origin than the COS server's: { url, close }.
 */
const servePage = async (files) => {
  const all = {
    ...files,
    '/dist/cos-sign.mjs': ['text/javascript', readFileSync(path.join(root, 'dist/cos-sign.mjs'))],
    '/dist/cos-sign-shared.mjs': ['text/javascript', readFileSync(path.join(root, 'dist/cos-sign-shared.mjs'))],
  };
  const server = http.createServer((req, res) => {
    const f = all[req.url];
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': f[0] }).end(f[1]);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
};
const bin = (n) => path.join(root, 'test/runtimes/node_modules/.bin', n);
const MiB = 1 << 20;
/** Orders `bytes=a-b` ranges by their first byte. */
const byStart = (x, y) => Number(x.split(/[=-]/)[1]) - Number(y.split(/[=-]/)[1]);
const DOC = readFileSync(path.join(root, 'docs/streams.md'), 'utf8');
const engines = Object.fromEntries(await Promise.all(ENGINES.map(async (e) => [e, await available(e)])));
const chromium = engines.chromium;

/** The code block after `<!-- recipe: name -->`, pointed at the local server, importing `cos-sign` from `from`. */
const recipe = (name, from) => {
  const at = DOC.indexOf(`<!-- recipe: ${name} -->`);
  expect(at, `docs/streams.md has a ${name} recipe`).toBeGreaterThan(0);
  const code = /```js\n([\s\S]*?)\n```/.exec(DOC.slice(at))[1];
  // The page's recipe takes the signer; the scripts make their own.
  if (name != 'browser') expect(code).toContain("region: 'ap-guangzhou',");
  return code
    .replace("region: 'ap-guangzhou',", `domain: '${host}', scheme: 'http',`)
    .replace(/from '(npm:)?cos-sign'/, `from '${from}'`);
};

let cos;
let host;
let dir;
const bucket = 'demo-1250000000';
const id = 'AKIDrecipe' + randomBytes(6).toString('hex');
const sk = randomBytes(20).toString('hex');
const env = () => ({ ...process.env, COS_SECRET_ID: id, COS_SECRET_KEY: sk, COS_BUCKET: bucket, NO_COLOR: '1' });
const distUrl = pathToFileURL(path.join(root, 'dist/cos-sign.mjs')).href;

beforeAll(async () => {
  cos = await createCosServer({ bucket, maxObjectBytes: 256 * MiB });
  host = (await cos.listen(0)).replace('http://', '');
  cos.addKey(id, sk);
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-sign-recipes-'));
});
afterAll(async () => {
  await cos.close();
  await fsp.rm(cos.dataDir, { recursive: true, force: true });
  await fsp.rm(dir, { recursive: true, force: true });
});

const bytes = (n, seed) => {
  const b = Buffer.alloc(n + 3);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return b.subarray(0, n);
};
const sha = (b) => createHash('sha256').update(b).digest('hex');

/** Runs a command to its end: { code, out, err }. */
const run = (cmd, args, options = {}) =>
  new Promise((ok, ko) => {
    const child = spawn(cmd, args, { cwd: dir, env: env(), ...options });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', ko);
    child.on('close', (code) => ok({ code, out, err }));
  });

/** A free TCP port on 127.0.0.1. */
const freePort = () =>
  new Promise((ok) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

describe('docs/streams.md recipes', () => {
  it.skipIf(!existsSync(bin('workerd')))(
    'Cloudflare Worker (workerd): a request body streamed into COS, with and without Content-Length',
    async () => {
      const w = path.join(dir, 'worker');
      await fsp.mkdir(w);
      await fsp.writeFile(path.join(w, 'worker.mjs'), recipe('worker', './cos-sign.mjs'));
      for (const f of ['cos-sign.mjs', 'cos-sign-shared.mjs'])
        await fsp.copyFile(path.join(root, 'dist', f), path.join(w, f));
      const port = await freePort();
      await fsp.writeFile(
        path.join(w, 'config.capnp'),
        `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker), (name = "net", network = (allow = ["local", "private", "public"])) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "cos-sign.mjs", esModule = embed "cos-sign.mjs"),
    (name = "cos-sign-shared.mjs", esModule = embed "cos-sign-shared.mjs"),
  ],
  compatibilityDate = "2026-11-17",
  bindings = [
    (name = "COS_SECRET_ID", text = "${id}"),
    (name = "COS_SECRET_KEY", text = "${sk}"),
    (name = "COS_BUCKET", text = "${bucket}"),
  ],
  globalOutbound = "net",
);
`,
      );
      let log = '';
      const child = spawn(bin('workerd'), ['serve', 'config.capnp'], { cwd: w, env: env() });
      child.stdout.on('data', (d) => (log += d));
      child.stderr.on('data', (d) => (log += d));
      try {
        const url = `http://127.0.0.1:${port}`;
        for (let i = 0; ; i++) {
          const up = await fetch(url).then(
            () => true,
            () => false,
          );
          if (up) break;
          if (i > 100) throw new Error(`workerd did not start: ${log}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        // Chunked: a stream with no length, in pieces as a client sends them.
        const data = bytes(19 * MiB + 11, 1);
        let at = 0;
        const stream = new ReadableStream({
          pull(c) {
            if (at >= data.length) return c.close();
            c.enqueue(new Uint8Array(data.subarray(at, at + 512 * 1024)));
            at += 512 * 1024;
          },
        });
        const from = cos.state.history.length;
        const res = await fetch(`${url}/worker/chunked.bin`, { method: 'PUT', body: stream, duplex: 'half' });
        const r = await res.json();
        expect(res.status, JSON.stringify(r) + log).toBe(200);
        const stored = await cos.readObject('worker/chunked.bin');
        expect(sha(stored.data)).toBe(sha(data));
        expect(r).toMatchObject({ etag: stored.etag, crc64: stored.crc64, verified: true });
        const puts = cos.state.history.slice(from).filter((h) => h.method == 'PUT');
        expect(puts.map((h) => +h.query.partNumber).sort()).toEqual([1, 2, 3]);
        // With a length: `size` is the request's Content-Length.
        const small = bytes(3 * MiB, 2);
        const res2 = await fetch(`${url}/worker/sized.bin`, {
          method: 'PUT',
          body: small,
          headers: { 'Content-Type': 'application/x-test' },
        });
        expect(res2.status).toBe(200);
        const stored2 = await cos.readObject('worker/sized.bin');
        expect(sha(stored2.data)).toBe(sha(small));
        expect(stored2.headers['content-type']).toBe('application/x-test');
      } finally {
        child.kill();
      }
    },
  );

  it.skipIf(!existsSync(bin('deno')))('Deno: a file from Deno.open', async () => {
    const file = path.join(dir, 'deno.bin');
    const data = bytes(9 * MiB + 5, 3);
    await fsp.writeFile(file, data);
    await fsp.writeFile(path.join(dir, 'upload.mjs'), recipe('deno', distUrl));
    const r = await run(
      bin('deno'),
      [
        'run',
        '--no-remote',
        '--no-npm',
        '--no-config',
        '--no-lock',
        '--allow-net',
        '--allow-read',
        '--allow-env',
        'upload.mjs',
        file,
        'deno/file.bin',
      ],
      { env: { ...env(), DENO_DIR: path.join(dir, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1' } },
    );
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out.trim().split('\n').at(-1));
    const stored = await cos.readObject('deno/file.bin');
    expect(sha(stored.data)).toBe(sha(data));
    expect(out).toMatchObject({ key: 'deno/file.bin', etag: stored.etag, verified: true });
    expect(out.uploadId).toBeTruthy();
  });

  it('Node: fs.createReadStream', async () => {
    const file = path.join(dir, 'node.bin');
    const data = bytes(17 * MiB + 1, 4);
    await fsp.writeFile(file, data);
    await fsp.writeFile(path.join(dir, 'upload-file.mjs'), recipe('node', distUrl));
    const r = await run(process.execPath, ['upload-file.mjs', file, 'node/file.bin']);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out.trim().split('\n').at(-1));
    const stored = await cos.readObject('node/file.bin');
    expect(sha(stored.data)).toBe(sha(data));
    expect(out).toMatchObject({ key: 'node/file.bin', etag: stored.etag, verified: true });
    expect(r.err.trim().split('\n').at(-1)).toBe('100.0 %');
  });

  // Not a recipe: the browser's own path for a stream body (parts by XMLHttpRequest, for upload progress, sent
  // as Blobs), which the conformance suite does not take (it gives the signer a fetch); then download() of the
  // object over the engine's own fetch (ranges kept as the chunks they arrived in); in every engine here.
  it.each(ENGINES)(
    'browser (%s): upload() of a ReadableStream, parts sent by XMLHttpRequest; download() of it',
    async (engine) => {
      if (!engines[engine].ok) return;
      const files = {
        '/': [
          'text/html',
          `<!doctype html><title>stream upload</title><script type="module">
import * as lib from '/dist/cos-sign.mjs';
window.lib = lib;
</script>`,
        ],
      };
      const server = await servePage(files);
      const browser = await launch(engine);
      try {
        const page = await browser.newPage();
        await page.goto(server.url);
        await page.waitForFunction(() => !!window.lib);
        const from = cos.state.history.length;
        const r = await page.evaluate(
          async ({ host, id, sk, bucket }) => {
            const { CosSigner, upload, download } = window.lib;
            const signer = new CosSigner({
              domain: host,
              scheme: 'http',
              credentials: { secretId: id, secretKey: sk },
            });
            // 3 MiB + 7 bytes of a counter, in 100,000-byte chunks; no size.
            const size = 3 * 1024 * 1024 + 7;
            let at = 0;
            const body = new ReadableStream({
              pull(c) {
                if (at >= size) return c.close();
                const n = Math.min(100000, size - at);
                c.enqueue(new Uint8Array(n).map((_, i) => (at + i) & 255));
                at += n;
              },
            });
            const progress = [];
            const res = await upload(signer, {
              bucket,
              key: 'browser/stream.bin',
              body,
              partSize: 1024 * 1024,
              onProgress: (p) => progress.push([p.loaded, p.total ?? null]),
            });
            // Back, in ranged GETs of 1 MiB, 2 at a time: SHA-256 of the chunks as they came.
            const d = await download(signer, {
              bucket,
              key: 'browser/stream.bin',
              partSize: 1024 * 1024,
              concurrency: 2,
            });
            const chunks = [];
            const reader = d.body.getReader();
            for (let x = await reader.read(); !x.done; x = await reader.read()) chunks.push(x.value);
            const whole = await new Blob(chunks).arrayBuffer();
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', whole));
            const back = { size: whole.byteLength, chunks: chunks.length, crc64: d.crc64 };
            back.sha = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
            return { ...res, progress, back };
          },
          { host, id, sk, bucket },
        );
        const stored = await cos.readObject('browser/stream.bin');
        const want = Buffer.alloc(3 * MiB + 7);
        for (let i = 0; i < want.length; i++) want[i] = i & 255;
        expect(sha(stored.data)).toBe(sha(want));
        expect(r).toMatchObject({ etag: stored.etag, crc64: stored.crc64, verified: true });
        expect(r.progress.at(-1)).toEqual([want.length, want.length]);
        // No total until the stream has ended.
        expect(r.progress.filter(([n]) => n < MiB).every(([, t]) => t === null)).toBe(true);
        const puts = cos.state.history.slice(from).filter((h) => h.method == 'PUT');
        expect(puts.map((h) => +h.query.partNumber).sort()).toEqual([1, 2, 3, 4]);
        expect(r.back).toMatchObject({ size: want.length, crc64: stored.crc64, sha: sha(want) });
        const gets = cos.state.history.slice(from).filter((h) => h.method == 'GET');
        expect(gets).toHaveLength(4);
        expect(gets.every((h) => h.headers['if-match'] == stored.etag && h.status == 206)).toBe(true);
      } finally {
        await browser.close();
        server.close();
      }
    },
  );

  it.skipIf(!chromium.ok)(
    'browser (Chromium): downloadToBlob with progress, and downloadToFile into OPFS, each paused and resumed',
    async () => {
      const data = bytes(20 * MiB + 3, 5);
      const key = 'browser/big.bin';
      const put = await fetch(`http://${host}/${key}`).then((r) => r.status);
      expect(put).toBe(403); // the bucket is private: the page must sign
      const { upload, CosSigner } = await import('../../dist/cos-sign.mjs');
      const signer = new CosSigner({ domain: host, scheme: 'http', credentials: { secretId: id, secretKey: sk } });
      await upload(signer, { bucket, key, body: data, headers: { 'Content-Type': 'application/x-big' } });
      const files = {
        '/': [
          'text/html',
          `<!doctype html><title>download recipe</title><script type="module">
import { CosSigner } from '/dist/cos-sign.mjs';
import { downloadToBlob, downloadToFile } from '/download.mjs';
window.recipe = { CosSigner, downloadToBlob, downloadToFile };
</script>`,
        ],
        '/download.mjs': ['text/javascript', recipe('browser', '/dist/cos-sign.mjs')],
      };
      const server = await servePage(files);
      const browser = await launch('chromium');
      try {
        const page = await browser.newPage();
        await page.goto(server.url);
        await page.waitForFunction(() => !!window.recipe);
        const from = cos.state.history.length;
        const r = await page.evaluate(
          async ({ host, id, sk, bucket, key }) => {
            const { CosSigner, downloadToBlob } = window.recipe;
            const signer = new CosSigner({
              domain: host,
              scheme: 'http',
              credentials: { secretId: id, secretKey: sk },
            });
            const kept = [];
            const progress = [];
            const pause = new AbortController();
            let first = '';
            try {
              await downloadToBlob(signer, bucket, key, {
                kept,
                signal: pause.signal,
                onProgress: (n, size) => (progress.push([n, size]), pause.abort(new Error('paused'))),
              });
            } catch (e) {
              first = e.message;
            }
            const keptBytes = kept.reduce((n, c) => n + c.length, 0);
            const blob = await downloadToBlob(signer, bucket, key, {
              kept,
              onProgress: (n, size) => progress.push([n, size]),
            });
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
            const hash = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
            return { first, keptBytes, size: blob.size, type: blob.type, hash, progress };
          },
          { host, id, sk, bucket, key },
        );
        expect(r.first).toBe('paused');
        expect(r.keptBytes).toBe(8 * MiB);
        expect([r.size, r.type, r.hash]).toEqual([data.length, 'application/x-big', sha(data)]);
        expect(r.progress[0]).toEqual([8 * MiB, data.length]);
        expect(r.progress.at(-1)).toEqual([data.length, data.length]);
        // The second download asked only for the bytes after the first one's.
        const seen = cos.state.history.slice(from);
        const heads = seen.flatMap((h, i) => (h.method == 'HEAD' ? [i] : []));
        expect(heads).toHaveLength(2);
        // Ranges go out in parallel on separate connections, so they may reach the server in either order.
        const second = seen.slice(heads[1]).filter((h) => h.method == 'GET');
        expect(second.map((h) => h.headers.range).sort(byStart)).toEqual([
          `bytes=${8 * MiB}-${16 * MiB - 1}`,
          `bytes=${16 * MiB}-${data.length - 1}`,
        ]);
        expect(seen.filter((h) => h.method == 'GET').every((h) => h.headers['if-match'])).toBe(true);
        // downloadToFile into the origin private file system: paused after its first range, resumed from the file.
        const from2 = cos.state.history.length;
        const f = await page.evaluate(
          async ({ host, id, sk, bucket, key }) => {
            const { CosSigner, downloadToFile } = window.recipe;
            const signer = new CosSigner({
              domain: host,
              scheme: 'http',
              credentials: { secretId: id, secretKey: sk },
            });
            const dir = await navigator.storage.getDirectory();
            const handle = await dir.getFileHandle('big.bin', { create: true });
            const pause = new AbortController();
            let first = '';
            try {
              await downloadToFile(signer, bucket, key, handle, {
                signal: pause.signal,
                onProgress: () => pause.abort(new Error('paused')),
              });
            } catch (e) {
              first = e.message;
            }
            const keptBytes = (await handle.getFile()).size;
            await downloadToFile(signer, bucket, key, handle);
            const file = await handle.getFile();
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
            const hash = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
            await dir.removeEntry('big.bin');
            return { first, keptBytes, size: file.size, hash };
          },
          { host, id, sk, bucket, key },
        );
        expect(f.first).toBe('paused');
        expect(f.keptBytes).toBe(8 * MiB);
        expect([f.size, f.hash]).toEqual([data.length, sha(data)]);
        const again = cos.state.history.slice(from2);
        const heads2 = again.flatMap((h, i) => (h.method == 'HEAD' ? [i] : []));
        const resumed = again.slice(heads2[1]).filter((h) => h.method == 'GET');
        expect(resumed.map((h) => h.headers.range).sort(byStart)).toEqual([
          `bytes=${8 * MiB}-${16 * MiB - 1}`,
          `bytes=${16 * MiB}-${data.length - 1}`,
        ]);
      } finally {
        await browser.close();
        server.close();
      }
    },
  );
});
