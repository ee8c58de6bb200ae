// The large-upload part of `npm run bench` (`node bench/run.mjs upload`): cos-sign `upload()` against
// cos-nodejs-sdk-v5 `sliceUploadFile`, the same 256 MiB file to the demo's local COS server, each at its
// defaults, and two bare transports with cos-sign's part plan for reference. The server runs in a
// process of its own (bench/upload-server.mjs); every upload runs in a fresh process
// (bench/upload-client.mjs), the order rotating each round, so that one client's memory and garbage
// never land on another. Every stored object is read back (size and MD5) before its time counts.
// The temp folder (the file, the server's data, the SDK's upload-id cache) goes at the end, also on failure.
import { execFile, fork } from 'node:child_process';
import { createHash, randomFillSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const MiB = 1024 * 1024;
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const require = createRequire(import.meta.url);

/**
 * The clients: the two compared, then two ceilings (cos-sign's part plan over bare fetch / node:http; bench/upload-client.mjs).
 * Part "streams" also runs 'cos-sign-stream' here, and 'download' / 'get' in runDownload.
 */
export const CLIENTS = ['cos-sign', 'sdk', 'fetch', 'http'];

/** cos-sign upload()'s defaults (UploadOptions in src/transfer/upload.ts). */
export const COS_SIGN_DEFAULTS = { partSize: 8 * MiB, concurrency: 4 };

/** cos-nodejs-sdk-v5's own defaults, read from a fresh client (sliceUploadFile's part size is ChunkSize, raised only beyond 10,000 parts). */
export const sdkDefaults = () => {
  const COS = require('cos-nodejs-sdk-v5');
  const o = new COS({ SecretId: 'x', SecretKey: 'y' }).options;
  return {
    ChunkSize: o.ChunkSize,
    ChunkParallelLimit: o.ChunkParallelLimit,
    SliceSize: o.SliceSize,
    ChunkRetryTimes: o.ChunkRetryTimes,
    version: require('cos-nodejs-sdk-v5/package.json').version,
  };
};

/** Writes `size` random bytes to `file`, returning their MD5. */
const randomFile = async (file, size) => {
  const md5 = createHash('md5');
  const out = await fsp.open(file, 'w');
  try {
    const chunk = Buffer.allocUnsafe(8 * MiB);
    for (let left = size; left > 0; left -= chunk.length) {
      const b = chunk.subarray(0, Math.min(left, chunk.length));
      randomFillSync(b);
      md5.update(b);
      await out.write(b);
    }
  } finally {
    await out.close();
  }
  return md5.digest('hex');
};

export const median = (a) => {
  const s = a.slice().sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Starts the server process (bench/upload-server.mjs); resolves with { child, port, bucket, check, stop }:
 * `check(key, size, md5)` reads the stored object back (size, MD5, ETag, CRC-64) and deletes it; `stop()`
 * asks it to close, waits up to 3 s for it to exit, then kills it.
 */
export const startServer = (dataDir, secretId, secretKey) =>
  new Promise((ok, ko) => {
    const child = fork(here('./upload-server.mjs'), [dataDir, secretId, secretKey], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
    });
    const waiting = new Map();
    child.on('message', (m) => {
      if (m.ready) ok({ child, port: m.ready, bucket: m.bucket, check, stop });
      if (m.checked) waiting.get(m.checked)?.(m), waiting.delete(m.checked);
    });
    const died = (code) => {
      const e = new Error(`the COS server process exited (${code})`);
      ko(e);
      for (const w of waiting.values()) w({ ok: false, error: e.message });
    };
    child.on('exit', died);
    child.on('error', ko);
    const check = (key, size, md5) =>
      new Promise((res) => (waiting.set(key, res), child.send({ check: key, size, md5 })));
    const stop = async () => {
      const gone = new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      child.connected && child.send({ stop: true });
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
      child.kill();
    };
  });

/** Per client: its runs, the median MiB/s, the worst and the median peak RSS growth. */
const summarize = (size, rounds, clients, runs) => {
  const summary = (list) => ({
    runs: list,
    mibps: median(list.map((x) => x.mibps)),
    peak: Math.max(...list.map((x) => x.peak)),
    peakMedian: median(list.map((x) => x.peak)),
  });
  return { size, rounds, ...Object.fromEntries(clients.map((c) => [c, summary(runs[c])])) };
};

/** The upload process running now (so that an interrupted run can stop it). */
let running;

/** One upload in a fresh process: its JSON result. */
const runClient = (cfg) =>
  new Promise(
    (ok, ko) =>
      (running = execFile(
        process.execPath,
        ['--expose-gc', here('./upload-client.mjs'), JSON.stringify(cfg)],
        { maxBuffer: 16 * MiB, env: process.env },
        (e, stdout, stderr) => {
          if (e) return ko(new Error(`${cfg.client} upload failed: ${e.message}\n${stderr}`));
          try {
            ok(JSON.parse(stdout.trim().split('\n').pop()));
          } catch {
            ko(new Error(`${cfg.client}: no result in its output:\n${stdout}\n${stderr}`));
          }
        },
      )),
  );

/**
 * Runs `rounds` rounds (each: one upload of `size` bytes per client, the order rotating). Returns per
 * client its runs, the median MiB/s and the worst and median peak RSS growth (bytes):
 * { size, rounds, 'cos-sign': { runs, mibps, peak, peakMedian }, sdk: {…}, … }.
 */
export async function runUpload({ rounds = 3, size = 256 * MiB, clients = CLIENTS, log = () => {} } = {}) {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-sign-bench-upload-'));
  let server;
  // Ctrl-C or a kill during the run: stop the processes this started and still remove the temp folder.
  const bail = (sig) => {
    running?.kill();
    server?.child.kill();
    fs.rmSync(work, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', bail).once('SIGTERM', bail);
  try {
    const file = path.join(work, 'upload.bin');
    const warmFile = path.join(work, 'warm.bin');
    log(`writing ${size / MiB} MiB of random bytes to ${file} …`);
    const md5 = await randomFile(file, size);
    await randomFile(warmFile, 3 * MiB);
    const secretId = 'AKIDbench' + randomBytes(8).toString('hex');
    const secretKey = randomBytes(20).toString('hex');
    server = await startServer(path.join(work, 'server'), secretId, secretKey);
    const base = { file, warmFile, port: server.port, bucket: server.bucket, secretId, secretKey, work };
    const runs = Object.fromEntries(clients.map((c) => [c, []]));
    for (let r = 0; r < rounds; r++) {
      // The order rotates every round, so that no client always follows the same one.
      for (const client of clients.slice(r % clients.length).concat(clients.slice(0, r % clients.length))) {
        const key = `bench/round-${r + 1}/${client}.bin`;
        const res = await runClient({ ...base, client, key });
        const stored = await server.check(key, size, md5);
        if (!stored.ok)
          throw new Error(
            `${client}: the stored object differs from the file (${JSON.stringify({ want: { size, md5 }, got: stored })})`,
          );
        const peak = Math.max(res.sampledPeak, res.hwmPeak ?? 0);
        if (res.crc64 !== undefined && res.crc64 !== stored.crc64)
          throw new Error(`${client}: upload() resolved crc64 ${res.crc64}, the server stored ${stored.crc64}`);
        runs[client].push({ ...res, mibps: size / MiB / (res.ms / 1000), peak, etag: stored.etag });
        log(
          `round ${r + 1}: ${client.padEnd(9)} ${(size / MiB / (res.ms / 1000)).toFixed(1)} MiB/s, peak RSS growth ${(peak / MiB).toFixed(1)} MiB (sampled ${(res.sampledPeak / MiB).toFixed(1)}, kernel high-water ${res.hwmPeak == null ? 'not raised' : (res.hwmPeak / MiB).toFixed(1)}), bytes verified`,
        );
      }
    }
    return summarize(size, rounds, clients, runs);
  } finally {
    process.off('SIGINT', bail).off('SIGTERM', bail);
    await server?.stop();
    await fsp.rm(work, { recursive: true, force: true });
  }
}

/**
 * Downloads: the same `size` random bytes stored once (by cos-sign, in this process), then `rounds`
 * rounds of `clients` ('download': download() read to its end; 'get': one plain presigned GET read to
 * its end), each in a fresh process (bench/upload-client.mjs), the order rotating; then `onStored(server)`
 * ({ port, bucket, secretId, secretKey, key }) on the same server. `via(serverPort)` → { port, close }: a proxy
 * the clients go through. Returns what
 * runUpload does: { size, rounds, download: { runs, mibps, peak, peakMedian }, get: {…} }.
 */
export async function runDownload({
  rounds = 3,
  size = 256 * MiB,
  clients = ['download', 'get'],
  log = () => {},
  onStored,
  via,
} = {}) {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-sign-bench-download-'));
  let server;
  try {
    const file = path.join(work, 'object.bin');
    const warmFile = path.join(work, 'warm.bin');
    log(`writing ${size / MiB} MiB of random bytes to ${file} …`);
    await randomFile(file, size);
    await randomFile(warmFile, 3 * MiB);
    const secretId = 'AKIDbench' + randomBytes(8).toString('hex');
    const secretKey = randomBytes(20).toString('hex');
    server = await startServer(path.join(work, 'server'), secretId, secretKey);
    const dist = process.env.COS_SIGN_DIST
      ? new URL(process.env.COS_SIGN_DIST.replace(/\/?$/, '/'), 'file:///')
      : new URL('../dist/', import.meta.url);
    const { CosSigner, upload } = await import(new URL('cos-sign.mjs', dist).href);
    const signer = new CosSigner({
      domain: `127.0.0.1:${server.port}`,
      scheme: 'http',
      credentials: { secretId, secretKey },
    });
    const key = 'bench/download.bin';
    await upload(signer, { bucket: server.bucket, key, body: await fs.openAsBlob(file) });
    await upload(signer, { bucket: server.bucket, key: `${key}.warm`, body: await fs.openAsBlob(warmFile) });
    // `via` (a proxy in front of the server, e.g. a per-connection rate) is where the clients connect.
    const proxy = await via?.(server.port);
    const port = proxy?.port ?? server.port;
    const base = { file, warmFile, port, bucket: server.bucket, secretId, secretKey, work };
    const runs = Object.fromEntries(clients.map((c) => [c, []]));
    for (let r = 0; r < rounds; r++)
      for (const client of clients.slice(r % clients.length).concat(clients.slice(0, r % clients.length))) {
        const res = await runClient({ ...base, client, key });
        if (res.etag !== String(size)) throw new Error(`${client}: read ${res.etag} bytes, not ${size}`);
        const peak = Math.max(res.sampledPeak, res.hwmPeak ?? 0);
        runs[client].push({ ...res, mibps: size / MiB / (res.ms / 1000), peak });
        log(
          `round ${r + 1}: ${client.padEnd(9)} ${(size / MiB / (res.ms / 1000)).toFixed(1)} MiB/s, peak RSS growth ${(peak / MiB).toFixed(1)} MiB`,
        );
      }
    // Then, on the same server and object (Chromium, bench/streams.mjs).
    await onStored?.({ port, bucket: server.bucket, secretId, secretKey, key });
    await proxy?.close();
    return summarize(size, rounds, clients, runs);
  } finally {
    await server?.stop();
    await fsp.rm(work, { recursive: true, force: true });
  }
}
