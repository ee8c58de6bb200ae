// The local COS server's test hooks: the request history (`state.history`) and failures injected on
// purpose (`inject`). Every function takes the server's state (cos-server.mjs): `state`,
// `historyLimit` and `injections`.

/** COS's messages for the codes tests inject most. */
const MESSAGES = {
  InternalError: 'We encountered an internal error. Please try again.',
  ServiceUnavailable: 'Please reduce your request rate.',
  SlowDown: 'Please reduce your request rate.',
  RequestTimeout: 'Your socket connection to the server was not read from or written to within the timeout period.',
};

/**
 * Logs a request in `state.history` (the last `historyLimit`) as { method, key, query, status }; its
 * status is filled in when the answer starts (0 if none came: the connection was cut). Returns the entry.
 */
export const track = (cos, req, res, key) => {
  const { history } = cos.state;
  const entry = { method: req.method, key, query: {}, status: undefined };
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

/** The first injected failure whose `when` matches this request ({ method, key, query }), used up by one. */
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

/** Adds a failure rule (see `inject` in cos-server.mjs) and returns it. */
export const inject = (
  cos,
  {
    when = () => true,
    times = 1,
    status = 500,
    code = 'InternalError',
    message,
    destroy = false,
    errorIn200 = false,
  } = {},
) => {
  if (typeof when !== 'function')
    throw new TypeError('inject: `when` must be a function ({ method, key, query }) => boolean');
  if (!Number.isInteger(times) || times < 1) throw new TypeError('inject: `times` must be a positive integer');
  const rule = {
    when,
    remaining: times,
    status,
    code,
    message: message ?? MESSAGES[code] ?? `Injected by a test: ${code}.`,
    destroy,
    errorIn200,
    cancel() {
      const i = cos.injections.indexOf(rule);
      if (i >= 0) cos.injections.splice(i, 1);
    },
  };
  cos.injections.push(rule);
  return rule;
};
