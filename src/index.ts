/**
 * Sign Tencent Cloud COS requests and presign URLs over WebCrypto.
 *
 * Layers, each importing only the ones listed before it: `core/` (errors, validation, XML),
 * `sign/` (the algorithm, hashing, credentials, `CosSigner`, `getPostPolicy`), `send/` (sending with
 * retries and recovery, `signRequest`, `signedFetch`), `transfer/` (multipart, `upload`, listing), and
 * beside them `bridges/uppy`, `sts/` and `sync`. Every export is a name a bundler can drop unused.
 * @module cos-sign
 */
export { CosSignError } from './core/errors.js';
export type { CosSignErrorCode } from './core/errors.js';
export { parseCosError } from './core/cos-error.js';
export type { CosErrorBody } from './core/cos-error.js';

export { CosSigner } from './sign/signer.js';
export type {
  AuthHeaders,
  AuthorizeOptions,
  Authorized,
  CosSignerOptions,
  SignOptions,
  PolicyWriter,
} from './sign/signer.js';
export type { HashBackend } from './sign/hash.js';
export { fromSts, fetchCredentials } from './sign/credentials.js';
export type { Credentials, CredentialProvider, FetchCredentialsOptions } from './sign/credentials.js';
export { getPostPolicy } from './sign/post-policy.js';
export type { PostPolicyOptions, PostPolicy } from './sign/post-policy.js';

export { signRequest, signedFetch } from './send/request.js';
export type { RequestSignOptions } from './send/request.js';

export {
  createMultipartUpload,
  uploadPart,
  listParts,
  completeMultipartUpload,
  abortMultipartUpload,
  listMultipartUploads,
} from './transfer/multipart.js';
export type {
  MultipartCallOptions,
  CreatedUpload,
  PartETag,
  CreateMultipartUploadOptions,
  UploadIdOptions,
  UploadPartOptions,
  ListPartsOptions,
  CompleteMultipartUploadOptions,
  ListMultipartUploadsOptions,
  UploadedPart,
  MultipartUploadInfo,
  CompletedUpload,
  UploadPartResult,
} from './transfer/multipart.js';
export type { UploadBody } from './transfer/body.js';
export { crc64 } from './transfer/crc64.js';
export { upload } from './transfer/upload.js';
export type { UploadOptions, UploadResult } from './transfer/upload.js';
export type { StreamBody } from './transfer/body.js';
export { download } from './transfer/download.js';
export type { DownloadOptions, DownloadResult } from './transfer/download.js';
export { listObjects } from './transfer/list.js';
export type { ListObjectsOptions, ObjectInfo, ObjectsPage } from './transfer/list.js';

export { uppySignRequest } from './bridges/uppy.js';
export type { UppyRequest, UppySigned } from './bridges/uppy.js';
