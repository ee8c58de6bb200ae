// What every answer of the local COS server shares: COS's headers, CORS (headers and preflight) and
// COS's XML error. `call` is one request as the router sees it: { req, res, requestId, host,
// pathname } (pathname: decoded once the router could decode it).
import { randomBytes } from 'node:crypto';
import { XML_HEAD, xmlEscape } from './cos-xml.mjs';

/** The methods COS's API uses (and preflights allow). */
export const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
const EXPOSE = [
  'ETag',
  'Content-Length',
  'Content-Type',
  'Content-Range',
  'Content-Disposition',
  'Last-Modified',
  'Date',
  'Server',
  'x-cos-request-id',
  'Location',
  // The CRC a browser compares with its own (COS's docs: it must be exposed for a page to read it).
  'x-cos-hash-crc64ecma',
  'x-cos-server-side-encryption-customer-algorithm',
  'x-cos-server-side-encryption-customer-key-MD5',
];
const NOT_ALLOWED =
  "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
/** A CORS pattern (`*` any run of characters, as COS's rules allow one) as a case-insensitive RegExp. */
const pattern = (p) =>
  new RegExp(
    `^${p
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );

/**
 * COS's CORS rules (the shape of PUT Bucket cors: AllowedOrigin, AllowedMethod, AllowedHeader,
 * ExposeHeader, MaxAgeSeconds; a value or a list each), made ready to match. A rule without
 * AllowedMethod allows every method, without AllowedHeader any header, without ExposeHeader exposes
 * what COS's console suggests (ETag, the CRC, the request ID, Date…), without MaxAgeSeconds 600.
 */
export const corsRules = (rules) =>
  (Array.isArray(rules) ? rules : [rules]).map((r) => ({
    origins: list(r.AllowedOrigin ?? '*').map(pattern),
    methods: r.AllowedMethod === undefined ? METHODS : list(r.AllowedMethod).map((m) => m.toUpperCase()),
    headers: list(r.AllowedHeader ?? '*').map(pattern),
    expose: r.ExposeHeader === undefined ? EXPOSE : list(r.ExposeHeader),
    maxAge: String(r.MaxAgeSeconds ?? 600),
  }));

/** The first rule allowing `origin`, `method` and every one of `headers` (lowercase names), if any. */
const corsRule = (cos, origin, method, headers = []) =>
  origin
    ? cos.cors.find(
        (r) =>
          r.origins.some((o) => o.test(origin)) &&
          r.methods.includes(method) &&
          headers.every((h) => r.headers.some((p) => p.test(h))),
      )
    : undefined;

/** The headers every answer carries: Server, x-cos-request-id, Date (server clock) and, for an allowed origin, CORS. */
export const setCommonHeaders = (cos, { req, res, requestId }) => {
  res.setHeader('Server', 'tencent-cos');
  res.setHeader('x-cos-request-id', requestId);
  res.setHeader('Date', new Date(cos.now()).toUTCString());
  const origin = req.headers.origin;
  const rule = corsRule(cos, origin, req.method);
  if (!rule) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Expose-Headers', rule.expose.join(', '));
  res.setHeader('Vary', 'Origin');
};

/** OPTIONS: a CORS preflight, allowed when a rule allows its origin, method and headers. */
export const preflight = (cos, call) => {
  const { req, res } = call;
  const origin = req.headers.origin;
  const wanted = String(req.headers['access-control-request-method'] || '').toUpperCase();
  if (!origin || !wanted)
    return fail(
      cos,
      call,
      403,
      'AccessForbidden',
      'CORSResponse: OPTIONS needs the Origin and Access-Control-Request-Method headers.',
    );
  const asked = String(req.headers['access-control-request-headers'] || '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const rule = corsRule(cos, origin, wanted, asked);
  if (!rule) return fail(cos, call, 403, 'AccessForbidden', NOT_ALLOWED);
  const h = {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': rule.methods.join(','),
    'Access-Control-Max-Age': rule.maxAge,
    'Access-Control-Expose-Headers': rule.expose.join(', '),
    Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    'Content-Length': '0',
  };
  if (req.headers['access-control-request-headers'])
    h['Access-Control-Allow-Headers'] = req.headers['access-control-request-headers'];
  res.writeHead(200, h).end();
};

/** COS's <Error> document (empty for HEAD). */
const errorBody = (cos, { req, host, pathname, requestId }, code, message) =>
  req.method === 'HEAD'
    ? ''
    : `${XML_HEAD}<Error>\n  <Code>${code}</Code>\n  <Message>${xmlEscape(message)}</Message>\n  <Resource>${xmlEscape(host.replace(/:\d+$/, '') + pathname)}</Resource>\n  <RequestId>${requestId}</RequestId>\n  <TraceId>${randomBytes(24).toString('base64url')}</TraceId>\n  <ServerTime>${new Date(cos.now()).toISOString().replace(/\.\d+Z$/, 'Z')}</ServerTime>\n</Error>\n`;

/**
 * Refuses the request with COS's XML error, noted in `cos.state.refusals` (the last 200). A body still
 * arriving is read first (up to 1 GiB), so that a browser can finish sending and read the error (a
 * reset connection would only show "network error"); larger ones are cut off instead.
 */
export const fail = (cos, call, status, code, message) => {
  const { req, res } = call;
  cos.state.refusals.push({ method: req.method, path: call.pathname, status, code, message });
  if (cos.state.refusals.length > 200) cos.state.refusals.shift();
  const body = errorBody(cos, call, code, message);
  const send = () => {
    if (res.headersSent) return res.destroy();
    res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const declared = +(req.headers['content-length'] || 0);
  if (
    !req.complete &&
    (declared > 0 || req.headers['transfer-encoding']) &&
    declared <= 1024 ** 3 &&
    !req.readableEnded
  ) {
    req.on('end', send);
    req.on('error', () => res.destroy());
    req.resume();
  } else {
    if (!req.complete) res.setHeader('Connection', 'close');
    send();
  }
};
