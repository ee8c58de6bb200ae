// The two multipart listings of the local COS server: List Parts (GET /<key>?uploadId=) and List
// Multipart Uploads (GET /?uploads), paged as COS pages them. `mp` is the multipart state (cos-uploads.mjs).
import { byteOrder, intParam, listPage } from './cos-list.mjs';
import { find, invalidArgument, person, sortedUploads } from './cos-uploads.mjs';
import { XML_HEAD, sendXml, tag, urlEncodeKey } from './cos-xml.mjs';

/** GET /<key>?uploadId=ID[&max-parts=&part-number-marker=&encoding-type=] */
export const listParts = (mp, res, key, q) => {
  const up = find(mp, key, q.uploadid);
  const max = intParam(q['max-parts'], { min: 1, max: 1000, fallback: 1000 }, () =>
    invalidArgument('max-parts must be an integer from 1 to 1000.'),
  );
  const marker = intParam(q['part-number-marker'], { min: 0, max: 999999999, fallback: 0 }, () =>
    invalidArgument('part-number-marker must be a non-negative integer.'),
  );
  const after = [...up.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
  const page = after.slice(0, max);
  const url = q['encoding-type'] === 'url';
  const body =
    XML_HEAD +
    '<ListPartsResult>\n' +
    `  ${tag('Bucket', mp.bucket)}\n` +
    (url ? '  <EncodingType>url</EncodingType>\n' : '') +
    `  ${tag('Key', url ? urlEncodeKey(key) : key)}\n  ${tag('UploadId', up.uploadId)}\n` +
    person(mp, 'Initiator', '  ') +
    person(mp, 'Owner', '  ') +
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
 * GET /?uploads[&prefix=&delimiter=&key-marker=&upload-id-marker=&max-uploads=&encoding-type=]. As
 * COS documents it: keys after key-marker are listed, and, when upload-id-marker is given too, the
 * uploads of key-marker itself whose ID comes after it.
 */
export const listUploads = (mp, res, q) => {
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
  const { entries, truncated } = listPage({
    items: sortedUploads(mp),
    prefix,
    delimiter,
    marker: keyMarker,
    after,
    max,
  });
  const last = entries[entries.length - 1];
  const url = q['encoding-type'] === 'url';
  const enc = (s) => (url ? urlEncodeKey(s) : s);
  const body =
    XML_HEAD +
    '<ListMultipartUploadsResult>\n' +
    `  ${tag('Bucket', mp.bucket)}\n` +
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
          `  <Upload>\n    ${tag('Key', enc(u.key))}\n    ${tag('UploadId', u.uploadId)}\n${person(mp, 'Initiator', '    ')}${person(mp, 'Owner', '    ')}` +
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
