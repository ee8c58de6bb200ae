// What the browser tests of the demo share: a demo instance of their own, a page that has started,
// the upload rows the widgets render (data-key, data-state, data-uploaded, …), the bytes the local
// COS server stored, and a throttled TCP proxy in front of it.
//
// Nothing here is specific to Chromium: the page helpers use playwright-core's Browser/Page API and
// the page's own DOM, and slow uploads come from the proxy, not from a browser's network emulation,
// so the same flows can run in other engines.
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start } from '../../demo/server/index.mjs';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS = path.join(root, 'test-results', 'e2e');
export const sha256 = (b) => createHash('sha256').update(b).digest('hex');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` on a demo instance of its own (ephemeral ports), then closes it and removes its data folder. */
export const withDemo = async (options, fn) => {
  const d = await start({ port: 0, cosPort: 0, ...options });
  try {
    return await fn(d);
  } finally {
    await d.close();
    await fsp.rm(d.cos.dataDir, { recursive: true, force: true });
  }
};

/**
 * A fresh page (own context: own signer, credentials and localStorage) at `d.pageUrl + pathname`,
 * once its `ready` promise (window.cosDemo by default) has settled; collects page errors in
 * `page.errors`.
 */
export const openPage = async (browser, d, pathname = '/', { global = 'cosDemo', check = hasSigner } = {}) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  watch(page);
  await page.goto(d.pageUrl + pathname);
  await ready(page, { global, check });
  return page;
};

/** Collects the page's errors (page.errors) and failed requests (page.failures). */
export const watch = (page) => {
  page.errors = [];
  page.failures = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && page.failures.push(m.text()));
  page.on('requestfailed', (r) => page.failures.push(`${r.url()}: ${r.failure()?.errorText}`));
  return page;
};

const hasSigner = (g) => !!window[g].state.signer;

/**
 * Waits for window[global].ready (the main page: configuration read, signer made, first listing
 * rendered), then for `check(global)`, run in the page, to be true.
 */
export const ready = async (page, { global = 'cosDemo', check = hasSigner } = {}) => {
  try {
    await page.waitForFunction((g) => window[g] && window[g].ready, global, { timeout: 15_000 });
    await page.evaluate((g) => window[g].ready, global);
    if (!(await page.evaluate(check, global))) throw new Error('not ready');
  } catch (e) {
    throw new Error(`the page did not start: ${e.message}\npage errors: ${page.errors?.join('; ')}\nconsole: ${page.failures?.join('; ')}`);
  }
};

export const choosePath = (page, p) => page.check(`input[name=path][value=${p}]`);

/** Waits until every row of `keys` has finished (done, error or canceled); returns their states. */
export const settle = async (page, keys, timeout = 60_000) => {
  await page.waitForFunction(
    (keys) =>
      keys.every((k) => {
        const r = [...document.querySelectorAll('.item')].find((i) => i.dataset.key === k);
        return r && ['done', 'error', 'canceled'].includes(r.dataset.state);
      }),
    keys,
    { timeout, polling: 50 },
  );
  return rows(page, keys);
};

/** The upload rows of `keys`, as the page shows them (the newest row for a key). */
export const rows = (page, keys) =>
  page.evaluate(
    (keys) =>
      Object.fromEntries(
        keys.map((k) => {
          const r = [...document.querySelectorAll('.item')].find((i) => i.dataset.key === k);
          // uploaded: the last percentage an XHR upload progress event reported; loaded: its bytes.
          return [
            k,
            r && {
              state: r.dataset.state,
              uploaded: r.dataset.uploaded,
              loaded: r.dataset.loaded,
              code: r.dataset.code,
              uploadId: r.dataset.uploadId,
              message: r.querySelector('.msg').textContent,
            },
          ];
        }),
      ),
    keys,
  );

/** The SHA-256 of what the local COS server stored under `key`, or undefined. */
export const stored = async (d, key) => {
  const o = await d.cos.readObject(key);
  return o && sha256(o.data);
};

/**
 * A TCP proxy on 127.0.0.1 in front of `target` ("host:port", or a function returning it, asked per
 * connection) that passes what clients send at most `bytesPerSecond` (all connections together,
 * like one uplink; 0 = unlimited), and answers at full speed. A client that goes away takes its
 * upstream connection with it, dropping what was still held back: the server sees the request cut
 * off, as it would on a real network. Returns { host: "127.0.0.1:port", setRate(n), close() }.
 */
export const throttledProxy = async ({ target, bytesPerSecond = 0 }) => {
  let rate = bytesPerSecond;
  let free = 0; // when the shared uplink is next idle (ms)
  const sockets = new Set();
  const server = net.createServer((client) => {
    const [host, port] = (typeof target === 'function' ? target() : target).split(':');
    const upstream = net.connect(+port, host);
    sockets.add(client).add(upstream);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) s.on('close', close).on('error', close);
    upstream.pipe(client);
    client.on('data', (chunk) => {
      if (!rate) return void upstream.write(chunk);
      const now = Date.now();
      free = Math.max(free, now) + (chunk.length / rate) * 1000;
      client.pause();
      setTimeout(() => {
        if (closed) return;
        upstream.write(chunk);
        client.resume();
      }, free - now);
    });
  });
  await new Promise((ok, ko) => server.once('error', ko).listen(0, '127.0.0.1', ok));
  return {
    host: `127.0.0.1:${server.address().port}`,
    setRate(n) {
      rate = n;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => server.close(() => ok()));
    },
  };
};
