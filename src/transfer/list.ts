/** Listing a bucket's objects (GET Bucket), page by page. */
import { must } from '../core/errors.js';
import { int, object } from '../core/validate.js';
import { all, text } from '../core/xml.js';
import { pages } from '../send/send.js';
import type { CosSigner } from '../sign/signer.js';

/** Options of {@link listObjects}. */
export interface ListObjectsOptions {
  /** `BucketName-APPID`. */
  bucket: string;
  /** Only keys that start with this. */
  prefix?: string;
  /** Group keys by what lies between `prefix` and this character into `prefixes` ("folders"), e.g. `/`. */
  delimiter?: string;
  /** Start after this key (a page's `nextMarker`, to go on where an earlier listing stopped). */
  marker?: string;
  /** Entries (objects and prefixes) per page, 1 to 1000. @defaultValue 1000 */
  pageSize?: number;
  /** Stops the request in flight. */
  signal?: AbortSignal;
  /** Extra attempts on network errors, 5xx and 429. @defaultValue 3 */
  retries?: number;
}

/** An object as the listing shows it. */
export interface ObjectInfo {
  /** The object key. */
  key: string;
  /** Bytes. */
  size: number;
  /** As COS gives it (quoted). */
  etag: string;
  /** When it was last written. */
  lastModified: Date;
}

/** One page of {@link listObjects}. */
export interface ObjectsPage {
  /** The objects of this page, in key order. */
  objects: ObjectInfo[];
  /** The common prefixes ("folders") of this page, with `delimiter`. */
  prefixes: string[];
  /** Where the next page starts (its `marker`); absent on the last page. */
  nextMarker?: string;
}

/**
 * Lists a bucket's objects (under `prefix`, grouped by `delimiter`), one page per iteration: each page
 * is fetched when the loop asks for it, and every page is visited.
 *
 * @example
 * ```ts
 * for await (const page of listObjects(signer, { bucket, prefix: 'photos/', delimiter: '/' }))
 *   for (const o of page.objects) console.log(o.key, o.size, o.lastModified);
 * ```
 */
export async function* listObjects(
  signer: CosSigner,
  o: ListObjectsOptions,
): AsyncGenerator<ObjectsPage, void, undefined> {
  object(o, 'list options');
  const params: Record<string, string | number> = { 'max-keys': int('pageSize', o.pageSize ?? 1000, 1, 1000) };
  for (const name of ['prefix', 'delimiter', 'marker'] as const) {
    const v = o[name];
    if (v !== undefined) params[name] = typeof v == 'string' ? v : must('ERR_INVALID_OPTION', name, 'a string', v);
  }
  for await (const el of pages(signer, { ...o, key: '/', method: 'GET', params }, 'ListBucketResult', [
    ['marker', 'NextMarker'],
  ]))
    yield {
      objects: all(el, 'Contents').map((c) => ({
        key: text(c, 'Key')!,
        size: +text(c, 'Size')!,
        etag: text(c, 'ETag')!,
        lastModified: new Date(text(c, 'LastModified')!),
      })),
      prefixes: all(el, 'CommonPrefixes').map((c) => text(c, 'Prefix')!),
      nextMarker: text(el, 'IsTruncated') == 'true' ? text(el, 'NextMarker') : undefined,
    };
}
