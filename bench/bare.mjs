// The bare crypto.subtle loop: the ceiling for any COS signer on WebCrypto (issue #14). Per signature it
// makes exactly the two WebCrypto calls a signature needs and nothing else — one SHA-1 digest of the
// HttpString, one HMAC-SHA1 of the StringToSign with the SignKey, imported once — and hex-encodes their
// results (docs/signing.md, steps 9–10). Everything that is not those two calls (validation, encoding, sorting,
// the HttpString itself, the URL) is done before the clock starts, by `httpStrings` below.
// No imports: the same file runs in Node, Deno, Bun, workerd and the Chromium page.

const te = new TextEncoder();
const hex = (buf) => {
  let s = '';
  for (const b of new Uint8Array(buf)) s += (b < 16 ? '0' : '') + b.toString(16);
  return s;
};
const HMAC = { name: 'HMAC', hash: 'SHA-1' };

/**
 * The bare signer for one SignKey: `sign(httpString)` resolves to the signature (`q-signature`).
 * Resolves once the SignKey (step 2) is computed and imported.
 */
export const bareSigner = async (subtle, secretKey, time) => {
  const secret = await subtle.importKey('raw', te.encode(secretKey), HMAC, false, ['sign']);
  const signKey = hex(await subtle.sign('HMAC', secret, te.encode(time)));
  const key = await subtle.importKey('raw', te.encode(signKey), HMAC, false, ['sign']);
  return async (httpString) => {
    const hash = hex(await subtle.digest('SHA-1', te.encode(httpString)));
    return hex(await subtle.sign('HMAC', key, te.encode('sha1\n' + time + '\n' + hash + '\n')));
  };
};

/** The batch: every signature started at once and awaited together, as cos-sign's batch does. */
export const bareBatch = (sign, httpStrings) => Promise.all(httpStrings.map(sign));

// The inputs, made before timing: the HttpString (steps 3–8) of each presigned GET, for ASCII-safe
// params and headers (encodeURIComponent plus the RFC 3986 extras, as docs/signing.md step 6 asks).
const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const canon = (rec) =>
  Object.keys(rec)
    .map((n) => [enc(n).toLowerCase(), enc(String(rec[n]))])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map((p) => p[0] + '=' + p[1])
    .join('&');

/** The HttpStrings of presigned GETs of `keys` to `host`, with `params` and `headers` (host signed too). */
export const httpStrings = (keys, host, { params = {}, headers = {} } = {}) => {
  const q = canon(params);
  const h = canon({ host, ...headers });
  return keys.map((key) => 'get\n' + (key[0] === '/' ? key : '/' + key) + '\n' + q + '\n' + h + '\n');
};
