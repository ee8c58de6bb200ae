// The local COS server's request handler: reads the request's path, query and bucket (the Host's first
// label, or the first bucket for an IP address or localhost), applies an injected fault (cos-hooks.mjs),
// answers preflights, verifies the signature (cos-auth.mjs) and hands the request to the module that
// serves it. Every function takes the server's state (cos-server.mjs) first: the bucket's, once known.
import { randomBytes } from 'node:crypto';
import { CosRefusal, parseQuery, verifyRequest } from './cos-auth.mjs';
import { METHODS, fail, preflight, setCommonHeaders } from './cos-http.mjs';
import { serveInjected, signedHeaderNames, takeInjection, track } from './cos-hooks.mjs';
import { copyObject } from './cos-copy.mjs';
import { deleteMultiple } from './cos-delete.mjs';
import { listBucket } from './cos-list.mjs';
import { deleteObject, getObject, putObject } from './cos-object.mjs';
import { postObject } from './cos-post.mjs';

/** Sub-resources of the COS API this server does not implement (answered 501 NotImplemented). */
const UNSUPPORTED = new Set([
  'acl',
  'cors',
  'tagging',
  'versioning',
  'lifecycle',
  'policy',
  'website',
  'referer',
  'domain',
  'logging',
  'inventory',
  'restore',
  'select',
  'versionid',
  'append',
  'position',
  'versions',
]);
const noSuchBucket = () => new CosRefusal(404, 'NoSuchBucket', 'The specified bucket does not exist.');
const invalidUri = () => new CosRefusal(400, 'InvalidURI', 'Could not parse the specified URI.');
const notAllowed = (method) =>
  new CosRefusal(405, 'MethodNotAllowed', `The specified method ${method} is not allowed against this resource.`);

/** Serves one request. Every refusal is COS's XML error; anything unexpected is a logged InternalError. */
export const handle = async (cos, req, res) => {
  cos.state.requests++;
  const rawUrl = req.url || '/';
  const qi = rawUrl.indexOf('?');
  const rawPath = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
  const call = {
    req,
    res,
    requestId: randomBytes(18).toString('base64url'),
    host: req.headers.host || '127.0.0.1',
    pathname: rawPath,
  };
  const entry = track(cos, req, res, rawPath.replace(/^\//, ''));
  setCommonHeaders(cos, call);
  try {
    call.pathname = decode(rawPath);
    const query = decode(qi < 0 ? '' : rawUrl.slice(qi + 1), parseQuery);
    const key = call.pathname.replace(/^\//, '');
    entry.key = key;
    entry.query = Object.fromEntries(query);
    entry.signed = signedHeaderNames(req.headers, query);
    const bucket = cos.buckets.get(bucketName(cos, call.host));
    Object.defineProperty(entry, 'bucket', { value: bucket?.bucket, writable: true });
    // `when` also sees the bucket, not enumerable (a rule's spy still equals { method, key, query }).
    const info = Object.defineProperty({ method: req.method, key, query: entry.query }, 'bucket', {
      value: bucket?.bucket,
    });
    const injected = takeInjection(cos, info);
    if (injected?.delayMs) await new Promise((ok) => setTimeout(ok, injected.delayMs));
    if (injected?.destroy) return req.socket.destroy();
    if (injected?.serve) serveInjected(injected, req, res);
    else if (injected)
      return fail(cos, call, injected.errorIn200 ? 200 : injected.status, injected.code, injected.message);
    if (req.method === 'OPTIONS') return preflight(cos, call);
    if (!bucket) throw noSuchBucket();
    return await route(bucket, call, key, query);
  } catch (e) {
    if (e instanceof CosRefusal) return fail(cos, call, e.status, e.code, e.message);
    cos.log?.(`internal error: ${e?.stack || e}`);
    return fail(cos, call, 500, 'InternalError', 'We encountered an internal error. Please try again.');
  }
};

/**
 * The bucket a Host names: its first label (`<bucket>.cos.<region>.myqcloud.com`, `<bucket>.localhost`),
 * or, for an IP address or `localhost`, the first bucket. Undefined when it names none of the buckets.
 */
export const bucketName = (cos, host) => {
  const name = host.replace(/:\d+$/, '').toLowerCase();
  const label = name.split('.')[0];
  if (cos.buckets.has(label)) return label;
  if (name === 'localhost' || /^\d+\.\d+\.\d+\.\d+$/.test(name) || name.startsWith('['))
    return cos.buckets.keys().next().value;
};

/** `how(s)` (decodeURIComponent unless told), or InvalidURI when it throws. */
const decode = (s, how = decodeURIComponent) => {
  try {
    return how(s);
  } catch {
    throw invalidUri();
  }
};

/**
 * Picks what serves the request: POST forms check their own signature (cos-post.mjs); everything else
 * is verified here, then goes to the bucket, multipart or object requests.
 */
const route = async (cos, call, key, query) => {
  const { req, res } = call;
  const method = req.method;
  if (!METHODS.includes(method)) throw notAllowed(method);
  for (const [k] of query)
    if (UNSUPPORTED.has(k.toLowerCase()))
      throw new CosRefusal(501, 'NotImplemented', `This demo server does not implement the "${k}" sub-resource.`);
  // Query parameter names as COS reads them (uploadId, partNumber, max-keys, …: any case).
  const q = Object.fromEntries(query.map(([k, v]) => [k.toLowerCase(), v]));
  const isMultipart = 'uploads' in q || 'uploadid' in q || 'partnumber' in q;
  if (method === 'POST' && !isMultipart && /^multipart\/form-data/i.test(req.headers['content-type'] || ''))
    return await postObject(cos, call);
  verifyRequest({ method, path: call.pathname, query, headers: req.headers, keys: cos.keys, nowMs: cos.now() });
  if (!key) return await bucketRequest(cos, call, method, q);
  if (isMultipart) return await multipartRequest(cos.multipart, call, key, q);
  if (method === 'PUT' && req.headers['x-cos-copy-source'] !== undefined) return await copyObject(cos, req, res, key);
  if (method === 'PUT') return await putObject(cos, req, res, key);
  if (method === 'GET' || method === 'HEAD') return await getObject(cos, req, res, key, query);
  if (method === 'DELETE') return await deleteObject(cos, res, key);
  throw notAllowed(method);
};

/** GET Bucket, List Multipart Uploads (GET /?uploads), Delete Multiple Objects (POST /?delete) and HEAD Bucket. */
const bucketRequest = (cos, { req, res }, method, q) => {
  if (method === 'POST' && 'delete' in q) return deleteMultiple(cos, req, res);
  if (method === 'GET' && 'uploads' in q) return cos.multipart.listUploads(res, q);
  if (method === 'GET') return listBucket(cos, res, q);
  if (method === 'HEAD') return res.writeHead(200).end();
  throw new CosRefusal(405, 'MethodNotAllowed', `${method} on the bucket itself is not supported by this demo server.`);
};

/**
 * Initiate (POST ?uploads), UploadPart (PUT ?partNumber&uploadId), ListParts (GET ?uploadId), Complete
 * (POST ?uploadId), Abort (DELETE ?uploadId).
 */
const multipartRequest = (multipart, { req, res, host }, key, q) => {
  const method = req.method;
  if ('uploads' in q) {
    if (method === 'POST') return multipart.initiate(req, res, key);
  } else if ('uploadid' in q) {
    if (method === 'PUT') return multipart.uploadPart(req, res, key, q);
    if (method === 'GET') return multipart.listParts(res, key, q);
    if (method === 'POST') return multipart.complete(req, res, key, q, host);
    if (method === 'DELETE') return multipart.abort(req, res, key, q);
  } else if (method === 'PUT') {
    throw new CosRefusal(400, 'InvalidArgument', 'partNumber is given without an uploadId.');
  } else if (method === 'GET' || method === 'HEAD') {
    throw new CosRefusal(501, 'NotImplemented', 'This demo server does not implement reading an object by partNumber.');
  }
  throw notAllowed(method);
};
