// PUT Object copy for the local COS server (a PUT with x-cos-copy-source): the source object streamed
// into a new one, hashed on the way (its ETag is the copy's MD5, its CRC-64 the same as the source's),
// answered with COS's <CopyObjectResult>. The source may name the server's own buckets in COS's form,
// `<bucket>.cos.<region>.myqcloud.com/<key>` (the only form cos-nodejs-sdk-v5 accepts), or `/<bucket>/<key>`
// or, on an IP address or localhost, `127.0.0.1:PORT/<key>` (the first bucket). `cos` is the bucket.
import { CosRefusal } from './cos-auth.mjs';
import { CRC_HEADER } from './cos-crc.mjs';
import { checkReadSsec, readSsec, ssecHeaders } from './cos-ssec.mjs';
import { commit, dataPath, receive, storedHeaders } from './cos-store.mjs';
import { XML_HEAD, sendXml, tag } from './cos-xml.mjs';

const COPY_SSEC = 'x-cos-copy-source-server-side-encryption-customer-';

const invalidSource = (source) =>
  new CosRefusal(
    400,
    'InvalidArgument',
    `The x-cos-copy-source header is not <bucket>.cos.<region>.myqcloud.com/<key>: ${source}`,
  );

/** The source's bucket (the state of one of the server's buckets) and key. */
const findSource = (cos, header) => {
  const source = String(header).replace(/\?versionId=.*$/i, '');
  const m = /^\/?([^/]+)\/(.+)$/.exec(source);
  if (!m) throw invalidSource(source);
  let key;
  try {
    key = decodeURIComponent(m[2]);
  } catch {
    throw invalidSource(source);
  }
  const host = m[1].replace(/:\d+$/, '').toLowerCase();
  const label = host.split('.')[0];
  const bucket =
    cos.buckets.get(label) ??
    (host === 'localhost' || /^\d+\.\d+\.\d+\.\d+$/.test(host) ? cos.buckets.values().next().value : undefined);
  if (!bucket) throw new CosRefusal(404, 'NoSuchBucket', 'The specified bucket of the copy source does not exist.');
  return { bucket, key };
};

/** The copy-source SSE-C headers, named as the plain ones (to check them the way a GET is checked). */
const copySsecHeaders = (headers) => {
  const out = {};
  for (const n in headers)
    if (n.startsWith(COPY_SSEC)) out[`x-cos-server-side-encryption-customer-${n.slice(COPY_SSEC.length)}`] = headers[n];
  return out;
};

/** PUT /<key> with x-cos-copy-source[, x-cos-metadata-directive: Copy | Replaced]. */
export const copyObject = async (cos, req, res, key) => {
  req.resume();
  const { bucket, key: sourceKey } = findSource(cos, req.headers['x-cos-copy-source']);
  const source = bucket.index.get(sourceKey);
  if (!source) throw new CosRefusal(404, 'NoSuchKey', 'The specified key does not exist.');
  checkReadSsec(source.ssec, copySsecHeaders(req.headers));
  const directive = String(req.headers['x-cos-metadata-directive'] || 'Copy');
  if (!/^(copy|replaced)$/i.test(directive))
    throw new CosRefusal(400, 'InvalidArgument', 'x-cos-metadata-directive must be Copy or Replaced.');
  const ssec = readSsec(req.headers);
  const got = await receive(cos, cos.fs.createReadStream(dataPath(bucket, source)), cos.maxObjectBytes);
  const o = await commit(cos, key, got.tmp, {
    size: got.size,
    etag: `"${got.etag}"`,
    crc64: got.crc64,
    ...(ssec && { ssec }),
    headers: /^replaced$/i.test(directive) ? storedHeaders(req.headers) : source.headers,
  });
  const body =
    `${XML_HEAD}<CopyObjectResult>\n  ${tag('ETag', o.etag)}\n  ${tag('CRC64', o.crc64)}\n` +
    `  ${tag('LastModified', o.lastModified)}\n</CopyObjectResult>\n`;
  sendXml(res, 200, body, { [CRC_HEADER]: o.crc64, ...ssecHeaders(ssec) });
};
