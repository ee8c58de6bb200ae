// Launches a real headless Chromium for the end-to-end tests: the binary from the npm package
// @sparticuz/chromium (so `npm ci` is enough), or CHROMIUM_PATH (e.g. /usr/bin/chromium).
import { chromium } from 'playwright-core';

// @sparticuz/chromium's defaults include --disable-web-security (we must see real CORS) and
// --single-process (flaky here): both are dropped.
const DROP = new Set(['--disable-web-security', '--single-process']);
const ADD = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export const launchChromium = async () => {
  let executablePath = process.env.CHROMIUM_PATH;
  let args = [];
  if (!executablePath) {
    const sparticuz = (await import('@sparticuz/chromium')).default;
    executablePath = await sparticuz.executablePath();
    args = sparticuz.args.filter((a) => !DROP.has(a.split('=')[0]) && !a.startsWith('--user-data-dir'));
  }
  for (const a of ADD) if (!args.includes(a)) args.push(a);
  return chromium.launch({ executablePath, headless: true, args });
};
