/**
 * `upload()`: a whole object into COS, one PUT for small bodies and a resumable multipart upload for
 * large ones, with parts in parallel, retries, progress and cancellation.
 */
import { fail, must } from '../core/errors.js';
import { int, object } from '../core/validate.js';
import { send } from '../send/send.js';
import type { CosSigner } from '../sign/signer.js';
import {
  checkUploadId,
  completeMultipartUpload,
  createMultipartUpload,
  listParts,
  sizeOf,
  toBytes,
  uploadPart,
  type UploadBody,
} from './multipart.js';

const MiB = 1048576;
/** COS's limits: parts of 1 MiB to 5 GiB (the last may be smaller), at most 10,000 of them. */
const MIN_PART = MiB;
const MAX_PART = 5368709120; // 5 GiB, a literal: a product of names is not dropped by every bundler
const MAX_PARTS = 1e4;

/** Options of {@link upload}. */
export interface UploadOptions {
  /** `BucketName-APPID`. */
  bucket: string;
  /** The object key. */
  key: string;
  /** The bytes: a `Blob` or `File` is sliced, never read whole; a string is sent as UTF-8. */
  body: UploadBody;
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
  /** Bytes sent so far: never decreasing, ending at `total`. */
  onProgress?: (progress: { loaded: number; total: number }) => void;
  /** Called as soon as the multipart upload exists (also with a resumed id): keep it to resume later. */
  onUploadId?: (uploadId: string) => void;
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

const fn = (name: string, v: unknown) =>
  v === undefined || typeof v == 'function' || must('ERR_INVALID_OPTION', name, 'a function', v);

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
export const upload = async (signer: CosSigner, options: UploadOptions): Promise<UploadResult> => {
  const o = object(options, 'upload options');
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
  } = o;
  int('partSize', wanted, MIN_PART, MAX_PART);
  const threshold = int('multipartThreshold', o.multipartThreshold ?? wanted, 0, Number.MAX_SAFE_INTEGER);
  int('concurrency', concurrency, 1, 64);
  int('retries', retries, 0, 20);
  const resume = o.uploadId === undefined ? undefined : checkUploadId(o.uploadId);
  fn('onProgress', onProgress);
  fn('onUploadId', onUploadId);
  if (signal !== undefined && typeof signal?.addEventListener != 'function')
    must('ERR_INVALID_OPTION', 'signal', 'an AbortSignal', signal);
  const body = toBytes(o.body);
  const total = sizeOf(body);
  // Validates bucket, key and headers before anything is sent; the URL without a query is the location.
  const { url: location } = await signer.authorize({ method: 'PUT', bucket, key, headers });
  signal?.throwIfAborted();

  let reported = -1;
  const progress = (loaded: number) => {
    if (loaded > reported) onProgress?.({ loaded: (reported = loaded), total });
  };

  if (resume === undefined && total <= threshold) {
    progress(0);
    const res = await send(signer, {
      method: 'PUT',
      bucket,
      key,
      headers,
      body,
      signal,
      retries,
      onProgress: progress,
    });
    progress(total);
    return { key, etag: res.header('etag') || '', location };
  }

  const call = { bucket, key, signal, retries };
  // A resumed upload keeps the part size it was started with: its largest part, when that is a whole one.
  const listed = resume === undefined ? [] : await listParts(signer, { ...call, uploadId: resume });
  const largest = Math.max(0, ...listed.map((p) => p.size));
  const { partSize, count } = planParts(total, largest >= MIN_PART && largest <= MAX_PART ? largest : wanted);
  const length = (n: number) => Math.min(total, n * partSize) - (n - 1) * partSize;
  const etags: string[] = [];
  let done = 0;
  for (const p of listed)
    if (p.partNumber <= count && p.size == length(p.partNumber) && !etags[p.partNumber - 1])
      (etags[p.partNumber - 1] = p.etag), (done += p.size);
  const uploadId = resume ?? (await createMultipartUpload(signer, { ...call, headers })).uploadId;
  onUploadId?.(uploadId);
  progress(done);

  // Parts in flight share one controller: the first failure stops the others.
  const stop = new AbortController();
  const relay = () => stop.abort(signal!.reason);
  signal?.addEventListener('abort', relay, { once: true });
  const sending = new Map<number, number>();
  const update = () => {
    let n = done;
    for (const v of sending.values()) n += v;
    progress(n);
  };
  let next = 1;
  const worker = async () => {
    for (;;) {
      while (next <= count && etags[next - 1]) next++;
      if (next > count) return;
      const n = next++;
      const start = (n - 1) * partSize;
      const part =
        body instanceof Uint8Array ? body.subarray(start, start + length(n)) : body.slice(start, start + length(n));
      sending.set(n, 0);
      const r = await uploadPart(signer, {
        ...call,
        signal: stop.signal,
        uploadId,
        partNumber: n,
        body: part,
        onProgress: ({ loaded }) => (sending.set(n, loaded), update()),
      });
      sending.delete(n);
      etags[n - 1] = r.etag;
      done += length(n);
      update();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } catch (e) {
    stop.abort(e);
    throw signal?.aborted ? signal.reason : e;
  } finally {
    signal?.removeEventListener('abort', relay);
  }
  const completed = await completeMultipartUpload(signer, {
    ...call,
    uploadId,
    parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })),
  });
  progress(total);
  return { key, etag: completed.etag, location, uploadId };
};
