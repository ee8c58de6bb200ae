// POST Object for the local COS server: an HTML form (multipart/form-data) whose fields carry a
// policy and its signature, then the file. The fields are checked before the file is read; the file
// is streamed into a temp file within the policy's content-length-range, and stored only once the
// whole form has arrived; the answer carries the file's CRC-64 (x-cos-hash-crc64ecma), as COS's does.
// Every function takes the server's state (cos-server.mjs) first.
import { CosRefusal, checkKey, sameSignature, signPolicy } from './cos-auth.mjs';
import { XML_HEAD, xmlEscape } from './cos-xml.mjs';
import { fail } from './cos-http.mjs';
import { STORED, commit, receive } from './cos-store.mjs';
import { CRC_HEADER } from './cos-crc.mjs';

const MALFORMED = 'The body of your POST request is not well-formed multipart/form-data.';
const invalidPolicy = (why) => new CosRefusal(400, 'InvalidPolicyDocument', `Invalid Policy: ${why}`);
const rangeRefusal = (code) => new CosRefusal(400, code, "Condition key content-length-range doesn't match the value");

/**
 * Reads the form of `call` (see cos-http.mjs) and answers it; resolves when it is answered or the
 * client went away. Field names are case-insensitive and the first of a name counts.
 */
export const postObject = async (cos, call) => {
  const busboy = await loadBusboy();
  if (!busboy)
    return fail(cos, call, 501, 'NotImplemented', 'POST Object needs the busboy package here: npm install -D busboy');
  return readForm(cos, call, busboy);
};

/**
 * busboy (a form parser) is an optional peer dependency: cos-sign itself has no dependencies, and only
 * POST Object needs it. Undefined when it is not installed.
 */
let busboyModule;
const loadBusboy = async () =>
  (busboyModule ??= import('busboy').then(
    (m) => m.default ?? m,
    () => undefined,
  ));

const readForm = (cos, call, busboy) =>
  new Promise((resolve) => {
    const { req } = call;
    let bb;
    try {
      bb = busboy({ headers: req.headers, limits: { fields: 100, fieldSize: 64 * 1024, files: 1 } });
    } catch {
      fail(cos, call, 400, 'MalformedPOSTRequest', MALFORMED);
      return resolve();
    }
    const form = { fields: Object.create(null), handled: false, file: undefined };
    const refuse = (e) => {
      if (form.handled) return;
      form.handled = true;
      if (e instanceof CosRefusal) fail(cos, call, e.status, e.code, e.message);
      else fail(cos, call, 400, 'MalformedPOSTRequest', MALFORMED);
      resolve();
    };
    bb.on('field', (name, value) => {
      const n = name.toLowerCase();
      if (!(n in form.fields)) form.fields[n] = value;
    });
    bb.on('file', (_name, file, info) => {
      form.file = file;
      if (form.handled) return file.resume();
      storeFile(cos, call, bb, form, file, info).then(resolve, (e) => {
        file.resume();
        refuse(e);
      });
    });
    bb.on('error', refuse);
    bb.on('close', () => {
      if (!form.handled && !form.file)
        refuse(new CosRefusal(400, 'InvalidArgument', 'POST requires exactly one file upload per request.'));
    });
    req.on('close', () => {
      if (req.complete) return;
      // The client went away: break the file stream off so nothing half-written is kept.
      form.file?.destroy(new Error('the upload was aborted'));
      bb.destroy();
      form.handled = true;
      resolve();
    });
    req.pipe(bb);
  });

/**
 * The form's file: fields checked, bytes received within the policy's range, stored once the form is
 * complete, answered.
 */
const storeFile = async (cos, call, bb, form, file, info) => {
  const { req, res } = call;
  const { fields } = form;
  const policy = authorizeForm(cos, req, fields);
  const key = fields.key.replace(/\$\{filename\}/g, info.filename || '');
  if (!key) throw new CosRefusal(400, 'InvalidArgument', 'The key must not be empty.');
  const range = checkPolicy(cos.bucket, policy, fields, key) || [0, cos.maxObjectBytes];
  const got = await receiveFile(cos, file, range);
  // The form is complete only when busboy has read the closing boundary.
  await new Promise((ok, ko) => (bb.writableFinished ? ok() : (bb.once('close', ok), bb.once('error', ko))));
  if (req.aborted || !req.complete) {
    await cos.fs.rm(got.tmp, { force: true });
    return res.destroy();
  }
  const o = await commit(cos, key, got.tmp, {
    size: got.size,
    etag: `"${got.etag}"`,
    crc64: got.crc64,
    headers: formHeaders(fields, info),
  });
  form.handled = true;
  answer(cos, call, fields, key, o);
};

/**
 * The checks before the file: the policy and key fields are there, the policy is base64 JSON, it is
 * signed by a key the server knows (with its token, if temporary) and has not expired. Returns the policy.
 */
const authorizeForm = (cos, req, fields) => {
  if (!fields.policy)
    throw new CosRefusal(400, 'InvalidArgument', 'The policy field is missing (fields must come before the file).');
  if (fields.key === undefined)
    throw new CosRefusal(400, 'InvalidArgument', "Bucket POST must contain a field named 'key'.");
  let policyText;
  let policy;
  try {
    policyText = Buffer.from(fields.policy, 'base64').toString('utf8');
    policy = JSON.parse(policyText);
  } catch {
    throw invalidPolicy('the policy is not base64 of a JSON document.');
  }
  const keyTime = fields['q-key-time'];
  const auth = {
    'q-sign-algorithm': fields['q-sign-algorithm'],
    'q-ak': fields['q-ak'],
    'q-sign-time': keyTime,
    'q-key-time': keyTime,
    'q-signature': fields['q-signature'],
  };
  if (!auth['q-ak'] && !auth['q-signature']) throw new CosRefusal(403, 'AccessDenied', 'Access Denied.');
  const token = fields['x-cos-security-token'] ?? req.headers['x-cos-security-token'];
  const k = checkKey({ auth, keys: cos.keys, token, nowMs: cos.now() });
  if (!sameSignature(signPolicy(k.secretKey, keyTime, policyText), auth['q-signature']))
    throw new CosRefusal(403, 'SignatureDoesNotMatch', 'The Signature you specified is invalid.');
  const exp = Date.parse(policy.expiration);
  if (!Number.isFinite(exp)) throw invalidPolicy('expiration is missing or not a date.');
  if (exp < cos.now()) throw new CosRefusal(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
  return policy;
};

/**
 * Checks a POST policy's conditions against the form (exact fields, eq, starts-with, in, not-in);
 * returns its content-length-range [min, max], if any (the file size is checked while it streams).
 */
export const checkPolicy = (bucket, policy, fields, resolvedKey) => {
  const field = (name) => {
    const n = name.replace(/^\$/, '').toLowerCase();
    return n === 'bucket' ? bucket : n === 'key' ? resolvedKey : fields[n];
  };
  const failed = (c) =>
    new CosRefusal(403, 'AccessDenied', `Invalid according to Policy: Policy Condition failed: ${JSON.stringify(c)}`);
  const malformed = (c) => invalidPolicy(`malformed condition ${JSON.stringify(c)}.`);
  let range;
  if (!Array.isArray(policy.conditions)) throw invalidPolicy('conditions must be an array.');
  for (const c of policy.conditions) {
    if (Array.isArray(c)) {
      const op = String(c[0]).toLowerCase();
      if (op === 'content-length-range') {
        if (!Number.isSafeInteger(+c[1]) || !Number.isSafeInteger(+c[2]) || +c[1] > +c[2])
          throw invalidPolicy('content-length-range needs two integers min <= max.');
        range = [+c[1], +c[2]];
        continue;
      }
      if (c.length !== 3 || typeof c[1] !== 'string') throw malformed(c);
      const v = field(c[1]);
      if (op === 'eq') {
        if (v !== String(c[2])) throw failed(c);
      } else if (op === 'starts-with') {
        if (v === undefined || !v.startsWith(String(c[2]))) throw failed(c);
      } else if (op === 'in' || op === 'not-in') {
        const list = Array.isArray(c[2]) ? c[2].map(String) : [];
        if (list.includes(v) !== (op === 'in')) throw failed(c);
      } else throw invalidPolicy(`unknown operator ${JSON.stringify(c[0])}.`);
    } else if (c && typeof c === 'object') {
      for (const [name, value] of Object.entries(c)) {
        const v = name.toLowerCase() === 'q-sign-time' ? fields['q-key-time'] : field(name);
        if (v !== String(value)) throw failed(c);
      }
    } else throw malformed(c);
  }
  return range;
};

/**
 * Streams the file into a temp file; outside `range` (also past the server's limit) EntityTooLarge /
 * EntityTooSmall.
 */
const receiveFile = async (cos, file, range) => {
  let got;
  try {
    got = await receive(cos, file, Math.min(range[1], cos.maxObjectBytes));
  } catch (e) {
    throw e instanceof CosRefusal ? rangeRefusal('EntityTooLarge') : e;
  }
  if (got.size < range[0]) {
    await cos.fs.rm(got.tmp, { force: true });
    throw rangeRefusal('EntityTooSmall');
  }
  return got;
};

/** The headers the object keeps: the form's Content-Type (else the file's), the other stored ones and x-cos-meta-*. */
const formHeaders = (fields, info) => {
  const headers = { 'content-type': fields['content-type'] || info.mimeType || 'application/octet-stream' };
  for (const h of STORED) if (h !== 'content-type' && fields[h] !== undefined) headers[h] = fields[h];
  for (const h in fields) if (h.startsWith('x-cos-meta-')) headers[h] = fields[h];
  return headers;
};

/**
 * The answer to a stored form: success_action_redirect (303), success_action_status 201 (XML), 200 or 204
 * (the default).
 */
const answer = (cos, { res, host }, fields, key, o) => {
  const location = `http://${host}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  const status = ['200', '201'].includes(fields.success_action_status) ? +fields.success_action_status : 204;
  const redirect = fields.success_action_redirect;
  if (redirect && /^https?:\/\//.test(redirect)) {
    const u = new URL(redirect);
    u.searchParams.set('bucket', cos.bucket);
    u.searchParams.set('key', key);
    u.searchParams.set('etag', o.etag);
    res.writeHead(303, { Location: u.href, ETag: o.etag, [CRC_HEADER]: o.crc64 }).end();
  } else if (status === 201) {
    const body = `${XML_HEAD}<PostResponse>\n  <Location>${xmlEscape(location)}</Location>\n  <Bucket>${xmlEscape(cos.bucket)}</Bucket>\n  <Key>${xmlEscape(key)}</Key>\n  <ETag>${xmlEscape(o.etag)}</ETag>\n</PostResponse>\n`;
    res
      .writeHead(201, {
        'Content-Type': 'application/xml',
        ETag: o.etag,
        [CRC_HEADER]: o.crc64,
        Location: location,
        'Content-Length': Buffer.byteLength(body),
      })
      .end(body);
  } else
    res.writeHead(status, { ETag: o.etag, [CRC_HEADER]: o.crc64, Location: location, 'Content-Length': '0' }).end();
};
