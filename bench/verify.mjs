// Part "verify" of `npm run bench` (`node bench/run.mjs verify`): what verified bytes cost an upload.
// 256 MiB to the demo's local COS server (its own process, bench/upload-server.mjs) by upload() at its
// defaults, crc64 on (each part read into memory, hashed, checked against COS's x-cos-hash-crc64ecma)
// against crc64: false (each part a Blob slice, sent as it is), interleaved rounds in the same run:
//   - Node: bench/upload.mjs's runner, a fresh process per upload, body fs.openAsBlob(file);
//   - Chromium: one page (bench/verify.html, dist/cos-sign.umd.js) served from another origin than the
//     COS server (so the CRC is read through CORS), body a Blob made in the page from a seed
//     (bench/bytes.mjs); a full GC before each upload.
// Every stored object is read back (size and MD5) and deleted; with crc64 on, upload() must resolve
// verified: true with the server's CRC-64. Goal: on ≥ 0.9 × off in each. In Chromium it also times,
// without the network, what crc64 on adds per part: arrayBuffer() of each 8 MiB slice, then crc64().
import { createHash, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fillBytes } from './bytes.mjs';

const MiB = 1 << 20;
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const ON = 'cos-sign';
const OFF = 'cos-sign-crc-off';

/** Chromium: `rounds` rounds of one upload with crc64 on and one off (the order alternating), then the read/hash timing. */
const chromiumRounds = async ({ dist, rounds, size, seed, log }) => {
  const { startServer, median } = await import('./upload.mjs');
  const { crc64 } = await import(new URL('cos-sign.mjs', dist).href);
  const { serveAndLaunch } = await import('./browser.mjs');
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-sign-bench-verify-'));
  let server;
  let launched;
  try {
    // The page's bytes, made here too: their MD5 (for the server's check) and CRC-64 (upload()'s answer).
    let bytes = fillBytes(new Uint8Array(size), seed);
    const want = {
      md5: createHash('md5').update(bytes).digest('hex'),
      crc: crc64(bytes),
      warmMd5: createHash('md5')
        .update(bytes.subarray(0, 3 * MiB))
        .digest('hex'),
    };
    bytes = undefined;
    const secretId = 'AKIDbench' + randomBytes(8).toString('hex');
    const secretKey = randomBytes(20).toString('hex');
    server = await startServer(path.join(work, 'server'), secretId, secretKey);
    const distFile = (f) => fileURLToPath(new URL(f, dist));
    launched = await serveAndLaunch(
      {
        '/': [here('./verify.html'), 'text/html'],
        '/cos-sign.umd.js': [distFile('cos-sign.umd.js'), 'text/javascript'],
        '/bytes.mjs': [here('./bytes.mjs'), 'text/javascript'],
      },
      ['--js-flags=--expose-gc'],
    );
    const { page, browser } = launched;
    await page.evaluate((o) => window.prepare(o), { size, seed, port: server.port, secretId, secretKey });
    const one = async (crc, key, warm) => {
      const r = await page.evaluate((o) => window.uploadOnce(o), { bucket: server.bucket, key, crc64: crc, warm });
      const stored = await server.check(key, warm ? 3 * MiB : size, warm ? want.warmMd5 : want.md5);
      if (!stored.ok) throw new Error(`Chromium, crc64 ${crc}: the stored object differs from the Blob`);
      if (crc && !(r.verified && r.crc64 === stored.crc64))
        throw new Error(
          `Chromium, crc64 on: upload() resolved ${JSON.stringify(r)}, the server stored ${stored.crc64}`,
        );
      if (!warm && crc && r.crc64 !== want.crc) throw new Error(`Chromium: crc64 ${r.crc64}, the bytes' ${want.crc}`);
      return r;
    };
    // Warm-up: module code, connections and JIT, both ways, not counted.
    await one(true, 'bench/verify-warm-on.bin', true);
    await one(false, 'bench/verify-warm-off.bin', true);
    const runs = { [ON]: [], [OFF]: [] };
    for (let r = 0; r < rounds; r++)
      for (const crc of r % 2 ? [false, true] : [true, false]) {
        const name = crc ? ON : OFF;
        const res = await one(crc, `bench/verify-${r + 1}-${name}.bin`, false);
        runs[name].push({ ...res, mibps: size / MiB / (res.ms / 1000) });
        log(
          `Chromium round ${r + 1}: crc64 ${crc ? 'on ' : 'off'} ${runs[name].at(-1).mibps.toFixed(1)} MiB/s, verified ${res.verified}, bytes checked`,
        );
      }
    const cost = await page.evaluate((p) => window.readAndHash(p), 8 * MiB);
    if (cost.crc !== want.crc) throw new Error(`Chromium: crc64 over the parts ${cost.crc}, the bytes' ${want.crc}`);
    // How each way of sending a part fares without the library (64 MiB, 8 MiB × 4, one pass each).
    const diag = { size: 64 * MiB, partSize: 8 * MiB, concurrency: 4 };
    const transports = await page.evaluate((o) => window.transports(o), {
      bucket: server.bucket,
      key: 'bench/verify-transports.bin',
      ...diag,
    });
    const summary = (list) => ({ runs: list, mibps: median(list.map((x) => x.mibps)) });
    return {
      version: browser.version(),
      [ON]: summary(runs[ON]),
      [OFF]: summary(runs[OFF]),
      cost,
      transports: { ...diag, ms: transports },
    };
  } finally {
    if (launched) {
      await launched.browser.close();
      launched.server.close();
    }
    await server?.stop();
    await fsp.rm(work, { recursive: true, force: true });
  }
};

export async function verifyPart({ dist, goal, rounds = 3, size = 256 * MiB, seed = 0x6a09e667 }) {
  const { runUpload } = await import('./upload.mjs');
  const log = (line) => console.log(`    ${line}`);
  console.log(
    `\n### Verified bytes: ${size / MiB} MiB by upload() (8 MiB × 4) to the local COS server, crc64 on vs off, ${rounds} interleaved rounds\n`,
  );
  const before = os.loadavg()[0].toFixed(1);
  const node = await runUpload({ rounds, size, clients: [ON, OFF], log: (l) => log(`Node ${l}`) });
  const chromium = await chromiumRounds({ dist, rounds, size, seed, log });
  const ratios = (u) => u[ON].runs.map((x, i) => x.mibps / u[OFF].runs[i].mibps);
  const rows = [
    [`Node ${process.version}, body fs.openAsBlob(file), a process per upload`, node],
    [`Chromium ${chromium.version}, body a Blob, dist/cos-sign.umd.js, cross-origin`, chromium],
  ];
  console.log(
    '\n| runtime | crc64 on MiB/s (median) | crc64 off MiB/s (median) | on ÷ off | per round (on ÷ off) |\n|---|--:|--:|--:|---|',
  );
  for (const [name, u] of rows)
    console.log(
      `| ${name} | ${u[ON].mibps.toFixed(1)} | ${u[OFF].mibps.toFixed(1)} | **${(u[ON].mibps / u[OFF].mibps).toFixed(2)}** | ${ratios(
        u,
      )
        .map((x) => x.toFixed(2))
        .join(', ')} |`,
    );
  console.log(`\nLoad average during the part: ${before} → ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs.`);
  const { readMs, hashMs } = chromium.cost;
  const gib = (ms) => (size / 2 ** 30 / (ms / 1000)).toFixed(2);
  console.log(
    `\nIn Node, peak RSS growth (worst of ${rounds}): crc64 on ${(node[ON].peak / MiB).toFixed(1)} MiB, off ${(node[OFF].peak / MiB).toFixed(1)} MiB.`,
  );
  console.log(
    `Chromium, the page alone (no network), what crc64 on adds per 8 MiB part on the main thread: arrayBuffer() ${readMs.toFixed(0)} ms (${gib(readMs)} GiB/s), crc64() ${hashMs.toFixed(0)} ms (${gib(hashMs)} GiB/s) for ${size / MiB} MiB.`,
  );
  const t = chromium.transports;
  console.log(
    `\nChromium, bare UploadParts without upload() (presigned, ${t.size / MiB} MiB in ${t.partSize / MiB} MiB parts, ${t.concurrency} in flight, one pass each; a diagnosis):\n`,
  );
  console.log('| a part sent as | MiB/s |\n|---|--:|');
  for (const [how, ms] of Object.entries(t.ms)) console.log(`| ${how} | ${(t.size / MiB / (ms / 1000)).toFixed(1)} |`);
  for (const [name, u] of rows) {
    const ratio = u[ON].mibps / u[OFF].mibps;
    goal(
      `upload() with crc64 on >= 0.9x off, ${name.split(',')[0]}`,
      ratio >= 0.9,
      `${ratio.toFixed(2)}x (${u[ON].mibps.toFixed(1)} vs ${u[OFF].mibps.toFixed(1)} MiB/s)`,
    );
  }
  return { node, chromium };
}
