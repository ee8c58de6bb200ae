/** Listing a bucket's objects (GET Bucket), page by page. */
import { must } from './errors.js';
import { answer, moved, send } from './send.js';
import { int } from './multipart.js';
import { all, text } from './xml.js';
import type { CosSigner } from './signer.js';

/** Options of {@link listObjects}. */
export interface ListObjectsOptions {
  /** `BucketName-APPID`. */
  bucket: string;
  /** Only keys that start with this. */
  prefix?: string;
  /** Group keys by what lies between `prefix` and this character into `prefixes` ("folders"), e.g. `/`. */
  delimiter?: string;
  /** Entries (objects and prefixes) per page, 1 to 1000. @defaultValue 1000 */
  pageSize?: number;
  /** Stops the request in flight. */
  signal?: AbortSignal;
  /** Extra attempts on network errors, 5xx and 429. @defaultValue 3 */
  retries?: number;
}

/** An object as the listing shows it. */
export interface ObjectInfo {
  key: string;
  /** Bytes. */
  size: number;
  /** As COS gives it (quoted). */
  etag: string;
  lastModified: Date;
}

/** One page of {@link listObjects}. */
export interface ObjectsPage {
  objects: ObjectInfo[];
  /** The common prefixes ("folders") of this page, with `delimiter`. */
  prefixes: string[];
}

const str = (name: string, v: unknown) => v === undefined || typeof v == 'string' || must('ERR_INVALID_OPTION', name, 'a string', v);

/** The implementation of the same-named function in lazy.ts (documented there). */
export async function* listObjects(signer: CosSigner, options: ListObjectsOptions): AsyncGenerator<ObjectsPage, void, undefined> {
  const o = options && typeof options == 'object' ? options : must('ERR_INVALID_OPTION', 'list options', 'an object', options);
  const { bucket, prefix, delimiter, pageSize = 1000, signal, retries } = o;
  str('prefix', prefix);
  str('delimiter', delimiter);
  int('pageSize', pageSize, 1, 1000);
  for (let marker: string[] | undefined = ['']; marker; ) {
    const params: Record<string, string | number> = { 'max-keys': pageSize };
    if (prefix) params.prefix = prefix;
    if (delimiter) params.delimiter = delimiter;
    if (marker[0]) params.marker = marker[0];
    const el = answer(await send(signer, { method: 'GET', bucket, key: '/', params, signal, retries }), 'ListBucketResult', 'GET Bucket');
    const objects = all(el, 'Contents').map((c) => ({ key: text(c, 'Key')!, size: +text(c, 'Size')!, etag: text(c, 'ETag')!, lastModified: new Date(text(c, 'LastModified')!) }));
    const prefixes = all(el, 'CommonPrefixes').map((c) => text(c, 'Prefix')!);
    // COS sends NextMarker when a page is cut short; should it not, the page's last entry is the marker.
    const last = [objects[objects.length - 1]?.key ?? '', prefixes[prefixes.length - 1] ?? ''].sort()[1]!;
    const next = text(el, 'IsTruncated') == 'true' ? [text(el, 'NextMarker') || last] : undefined;
    yield { objects, prefixes };
    marker = moved(marker, next);
  }
}
