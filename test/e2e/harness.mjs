// What the browser tests of the demo share: the engines they run in (one describe per engine, the same
// body), a demo instance of their own, a page that has started, the upload rows the widgets render
// (data-key, data-state, data-uploaded, …), the bytes the local COS server stored, and a throttled TCP
// proxy in front of it.
//
// Nothing here is specific to one engine: pages are engines.mjs's Page (evaluate, waitForFunction,
// click, setInputFiles, download, screenshot), the helpers read the page's own DOM, and slow uploads
// come from the proxy, not from a browser's network emulation.
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe } from 'vitest';
import { start } from '../../demo/server/index.mjs';
import { ENGINES, REQUIRE_ENGINES, available, launch } from './engines.mjs';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS = path.join(root, 'test-results', 'e2e');
export const sha256 = (b) => createHash('sha256').update(b).digest('hex');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Whether each engine is installed here: { chromium: { ok, message? }, … } (the line to print is in global-setup.mjs). */
const availability = Object.fromEntries(await Promise.all(ENGINES.map(async (e) => [e, await available(e)])));

/**
 * One describe per engine around the same `body`: `body(engine, b)` registers the tests, where
 * `b.browser` is that engine's browser (engines.mjs's Browser), launched once for the describe in
 * beforeAll and closed in afterAll. A missing engine's describe is skipped (global-setup.mjs has printed
 * the line saying what to install), unless COS_SIGN_REQUIRE_ENGINES is set: then it runs, and fails
 * with that line. `title(engine)` names the describe. afterAll prints the engine's name, version and
 * how long its tests took.
 */
export const eachEngine = (title, body) => {
  for (const engine of ENGINES) {
    const skip = !availability[engine].ok && !REQUIRE_ENGINES;
    describe.skipIf(skip)(title(engine), () => {
      const b = { engine, browser: undefined, t0: 0 };
      beforeAll(async () => {
        await fsp.mkdir(path.join(ARTIFACTS, engine), { recursive: true });
        b.t0 = Date.now();
        b.browser = await launch(engine);
      });
      afterAll(async () => {
        await b.browser?.close();
        if (b.browser)
          console.log(
            `${title(engine)}: ${b.browser.name} ${b.browser.version}, ${((Date.now() - b.t0) / 1000).toFixed(1)} s`,
          );
      });
      body(engine, b);
    });
  }
};

/** Where a test's screenshot goes: test-results/e2e/<engine>/<name>. */
export const artifact = (engine, name) => path.join(ARTIFACTS, engine, name);

/**
 * Starts a demo instance on ephemeral ports. `throttle: true` puts a throttledProxy (unlimited until
 * `d.proxy.setRate(bytesPerSecond)`) between the pages and the local COS server: the page sends its
 * COS requests to the proxy (start({ cosDomain })). close() stops both and removes the data folder.
 */
export const startDemo = async ({ throttle = false, ...options } = {}) => {
  let d;
  const proxy = throttle ? await throttledProxy({ target: () => d.cosUrl.replace('http://', '') }) : undefined;
  try {
    d = await start({ port: 0, cosPort: 0, ...options, ...(proxy && { cosDomain: proxy.host }) });
  } catch (e) {
    await proxy?.close();
    throw e;
  }
  const close = d.close;
  return Object.assign(d, {
    proxy,
    async close() {
      await close();
      await proxy?.close();
      await fsp.rm(d.cos.dataDir, { recursive: true, force: true });
    },
  });
};

/** Runs `fn` on a demo instance of its own (startDemo(options)), then closes it and removes its data folder. */
export const withDemo = async (options, fn) => {
  const d = await startDemo(options);
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
};

/**
 * A fresh page (its own cookies and localStorage: own signer, own credentials) of `browser` at
 * `d.pageUrl + pathname`, once its `ready` promise (window.cosDemo by default) has settled.
 */
export const openPage = async (browser, d, pathname = '/', { global = 'cosDemo', check = hasSigner } = {}) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  try {
    await page.goto(d.pageUrl + pathname);
    await ready(page, { global, check });
  } catch (e) {
    await page.close().catch(() => {});
    throw e;
  }
  return page;
};

const hasSigner = (g) => !!window[g].state.signer;

/**
 * Waits for window[global].ready (the main page: configuration read, signer made, first listing
 * rendered), then for `check(global)`, run in the page, to be true.
 */
export const ready = async (page, { global = 'cosDemo', check = hasSigner } = {}) => {
  try {
    await page.waitForFunction((g) => !!window[g]?.ready, global, { timeout: 15_000 }); // a boolean: a promise would be awaited
    await page.evaluate((g) => window[g].ready.then(() => true), global);
    if (!(await page.evaluate(check, global))) throw new Error('not ready');
  } catch (e) {
    const errors = await page.errors().catch(() => []);
    const consoleErrors = await page.consoleErrors().catch(() => []);
    throw new Error(
      `the page did not start: ${e.message}\npage errors: ${errors.join('; ')}\nconsole: ${consoleErrors.join('; ')}`,
    );
  }
};

/** Chooses one of the widget's upload paths (put, presign, post): a click on its radio button. */
export const choosePath = (page, p) =>
  page.evaluate((p) => {
    const radio = document.querySelector(`input[name=path][value=${p}]`);
    if (!radio) throw new Error(`no upload path ${p}`);
    radio.click();
    if (!radio.checked) throw new Error(`the ${p} path could not be chosen`);
  }, p);

/** Resolves once `selector` matches something (or, with `{ gone: true }`, nothing). */
export const waitForSelector = (page, selector, { gone = false, timeout } = {}) =>
  page.waitForFunction(([s, gone]) => !document.querySelector(s) === gone, [selector, gone], { timeout });

/**
 * Clicks the visible button whose text is `text` inside `scope` (a selector), once there is one, as a
 * person would (playwright's `scope button:text("…")`).
 */
export const clickButton = async (page, scope, text) => {
  await page.waitForFunction(
    ([scope, text]) =>
      [...document.querySelectorAll(`${scope} button`)].some(
        (b) => !b.hidden && !b.disabled && b.textContent.trim() === text,
      ),
    [scope, text],
    { timeout: 15_000 },
  );
  await page.evaluate(
    ([scope, text]) => {
      const b = [...document.querySelectorAll(`${scope} button`)].find(
        (b) => !b.hidden && !b.disabled && b.textContent.trim() === text,
      );
      if (!b) throw new Error(`no "${text}" button in ${scope}`);
      b.click();
    },
    [scope, text],
  );
};

/** The dataset of the first element matching `selector` (and its .msg text as `message`), or null. */
export const dataOf = (page, selector) =>
  page.evaluate((s) => {
    const e = document.querySelector(s);
    return e && { ...e.dataset, message: e.querySelector('.msg')?.textContent };
  }, selector);

/** Types `value` into the input `selector`, as a person would: the value, then an 'input' event. */
export const fill = (page, selector, value) =>
  page.evaluate(
    ([s, v]) => {
      const input = document.querySelector(s);
      if (!input) throw new Error(`fill: nothing matches ${s}`);
      input.focus();
      input.value = v;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    },
    [selector, value],
  );

/** The value of the input `selector`. */
export const inputValue = (page, selector) => page.evaluate((s) => document.querySelector(s).value, selector);

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
              // The bytes check: data-verified 'true' / 'false', COS's CRC-64, and the line the row shows.
              verified: r.dataset.verified,
              crc64: r.dataset.crc64,
              check: r.querySelector('.check')?.textContent,
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
