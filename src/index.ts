/**
 * Sign Tencent Cloud COS requests and presign URLs over WebCrypto.
 * @module cos-sign
 */
export { CosSigner } from './signer.js';
export type { CosSignerOptions, SignOptions, AuthHeaders } from './signer.js';
export { CosSignError } from './errors.js';
export type { CosSignErrorCode } from './errors.js';
export { fromSts, fetchCredentials } from './credentials.js';
export type { Credentials, CredentialProvider, FetchCredentialsOptions } from './credentials.js';
export type { HashBackend } from './crypto.js';
export type { RequestSignOptions, PostPolicyOptions, PostPolicy } from './signer.js';
export { parseCosError } from './cos-error.js';
export type { CosErrorBody } from './cos-error.js';
export { upload, createMultipartUpload, uploadPart, listParts, completeMultipartUpload, abortMultipartUpload, listMultipartUploads, listObjects } from './lazy.js';
export type { UploadOptions, UploadResult } from './upload.js';
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
  UploadBody,
} from './multipart.js';
export type { ListObjectsOptions, ObjectInfo, ObjectsPage } from './list.js';
export { uppySignRequest } from './uppy.js';
export type { UppyRequest, UppySigned } from './uppy.js';
