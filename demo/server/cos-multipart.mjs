// Multipart upload for the local COS server, as COS's XML API speaks it: Initiate, Upload Part, List
// Parts, Complete, Abort and List Multipart Uploads, with COS's checks and error codes. Uploads in
// progress live in memory, their parts as files in a folder of their own (they need not survive a
// restart). Every change to one upload (a part stored, Complete, Abort) runs after the previous one
// has finished, so Complete never reads a part that is being replaced or removed.
//
// Upload Part answers with the part's CRC-64 (x-cos-hash-crc64ecma, computed as it streams in),
// Complete with the whole object's, computed while the parts are joined. An upload initiated with an
// SSE-C key (cos-ssec.mjs) takes only parts that carry the same key, and the object keeps it.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { CosRefusal } from './cos-auth.mjs';
import { XML_HEAD, parseXml, sendXml, tag, urlEncodeKey } from './cos-xml.mjs';
import { byteOrder, intParam, listPage } from './cos-list.mjs';
import { CRC_HEADER, Crc64 } from './cos-crc.mjs';
import { checkPartSsec, readSsec, ssecHeaders } from './cos-ssec.mjs';

/** COS's limits: every part but the last at least 1 MiB, at most 5 GiB, part numbers 1 to 10,000. */
export const MIN_PART_BYTES = 1024 ** 2;
export const MAX_PART_BYTES = 5 * 1024 ** 3;
export const MAX_PART_NUMBER = 10000;
/** The largest Complete body read (10,000 parts take under 1 MiB). */
const MAX_COMPLETE_XML = 4 * 1024 ** 2;

const noSuchUpload = () =>
  new CosRefusal(
    404,
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID might be invalid, or the upload might have been aborted or completed.',
  );
const invalidArgument = (message) => new CosRefusal(400, 'InvalidArgument', message);
const malformedXml = (why) =>
  new CosRefusal(
    400,
    'MalformedXML',
    `The XML you provided was not well-formed or did not validate against our published schema (${why}).`,
  );
const invalidPart = (why) =>
  new CosRefusal(
    400,
    'InvalidPart',
    `One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag: ${why}.`,
  );
const unquote = (etag) =>
  String(etag)
    .trim()
    .replace(/^"(.*)"$/, '$1');
const md5Base64 = (hex) => Buffer.from(hex, 'hex').toString('base64');

/**
 * The parts a CompleteMultipartUpload body lists, in its order: [{ partNumber, etag }]. Throws
 * MalformedXML for anything else than `<CompleteMultipartUpload>` with one or more `<Part>`, each
 * with one integer `<PartNumber>` and one `<ETag>` (other elements are ignored).
 */
export const readCompleteBody = (xml) => {
  let root;
  try {
    root = parseXml(xml);
  } catch (e) {
    throw malformedXml(e.message);
  }
  if (root.name !== 'CompleteMultipartUpload')
    throw malformedXml(`the root element is <${root.name}>, not <CompleteMultipartUpload>`);
  const parts = root.children
    .filter((c) => c.name === 'Part')
    .map((part) => {
      const one = (name) => {
        const found = part.children.filter((c) => c.name === name);
        if (found.length !== 1) throw malformedXml(`a <Part> needs exactly one <${name}>`);
        return found[0].text.trim();
      };
      const number = one('PartNumber');
      if (!/^\d{1,9}$/.test(number)) throw malformedXml(`<PartNumber>${number}</PartNumber> is not an integer`);
      return { partNumber: +number, etag: one('ETag') };
    });
  if (!parts.length) throw malformedXml('no <Part>');
  return parts;
};

/**
 * Reads a small request body whole. Past `limit` bytes it keeps reading (so the client can read the
 * refusal) and rejects with `tooLarge()`; it rejects with a plain Error if the client goes away.
 */
const readBody = (req, limit, tooLarge) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => (size > limit ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
    req.on('close', () => req.complete || reject(new Error('the request was aborted')));
  });

/**
 * The multipart part of a server for `bucket`. `dir` holds one folder per upload; `receive(stream,
 * limit)` streams a body into a temp file in `tmpDir` ({ tmp, size, etag, crc64 }); `commit(key, tmp, info)`
 * makes a temp file an object; `storedHeaders(headers)` picks the headers an object keeps;
 * `maxObjectBytes` bounds an object's size (PUT, POST or a completed upload).
 */
export const createMultipart = ({
  bucket,
  appId,
  dir,
  tmpDir,
  now,
  receive,
  commit,
  storedHeaders,
  maxObjectBytes,
}) => {
  /** uploadId -> { key, uploadId, initiated, headers, ssec?, parts: Map<number, part>, folder, tail } */
  const uploads = new Map();
  /** An <Initiator> or <Owner> element (the bucket's APPID, as COS shows it), indented by `pad`. */
  const person = (name, pad) =>
    `${pad}<${name}>\n${pad}  ${tag('ID', appId)}\n${pad}  ${tag('DisplayName', appId)}\n${pad}</${name}>\n`;

  // COS's upload IDs start with the time they were made, so ordering by ID is ordering by initiation.
  let lastStamp = 0;
  const newUploadId = () => {
    lastStamp = Math.max(Date.now(), lastStamp + 1);
    return String(lastStamp).padStart(13, '0') + randomBytes(16).toString('hex');
  };

  /** Runs `fn` after every change already queued for `up` has finished. */
  const exclusive = (up, fn) => {
    const run = up.tail.then(fn);
    up.tail = run.catch(() => {});
    return run;
  };
  const find = (key, uploadId) => {
    const up = uploadId ? uploads.get(uploadId) : undefined;
    if (!up || up.key !== key) throw noSuchUpload();
    return up;
  };
  /** Inside `exclusive`: the upload may have been completed or aborted while this one waited. */
  const stillThere = (up) => {
    if (uploads.get(up.uploadId) !== up) throw noSuchUpload();
  };

  /** POST /<key>?uploads */
  const initiate = async (req, res, key) => {
    req.resume();
    const ssec = readSsec(req.headers);
    const uploadId = newUploadId();
    const folder = path.join(dir, uploadId);
    await fsp.mkdir(folder);
    uploads.set(uploadId, {
      key,
      uploadId,
      initiated: new Date(now()).toISOString(),
      headers: storedHeaders(req.headers),
      ssec,
      parts: new Map(),
      folder,
      tail: Promise.resolve(),
    });
    sendXml(
      res,
      200,
      `${XML_HEAD}<InitiateMultipartUploadResult>\n  ${tag('Bucket', bucket)}\n  ${tag('Key', key)}\n  ${tag('UploadId', uploadId)}\n</InitiateMultipartUploadResult>\n`,
      ssecHeaders(ssec),
    );
  };

  /** PUT /<key>?partNumber=N&uploadId=ID — the part streamed to a file, never held whole. */
  const uploadPart = async (req, res, key, q) => {
    const partNumber = intParam(q.partnumber ?? '', { min: 1, max: MAX_PART_NUMBER }, () =>
      invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive.`),
    );
    const up = find(key, q.uploadid);
    // A guess at COS, after S3: a part of an SSE-C upload without that key is refused (InvalidRequest).
    checkPartSsec(up.ssec, req.headers);
    const declared = req.headers['content-length'];
    if (declared === undefined && !req.headers['transfer-encoding'])
      throw new CosRefusal(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    const limit = Math.min(MAX_PART_BYTES, maxObjectBytes);
    const tooLarge = () =>
      new CosRefusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
    if (+declared > limit) throw tooLarge();
    let got;
    try {
      got = await receive(req, limit);
    } catch (e) {
      if (e instanceof CosRefusal) throw e;
      return res.destroy(); // the client went away mid-part: nothing stored, nobody to answer
    }
    try {
      if (declared !== undefined && got.size !== +declared)
        throw new CosRefusal(
          400,
          'IncompleteBody',
          'You did not provide the number of bytes specified by the Content-Length HTTP header.',
        );
      const md5 = req.headers['content-md5'];
      if (md5 && md5Base64(got.etag) !== md5)
        throw new CosRefusal(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
      await exclusive(up, async () => {
        stillThere(up);
        const file = path.join(up.folder, `${partNumber}-${randomBytes(6).toString('hex')}`);
        await fsp.rename(got.tmp, file);
        got.tmp = undefined;
        const old = up.parts.get(partNumber);
        up.parts.set(partNumber, {
          partNumber,
          size: got.size,
          etag: `"${got.etag}"`,
          crc64: got.crc64,
          lastModified: new Date(now()).toISOString(),
          file,
        });
        if (old) await fsp.rm(old.file, { force: true });
      });
    } finally {
      if (got.tmp) await fsp.rm(got.tmp, { force: true });
    }
    res
      .writeHead(200, {
        ETag: `"${got.etag}"`,
        [CRC_HEADER]: got.crc64,
        ...ssecHeaders(up.ssec),
        'Content-Length': '0',
      })
      .end();
  };

  /** GET /<key>?uploadId=ID[&max-parts=&part-number-marker=] */
  const listParts = (res, key, q) => {
    const up = find(key, q.uploadid);
    const max = intParam(q['max-parts'], { min: 1, max: 1000, fallback: 1000 }, () =>
      invalidArgument('max-parts must be an integer from 1 to 1000.'),
    );
    const marker = intParam(q['part-number-marker'], { min: 0, max: 999999999, fallback: 0 }, () =>
      invalidArgument('part-number-marker must be a non-negative integer.'),
    );
    const after = [...up.parts.values()]
      .filter((p) => p.partNumber > marker)
      .sort((a, b) => a.partNumber - b.partNumber);
    const page = after.slice(0, max);
    const url = q['encoding-type'] === 'url';
    const body =
      XML_HEAD +
      '<ListPartsResult>\n' +
      `  ${tag('Bucket', bucket)}\n` +
      (url ? '  <EncodingType>url</EncodingType>\n' : '') +
      `  ${tag('Key', url ? urlEncodeKey(key) : key)}\n  ${tag('UploadId', up.uploadId)}\n` +
      person('Initiator', '  ') +
      person('Owner', '  ') +
      '  <StorageClass>STANDARD</StorageClass>\n' +
      `  <PartNumberMarker>${marker}</PartNumberMarker>\n  <NextPartNumberMarker>${page.length ? page[page.length - 1].partNumber : marker}</NextPartNumberMarker>\n` +
      `  <MaxParts>${max}</MaxParts>\n  <IsTruncated>${after.length > max}</IsTruncated>\n` +
      page
        .map(
          (p) =>
            `  <Part>\n    <PartNumber>${p.partNumber}</PartNumber>\n    <LastModified>${p.lastModified}</LastModified>\n    ${tag('ETag', p.etag)}\n    <Size>${p.size}</Size>\n  </Part>\n`,
        )
        .join('') +
      '</ListPartsResult>\n';
    sendXml(res, 200, body);
  };

  /**
   * POST /<key>?uploadId=ID with the parts to join. COS's checks, in order: the upload exists
   * (NoSuchUpload), the body is the XML it should be (MalformedXML), part numbers strictly ascending
   * (InvalidPartOrder), each listed part uploaded with that ETag, quoted or not, and the numbers
   * consecutive (InvalidPart: COS's Complete documentation refuses a gap with it), every part but the
   * last at least 1 MiB (EntityTooSmall). The object is the listed parts joined (streamed into a temp
   * file, hashed on the way for its CRC-64, committed atomically); the upload and all its parts, listed
   * or not, are then removed.
   */
  const complete = async (req, res, key, q, host) => {
    const up = find(key, q.uploadid);
    let body;
    try {
      body = await readBody(req, MAX_COMPLETE_XML, () => malformedXml('the body is larger than 4 MiB'));
    } catch (e) {
      if (e instanceof CosRefusal) throw e;
      return res.destroy();
    }
    const md5 = req.headers['content-md5'];
    if (md5 && createHash('md5').update(body).digest('base64') !== md5)
      throw new CosRefusal(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    const wanted = readCompleteBody(body.toString('utf8'));
    const o = await exclusive(up, async () => {
      stillThere(up);
      for (let i = 1; i < wanted.length; i++)
        if (wanted[i].partNumber <= wanted[i - 1].partNumber)
          throw new CosRefusal(
            400,
            'InvalidPartOrder',
            'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
          );
      const parts = wanted.map(({ partNumber, etag }, i) => {
        const p = up.parts.get(partNumber);
        if (!p) throw invalidPart(`part ${partNumber} was not uploaded`);
        if (unquote(etag).toLowerCase() !== unquote(p.etag))
          throw invalidPart(`part ${partNumber} has the ETag ${p.etag}, not ${etag}`);
        if (i && partNumber !== wanted[i - 1].partNumber + 1)
          throw invalidPart(`part numbers must be consecutive, ${partNumber} follows ${wanted[i - 1].partNumber}`);
        return p;
      });
      const small = parts.slice(0, -1).find((p) => p.size < MIN_PART_BYTES);
      if (small)
        throw new CosRefusal(
          400,
          'EntityTooSmall',
          `Your proposed upload is smaller than the minimum allowed object size: part ${small.partNumber} has ${small.size} bytes; every part but the last needs at least 1 MiB.`,
        );
      const size = parts.reduce((n, p) => n + p.size, 0);
      if (size > maxObjectBytes)
        throw new CosRefusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
      const tmp = path.join(tmpDir, randomBytes(12).toString('hex'));
      try {
        const out = fs.createWriteStream(tmp);
        const crc = new Crc64();
        const failed = once(out, 'error').then(([e]) => Promise.reject(e));
        failed.catch(() => {});
        try {
          for (const p of parts)
            for await (const chunk of fs.createReadStream(p.file)) {
              crc.update(chunk);
              if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
            }
          await Promise.race([new Promise((ok) => out.end(ok)), failed]);
        } catch (e) {
          // Closed before the temp file is removed below: an open still in flight would recreate it.
          if (!out.closed) await new Promise((ok) => out.destroy().once('close', ok));
          throw e;
        }
        const etag = createHash('md5')
          .update(Buffer.concat(parts.map((p) => Buffer.from(unquote(p.etag), 'hex'))))
          .digest('hex');
        const done = await commit(key, tmp, {
          size,
          etag: `"${etag}-${parts.length}"`,
          crc64: crc.digest(),
          ...(up.ssec && { ssec: up.ssec }),
          headers: up.headers,
        });
        uploads.delete(up.uploadId);
        await fsp.rm(up.folder, { recursive: true, force: true });
        return done;
      } finally {
        await fsp.rm(tmp, { force: true });
      }
    });
    const location = `http://${host}/${urlEncodeKey(key)}`;
    sendXml(
      res,
      200,
      `${XML_HEAD}<CompleteMultipartUploadResult>\n  ${tag('Location', location)}\n  ${tag('Bucket', bucket)}\n  ${tag('Key', key)}\n  ${tag('ETag', o.etag)}\n</CompleteMultipartUploadResult>\n`,
      { [CRC_HEADER]: o.crc64, ...ssecHeaders(o.ssec) },
    );
  };

  /** DELETE /<key>?uploadId=ID */
  const abort = async (req, res, key, q) => {
    req.resume();
    const up = find(key, q.uploadid);
    await exclusive(up, async () => {
      stillThere(up);
      uploads.delete(up.uploadId);
      await fsp.rm(up.folder, { recursive: true, force: true });
    });
    res.writeHead(204).end();
  };

  /** In initiation order per key: by key (UTF-8 bytes), then upload ID. */
  const sorted = () =>
    [...uploads.values()].sort(
      (a, b) => byteOrder(a.key, b.key) || (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0),
    );

  /**
   * GET /?uploads[&prefix=&delimiter=&key-marker=&upload-id-marker=&max-uploads=&encoding-type=]. As
   * COS documents it: keys after key-marker are listed, and, when upload-id-marker is given too, the
   * uploads of key-marker itself whose ID comes after it.
   */
  const listUploads = (res, q) => {
    const prefix = q.prefix || '';
    const delimiter = q.delimiter || '';
    const keyMarker = q['key-marker'] || '';
    const idMarker = keyMarker ? q['upload-id-marker'] || '' : '';
    const max = intParam(q['max-uploads'], { min: 1, max: 1000, fallback: 1000 }, () =>
      invalidArgument('max-uploads must be an integer from 1 to 1000.'),
    );
    const after = (u) => {
      const c = byteOrder(u.key, keyMarker);
      return c > 0 || (c === 0 && idMarker !== '' && u.uploadId > idMarker);
    };
    const { entries, truncated } = listPage({ items: sorted(), prefix, delimiter, marker: keyMarker, after, max });
    const last = entries[entries.length - 1];
    const url = q['encoding-type'] === 'url';
    const enc = (s) => (url ? urlEncodeKey(s) : s);
    const body =
      XML_HEAD +
      '<ListMultipartUploadsResult>\n' +
      `  ${tag('Bucket', bucket)}\n` +
      (url ? '  <EncodingType>url</EncodingType>\n' : '') +
      `  ${tag('Prefix', enc(prefix))}\n` +
      (delimiter ? `  ${tag('Delimiter', enc(delimiter))}\n` : '') +
      `  ${tag('KeyMarker', enc(keyMarker))}\n  ${tag('UploadIdMarker', idMarker)}\n` +
      `  ${tag('NextKeyMarker', enc(last ? (last.prefix ?? last.item.key) : keyMarker))}\n  ${tag('NextUploadIdMarker', last ? (last.item?.uploadId ?? '') : idMarker)}\n` +
      `  <MaxUploads>${max}</MaxUploads>\n  <IsTruncated>${truncated}</IsTruncated>\n` +
      entries
        .filter((e) => e.item)
        .map(
          ({ item: u }) =>
            `  <Upload>\n    ${tag('Key', enc(u.key))}\n    ${tag('UploadId', u.uploadId)}\n${person('Initiator', '    ')}${person('Owner', '    ')}` +
            `    <StorageClass>STANDARD</StorageClass>\n    <Initiated>${u.initiated}</Initiated>\n  </Upload>\n`,
        )
        .join('') +
      entries
        .filter((e) => e.prefix !== undefined)
        .map((e) => `  <CommonPrefixes>\n    ${tag('Prefix', enc(e.prefix))}\n  </CommonPrefixes>\n`)
        .join('') +
      '</ListMultipartUploadsResult>\n';
    sendXml(res, 200, body);
  };

  return {
    initiate,
    uploadPart,
    listParts,
    complete,
    abort,
    listUploads,
    /** The uploads in progress, for tests: [{ key, uploadId, parts: [{ partNumber, size, etag }] }]. */
    snapshot: () =>
      sorted().map((u) => ({
        key: u.key,
        uploadId: u.uploadId,
        parts: [...u.parts.values()]
          .sort((a, b) => a.partNumber - b.partNumber)
          .map(({ partNumber, size, etag }) => ({ partNumber, size, etag })),
      })),
  };
};
