// The demo page's "Verified download" button (demo/public/widget.js), in Chromium: download() fetches
// the object in ranged GETs with If-Match, the button shows the progress and ends "Verified ✓" with
// COS's CRC-64, and the Blob it saved holds the object's bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { available, launch } from './engines.mjs';
import { openPage, sha256, startDemo } from './harness.mjs';
import { CosSigner, upload } from '../../dist/cos-sign.mjs';

const MiB = 1 << 20;
const chromium = await available('chromium');

describe.skipIf(!chromium.ok)('demo: the Verified download button (Chromium)', () => {
  let d;
  let browser;
  beforeAll(async () => {
    d = await startDemo();
    browser = await launch('chromium');
  });
  afterAll(async () => {
    await browser?.close();
    await d?.close();
  });

  it('downloads with progress in ranged GETs, checks the CRC-64, and keeps the bytes', async () => {
    const id = 'AKIDdemo' + randomBytes(6).toString('hex');
    const sk = randomBytes(20).toString('hex');
    d.cos.addKey(id, sk);
    const signer = new CosSigner({
      domain: d.cosUrl.replace('http://', ''),
      scheme: 'http',
      credentials: { secretId: id, secretKey: sk },
    });
    const data = randomBytes(5 * MiB + 17);
    const key = 'uploads/verified.bin';
    await upload(signer, { bucket: d.cos.bucket, key, body: data });
    const page = await openPage(browser, d, `/?partSize=${MiB}`);
    await page.evaluate(() => window.cosDemo.listObjects());
    await page.waitForFunction((k) => !!document.querySelector(`button.vdownload[data-key="${k}"]`), key);
    const from = d.cos.state.history.length;
    // Every label the button shows, in order.
    await page.evaluate((k) => {
      const b = document.querySelector(`button.vdownload[data-key="${k}"]`);
      window.labels = [];
      new MutationObserver(() => window.labels.push(b.textContent)).observe(b, { childList: true });
      b.click();
    }, key);
    await page.waitForFunction(
      (k) => document.querySelector(`button.vdownload[data-key="${k}"]`).dataset.state !== 'downloading',
      key,
    );
    const r = await page.evaluate(async (k) => {
      const b = document.querySelector(`button.vdownload[data-key="${k}"]`);
      const blob = window.cosDemo.downloads[k];
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
      return {
        state: b.dataset.state,
        crc64: b.dataset.crc64,
        text: b.textContent,
        labels: window.labels,
        hash: [...digest].map((x) => x.toString(16).padStart(2, '0')).join(''),
      };
    }, key);
    const stored = await d.cos.readObject(key);
    expect(r).toMatchObject({ state: 'done', crc64: stored.crc64, text: 'Verified ✓', hash: sha256(data) });
    expect(r.labels).toEqual(['0 %', '19 %', '39 %', '59 %', '79 %', '99 %', '100 %', 'Verified ✓']);
    const seen = d.cos.state.history.slice(from).filter((h) => h.method !== 'OPTIONS');
    expect(seen.map((h) => h.method)).toEqual(['HEAD', ...Array(6).fill('GET')]);
    expect(seen.slice(1).every((h) => h.headers['if-match'] === stored.etag && h.status === 206)).toBe(true);
    expect(await page.errors()).toEqual([]);
    await page.close();
  });
});
