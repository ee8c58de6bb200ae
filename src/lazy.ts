/**
 * The large-upload and listing functions of cos-sign. Each loads its implementation (and the code that
 * talks to COS) on first call, so that a bundle that only presigns carries none of it, and one that
 * uploads loads it when the first upload starts.
 */
import type { CosSigner } from './signer.js';
import type { UploadOptions, UploadResult } from './upload.js';
import type {
  CompletedUpload,
  CompleteMultipartUploadOptions,
  CreateMultipartUploadOptions,
  CreatedUpload,
  PartETag,
  ListMultipartUploadsOptions,
  ListPartsOptions,
  MultipartUploadInfo,
  UploadedPart,
  UploadIdOptions,
  UploadPartOptions,
} from './multipart.js';
import type { ListObjectsOptions, ObjectsPage } from './list.js';

type Transfer = typeof import('./transfer.js');
/** A function that loads transfer.js on its first call and then calls its same-named function. */
const lazy =
  <K extends Exclude<keyof Transfer, 'listObjects'>>(name: K) =>
  async (signer: CosSigner, options: Parameters<Transfer[K]>[1]): Promise<Awaited<ReturnType<Transfer[K]>>> =>
    (await import('./transfer.js'))[name](signer, options as never) as never;

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
export const upload: (signer: CosSigner, options: UploadOptions) => Promise<UploadResult> = lazy('upload');

/**
 * Initiate Multipart Upload. `headers` (Content-Type, Content-Disposition, Cache-Control,
 * `x-cos-meta-*`, …) are signed, sent, and become the object's when the upload completes.
 *
 * @example
 * ```ts
 * const { uploadId } = await createMultipartUpload(signer, { bucket, key: 'video.mp4', headers: { 'Content-Type': 'video/mp4' } });
 * ```
 */
export const createMultipartUpload: (signer: CosSigner, options: CreateMultipartUploadOptions) => Promise<CreatedUpload> = lazy('createMultipartUpload');

/**
 * Upload Part: sends one part (1 to 10,000; every part but the last at least 1 MiB). `onProgress`
 * gets the part's bytes sent so far: from XHR upload events in browsers, at the end elsewhere.
 *
 * @example
 * ```ts
 * const { etag } = await uploadPart(signer, { bucket, key, uploadId, partNumber: 1, body: file.slice(0, 8 << 20) });
 * ```
 */
export const uploadPart: (signer: CosSigner, options: UploadPartOptions) => Promise<PartETag> = lazy('uploadPart');

/**
 * List Parts: the parts uploaded so far, every page, ascending.
 *
 * @example
 * ```ts
 * const parts = await listParts(signer, { bucket, key, uploadId });
 * ```
 */
export const listParts: (signer: CosSigner, options: ListPartsOptions) => Promise<UploadedPart[]> = lazy('listParts');

/**
 * Complete Multipart Upload: sends the parts sorted by part number; the object then exists. A 200
 * answer with an `<Error>` body (COS reports late failures so) rejects with `ERR_COS_RESPONSE`.
 *
 * @example
 * ```ts
 * await completeMultipartUpload(signer, { bucket, key, uploadId, parts: [{ partNumber: 1, etag }] });
 * ```
 */
export const completeMultipartUpload: (signer: CosSigner, options: CompleteMultipartUploadOptions) => Promise<CompletedUpload> = lazy('completeMultipartUpload');

/**
 * Abort Multipart Upload: COS drops the parts uploaded so far.
 *
 * @example
 * ```ts
 * await abortMultipartUpload(signer, { bucket, key, uploadId });
 * ```
 */
export const abortMultipartUpload: (signer: CosSigner, options: UploadIdOptions) => Promise<void> = lazy('abortMultipartUpload');

/**
 * List Multipart Uploads: the uploads in progress in a bucket (under `prefix`), every page — for
 * finding an upload to resume, or old ones to abort.
 *
 * @example
 * ```ts
 * for (const u of await listMultipartUploads(signer, { bucket, prefix: 'videos/' })) console.log(u.key, u.uploadId, u.initiated);
 * ```
 */
export const listMultipartUploads: (signer: CosSigner, options: ListMultipartUploadsOptions) => Promise<MultipartUploadInfo[]> = lazy('listMultipartUploads');

/**
 * Lists a bucket's objects (under `prefix`, grouped by `delimiter`), one page per iteration: each page
 * is fetched when the loop asks for it, and every page is visited.
 *
 * @example
 * ```ts
 * for await (const page of listObjects(signer, { bucket, prefix: 'photos/', delimiter: '/' }))
 *   for (const o of page.objects) console.log(o.key, o.size, o.lastModified);
 * ```
 */
export async function* listObjects(signer: CosSigner, options: ListObjectsOptions): AsyncGenerator<ObjectsPage, void, undefined> {
  yield* (await import('./transfer.js')).listObjects(signer, options);
}
