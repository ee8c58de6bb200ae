/** The bridge to Uppy's S3 uploader (`@uppy/aws-s3` 6): its `signRequest` option, presigning for COS. */
import { object } from '../core/validate.js';
import type { CosSigner } from '../sign/signer.js';

/** What `@uppy/aws-s3` 6 asks its `signRequest` to presign. */
export interface UppyRequest {
  /**
   * `PUT` (PutObject, or UploadPart with `partNumber`), `POST` (Initiate, or Complete with `uploadId`), `GET`
   * (ListParts), `DELETE` (Abort with `uploadId`).
   */
  method: string;
  /** The object key. */
  key: string;
  /** The multipart upload's id, for every multipart request but Initiate. */
  uploadId?: string;
  /** With UploadPart: 1 to 10,000. */
  partNumber?: number;
  /** The file's type, on PutObject (and Initiate, when Uppy gives it): signed, and returned in `headers`. */
  contentType?: string;
  /** Seconds the URL should stay valid. */
  expiresIn?: number;
}

/** What `signRequest` returns to Uppy: the presigned URL and the headers that were signed and must be sent. */
export interface UppySigned {
  /** The presigned URL. */
  url: string;
  /** The headers that were signed: Uppy must send exactly these (`Content-Type`). */
  headers?: Record<string, string>;
}

/**
 * A `signRequest` for `@uppy/aws-s3` 6 that presigns each request Uppy makes — PutObject, Initiate,
 * UploadPart, ListParts, Complete, Abort — as the COS request it stands for. `Content-Type` is signed
 * on PutObject and Initiate when Uppy gives `contentType`, and returned in `headers`. The bucket's
 * CORS rule must expose `ETag`.
 *
 * @example
 * ```ts
 * uppy.use(AwsS3, {
 *   shouldUseMultipart: true,
 *   signRequest: uppySignRequest(signer, { bucket: 'examplebucket-1250000000' }),
 * });
 * ```
 */
export const uppySignRequest = (
  signer: CosSigner,
  options: { bucket: string; expires?: number },
): ((req: UppyRequest) => Promise<UppySigned>) => {
  const { bucket, expires } = object(options, 'uppySignRequest options');
  return async (req) => {
    const { method, key, uploadId, partNumber, contentType, expiresIn } = req || ({} as UppyRequest);
    const params: Record<string, string | number> = {};
    if (uploadId !== undefined) {
      params.uploadId = uploadId;
      if (partNumber !== undefined) params.partNumber = partNumber;
    } else if (/^post$/i.test(method)) params.uploads = '';
    const headers = contentType && uploadId === undefined ? { 'Content-Type': contentType } : undefined;
    const url = await signer.getPresignedUrl({ method, bucket, key, params, headers, expires: expiresIn ?? expires });
    return headers ? { url, headers } : { url };
  };
};
