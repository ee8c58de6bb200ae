/**
 * `download()`: an object as a stream of its bytes, fetched as ranged GETs in parallel but pulled as the
 * stream is read, each range resumed where it broke off, the whole checked against COS's CRC-64.
 */
import { CosSignError, fail, must } from '../core/errors.js';
import { abortSignal, callback, flag, int, object } from '../core/validate.js';
import { send } from '../send/send.js';
import type { CosSigner } from '../sign/signer.js';
import { combine, fromDecimal, toDecimal, update, type Crc } from './crc64.js';
import { CRC } from './multipart.js';

/** Options of {@link download}. */
export interface DownloadOptions {
  /** `BucketName-APPID`. */
  bucket: string;
  /** The object key. */
  key: string;
  /** Start at this byte (to resume a download: the bytes already kept). @defaultValue 0 */
  offset?: number;
  /**
   * The CRC-64 (decimal) of bytes `[0, offset)`, as `crc64()` of the bytes kept gives it: the whole object is then
   * still verified. Without it a download from `offset` > 0 is not checked.
   */
  previousCrc64?: string;
  /** Bytes per ranged GET. @defaultValue 8 MiB */
  partSize?: number;
  /** Ranged GETs in flight at once; as many ranges at most wait, fetched, for the reader. @defaultValue 4 */
  concurrency?: number;
  /**
   * Extra attempts per range on network errors (a body cut short resumes at the byte where it broke off), 5xx and 429.
   * @defaultValue 3
   */
  retries?: number;
  /** Signed and sent with every request: SSE-C's `x-cos-server-side-encryption-customer-*`, `x-cos-traffic-limit`. */
  headers?: Record<string, string>;
  /** Stops the requests in flight; the stream errors with the signal's reason. */
  signal?: AbortSignal;
  /** Bytes delivered to `body` so far, of `total` = size − offset. */
  onProgress?: (progress: { loaded: number; total: number }) => void;
  /**
   * Check the bytes, at the end, against COS's `x-cos-hash-crc64ecma`: a mismatch errors the stream with
   * `ERR_CHECKSUM` instead of closing it. About 1.5 GiB/s.
   * @defaultValue true
   */
  crc64?: boolean;
}

/** What {@link download} returns: the bytes as a stream, and what COS says of the object. */
export interface DownloadResult {
  /** The object's bytes from `offset`, in order; fetched as it is read. */
  body: ReadableStream<Uint8Array>;
  /** The whole object's size in bytes. */
  size: number;
  /** The object's ETag: every ranged GET carries it as `If-Match`. */
  etag: string;
  /** COS's CRC-64 of the whole object (decimal); `undefined` when COS sent none (or CORS hides it). */
  crc64?: string;
  /** The object's Content-Type. */
  contentType: string;
}

const MiB = 1048576;

/**
 * Downloads an object as a `ReadableStream`: a HEAD first (size, ETag, CRC-64; a missing object rejects here with
 * `ERR_COS_RESPONSE` 404 `NoSuchKey`, before any body), then ranged GETs of `partSize`, `concurrency` at a time,
 * started as the stream is read, each with `If-Match`: an object replaced mid-way errors the stream with
 * `ERR_COS_RESPONSE` 412, never mixing two objects. A range cut short is asked again from the byte it stopped at. At
 * the end the bytes' CRC-64 (from `previousCrc64` when `offset` > 0) must be COS's, else the stream errors with
 * `ERR_CHECKSUM`.
 *
 * @example
 * ```ts
 * const { body, size } = await download(signer, {
 *   bucket: 'examplebucket-1250000000', key: 'videos/big.mp4',
 *   onProgress: ({ loaded, total }) => console.log(`${Math.round((100 * loaded) / total)} %`),
 * });
 * const blob = await new Response(body).blob();
 * ```
 */
export const download = async (signer: CosSigner, options: DownloadOptions): Promise<DownloadResult> => {
  const o = object(options, 'download options');
  const {
    bucket,
    key,
    headers,
    signal,
    onProgress,
    offset = 0,
    previousCrc64: previous,
    partSize = 8 * MiB,
    concurrency = 4,
    retries = 3,
    crc64: verify = true,
  } = o;
  int('offset', offset, 0, Number.MAX_SAFE_INTEGER);
  int('partSize', partSize, 1, 2 ** 31);
  int('concurrency', concurrency, 1, 64);
  int('retries', retries, 0, 20);
  flag('crc64', verify);
  let crc: Crc = previous === undefined ? [0, 0] : fromDecimal(previous, 'previousCrc64');
  callback('onProgress', onProgress);
  abortSignal(signal);
  const call = { method: 'GET', bucket, key, headers, signal, retries };
  const head = await send(signer, { ...call, method: 'HEAD' }).catch(async (e) => {
    // A HEAD answer has no body: COS's error code (NoSuchKey, AccessDenied, …) comes from a GET of one byte.
    if (e instanceof CosSignError && e.status && !e.cos)
      await send(signer, { ...call, headers: { ...headers, Range: 'bytes=0-0' }, retries: 0 }).catch((x) => {
        if (x?.status == e.status) e = x;
      });
    throw e;
  });
  const size = +(head.header('content-length') ?? NaN);
  if (!(size >= 0)) fail('ERR_COS_RESPONSE', `HEAD ${key}: no Content-Length in COS's answer`);
  if (offset > size) must('ERR_INVALID_OPTION', 'offset', `at most the object's size, ${size}`, offset);
  const etag = head.header('etag') || '';
  const want = head.header(CRC) || undefined;
  const total = size - offset;

  // Every GET in flight stops with this: on the caller's signal, a cancelled stream, or the first failure. Chunks
  // already delivered (counted by onProgress) stay readable; the read after them errors.
  const stop = new AbortController();
  const relay = () => stop.abort(signal!.reason);
  signal?.addEventListener('abort', relay, { once: true });
  const end = (e?: unknown) => {
    signal?.removeEventListener('abort', relay);
    if (e !== undefined) stop.abort(e);
  };

  /**
   * Bytes `[start, end)` as the chunks that arrived (kept, not copied), and their CRC-64, computed chunk by chunk; a
   * failure is retried from the first byte not yet read.
   */
  const get = async (start: number, end: number): Promise<[Uint8Array[], Crc, number]> => {
    const length = end - start;
    const chunks: Uint8Array[] = [];
    let at = 0;
    let c: Crc = [0, 0];
    await send(signer, {
      ...call,
      signal: stop.signal,
      get headers() {
        const h: Record<string, string> = { ...headers, Range: `bytes=${start + at}-${end - 1}` };
        if (etag) h['If-Match'] = etag;
        return h;
      },
      read: async (res) => {
        // A 200 is the whole object (a Range ignored): the bytes before the range are skipped.
        let skip = res.status == 200 ? start + at : 0;
        const r = res.body!.getReader();
        while (at < length) {
          const { done, value } = await r.read();
          if (done) throw new TypeError(`the answer ended after ${at} of ${length} bytes`);
          const v = value.subarray(Math.min(skip, value.length), skip + length - at);
          skip -= Math.min(skip, value.length);
          if (!v.length) continue;
          chunks.push(v);
          at += v.length;
          if (verify) c = update(c, v);
        }
        r.cancel().catch(() => {});
      },
    });
    return [chunks, c, length];
  };

  // Ranges in order, at most `concurrency` fetched ahead of the reader.
  let next = offset;
  let loaded = 0;
  const ranges: Promise<[Uint8Array[], Crc, number]>[] = [];
  const fill = () => {
    for (; ranges.length < concurrency && next < size; next = Math.min(size, next + partSize)) {
      const p = get(next, Math.min(size, next + partSize));
      p.catch(() => {});
      ranges.push(p);
    }
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        try {
          stop.signal.throwIfAborted();
          fill();
          const p = ranges.shift();
          if (p) {
            const [chunks, rc, length] = await p;
            fill();
            if (verify) crc = combine(crc, rc, length);
            for (const x of chunks) c.enqueue(x);
            loaded += length;
            onProgress?.({ loaded, total });
            return;
          }
          const got = toDecimal(crc);
          if (verify && want && (offset == 0 || previous !== undefined) && got != want)
            fail(
              'ERR_CHECKSUM',
              `${key}: the bytes read have CRC-64 ${got}` +
                (offset ? ` (from ${previous} for the first ${offset} bytes)` : '') +
                `, COS's of the object is ${want}`,
            );
          end();
          c.close();
        } catch (e) {
          end(e);
          c.error(signal?.aborted ? signal.reason : e);
        }
      },
      cancel: (reason) => end(reason ?? new Error('cancelled')),
    },
    { highWaterMark: 0 },
  );
  return { body, size, etag, crc64: want, contentType: head.header('content-type') || '' };
};
