// The local COS server's own figures (bench/run.mjs part "server"): 16 uploads in parallel, 256 MiB in all,
// to cos-sign/server on disk in a process of its own (bench/cos-server-process.mjs): MiB/s stored and the
// server's peak RSS growth (goal ≤ 128 MiB: bodies are streamed, never held whole); then small signed GETs
// (one presigned URL of a 1 KiB object) with autocannon, a bounded number of requests: requests/s.
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const MiB = 1024 * 1024;
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

/** Starts the server process; resolves { url, bucket, ask(message), stop() }. */
const startServer = async (dataDir, { secretId, secretKey }) => {
  const child = fork(here('./cos-server-process.mjs'), [dataDir, secretId, secretKey], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () => new Promise((ok) => child.once('message', ok));
  const { ready: url, bucket } = await next();
  return {
    url,
    bucket,
    ask: (m) => (child.send(m), next()),
    stop: () => new Promise((ok) => (child.once('exit', ok), child.send({ stop: true }))),
  };
};

/**
 * Runs the part; `CosSigner` and `signedFetch` from the build under test, `goal(what, ok, detail)` records a
 * goal. Options: uploads (16), size (16 MiB each), requests (GETs, 20,000), connections (16).
 */
export const serverPart = async ({
  CosSigner,
  signedFetch,
  goal,
  uploads = 16,
  size = 16 * MiB,
  requests = 20_000,
  connections = 16,
}) => {
  const credentials = {
    secretId: 'AKIDbench' + randomBytes(8).toString('hex'),
    secretKey: randomBytes(16).toString('hex'),
  };
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-server-bench-'));
  const server = await startServer(dataDir, credentials);
  try {
    const domain = server.url.replace('http://', '');
    const signer = new CosSigner({ domain, scheme: 'http', credentials });
    // One body, sent 16 times: the client holds 16 MiB, not 256.
    const body = randomBytes(size);
    const md5 = createHash('md5').update(body).digest('hex');
    await server.ask({ rss: 'reset' });
    const t0 = performance.now();
    const answers = await Promise.all(
      Array.from({ length: uploads }, (_, i) =>
        signedFetch(signer, `${server.url}/bench/${i}.bin`, { method: 'PUT', body }),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    const { rss } = await server.ask({ rss: 'peak' });
    const stored = answers.every((r) => r.status === 200 && r.headers.get('etag') === `"${md5}"`);
    const mibps = (uploads * size) / MiB / seconds;
    const growth = (rss.peak - rss.base) / MiB;
    console.log(`\n### The local COS server (cos-sign/server, on disk, its own process)\n`);
    console.log(`| what | figure |\n|---|--:|`);
    console.log(
      `| ${uploads} parallel PUTs, ${(uploads * size) / MiB} MiB in all: stored | ${mibps.toFixed(1)} MiB/s |`,
    );
    console.log(`| the server's peak RSS growth during them | ${growth.toFixed(1)} MiB |`);
    goal(
      `server stored all ${uploads} uploads right`,
      stored,
      stored ? 'every ETag the body MD5' : 'an answer was wrong',
    );
    goal(
      'server peak RSS growth <= 128 MiB',
      growth <= 128,
      `${growth.toFixed(1)} MiB for ${(uploads * size) / MiB} MiB`,
    );
    const small = await signedFetch(signer, `${server.url}/bench/small.txt`, {
      method: 'PUT',
      body: randomBytes(1024),
    });
    if (small.status !== 200) throw new Error(`PUT small.txt: ${small.status}`);
    const url = await signer.getPresignedUrl({
      method: 'GET',
      bucket: server.bucket,
      key: 'bench/small.txt',
      expires: 600,
    });
    const r = await autocannon({ url, amount: requests, connections });
    const ok = r['2xx'] === requests && r.non2xx === 0 && r.errors === 0;
    // The requests over the run's duration: autocannon's requests.average is the mean of whole-second samples, which
    // for a run of a few seconds moves in steps of requests / seconds.
    const perSecond = r.requests.total / r.duration;
    console.log(
      `| small signed GETs (1 KiB, presigned), autocannon, ${requests.toLocaleString('en-US')} requests, ${connections} connections | ${Math.round(perSecond).toLocaleString('en-US')} req/s (p99 ${r.latency.p99} ms, ${r.duration} s) |`,
    );
    goal('server answered every small signed GET with 200', ok, `${r['2xx']} of ${requests} (errors ${r.errors})`);
  } finally {
    await server.stop();
    await fsp.rm(dataDir, { recursive: true, force: true });
  }
};
