// The batch in real Chromium (@sparticuz/chromium driven by playwright-core): ours (dist/cos-sign.umd.js,
// dist/sync.umd.js) and cos-js-sdk-v5's dist/cos-js-sdk-v5.min.js in one page served from 127.0.0.1
// (a secure context, so crypto.subtle exists), variants interleaved as in Node.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const dist = (f) =>
  process.env.COS_SIGN_DIST ? process.env.COS_SIGN_DIST.replace(/\/?$/, '/') + f : here('../dist/' + f);
const files = {
  '/': [here('./page.html'), 'text/html'],
  '/cos-sign.umd.js': [dist('cos-sign.umd.js'), 'text/javascript'],
  '/sync.umd.js': [dist('sync.umd.js'), 'text/javascript'],
  '/cos-js-sdk-v5.min.js': [require.resolve('cos-js-sdk-v5/dist/cos-js-sdk-v5.min.js'), 'text/javascript'],
  '/tinybench.js': [require.resolve('tinybench'), 'text/javascript'],
  '/interleave.mjs': [here('./interleave.mjs'), 'text/javascript'],
  '/workload.mjs': [here('./workload.mjs'), 'text/javascript'],
};

/**
 * Serves `files` (URL path -> [file, content type]) from 127.0.0.1, launches headless Chromium
 * (@sparticuz/chromium, or CHROMIUM_PATH) with `extraArgs`, and opens `/` until it sets `window.ready`.
 * Also used by bench/runtimes.mjs. Close `browser` and `server` when done.
 */
export const serveAndLaunch = async (files, extraArgs = []) => {
  const server = createServer((req, res) => {
    const f = files[req.url];
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f[1] + '; charset=utf-8' }).end(readFileSync(f[0]));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { chromium } = await import('playwright-core');
  const sparticuz = (await import('@sparticuz/chromium')).default;
  const drop = new Set(['--disable-web-security', '--single-process']);
  const args = sparticuz.args
    .filter((a) => !drop.has(a))
    .concat([
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ]);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || (await sparticuz.executablePath()),
    headless: true,
    args,
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page
      .waitForFunction(() => window.ready === true || undefined, null, { timeout: 30_000 })
      .catch(() => {
        throw new Error(`the bench page ${files['/'][0]} did not load: ${errors.join('; ')}`);
      });
    return { server, browser, page };
  } catch (e) {
    await browser.close();
    server.close();
    throw e;
  }
};

export async function runBrowser({ rounds = 5 } = {}) {
  const { server, browser, page } = await serveAndLaunch(files);
  try {
    const ok = await page.evaluate(() => window.check());
    if (!ok.subtle || !ok.sync)
      throw new Error(`in Chromium, cos-sign signs differently from cos-js-sdk-v5: ${JSON.stringify(ok)}`);
    const res = await page.evaluate((r) => window.run(r), rounds);
    return { version: browser.version(), ...res };
  } finally {
    await browser.close();
    server.close();
  }
}
