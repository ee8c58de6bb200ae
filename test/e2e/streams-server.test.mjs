// Streams both ways against the local COS server, from Node, with the built package (dist/): upload()
// of a ReadableStream or an async iterable (no size, random chunk sizes, a short stream, a size that lies,
// a paused and resumed stream), and download() as a verified stream (ranged GETs in flight, If-Match on
// each, a body cut mid-way and resumed at the cut byte, a byte flipped in flight, a resumed tail, an
// object replaced mid-way, a missing key). Faults in answers the server cannot make (a body cut mid-way,
// a flipped byte on a GET) come from a fetch given to the signer, which wraps the real one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import { createCosServer } from '../../demo/server/cos-server.mjs';
import { CosSigner, CosSignError, crc64, download, upload } from '../../dist/cos-sign.mjs';

const MiB = 1 << 20;
let cos;
let url;
let signer;
let bucket;
const id = 'AKIDstream' + randomBytes(6).toString('hex');
const sk = randomBytes(20).toString('hex');
/** What the signer's fetch does to each request: `(url, init, fetch) => Promise<Response>`; the real fetch by default. */
let through;
/** GETs sent with a body not yet read to its end, and the most at once. */
let open = 0;
let most = 0;

/** The real fetch, counting GETs whose body is still being read. */
const counted = async (u, init) => {
  const res = await fetch(u, init);
  if (init?.method !== undefined && init.method !== 'GET') return res;
  if (!res.body || res.status >= 300) return res;
  open++;
  most = Math.max(most, open);
  const r = res.body.getReader();
  let closed = false;
  const close = () => closed || ((closed = true), open--);
  return new Response(
    new ReadableStream({
      async pull(c) {
        try {
          const { done, value } = await r.read();
          if (done) close(), c.close();
          else c.enqueue(value);
        } catch (e) {
          close();
          c.error(e);
        }
      },
      cancel: (why) => (close(), r.cancel(why)),
    }),
    res,
  );
};

beforeAll(async () => {
  cos = await createCosServer({ maxObjectBytes: 256 * MiB });
  url = await cos.listen(0);
  bucket = cos.bucket;
  cos.addKey(id, sk);
  signer = new CosSigner({
    domain: url.replace('http://', ''),
    scheme: 'http',
    credentials: { secretId: id, secretKey: sk },
    fetch: (u, init) => (through ? through(u, init, counted) : counted(u, init)),
  });
});
afterAll(async () => {
  await cos.close();
  await fsp.rm(cos.dataDir, { recursive: true, force: true });
});

const bytes = (n, seed = 1) => {
  const b = Buffer.alloc(n + 3);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return b.subarray(0, n);
};
/** A ReadableStream of `data` in chunks of random sizes (1 byte to `most`). */
const randomChunks = (data, most = 300_000) => {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= data.length) return c.close();
      const n = 1 + Math.floor(Math.random() * most);
      c.enqueue(new Uint8Array(data.subarray(at, at + n)));
      at += n;
    },
  });
};
const requests = (from, pred = () => true) => cos.state.history.slice(from).filter(pred);
const isComplete = (h) => h.method == 'POST' && 'uploadId' in h.query;
const rejection = (p) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => e,
  );
/** Reads a stream whole into a Buffer. */
const readAll = async (stream) => Buffer.from(await new Response(stream).arrayBuffer());

describe('upload() of a stream', () => {
  it('a 21 MiB ReadableStream in random chunk sizes, no size: three parts, stored byte-equal, verified', async () => {
    const data = bytes(21 * MiB + 5);
    const from = cos.state.history.length;
    const seen = [];
    const r = await upload(signer, {
      bucket,
      key: 's/21.bin',
      body: randomChunks(data),
      onProgress: (p) => seen.push(p),
    });
    const stored = await cos.readObject('s/21.bin');
    expect(stored.data.equals(data)).toBe(true);
    expect(r).toMatchObject({ etag: stored.etag, crc64: crc64(data), verified: true });
    const puts = requests(from, (h) => h.method == 'PUT').map((h) => +h.query.partNumber);
    expect(puts.sort()).toEqual([1, 2, 3]);
    expect(requests(from, isComplete)).toHaveLength(1);
    // No size: no total until the stream has ended, then the bytes read.
    expect(seen.filter((p) => p.loaded < data.length).every((p) => p.total === undefined)).toBe(true);
    expect(seen.at(-1)).toEqual({ loaded: data.length, total: data.length });
  });

  it('an async generator body (with size): parts of 1 MiB, stored byte-equal', async () => {
    const data = bytes(3 * MiB + 100, 2);
    async function* gen() {
      for (let at = 0; at < data.length; at += 100_000) yield data.subarray(at, at + 100_000);
    }
    const seen = [];
    const r = await upload(signer, {
      bucket,
      key: 's/gen.bin',
      body: gen(),
      size: data.length,
      partSize: MiB,
      onProgress: (p) => seen.push(p.total),
    });
    expect((await cos.readObject('s/gen.bin')).data.equals(data)).toBe(true);
    expect(r.verified).toBe(true);
    expect(new Set(seen)).toEqual(new Set([data.length]));
  });

  it('backpressure: reading waits while `concurrency` parts are in flight ((concurrency + 1) × partSize held)', async () => {
    const data = bytes(8 * MiB, 12);
    const chunk = 64 * 1024;
    let pulled = 0;
    let sent = 0;
    let peak = 0;
    const body = new ReadableStream({
      pull(c) {
        if (pulled >= data.length) return c.close();
        c.enqueue(new Uint8Array(data.subarray(pulled, pulled + chunk)));
        pulled += chunk;
        peak = Math.max(peak, pulled - sent);
      },
    });
    // Slow parts: the stream could be read whole long before they are stored.
    cos.inject({ when: (r) => r.method == 'PUT' && r.query.partNumber, delayMs: 60, times: 8 });
    await upload(signer, {
      bucket,
      key: 's/backpressure.bin',
      body,
      partSize: MiB,
      concurrency: 2,
      onProgress: ({ loaded }) => (sent = loaded),
    });
    expect((await cos.readObject('s/backpressure.bin')).data.equals(data)).toBe(true);
    // Two parts in flight, one read and waiting for a slot; a chunk held over, and the stream's own queued one.
    expect(peak).toBeLessThanOrEqual(3 * MiB + 2 * chunk);
    expect(peak).toBeGreaterThanOrEqual(2 * MiB);
  });

  it('a stream that ends within the first part goes as one PutObject', async () => {
    const data = bytes(300_000, 3);
    const from = cos.state.history.length;
    const r = await upload(signer, { bucket, key: 's/short.bin', body: randomChunks(data, 50_000) });
    expect(requests(from).map((h) => [h.method, h.query])).toEqual([['PUT', {}]]);
    expect((await cos.readObject('s/short.bin')).data.equals(data)).toBe(true);
    expect(r).toMatchObject({ crc64: crc64(data), verified: true });
    expect(r.uploadId).toBeUndefined();
  });

  it('a stream shorter or longer than its size is ERR_INVALID_BODY, and no Complete is sent', async () => {
    const data = bytes(2 * MiB + 10, 4);
    for (const [size, what] of [
      [data.length + 1, /ended after 2097162 bytes, not its size, 2097163/],
      [data.length - 1, /longer than its size, 2097161 bytes/],
      [MiB + 5, /longer than its size/],
      [100, /longer than its size, 100 bytes/],
      [3 * MiB, /ended after/],
    ]) {
      const from = cos.state.history.length;
      const key = `s/lie-${size}.bin`;
      const e = await rejection(upload(signer, { bucket, key, body: randomChunks(data), size, partSize: MiB }));
      expect(e).toBeInstanceOf(CosSignError);
      expect(e.code).toBe('ERR_INVALID_BODY');
      expect(e.message).toMatch(what);
      expect(requests(from, isComplete)).toEqual([]);
      expect(await cos.readObject(key)).toBeUndefined();
    }
  });

  it('paused after two parts and resumed with the uploadId: the stream is read again, only missing parts sent', async () => {
    const data = bytes(6 * MiB + 7, 5);
    const ctl = new AbortController();
    let uploadId;
    const first = upload(signer, {
      bucket,
      key: 's/resume.bin',
      body: randomChunks(data),
      partSize: MiB,
      concurrency: 1,
      signal: ctl.signal,
      onUploadId: (u) => (uploadId = u),
      onProgress: ({ loaded }) => loaded >= 2 * MiB && ctl.abort(new Error('paused')),
    });
    await expect(first).rejects.toThrow('paused');
    const kept = cos
      .listUploads()
      .find((u) => u.uploadId == uploadId)
      .parts.map((p) => p.partNumber);
    expect(kept).toEqual([1, 2]);
    const from = cos.state.history.length;
    const r = await upload(signer, { bucket, key: 's/resume.bin', body: randomChunks(data), partSize: MiB, uploadId });
    const sent = requests(from, (h) => h.method == 'PUT').map((h) => +h.query.partNumber);
    expect(sent.sort()).toEqual([3, 4, 5, 6, 7]);
    expect((await cos.readObject('s/resume.bin')).data.equals(data)).toBe(true);
    expect(r).toMatchObject({ uploadId, crc64: crc64(data), verified: true });
  });

  it('a resumed part whose bytes differ (its MD5 ETag is not the stream’s) is sent again', async () => {
    const data = bytes(3 * MiB, 6);
    const other = bytes(3 * MiB, 7);
    const ctl = new AbortController();
    let uploadId;
    await rejection(
      upload(signer, {
        bucket,
        key: 's/other.bin',
        body: randomChunks(other),
        partSize: MiB,
        concurrency: 1,
        signal: ctl.signal,
        onUploadId: (u) => (uploadId = u),
        onProgress: ({ loaded }) => loaded >= MiB && ctl.abort(new Error('paused')),
      }),
    );
    const from = cos.state.history.length;
    await upload(signer, { bucket, key: 's/other.bin', body: randomChunks(data), partSize: MiB, uploadId });
    const sent = requests(from, (h) => h.method == 'PUT').map((h) => +h.query.partNumber);
    expect(sent.sort()).toEqual([1, 2, 3]);
    expect((await cos.readObject('s/other.bin')).data.equals(data)).toBe(true);
  });
});

describe('refusals and cancellation', () => {
  it('a stream of strings (a Readable with an encoding) is ERR_INVALID_BODY, and the source is cancelled', async () => {
    let cancelled;
    const body = new ReadableStream({
      pull: (c) => c.enqueue('text'),
      cancel: (why) => (cancelled = why ?? true),
    });
    const from = cos.state.history.length;
    const e = await rejection(upload(signer, { bucket, key: 's/strings.bin', body }));
    expect([e.code, e.message]).toEqual([
      'ERR_INVALID_BODY',
      'a chunk of the body stream must be a Uint8Array, received "text"',
    ]);
    expect(cancelled).toBeTruthy();
    expect(requests(from)).toEqual([]);
  });

  it('download() options are checked before any request', async () => {
    const from = cos.state.history.length;
    for (const [bad, code] of [
      [{ offset: -1 }, 'ERR_INVALID_OPTION'],
      [{ partSize: 0 }, 'ERR_INVALID_OPTION'],
      [{ concurrency: 65 }, 'ERR_INVALID_OPTION'],
      [{ previousCrc64: 'x' }, 'ERR_INVALID_OPTION'],
      [{ crc64: 'yes' }, 'ERR_INVALID_OPTION'],
      [{ onProgress: 1 }, 'ERR_INVALID_OPTION'],
      [{ signal: {} }, 'ERR_INVALID_OPTION'],
    ]) {
      const e = await rejection(download(signer, { bucket, key: 'd/x.bin', ...bad }));
      expect(e.code, JSON.stringify(bad)).toBe(code);
    }
    expect(requests(from)).toEqual([]);
  });

  it('download() aborted mid-way: what was delivered stays readable, then the stream errors with the signal’s reason and no range starts after', async () => {
    const key = 'd/abort.bin';
    await upload(signer, { bucket, key, body: bytes(6 * MiB, 13) });
    const ctl = new AbortController();
    let delivered = 0;
    const d = await download(signer, {
      bucket,
      key,
      partSize: MiB,
      concurrency: 2,
      signal: ctl.signal,
      onProgress: (p) => (delivered = p.loaded),
    });
    const r = d.body.getReader();
    let read = (await r.read()).value.length;
    ctl.abort(new Error('stop'));
    const from = cos.state.history.length;
    const e = await rejection(
      (async () => {
        for (;;) read += (await r.read()).value.length;
      })(),
    );
    expect(e.message).toBe('stop');
    expect([delivered, read]).toEqual([MiB, MiB]);
    await new Promise((ok) => setTimeout(ok, 100));
    expect(requests(from, (h) => h.method == 'GET')).toEqual([]);
  });

  it('download() of an empty object: an empty stream, checked', async () => {
    await upload(signer, { bucket, key: 'd/empty.bin', body: '' });
    const d = await download(signer, { bucket, key: 'd/empty.bin' });
    expect([d.size, d.crc64]).toEqual([0, '0']);
    expect((await readAll(d.body)).length).toBe(0);
  });
});

describe('download()', () => {
  const data = bytes(21 * MiB + 123, 9);
  const key = 'd/21.bin';
  beforeAll(async () => {
    await upload(signer, { bucket, key, body: data });
  });

  it('byte-equal, pulled as read: at most `concurrency` GETs in flight, each ranged with If-Match', async () => {
    const from = cos.state.history.length;
    most = 0;
    const seen = [];
    const d = await download(signer, {
      bucket,
      key,
      partSize: 2 * MiB,
      concurrency: 3,
      onProgress: (p) => seen.push(p),
    });
    const stored = await cos.readObject(key);
    expect(d).toMatchObject({ size: data.length, etag: stored.etag, crc64: crc64(data) });
    // Nothing is fetched before the stream is read.
    expect(requests(from).map((h) => h.method)).toEqual(['HEAD']);
    expect((await readAll(d.body)).equals(data)).toBe(true);
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThan(1);
    const gets = requests(from, (h) => h.method == 'GET');
    expect(gets).toHaveLength(11);
    for (const g of gets) {
      expect(g.headers['if-match']).toBe(stored.etag);
      expect(g.headers.range).toMatch(/^bytes=\d+-\d+$/);
      expect(g.status).toBe(206);
    }
    expect(seen.at(-1)).toEqual({ loaded: data.length, total: data.length });
  });

  it('a range cut mid-body is asked again from the byte where it stopped', async () => {
    const cutAt = 300_001;
    let cuts = 0;
    through = async (u, init, f) => {
      const res = await f(u, init);
      if (init.headers.Range !== `bytes=${2 * MiB}-${4 * MiB - 1}` || cuts++) return res;
      // Pass `cutAt` bytes, then fail the body as a dropped connection does.
      const r = res.body.getReader();
      let n = 0;
      return new Response(
        new ReadableStream({
          async pull(c) {
            const { done, value } = await r.read();
            if (done) return c.close();
            if (n + value.length >= cutAt) {
              c.enqueue(value.subarray(0, cutAt - n));
              r.cancel();
              return c.error(new TypeError('terminated'));
            }
            n += value.length;
            c.enqueue(value);
          },
        }),
        res,
      );
    };
    try {
      const from = cos.state.history.length;
      const d = await download(signer, { bucket, key, partSize: 2 * MiB, concurrency: 2 });
      expect((await readAll(d.body)).equals(data)).toBe(true);
      const ranges = requests(from, (h) => h.method == 'GET').map((h) => h.headers.range);
      expect(cuts).toBe(1);
      expect(ranges).toContain(`bytes=${2 * MiB + cutAt}-${4 * MiB - 1}`);
      expect(ranges.filter((r) => r.startsWith(`bytes=${2 * MiB}-`))).toHaveLength(1);
    } finally {
      through = undefined;
    }
  });

  it('a byte flipped in flight errors the stream with ERR_CHECKSUM', async () => {
    let flipped = false;
    through = async (u, init, f) => {
      const res = await f(u, init);
      if (flipped || !init.headers.Range) return res;
      flipped = true;
      const b = new Uint8Array(await res.arrayBuffer());
      b[1000] ^= 0xff;
      return new Response(b, res);
    };
    try {
      const d = await download(signer, { bucket, key, partSize: 4 * MiB });
      const e = await rejection(readAll(d.body));
      expect(e).toBeInstanceOf(CosSignError);
      expect(e.code).toBe('ERR_CHECKSUM');
      expect(e.message).toContain(crc64(data));
      expect(flipped).toBe(true);
    } finally {
      through = undefined;
    }
  });

  it('offset + previousCrc64: the tail alone, still checked against the whole object’s CRC-64', async () => {
    const offset = 5 * MiB + 7;
    const previousCrc64 = crc64(data.subarray(0, offset));
    const seen = [];
    const d = await download(signer, {
      bucket,
      key,
      offset,
      previousCrc64,
      partSize: 4 * MiB,
      onProgress: (p) => seen.push(p),
    });
    expect((await readAll(d.body)).equals(data.subarray(offset))).toBe(true);
    expect(seen.at(-1)).toEqual({ loaded: data.length - offset, total: data.length - offset });
    // A wrong previousCrc64: the tail cannot be the object's.
    const wrong = await download(signer, { bucket, key, offset, previousCrc64: crc64('x'), partSize: 8 * MiB });
    const e = await rejection(readAll(wrong.body));
    expect(e.code).toBe('ERR_CHECKSUM');
  });

  it('the object replaced mid-download: ERR_COS_RESPONSE 412 on the stream, never a mix', async () => {
    const k = 'd/replaced.bin';
    await upload(signer, { bucket, key: k, body: bytes(4 * MiB, 10) });
    const d = await download(signer, { bucket, key: k, partSize: MiB, concurrency: 1 });
    const r = d.body.getReader();
    // The first range, as the chunks it arrived in.
    let first = 0;
    while (first < MiB) first += (await r.read()).value.length;
    expect(first).toBe(MiB);
    await upload(signer, { bucket, key: k, body: bytes(4 * MiB, 11) });
    let e;
    try {
      for (;;) if ((await r.read()).done) break;
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(CosSignError);
    expect([e.code, e.status, e.cos?.Code]).toEqual(['ERR_COS_RESPONSE', 412, 'PreconditionFailed']);
  });

  it('a missing key: download() rejects with 404 NoSuchKey before any body', async () => {
    const from = cos.state.history.length;
    const e = await rejection(download(signer, { bucket, key: 'd/none.bin' }));
    expect(e).toBeInstanceOf(CosSignError);
    expect([e.code, e.status, e.cos?.Code]).toEqual(['ERR_COS_RESPONSE', 404, 'NoSuchKey']);
    expect(e.message).not.toContain(sk);
    expect(requests(from).map((h) => [h.method, h.status])).toEqual([
      ['HEAD', 404],
      ['GET', 404],
    ]);
  });
});
