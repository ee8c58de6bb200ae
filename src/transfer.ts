/** The implementations behind lazy.ts, loaded together on first use. */
export { upload } from './upload.js';
export { createMultipartUpload, uploadPart, listParts, completeMultipartUpload, abortMultipartUpload, listMultipartUploads } from './multipart.js';
export { listObjects } from './list.js';
