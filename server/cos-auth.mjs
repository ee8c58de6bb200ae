// How COS checks a request's signature (q-sign-algorithm=sha1), written from Tencent's documentation
// with node:crypto and nothing from src/ or dist/: the demo server must not trust the code it tests.
// Every check works on what was actually received: the method, the decoded path, the query parameters
// named in q-url-param-list and the headers named in q-header-list.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** RFC 3986 encoding of UTF-8 bytes, uppercase hex: everything but A-Z a-z 0-9 - _ . ~ */
export const cosEncode = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

const sha1 = (s) => createHash('sha1').update(s, 'utf8').digest('hex');
const hmac = (key, s) => createHmac('sha1', key).update(s, 'utf8').digest('hex');

/** The SignKey and the signature of a string to sign, as COS computes them. */
export const signWith = (secretKey, keyTime, signTime, text) =>
  hmac(hmac(secretKey, keyTime), `sha1\n${signTime}\n${sha1(text)}\n`);

/** COS's signature of a POST Object policy: HMAC(SignKey, sha1(policy text)). */
export const signPolicy = (secretKey, keyTime, policyText) => hmac(hmac(secretKey, keyTime), sha1(policyText));

const AUTH_FIELDS = [
  'q-sign-algorithm',
  'q-ak',
  'q-sign-time',
  'q-key-time',
  'q-header-list',
  'q-url-param-list',
  'q-signature',
];

/** Splits a raw query string into decoded [name, value] pairs (`+` is a space, as in forms). */
export const parseQuery = (raw) => {
  const out = [];
  for (const part of (raw || '').split('&')) {
    if (!part) continue;
    const i = part.indexOf('=');
    const dec = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
    out.push(i < 0 ? [dec(part), ''] : [dec(part.slice(0, i)), dec(part.slice(i + 1))]);
  }
  return out;
};

/** Parses `q-…=…&q-…=…` (the Authorization header) into an object; undefined if it is not one. */
export const parseAuthorization = (value) => {
  const out = {};
  for (const part of String(value).split('&')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim().toLowerCase()] = part.slice(i + 1).trim();
  }
  return out['q-ak'] || out['q-signature'] ? out : undefined;
};

/**
 * Finds the signature a request carries: the Authorization header, or the q-* query parameters of a
 * presigned URL. Returns { auth, from: 'header' | 'query' } or undefined (an anonymous request).
 */
export const findAuth = (headers, query) => {
  if (headers.authorization) return { auth: parseAuthorization(headers.authorization) || {}, from: 'header' };
  const q = Object.fromEntries(
    query.filter(([k]) => AUTH_FIELDS.includes(k.toLowerCase())).map(([k, v]) => [k.toLowerCase(), v]),
  );
  return q['q-ak'] || q['q-signature'] ? { auth: q, from: 'query' } : undefined;
};

/**
 * The HttpString COS signs, rebuilt from the request as received. `query` are decoded pairs (the q-*
 * fields of a presigned URL excluded), `headers` Node's lowercase header object. The Host header is
 * taken as received, or without its port when `hostPort` is false (see verifyRequest). Returns
 * undefined when a listed param or header is missing: the signature cannot match then.
 */
export const httpStringOf = ({ method, path, query, headers, headerList, paramList, hostPort = false }) => {
  const params = new Map();
  for (const [k, v] of query)
    if (!AUTH_FIELDS.includes(k.toLowerCase())) params.set(cosEncode(k).toLowerCase(), cosEncode(v));
  const wantedParams = paramList ? paramList.split(';') : [];
  const wantedHeaders = headerList ? headerList.split(';') : [];
  const p = [];
  for (const n of wantedParams) {
    if (!params.has(n)) return undefined;
    p.push([n, params.get(n)]);
  }
  const h = [];
  for (const n of wantedHeaders) {
    const name = decodeURIComponent(n);
    let v = headers[name];
    if (v === undefined) return undefined;
    if (Array.isArray(v)) v = v.join(',');
    if (name === 'host') v = (hostPort ? v : v.replace(/:\d+$/, '')).toLowerCase();
    h.push([n, cosEncode(String(v).trim())]);
  }
  const join = (list) =>
    list
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
  return `${method.toLowerCase()}\n${path}\n${join(p)}\n${join(h)}\n`;
};

/** Constant-time comparison of two hex signatures. */
export const sameSignature = (a, b) => {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Parses "start;end" (epoch seconds); undefined when malformed. */
export const parseWindow = (s) => {
  const m = /^(\d{1,12});(\d{1,12})$/.exec(String(s || ''));
  return m && +m[1] <= +m[2] ? [+m[1], +m[2]] : undefined;
};

/** A COS refusal: HTTP status, COS code and message. */
export class CosRefusal extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** How far ahead of the server clock a signature's start may be before COS calls the clock skewed. */
export const SKEW_TOLERANCE_S = 60;

/**
 * Checks the credentials part common to signed requests and POST forms: algorithm, known key, token,
 * time window. `keys.get(secretId)` → { secretKey, token?, expiresAt? (ms on the server's clock) }.
 * Returns the key record. Throws a CosRefusal.
 */
export const checkKey = ({ auth, keys, token, nowMs }) => {
  for (const f of ['q-sign-algorithm', 'q-ak', 'q-sign-time', 'q-key-time', 'q-signature'])
    if (!auth[f]) throw new CosRefusal(403, 'AccessDenied', `Invalid Authorization: ${f} is missing.`);
  if (auth['q-sign-algorithm'] !== 'sha1')
    throw new CosRefusal(400, 'InvalidArgument', 'q-sign-algorithm must be sha1.');
  const key = keys.get(auth['q-ak']);
  if (!key) throw new CosRefusal(403, 'InvalidAccessKeyId', 'The SecretId you provided does not exist in our records.');
  if (key.token !== undefined || token !== undefined) {
    if (key.token === undefined || token === undefined || !sameSignature(key.token, token))
      throw new CosRefusal(
        403,
        'InvalidAccessKeyId',
        'The security token is missing or does not belong to this SecretId.',
      );
    if (key.expiresAt !== undefined && key.expiresAt <= nowMs)
      throw new CosRefusal(400, 'ExpiredToken', 'The provided token has expired.');
  }
  const win = parseWindow(auth['q-sign-time']);
  if (!win || !parseWindow(auth['q-key-time']))
    throw new CosRefusal(403, 'AccessDenied', 'Invalid Authorization: q-sign-time is malformed.');
  const now = Math.floor(nowMs / 1000);
  if (win[1] < now) throw new CosRefusal(403, 'AccessDenied', 'Request has expired');
  if (win[0] > now + SKEW_TOLERANCE_S)
    throw new CosRefusal(
      403,
      'RequestTimeTooSkewed',
      "The difference between the request time and the server's time is too large.",
    );
  return key;
};

/**
 * Verifies a signed request (header or presigned-URL form). Throws a CosRefusal; returns
 * { secretId } on success. `path` is the percent-decoded URL path.
 *
 * Real COS never sees a port, but a local server does, and the SDK families disagree about it: the
 * Python SDK (and cos-sign with `domain: '127.0.0.1:8788'`) sign the host name alone, cos-nodejs-sdk-v5
 * and cos-js-sdk-v5 sign `127.0.0.1:8788` when their Domain has a port. So a signed Host with a port is
 * checked as received and then without its port; either one matching is a pass.
 */
export const verifyRequest = ({ method, path, query, headers, keys, nowMs }) => {
  const found = findAuth(headers, query);
  if (!found) throw new CosRefusal(403, 'AccessDenied', 'Access Denied.');
  const { auth, from } = found;
  const tokenParam = query.find(([k]) => k.toLowerCase() === 'x-cos-security-token');
  const token = headers['x-cos-security-token'] ?? tokenParam?.[1];
  checkKey({ auth, keys, token, nowMs });
  const key = keys.get(auth['q-ak']);
  const headerList = auth['q-header-list'] || '';
  const hostForms =
    headerList.split(';').includes('host') && /:\d+$/.test(headers.host || '') ? [true, false] : [false];
  const matches = (hostPort) => {
    const text = httpStringOf({
      method,
      path,
      query,
      headers,
      headerList,
      paramList: auth['q-url-param-list'] || '',
      hostPort,
    });
    return (
      text !== undefined &&
      sameSignature(signWith(key.secretKey, auth['q-key-time'], auth['q-sign-time'], text), auth['q-signature'])
    );
  };
  if (!hostForms.some(matches))
    throw new CosRefusal(403, 'SignatureDoesNotMatch', 'The Signature you specified is invalid.');
  return { secretId: auth['q-ak'], from };
};
