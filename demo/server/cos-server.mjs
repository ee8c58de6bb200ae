// A local COS-compatible server for one private bucket: PUT, GET (Range, response-*), HEAD, DELETE
// Object, POST Object (HTML form + policy), multipart upload (cos-multipart.mjs), GET Bucket (list),
// CORS. Every request is verified as COS verifies it (cos-auth.mjs, independent of src/) and refused
// with COS's XML errors. Objects live on disk; an upload becomes visible only once complete (temp file
// + rename), so a refused or aborted upload leaves nothing behind. Tests can make it fail on purpose
// (`inject`) and see what it was asked (`state.history`).
import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { CosRefusal, checkKey, parseQuery, sameSignature, signPolicy, verifyRequest } from './cos-auth.mjs';
import { XML_HEAD, sendXml, urlEncodeKey, xmlEscape } from './cos-xml.mjs';
import { byteOrder, intParam, listPage } from './cos-list.mjs';
import { createMultipart } from './cos-multipart.mjs';

/** Sub-resources of the COS API this server does not implement (answered 501 NotImplemented). */
const UNSUPPORTED = new Set(['acl', 'cors', 'tagging', 'versioning', 'lifecycle', 'policy', 'website', 'referer', 'domain', 'logging', 'inventory', 'restore', 'select', 'delete', 'versionid', 'append', 'position', 'versions']);
/** Response headers GET Object lets the caller override with `response-*` query parameters. */
const OVERRIDES = ['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding'];
/** Request headers stored with an object and sent back on GET/HEAD. */
const STORED = ['content-type', 'content-disposition', 'content-encoding', 'content-language', 'cache-control', 'expires'];
const EXPOSE = ['ETag', 'Content-Length', 'Content-Type', 'Content-Range', 'Content-Disposition', 'Last-Modified', 'Date', 'Server', 'x-cos-request-id', 'Location'];
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
/** COS's messages for the codes tests inject most. */
const MESSAGES = {
  InternalError: 'We encountered an internal error. Please try again.',
  ServiceUnavailable: 'Please reduce your request rate.',
  SlowDown: 'Please reduce your request rate.',
  RequestTimeout: 'Your socket connection to the server was not read from or written to within the timeout period.',
};

/** The request headers an object keeps (PutObject, Initiate Multipart Upload); empty ones are dropped. */
const storedHeaders = (from) => {
  const headers = {};
  for (const h of STORED) if (from[h] !== undefined && from[h] !== '') headers[h] = from[h];
  for (const h in from) if (h.startsWith('x-cos-meta-')) headers[h] = from[h];
  return headers;
};

/**
 * Creates the server. Options: bucket, dataDir (default: a new temp folder), clockSkewMs (the
 * server's clock minus the real one), maxObjectBytes (the largest object: a PUT, a POST form or a
 * completed multipart upload; a part is also at most 5 GiB), corsOrigins (['*'] or a list), log (a
 * function for one line per request), historyLimit (how many requests `state.history` keeps).
 */
export const createCosServer = async ({
  bucket = 'demo-1250000000',
  dataDir,
  clockSkewMs = 0,
  maxObjectBytes = 5 * 1024 ** 3,
  corsOrigins = ['*'],
  log,
  historyLimit = 10_000,
} = {}) => {
  const dir = dataDir || (await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-demo-')));
  const objDir = path.join(dir, 'objects');
  const tmpDir = path.join(dir, 'tmp');
  // Multipart uploads in progress, one folder each; they do not outlive the server.
  const mpDir = path.join(dir, 'multipart');
  await fsp.mkdir(objDir, { recursive: true });
  for (const d of [tmpDir, mpDir]) {
    await fsp.rm(d, { recursive: true, force: true });
    await fsp.mkdir(d, { recursive: true });
  }
  const appId = /-(\d+)$/.exec(bucket)?.[1] ?? '1250000000';

  /** key -> { key, size, etag, lastModified, headers, meta, file } */
  const index = new Map();
  // Load what a previous run left (--data); data files no metadata points to are unfinished writes.
  const referenced = new Set();
  for (const name of await fsp.readdir(objDir)) {
    if (!name.endsWith('.json')) continue;
    try {
      const o = JSON.parse(await fsp.readFile(path.join(objDir, name), 'utf8'));
      index.set(o.key, o);
      referenced.add(o.file);
    } catch {}
  }
  for (const name of await fsp.readdir(objDir)) if (name.endsWith('.bin') && !referenced.has(name)) await fsp.rm(path.join(objDir, name), { force: true });

  const keys = new Map();
  /** history: { method, key, query, status }[] of the last `historyLimit` requests (status 0: no answer, the connection was cut). */
  const state = { clockSkewMs, requests: 0, refusals: [], history: [] };
  /** Failures tests asked for (`inject`), tried in order. */
  const injections = [];
  const now = () => Date.now() + state.clockSkewMs;
  const metaPath = (key) => path.join(objDir, createHash('sha256').update(key).digest('hex') + '.json');

  /** Makes a finished temp file the object `key`: rename the data, then atomically write its metadata. */
  const commit = async (key, tmpFile, info) => {
    const file = randomBytes(12).toString('hex') + '.bin';
    await fsp.rename(tmpFile, path.join(objDir, file));
    const o = { key, file, lastModified: new Date(now()).toISOString(), ...info };
    const mp = metaPath(key);
    const mtmp = path.join(tmpDir, randomBytes(8).toString('hex') + '.json');
    await fsp.writeFile(mtmp, JSON.stringify(o));
    await fsp.rename(mtmp, mp);
    const old = index.get(key);
    index.set(key, o);
    if (old && old.file !== file) await fsp.rm(path.join(objDir, old.file), { force: true });
    return o;
  };

  const remove = async (key) => {
    const o = index.get(key);
    if (!o) return;
    index.delete(key);
    await fsp.rm(metaPath(key), { force: true });
    await fsp.rm(path.join(objDir, o.file), { force: true });
  };

  const corsAllowed = (origin) => !!origin && (corsOrigins.includes('*') || corsOrigins.includes(origin));

  /** Logs a request in `state.history`; its status is filled in when the answer starts (0 if none came). */
  const track = (req, res, key) => {
    const entry = { method: req.method, key, query: {}, status: undefined };
    state.history.push(entry);
    if (state.history.length > historyLimit) state.history.splice(0, state.history.length - historyLimit);
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

  /** The first injected failure whose `when` matches this request, used up by one. */
  const takeInjection = (info) => {
    for (const rule of injections) {
      let hit = false;
      try {
        hit = !!rule.when(info);
      } catch {}
      if (!hit) continue;
      if (--rule.remaining <= 0) injections.splice(injections.indexOf(rule), 1);
      return rule;
    }
  };

  const handler = async (req, res) => {
    state.requests++;
    const requestId = randomBytes(18).toString('base64url');
    const origin = req.headers.origin;
    const rawUrl = req.url || '/';
    const qi = rawUrl.indexOf('?');
    const rawPath = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
    const host = req.headers.host || '127.0.0.1';
    const entry = track(req, res, rawPath.replace(/^\//, ''));
    res.setHeader('Server', 'tencent-cos');
    res.setHeader('x-cos-request-id', requestId);
    res.setHeader('Date', new Date(now()).toUTCString());
    if (corsAllowed(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSE.join(', '));
      res.setHeader('Vary', 'Origin');
    }
    let pathname = rawPath;
    const fail = (status, code, message) => {
      state.refusals.push({ method: req.method, path: pathname, status, code, message });
      if (state.refusals.length > 200) state.refusals.shift();
      const body =
        req.method === 'HEAD'
          ? ''
          : `${XML_HEAD}<Error>\n  <Code>${code}</Code>\n  <Message>${xmlEscape(message)}</Message>\n  <Resource>${xmlEscape(host.replace(/:\d+$/, '') + pathname)}</Resource>\n  <RequestId>${requestId}</RequestId>\n  <TraceId>${randomBytes(24).toString('base64url')}</TraceId>\n  <ServerTime>${new Date(now()).toISOString().replace(/\.\d+Z$/, 'Z')}</ServerTime>\n</Error>\n`;
      const send = () => {
        if (res.headersSent) return res.destroy();
        res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      };
      // Let a browser finish sending its body before the answer, so it can read the error (a reset
      // connection would only show "network error"). Huge bodies are cut off instead.
      const declared = +(req.headers['content-length'] || 0);
      if (!req.complete && (declared > 0 || req.headers['transfer-encoding']) && declared <= 1024 ** 3 && !req.readableEnded) {
        req.on('end', send);
        req.on('error', () => res.destroy());
        req.resume();
      } else {
        if (!req.complete) res.setHeader('Connection', 'close');
        send();
      }
    };
    try {
      try {
        pathname = decodeURIComponent(rawPath);
      } catch {
        throw new CosRefusal(400, 'InvalidURI', 'Could not parse the specified URI.');
      }
      let query;
      try {
        query = parseQuery(qi < 0 ? '' : rawUrl.slice(qi + 1));
      } catch {
        throw new CosRefusal(400, 'InvalidURI', 'Could not parse the specified URI.');
      }
      const method = req.method;
      const key = pathname.replace(/^\//, '');
      entry.key = key;
      entry.query = Object.fromEntries(query);
      const injected = takeInjection({ method, key, query: entry.query });
      if (injected?.destroy) return req.socket.destroy();
      if (injected) return fail(injected.errorIn200 ? 200 : injected.status, injected.code, injected.message);
      if (method === 'OPTIONS') return preflight(req, res, fail);
      if (!METHODS.includes(method)) throw new CosRefusal(405, 'MethodNotAllowed', `The specified method ${method} is not allowed against this resource.`);
      for (const [k] of query) if (UNSUPPORTED.has(k.toLowerCase())) throw new CosRefusal(501, 'NotImplemented', `This demo server does not implement the "${k}" sub-resource.`);
      // Query parameter names as COS reads them (uploadId, partNumber, max-keys, …: any case).
      const q = Object.fromEntries(query.map(([k, v]) => [k.toLowerCase(), v]));
      const isMultipart = 'uploads' in q || 'uploadid' in q || 'partnumber' in q;
      const isForm = method === 'POST' && !isMultipart && /^multipart\/form-data/i.test(req.headers['content-type'] || '');
      if (isForm) return await postObject(req, res, { key, host, fail, requestId });
      verifyRequest({ method, path: pathname, query, headers: req.headers, keys, nowMs: now() });
      if (!key) {
        if (method === 'GET' && 'uploads' in q) return multipart.listUploads(res, q);
        if (method === 'GET') return listBucket(res, q);
        if (method === 'HEAD') return res.writeHead(200).end();
        throw new CosRefusal(405, 'MethodNotAllowed', `${method} on the bucket itself is not supported by this demo server.`);
      }
      if (isMultipart) return await multipartRequest(req, res, method, key, q, host);
      if (method === 'PUT') return await putObject(req, res, key);
      if (method === 'GET' || method === 'HEAD') return await getObject(req, res, key, query);
      if (method === 'DELETE') {
        await remove(key);
        return res.writeHead(204).end();
      }
      throw new CosRefusal(405, 'MethodNotAllowed', `The specified method ${method} is not allowed against this resource.`);
    } catch (e) {
      if (e instanceof CosRefusal) return fail(e.status, e.code, e.message);
      log?.(`internal error: ${e?.stack || e}`);
      return fail(500, 'InternalError', 'We encountered an internal error. Please try again.');
    }
  };

  /** Initiate (POST ?uploads), UploadPart (PUT ?partNumber&uploadId), ListParts (GET ?uploadId), Complete (POST ?uploadId), Abort (DELETE ?uploadId). */
  const multipartRequest = (req, res, method, key, q, host) => {
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
    throw new CosRefusal(405, 'MethodNotAllowed', `The specified method ${method} is not allowed against this resource.`);
  };

  const preflight = (req, res, fail) => {
    const origin = req.headers.origin;
    const wanted = String(req.headers['access-control-request-method'] || '').toUpperCase();
    if (!origin || !wanted)
      return fail(403, 'AccessForbidden', 'CORSResponse: OPTIONS needs the Origin and Access-Control-Request-Method headers.');
    if (!corsAllowed(origin) || !METHODS.includes(wanted))
      return fail(403, 'AccessForbidden', "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.");
    const h = {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': METHODS.join(','),
      'Access-Control-Max-Age': '600',
      'Access-Control-Expose-Headers': EXPOSE.join(', '),
      Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      'Content-Length': '0',
    };
    if (req.headers['access-control-request-headers']) h['Access-Control-Allow-Headers'] = req.headers['access-control-request-headers'];
    res.writeHead(200, h).end();
  };

  /**
   * Streams `source` into a new temp file, hashing it. Past `limit` bytes it keeps reading (so the
   * client can finish sending and read the refusal) but stores nothing and rejects with
   * EntityTooLarge. If the source breaks off, the temp file is removed and the promise rejects.
   */
  const receive = (source, limit) =>
    new Promise((resolve, reject) => {
      const tmp = path.join(tmpDir, randomBytes(12).toString('hex'));
      const out = fs.createWriteStream(tmp);
      const md5 = createHash('md5');
      let size = 0;
      let over = false;
      let ended = false;
      let done = false;
      const cleanup = (e) => {
        if (done) return;
        done = true;
        out.destroy();
        // Remove the file once the stream has closed: an open still in flight would create it after the rm.
        const removeFile = () => fsp.rm(tmp, { force: true }).finally(() => reject(e));
        if (out.closed) removeFile();
        else out.once('close', removeFile);
      };
      source.on('data', (c) => {
        if (over || done) return;
        size += c.length;
        if (size > limit) {
          over = true;
          return;
        }
        md5.update(c);
        if (!out.write(c)) {
          source.pause();
          out.once('drain', () => source.resume());
        }
      });
      source.on('end', () => {
        ended = true;
        if (over) return cleanup(new CosRefusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.'));
        out.end(() => {
          if (done) return;
          done = true;
          resolve({ tmp, size, etag: md5.digest('hex') });
        });
      });
      source.on('error', cleanup);
      source.on('close', () => ended || cleanup(new Error('the upload was aborted')));
      out.on('error', cleanup);
      source.resume();
    });

  const putObject = async (req, res, key) => {
    const declared = req.headers['content-length'];
    if (declared === undefined && !req.headers['transfer-encoding'])
      throw new CosRefusal(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    if (+declared > maxObjectBytes) throw new CosRefusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
    let got;
    try {
      got = await receive(req, maxObjectBytes);
    } catch (e) {
      if (e instanceof CosRefusal) throw e;
      // The client went away mid-upload: nothing was stored, nobody to answer.
      return res.destroy();
    }
    if (declared !== undefined && got.size !== +declared) {
      await fsp.rm(got.tmp, { force: true });
      throw new CosRefusal(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
    }
    const md5 = req.headers['content-md5'];
    if (md5 && Buffer.from(got.etag, 'hex').toString('base64') !== md5) {
      await fsp.rm(got.tmp, { force: true });
      throw new CosRefusal(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    const o = await commit(key, got.tmp, { size: got.size, etag: `"${got.etag}"`, headers: storedHeaders(req.headers) });
    res.writeHead(200, { ETag: o.etag, 'Content-Length': '0' }).end();
  };

  const getObject = async (req, res, key, query) => {
    const o = index.get(key);
    if (!o) throw new CosRefusal(404, 'NoSuchKey', 'The specified key does not exist.');
    const h = {
      'Content-Type': 'application/octet-stream',
      ETag: o.etag,
      'Last-Modified': new Date(o.lastModified).toUTCString(),
      'Accept-Ranges': 'bytes',
    };
    for (const n in o.headers) h[n.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase())] = o.headers[n];
    for (const [k, v] of query) {
      const n = k.toLowerCase();
      if (n.startsWith('response-') && OVERRIDES.includes(n.slice(9))) h[n.slice(9).replace(/(^|-)([a-z])/g, (m) => m.toUpperCase())] = v;
    }
    const inm = req.headers['if-none-match'];
    if (inm && inm.split(/\s*,\s*/).includes(o.etag)) return res.writeHead(304, { ETag: o.etag }).end();
    let start = 0;
    let end = o.size - 1;
    let status = 200;
    const range = req.headers.range;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (m && (m[1] || m[2])) {
        if (m[1]) {
          start = +m[1];
          end = m[2] ? Math.min(+m[2], o.size - 1) : o.size - 1;
        } else {
          start = Math.max(0, o.size - +m[2]);
        }
        if (start >= o.size || start > end || (m[1] && m[2] && +m[2] < +m[1])) {
          res.setHeader('Content-Range', `bytes */${o.size}`);
          throw new CosRefusal(416, 'InvalidRange', 'The requested range is not satisfiable.');
        }
        status = 206;
        h['Content-Range'] = `bytes ${start}-${end}/${o.size}`;
      }
    }
    h['Content-Length'] = String(Math.max(0, end - start + 1));
    res.writeHead(status, h);
    if (req.method === 'HEAD' || o.size === 0) return res.end();
    await pipeline(fs.createReadStream(path.join(objDir, o.file), { start, end }), res).catch(() => res.destroy());
  };

  /**
   * GET Bucket. Keys in UTF-8 byte order after `marker`; with a delimiter, keys rolled up into common
   * prefixes, each counted once against max-keys. NextMarker comes with every truncated page (COS
   * documents it without the delimiter condition S3 has): the last entry listed, key or common prefix,
   * and a common prefix as marker skips its whole group. encoding-type=url percent-encodes Prefix,
   * Marker, NextMarker, Delimiter, each Key and each common prefix.
   */
  const listBucket = (res, q) => {
    const prefix = q.prefix || '';
    const delimiter = q.delimiter || '';
    const marker = q.marker || '';
    const max = intParam(q['max-keys'], { min: 0, max: 1000, fallback: 1000 }, () => new CosRefusal(400, 'InvalidArgument', 'max-keys must be an integer from 0 to 1000.'));
    const url = q['encoding-type'] === 'url';
    const enc = (s) => xmlEscape(url ? urlEncodeKey(s) : s);
    const items = [...index.values()].sort((a, b) => byteOrder(a.key, b.key));
    const { entries, truncated } = listPage({ items, prefix, delimiter, marker, after: (o) => byteOrder(o.key, marker) > 0, max });
    const last = entries[entries.length - 1];
    const body =
      XML_HEAD +
      '<ListBucketResult>\n' +
      `  <Name>${xmlEscape(bucket)}</Name>\n` +
      (url ? '  <EncodingType>url</EncodingType>\n' : '') +
      `  <Prefix>${enc(prefix)}</Prefix>\n  <Marker>${enc(marker)}</Marker>\n  <MaxKeys>${max}</MaxKeys>\n` +
      (delimiter ? `  <Delimiter>${enc(delimiter)}</Delimiter>\n` : '') +
      `  <IsTruncated>${truncated}</IsTruncated>\n` +
      (truncated ? `  <NextMarker>${enc(last ? (last.prefix ?? last.item.key) : marker)}</NextMarker>\n` : '') +
      entries
        .filter((e) => e.prefix !== undefined)
        .map((e) => `  <CommonPrefixes>\n    <Prefix>${enc(e.prefix)}</Prefix>\n  </CommonPrefixes>\n`)
        .join('') +
      entries
        .filter((e) => e.item)
        .map(
          ({ item: o }) =>
            `  <Contents>\n    <Key>${enc(o.key)}</Key>\n    <LastModified>${o.lastModified}</LastModified>\n    <ETag>${xmlEscape(o.etag)}</ETag>\n    <Size>${o.size}</Size>\n    <Owner>\n      <ID>${xmlEscape(appId)}</ID>\n      <DisplayName>${xmlEscape(appId)}</DisplayName>\n    </Owner>\n    <StorageClass>STANDARD</StorageClass>\n  </Contents>\n`,
        )
        .join('') +
      '</ListBucketResult>\n';
    sendXml(res, 200, body);
  };

  /** Checks a POST policy's conditions against the form (the file size is checked while it streams). */
  const checkPolicy = (policy, fields, resolvedKey) => {
    const field = (name) => {
      const n = name.replace(/^\$/, '').toLowerCase();
      if (n === 'bucket') return bucket;
      if (n === 'key') return resolvedKey;
      return fields[n];
    };
    const failed = (c) => new CosRefusal(403, 'AccessDenied', `Invalid according to Policy: Policy Condition failed: ${JSON.stringify(c)}`);
    let range;
    if (!Array.isArray(policy.conditions)) throw new CosRefusal(400, 'InvalidPolicyDocument', 'Invalid Policy: conditions must be an array.');
    for (const c of policy.conditions) {
      if (Array.isArray(c)) {
        const op = String(c[0]).toLowerCase();
        if (op === 'content-length-range') {
          if (!Number.isSafeInteger(+c[1]) || !Number.isSafeInteger(+c[2]) || +c[1] > +c[2])
            throw new CosRefusal(400, 'InvalidPolicyDocument', 'Invalid Policy: content-length-range needs two integers min <= max.');
          range = [+c[1], +c[2]];
          continue;
        }
        if (c.length !== 3 || typeof c[1] !== 'string') throw new CosRefusal(400, 'InvalidPolicyDocument', `Invalid Policy: malformed condition ${JSON.stringify(c)}.`);
        const v = field(c[1]);
        if (op === 'eq') {
          if (v !== String(c[2])) throw failed(c);
        } else if (op === 'starts-with') {
          if (v === undefined || !v.startsWith(String(c[2]))) throw failed(c);
        } else if (op === 'in' || op === 'not-in') {
          const list = Array.isArray(c[2]) ? c[2].map(String) : [];
          if (list.includes(v) !== (op === 'in')) throw failed(c);
        } else throw new CosRefusal(400, 'InvalidPolicyDocument', `Invalid Policy: unknown operator ${JSON.stringify(c[0])}.`);
      } else if (c && typeof c === 'object') {
        for (const [name, value] of Object.entries(c)) {
          const n = name.toLowerCase();
          const v = n === 'q-sign-time' ? fields['q-key-time'] : field(name);
          if (v !== String(value)) throw failed(c);
        }
      } else throw new CosRefusal(400, 'InvalidPolicyDocument', `Invalid Policy: malformed condition ${JSON.stringify(c)}.`);
    }
    return range;
  };

  const postObject = (req, res, { host, fail, requestId }) =>
    new Promise((resolve) => {
      const fields = Object.create(null);
      let bb;
      try {
        bb = busboy({ headers: req.headers, limits: { fields: 100, fieldSize: 64 * 1024, files: 1 } });
      } catch {
        fail(400, 'MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.');
        return resolve();
      }
      let handled = false;
      const refuse = (e) => {
        if (handled) return;
        handled = true;
        if (e instanceof CosRefusal) fail(e.status, e.code, e.message);
        else fail(400, 'MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.');
        resolve();
      };
      bb.on('field', (name, value) => {
        const n = name.toLowerCase();
        if (!(n in fields)) fields[n] = value;
      });
      bb.on('file', async (_name, file, info) => {
        if (handled) return file.resume();
        try {
          if (!fields.policy) throw new CosRefusal(400, 'InvalidArgument', 'The policy field is missing (fields must come before the file).');
          if (fields.key === undefined) throw new CosRefusal(400, 'InvalidArgument', 'Bucket POST must contain a field named \'key\'.');
          let policyText;
          let policy;
          try {
            policyText = Buffer.from(fields.policy, 'base64').toString('utf8');
            policy = JSON.parse(policyText);
          } catch {
            throw new CosRefusal(400, 'InvalidPolicyDocument', 'Invalid Policy: the policy is not base64 of a JSON document.');
          }
          const auth = {
            'q-sign-algorithm': fields['q-sign-algorithm'],
            'q-ak': fields['q-ak'],
            'q-sign-time': fields['q-key-time'],
            'q-key-time': fields['q-key-time'],
            'q-signature': fields['q-signature'],
          };
          if (!auth['q-ak'] && !auth['q-signature']) throw new CosRefusal(403, 'AccessDenied', 'Access Denied.');
          const token = fields['x-cos-security-token'] ?? req.headers['x-cos-security-token'];
          const k = checkKey({ auth, keys, token, nowMs: now() });
          if (!sameSignature(signPolicy(k.secretKey, auth['q-key-time'], policyText), auth['q-signature']))
            throw new CosRefusal(403, 'SignatureDoesNotMatch', 'The Signature you specified is invalid.');
          const exp = Date.parse(policy.expiration);
          if (!Number.isFinite(exp)) throw new CosRefusal(400, 'InvalidPolicyDocument', 'Invalid Policy: expiration is missing or not a date.');
          if (exp < now()) throw new CosRefusal(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
          const key = fields.key.replace(/\$\{filename\}/g, info.filename || '');
          if (!key) throw new CosRefusal(400, 'InvalidArgument', 'The key must not be empty.');
          const range = checkPolicy(policy, fields, key) || [0, maxObjectBytes];
          const limit = Math.min(range[1], maxObjectBytes);
          let got;
          try {
            got = await receive(file, limit);
          } catch (e) {
            if (e instanceof CosRefusal) throw new CosRefusal(400, 'EntityTooLarge', 'Condition key content-length-range doesn\'t match the value');
            throw e;
          }
          if (got.size < range[0]) {
            await fsp.rm(got.tmp, { force: true });
            throw new CosRefusal(400, 'EntityTooSmall', 'Condition key content-length-range doesn\'t match the value');
          }
          // The form is complete only when busboy has read the closing boundary.
          await new Promise((ok, ko) => (bb.writableFinished ? ok() : (bb.once('close', ok), bb.once('error', ko))));
          if (req.aborted || !req.complete) {
            await fsp.rm(got.tmp, { force: true });
            return res.destroy();
          }
          const headers = {};
          headers['content-type'] = fields['content-type'] || info.mimeType || 'application/octet-stream';
          for (const h of STORED) if (h !== 'content-type' && fields[h] !== undefined) headers[h] = fields[h];
          for (const h in fields) if (h.startsWith('x-cos-meta-')) headers[h] = fields[h];
          const o = await commit(key, got.tmp, { size: got.size, etag: `"${got.etag}"`, headers });
          handled = true;
          const location = `http://${host}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
          const status = ['200', '201'].includes(fields.success_action_status) ? +fields.success_action_status : 204;
          const redirect = fields.success_action_redirect;
          if (redirect && /^https?:\/\//.test(redirect)) {
            const u = new URL(redirect);
            u.searchParams.set('bucket', bucket);
            u.searchParams.set('key', key);
            u.searchParams.set('etag', o.etag);
            res.writeHead(303, { Location: u.href, ETag: o.etag }).end();
          } else if (status === 201) {
            const body = `${XML_HEAD}<PostResponse>\n  <Location>${xmlEscape(location)}</Location>\n  <Bucket>${xmlEscape(bucket)}</Bucket>\n  <Key>${xmlEscape(key)}</Key>\n  <ETag>${xmlEscape(o.etag)}</ETag>\n</PostResponse>\n`;
            res.writeHead(201, { 'Content-Type': 'application/xml', ETag: o.etag, Location: location, 'Content-Length': Buffer.byteLength(body) }).end(body);
          } else res.writeHead(status, { ETag: o.etag, Location: location, 'Content-Length': '0' }).end();
          resolve();
        } catch (e) {
          file.resume();
          refuse(e);
        }
      });
      bb.on('error', refuse);
      let fileSeen = false;
      let current;
      bb.on('file', (_n, f) => ((fileSeen = true), (current = f)));
      bb.on('close', () => {
        if (!handled && !fileSeen) refuse(new CosRefusal(400, 'InvalidArgument', 'POST requires exactly one file upload per request.'));
      });
      req.on('close', () => {
        if (!req.complete) {
          // The client went away: break the file stream off so nothing half-written is kept.
          current?.destroy(new Error('the upload was aborted'));
          bb.destroy();
          handled = true;
          resolve();
        }
      });
      req.pipe(bb);
    });

  const multipart = createMultipart({ bucket, appId, dir: mpDir, tmpDir, now, receive, commit, storedHeaders, maxObjectBytes });

  const server = http.createServer((req, res) => {
    res.on('finish', () => log?.(`COS ${req.method} ${req.url?.split('?')[0]} → ${res.statusCode}`));
    handler(req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5000;

  return {
    server,
    bucket,
    dataDir: dir,
    keys,
    state,
    now,
    /** Registers a key pair the server accepts; temporary ones carry a token and an expiry (ms, server clock). */
    addKey(secretId, secretKey, { token, expiresAt } = {}) {
      keys.set(secretId, { secretKey, token, expiresAt });
    },
    /** Sets how far the server's clock is ahead of the real one (ms; negative = behind). */
    setClockSkew(ms) {
      state.clockSkewMs = ms;
    },
    /** The stored object (for tests): { key, size, etag, headers, data: Buffer } or undefined. */
    async readObject(key) {
      const o = index.get(key);
      return o && { ...o, data: await fsp.readFile(path.join(objDir, o.file)) };
    },
    listKeys: () => [...index.keys()].sort(),
    /** Files in the temp folder (for tests: an aborted upload must leave none). */
    tmpFiles: () => fsp.readdir(tmpDir),
    /** The multipart uploads in progress (for tests): [{ key, uploadId, parts: [{ partNumber, size, etag }] }], by key then age. */
    listUploads: () => multipart.snapshot(),
    /**
     * Makes the server fail on purpose (for tests). The next `times` requests for which
     * `when({ method, key, query })` is true (key decoded, without its leading '/'; query the decoded
     * parameters) are not served: they are answered with COS's XML error `code` and `status` (the
     * request body is read first, so the client sees the answer), or with `errorIn200` a 200 whose
     * body is that <Error> (as COS may answer a Complete), or with `destroy` the connection is cut (a
     * network error). They still appear in `state.history`. Returns the rule: `remaining`, `cancel()`.
     */
    inject({ when = () => true, times = 1, status = 500, code = 'InternalError', message, destroy = false, errorIn200 = false } = {}) {
      if (typeof when !== 'function') throw new TypeError('inject: `when` must be a function ({ method, key, query }) => boolean');
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
          const i = injections.indexOf(rule);
          if (i >= 0) injections.splice(i, 1);
        },
      };
      injections.push(rule);
      return rule;
    },
    async listen(port = 0, hostname = '127.0.0.1') {
      await new Promise((ok, ko) => server.once('error', ko).listen(port, hostname, ok));
      return `http://${hostname}:${server.address().port}`;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise((ok) => server.close(() => ok()));
    },
  };
};
