/**
 * COS's multipart upload API, one function per request: Initiate, Upload Part, List Parts, Complete,
 * Abort and List Multipart Uploads. Standalone functions taking the signer first, so that a bundle
 * that only presigns does not carry them. {@link upload} puts them together.
 */
import { CosSignError, fail, must } from '../core/errors.js';
import { flag, int, object } from '../core/validate.js';
import { all, text } from '../core/xml.js';
import { pages, send, sendXml, type CosAnswer } from '../send/send.js';
import type { CosSigner } from '../sign/signer.js';
import { read, sizeOf, toBytes, type UploadBody } from './body.js';
import { toDecimal, update, type Crc } from './crc64.js';

/** What every multipart call takes besides its own options. */
export interface MultipartCallOptions {
  /** `BucketName-APPID`. */
  bucket: string;
  /** The object key. */
  key: string;
  /** Stops the request; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Extra attempts on network errors, 5xx and 429, with backoff and jitter. @defaultValue 3 */
  retries?: number;
}

/** What {@link createMultipartUpload} returns. */
export interface CreatedUpload {
  /** The new upload's id: every later call on it takes it. */
  uploadId: string;
}

/** A part's number and ETag: what {@link uploadPart} returns and {@link completeMultipartUpload} takes. */
export interface PartETag {
  /** 1 to 10,000. */
  partNumber: number;
  /** The part's ETag as COS answered it. */
  etag: string;
}

/** What {@link uploadPart} returns. */
export interface UploadPartResult extends PartETag {
  /** The CRC-64 of the part's bytes, as COS writes it (decimal); absent with `crc64: false`. */
  crc64?: string;
  /** True when COS's answer carried the part's CRC-64 and it matched. */
  verified: boolean;
}

/** A part as COS lists it. */
export interface UploadedPart {
  /** 1 to 10,000. */
  partNumber: number;
  /** The part's ETag as COS gives it (quoted). */
  etag: string;
  /** Bytes. */
  size: number;
}

/** A multipart upload in progress, as {@link listMultipartUploads} lists it. */
export interface MultipartUploadInfo {
  /** The object key it uploads to. */
  key: string;
  /** Its id, to resume with {@link upload} or end with {@link abortMultipartUpload}. */
  uploadId: string;
  /** When it was initiated. */
  initiated: Date;
}

/** What {@link completeMultipartUpload} returns: COS's answer. */
export interface CompletedUpload {
  /** The object's location as COS reports it. */
  location: string;
  /** The bucket, as COS reports it. */
  bucket: string;
  /** The object key, as COS reports it. */
  key: string;
  /** The object's ETag (`"…-N"` for N parts). */
  etag: string;
  /**
   * COS's `x-cos-hash-crc64ecma`: the CRC-64 of the whole object, when COS sent it (a browser reads it only when the
   * bucket's CORS rule exposes it).
   */
  crc64?: string;
}

/** Options of {@link createMultipartUpload}. */
export interface CreateMultipartUploadOptions extends MultipartCallOptions {
  /**
   * Signed and sent; they become the object's when the upload completes: Content-Type, Content-Disposition,
   * `x-cos-meta-*`, …
   */
  headers?: Record<string, string>;
}

/** Options of the calls on one multipart upload. */
export interface UploadIdOptions extends MultipartCallOptions {
  /** The id {@link createMultipartUpload} returned. */
  uploadId: string;
}

/** Options of {@link uploadPart}. */
export interface UploadPartOptions extends UploadIdOptions {
  /** 1 to 10,000. */
  partNumber: number;
  /** The part's bytes: at least 1 MiB but for the last part, at most 5 GiB. */
  body: UploadBody;
  /** Bytes of this part sent so far. */
  onProgress?: (progress: { loaded: number; total: number }) => void;
  /**
   * Headers COS requires on every part, signed and sent: SSE-C's `x-cos-server-side-encryption-customer-algorithm`,
   * `…-customer-key` and `…-customer-key-MD5`, and `x-cos-traffic-limit`.
   */
  headers?: Record<string, string>;
  /**
   * Check COS's `x-cos-hash-crc64ecma` against the CRC-64 of the bytes sent: a mismatch is retried like a 5xx, then
   * `ERR_CHECKSUM`. A Blob part is read into memory once to hash it, then sent as the Blob.
   * @defaultValue true
   */
  crc64?: boolean;
}

/** Options of {@link listParts}. */
export interface ListPartsOptions extends UploadIdOptions {
  /** Parts per request, 1 to 1000 (every page is read). @defaultValue 1000 */
  pageSize?: number;
}

/** Options of {@link completeMultipartUpload}. */
export interface CompleteMultipartUploadOptions extends UploadIdOptions {
  /** Every part, in any order: they are sent sorted by `partNumber`. */
  parts: PartETag[];
}

/** Options of {@link listMultipartUploads}. */
export interface ListMultipartUploadsOptions extends Omit<MultipartCallOptions, 'key'> {
  /** Only uploads whose key starts with this. */
  prefix?: string;
  /** Uploads per request, 1 to 1000 (every page is read). @defaultValue 1000 */
  pageSize?: number;
}

/** COS's CRC-64 header. @internal */
export const CRC = 'x-cos-hash-crc64ecma';

/**
 * Checks answers against the CRC-64 `crc` of the bytes sent (for {@link send}'s `check`): a different
 * `x-cos-hash-crc64ecma` is `ERR_CHECKSUM` naming `what` (and `partNumber`); `verified()` says whether the
 * last answer carried the header and it matched. @internal
 */
export const crcCheck = (crc: string | undefined, what: string, partNumber?: number) => {
  let seen: string | null = null;
  return {
    check: (a: CosAnswer) =>
      crc && (seen = a.header(CRC)) && seen != crc
        ? Object.assign(
            new CosSignError(
              'ERR_CHECKSUM',
              `${what}: COS stored bytes whose CRC-64 is ${seen}, but the bytes sent have ${crc}`,
            ),
            { partNumber },
          )
        : undefined,
    verified: () => !!crc && seen == crc,
  };
};

/** An upload id: a non-empty string without control characters. @internal */
export const checkUploadId = (v: unknown): string =>
  typeof v == 'string' && /^[^\0-\x1f\x7f]+$/.test(v)
    ? v
    : must('ERR_INVALID_OPTION', 'uploadId', 'a non-empty string', v);

const options = <T>(o: T): T => object(o, 'options');

/**
 * Initiate Multipart Upload. `headers` (Content-Type, Content-Disposition, Cache-Control,
 * `x-cos-meta-*`, …) are signed, sent, and become the object's when the upload completes.
 *
 * @example
 * ```ts
 * const headers = { 'Content-Type': 'video/mp4' };
 * const { uploadId } = await createMultipartUpload(signer, { bucket, key: 'video.mp4', headers });
 * ```
 */
export const createMultipartUpload = async (
  signer: CosSigner,
  o: CreateMultipartUploadOptions,
): Promise<CreatedUpload> => ({
  uploadId: text(
    (
      await sendXml(signer, { ...options(o), method: 'POST', params: { uploads: '' } }, 'InitiateMultipartUploadResult')
    )[0],
    'UploadId',
  )!,
});

/**
 * Upload Part: sends one part (1 to 10,000; every part but the last at least 1 MiB). `onProgress`
 * gets the part's bytes sent so far: from XHR upload events in browsers, at the end elsewhere.
 *
 * @example
 * ```ts
 * const { etag } = await uploadPart(signer, { bucket, key, uploadId, partNumber: 1, body: file.slice(0, 8 << 20) });
 * ```
 */
export const uploadPart = (signer: CosSigner, o: UploadPartOptions): Promise<UploadPartResult> => putPart(signer, o);

/** {@link uploadPart}, given the CRC-64 of the part when known already (hashed as it arrived). @internal */
export const putPart = async (signer: CosSigner, o: UploadPartOptions, known?: Crc): Promise<UploadPartResult> => {
  const { key, onProgress, crc64: verify = true } = options(o);
  const partNumber = int('partNumber', o.partNumber, 1, 1e4);
  const uploadId = checkUploadId(o.uploadId);
  flag('crc64', verify);
  const body = toBytes(o.body);
  const total = sizeOf(body);
  // A Blob is read to hash it, and sent as the Blob: Chromium sends a Blob about ten times faster than the same
  // bytes as a Uint8Array. A File changed on disk since it was picked fails to read rather than send others.
  const crc = verify ? toDecimal(known || update([0, 0], await read(body))) : undefined;
  const { check, verified } = crcCheck(crc, `part ${partNumber} of ${key}`, partNumber);
  const progress = onProgress && ((loaded: number) => onProgress({ loaded: Math.min(loaded, total), total }));
  const res = await send(signer, {
    ...o,
    method: 'PUT',
    params: { partNumber, uploadId },
    body,
    onProgress: progress,
    check,
  });
  progress?.(total);
  const etag =
    res.header('etag') ||
    fail(
      'ERR_COS_RESPONSE',
      `part ${partNumber} of ${key}: no ETag header in the answer (a bucket's CORS rule must expose ETag)`,
    );
  return { partNumber, etag, crc64: crc, verified: verified() };
};

/**
 * List Parts: the parts uploaded so far, every page, ascending.
 *
 * @example
 * ```ts
 * const parts = await listParts(signer, { bucket, key, uploadId });
 * ```
 */
export const listParts = async (signer: CosSigner, o: ListPartsOptions): Promise<UploadedPart[]> => {
  const params = {
    uploadId: checkUploadId(options(o).uploadId),
    'max-parts': int('pageSize', o.pageSize ?? 1000, 1, 1000),
  };
  const out: UploadedPart[] = [];
  for await (const el of pages(signer, { ...o, method: 'GET', params }, 'ListPartsResult', [
    ['part-number-marker', 'NextPartNumberMarker'],
  ]))
    for (const p of all(el, 'Part'))
      out.push({ partNumber: +text(p, 'PartNumber')!, etag: text(p, 'ETag')!, size: +text(p, 'Size')! });
  return out;
};

/**
 * Complete Multipart Upload: sends the parts sorted by part number; the object then exists. A 200
 * answer with an `<Error>` body (COS reports late failures so) rejects with `ERR_COS_RESPONSE`.
 *
 * @example
 * ```ts
 * await completeMultipartUpload(signer, { bucket, key, uploadId, parts: [{ partNumber: 1, etag }] });
 * ```
 */
export const completeMultipartUpload = (
  signer: CosSigner,
  o: CompleteMultipartUploadOptions,
): Promise<CompletedUpload> => complete(signer, o);

/** {@link completeMultipartUpload}, telling `onSend` of each attempt (upload() must know). @internal */
export const complete = async (
  signer: CosSigner,
  o: CompleteMultipartUploadOptions,
  onSend?: () => void,
): Promise<CompletedUpload> => {
  const { bucket, key, parts } = options(o);
  const uploadId = checkUploadId(o.uploadId);
  if (!Array.isArray(parts) || !parts.length)
    must('ERR_INVALID_OPTION', 'parts', 'a non-empty array of { partNumber, etag }', parts);
  const sorted = parts.map(
    (p) =>
      [
        int('partNumber', p?.partNumber, 1, 1e4),
        typeof p.etag == 'string' ? p.etag : must('ERR_INVALID_OPTION', 'etag', 'a string', p.etag),
      ] as const,
  );
  sorted.sort((a, b) => a[0] - b[0]);
  const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const part = ([n, etag]: readonly [number, string]) =>
    `<Part><PartNumber>${n}</PartNumber><ETag>${xml(etag)}</ETag></Part>`;
  const body = `<CompleteMultipartUpload>${sorted.map(part).join('')}</CompleteMultipartUpload>`;
  const [el, res] = await sendXml(
    signer,
    { ...o, method: 'POST', params: { uploadId }, body, onSend },
    'CompleteMultipartUploadResult',
  );
  return {
    location: text(el, 'Location') || '',
    bucket: text(el, 'Bucket') || bucket,
    key: text(el, 'Key') || key,
    etag: text(el, 'ETag')!,
    crc64: res.header(CRC) || undefined,
  };
};

/**
 * Abort Multipart Upload: COS drops the parts uploaded so far.
 *
 * @example
 * ```ts
 * await abortMultipartUpload(signer, { bucket, key, uploadId });
 * ```
 */
export const abortMultipartUpload = async (signer: CosSigner, o: UploadIdOptions): Promise<void> => {
  await send(signer, { ...options(o), method: 'DELETE', params: { uploadId: checkUploadId(o.uploadId) } });
};

/**
 * List Multipart Uploads: the uploads in progress in a bucket (under `prefix`), every page — for
 * finding an upload to resume, or old ones to abort.
 *
 * @example
 * ```ts
 * for (const u of await listMultipartUploads(signer, { bucket, prefix: 'videos/' }))
 *   console.log(u.key, u.uploadId, u.initiated);
 * ```
 */
export const listMultipartUploads = async (
  signer: CosSigner,
  o: ListMultipartUploadsOptions,
): Promise<MultipartUploadInfo[]> => {
  const { prefix } = options(o);
  const params: Record<string, string | number> = {
    uploads: '',
    'max-uploads': int('pageSize', o.pageSize ?? 1000, 1, 1000),
  };
  if (prefix !== undefined)
    params.prefix = typeof prefix == 'string' ? prefix : must('ERR_INVALID_OPTION', 'prefix', 'a string', prefix);
  const out: MultipartUploadInfo[] = [];
  const markers: [string, string][] = [
    ['key-marker', 'NextKeyMarker'],
    ['upload-id-marker', 'NextUploadIdMarker'],
  ];
  for await (const el of pages(
    signer,
    { ...o, key: '/', method: 'GET', params },
    'ListMultipartUploadsResult',
    markers,
  ))
    for (const u of all(el, 'Upload'))
      out.push({ key: text(u, 'Key')!, uploadId: text(u, 'UploadId')!, initiated: new Date(text(u, 'Initiated')!) });
  return out;
};
