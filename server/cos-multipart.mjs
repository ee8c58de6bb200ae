// Multipart upload for the local COS server, as COS's XML API speaks it: Initiate, Upload Part and
// Abort here; Complete in cos-complete.mjs; List Parts and List Multipart Uploads in cos-list-parts.mjs;
// the shared state and its helpers in cos-uploads.mjs. Uploads in progress live in memory, their parts
// as files (cos-fs.mjs: on disk or in memory) in a folder of their own (they need not survive a restart).
//
// Upload Part answers with the part's CRC-64 (x-cos-hash-crc64ecma, computed as it streams in),
// Complete with the whole object's. An upload initiated with an SSE-C key (cos-ssec.mjs) takes only
// parts that carry the same key, and the object keeps it.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CosRefusal } from './cos-auth.mjs';
import { complete } from './cos-complete.mjs';
import { CRC_HEADER } from './cos-crc.mjs';
import { intParam } from './cos-list.mjs';
import { listParts, listUploads } from './cos-list-parts.mjs';
import { checkPartSsec, readSsec, ssecHeaders } from './cos-ssec.mjs';
import {
  MAX_PART_BYTES,
  MAX_PART_NUMBER,
  exclusive,
  find,
  invalidArgument,
  sortedUploads,
  stillThere,
} from './cos-uploads.mjs';
import { XML_HEAD, sendXml, tag } from './cos-xml.mjs';

export { readCompleteBody } from './cos-complete.mjs';
export { MAX_PART_BYTES, MAX_PART_NUMBER, MIN_PART_BYTES } from './cos-uploads.mjs';

const md5Base64 = (hex) => Buffer.from(hex, 'hex').toString('base64');
const tooLarge = () =>
  new CosRefusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');

// COS's upload IDs start with the time they were made, so ordering by ID is ordering by initiation.
let lastStamp = 0;
const newUploadId = () => {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return String(lastStamp).padStart(13, '0') + randomBytes(16).toString('hex');
};

/** POST /<key>?uploads */
const initiate = async (mp, req, res, key) => {
  req.resume();
  const ssec = readSsec(req.headers);
  const uploadId = newUploadId();
  const folder = path.join(mp.dir, uploadId);
  await mp.fs.mkdir(folder);
  mp.uploads.set(uploadId, {
    key,
    uploadId,
    initiated: new Date(mp.now()).toISOString(),
    headers: mp.storedHeaders(req.headers),
    ssec,
    parts: new Map(),
    folder,
    tail: Promise.resolve(),
  });
  sendXml(
    res,
    200,
    `${XML_HEAD}<InitiateMultipartUploadResult>\n  ${tag('Bucket', mp.bucket)}\n  ${tag('Key', key)}\n  ${tag('UploadId', uploadId)}\n</InitiateMultipartUploadResult>\n`,
    ssecHeaders(ssec),
  );
};

/** Refuses a received part whose size or Content-MD5 is not what the request declared. */
const checkReceived = (req, got) => {
  const declared = req.headers['content-length'];
  if (declared !== undefined && got.size !== +declared)
    throw new CosRefusal(
      400,
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header.',
    );
  const md5 = req.headers['content-md5'];
  if (md5 && md5Base64(got.etag) !== md5)
    throw new CosRefusal(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
};

/** PUT /<key>?partNumber=N&uploadId=ID — the part streamed to a file, never held whole. */
const uploadPart = async (mp, req, res, key, q) => {
  const partNumber = intParam(q.partnumber ?? '', { min: 1, max: MAX_PART_NUMBER }, () =>
    invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive.`),
  );
  const up = find(mp, key, q.uploadid);
  // A guess at COS, after S3: a part of an SSE-C upload without that key is refused (InvalidRequest).
  checkPartSsec(up.ssec, req.headers);
  const declared = req.headers['content-length'];
  if (declared === undefined && !req.headers['transfer-encoding'])
    throw new CosRefusal(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
  const limit = Math.min(MAX_PART_BYTES, mp.maxObjectBytes);
  if (+declared > limit) throw tooLarge();
  let got;
  try {
    got = await mp.receive(req, limit);
  } catch (e) {
    if (e instanceof CosRefusal) throw e;
    return res.destroy(); // the client went away mid-part: nothing stored, nobody to answer
  }
  try {
    checkReceived(req, got);
    await exclusive(up, async () => {
      stillThere(mp, up);
      const file = path.join(up.folder, `${partNumber}-${randomBytes(6).toString('hex')}`);
      await mp.fs.rename(got.tmp, file);
      got.tmp = undefined;
      const old = up.parts.get(partNumber);
      up.parts.set(partNumber, {
        partNumber,
        size: got.size,
        etag: `"${got.etag}"`,
        crc64: got.crc64,
        lastModified: new Date(mp.now()).toISOString(),
        file,
      });
      if (old) await mp.fs.rm(old.file, { force: true });
    });
  } finally {
    if (got.tmp) await mp.fs.rm(got.tmp, { force: true });
  }
  res
    .writeHead(200, { ETag: `"${got.etag}"`, [CRC_HEADER]: got.crc64, ...ssecHeaders(up.ssec), 'Content-Length': '0' })
    .end();
};

/** DELETE /<key>?uploadId=ID */
const abort = async (mp, req, res, key, q) => {
  req.resume();
  const up = find(mp, key, q.uploadid);
  await exclusive(up, async () => {
    stillThere(mp, up);
    mp.uploads.delete(up.uploadId);
    await mp.fs.rm(up.folder, { recursive: true, force: true });
  });
  res.writeHead(204).end();
};

/**
 * The multipart part of a server for `bucket`. `dir` holds one folder per upload; `receive(stream,
 * limit)` streams a body into a temp file in `tmpDir` ({ tmp, size, etag, crc64 }); `commit(key, tmp,
 * info)` makes a temp file an object; `storedHeaders(headers)` picks the headers an object keeps;
 * `maxObjectBytes` bounds an object's size (PUT, POST or a completed upload); `fs` is where bytes live
 * (cos-fs.mjs).
 */
export const createMultipart = (options) => {
  const mp = { ...options, uploads: new Map() };
  return {
    initiate: (req, res, key) => initiate(mp, req, res, key),
    uploadPart: (req, res, key, q) => uploadPart(mp, req, res, key, q),
    listParts: (res, key, q) => listParts(mp, res, key, q),
    complete: (req, res, key, q, host) => complete(mp, req, res, key, q, host),
    abort: (req, res, key, q) => abort(mp, req, res, key, q),
    listUploads: (res, q) => listUploads(mp, res, q),
    /** The uploads in progress, for tests: [{ key, uploadId, parts: [{ partNumber, size, etag }] }]. */
    snapshot: () =>
      sortedUploads(mp).map((u) => ({
        key: u.key,
        uploadId: u.uploadId,
        parts: [...u.parts.values()]
          .sort((a, b) => a.partNumber - b.partNumber)
          .map(({ partNumber, size, etag }) => ({ partNumber, size, etag })),
      })),
  };
};
