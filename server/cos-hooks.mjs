// The local COS server's test hooks: the request history (`state.history`) and faults injected on
// purpose (`inject`): failures answered instead of serving (a COS error, an <Error> in a 200, a cut
// connection), and requests served with a twist (a delay, a byte flipped on the way in, a wrong CRC
// header, the answer lost). Every function takes the server's state (cos-server.mjs): `state`,
// `historyLimit` and `injections`.
import { findAuth } from './cos-auth.mjs';
import { CRC_HEADER } from './cos-crc.mjs';

/** COS's messages for the codes tests inject most. */
const MESSAGES = {
  InternalError: 'We encountered an internal error. Please try again.',
  ServiceUnavailable: 'Please reduce your request rate.',
  SlowDown: 'Please reduce your request rate.',
  RequestTimeout: 'Your socket connection to the server was not read from or written to within the timeout period.',
};

/**
 * The lowercase header names a request's signature covers (q-header-list of its Authorization header
 * or presigned-URL query; `query` decoded [name, value] pairs). [] for an unsigned request.
 */
export const signedHeaderNames = (headers, query = []) => {
  const list = findAuth(headers, query)?.auth['q-header-list'];
  if (!list) return [];
  return list.split(';').map((n) => {
    try {
      return decodeURIComponent(n).toLowerCase();
    } catch {
      return n.toLowerCase();
    }
  });
};

/**
 * Logs a request in `state.history` (the last `historyLimit`) as { method, key, query, status }; its
 * status is filled in when the answer starts (0 if none came: the connection was cut). Each entry also
 * has `headers` (the request's headers, lowercase names) and `signed` (the lowercase names of the
 * headers its signature covers), not enumerable: an entry still equals its { method, key, query,
 * status } in a test, and does not print its headers. Returns the entry.
 */
export const track = (cos, req, res, key) => {
  const { history } = cos.state;
  const entry = { method: req.method, key, query: {}, status: undefined };
  Object.defineProperty(entry, 'headers', { value: { ...req.headers }, writable: true });
  Object.defineProperty(entry, 'signed', { value: signedHeaderNames(req.headers), writable: true });
  history.push(entry);
  if (history.length > cos.historyLimit) history.splice(0, history.length - cos.historyLimit);
  const writeHead = res.writeHead;
  res.writeHead = function (status, ...rest) {
    entry.status = status;
    return writeHead.call(this, status, ...rest);
  };
  res.on('close', () => {
    if (entry.status === undefined) entry.status = res.headersSent ? res.statusCode : 0;
  });
  return entry;
};

/** The first injected rule whose `when` matches this request ({ method, key, query }), used up by one. */
export const takeInjection = (cos, info) => {
  for (const rule of cos.injections) {
    let hit = false;
    try {
      hit = !!rule.when(info);
    } catch {}
    if (!hit) continue;
    if (--rule.remaining <= 0) cos.injections.splice(cos.injections.indexOf(rule), 1);
    return rule;
  }
};

/** request -> the serving rule applied to it (read by `flipOffset`). */
const serving = new WeakMap();

/**
 * Applies a serving rule (`rule.serve`) to a request about to be served: `cutAfter` replaces the
 * answer by a cut connection (whatever the handler answers, success or refusal); `crc64` replaces the
 * CRC header of a 2xx answer (or adds it); `flip` is read by the handlers that receive a body
 * (`flipOffset`).
 */
export const serveInjected = (rule, req, res) => {
  serving.set(req, rule);
  if (rule.crc64 !== undefined) {
    const writeHead = res.writeHead;
    res.writeHead = function (status, ...rest) {
      if (status >= 200 && status < 300) {
        const h = rest.find((x) => x && typeof x === 'object' && !Array.isArray(x));
        if (h) for (const n of Object.keys(h)) if (n.toLowerCase() === CRC_HEADER) delete h[n];
        res.setHeader(CRC_HEADER, rule.crc64);
      }
      return writeHead.call(this, status, ...rest);
    };
  }
  if (rule.cutAfter) {
    const cut = () => {
      req.socket.destroy();
      return res;
    };
    res.writeHead = cut;
    res.write = () => (cut(), false);
    res.end = cut;
  }
};

/**
 * Where an injected `flip` inverts a byte of this request's body: `flipAt`, else the middle of the
 * declared Content-Length (offset 0 without one). Undefined when no flip applies.
 */
export const flipOffset = (req) => {
  const rule = serving.get(req);
  if (!rule?.flip) return undefined;
  return rule.flipAt ?? Math.floor(+(req.headers['content-length'] || 0) / 2);
};

/** Adds a rule (see `inject` in cos-server.mjs) and returns it. */
export const inject = (cos, options = {}) => {
  const {
    when = () => true,
    times = 1,
    destroy = false,
    errorIn200 = false,
    cutAfter = false,
    flipAt,
    crc64,
    delayMs = 0,
  } = options;
  const flip = !!options.flip || flipAt !== undefined;
  if (typeof when !== 'function')
    throw new TypeError('inject: `when` must be a function ({ method, key, query }) => boolean');
  if (!Number.isInteger(times) || times < 1) throw new TypeError('inject: `times` must be a positive integer');
  if (!(Number.isFinite(delayMs) && delayMs >= 0)) throw new TypeError('inject: `delayMs` must be a number ≥ 0');
  if (flipAt !== undefined && !(Number.isSafeInteger(flipAt) && flipAt >= 0))
    throw new TypeError('inject: `flipAt` must be an integer ≥ 0');
  const fails =
    destroy ||
    errorIn200 ||
    options.status !== undefined ||
    options.code !== undefined ||
    options.message !== undefined;
  const twists = !!cutAfter || flip || crc64 !== undefined;
  if (fails && twists)
    throw new TypeError(
      'inject: a rule fails a request (status, code, message, errorIn200, destroy) ' +
        'or serves it (cutAfter, flip, crc64), not both',
    );
  const code = options.code ?? 'InternalError';
  const rule = {
    when,
    remaining: times,
    status: options.status ?? 500,
    code,
    message: options.message ?? MESSAGES[code] ?? `Injected by a test: ${code}.`,
    destroy,
    errorIn200,
    cutAfter: !!cutAfter,
    flip,
    flipAt,
    crc64: crc64 === undefined ? undefined : String(crc64),
    delayMs,
    /** Served (with its twists, after its delay) rather than failed. */
    serve: twists || (delayMs > 0 && !fails),
    cancel() {
      const i = cos.injections.indexOf(rule);
      if (i >= 0) cos.injections.splice(i, 1);
    },
  };
  cos.injections.push(rule);
  return rule;
};
