// Complete Multipart Upload for the local COS server: the body read and checked as COS checks it, the
// listed parts joined into the object (streamed, hashed for its CRC-64 on the way, committed
// atomically), then the upload and all its parts removed. `mp` is the multipart state (cos-uploads.mjs).
import path from 'node:path';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { CosRefusal } from './cos-auth.mjs';
import { CRC_HEADER, Crc64 } from './cos-crc.mjs';
import { ssecHeaders } from './cos-ssec.mjs';
import { MIN_PART_BYTES, exclusive, find, stillThere, unquote } from './cos-uploads.mjs';
import { XML_HEAD, parseXml, sendXml, tag, urlEncodeKey } from './cos-xml.mjs';

/** The largest Complete body read (10,000 parts take under 1 MiB). */
const MAX_COMPLETE_XML = 4 * 1024 ** 2;

export const malformedXml = (why) =>
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
export const readBody = (req, limit, tooLarge) =>
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
 * A small XML request body (Complete, Delete Multiple), checked against its Content-MD5; undefined if the
 * client left.
 */
export const readXmlBody = async (req, what) => {
  let body;
  try {
    body = await readBody(req, MAX_COMPLETE_XML, () => malformedXml(`the ${what} body is larger than 4 MiB`));
  } catch (e) {
    if (e instanceof CosRefusal) throw e;
    return undefined;
  }
  const md5 = req.headers['content-md5'];
  if (md5 && createHash('md5').update(body).digest('base64') !== md5)
    throw new CosRefusal(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  return body;
};

/** COS's checks of the listed parts, in order: ascending numbers, each uploaded with that ETag, consecutive, sizes. */
const checkParts = (up, wanted) => {
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
  return parts;
};

/** Streams `parts` into the file `tmp`; resolves the CRC-64 of the whole. */
const joinParts = async (mp, parts, tmp) => {
  const out = mp.fs.createWriteStream(tmp);
  const crc = new Crc64();
  const failed = once(out, 'error').then(([e]) => Promise.reject(e));
  failed.catch(() => {});
  try {
    for (const p of parts)
      for await (const chunk of mp.fs.createReadStream(p.file)) {
        crc.update(chunk);
        if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
      }
    await Promise.race([new Promise((ok) => out.end(ok)), failed]);
  } catch (e) {
    // Closed before the temp file is removed: an open still in flight would recreate it.
    if (!out.closed) await new Promise((ok) => out.destroy().once('close', ok));
    throw e;
  }
  return crc.digest();
};

/**
 * POST /<key>?uploadId=ID with the parts to join. COS's checks, in order: the upload exists
 * (NoSuchUpload), the body is the XML it should be (MalformedXML), part numbers strictly ascending
 * (InvalidPartOrder), each listed part uploaded with that ETag, quoted or not, and the numbers
 * consecutive (InvalidPart: COS's Complete documentation refuses a gap with it), every part but the
 * last at least 1 MiB (EntityTooSmall).
 */
export const complete = async (mp, req, res, key, q, host) => {
  const up = find(mp, key, q.uploadid);
  const body = await readXmlBody(req, 'Complete');
  if (!body) return res.destroy();
  const wanted = readCompleteBody(body.toString('utf8'));
  const o = await exclusive(up, async () => {
    stillThere(mp, up);
    const parts = checkParts(up, wanted);
    const size = parts.reduce((n, p) => n + p.size, 0);
    if (size > mp.maxObjectBytes)
      throw new CosRefusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
    const tmp = path.join(mp.tmpDir, randomBytes(12).toString('hex'));
    try {
      const crc64 = await joinParts(mp, parts, tmp);
      const etag = createHash('md5')
        .update(Buffer.concat(parts.map((p) => Buffer.from(unquote(p.etag), 'hex'))))
        .digest('hex');
      const done = await mp.commit(key, tmp, {
        size,
        etag: `"${etag}-${parts.length}"`,
        crc64,
        ...(up.ssec && { ssec: up.ssec }),
        headers: up.headers,
      });
      mp.uploads.delete(up.uploadId);
      await mp.fs.rm(up.folder, { recursive: true, force: true });
      return done;
    } finally {
      await mp.fs.rm(tmp, { force: true });
    }
  });
  const location = `http://${host}/${urlEncodeKey(key)}`;
  sendXml(
    res,
    200,
    `${XML_HEAD}<CompleteMultipartUploadResult>\n  ${tag('Location', location)}\n  ${tag('Bucket', mp.bucket)}\n  ${tag('Key', key)}\n  ${tag('ETag', o.etag)}\n</CompleteMultipartUploadResult>\n`,
    { [CRC_HEADER]: o.crc64, ...ssecHeaders(o.ssec) },
  );
};
