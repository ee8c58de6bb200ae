/**
 * `upload()`: a whole object into COS, one PUT for small bodies and a resumable multipart upload for
 * large ones, with parts in parallel, retries, progress and cancellation.
 */
import { CosSignError, fail } from '../core/errors.js';
import { abortSignal, callback, flag, int, object } from '../core/validate.js';
import { send } from '../send/send.js';
import type { Bytes } from '../send/send.js';
import type { CosSigner } from '../sign/signer.js';
import { chunks, isStream, range, read, sizeOf, toBytes, type StreamBody, type UploadBody } from './body.js';
import { combine, fromDecimal, toDecimal, update, type Crc } from './crc64.js';
import { md5 } from './md5.js';
import {
  CRC,
  checkUploadId,
  complete,
  crcCheck,
  createMultipartUpload,
  listParts,
  putPart,
  type UploadedPart,
} from './multipart.js';

const MiB = 1048576;
/** COS's limits: parts of 1 MiB to 5 GiB (the last may be smaller), at most 10,000 of them. */
const MIN_PART = MiB;
const MAX_PART = 5368709120; // 5 GiB, a literal: a product of names is not dropped by every bundler
const MAX_PARTS = 1e4;

/** Options of {@link upload}. */
export interface UploadOptions<B extends UploadBody | StreamBody = UploadBody | StreamBody> {
  /** `BucketName-APPID`. */
  bucket: string;
  /** The object key. */
  key: string;
  /**
   * The bytes: a `Blob` or `File` is sliced, never read whole; a string is sent as UTF-8; a `ReadableStream` or an
   * async iterable of `Uint8Array`s (a Node `Readable`) is read as it arrives, a part at a time, and sent part by part.
   */
  body: B;
  /**
   * A stream body's length in bytes, when known (a request's Content-Length): sets `onProgress`'s `total`, lets the
   * part size grow past 10,000 parts; a stream ending shorter or longer is `ERR_INVALID_BODY`, and nothing completes.
   */
  size?: number;
  /**
   * Signed and sent with PutObject or Initiate Multipart Upload: Content-Type, Content-Disposition, `x-cos-meta-*`, …
   */
  headers?: Record<string, string>;
  /**
   * Bytes per part, at least 1 MiB; raised (to whole MiB) when the body would need more than 10,000 parts.
   * @defaultValue 8 MiB
   */
  partSize?: number;
  /** Bodies larger than this go multipart. @defaultValue partSize */
  multipartThreshold?: number;
  /** Parts in flight at once. @defaultValue 4 */
  concurrency?: number;
  /** Extra attempts per request on network errors, 5xx and 429, with backoff and jitter. @defaultValue 3 */
  retries?: number;
  /**
   * Resume this multipart upload: parts already there with the right size are not sent again (the part size is then the
   * upload's own, from its largest part).
   */
  uploadId?: string;
  /** Stops the requests in flight; the promise rejects with the signal's reason; uploaded parts stay for a resume. */
  signal?: AbortSignal;
  /**
   * Bytes sent so far: never decreasing, ending at `total`. `total` is a number for a Blob, buffer or string (typed
   * so), and `undefined` until a stream without `size` ends.
   */
  onProgress?: (progress: { loaded: number; total: B extends StreamBody ? number | undefined : number }) => void;
  /** Called as soon as the multipart upload exists (also with a resumed id): keep it to resume later. */
  onUploadId?: (uploadId: string) => void;
  /**
   * Verify the bytes: COS's `x-cos-hash-crc64ecma` on every PutObject and UploadPart against the CRC-64 of the bytes
   * sent (a mismatch is retried, then `ERR_CHECKSUM` with `partNumber`), and on Complete against the parts' CRCs
   * combined. Each part is read into memory once (at most `concurrency` at a time) and hashed at about 1.5 GiB/s.
   * @defaultValue true
   */
  crc64?: boolean;
}

/** What {@link upload} returns. */
export interface UploadResult {
  /** The object key. */
  key: string;
  /** The object's ETag (`""` when a browser is not allowed to read it: the bucket's CORS rule must expose ETag). */
  etag: string;
  /** The object's URL (unsigned). */
  location: string;
  /** The multipart upload's id; absent when the body went in one PutObject. */
  uploadId?: string;
  /** The object's CRC-64 (decimal): COS's, or the one computed when COS sent none; absent with `crc64: false`. */
  crc64?: string;
  /**
   * True when every answer carried COS's CRC-64 and each one matched the bytes sent, so the object holds exactly the
   * body. False when an answer had no `x-cos-hash-crc64ecma` (in browsers, the bucket's CORS rule must expose it) or
   * with `crc64: false`: the upload succeeded, unchecked.
   */
  verified: boolean;
}

/**
 * The part size for `total` bytes: `partSize`, raised to whole MiB when more than 10,000 parts would
 * be needed, and how many parts that makes (at least one). Refuses a body no part size can carry.
 */
export const planParts = (total: number, partSize: number): { partSize: number; count: number } => {
  const size = Math.max(partSize, Math.ceil(total / MAX_PARTS / MiB) * MiB);
  if (size > MAX_PART)
    fail('ERR_INVALID_BODY', `a body of ${total} bytes needs more than 10,000 parts of 5 GiB, COS's limit`);
  return { partSize: size, count: Math.max(1, Math.ceil(total / size)) };
};

/** Headers COS wants on every UploadPart, not only on Initiate: SSE-C's customer key and the traffic limit. */
const PER_PART = /^x-cos-(server-side-encryption-customer-(algorithm|key|key-md5)|traffic-limit)$/i;

/** An ETag that is the plain MD5 of a part (not of an encrypted or multipart object): its 32 hex digits. */
const plainMd5 = (etag: string) => /^"?([\da-f]{32})"?$/i.exec(etag)?.[1]?.toLowerCase();

/** Hex digits as base64 (Content-MD5). */
const base64 = (hex: string) => btoa(String.fromCharCode(...hex.match(/../g)!.map((h) => parseInt(h, 16))));

/** Runs `job` on each of `items`, `n` at a time; the first failure rejects (the others finish their item). */
const pool = async <T>(items: T[], n: number, job: (item: T) => Promise<void>) => {
  let i = 0;
  const worker = async () => {
    while (i < items.length) await job(items[i++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
};

/** An ETag without its quotes, lowercase: COS's answers and its ListParts may differ in both. */
const bare = (etag: string) => etag.replace(/"/g, '').toLowerCase();

const invalid = (what: string): never => fail('ERR_INVALID_BODY', what + '; nothing was completed');

/**
 * Uploads a whole object: one PutObject up to `multipartThreshold`, a multipart upload above it (or
 * when resuming an `uploadId`). Parts go `concurrency` at a time, each retried on network errors, 5xx
 * and 429; the parts are completed in ascending order. Bad options reject with `ERR_INVALID_*` before
 * any request; COS's refusals with `ERR_COS_RESPONSE`; an abort with the signal's reason.
 *
 * @example
 * ```ts
 * const { etag } = await upload(signer, {
 *   bucket: 'examplebucket-1250000000', key: 'videos/big.mp4', body: file,
 *   onProgress: ({ loaded, total }) => console.log(`${Math.round((100 * loaded) / total)} %`),
 *   onUploadId: (id) => localStorage.setItem('upload:big.mp4', id),
 * });
 * ```
 */
export const upload = async <B extends UploadBody | StreamBody>(
  signer: CosSigner,
  options: UploadOptions<B>,
): Promise<UploadResult> => {
  const o = object(options as UploadOptions, 'upload options');
  const {
    bucket,
    key,
    headers,
    signal,
    onProgress,
    onUploadId,
    partSize: wanted = 8 * MiB,
    concurrency = 4,
    retries = 3,
    crc64: verify = true,
  } = o;
  int('partSize', wanted, MIN_PART, MAX_PART);
  const threshold = int('multipartThreshold', o.multipartThreshold ?? wanted, 0, Number.MAX_SAFE_INTEGER);
  int('concurrency', concurrency, 1, 64);
  int('retries', retries, 0, 20);
  flag('crc64', verify);
  const given = o.uploadId === undefined ? undefined : checkUploadId(o.uploadId);
  callback('onProgress', onProgress);
  callback('onUploadId', onUploadId);
  abortSignal(signal);
  // A stream is read a part at a time (`src`) and hashed as it arrives; its `total` is its `size` until it ends.
  const src = isStream(o.body) ? chunks(o.body) : undefined;
  const size = o.size === undefined ? undefined : int('size', o.size, 0, Number.MAX_SAFE_INTEGER);
  const body = src ? new Uint8Array() : toBytes(o.body);
  let total = src ? size : sizeOf(body);
  // Validates bucket, key and headers before anything is sent; the URL without a query is the location.
  const { url: location } = await signer.authorize({ method: 'PUT', bucket, key, headers });
  signal?.throwIfAborted();
  // What onProgress was last told, shared by a run and the resume it may start (progress never goes back).
  let reported = -1;
  let told = total;
  try {
    return await run(given);
  } finally {
    src?.stop();
  }

  /**
   * The upload, or the resume of `resume`. `sent`: the ETags COS gave for the parts of an attempt whose Complete was
   * refused with InvalidPart, and their CRCs; this resume keeps only the listed parts that still have those ETags.
   */
  async function run(resume: string | undefined, sent?: { etags: string[]; crcs: Crc[] }): Promise<UploadResult> {
    // Also told when a stream's total becomes known.
    const progress = (loaded: number) => {
      if (loaded > reported || total !== told) onProgress?.({ loaded: (reported = loaded), total: (told = total) });
    };
    // A stream's next part and its CRC-64 (`crc`); more bytes than `size`, or than 10,000 parts hold, are refused.
    let got = 0;
    let crc: Crc = [0, 0];
    // Part buffers whose part is done, filled again: a stream's parts make no garbage.
    const spare: Uint8Array[] = [];
    let finished = !src;
    const next = async (n: number, partSize: number) => {
      const bytes = await src!.next(partSize, spare.pop());
      if (bytes) crc = update([0, 0], bytes);
      got += bytes?.length ?? 0;
      if (got > (size ?? got)) invalid(`the body stream is longer than its size, ${size} bytes`);
      if (bytes && n > MAX_PARTS) invalid(`the body stream needs more than 10,000 parts of ${partSize} bytes`);
      return bytes;
    };
    const ended = () => {
      if (got != (size ?? got)) invalid(`the body stream ended after ${got} bytes, not its size, ${size}`);
      total = got;
      finished = true;
    };

    // A stream that ends within its first part goes as one PutObject, like a small Blob.
    let first: Uint8Array | undefined;
    if (src && resume === undefined) {
      first = (await next(1, planParts(size ?? 0, wanted).partSize)) || new Uint8Array();
      if (!(await src.more())) ended();
    }
    if (resume === undefined && finished && total! <= threshold) {
      progress(0);
      // A Blob is hashed from a read, then sent as the Blob (see putPart).
      const sent = first || body;
      const bytes = verify ? await read(sent) : undefined;
      const crc = bytes && toDecimal(update([0, 0], bytes));
      const { check, verified } = crcCheck(crc, key);
      // A PutObject replaces the object at once: with Content-MD5, COS refuses bytes changed on the way (BadDigest,
      // sent again) instead of storing them, so a corrupted body never becomes the object.
      const md5Header =
        bytes && !Object.keys(headers || {}).some((h) => /^content-md5$/i.test(h))
          ? { 'Content-MD5': base64(md5(bytes)) }
          : undefined;
      const res = await send(signer, {
        method: 'PUT',
        bucket,
        key,
        headers: { ...headers, ...md5Header },
        body: sent,
        signal,
        retries,
        onProgress: progress,
        check,
      }).catch((e) => {
        throw e instanceof CosSignError && e.cos?.Code == 'BadDigest'
          ? new CosSignError(
              'ERR_CHECKSUM',
              `${key}: COS received other bytes than those sent (BadDigest), ${retries + 1} times`,
            )
          : e;
      });
      progress(total!);
      return { key, etag: res.header('etag') || '', location, crc64: res.header(CRC) || crc, verified: verified() };
    }

    const call = { bucket, key, signal, retries };
    const perPart: Record<string, string> = {};
    for (const h in headers) if (PER_PART.test(h)) perPart[h] = headers[h]!;

    // The whole body's CRC-64 when the parts' are not all known (a Blob with crc64: false, or a stream not read yet):
    // one pass, 8 MiB at a time.
    const hashBody = async () => {
      let crc: Crc = [0, 0];
      if (src) for (let b: Uint8Array | undefined; (b = await next(1, 8 * MiB)); ) crc = update(crc, b);
      else for (let at = 0; at < total!; at += 8 * MiB) crc = update(crc, await read(range(body, at, at + 8 * MiB)));
      if (src) ended();
      return crc;
    };
    // COS said NoSuchUpload where the upload may have completed (an earlier Complete whose answer was lost):
    // success when the object holds exactly this body, by size and CRC-64; otherwise `e` stands.
    const confirm = async (e: unknown, uploadId: string, crc: () => Promise<Crc>): Promise<UploadResult> => {
      if (!(e instanceof CosSignError && e.cos?.Code == 'NoSuchUpload')) throw e;
      const head = await send(signer, { ...call, method: 'HEAD' }).catch(() => {
        throw e;
      });
      const got = head.header(CRC);
      const want = toDecimal(await crc());
      if (head.header('content-length') != String(total) || got != want) throw e;
      progress(total!);
      return { key, etag: head.header('etag') || '', location, uploadId, crc64: got!, verified: true };
    };

    let listed: UploadedPart[] = [];
    if (resume !== undefined)
      try {
        listed = await listParts(signer, { ...call, uploadId: resume });
      } catch (e) {
        return confirm(e, resume, hashBody);
      }
    // A resumed upload keeps the part size it was started with: its largest part, when that is a whole one.
    const largest = Math.max(0, ...listed.map((p) => p.size));
    const { partSize, count } = planParts(total ?? 0, largest >= MIN_PART && largest <= MAX_PART ? largest : wanted);
    const length = (n: number) => Math.min(total!, n * partSize) - (n - 1) * partSize;
    const part = (n: number) => range(body, (n - 1) * partSize, (n - 1) * partSize + length(n));
    const etags: string[] = [];
    const crcs: Crc[] = [];
    const lengths: number[] = [];
    let verified = verify;
    let done = 0;

    // Parts COS has are kept when their bytes are the body's: a plain-MD5 ETag must be the MD5 of the body's range (a
    // part of another file is sent again); the CRC of each kept part is needed at Complete. A Blob's are checked
    // first (progress then starts at what is there), a stream's as they are read.
    const seen = new Set<number>();
    const have = listed.filter(
      (p) =>
        p.partNumber <= (src ? MAX_PARTS : count) &&
        (src || p.size == length(p.partNumber)) &&
        !seen.has(p.partNumber) &&
        seen.add(p.partNumber),
    );
    // `bytes`: the part's, read (a Blob's only when there is an MD5 to compare or a CRC to compute).
    const ours = (n: number, etag: string) => !!sent && bare(etag) == bare(sent.etags[n - 1] || '');
    const keep = ({ partNumber: n, etag, size }: UploadedPart, bytes?: Uint8Array, c?: Crc) => {
      if (sent && !ours(n, etag)) return false;
      const want = plainMd5(etag);
      if (bytes && (size != bytes.length || (want && want != md5(bytes)))) return false;
      if (c || (bytes && verify)) crcs[n - 1] = c || update([0, 0], bytes!);
      etags[n - 1] = etag;
      lengths[n - 1] = size;
      return !!(done += size);
    };
    if (!src)
      await pool(have, concurrency, async (p) => {
        // A part of the attempt this resume repairs that still has its ETag is the one sent: not read again.
        ours(p.partNumber, p.etag)
          ? keep(p, undefined, sent!.crcs[p.partNumber - 1])
          : keep(p, plainMd5(p.etag) || verify ? await read(part(p.partNumber)) : undefined);
      });
    signal?.throwIfAborted();
    const uploadId = resume ?? (await createMultipartUpload(signer, { ...call, headers })).uploadId;
    if (!sent) onUploadId?.(uploadId);
    progress(done);

    // Parts in flight share one controller: the first failure stops the others.
    const stop = new AbortController();
    const relay = () => stop.abort(signal!.reason);
    signal?.addEventListener('abort', relay, { once: true });
    const sending = new Map<number, number>();
    const report = () => {
      let n = done;
      for (const v of sending.values()) n += v;
      progress(n);
    };
    const flying = new Set<Promise<void>>();
    const launch = (n: number, bytes: Bytes, c?: Crc) => {
      sending.set(n, 0);
      const p = putPart(
        signer,
        {
          ...call,
          signal: stop.signal,
          uploadId,
          partNumber: n,
          body: bytes,
          headers: perPart,
          crc64: verify,
          onProgress: ({ loaded }) => (sending.set(n, loaded), report()),
        },
        c,
      )
        .then(
          (r) => {
            sending.delete(n);
            if (src) spare.push(bytes as Uint8Array);
            etags[n - 1] = r.etag;
            if (r.crc64) crcs[n - 1] = fromDecimal(r.crc64);
            verified &&= r.verified;
            done += lengths[n - 1]!;
            report();
          },
          (e) => stop.abort(e),
        )
        .finally(() => flying.delete(p));
      flying.add(p);
    };
    try {
      for (let n = 1; ; n++) {
        let bytes: Bytes | undefined;
        if (src) {
          bytes = n == 1 && first ? first : await next(n, partSize);
          if (!bytes) break;
          crcs[n - 1] = crc;
          lengths[n - 1] = bytes.length;
          const p = have.find((p) => p.partNumber == n);
          if (p && keep(p, bytes, crc)) {
            spare.push(bytes);
            report();
            continue;
          }
        } else {
          if (n > count) break;
          if (etags[n - 1]) continue;
          lengths[n - 1] = length(n);
          bytes = part(n);
          // Hashed while the parts in flight are sent, not once a slot is free: the network never waits for a hash.
          if (verify) crcs[n - 1] = update([0, 0], await read(bytes));
        }
        // Backpressure: the next part waits, read, for a free slot (at most concurrency + 1 parts in memory).
        while (flying.size >= concurrency && !stop.signal.aborted) await Promise.race(flying);
        if (stop.signal.aborted) break;
        launch(n, bytes, src ? crc : crcs[n - 1]);
      }
      await Promise.all(flying);
      if (stop.signal.aborted) throw stop.signal.reason;
      if (src) ended();
    } catch (e) {
      stop.abort(e);
      throw signal?.aborted ? signal.reason : e;
    } finally {
      signal?.removeEventListener('abort', relay);
    }

    // The whole object's CRC from the parts', in order: crc(A‖B) from crc(A), crc(B) and |B|.
    const whole = async () => (verify || src ? crcs.reduce((a, c, i) => combine(a, c, lengths[i]!)) : hashBody());
    let sends = 0;
    const parts = etags.map((etag, i) => ({ partNumber: i + 1, etag }));
    // InvalidPart: a part COS holds is not the one sent, as when an UploadPart aborted after its body had gone out
    // (an earlier attempt that failed) is stored after the part sent since. A Blob's upload then resumes once, keeping
    // only the parts that still have the ETags COS gave, and sends the others again. A stream is read already: the
    // error stands, and a resume with the uploadId repairs it the same way.
    const completed = await complete(signer, { ...call, uploadId, parts }, () => sends++).catch((e) =>
      !src && !sent && e instanceof CosSignError && e.cos?.Code == 'InvalidPart'
        ? run(uploadId, { etags, crcs })
        : sends > 1
          ? confirm(e, uploadId, whole)
          : Promise.reject(e),
    );
    if ('verified' in completed) return completed;
    const computed = verify ? toDecimal(await whole()) : undefined;
    if (computed && completed.crc64 && completed.crc64 != computed)
      fail(
        'ERR_CHECKSUM',
        `${key}: the object now holds other bytes than the body: COS's CRC-64 of it is ${completed.crc64}, ` +
          `the body's is ${computed}`,
      );
    progress(total!);
    return {
      key,
      etag: completed.etag,
      location,
      uploadId,
      crc64: completed.crc64 || computed,
      verified: verified && !!completed.crc64,
    };
  }
};
