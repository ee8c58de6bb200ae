// Paging as COS pages GET Bucket and List Multipart Uploads: UTF-8 byte order, a marker after which
// the page starts, keys rolled up into common prefixes by a delimiter, and at most `max` entries, a
// common prefix counting as one. And GET Bucket itself (listBucket).
import { CosRefusal } from './cos-auth.mjs';
import { XML_HEAD, sendXml, urlEncodeKey, xmlEscape } from './cos-xml.mjs';

/** COS lists in UTF-8 byte order ("UTF-8 字典序"); JS compares UTF-16 code units, which differ past U+FFFF. */
export const byteOrder = (a, b) => (a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

/**
 * One page of `items` (each with a `key`, in listing order). An item is listed when its key starts
 * with `prefix` and `after(item)` says it comes after the marker. With a `delimiter`, a key holding it
 * past the prefix is rolled up into the common prefix ending there: listed once, as one entry, and only
 * if it sorts after `marker`. So a NextMarker that is a common prefix skips the whole group on the next
 * page, and paging hands out every key or common prefix exactly once.
 * Returns { entries: ({ item } | { prefix })[], truncated } with at most `max` entries; `truncated`
 * when at least one more entry follows.
 */
export const listPage = ({ items, prefix = '', delimiter = '', marker = '', after, max }) => {
  const entries = [];
  const seen = new Set();
  for (const item of items) {
    if (!item.key.startsWith(prefix)) continue;
    const cut = delimiter ? item.key.indexOf(delimiter, prefix.length) : -1;
    const common = cut >= 0 ? item.key.slice(0, cut + delimiter.length) : undefined;
    if (common !== undefined ? seen.has(common) || byteOrder(common, marker) <= 0 : !after(item)) continue;
    if (entries.length >= max) return { entries, truncated: true };
    if (common !== undefined) {
      seen.add(common);
      entries.push({ prefix: common });
    } else entries.push({ item });
  }
  return { entries, truncated: false };
};

/** Reads an integer query parameter in [min, max]; `fallback` when absent. Throws `refuse()` otherwise. */
export const intParam = (value, { min, max, fallback }, refuse) => {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || +value < min || +value > max) throw refuse();
  return +value;
};

/** One object of a GET Bucket answer, owned by the bucket's APPID; `enc` encodes its key. */
const contentsXml = (o, appId, enc) =>
  `  <Contents>\n    <Key>${enc(o.key)}</Key>\n    <LastModified>${o.lastModified}</LastModified>\n    <ETag>${xmlEscape(o.etag)}</ETag>\n    <Size>${o.size}</Size>\n    <Owner>\n      <ID>${xmlEscape(appId)}</ID>\n      <DisplayName>${xmlEscape(appId)}</DisplayName>\n    </Owner>\n    <StorageClass>STANDARD</StorageClass>\n  </Contents>\n`;

/**
 * GET Bucket of the local COS server (`cos`: its state, cos-server.mjs; `q`: the query, names in lower
 * case). Keys in UTF-8 byte order after `marker`; with a delimiter, keys rolled up into common
 * prefixes, each counted once against max-keys. NextMarker comes with every truncated page (COS
 * documents it without the delimiter condition S3 has): the last entry listed, key or common prefix,
 * and a common prefix as marker skips its whole group. encoding-type=url percent-encodes Prefix,
 * Marker, NextMarker, Delimiter, each Key and each common prefix.
 */
export const listBucket = (cos, res, q) => {
  const prefix = q.prefix || '';
  const delimiter = q.delimiter || '';
  const marker = q.marker || '';
  const max = intParam(
    q['max-keys'],
    { min: 0, max: 1000, fallback: 1000 },
    () => new CosRefusal(400, 'InvalidArgument', 'max-keys must be an integer from 0 to 1000.'),
  );
  const url = q['encoding-type'] === 'url';
  const enc = (s) => xmlEscape(url ? urlEncodeKey(s) : s);
  const items = [...cos.index.values()].sort((a, b) => byteOrder(a.key, b.key));
  const { entries, truncated } = listPage({
    items,
    prefix,
    delimiter,
    marker,
    after: (o) => byteOrder(o.key, marker) > 0,
    max,
  });
  const last = entries[entries.length - 1];
  const body =
    XML_HEAD +
    '<ListBucketResult>\n' +
    `  <Name>${xmlEscape(cos.bucket)}</Name>\n` +
    (url ? '  <EncodingType>url</EncodingType>\n' : '') +
    `  <Prefix>${enc(prefix)}</Prefix>\n  <Marker>${enc(marker)}</Marker>\n  <MaxKeys>${max}</MaxKeys>\n` +
    (delimiter ? `  <Delimiter>${enc(delimiter)}</Delimiter>\n` : '') +
    `  <IsTruncated>${truncated}</IsTruncated>\n` +
    (truncated ? `  <NextMarker>${enc(last ? (last.prefix ?? last.item.key) : marker)}</NextMarker>\n` : '') +
    entries
      .filter((e) => e.prefix !== undefined)
      .map((e) => `  <CommonPrefixes>\n    <Prefix>${enc(e.prefix)}</Prefix>\n  </CommonPrefixes>\n`)
      .join('') +
    entries
      .filter((e) => e.item)
      .map((e) => contentsXml(e.item, cos.appId, enc))
      .join('') +
    '</ListBucketResult>\n';
  sendXml(res, 200, body);
};
