// Three browser engines behind one small interface, so a test body is written once and run with the
// engine as a parameter:
//   chromium — @sparticuz/chromium (or CHROMIUM_PATH) through playwright-core, with the flags below
//   firefox  — Debian's Firefox ESR (or FIREFOX_PATH) through puppeteer-core over WebDriver BiDi
//   webkit   — Debian's WebKitGTK MiniBrowser through WebKitWebDriver (W3C WebDriver over HTTP), on an
//              Xvfb display started here (MiniBrowser cannot run without a display)
//
//   const browser = await launch('firefox');          // { engine, name, version, newPage, close }
//   const page = await browser.newPage();              // a fresh, isolated page (own cookies and storage)
//   await page.goto(url);
//   const n = await page.evaluate(async (k) => …, arg); // arg and result JSON-serialisable
//   await page.waitForFunction((k) => …, arg, { timeout: 10_000 });
//   await page.close(); await browser.close();
//
// Everything else a test does in the page goes through evaluate(): clicks (element.click()), typing
// (value + an 'input' event), drag and drop (a DataTransfer in a synthetic DragEvent), reading what was
// requested (performance.getEntriesByType('resource')). setInputFiles() is native in all three engines
// (a real file chooser's FileList, backed by the files on disk), and so is download(): a click on a link
// that the browser itself saves as a file, as a person's click would. What differs per engine is in
// ENGINE_NOTES.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';

/** @typedef {'chromium' | 'firefox' | 'webkit'} Engine */
export const ENGINES = /** @type {const} */ (['chromium', 'firefox', 'webkit']);

/** The Debian packages each engine needs (CI installs them in .ci/run). */
export const PACKAGES = { chromium: [], firefox: ['firefox-esr'], webkit: ['webkit2gtk-driver', 'xvfb'] };
export const installCommand = (engine) => `apt-get install -y --no-install-recommends ${PACKAGES[engine].join(' ')}`;
/** COS_SIGN_REQUIRE_ENGINES=1 (CI sets it): an engine that is not installed is a failure, not a skip. */
export const REQUIRE_ENGINES = /^(1|true|yes)$/i.test(process.env.COS_SIGN_REQUIRE_ENGINES ?? '');

/** What does not work the same way in every engine (the e2e port works around each of these). */
export const ENGINE_NOTES = {
  chromium: [
    'consoleErrors() also has the browser\'s own messages, e.g. "Failed to load resource: … 403" for an expected refusal',
  ],
  firefox: [
    'evaluate() does not return when the page navigates away while the script runs (BiDi leaves it pending): wait for what follows a navigation with waitForFunction(), which copes',
    'no network throttling (no CDP): slow an upload down on the server side instead',
    'no request interception that edits a response body: wrap window.fetch in the page with evaluate() instead',
  ],
  webkit: [
    'errors() and consoleErrors() see only what happens after goto()/reload() returned (classic WebDriver has no events, so a script in the page records them from then on): a page that must report load errors records them itself',
    'no network throttling and no request interception: slow uploads on the server side; wrap window.fetch in the page',
    'download() has no download event to wait for (classic WebDriver has none): it watches the folder MiniBrowser saves to until the file is complete',
    'screenshot({ fullPage: true }) is the viewport only (classic WebDriver screenshots the viewport or one element)',
    "screenshot({ selector }) is cut out of the viewport with the element scrolled into view (WebKitWebDriver's own element screenshot comes out black here), so it is at most the viewport",
    'each page is its own MiniBrowser (one WebDriver session per WebKitWebDriver): about 0.6 s to open one, opened in the background for the next newPage()',
  ],
};

const which = (cmd) =>
  (process.env.PATH || '')
    .split(delimiter)
    .map((d) => join(d, cmd))
    .find((p) => existsSync(p));
const miniBrowser = () => {
  if (process.env.WEBKIT_MINIBROWSER_PATH) return process.env.WEBKIT_MINIBROWSER_PATH;
  for (const lib of ['/usr/lib', '/usr/libexec']) {
    let dirs = [];
    try {
      dirs = readdirSync(lib);
    } catch {}
    for (const d of ['', ...dirs])
      for (const api of ['webkit2gtk-4.1', 'webkit2gtk-4.0', 'webkitgtk-6.0']) {
        const p = join(lib, d, api, 'MiniBrowser');
        if (existsSync(p)) return p;
      }
  }
};

/**
 * Whether `engine` can be launched here: `{ ok: true, executable }`, or `{ ok: false, message }` with the
 * one line that says what to install.
 * @param {Engine} engine
 * @returns {Promise<{ ok: true, executable: string } | { ok: false, message: string }>}
 */
export const available = async (engine) => {
  const missing = (what) => ({
    ok: false,
    message: `${engine} missing${what ? ` (${what})` : ''}: ${installCommand(engine)}`,
  });
  switch (engine) {
    case 'chromium': {
      if (process.env.CHROMIUM_PATH)
        return existsSync(process.env.CHROMIUM_PATH)
          ? { ok: true, executable: process.env.CHROMIUM_PATH }
          : { ok: false, message: `chromium missing: CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist` };
      try {
        await import('@sparticuz/chromium');
        await import('playwright-core');
        return { ok: true, executable: '@sparticuz/chromium' };
      } catch {
        return {
          ok: false,
          message: 'chromium missing: npm ci (@sparticuz/chromium and playwright-core are devDependencies)',
        };
      }
    }
    case 'firefox': {
      const exe = process.env.FIREFOX_PATH || which('firefox-esr') || which('firefox');
      return exe && existsSync(exe) ? { ok: true, executable: exe } : missing();
    }
    case 'webkit': {
      const driver = process.env.WEBKIT_WEBDRIVER_PATH || which('WebKitWebDriver');
      if (!driver || !existsSync(driver)) return missing();
      const browser = miniBrowser();
      if (!browser || !existsSync(browser)) return missing('no MiniBrowser');
      if (!which('Xvfb')) return missing('no Xvfb');
      return { ok: true, executable: driver };
    }
    default:
      throw new Error(`unknown engine ${engine}: one of ${ENGINES.join(', ')}`);
  }
};

// --- In the page: every engine runs the same wrapper, so results and errors look the same -------------
// fn(arg) is awaited; its result goes back as JSON (undefined stays undefined); a throw comes back as one.
const wrap = (fn, arg) => {
  const src = typeof fn === 'function' ? fn.toString() : `() => (${fn})`;
  return `(async () => {
  try {
    const v = await (${src})(${arg === undefined ? '' : JSON.stringify(arg)});
    return v === undefined ? '{"u":1}' : JSON.stringify({ v });
  } catch (e) {
    return JSON.stringify({ e: String((e && e.message) || e), s: String((e && e.stack) || '') });
  }
})()`;
};
const unwrap = (json) => {
  if (typeof json !== 'string') throw new Error(`evaluate: the page returned ${typeof json}, not the wrapper's JSON`);
  const r = JSON.parse(json);
  if ('e' in r) {
    const err = new Error(`in the page: ${r.e}`);
    err.pageStack = r.s;
    throw err;
  }
  return r.u ? undefined : r.v;
};
// Installed in the page to collect what Chromium and Firefox report as events (used by WebKit only).
const ERROR_HOOK = () => {
  if (window.__engineErrors) return;
  const { errors, console: logged } = (window.__engineErrors = { errors: [], console: [] });
  addEventListener(
    'error',
    (e) => e instanceof ErrorEvent && errors.push(String(e.error?.message || e.message).replace(/^\w*Error: /, '')),
  );
  addEventListener('unhandledrejection', (e) => errors.push(String(e.reason?.message || e.reason)));
  const orig = console.error;
  console.error = (...a) => (logged.push(a.map(String).join(' ')), orig.apply(console, a));
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Navigation replaced the page's context while a script ran: worth another try while waiting. */
const transient = (e) =>
  /context was destroyed|Execution context|navigat|detached|Cannot find context|no such (window|frame)|frame was|document unloaded|Inspected target/i.test(
    String(e?.message ?? e),
  );

/**
 * waitForFunction for all engines: polls fn(arg) in the page in slices of up to 1 s (so a navigation in
 * between costs one retry, not the wait), until it returns something truthy, which it resolves with.
 */
const waitFor = async (evaluate, fn, arg, { timeout = 30_000, polling = 50 } = {}) => {
  const deadline = Date.now() + timeout;
  const src = fn.toString();
  let last;
  for (;;) {
    const slice = Math.max(0, Math.min(1000, deadline - Date.now()));
    try {
      const attempt = evaluate(
        new Function(
          'a',
          `return (async () => {
            const fn = (${src}); const end = Date.now() + ${slice};
            for (;;) { const v = await fn(a); if (v || Date.now() >= end) return { v: v || null, ok: !!v };
              await new Promise((r) => setTimeout(r, ${polling})); }
          })()`,
        ),
        arg,
      );
      // Firefox (BiDi) may never answer a script whose document navigated away: stop waiting for it.
      attempt.catch(() => {});
      const r = await Promise.race([
        attempt,
        sleep(slice + 1500).then(() =>
          Promise.reject(Object.assign(new Error('the page did not answer (it navigated?)'), { transient: true })),
        ),
      ]);
      if (r.ok) return r.v;
    } catch (e) {
      if (!e.transient && !transient(e)) throw e;
      last = e;
      await sleep(polling);
    }
    if (Date.now() >= deadline)
      throw new Error(
        `waitForFunction: timed out after ${timeout} ms${last ? ` (last error: ${last.message})` : ''}: ${src.slice(0, 200)}`,
      );
  }
};

/**
 * A page, the same in every engine.
 * @typedef {object} Page
 * @property {Engine} engine
 * @property {(url: string, options?: { timeout?: number }) => Promise<void>} goto  resolves after the load event
 * @property {<A, R>(fn: ((arg: A) => R | Promise<R>) | string, arg?: A) => Promise<R>} evaluate  fn runs in the page and may be async; arg and result must be JSON-serialisable (a string is an expression)
 * @property {<A, R>(fn: (arg: A) => R | Promise<R>, arg?: A, options?: { timeout?: number, polling?: number }) => Promise<R>} waitForFunction  resolves with fn's first truthy result
 * @property {(options?: { timeout?: number }) => Promise<void>} reload
 * @property {(selector: string, paths: string | string[]) => Promise<void>} setInputFiles  native: the input's FileList holds the files from disk; 'input' and 'change' fire
 * @property {(selector: string) => Promise<void>} click  element.click() in the page (throws if nothing matches)
 * @property {(options?: { path?: string, selector?: string, fullPage?: boolean }) => Promise<Buffer>} screenshot  PNG of the viewport, the page or one element
 * @property {(selector: string, options?: { timeout?: number }) => Promise<{ suggestedFilename: string, data: Buffer }>} download
 *   clicks the link `selector` and waits for the file the browser saves (the name it chose, e.g. from
 *   Content-Disposition, and the bytes on disk; the file is removed afterwards)
 * @property {() => Promise<string[]>} errors  uncaught errors and unhandled rejections in the page so far (their messages)
 * @property {() => Promise<string[]>} consoleErrors  console.error messages so far (Chromium adds its own, e.g. a failed load)
 * @property {() => Promise<void>} close
 * @property {unknown} raw  the engine's own handle, for what only one engine can do: playwright's Page
 *   (Chromium: CDP throttling, route()), puppeteer's Page (Firefox), the WebDriver session { call, id } (WebKit)
 */

/**
 * A launched browser.
 * @typedef {object} Browser
 * @property {Engine} engine
 * @property {string} name     e.g. 'Chromium', 'Firefox ESR', 'WebKitGTK'
 * @property {string} version  e.g. '147.0.7727.15', '153.8.0esr', '2.50.6'
 * @property {(options?: { viewport?: { width: number, height: number } }) => Promise<Page>} newPage
 * @property {() => Promise<void>} close  closes every page, stops every process started, removes temp folders
 */

/** The page methods every engine shares; `extra(page)` adds the engine's own. */
const common = (engine, evaluate, extra) => {
  const page = {
    engine,
    evaluate: async (fn, arg) => unwrap(await evaluate(wrap(fn, arg))),
    waitForFunction: (fn, arg, options) => waitFor(page.evaluate, fn, arg, options),
    click: (selector) =>
      page.evaluate((s) => {
        const el = document.querySelector(s);
        if (!el) throw new Error(`click: nothing matches ${s}`);
        el.click();
      }, selector),
  };
  return Object.assign(page, extra(page));
};

/** The href of the link `selector` (download() needs it to know which download is its own). */
const hrefOf = (page, selector) =>
  page.evaluate((s) => {
    const a = document.querySelector(s);
    if (!a) throw new Error(`download: nothing matches ${s}`);
    return a.href;
  }, selector);

/**
 * The next file that appears complete in `dir` (not in `before`): a name without `partialSuffix`
 * whose partial twin is gone, and that we saw partial, or whose size has held for 500 ms (a small
 * file may be finished before the first look).
 */
const awaitFile = async (dir, before, partialSuffix, { timeout, what }) => {
  const deadline = Date.now() + timeout;
  const partial = new Set();
  const sizes = new Map();
  for (;;) {
    const names = existsSync(dir) ? readdirSync(dir) : [];
    for (const n of names) if (n.endsWith(partialSuffix)) partial.add(n.slice(0, -partialSuffix.length));
    for (const n of names) {
      if (before.has(n) || n.endsWith(partialSuffix) || names.includes(n + partialSuffix)) continue;
      if (partial.has(n)) return join(dir, n); // the partial file was renamed to it: complete
      let size;
      try {
        size = statSync(join(dir, n)).size;
      } catch {
        continue;
      }
      const s = sizes.get(n);
      if (!s || s.size !== size) sizes.set(n, { size, since: Date.now() });
      else if (Date.now() - s.since >= 500) return join(dir, n);
    }
    if (Date.now() > deadline)
      throw new Error(
        `download: no file saved in ${dir} for ${what} in ${timeout} ms (there: ${names.join(', ') || 'nothing'})`,
      );
    await sleep(50);
  }
};

const DEFAULT_VIEWPORT = { width: 1280, height: 860 };
const TIMEOUT = 60_000;

// --- Chromium -------------------------------------------------------------------------------------
// @sparticuz/chromium's defaults include --disable-web-security (the tests must see real CORS) and
// --single-process (flaky here): both are dropped.
const CHROMIUM_DROP = new Set(['--disable-web-security', '--single-process']);
const CHROMIUM_ADD = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const launchChromium = async () => {
  const { chromium } = await import('playwright-core');
  let executablePath = process.env.CHROMIUM_PATH;
  let args = [];
  if (!executablePath) {
    const sparticuz = (await import('@sparticuz/chromium')).default;
    executablePath = await sparticuz.executablePath();
    args = sparticuz.args.filter((a) => !CHROMIUM_DROP.has(a.split('=')[0]) && !a.startsWith('--user-data-dir'));
  }
  for (const a of CHROMIUM_ADD) if (!args.includes(a)) args.push(a);
  const browser = await chromium.launch({ executablePath, headless: true, args });
  return {
    engine: 'chromium',
    name: 'Chromium',
    version: browser.version(),
    async newPage({ viewport = DEFAULT_VIEWPORT } = {}) {
      const context = await browser.newContext({ viewport, acceptDownloads: true });
      const p = await context.newPage();
      const errors = [];
      const consoleErrors = [];
      p.on('pageerror', (e) => errors.push(e.message));
      p.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
      return common(
        'chromium',
        (expr) => p.evaluate(expr),
        () => ({
          goto: async (url, { timeout = TIMEOUT } = {}) => void (await p.goto(url, { timeout, waitUntil: 'load' })),
          reload: async ({ timeout = TIMEOUT } = {}) => void (await p.reload({ timeout, waitUntil: 'load' })),
          setInputFiles: (selector, paths) => p.setInputFiles(selector, paths),
          screenshot: ({ path, selector, fullPage = false } = {}) =>
            selector ? p.locator(selector).screenshot({ path }) : p.screenshot({ path, fullPage }),
          download: async (selector, { timeout = TIMEOUT } = {}) => {
            const [d] = await Promise.all([p.waitForEvent('download', { timeout }), p.click(selector)]);
            const file = await d.path();
            const data = readFileSync(file);
            await d.delete();
            return { suggestedFilename: d.suggestedFilename(), data };
          },
          errors: async () => errors.slice(),
          consoleErrors: async () => consoleErrors.slice(),
          close: () => context.close(),
          raw: p,
        }),
      );
    },
    close: () => browser.close(),
  };
};

// --- Firefox ----------------------------------------------------------------------------------------
const launchFirefox = async (executable) => {
  const { default: puppeteer } = await import('puppeteer-core');
  // Its own HOME, so nothing lands in the real one (~/.cache/mozilla, ~/Downloads), with the profile
  // inside: one folder to remove, by close() or at exit.
  const home = tempFolder('cos-sign-firefox-');
  const env = {
    ...process.env,
    HOME: home,
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_CONFIG_HOME: join(home, '.config'),
    MOZ_CRASHREPORTER_DISABLE: '1',
  };
  let browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      protocol: 'webDriverBiDi',
      executablePath: executable,
      headless: true,
      timeout: TIMEOUT,
      env,
      userDataDir: join(home, 'profile'),
      // Signals are handled here (puppeteer's SIGTERM handler closes Firefox but leaves Node running).
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      extraPrefsFirefox: {
        // No network here: nothing in the background that could fail or wait.
        'app.update.enabled': false,
        'browser.safebrowsing.update.enabled': false,
        'network.captive-portal-service.enabled': false,
        'network.connectivity-service.enabled': false,
        'services.settings.server': 'http://127.0.0.1:9/',
        'extensions.update.enabled': false,
      },
    });
  } catch (e) {
    removeFolder(home);
    throw e;
  }
  // Started detached by puppeteer: its process group is killed at exit or on a signal like ours.
  if (browser.process()) track(browser.process());
  // Download events are not among those puppeteer subscribes to: download() subscribes once.
  const connection = browser.connection;
  let subscribed;
  const downloadEvents = () =>
    (subscribed ??= connection.send('session.subscribe', {
      events: ['browsingContext.downloadWillBegin', 'browsingContext.downloadEnd'],
    }));
  const reported = spawnSync(executable, ['--version'], { encoding: 'utf8', env, timeout: 10_000 }).stdout?.match(
    /(\d+\.\d+[\w.]*)/,
  )?.[1];
  const version = reported ?? (await browser.version()).replace(/^firefox\//, '');
  return {
    engine: 'firefox',
    name: /esr/.test(version) ? 'Firefox ESR' : 'Firefox',
    version,
    async newPage({ viewport = DEFAULT_VIEWPORT } = {}) {
      const context = await browser.createBrowserContext();
      const p = await context.newPage();
      await p.setViewport(viewport);
      const errors = [];
      const consoleErrors = [];
      // Firefox's message starts with the error's name ("TypeError: …"); Chromium's does not.
      p.on('pageerror', (e) => errors.push(String(e.message).replace(/^\w*Error: /, '')));
      p.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
      return common(
        'firefox',
        (expr) => p.evaluate(expr),
        (page) => ({
          goto: async (url, { timeout = TIMEOUT } = {}) => void (await p.goto(url, { timeout, waitUntil: 'load' })),
          reload: async ({ timeout = TIMEOUT } = {}) => void (await p.reload({ timeout, waitUntil: 'load' })),
          setInputFiles: async (selector, paths) => {
            const input = await p.$(selector);
            if (!input) throw new Error(`setInputFiles: nothing matches ${selector}`);
            await input.uploadFile(...[paths].flat());
          },
          screenshot: async ({ path, selector, fullPage = false } = {}) => {
            if (!selector) return Buffer.from(await p.screenshot({ path, fullPage }));
            const el = await p.$(selector);
            if (!el) throw new Error(`screenshot: nothing matches ${selector}`);
            return Buffer.from(await el.screenshot({ path }));
          },
          // Firefox saves to $HOME/Downloads by itself and tells over BiDi: downloadWillBegin (the name
          // it chose), then downloadEnd (where the file is), both with the URL.
          download: async (selector, { timeout = TIMEOUT } = {}) => {
            await downloadEvents();
            const href = await hrefOf(page, selector);
            let name;
            let off;
            const saved = new Promise((resolve, reject) => {
              const timer = setTimeout(
                () => reject(new Error(`download: Firefox saved nothing for ${selector} in ${timeout} ms`)),
                timeout,
              );
              const begin = (e) => e.url === href && (name = e.suggestedFilename);
              const end = (e) => {
                if (e.url !== href) return;
                clearTimeout(timer);
                if (e.status === 'complete') resolve(e.filepath);
                else reject(new Error(`download: ${e.status} (${selector})`));
              };
              connection.on('browsingContext.downloadWillBegin', begin).on('browsingContext.downloadEnd', end);
              off = () => (
                clearTimeout(timer),
                connection.off('browsingContext.downloadWillBegin', begin).off('browsingContext.downloadEnd', end)
              );
            });
            try {
              await page.click(selector);
              const file = await saved;
              const data = readFileSync(file);
              rmSync(file, { force: true });
              return { suggestedFilename: name ?? basename(file), data };
            } finally {
              off();
            }
          },
          errors: async () => errors.slice(),
          consoleErrors: async () => consoleErrors.slice(),
          close: () => context.close(),
          raw: p,
        }),
      );
    },
    close: async () => {
      try {
        await browser.close();
      } finally {
        removeFolder(home);
      }
    },
  };
};

// --- A PNG cut to a rectangle (8-bit RGB or RGBA, not interlaced: what WebKit's screenshots are) --
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const pngChunk = (type, data) => {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
};
/** `png` cut to `rect` (pixels; clipped to the image). Throws on a PNG it cannot read. */
export const cropPng = (png, rect) => {
  const ihdr = png.subarray(16, 29);
  const [width, height] = [ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)];
  const [depth, colorType, interlace] = [ihdr[8], ihdr[9], ihdr[12]];
  if (depth !== 8 || (colorType !== 2 && colorType !== 6) || interlace)
    throw new Error(`cropPng: unsupported PNG (depth ${depth}, color type ${colorType}, interlace ${interlace})`);
  const bpp = colorType === 6 ? 4 : 3;
  const idat = [];
  for (let o = 8; o < png.length; ) {
    const len = png.readUInt32BE(o);
    if (png.toString('latin1', o + 4, o + 8) === 'IDAT') idat.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[i - bpp] : 0;
      const b = up[i];
      const c = i >= bpp ? up[i - bpp] : 0;
      let v = line[i];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[i] = v & 0xff;
    }
  }
  const x0 = Math.max(0, Math.min(width - 1, Math.round(rect.x)));
  const y0 = Math.max(0, Math.min(height - 1, Math.round(rect.y)));
  const w = Math.max(1, Math.min(width - x0, Math.round(rect.width)));
  const h = Math.max(1, Math.min(height - y0, Math.round(rect.height)));
  const cut = Buffer.alloc(h * (w * bpp + 1));
  for (let y = 0; y < h; y++)
    pixels.copy(cut, y * (w * bpp + 1) + 1, (y0 + y) * stride + x0 * bpp, (y0 + y) * stride + (x0 + w) * bpp);
  const header = Buffer.from(ihdr);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(h, 4);
  return Buffer.concat([
    png.subarray(0, 8),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(cut)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
};

// --- WebKit: WebKitWebDriver on an Xvfb display, one driver (so one MiniBrowser) per page -----------
const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Kills a process group we started (detached: the driver's MiniBrowser and web processes go with it). */
const killGroup = (child, signal = 'SIGTERM') => {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {}
  }
};
const exited = (child, ms) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(true)
    : Promise.race([new Promise((r) => child.once('exit', () => r(true))), sleep(ms).then(() => false)]);
const stop = async (child) => {
  if (!child) return;
  killGroup(child, 'SIGTERM');
  if (!(await exited(child, 3000))) killGroup(child, 'SIGKILL'), await exited(child, 2000);
};

// Children still running and temp folders still there when Node exits (a failed test, Ctrl-C, a
// killed test run) are killed and removed then, synchronously.
const running = new Set();
const folders = new Set();
let exitHooks = false;
const cleanUpNow = () => {
  for (const c of running) killGroup(c, 'SIGKILL');
  for (const f of folders) rmSync(f, { recursive: true, force: true });
};
const hookExit = () => {
  if (exitHooks) return;
  exitHooks = true;
  process.once('exit', cleanUpNow);
  // A signal ends Node without 'exit': clean up, then die of the same signal as Node would have
  // (unless someone else, e.g. puppeteer or a test runner, handles it).
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.once(sig, () => {
      cleanUpNow();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
};
const track = (child) => {
  hookExit();
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
};
/** A temp folder removed by close(), or at exit if close() never ran. */
const tempFolder = (prefix) => {
  hookExit();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.add(dir);
  return dir;
};
const removeFolder = (dir) => {
  folders.delete(dir);
  rmSync(dir, { recursive: true, force: true });
};

const startXvfb = async (home) => {
  // -displayfd: Xvfb picks a free display itself and writes its number on fd 3 when it is ready.
  const xvfb = track(
    spawn(which('Xvfb'), ['-displayfd', '3', '-screen', '0', '1920x1200x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, HOME: home },
    }),
  );
  let stderr = '';
  xvfb.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  try {
    const display = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`Xvfb did not start in 10 s: ${stderr}`)), 10_000);
      xvfb.stdio[3].on('data', (d) => {
        out += d;
        if (out.includes('\n')) clearTimeout(timer), resolve(':' + out.trim());
      });
      xvfb.once('exit', (code) => (clearTimeout(timer), reject(new Error(`Xvfb exited with ${code}: ${stderr}`))));
    });
    return { xvfb, display };
  } catch (e) {
    await stop(xvfb);
    throw e;
  }
};

/** One W3C WebDriver session over HTTP. */
const webdriver = (base) => {
  const call = async (method, path, body, timeout = TIMEOUT + 10_000) => {
    let res, text;
    try {
      res = await fetch(base + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeout),
      });
      text = await res.text();
    } catch (e) {
      throw new Error(
        `WebDriver ${method} ${path}: ${e.name === 'TimeoutError' ? `no answer in ${timeout / 1000} s` : e.message}`,
      );
    }
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`WebDriver ${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    }
    if (!res.ok || json.value?.error)
      throw new Error(`WebDriver ${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
    return json.value;
  };
  return call;
};

const launchWebKit = async (driverPath) => {
  const binary = miniBrowser();
  const home = tempFolder('cos-sign-webkit-');
  const pages = new Set();
  let xvfb, display, version;
  try {
    ({ xvfb, display } = await startXvfb(home));
  } catch (e) {
    removeFolder(home);
    throw e;
  }
  // Downloads go to $HOME/Downloads (GLib reads the XDG download folder from user-dirs.dirs).
  const downloads = join(home, 'Downloads');
  mkdirSync(downloads, { recursive: true });
  mkdirSync(join(home, '.config'), { recursive: true });
  writeFileSync(join(home, '.config', 'user-dirs.dirs'), 'XDG_DOWNLOAD_DIR="$HOME/Downloads"\n');
  // Own HOME and XDG folders: WebKit's caches and data (and GStreamer's, mesa's, dconf's) go there.
  const env = {
    ...process.env,
    DISPLAY: display,
    HOME: home,
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_RUNTIME_DIR: home,
    WAYLAND_DISPLAY: '',
    GDK_BACKEND: 'x11',
    NO_AT_BRIDGE: '1',
  };

  // Drivers start one at a time: between freePort() closing its probe and a driver binding the port,
  // a second start could be handed the same port, and its /status check answered by the first driver
  // (whose session the second one's close then ended: "fetch failed" on a loaded machine).
  let starting = Promise.resolve();
  const startDriver = () => {
    const started = starting.then(async () => {
      const port = await freePort();
      const driver = track(
        spawn(driverPath, [`--port=${port}`], { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true }),
      );
      const d = { driver, port, stderr: '' };
      driver.stderr.on('data', (x) => (d.stderr = (d.stderr + x).slice(-2000)));
      const call = webdriver(`http://127.0.0.1:${port}`);
      for (const t = Date.now(); ; ) {
        if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${driver.exitCode}: ${d.stderr}`);
        try {
          await call('GET', '/status', undefined, 1000);
          if (driver.exitCode === null) return d;
        } catch (e) {
          if (Date.now() - t > 10_000) {
            await stop(driver);
            throw new Error(`WebKitWebDriver did not answer in 10 s: ${e.message} ${d.stderr}`);
          }
        }
        await sleep(50);
      }
    });
    starting = started.catch(() => {});
    return started;
  };

  const openSession = async (viewport) => {
    const d = await startDriver();
    const { driver, port } = d;
    const stderr = () => d.stderr;
    const call = webdriver(`http://127.0.0.1:${port}`);
    let id;
    try {
      const s = await call(
        'POST',
        '/session',
        {
          capabilities: {
            alwaysMatch: { 'webkitgtk:browserOptions': { binary, args: ['--automation'] }, pageLoadStrategy: 'normal' },
          },
        },
        30_000,
      );
      id = s.sessionId;
      await call('POST', `/session/${id}/timeouts`, { script: 5 * 60_000, pageLoad: TIMEOUT, implicit: 0 });
      const session = { driver, call, id, version: s.capabilities.browserVersion, stderr };
      await fitViewport(session, viewport);
      return session;
    } catch (e) {
      await stop(driver);
      if (stderr().trim()) e.message += `\nWebKitWebDriver: ${stderr().trim().slice(-500)}`;
      throw e;
    }
  };
  // WebDriver sizes the window, toolbar included: size it so that the page itself gets `viewport`.
  const fitViewport = async (s, { width, height }) => {
    const S = `/session/${s.id}`;
    await s.call('POST', `${S}/window/rect`, { x: 0, y: 0, width, height });
    const inner = await s.call('POST', `${S}/execute/sync`, { script: 'return [innerWidth, innerHeight]', args: [] });
    if (inner[0] !== width || inner[1] !== height)
      await s.call('POST', `${S}/window/rect`, { width: 2 * width - inner[0], height: 2 * height - inner[1] });
  };
  const closeSession = async (s) => {
    await s.call('DELETE', `/session/${s.id}`, undefined, 10_000).catch(() => {});
    await stop(s.driver);
  };

  // The first session tells the version; the first newPage() gets it. Each newPage() then opens the
  // next page's session in the background (about 0.6 s: a WebKitWebDriver and its MiniBrowser), so a
  // test rarely waits for one. `spare` is that session's promise (undefined if it failed to open).
  let spare;
  try {
    const first = await openSession(DEFAULT_VIEWPORT);
    version = first.version;
    spare = Promise.resolve(first);
  } catch (e) {
    await stop(xvfb);
    removeFolder(home);
    throw e;
  }
  const sameSize = (a, b) => a.width === b.width && a.height === b.height;

  return {
    engine: 'webkit',
    name: 'WebKitGTK',
    version,
    async newPage({ viewport = DEFAULT_VIEWPORT } = {}) {
      let s = await spare;
      spare = openSession(DEFAULT_VIEWPORT).catch(() => undefined);
      if (!s) s = await openSession(viewport);
      else if (!sameSize(viewport, DEFAULT_VIEWPORT)) await fitViewport(s, viewport);
      pages.add(s);
      const S = `/session/${s.id}`;
      const execute = async (expr) => {
        try {
          return await s.call('POST', `${S}/execute/async`, {
            script: `const done = arguments[arguments.length - 1]; (${expr}).then(done, (e) => done(JSON.stringify({ e: String(e), s: '' })));`,
            args: [],
          });
        } catch (e) {
          if (s.driver.exitCode !== null) e.message += ` (WebKitWebDriver exited: ${s.stderr()})`;
          throw e;
        }
      };
      const hook = () => execute(wrap(ERROR_HOOK)).catch(() => {});
      const element = async (selector) => {
        const found = await s
          .call('POST', `${S}/element`, { using: 'css selector', value: selector })
          .catch(() => null);
        if (!found) throw new Error(`nothing matches ${selector}`);
        return Object.values(found)[0];
      };
      return common('webkit', execute, (page) => ({
        goto: async (url) => {
          // WebKitWebDriver now and then answers a navigation with an empty "unknown error" while the
          // page loads fine (seen with two MiniBrowsers starting at once on a loaded machine): one more try.
          await s.call('POST', `${S}/url`, { url }).catch((e) => {
            if (!/: unknown error: \s*$/.test(e.message)) throw e;
            return s.call('POST', `${S}/url`, { url });
          });
          await hook();
        },
        reload: async () => {
          await s.call('POST', `${S}/refresh`, {});
          await hook();
        },
        setInputFiles: async (selector, paths) => {
          const el = await element(selector);
          await s.call('POST', `${S}/element/${el}/value`, { text: [paths].flat().join('\n') });
        },
        screenshot: async ({ path, selector } = {}) => {
          // WebKitWebDriver's element screenshot comes out partly or wholly black here: take the
          // viewport with the element scrolled into view, and cut the element out of it.
          let rect;
          if (selector) {
            await element(selector);
            rect = await page.evaluate((sel) => {
              const el = document.querySelector(sel);
              el.scrollIntoView({ block: 'nearest' });
              const r = el.getBoundingClientRect();
              return {
                x: r.left * devicePixelRatio,
                y: r.top * devicePixelRatio,
                width: r.width * devicePixelRatio,
                height: r.height * devicePixelRatio,
              };
            }, selector);
          }
          let png = Buffer.from(await s.call('GET', `${S}/screenshot`), 'base64');
          if (rect) png = cropPng(png, rect);
          if (path) writeFileSync(path, png);
          return png;
        },
        errors: async () =>
          (await execute(wrap(() => window.__engineErrors?.errors.slice()))
            .then(unwrap)
            .catch(() => [])) || [],
        consoleErrors: async () =>
          (await execute(wrap(() => window.__engineErrors?.console.slice()))
            .then(unwrap)
            .catch(() => [])) || [],
        // MiniBrowser saves a download by itself, to the XDG download folder (set below), first as
        // NAME.wkdownload, then renamed to NAME, the name from Content-Disposition or the URL.
        download: async (selector, { timeout = TIMEOUT } = {}) => {
          const before = new Set(readdirSync(downloads));
          await hrefOf(page, selector);
          await page.click(selector);
          const file = await awaitFile(downloads, before, '.wkdownload', { timeout, what: selector });
          const data = readFileSync(file);
          rmSync(file, { force: true });
          return { suggestedFilename: basename(file), data };
        },
        close: async () => {
          pages.delete(s);
          await closeSession(s);
        },
        raw: s,
      }));
    },
    close: async () => {
      try {
        const last = await spare;
        spare = undefined;
        await Promise.all([...pages, ...(last ? [last] : [])].map(closeSession));
        pages.clear();
      } finally {
        await stop(xvfb);
        removeFolder(home);
      }
    },
  };
};

/**
 * Launches `engine`; throws with the install line when it is missing (check with available() first to skip).
 * @param {Engine} engine
 * @returns {Promise<Browser>}
 */
export const launch = async (engine) => {
  const a = await available(engine);
  if (!a.ok) throw new Error(a.message);
  if (engine === 'chromium') return launchChromium();
  if (engine === 'firefox') return launchFirefox(a.executable);
  return launchWebKit(a.executable);
};
