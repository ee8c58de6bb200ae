/**
 * The UMD bundle's entry (global `CosSign`): the API of index.ts, with the large-upload and listing
 * functions bound directly. The UMD file carries everything anyway, so the lazy loading that index.ts
 * does for bundlers would only add code here.
 * @module
 */
export * from './index.js';
export {
  upload,
  createMultipartUpload,
  uploadPart,
  listParts,
  completeMultipartUpload,
  abortMultipartUpload,
  listMultipartUploads,
  listObjects,
} from './transfer.js';
