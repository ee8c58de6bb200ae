// Part "streams" of `npm run bench` (`node bench/run.mjs streams`): a 256 MiB upload() of a stream
// (fs.createReadStream, no size) against upload() of the same bytes as a Blob (fs.openAsBlob), with
// peak RSS growth; and a 256 MiB download() against one plain presigned GET of the same object, in Node
// (each in a fresh process, bench/upload-client.mjs) and in Chromium (bench/streams.html, the ES module
// in a page served from 127.0.0.1, the local COS server cross-origin as a bucket is).
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { serveAndLaunch } from './browser.mjs';
import { median, runDownload, runUpload } from './upload.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const dist = (f) =>
  process.env.COS_SIGN_DIST ? process.env.COS_SIGN_DIST.replace(/\/?$/, '/') + f : here('../dist/' + f);
const MiB = 1024 * 1024;

/** download() against one plain GET in Chromium, on the server runDownload started: { version, download, get } in MiB/s. */
const inChromium = async (options, size) => {
  const files = {
    '/': [here('./streams.html'), 'text/html'],
    '/cos-sign.mjs': [dist('cos-sign.mjs'), 'text/javascript'],
    '/cos-sign-shared.mjs': [dist('cos-sign-shared.mjs'), 'text/javascript'],
  };
  const { server, browser, page } = await serveAndLaunch(files);
  try {
    const out = await page.evaluate((o) => window.run(o), options);
    for (const [name, runs] of Object.entries(out))
      for (const r of runs)
        if (r.bytes !== size) throw new Error(`Chromium ${name}: read ${r.bytes} bytes, not ${size}`);
    const mibps = (runs) => median(runs.map((r) => size / MiB / (r.ms / 1000)));
    return {
      version: browser.version(),
      download: mibps(out.download),
      downloadNoCrc: mibps(out['download-nocrc']),
      download32: mibps(out['download-32']),
      get: mibps(out.get),
      getCrc: mibps(out['get-crc']),
    };
  } finally {
    await browser.close();
    server.close();
  }
};

/**
 * A TCP proxy to 127.0.0.1:`port` whose every connection carries at most `rate` bytes/s towards the
 * client: one TCP stream over a long path to COS is limited so (window / round trip), several are not.
 */
const perConnectionRate = (rate) => async (port) => {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    let free = Date.now();
    const close = () => (client.destroy(), upstream.destroy(), sockets.delete(client), sockets.delete(upstream));
    sockets.add(client).add(upstream);
    for (const s of [client, upstream]) s.on('close', close).on('error', close);
    client.pipe(upstream);
    upstream.on('data', (chunk) => {
      const now = Date.now();
      free = Math.max(free, now) + (chunk.length / rate) * 1000;
      if (!client.write(chunk) || free - now > 5) {
        upstream.pause();
        setTimeout(() => upstream.resume(), free - now);
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
};

/** Runs the part; prints its tables and reports its goals through `goal(what, ok, detail)`. */
export const streamsPart = async ({ rounds = 3, size = 256 * MiB, goal, log = (l) => console.log(`    ${l}`) }) => {
  const partSize = 8 * MiB;
  const concurrency = 4;
  const bound = (concurrency + 1) * partSize + 32 * MiB;
  const rate = 32 * MiB;
  console.log(
    `\n### Streams: ${size / MiB} MiB upload() of a stream against a Blob, then download() against one plain GET (local COS server, its own process, ${rounds} rounds, each run in a fresh process)\n`,
  );
  const clients = ['cos-sign', 'cos-sign-stream', 'cos-sign-stream-http'];
  const u = await runUpload({ rounds, size, clients, log });
  console.log(
    `\n| upload() body | MiB/s (median) | × Blob | peak RSS growth (worst / median of ${rounds}) |\n|---|--:|--:|--:|`,
  );
  const label = {
    'cos-sign': 'Blob (fs.openAsBlob)',
    'cos-sign-stream': 'stream (fs.createReadStream, no size)',
    'cos-sign-stream-http': 'the same stream, signer `fetch` over node:http',
  };
  for (const c of clients)
    console.log(
      `| ${label[c]} | ${u[c].mibps.toFixed(1)} | ${(u[c].mibps / u['cos-sign'].mibps).toFixed(2)} | ${(u[c].peak / MiB).toFixed(1)} / ${(u[c].peakMedian / MiB).toFixed(1)} MiB |`,
    );
  // Again with a full GC every 20 ms in the uploading process: live memory, without garbage not yet collected.
  process.env.BENCH_UPLOAD_GC_MS = '20';
  const g = await runUpload({ rounds, size, clients: clients.slice(1), log }).finally(() => {
    delete process.env.BENCH_UPLOAD_GC_MS;
  });
  for (const c of clients.slice(1))
    console.log(
      `| ${label[c]}, a full GC every 20 ms | ${g[c].mibps.toFixed(1)} | ${(g[c].mibps / u['cos-sign'].mibps).toFixed(2)} | ${(g[c].peak / MiB).toFixed(1)} / ${(g[c].peakMedian / MiB).toFixed(1)} MiB |`,
    );
  const s = u['cos-sign-stream'];
  const h = u['cos-sign-stream-http'];
  console.log(
    `\nBound: (concurrency + 1) × partSize + 32 MiB = ${bound / MiB} MiB. Node ${process.version}'s fetch copies a Uint8Array body (more than once) before sending it, so with it each part in flight costs several times its size; through a node:http \`fetch\` the library's own memory shows.`,
  );
  goal(
    'stream upload() peak RSS growth <= (concurrency + 1) × partSize + 32 MiB (signer fetch over node:http)',
    h.peak <= bound,
    `worst of ${rounds} ${(h.peak / MiB).toFixed(1)} MiB (median ${(h.peakMedian / MiB).toFixed(1)}), bound ${bound / MiB} MiB; with Node's fetch ${(s.peak / MiB).toFixed(1)} MiB`,
  );
  const hg = g['cos-sign-stream-http'];
  goal(
    'the same with a full GC every 20 ms',
    hg.peak <= bound,
    `worst of ${rounds} ${(hg.peak / MiB).toFixed(1)} MiB, bound ${bound / MiB} MiB; with Node's fetch ${(g['cos-sign-stream'].peak / MiB).toFixed(1)} MiB`,
  );
  goal(
    'stream upload() throughput vs Blob upload()',
    true,
    `${(s.mibps / u['cos-sign'].mibps).toFixed(2)}x (${s.mibps.toFixed(1)} vs ${u['cos-sign'].mibps.toFixed(1)} MiB/s)`,
  );

  for (const [net, via] of [
    ['localhost, no limit', undefined],
    [`localhost, ${rate / MiB} MiB/s per connection`, perConnectionRate(rate)],
  ]) {
    let chromium;
    const d = await runDownload({
      rounds,
      size,
      log,
      clients: ['download', 'download-nocrc', 'get', 'get-crc'],
      via,
      onStored: async (o) => {
        chromium = await inChromium({ ...o, rounds }, size).catch((e) => ({ error: e.message }));
      },
    });
    console.log(
      `\n| download (${net}) | MiB/s (median) | × plain GET | peak RSS growth (worst / median) |\n|---|--:|--:|--:|`,
    );
    for (const [c, name] of [
      ['download', `Node: download() (8 MiB × 4 ranged GETs, CRC-64 checked)`],
      ['download-nocrc', 'Node: download() with crc64: false (the ranges alone)'],
      ['get', 'Node: one plain presigned GET (fetch)'],
      ['get-crc', 'Node: one plain GET, CRC-64 of its bytes as they arrive'],
    ])
      console.log(
        `| ${name} | ${d[c].mibps.toFixed(1)} | ${(d[c].mibps / d.get.mibps).toFixed(2)} | ${(d[c].peak / MiB).toFixed(1)} / ${(d[c].peakMedian / MiB).toFixed(1)} MiB |`,
      );
    if (chromium.error) console.log(`| Chromium: not measured (${chromium.error}) | | | |`);
    else
      console.log(
        `| Chromium ${chromium.version}: download() | ${chromium.download.toFixed(1)} | ${(chromium.download / chromium.get).toFixed(2)} | |\n| Chromium: download() with crc64: false | ${chromium.downloadNoCrc.toFixed(1)} | ${(chromium.downloadNoCrc / chromium.get).toFixed(2)} | |\n| Chromium: download() in 32 MiB ranges (partSize) | ${chromium.download32.toFixed(1)} | ${(chromium.download32 / chromium.get).toFixed(2)} | |\n| Chromium: one plain presigned GET (fetch) | ${chromium.get.toFixed(1)} | 1.00 | |\n| Chromium: one plain GET, CRC-64 of its bytes as they arrive | ${chromium.getCrc.toFixed(1)} | ${(chromium.getCrc / chromium.get).toFixed(2)} | |`,
      );
    goal(
      `Node download() not slower than one plain GET (${net})`,
      d.download.mibps >= d.get.mibps,
      `${(d.download.mibps / d.get.mibps).toFixed(2)}x (${d.download.mibps.toFixed(1)} vs ${d.get.mibps.toFixed(1)} MiB/s)`,
    );
    goal(
      `Chromium download() not slower than one plain GET (${net})`,
      !chromium.error && chromium.download >= chromium.get,
      chromium.error ||
        `${(chromium.download / chromium.get).toFixed(2)}x (${chromium.download.toFixed(1)} vs ${chromium.get.toFixed(1)} MiB/s)`,
    );
  }
};
