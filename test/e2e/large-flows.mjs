// The large-file flows of the demo (issue #11), each one test body that takes a launched browser
// (engines.mjs's Browser: Chromium, Firefox ESR or WebKitGTK) and brings its own demo instance:
// large.test.mjs runs each in every engine. They use no engine-specific API: uploads are slowed by a
// TCP proxy in front of the local COS server (harness.mjs), not by network emulation.
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import {
  artifact,
  choosePath,
  clickButton,
  dataOf,
  openPage,
  ready,
  rows,
  settle,
  sha256,
  sleep,
  waitForSelector,
  withDemo,
} from './harness.mjs';

const MiB = 1 << 20;

/** `until()` checked every `every` ms (in Node: it may look at the server's state) until true; throws after `timeout`. */
const poll = async (until, what, { timeout = 60_000, every = 10 } = {}) => {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await until();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
};

/** The UploadPart requests of one upload in the server's history (from index `from` on). */
const partRequests = (d, uploadId, from = 0) =>
  d.cos.state.history
    .slice(from)
    .filter((h) => h.method === 'PUT' && h.query.uploadId === uploadId && h.query.partNumber !== undefined);
const numbers = (list) => list.map((h) => +h.query.partNumber);
const sorted = (a) => [...a].sort((x, y) => x - y);
/** Every UploadPart so far has been answered or cut (the server has settled what was in flight). */
const settledParts = (d, uploadId) => partRequests(d, uploadId).every((h) => h.status !== undefined);
const storedParts = (d, key, uploadId) =>
  sorted(
    (d.cos.listUploads().find((u) => u.key === key && u.uploadId === uploadId)?.parts || []).map((p) => p.partNumber),
  );

/**
 * 64 MiB through the main page in 8 parts of 8 MiB, two at a time, over an uplink of 32 MiB/s:
 * progress inside a part, Pause (COS has some parts and no object), Resume (ListParts, then only the
 * missing parts), a page reload in the middle (the same file chosen again: the page offers the
 * uploadId it kept in localStorage, ListParts, only the missing parts), and the bytes COS stored.
 */
export const multipartPauseResumeReload = async (browser, { log = () => {} } = {}) => {
  const shot = (name) => artifact(browser.engine, name);
  const size = 64 * MiB;
  const partSize = 8 * MiB;
  const count = size / partSize;
  const all = Array.from({ length: count }, (_, i) => i + 1);
  const bytes = randomBytes(size);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-e2e-large-'));
  // A file on disk: choosing it again after the reload gives the same name, size and lastModified.
  const picked = path.join(dir, 'big-64MiB.bin');
  await fsp.writeFile(picked, bytes);
  try {
    return await withDemo({ throttle: true }, async (d) => {
      d.proxy.setRate(32 * MiB);
      const key = 'uploads/big-64MiB.bin';
      const query = `/?multipart=${partSize}&partSize=${partSize}&concurrency=2`;
      const page = await openPage(browser, d, query);
      await choosePath(page, 'put');
      const t0 = Date.now();
      await page.setInputFiles('#picker', picked);
      const row = `.item[data-key="${key}"]`;
      await waitForSelector(page, `${row}[data-multipart="true"][data-upload-id]`);
      const { uploadId } = await dataOf(page, row);
      expect(d.cos.listUploads().map((u) => u.uploadId)).toEqual([uploadId]);

      // 1. Progress inside a part: a byte count that is not a whole number of parts, read while the
      //    server had answered no UploadPart yet (read first, then checked: the order makes it sound).
      const inside = await poll(async () => {
        const loaded = +((await dataOf(page, row)).loaded || 0);
        const answered = partRequests(d, uploadId).some((h) => h.status === 200);
        if (answered) throw new Error(`a part was answered before any progress inside one was seen (last: ${loaded})`);
        return loaded > 0 && loaded % partSize !== 0 && loaded;
      }, 'progress inside the first parts');
      log(`progress inside a part: ${inside} bytes before any part was stored`);

      // 2. Pause once two parts are stored.
      await poll(() => partRequests(d, uploadId).filter((h) => h.status === 200).length >= 2, 'two parts stored');
      await clickButton(page, row, 'Pause');
      await waitForSelector(page, `${row}[data-state="paused"]`);
      await poll(() => settledParts(d, uploadId), 'the parts in flight at pause to be cut');
      const stored1 = storedParts(d, key, uploadId);
      const sent1 = partRequests(d, uploadId);
      log(`paused: COS has parts ${stored1}; sent ${numbers(sent1)} (statuses ${sent1.map((h) => h.status)})`);
      expect(stored1.length).toBeGreaterThanOrEqual(2);
      expect(stored1.length).toBeLessThan(count);
      expect(sorted(numbers(sent1.filter((h) => h.status === 200)))).toEqual(stored1);
      expect(await d.cos.readObject(key)).toBeUndefined();
      expect(
        await page.evaluate((s) => document.querySelector(s).querySelector('button:not([hidden])')?.textContent, row),
      ).toBe('Resume');
      const paused = (await rows(page, [key]))[key];
      expect(paused.message).toMatch(/^Paused at \d+%/);
      // The uploadId is kept for a reload.
      const kept = await page.evaluate(() =>
        Object.keys(localStorage)
          .filter((k) => k.startsWith('cos-sign-demo:upload:'))
          .map((k) => JSON.parse(localStorage.getItem(k))),
      );
      expect(kept).toEqual([expect.objectContaining({ uploadId, partSize })]);
      await page.screenshot({ path: shot('multipart-paused.png'), selector: row });

      // 3. Resume: ListParts first, then only the parts COS does not have; reload once two more are stored.
      const h1 = d.cos.state.history.length;
      await clickButton(page, row, 'Resume');
      await poll(
        () => partRequests(d, uploadId).filter((h) => h.status === 200).length >= stored1.length + 2,
        'two more parts stored',
      );
      const phase2 = d.cos.state.history.slice(h1);
      const firstPart = phase2.findIndex((h) => h.method === 'PUT');
      const listParts = phase2.findIndex((h) => h.method === 'GET' && h.query.uploadId === uploadId);
      expect(listParts).toBeGreaterThanOrEqual(0);
      expect(listParts).toBeLessThan(firstPart);
      expect(phase2.filter((h) => h.method === 'POST')).toEqual([]); // no new Initiate
      await page.reload();
      await ready(page);
      await poll(() => settledParts(d, uploadId), 'the parts in flight at the reload to be cut');
      const sent2 = partRequests(d, uploadId, h1);
      const stored2 = storedParts(d, key, uploadId);
      log(
        `reloaded: COS has parts ${stored2}; sent after resume ${numbers(sent2)} (statuses ${sent2.map((h) => h.status)})`,
      );
      for (const n of numbers(sent2)) expect(stored1).not.toContain(n);
      expect(new Set(numbers(sent2)).size).toBe(sent2.length);
      expect(stored2.length).toBeGreaterThanOrEqual(stored1.length + 2);
      expect(stored2.length).toBeLessThan(count);
      expect(await d.cos.readObject(key)).toBeUndefined();

      // 4. After the reload, the same file again: the page finds its uploadId and says how far it got.
      const h2 = d.cos.state.history.length;
      await choosePath(page, 'put');
      await page.setInputFiles('#picker', picked);
      await waitForSelector(page, `${row}[data-resumable="true"][data-parts-there]`);
      const offer = await dataOf(page, row);
      expect(offer).toMatchObject({ state: 'paused', uploadId, partsThere: String(stored2.length) });
      expect(offer.message).toContain(`${stored2.length} of ${count} parts`);
      await page.screenshot({ path: shot('multipart-resume-offer.png'), selector: row });
      await clickButton(page, row, 'Resume');
      const done = (await settle(page, [key]))[key];
      expect(done).toMatchObject({ state: 'done', uploaded: '100', loaded: String(size), uploadId });
      const phase3 = d.cos.state.history.slice(h2);
      const sent3 = partRequests(d, uploadId, h2);
      log(`after the reload: sent ${numbers(sent3)}`);
      expect(phase3.filter((h) => h.method === 'POST' && 'uploads' in h.query)).toEqual([]); // no new Initiate
      const lists = phase3.filter((h) => h.method === 'GET' && h.query.uploadId === uploadId).length;
      expect(lists).toBe(2); // the page's offer, then upload()'s resume
      expect(phase3.findLastIndex((h) => h.method === 'GET' && h.query.uploadId === uploadId)).toBeLessThan(
        phase3.findIndex((h) => h.method === 'PUT'),
      );
      expect(sorted(numbers(sent3))).toEqual(all.filter((n) => !stored2.includes(n)));
      expect(sent3.every((h) => h.status === 200)).toBe(true);
      expect(phase3.filter((h) => h.method === 'POST' && h.query.uploadId === uploadId).map((h) => h.status)).toEqual([
        200,
      ]); // Complete

      // Over the whole upload: each part stored once; a part went twice only when it was cut off.
      const every = partRequests(d, uploadId);
      expect(sorted(numbers(every.filter((h) => h.status === 200)))).toEqual(all);
      const twice = [...new Set(numbers(every))].filter((n) => numbers(every).filter((m) => m === n).length > 1);
      const cut = new Set(numbers(every.filter((h) => h.status !== 200)));
      for (const n of twice) expect(cut.has(n)).toBe(true);
      log(
        `parts sent twice (cut off at pause or reload): ${sorted(twice)}; bytes sent ${(every.length * partSize) / MiB} MiB or less for 64 MiB; ${Date.now() - t0} ms`,
      );

      // The object is whole, the upload is gone, and nothing is kept for a resume.
      const o = await d.cos.readObject(key);
      expect(o.size).toBe(size);
      expect(sha256(o.data)).toBe(sha256(bytes));
      expect(o.etag).toMatch(new RegExp(`-${count}"$`));
      expect(o.headers['content-type']).toBe('application/octet-stream');
      // Verified across the pause and the reload: the parts COS kept were hashed from the file, and the
      // row shows COS's CRC-64 of the object.
      expect(done).toMatchObject({ verified: 'true', crc64: o.crc64, check: `Verified · CRC-64 ${o.crc64}` });
      expect(d.cos.listUploads()).toEqual([]);
      expect(
        await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('cos-sign-demo:upload:'))),
      ).toEqual([]);
      await waitForSelector(page, `#objects tr[data-key="${key}"]`);
      expect(await page.errors()).toEqual([]);
      await page.close();
      return { ms: Date.now() - t0, inside, stored1, stored2 };
    });
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
};

/**
 * Real Uppy 6 (@uppy/core + @uppy/aws-s3, bundled by the page server) on /uppy.html, signing with
 * uppySignRequest: a 12 MiB file multipart in 5 MiB chunks and a small one by PutObject, stored bytes
 * compared, and the server's history: Initiate, three UploadParts, Complete; Content-Type kept.
 */
export const uppyMultipart = async (browser, { log = () => {} } = {}) => {
  const big = randomBytes(12 * MiB);
  const small = Buffer.from('Uploaded by Uppy 6 through uppySignRequest.\n');
  // Files on disk (a buffer handed to setInputFiles crosses the protocol slowly: seconds for 12 MiB).
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-e2e-uppy-'));
  const files = [path.join(dir, 'uppy-12MiB.mp4'), path.join(dir, 'uppy-note.txt')];
  await fsp.writeFile(files[0], big);
  await fsp.writeFile(files[1], small);
  try {
    return await withDemo({}, (d) => uppyFlow(browser, d, { big, small, files, log }));
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
};

const uppyFlow = async (browser, d, { big, small, files, log }) => {
  const page = await openPage(browser, d, `/uppy.html?chunkSize=${5 * MiB}`, {
    global: 'uppyDemo',
    check: (g) => !!window[g].uppy,
  });
  const t0 = Date.now();
  await page.setInputFiles('#picker', files);
  const keys = ['uploads/uppy-12MiB.mp4', 'uploads/uppy-note.txt'];
  const result = await settle(page, keys);
  log(`Uppy: 12 MiB + a small file in ${Date.now() - t0} ms`);
  expect(result[keys[0]]).toMatchObject({ state: 'done', uploaded: '100' });
  expect(result[keys[1]].state).toBe('done');
  const o = await d.cos.readObject(keys[0]);
  expect(sha256(o.data)).toBe(sha256(big));
  expect(o.headers['content-type']).toBe('video/mp4'); // sent by Uppy on Initiate, kept by COS
  expect(o.etag).toMatch(/-3"$/);
  const s = await d.cos.readObject(keys[1]);
  expect(s.data.equals(small)).toBe(true);
  expect(s.headers['content-type']).toBe('text/plain');

  const h = d.cos.state.history.filter((e) => e.method !== 'OPTIONS' && e.key === keys[0]);
  const what = h.map((e) =>
    e.method === 'POST' && 'uploads' in e.query
      ? 'Initiate'
      : e.method === 'PUT' && e.query.partNumber
        ? `Part ${e.query.partNumber}`
        : e.method === 'POST' && e.query.uploadId
          ? 'Complete'
          : `${e.method}`,
  );
  expect(what).toEqual(['Initiate', 'Part 1', 'Part 2', 'Part 3', 'Complete']);
  expect(h.map((e) => e.status)).toEqual([200, 200, 200, 200, 200]);
  const uploadId = h[0] && h[1].query.uploadId;
  expect(h.slice(1).every((e) => e.query.uploadId === uploadId)).toBe(true);
  // The small file: one presigned PutObject, its Content-Type signed.
  const puts = d.cos.state.history.filter((e) => e.method === 'PUT' && e.key === keys[1]);
  expect(puts.map((e) => [e.query.partNumber, e.query.uploadId, e.query['q-header-list'], e.status])).toEqual([
    [undefined, undefined, 'content-type;host', 200],
  ]);

  // What Uppy asked uppySignRequest for, and what it signed.
  const signed = await page.evaluate(() => window.uppyDemo.signed);
  // Initiate first, Complete last; Uppy asks for the parts' signatures at once, and they may come back in any
  // order: the parts are compared sorted.
  const mine = signed.filter((r) => r.key === keys[0]).map((r) => [r.method, r.partNumber ?? null, !!r.uploadId]);
  expect(mine[0]).toEqual(['POST', null, false]);
  expect(mine.at(-1)).toEqual(['POST', null, true]);
  expect(mine.slice(1, -1).sort((a, b) => a[1] - b[1])).toEqual([
    ['PUT', 1, true],
    ['PUT', 2, true],
    ['PUT', 3, true],
  ]);
  const put = signed.find((r) => r.key === keys[1]);
  expect(put).toMatchObject({ method: 'PUT', contentType: 'text/plain', headers: { 'Content-Type': 'text/plain' } });
  await page.screenshot({ path: artifact(browser.engine, 'uppy.png'), fullPage: true });
  expect(await page.errors()).toEqual([]);
  await page.close();
  return { ms: Date.now() - t0 };
};

/**
 * The bucket listing comes from listObjects, page by page: five objects with a page size of 2 take
 * three GET Bucket requests (the next ones with a marker), and every key is listed once.
 */
export const listingPages = async (browser) => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-e2e-list-'));
  try {
    return await withDemo({}, (d) => listingFlow(browser, d, dir));
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
};

const listingFlow = async (browser, d, dir) => {
  const page = await openPage(browser, d, '/?pageSize=2');
  await choosePath(page, 'put');
  const names = ['list-a.txt', 'list-b.txt', 'list-c.txt', 'list-d.txt', 'list-e.txt'];
  const files = names.map((name) => path.join(dir, name));
  for (const [i, f] of files.entries()) await fsp.writeFile(f, names[i]);
  await page.setInputFiles('#picker', files);
  const keys = names.map((n) => 'uploads/' + n);
  expect(Object.values(await settle(page, keys)).map((r) => r.state)).toEqual(keys.map(() => 'done'));
  // Let the listing the uploads scheduled run and finish first.
  await page.waitForFunction((n) => document.querySelectorAll('#objects tr[data-key]').length === n, keys.length);
  const bucketGets = () => d.cos.state.history.filter((h) => h.method === 'GET' && h.key === '');
  for (let n = -1; n !== bucketGets().length || bucketGets().some((h) => h.status === undefined); ) {
    n = bucketGets().length;
    await sleep(400);
  }
  const from = d.cos.state.history.length;
  await page.evaluate(() => delete document.getElementById('object-list').dataset.pages);
  await page.click('#refresh');
  await page.waitForFunction(
    (n) =>
      document.querySelectorAll('#objects tr[data-key]').length === n &&
      document.getElementById('object-list').dataset.pages === '3',
    keys.length,
  );
  const listed = await page.evaluate(() =>
    [...document.querySelectorAll('#objects tr[data-key]')].map((r) => r.dataset.key),
  );
  expect([...listed].sort()).toEqual(keys);
  const gets = d.cos.state.history.slice(from).filter((h) => h.method === 'GET' && h.key === '');
  expect(gets.map((h) => [h.query['max-keys'], h.query.marker ?? null, h.status])).toEqual([
    ['2', null, 200],
    ['2', 'uploads/list-b.txt', 200],
    ['2', 'uploads/list-d.txt', 200],
  ]);
  expect(gets.every((h) => h.query.prefix === 'uploads/')).toBe(true);
  expect(await page.errors()).toEqual([]);
  await page.close();
};
