// A stand-in for Tencent Cloud STS on 127.0.0.1 (port 0): cos-sign/server's `stsEndpoint` (its keys are
// registered with the local COS server through `onIssue`), test/sts.test.ts and the demo's real-COS
// test. It checks each call with its own node:crypto code, written from Tencent's documentation and
// independent of src/, and answers as STS does (HTTP 200 with a JSON `Response`, errors included):
// - API 3.0 (cos-sign/sts): POST JSON, TC3-HMAC-SHA256 over `content-type;host` with the host signed
//   without its port, X-TC-Action / -Version / -Timestamp / -Region; the timestamp within 5 minutes;
//   GetFederationToken { Name, Policy, DurationSeconds } and AssumeRole { RoleArn, RoleSessionName,
//   DurationSeconds, Policy? }, Policy being URL-encoded JSON;
// - the older form API that qcloud-cos-sts speaks (HmacSHA1 or HmacSHA256, SignatureMethod, over the
//   sorted parameters), so the official helper works against it too (over TLS: it only speaks https).
// The policy is read and kept (`calls`), not enforced: the keys it issues may do what the permanent ones may.
//
//   const sts = await startStsStandIn({ keys: { AKIDxxx: 'secret' }, cors: true });
//   sts.url            'http://127.0.0.1:<port>/'
//   sts.calls          [{ protocol, action, headers, body, params, policy, error?, answer? }]
//   sts.next = (call) => ({ status, headers, body })   answer the next call like this instead (once)
//   await sts.close()
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

const MAX_BODY = 1024 * 1024;
const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const hmac256 = (key, data) => createHmac('sha256', key).update(data, 'utf8').digest();
const same = (a, b) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const utcDate = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 10);

/** The TC3 signature STS expects for a request, from what arrived on the wire. */
export const tc3Signature = ({ secretKey, path, query, contentType, host, body, timestamp, service = 'sts' }) => {
  const date = utcDate(timestamp);
  const canonical = `POST\n${path}\n${query}\ncontent-type:${contentType}\nhost:${host}\n\ncontent-type;host\n${sha256(body)}`;
  const toSign = `TC3-HMAC-SHA256\n${timestamp}\n${date}/${service}/tc3_request\n${sha256(canonical)}`;
  const key = hmac256(hmac256(hmac256('TC3' + secretKey, date), service), 'tc3_request');
  return createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
};

class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const refuse = (code, message) => {
  throw new Refusal(code, message);
};

/** Checks an API 3.0 call; returns { action, params, policy } or throws a Refusal. */
const checkTc3 = (req, raw, keys, nowS) => {
  const h = req.headers;
  if (req.method !== 'POST') refuse('UnsupportedOperation', `method ${req.method}`);
  if (h['content-type'] !== 'application/json; charset=utf-8')
    refuse('InvalidParameter', `content-type ${h['content-type']}`);
  const m =
    /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([a-z]+)\/tc3_request, SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})$/.exec(
      h.authorization || '',
    );
  if (!m)
    refuse(
      'AuthFailure.InvalidAuthorization',
      'Authorization is not TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…',
    );
  const [, secretId, date, service, signedHeaders, signature] = m;
  if (h['x-tc-version'] !== '2018-08-13') refuse('InvalidParameter', `X-TC-Version ${h['x-tc-version']}`);
  if (!h['x-tc-region']) refuse('MissingParameter', 'X-TC-Region');
  const action = h['x-tc-action'];
  if (action !== 'GetFederationToken' && action !== 'AssumeRole') refuse('InvalidAction', `X-TC-Action ${action}`);
  if (!/^\d+$/.test(h['x-tc-timestamp'] || '')) refuse('MissingParameter', 'X-TC-Timestamp');
  const timestamp = Number(h['x-tc-timestamp']);
  if (Math.abs(nowS - timestamp) > 300)
    refuse('AuthFailure.SignatureExpire', `signature expired: timestamp ${timestamp}, server time ${nowS}`);
  if (service !== 'sts' || date !== utcDate(timestamp) || signedHeaders !== 'content-type;host')
    refuse('AuthFailure.InvalidAuthorization', `credential scope ${date}/${service}, signed headers ${signedHeaders}`);
  const secretKey = keys.get(secretId);
  if (secretKey === undefined) refuse('AuthFailure.SecretIdNotFound', `SecretId ${secretId} not found`);
  const [path, query = ''] = req.url.split(/\?(.*)/s);
  // The host as signed: the Host header without its port, lowercase.
  const host = h.host.replace(/:\d+$/, '').toLowerCase();
  const want = tc3Signature({ secretKey, path, query, contentType: h['content-type'], host, body: raw, timestamp });
  if (!same(want, signature))
    refuse(
      'AuthFailure.SignatureFailure',
      'The provided credentials could not be validated. Please check your signature is correct.',
    );
  let params;
  try {
    params = JSON.parse(raw.toString('utf8'));
  } catch {
    refuse('InvalidParameter', 'the body is not JSON');
  }
  const need = action === 'GetFederationToken' ? ['Name', 'Policy'] : ['RoleArn', 'RoleSessionName'];
  for (const n of need)
    if (typeof params[n] !== 'string' || !params[n])
      refuse('MissingParameter', `The request is missing a required parameter \`${n}\`.`);
  if (params.DurationSeconds !== undefined && !Number.isInteger(params.DurationSeconds))
    refuse('InvalidParameter', 'DurationSeconds');
  return { action, params, policy: decodePolicy(params.Policy) };
};

/** The policy from its URL-encoded JSON text (undefined when absent). */
const decodePolicy = (p) => {
  if (p === undefined) return undefined;
  let policy;
  try {
    policy = JSON.parse(decodeURIComponent(p));
  } catch {
    refuse('InvalidParameterValue.PolicyError', 'Policy is not URL-encoded JSON');
  }
  if (!Array.isArray(policy?.statement)) refuse('InvalidParameterValue.PolicyError', 'Policy has no statement');
  return policy;
};

/** Checks a call of the older form API (qcloud-cos-sts): HmacSHA1, base64, over the sorted parameters. */
const checkV2 = (req, raw, keys, nowS) => {
  const params = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  const { Signature, ...rest } = params;
  const secretKey = keys.get(params.SecretId);
  if (secretKey === undefined) refuse('AuthFailure.SecretIdNotFound', `SecretId ${params.SecretId} not found`);
  const method = params.SignatureMethod ?? 'HmacSHA1';
  if (method !== 'HmacSHA1' && method !== 'HmacSHA256')
    refuse('InvalidParameter', `SignatureMethod ${method}: HmacSHA1 or HmacSHA256`);
  if (!/^\d+$/.test(params.Timestamp || '') || Math.abs(nowS - Number(params.Timestamp)) > 300)
    refuse('AuthFailure.SignatureExpire', `signature expired: Timestamp ${params.Timestamp}, server time ${nowS}`);
  const text =
    'POST' +
    req.headers.host +
    '/?' +
    Object.keys(rest)
      .sort()
      .map((k) => `${k}=${rest[k]}`)
      .join('&');
  if (
    !same(
      createHmac(method === 'HmacSHA1' ? 'sha1' : 'sha256', secretKey)
        .update(text)
        .digest('base64'),
      Signature || '',
    )
  )
    refuse('AuthFailure.SignatureFailure', 'bad signature');
  return {
    action: params.Action,
    params: { ...rest, DurationSeconds: Number(rest.DurationSeconds) },
    policy: decodePolicy(params.Policy),
  };
};

/**
 * Starts the stand-in. keys: { secretId: secretKey } (more with sts.keys.set); now: the server clock
 * in ms; tls: { cert, key } to serve https (for qcloud-cos-sts); cors: answer CORS preflights and allow
 * any origin (real STS does not: for happy-dom, whose fetch enforces CORS like a browser); onIssue:
 * called with each answer's Credentials and ExpiredTime before it is sent; host and port to listen on;
 * callsLimit: how many calls `calls` keeps; log: one line per call (its action and outcome, never a key).
 */
export const startStsStandIn = async ({
  keys = {},
  now = () => Date.now(),
  tls,
  cors = false,
  onIssue,
  log,
  host = '127.0.0.1',
  port = 0,
  callsLimit = 1000,
} = {}) => {
  const state = { keys: new Map(Object.entries(keys)), calls: [], next: undefined };
  const handler = (req, res) => {
    if (cors) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      if (req.method === 'OPTIONS') {
        const h = {
          'Access-Control-Allow-Methods': 'POST',
          'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] || '*',
          'Access-Control-Max-Age': '600',
        };
        return req.resume().on('end', () => res.writeHead(204, h).end());
      }
    }
    // An STS call is a few KiB: past 1 MiB the body is read to its end but not kept (InvalidParameter).
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const raw = size > MAX_BODY ? Buffer.from('') : Buffer.concat(chunks);
      const v2 = (req.headers['content-type'] || '').startsWith('application/x-www-form-urlencoded');
      const call = {
        protocol: v2 ? 'v2' : 'tc3',
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: raw.toString('utf8'),
      };
      state.calls.push(call);
      if (state.calls.length > callsLimit) state.calls.shift();
      const send = (status, headers, body) => res.writeHead(status, headers).end(body);
      if (state.next) {
        const { status = 200, headers = {}, body = '' } = state.next(call);
        state.next = undefined;
        return send(status, headers, body);
      }
      const requestId = randomUUID();
      const json = (Response) => send(200, { 'Content-Type': 'application/json' }, JSON.stringify({ Response }));
      try {
        const nowS = Math.floor(now() / 1000);
        const { action, params, policy } = v2
          ? checkV2(req, raw, state.keys, nowS)
          : checkTc3(req, raw, state.keys, nowS);
        Object.assign(call, { action, params, policy });
        const expiredTime = nowS + (params.DurationSeconds ?? (action === 'AssumeRole' ? 7200 : 1800));
        call.answer = {
          Credentials: {
            Token: randomBytes(48).toString('base64url'),
            TmpSecretId: 'AKIDtmp' + randomBytes(12).toString('hex'),
            TmpSecretKey: randomBytes(24).toString('base64url'),
          },
          ExpiredTime: expiredTime,
          Expiration: new Date(expiredTime * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
          RequestId: requestId,
        };
        onIssue?.(call.answer);
        log?.(`STS ${action} → ok`);
        json(call.answer);
      } catch (e) {
        // Anything unforeseen is STS's InternalError, never a crash of the process serving it.
        call.error =
          e instanceof Refusal
            ? { Code: e.code, Message: e.message }
            : { Code: 'InternalError', Message: 'An internal error occurred.' };
        const named = call.action ?? req.headers['x-tc-action'] ?? new URLSearchParams(call.body).get('Action');
        log?.(`STS ${/^\w{1,40}$/.test(named ?? '') ? named : 'call'} → ${call.error.Code}`);
        json({ Error: call.error, RequestId: requestId });
      }
    });
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise((ok, ko) => server.once('error', ko).listen(port, host, ok));
  const bound = server.address().port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return Object.assign(state, {
    port: bound,
    host: `${shown}:${bound}`,
    url: `${tls ? 'https' : 'http'}://${shown}:${bound}/`,
    close: () => new Promise((r) => (server.close(r), server.closeAllConnections())),
  });
};
