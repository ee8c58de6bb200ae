// The demo page in real browsers — Chromium, Firefox ESR and WebKitGTK (engines.mjs), each flow one
// test body run in every engine — against the demo's local COS server: real CORS, real XHR upload
// progress, real downloads. Stored bytes are read back from the server's disk and compared with what
// was picked. Large files, pause/resume and Uppy: large.test.mjs. Shared helpers: harness.mjs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  artifact,
  choosePath,
  clickButton,
  eachEngine,
  fill,
  openPage as open,
  root,
  rows,
  settle,
  sha256,
  startDemo,
  stored,
  inputValue,
  waitForSelector,
  withDemo,
} from './harness.mjs';

const SIZES = { '1B': 1, '1MiB': 1 << 20, '20MiB': 20 << 20 };

let dir;
const data = {};
const timings = {};

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-e2e-'));
  for (const [name, size] of Object.entries(SIZES)) data[name] = randomBytes(size);
});

afterAll(async () => {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
  if (Object.keys(timings).length) console.log('e2e timings (ms):', timings);
});

/** Writes a file to pick; returns its path. */
const file = async (name, bytes) => {
  const p = path.join(dir, name);
  await fsp.writeFile(p, bytes);
  return p;
};

eachEngine(
  (engine) => `the demo page in ${engine}`,
  (engine, b) => {
    // One demo instance per engine for the tests that need nothing special, its COS requests through a
    // throttled proxy (unlimited unless a test sets a rate).
    let demo;
    beforeAll(async () => {
      demo = await startDemo({ maxUploadBytes: 64 << 20, throttle: true });
    });
    afterAll(() => demo?.close());

    /** A fresh page (own signer, own credentials) on `d`. */
    const openPage = (d = demo, pathname = '/') => open(b.browser, d, pathname);
    const shot = (name) => artifact(engine, name);

    it('uploads 1 B, 1 MiB and 20 MiB files by each path, several at once; stored bytes match; progress reaches 100%', async () => {
      const page = await openPage();
      for (const p of ['put', 'presign', 'post']) {
        await choosePath(page, p);
        const names = Object.keys(SIZES).map((s) => `${p}-${s}.bin`);
        const paths = await Promise.all(names.map((n, i) => file(n, data[Object.keys(SIZES)[i]])));
        const t0 = Date.now();
        await page.setInputFiles('#picker', paths);
        const keys = names.map((n) => 'uploads/' + n);
        const result = await settle(page, keys);
        timings[`${engine}: 3 files (21 MiB) by ${p}`] = Date.now() - t0;
        for (const [i, k] of keys.entries()) {
          expect(result[k]).toMatchObject({ state: 'done', uploaded: '100' });
          expect(await stored(demo, k)).toBe(sha256(data[Object.keys(SIZES)[i]]));
          // Each row says its bytes were verified, with COS's CRC-64 of what it stored (read through
          // CORS): one XHR compared with the file's CRC, the 20 MiB 'put' through upload() (multipart).
          const { crc64 } = await demo.cos.readObject(k);
          expect(result[k]).toMatchObject({ verified: 'true', crc64, check: `Verified · CRC-64 ${crc64}` });
        }
      }
      await page.waitForFunction(() => document.querySelectorAll('#objects tr[data-key]').length >= 9);
      await page.screenshot({ path: shot('uploads.png'), fullPage: true });
      expect(await page.errors()).toEqual([]);
      await page.close();
    });

    it('without COS\'s CRC-64 in reach (a CORS rule that does not expose it), a finished upload says "Not verified" and why', async () => {
      const page = await openPage();
      // The page cannot read x-cos-hash-crc64ecma, as with a bucket whose CORS rule does not expose it:
      // hidden from XMLHttpRequest (the widget's own uploads, upload()'s parts) and fetch (Complete).
      await page.evaluate(() => {
        const hidden = 'x-cos-hash-crc64ecma';
        const get = XMLHttpRequest.prototype.getResponseHeader;
        XMLHttpRequest.prototype.getResponseHeader = function (name) {
          return String(name).toLowerCase() === hidden ? null : get.call(this, name);
        };
        const original = window.fetch;
        window.fetch = async (input, init) => {
          const res = await original(input, init);
          if (!res.headers.has(hidden)) return res;
          const headers = new Headers(res.headers);
          headers.delete(hidden);
          const body = [204, 205, 304].includes(res.status) ? null : await res.arrayBuffer();
          return new Response(body, { status: res.status, statusText: res.statusText, headers });
        };
      });
      await choosePath(page, 'put');
      const names = ['unverified-1MiB.bin', 'unverified-20MiB.bin'];
      await page.setInputFiles('#picker', [await file(names[0], data['1MiB']), await file(names[1], data['20MiB'])]);
      const keys = names.map((n) => 'uploads/' + n);
      const result = await settle(page, keys);
      for (const [i, k] of keys.entries()) {
        expect(result[k]).toMatchObject({ state: 'done', verified: 'false' });
        expect(result[k].crc64).toBeUndefined();
        expect(result[k].check).toBe(
          'Not verified: COS’s answer had no CRC-64 to compare (the bucket’s CORS rule must expose x-cos-hash-crc64ecma).',
        );
        expect(await stored(demo, k)).toBe(sha256(data[['1MiB', '20MiB'][i]]));
      }
      await page.screenshot({ path: shot('not-verified.png'), selector: '#queue' });
      expect(await page.errors()).toEqual([]);
      await page.close();
    });

    it('download links return the same bytes with Content-Disposition; "Download" saves the file; image thumbnails load', async () => {
      const page = await openPage();
      // A 640×360 PNG drawn by the browser.
      const png = Buffer.from(
        await page.evaluate(() => {
          const c = Object.assign(document.createElement('canvas'), { width: 640, height: 360 });
          const g = c.getContext('2d');
          const grad = g.createLinearGradient(0, 0, 640, 360);
          grad.addColorStop(0, '#2f7bff');
          grad.addColorStop(1, '#00b8a9');
          g.fillStyle = grad;
          g.fillRect(0, 0, 640, 360);
          g.fillStyle = '#fff';
          g.font = '48px sans-serif';
          g.fillText('cos-sign', 40, 200);
          return c.toDataURL('image/png').split(',')[1];
        }),
        'base64',
      );
      await choosePath(page, 'put');
      await page.setInputFiles('#picker', await file('screenshot.png', png));
      expect((await settle(page, ['uploads/screenshot.png']))['uploads/screenshot.png'].state).toBe('done');
      expect(await stored(demo, 'uploads/screenshot.png')).toBe(sha256(png));
      // The list shows the image through a presigned GET (cross-origin, private bucket).
      await page.waitForFunction(() => {
        const img = document.querySelector('#objects tr[data-key="uploads/screenshot.png"] img');
        return img?.complete && img.naturalWidth === 640;
      });
      for (const p of ['put', 'presign', 'post'])
        for (const s of Object.keys(SIZES)) {
          const key = `uploads/${p}-${s}.bin`;
          const href = await page.evaluate((k) => document.querySelector(`a.download[data-key="${k}"]`).href, key);
          const res = await fetch(href);
          expect(res.status).toBe(200);
          expect(res.headers.get('content-disposition')).toMatch(
            new RegExp(`^attachment; filename="${p}-${s}\\.bin"; filename\\*=UTF-8''${p}-${s}\\.bin$`),
          );
          expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(data[s]));
        }
      // A person clicking "Download" gets a file saved under its own name (the browser saves it).
      const download = await page.download('a.download[data-key="uploads/post-1MiB.bin"]');
      expect(download.suggestedFilename).toBe('post-1MiB.bin');
      expect(sha256(download.data)).toBe(sha256(data['1MiB']));
      await page.screenshot({ path: shot('bucket-list.png'), selector: '#objects' });
      expect(await page.errors()).toEqual([]);
      await page.close();
    });

    it('the UMD variant works from a classic <script> tag', async () => {
      const page = await openPage(demo, '/umd.html');
      expect(await page.evaluate(() => typeof window.CosSign.CosSigner)).toBe('function');
      for (const p of ['post', 'put']) {
        await choosePath(page, p);
        await page.setInputFiles('#picker', await file(`umd-${p}.bin`, data['1MiB']));
        expect((await settle(page, [`uploads/umd-${p}.bin`]))[`uploads/umd-${p}.bin`]).toMatchObject({
          state: 'done',
          uploaded: '100',
        });
        expect(await stored(demo, `uploads/umd-${p}.bin`)).toBe(sha256(data['1MiB']));
      }
      // Everything the page requested, from its start to here.
      const requested = await page.evaluate(() =>
        performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname),
      );
      expect(requested).toContain('/dist/cos-sign.umd.js');
      expect(requested).not.toContain('/dist/cos-sign.mjs');
      await page.close();
    });

    it('drag and drop uploads the dropped files; Delete removes one', async () => {
      const page = await openPage();
      await choosePath(page, 'post');
      const hashes = await page.evaluate(async () => {
        const dt = new DataTransfer();
        const out = {};
        for (const [name, size] of [
          ['dropped-a.bin', 3000],
          ['dropped-b.txt', 10],
        ]) {
          const bytes = crypto.getRandomValues(new Uint8Array(size));
          dt.items.add(new File([bytes], name, { type: name.endsWith('.txt') ? 'text/plain' : '' }));
          out[name] = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
            .map((b) => b.toString(16).padStart(2, '0'))
            .join('');
        }
        const drop = document.getElementById('drop');
        for (const type of ['dragenter', 'dragover', 'drop'])
          drop.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
        return out;
      });
      const result = await settle(page, ['uploads/dropped-a.bin', 'uploads/dropped-b.txt']);
      for (const name of Object.keys(hashes)) {
        expect(result['uploads/' + name].state).toBe('done');
        expect(await stored(demo, 'uploads/' + name)).toBe(hashes[name]);
      }
      expect((await demo.cos.readObject('uploads/dropped-b.txt')).headers['content-type']).toBe('text/plain');
      // Delete, from the list (a signed DELETE through signedFetch).
      await clickButton(page, '#objects tr[data-key="uploads/dropped-b.txt"]', 'Delete');
      await waitForSelector(page, '#objects tr[data-key="uploads/dropped-b.txt"]', { gone: true });
      expect(await demo.cos.readObject('uploads/dropped-b.txt')).toBeUndefined();
      expect(await demo.cos.readObject('uploads/dropped-a.bin')).toBeDefined();
      expect(await page.errors()).toEqual([]);
      await page.close();
    });

    it('cancel stops an upload and stores nothing; retry then completes it', async () => {
      const page = await openPage();
      // Slow the upload down (2 MiB/s: 10 s for 20 MiB) so there is time to press Cancel.
      demo.proxy.setRate(2 << 20);
      try {
        await choosePath(page, 'put');
        const key = 'uploads/cancel-me.bin';
        await page.setInputFiles('#picker', await file('cancel-me.bin', data['20MiB']));
        await page.waitForFunction(
          (k) => +document.querySelector(`.item[data-key="${k}"]`)?.dataset.uploaded >= 10,
          key,
          { polling: 20 },
        );
        await clickButton(page, `.item[data-key="${key}"]`, 'Cancel');
        expect((await settle(page, [key]))[key].state).toBe('canceled');
        const progress = +(await rows(page, [key]))[key].uploaded;
        expect(progress).toBeGreaterThanOrEqual(10);
        expect(progress).toBeLessThan(100);
        // What the browser had sent before it cut its connections is still on its way (in the proxy's
        // socket buffers): let it through at full speed, and wait for the server to see each request
        // in flight end (cut off), before looking at what it kept.
        demo.proxy.setRate(0);
        const puts = () => demo.cos.state.history.filter((h) => h.method === 'PUT' && h.key === key);
        for (
          let i = 0;
          i < 500 && (puts().some((h) => h.status === undefined) || (await demo.cos.tmpFiles()).length);
          i++
        )
          await new Promise((r) => setTimeout(r, 20));
        expect(await demo.cos.readObject(key)).toBeUndefined();
        expect(await demo.cos.tmpFiles()).toEqual([]);
        await clickButton(page, `.item[data-key="${key}"]`, 'Retry');
        expect((await settle(page, [key]))[key]).toMatchObject({ state: 'done', uploaded: '100' });
        expect(await stored(demo, key)).toBe(sha256(data['20MiB']));
        expect(await page.errors()).toEqual([]);
        await page.close();
      } finally {
        demo.proxy.setRate(0);
      }
    });

    it('a tampered URL and an expired one show their errors in the page', async () => {
      const page = await openPage();
      // 1. The backend's presigned URL altered on its way to the browser: the page's fetch of /presign
      //    hands the widget the answer with one character of q-signature changed.
      await page.evaluate(() => {
        const original = window.fetch;
        window.__restoreFetch = () => (window.fetch = original);
        window.fetch = async (input, init) => {
          const res = await original(input, init);
          if (new URL(String(input instanceof Request ? input.url : input), location.href).pathname !== '/presign')
            return res;
          const body = await res.json();
          body.url = body.url.replace(/q-signature=([0-9a-f])/, (_m, c) => `q-signature=${c === '0' ? '1' : '0'}`);
          return new Response(JSON.stringify(body), {
            status: res.status,
            statusText: res.statusText,
            headers: res.headers,
          });
        };
      });
      await choosePath(page, 'presign');
      const key = 'uploads/tampered.txt';
      await page.setInputFiles('#picker', await file('tampered.txt', Buffer.from('tampered on the way')));
      const bad = (await settle(page, [key]))[key];
      expect(bad).toMatchObject({ state: 'error', code: 'SignatureDoesNotMatch' });
      expect(bad.message).toMatch(/refused the signature/);
      expect(await demo.cos.readObject(key)).toBeUndefined();
      await page.screenshot({ path: shot('tampered-upload.png'), selector: `.item[data-key="${key}"]` });
      await page.evaluate(() => window.__restoreFetch());
      await clickButton(page, `.item[data-key="${key}"]`, 'Retry');
      expect((await settle(page, [key]))[key].state).toBe('done');

      // 2. A download link with one character of its signature changed, in the URL checker.
      await waitForSelector(page, `a.download[data-key="${key}"]`);
      const href = await page.evaluate((k) => document.querySelector(`a.download[data-key="${k}"]`).href, key);
      await clickButton(page, `#objects tr[data-key="${key}"]`, 'Copy link');
      expect(await inputValue(page, '#check-url')).toBe(href);
      const check = async (url) => {
        await fill(page, '#check-url', url);
        await page.click('#check button[type=submit]');
        await page.waitForFunction(() => ['ok', 'bad'].includes(document.getElementById('check-result').dataset.kind));
        return page.evaluate(() => {
          const e = document.getElementById('check-result');
          const r = { kind: e.dataset.kind, code: e.dataset.code, text: e.textContent };
          delete e.dataset.kind;
          return r;
        });
      };
      let r = await check(href);
      expect(r.kind).toBe('ok');
      expect(r.text).toMatch(/Content-Disposition: attachment/);
      r = await check(
        href.replace(
          /q-signature=([0-9a-f]+)/,
          (_m, s) => `q-signature=${s.slice(0, -1)}${s.endsWith('a') ? 'b' : 'a'}`,
        ),
      );
      expect(r).toMatchObject({ kind: 'bad', code: 'SignatureDoesNotMatch' });
      expect(r.text).toMatch(/refused the signature/);
      await page.screenshot({ path: shot('tampered-link.png'), selector: '.inspect' });

      // 3. A link valid for 5 seconds, checked after it expired.
      // (The box still holds the tampered link, which has a q-sign-time too: wait for the new one.)
      const tampered = await inputValue(page, '#check-url');
      await page.click('#short-link');
      await page.waitForFunction((before) => {
        const v = document.getElementById('check-url').value;
        return v !== before && /q-sign-time=/.test(v);
      }, tampered);
      const shortUrl = await inputValue(page, '#check-url');
      const end = +/q-sign-time=\d+%3B(\d+)/.exec(shortUrl)[1];
      expect((await check(shortUrl)).kind).toBe('ok');
      await new Promise((res) => setTimeout(res, Math.max(0, (end + 1) * 1000 - Date.now() + 100)));
      r = await check(shortUrl);
      expect(r).toMatchObject({ kind: 'bad', code: 'AccessDenied' });
      expect(r.text).toMatch(/expired/);
      await page.screenshot({ path: shot('expired-link.png'), selector: '.inspect' });
      expect(await page.errors()).toEqual([]);
      await page.close();
    });

    it('a file over the size limit is refused before a byte is sent, and the page says so', async () => {
      await withDemo({ maxUploadBytes: 1 << 20 }, async (small) => {
        const page = await openPage(small);
        const big = await file('too-big.bin', randomBytes((1 << 20) + 1));
        for (const p of ['post', 'put']) {
          await choosePath(page, p);
          await page.setInputFiles('#picker', big);
          const r = (await settle(page, ['uploads/too-big.bin']))['uploads/too-big.bin'];
          expect(r).toMatchObject({ state: 'error', code: 'EntityTooLarge' });
          expect(r.message).toMatch(/too large: this bucket takes at most 1\.00 MiB/);
          await page.evaluate(() => document.querySelector('.item[data-key="uploads/too-big.bin"]').remove());
        }
        expect(small.cos.listKeys()).toEqual([]);
        // Nothing was sent: no upload request reached the local COS server (it used to take every part).
        expect(small.cos.state.history.filter((h) => h.method === 'PUT' || h.method === 'POST')).toEqual([]);
        expect(await small.cos.tmpFiles()).toEqual([]);
        expect(await page.errors()).toEqual([]);
        await page.close();
      });
    });

    it('recovers when the clock is 15 minutes off in either direction (adopts the server time, retries once)', async () => {
      await withDemo({}, async (skewed) => {
        const page = await openPage(skewed);
        // The clock jumps after the page started, so each upload meets COS's time error first.
        const steps = [
          ['put', 15],
          ['post', -15],
          ['post', 15],
          ['put', -15],
        ];
        for (const [p, minutes] of steps) {
          skewed.cos.setClockSkew(minutes * 60_000);
          await choosePath(page, p);
          const name = `skew-${p}-${minutes}.bin`;
          await page.setInputFiles('#picker', await file(name, data['1MiB']));
          const row = (await settle(page, ['uploads/' + name]))['uploads/' + name];
          expect(row, JSON.stringify({ row, refusals: skewed.cos.state.refusals })).toMatchObject({
            state: 'done',
            uploaded: '100',
          });
          expect(await stored(skewed, 'uploads/' + name)).toBe(sha256(data['1MiB']));
          const offset = await page.evaluate(() => window.cosDemo.state.signer.clockOffset);
          expect(Math.abs(offset - minutes * 60_000)).toBeLessThan(3000);
          await page.waitForFunction(
            (s) => document.getElementById('clock').textContent === s,
            `${Math.round(offset / 1000)} s`,
          );
          // Let the list refresh that follows an upload finish before the clock jumps again.
          await waitForSelector(page, `#objects tr[data-key="uploads/${name}"]`);
        }
        // Each upload met exactly one time error (the page then adopted the server's clock).
        const uploads = skewed.cos.state.refusals.filter((r) => r.method !== 'GET');
        expect(uploads.map((r) => r.code)).toEqual([
          'AccessDenied',
          'RequestTimeTooSkewed',
          'AccessDenied',
          'RequestTimeTooSkewed',
        ]);
        expect(await page.errors()).toEqual([]);
        await page.close();
      });
    });

    it('temporary keys that expire every 4 seconds are refreshed transparently over a 12-second session', async () => {
      await withDemo({ stsTtl: 4 }, async (short) => {
        const page = await openPage(short);
        const t0 = Date.now();
        const keys = [];
        for (let i = 0; Date.now() - t0 < 12_000 && i < 40; i++) {
          const p = ['put', 'post'][i % 2];
          await choosePath(page, p);
          const name = `session-${i}.txt`;
          await page.setInputFiles('#picker', await file(name, Buffer.from(`upload ${i} at ${Date.now() - t0} ms`)));
          expect((await settle(page, ['uploads/' + name]))['uploads/' + name].state).toBe('done');
          keys.push('uploads/' + name);
          await new Promise((r) => setTimeout(r, 700));
        }
        await page.click('#refresh');
        await page.waitForFunction((n) => document.querySelectorAll('#objects tr[data-key]').length === n, keys.length);
        expect(keys.length).toBeGreaterThanOrEqual(5);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(12_000); // three key lifetimes at least
        // Several keys were used one after another, none was refused: nothing for the user to see.
        expect(short.stats.sts).toBeGreaterThanOrEqual(4);
        expect(short.cos.state.refusals).toEqual([]);
        const used = new Set(
          await page.evaluate(() =>
            [...document.querySelectorAll('.item')]
              .map((i) => /q-ak=([^&]+)/.exec(i.dataset.url || '')?.[1])
              .filter(Boolean),
          ),
        );
        expect(used.size).toBeGreaterThanOrEqual(3);
        // The panel counts the same /sts calls (once any call in flight has landed).
        await page.waitForFunction(
          (n) => document.getElementById('key-count').textContent === `${n} times`,
          short.stats.sts,
        );
        timings[`${engine}: 12 s session, stsTtl 4 s: /sts calls`] = short.stats.sts;
        expect(await page.errors()).toEqual([]);
        await page.close();
      });
    });

    describe('the widget, as people see it', () => {
      it('takes a screenshot: images with thumbnails, a refused file, an upload in progress', async () => {
        await withDemo({ maxUploadBytes: 8 << 20, throttle: true }, async (shop) => {
          const page = await openPage(shop);
          await choosePath(page, 'put');
          // Two real PNGs drawn in the page, and a text file, dropped on the widget.
          await page.evaluate(async () => {
            const png = (name, stops) =>
              new Promise((resolve) => {
                const c = Object.assign(document.createElement('canvas'), { width: 480, height: 320 });
                const g = c.getContext('2d');
                const grad = g.createLinearGradient(0, 0, 480, 320);
                for (const [i, s] of stops.entries()) grad.addColorStop(i / (stops.length - 1), s);
                g.fillStyle = grad;
                g.fillRect(0, 0, 480, 320);
                g.fillStyle = 'rgba(255,255,255,.85)';
                g.beginPath();
                g.arc(360, 90, 46, 0, Math.PI * 2);
                g.fill();
                c.toBlob((b) => resolve(new File([b], name, { type: 'image/png' })), 'image/png');
              });
            const dt = new DataTransfer();
            dt.items.add(await png('sunset.png', ['#ff7e5f', '#feb47b', '#6a3093']));
            dt.items.add(await png('lagoon.png', ['#00b8a9', '#2f7bff', '#1c3f94']));
            dt.items.add(
              new File(['Uploaded straight from the browser with cos-sign.\n'], 'notes.txt', { type: 'text/plain' }),
            );
            const drop = document.getElementById('drop');
            for (const type of ['dragenter', 'dragover', 'drop'])
              drop.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
          });
          const done = await settle(page, ['uploads/sunset.png', 'uploads/lagoon.png', 'uploads/notes.txt']);
          expect(Object.values(done).map((r) => r.state)).toEqual(['done', 'done', 'done']);
          await choosePath(page, 'post');
          await page.setInputFiles('#picker', await file('holiday-video.mov', randomBytes(9 << 20)));
          expect((await settle(page, ['uploads/holiday-video.mov']))['uploads/holiday-video.mov'].code).toBe(
            'EntityTooLarge',
          );
          // 1 MiB/s from here: 6 s for the 6 MiB file, in progress while the screenshot is taken.
          shop.proxy.setRate(1 << 20);
          await page.setInputFiles('#picker', await file('photos-2026.zip', randomBytes(6 << 20)));
          await page.waitForFunction(
            () => +document.querySelector('.item[data-key="uploads/photos-2026.zip"]')?.dataset.uploaded >= 40,
            null,
            { polling: 20 },
          );
          await page.waitForFunction(
            () =>
              [...document.querySelectorAll('#objects img')].every((i) => i.complete && i.naturalWidth > 0) &&
              document.querySelectorAll('#objects img').length === 2,
          );
          await page.screenshot({ path: shot('widget.png'), fullPage: true });
          if (process.env.UPDATE_DEMO_SCREENSHOT && engine === 'chromium')
            await page.screenshot({ path: path.join(root, 'demo', 'screenshot.png'), fullPage: true });
          await clickButton(page, '.item[data-key="uploads/photos-2026.zip"]', 'Cancel');
          expect((await settle(page, ['uploads/photos-2026.zip']))['uploads/photos-2026.zip'].state).toBe('canceled');
          expect(await page.errors()).toEqual([]);
          await page.close();
        });
      });
    });
  },
);
