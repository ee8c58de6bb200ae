// The state of the local COS server's multipart uploads, shared by cos-multipart.mjs (Initiate, Upload
// Part, Abort), cos-complete.mjs (Complete) and cos-list-parts.mjs (List Parts, List Multipart Uploads):
// `mp` is { bucket, appId, dir, tmpDir, now, receive, commit, storedHeaders, maxObjectBytes, uploads }
// (see createMultipart), `uploads` is uploadId -> { key, uploadId, initiated, headers, ssec?, parts:
// Map<number, part>, folder, tail }. Every change to one upload runs after the previous one has finished.
import { CosRefusal } from './cos-auth.mjs';
import { byteOrder } from './cos-list.mjs';
import { tag } from './cos-xml.mjs';

/** COS's limits: every part but the last at least 1 MiB, at most 5 GiB, part numbers 1 to 10,000. */
export const MIN_PART_BYTES = 1024 ** 2;
export const MAX_PART_BYTES = 5 * 1024 ** 3;
export const MAX_PART_NUMBER = 10000;

export const noSuchUpload = () =>
  new CosRefusal(
    404,
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID might be invalid, or the upload might have been aborted or completed.',
  );
export const invalidArgument = (message) => new CosRefusal(400, 'InvalidArgument', message);
export const unquote = (etag) =>
  String(etag)
    .trim()
    .replace(/^"(.*)"$/, '$1');

/** An <Initiator> or <Owner> element (the bucket's APPID, as COS shows it), indented by `pad`. */
export const person = (mp, name, pad) =>
  `${pad}<${name}>\n${pad}  ${tag('ID', mp.appId)}\n${pad}  ${tag('DisplayName', mp.appId)}\n${pad}</${name}>\n`;

/** Runs `fn` after every change already queued for `up` has finished. */
export const exclusive = (up, fn) => {
  const run = up.tail.then(fn);
  up.tail = run.catch(() => {});
  return run;
};

/** The upload `uploadId` of `key`, or NoSuchUpload. */
export const find = (mp, key, uploadId) => {
  const up = uploadId ? mp.uploads.get(uploadId) : undefined;
  if (!up || up.key !== key) throw noSuchUpload();
  return up;
};

/** Inside `exclusive`: the upload may have been completed or aborted while this one waited. */
export const stillThere = (mp, up) => {
  if (mp.uploads.get(up.uploadId) !== up) throw noSuchUpload();
};

/** The uploads in initiation order per key: by key (UTF-8 bytes), then upload ID. */
export const sortedUploads = (mp) =>
  [...mp.uploads.values()].sort(
    (a, b) => byteOrder(a.key, b.key) || (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0),
  );
