// Verified bytes in real browsers — Chromium, Firefox ESR and WebKitGTK (engines.mjs), one test body run
// in every engine: upload() from a page on the demo's origin to the local COS server on another origin,
// so COS's x-cos-hash-crc64ecma reaches the library only through CORS (the server exposes it). A
// multipart upload must resolve verified: true with the CRC-64 the server computed of what it stored,
// and the stored bytes must be the page's.
//
// The other half of the contract: with a CORS rule that does not expose the header (the demo started
// with the server's `cors` option), the same upload succeeds with verified: false. The demo page's "Not
// verified" line is tested in browser.test.mjs.
import { afterAll, beforeAll, expect, it } from 'vitest';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { eachEngine, openPage, root, sha256, startDemo } from './harness.mjs';

const MiB = 1 << 20;
const { crc64 } = await import(pathToFileURL(path.join(root, 'dist/cos-sign.mjs')).href);

eachEngine(
  (engine) => `verified bytes in ${engine}`,
  (_engine, b) => {
    let demo;
    beforeAll(async () => {
      demo = await startDemo();
    });
    afterAll(() => demo?.close());

    it('a multipart upload() from a page, cross-origin, resolves verified: true with the CRC-64 COS stored; the bytes match', async () => {
      // The UMD page: window.CosSign is the library, window.cosDemo.state.signer its signer (keys from /sts).
      const page = await openPage(b.browser, demo, '/umd.html');
      const key = 'uploads/verified-multipart.bin';
      const size = 10 * MiB + 12345; // three parts of 4 MiB, the last one odd
      const r = await page.evaluate(
        async ({ key, size }) => {
          const bytes = new Uint8Array(size);
          for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
          const { signer, config } = window.cosDemo.state;
          const res = await window.CosSign.upload(signer, {
            bucket: config.bucket,
            key,
            body: new Blob([bytes]),
            partSize: 4 << 20,
          });
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
          return {
            result: res,
            origin: location.origin,
            sha256: [...digest].map((x) => x.toString(16).padStart(2, '0')).join(''),
            crcOfBytes: window.CosSign.crc64(bytes),
          };
        },
        { key, size },
      );
      expect(new URL(demo.cosUrl).origin).not.toBe(r.origin);
      const o = await demo.cos.readObject(key);
      expect(o.size).toBe(size);
      expect(o.etag).toMatch(/-3"$/);
      expect(r.result).toMatchObject({ key, verified: true, crc64: o.crc64 });
      expect(r.result.uploadId).toEqual(expect.any(String));
      expect(sha256(o.data)).toBe(r.sha256);
      // The server's CRC (its own code, demo/server/cos-crc.mjs) is the library's, in the page and in Node.
      expect(r.crcOfBytes).toBe(o.crc64);
      expect(crc64(o.data)).toBe(o.crc64);
      // Every request went cross-origin from the page: Initiate, three parts (in any order), Complete.
      const sent = demo.cos.state.history.filter((h) => h.key === key && h.method !== 'OPTIONS');
      const what = sent.map((h) => `${h.method} ${h.query.partNumber ?? ''} ${h.status}`);
      expect([what[0], ...what.slice(1, -1).sort(), what.at(-1)]).toEqual([
        'POST  200',
        'PUT 1 200',
        'PUT 2 200',
        'PUT 3 200',
        'POST  200',
      ]);
      for (const h of sent) expect(h.headers.origin).toBe(r.origin);
      expect(await page.errors()).toEqual([]);
      await page.close();
    });

    it('verified: false when the CORS rule does not expose x-cos-hash-crc64ecma; the bytes still arrive', async () => {
      const hidden = await startDemo({
        cors: [{ AllowedOrigin: '*', ExposeHeader: ['ETag', 'Date', 'x-cos-request-id'] }],
      });
      try {
        const page = await openPage(b.browser, hidden, '/umd.html');
        const key = 'uploads/hidden-crc.bin';
        const r = await page.evaluate(async (key) => {
          const bytes = new Uint8Array(9 << 20);
          for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
          const { signer, config } = window.cosDemo.state;
          const res = await window.CosSign.upload(signer, {
            bucket: config.bucket,
            key,
            body: new Blob([bytes]),
            partSize: 4 << 20,
          });
          return { res, crc: window.CosSign.crc64(bytes) };
        }, key);
        const o = await hidden.cos.readObject(key);
        expect(r.res).toMatchObject({ key, verified: false, crc64: o.crc64 }); // the computed CRC, which is COS's
        expect(r.crc).toBe(o.crc64);
        await page.close();
      } finally {
        await hidden.close();
      }
    });
  },
);
