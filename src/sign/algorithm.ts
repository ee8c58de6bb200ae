/**
 * The COS request signature (`q-sign-algorithm=sha1`), step by step as COS's documentation names it.
 * Pure functions over already-validated input; the hashing is done by a {@link HashBackend}.
 * The steps are those of docs/signing.md; the numbers in the comments refer to them.
 */

/** Step 6: UTF-8, then percent-encode every byte but `A-Z a-z 0-9 - _ . ~`, uppercase hex (RFC 3986). */
export const encode = (s: string): string => {
  // The common cases cheaply: nothing to encode, or nothing encodeURIComponent leaves that must be.
  if (/^[\w.~-]*$/.test(s)) return s;
  s = encodeURIComponent(s);
  return /[!'()*]/.test(s) ? s.replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()) : s;
};

/** Step 4: the headers COS signs, by lowercased name. Every other header is left out of the signature. */
export const isSignedHeader = (lowerName: string): boolean =>
  /^(cache-control|content-(disposition|encoding|type|md5|length)|expect|expires|host|origin|range)$/.test(lowerName) ||
  /^(x-cos-|x-ci-)|^(if-(none-)?match|if-(un)?modified-since|transfer-encoding|pic-operations)$/.test(lowerName);

/** Step 1: `"${start};${end}"` in epoch seconds — both the `q-sign-time` and the `q-key-time`. */
export const keyTime = (start: number, end: number): string => start + ';' + end;

/** An encoded name (already lowercased) and its encoded value. */
export type Pair = [name: string, value: string];

/**
 * Steps 6–7: the pairs sorted by encoded lowercase name, as `name=value&…` for the HttpString and as
 * the `;`-joined name list for `q-header-list` / `q-url-param-list`.
 */
export const canonical = (pairs: Pair[]): [list: string, joined: string] => {
  // Sorted in place (callers pass arrays of their own), by insertion: there are few, and Array#sort
  // allocates work arrays. Names are unique (given twice is refused), so comparing with > is enough.
  let i = 0;
  for (const p of pairs) {
    let j = i++;
    while (j && pairs[j - 1][0] > p[0]) pairs[j] = pairs[--j];
    pairs[j] = p;
  }
  let list = '';
  let joined = '';
  for (const p of pairs) (list += (list && ';') + p[0]), (joined += (joined && '&') + p[0] + '=' + p[1]);
  return [list, joined];
};

/** Step 8: `${method}\n${path}\n${params}\n${headers}\n`, method lowercased. */
export const httpString = (method: string, path: string, params: string, headers: string): string =>
  method.toLowerCase() + '\n' + path + '\n' + params + '\n' + headers + '\n';

/** Step 9: `sha1\n${keyTime}\n${hex SHA-1 of the HttpString}\n`. */
export const stringToSign = (time: string, httpStringSha1: string): string =>
  'sha1\n' + time + '\n' + httpStringSha1 + '\n';

/**
 * Step 11: the Authorization value up to the signature (the last field: append it), fields in COS's order, values raw.
 */
export const authorization = (secretId: string, time: string, headerList: string, paramList: string): string =>
  `q-sign-algorithm=sha1&q-ak=${secretId}&q-sign-time=${time}&q-key-time=${time}` +
  `&q-header-list=${headerList}&q-url-param-list=${paramList}&q-signature=`;

/**
 * A presigned URL's path: the key without one leading `/`, encoded as in step 6 but keeping `/`.
 * A `.` or `..` segment would be collapsed by URL parsers (WHATWG URL, fetch, browsers), so the `/`
 * after it — or, for a last segment, before it — is sent as `%2F`. Returns `undefined` for keys that
 * are only such a segment: no URL can carry them.
 */
export const urlPath = (key: string): string | undefined => {
  const segs = (key[0] == '/' ? key.slice(1) : key).split('/');
  const dot = (s: string | undefined) => s == '.' || s == '..';
  if (segs.length == 1 && dot(segs[0])) return undefined;
  let out = encode(segs[0]);
  for (let i = 1; i < segs.length; i++)
    out += (dot(segs[i - 1]) || (i == segs.length - 1 && dot(segs[i])) ? '%2F' : '/') + encode(segs[i]);
  return '/' + out;
};
