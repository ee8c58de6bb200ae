// PUT, GET, HEAD and DELETE Object for the local COS server. Every function takes the server's state
// (cos-server.mjs) first.
//
// The object's CRC-64 (x-cos-hash-crc64ecma, cos-crc.mjs) is computed as a PUT streams in, kept in its
// metadata and sent on the PUT's answer, on HEAD, and on a GET whose body is the whole object: no Range,
// or a Range covering every byte (a 206 then, with the CRC of exactly the bytes sent). A GET of part
// of the object carries none, so a client never takes the object's CRC for the body's. (Real COS may
// well send the whole object's CRC on a partial GET too: it is an attribute of the object.) Objects
// stored before the server kept CRCs send none.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { CosRefusal } from './cos-auth.mjs';
import { CRC_HEADER } from './cos-crc.mjs';
import { flipOffset } from './cos-hooks.mjs';
import { checkReadSsec, readSsec, ssecHeaders } from './cos-ssec.mjs';
import { commit, dataPath, receive, removeObject, storedHeaders } from './cos-store.mjs';

/** Response headers GET Object lets the caller override with `response-*` query parameters. */
const OVERRIDES = [
  'content-type',
  'content-language',
  'expires',
  'cache-control',
  'content-disposition',
  'content-encoding',
];
const tooLarge = () =>
  new CosRefusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
/** `content-type` -> `Content-Type`. */
const headerCase = (name) => name.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase());

/**
 * PUT Object: the body streamed into a temp file, checked against Content-Length (IncompleteBody) and
 * Content-MD5 (BadDigest), then committed with the headers an object keeps, its CRC-64 and its SSE-C
 * key's MD5 (cos-ssec.mjs), if it was sent with one.
 */
export const putObject = async (cos, req, res, key) => {
  const declared = req.headers['content-length'];
  if (declared === undefined && !req.headers['transfer-encoding'])
    throw new CosRefusal(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
  if (+declared > cos.maxObjectBytes) throw tooLarge();
  const ssec = readSsec(req.headers);
  let got;
  try {
    got = await receive(cos, req, cos.maxObjectBytes, { flipAt: flipOffset(req) });
  } catch (e) {
    if (e instanceof CosRefusal) throw e;
    // The client went away mid-upload: nothing was stored, nobody to answer.
    return res.destroy();
  }
  const md5 = req.headers['content-md5'];
  const refusal =
    declared !== undefined && got.size !== +declared
      ? new CosRefusal(
          400,
          'IncompleteBody',
          'You did not provide the number of bytes specified by the Content-Length HTTP header.',
        )
      : md5 && Buffer.from(got.etag, 'hex').toString('base64') !== md5
        ? new CosRefusal(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.')
        : undefined;
  if (refusal) {
    await fsp.rm(got.tmp, { force: true });
    throw refusal;
  }
  const o = await commit(cos, key, got.tmp, {
    size: got.size,
    etag: `"${got.etag}"`,
    crc64: got.crc64,
    ...(ssec && { ssec }),
    headers: storedHeaders(req.headers),
  });
  res.writeHead(200, { ETag: o.etag, [CRC_HEADER]: o.crc64, ...ssecHeaders(ssec), 'Content-Length': '0' }).end();
};

/**
 * GET / HEAD Object, with Range (206, 416 InvalidRange), If-Match (412 PreconditionFailed), If-None-Match
 * (304), `response-*` overrides, the CRC-64 when the whole object is sent, and the SSE-C key asked for if
 * it was stored with one.
 */
export const getObject = async (cos, req, res, key, query) => {
  const o = cos.index.get(key);
  if (!o) throw new CosRefusal(404, 'NoSuchKey', 'The specified key does not exist.');
  checkReadSsec(o.ssec, req.headers);
  const h = objectHeaders(o, query);
  // If-Match: the object must still be the one the client started reading (a ranged download), else 412.
  const im = req.headers['if-match'];
  if (im && !im.split(/\s*,\s*/).some((t) => t === '*' || t === o.etag))
    throw new CosRefusal(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.');
  const inm = req.headers['if-none-match'];
  if (inm?.split(/\s*,\s*/).includes(o.etag)) return res.writeHead(304, { ETag: o.etag }).end();
  const range = byteRange(req.headers.range, o.size);
  if (range.unsatisfiable) {
    res.setHeader('Content-Range', `bytes */${o.size}`);
    throw new CosRefusal(416, 'InvalidRange', 'The requested range is not satisfiable.');
  }
  const { start, end } = range;
  if (range.partial) h['Content-Range'] = `bytes ${start}-${end}/${o.size}`;
  if (o.crc64 && start === 0 && end === o.size - 1) h[CRC_HEADER] = o.crc64;
  h['Content-Length'] = String(Math.max(0, end - start + 1));
  res.writeHead(range.partial ? 206 : 200, h);
  if (req.method === 'HEAD' || o.size === 0) return res.end();
  await pipeline(fs.createReadStream(dataPath(cos, o), { start, end }), res).catch(() => res.destroy());
};

/** The headers of object `o`: its own, its stored ones, then the `response-*` overrides of `query`. */
const objectHeaders = (o, query) => {
  const h = {
    'Content-Type': 'application/octet-stream',
    ETag: o.etag,
    'Last-Modified': new Date(o.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
  };
  for (const n in o.headers) h[headerCase(n)] = o.headers[n];
  Object.assign(h, ssecHeaders(o.ssec));
  for (const [k, v] of query) {
    const n = k.toLowerCase();
    if (n.startsWith('response-') && OVERRIDES.includes(n.slice(9))) h[headerCase(n.slice(9))] = v;
  }
  return h;
};

/**
 * The bytes a Range header asks of an object of `size` bytes: { start, end, partial }, or
 * { unsatisfiable: true }. A header that is not one `bytes=a-b` range is ignored (the whole object).
 */
const byteRange = (header, size) => {
  const whole = { start: 0, end: size - 1, partial: false };
  const m = header && /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || !(m[1] || m[2])) return whole;
  const start = m[1] ? +m[1] : Math.max(0, size - +m[2]);
  const end = m[1] && m[2] ? Math.min(+m[2], size - 1) : size - 1;
  if (start >= size || start > end || (m[1] && m[2] && +m[2] < +m[1])) return { unsatisfiable: true };
  return { start, end, partial: true };
};

/** DELETE Object: 204, whether or not there was one. */
export const deleteObject = async (cos, res, key) => {
  await removeObject(cos, key);
  res.writeHead(204).end();
};
