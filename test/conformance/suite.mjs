// The conformance suite, written once and run unchanged on every runtime (Node import and require,
// happy-dom, Deno, Bun, workerd, and Chromium, Firefox ESR and WebKitGTK, ESM and UMD). The library is passed in; the suite uses only
// what every one of those runtimes has (URL, TextEncoder, crypto.subtle, Promise): no node: modules, no
// test framework. The runners are test/conformance.test.ts (vitest) and test/runtimes/run.mjs.
//
//   const { passed, failed, failures } = await runSuite(lib, { vectors: jsonlText });
//
// What it checks:
// - vectors: the official Python SDK's 529 reference cases (test/fixtures/python-sdk.jsonl), judged as
//   test/vectors.test.ts does: Authorization byte for byte, URLs by meaning, `error` refused with a
//   CosSignError, `mayRefuse` either;
// - docs: the Python SDK's presign documentation examples (upload, upload limiting storage class and
//   speed, download, save-as download, speed-limited download, temporary key) called the cos-sign way,
//   and the README's example checked against an independent WebCrypto verifier written here;
// - token placement: a securityToken is a signed query parameter in URLs and a signed header in
//   getAuth/getAuthHeaders, never added twice;
// - refusals: bad input is refused with a CosSignError whose code starts with ERR_, and no message shows
//   a secret key or a token;
// - provider: a credential provider (the STS SDK's answer through fromSts) round trip: cached, shared
//   while pending, failures not cached, expired credentials refused, window clamped to expiration;
// - requests and forms: signRequest signs what getAuth signs; a getPostPolicy form verifies (this is
//   the code the library may load lazily, so every runtime loads it too);
// - streams: upload() of a ReadableStream (multipart) and of an async generator (one PutObject, a size
//   that lies refused), download() byte-equal in ranged GETs with If-Match, a verified tail, a wrong
//   previousCrc64 erroring the stream, a missing key's 404 NoSuchKey; through the signer's `fetch`;
// - uploads: upload() in three parts and listObjects over two pages through the signer's `fetch` option,
//   each request's Authorization checked by the independent verifier (the lazily loaded upload code, the
//   XML reader and the retry loop, in every runtime).
// - sts (the `cos-sign/sts` entry, passed as `{ sts }`): getFederationToken sends exactly the request
//   whose TC3-HMAC-SHA256 Authorization tencentcloud-sdk-nodejs-common computes (a fixed vector, STS_VECTOR,
//   checked against that SDK in test/sts.test.ts), and a live assumeRole verifies with an independent
//   WebCrypto TC3 verifier written here; answers map to Credentials; Tencent's error answer, a 502 page
//   and a network failure reject with ERR_STS; cosPolicy's resource and refusal of a bucket without APPID.

/**
 * One GetFederationToken request, fixed: its body and the Authorization tencentcloud-sdk-nodejs-common's
 * Sign.sign3 computes for it (test/sts.test.ts recomputes it with that SDK). Tencent's documentation keys.
 */
export const STS_VECTOR = {
  options: {
    secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
    secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
    durationSeconds: 900,
  },
  policy: { bucket: 'examplebucket-1250000000', region: 'ap-guangzhou', prefix: 'uploads/alice/' },
  now: '2025-12-31T23:59:59.500Z',
  timestamp: 1767225599,
  url: 'https://sts.tencentcloudapi.com/',
  body: '{"Name":"cos-sign","Policy":"%7B%22version%22%3A%222.0%22%2C%22statement%22%3A%5B%7B%22effect%22%3A%22allow%22%2C%22action%22%3A%5B%22name%2Fcos%3APutObject%22%2C%22name%2Fcos%3APostObject%22%2C%22name%2Fcos%3AInitiateMultipartUpload%22%2C%22name%2Fcos%3AUploadPart%22%2C%22name%2Fcos%3ACompleteMultipartUpload%22%2C%22name%2Fcos%3AAbortMultipartUpload%22%2C%22name%2Fcos%3AListParts%22%2C%22name%2Fcos%3AListMultipartUploads%22%5D%2C%22resource%22%3A%5B%22qcs%3A%3Acos%3Aap-guangzhou%3Auid%2F1250000000%3Aexamplebucket-1250000000%2Fuploads%2Falice%2F*%22%5D%7D%5D%7D","DurationSeconds":900}',
  authorization:
    'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2025-12-31/sts/tc3_request, SignedHeaders=content-type;host, Signature=d0a89151e8a7f72784d8e1a885be9995e3e566e70109526f25169d509debb299',
};

/** Parses the reference vectors from the JSONL text (or passes an already parsed array through). */
export const parseVectors = (v) =>
  typeof v === 'string'
    ? v
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : v;

/** The parts of a URL that COS sees: scheme, host, decoded path, sorted decoded query pairs. */
export const urlMeaning = (u) => {
  const url = new URL(u);
  const q = u.includes('?') ? u.slice(u.indexOf('?') + 1) : '';
  const dec = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
  return {
    scheme: url.protocol,
    host: url.host.toLowerCase(),
    rawPathDecoded: decodeURIComponent(
      u.slice(u.indexOf('/', u.indexOf('//') + 2), u.includes('?') ? u.indexOf('?') : undefined),
    ),
    whatwgPathDecoded: decodeURIComponent(url.pathname),
    query: q
      .split('&')
      .filter(Boolean)
      .map((kv) => {
        const i = kv.indexOf('=');
        return [dec(i < 0 ? kv : kv.slice(0, i)), i < 0 ? '' : dec(kv.slice(i + 1))];
      })
      .sort((a, b) => (a[0] + '\0' + a[1] < b[0] + '\0' + b[1] ? -1 : 1)),
  };
};

/** The decoded query parameters of a URL, as an object (last one wins). */
const queryOf = (u) => Object.fromEntries(urlMeaning(u).query);

class Failure extends Error {}
const ok = (cond, msg) => {
  if (!cond) throw new Failure(msg);
};
const str = (x) =>
  typeof x === 'string' ? JSON.stringify(x) : JSON.stringify(x, (_k, v) => (v instanceof Date ? v.toISOString() : v));
const eq = (got, want, what) => ok(str(got) === str(want), `${what}: got ${str(got)}, want ${str(want)}`);

// ---------------------------------------------------------------------------------------------
// An independent verifier (docs/signing.md §2, straight over WebCrypto) for signatures no vector covers.

const te = new TextEncoder();
const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
const hmac = async (key, msg) => {
  const k = await crypto.subtle.importKey('raw', te.encode(key), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  return hex(await crypto.subtle.sign('HMAC', k, te.encode(msg)));
};
const rfc3986 = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const canon = (rec) => {
  const pairs = Object.entries(rec).map(([k, v]) => [rfc3986(k).toLowerCase(), rfc3986(String(v))]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return [pairs.map((p) => p[0]).join(';'), pairs.map((p) => p.join('=')).join('&')];
};

/**
 * The q-signature COS would compute for a request, given the fields of the Authorization and what
 * was sent: method, key, query params (without the q-* fields) and headers (all of them; the
 * q-header-list says which were signed).
 */
export const expectedSignature = async ({ secretKey, method, key, fields, params, headers }) => {
  const pick = (rec, list) => {
    const names = list ? list.split(';') : [];
    const out = {};
    for (const [k, v] of Object.entries(rec)) if (names.includes(rfc3986(k).toLowerCase())) out[k] = v;
    ok(
      Object.keys(out).length === names.length,
      `signed list ${str(list)} names something the request does not send (${str(Object.keys(rec))})`,
    );
    return out;
  };
  const [, p] = canon(pick(params, fields['q-url-param-list']));
  const [, h] = canon(pick(headers, fields['q-header-list']));
  const http = `${method.toLowerCase()}\n${key[0] === '/' ? key : '/' + key}\n${p}\n${h}\n`;
  const sha = hex(await crypto.subtle.digest('SHA-1', te.encode(http)));
  const time = fields['q-key-time'];
  return hmac(await hmac(secretKey, time), `sha1\n${time}\n${sha}\n`);
};

/** Checks a presigned URL against the verifier: fields present and in order, window, signature. */
const verifyUrl = async (url, { secretId, secretKey, method, key, headers = {}, now, expires = 300 }) => {
  const u = urlMeaning(url);
  const fieldNames = [
    'q-sign-algorithm',
    'q-ak',
    'q-sign-time',
    'q-key-time',
    'q-header-list',
    'q-url-param-list',
    'q-signature',
  ];
  const order = url
    .slice(url.indexOf('?') + 1)
    .split('&')
    .map((kv) => kv.slice(0, kv.indexOf('=')))
    .filter((n) => n.startsWith('q-'));
  eq(order, fieldNames, 'the q-* fields of the URL, in order');
  const fields = queryOf(url);
  eq(fields['q-sign-algorithm'], 'sha1', 'q-sign-algorithm');
  eq(fields['q-ak'], secretId, 'q-ak');
  const t = Math.floor(now.getTime() / 1000);
  eq(fields['q-key-time'], `${t - 60};${t + expires}`, 'q-key-time');
  eq(fields['q-sign-time'], fields['q-key-time'], 'q-sign-time');
  const params = Object.fromEntries(u.query.filter(([k]) => !fieldNames.includes(k)));
  const host = u.host.replace(/:\d+$/, '');
  const want = await expectedSignature({ secretKey, method, key, fields, params, headers: { host, ...headers } });
  eq(fields['q-signature'], want, 'q-signature (independent verifier)');
  return { fields, params, path: u.rawPathDecoded, host: u.host };
};

/** Parses an Authorization value into its fields (values raw), checking the field order. */
const authFields = (auth) => {
  const kv = auth.split('&').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]);
  eq(
    kv.map((f) => f[0]),
    ['q-sign-algorithm', 'q-ak', 'q-sign-time', 'q-key-time', 'q-header-list', 'q-url-param-list', 'q-signature'],
    'Authorization fields in order',
  );
  return Object.fromEntries(kv);
};

// ---------------------------------------------------------------------------------------------

/** An independent TC3-HMAC-SHA256 verifier (Tencent's "signature v3"), straight over WebCrypto. */
const tc3Expected = async ({ secretKey, url, contentType, body, timestamp }) => {
  const sha256 = async (m) => hex(await crypto.subtle.digest('SHA-256', te.encode(m)));
  const mac = async (key, m) =>
    new Uint8Array(
      await crypto.subtle.sign(
        'HMAC',
        await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
        te.encode(m),
      ),
    );
  const u = new URL(url);
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  const canonical = [
    'POST',
    u.pathname,
    u.search.slice(1),
    `content-type:${contentType}\nhost:${u.hostname}\n`,
    'content-type;host',
    await sha256(body),
  ].join('\n');
  const toSign = ['TC3-HMAC-SHA256', timestamp, `${date}/sts/tc3_request`, await sha256(canonical)].join('\n');
  const key = await mac(await mac(await mac(te.encode('TC3' + secretKey), date), 'sts'), 'tc3_request');
  return hex(await mac(key, toSign));
};

/**
 * Runs every check against `lib` (the module namespace or the UMD global: { CosSigner,
 * CosSignError, fromSts, … }). `vectors`: the JSONL text of test/fixtures/python-sdk.jsonl or its
 * parsed array. `sts`: the `cos-sign/sts` module (or its UMD global); `stsSharedErrors: false` where
 * it carries its own CosSignError class (the UMD files). Never throws for a failing check: returns
 * { passed, failed, failures: [{ name, message }] } (failures listed up to `maxFailures`, counted all).
 */
export async function runSuite(lib, { vectors, sts, stsSharedErrors = true, maxFailures = 50 } = {}) {
  const { CosSigner, CosSignError } = lib;
  const result = { passed: 0, failed: 0, failures: [] };
  const test = async (name, fn) => {
    try {
      await fn();
      result.passed++;
    } catch (e) {
      result.failed++;
      if (result.failures.length < maxFailures)
        result.failures.push({ name, message: e instanceof Failure ? e.message : `threw ${e?.name}: ${e?.message}` });
    }
  };

  /** Runs `f`; returns its result, or the CosSignError it threw (anything else is a failure). */
  const attempt = async (f) => {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof CosSignError)) throw e;
      ok(/^ERR_[A-Z_]+$/.test(e.code), `error code ${str(e.code)} does not look like ERR_…`);
      return e;
    }
  };
  /** Expects `f` to refuse with a CosSignError of `code`; returns the error. */
  const refuses = async (f, code, what) => {
    let r;
    try {
      r = await f();
    } catch (e) {
      ok(e instanceof CosSignError, `${what}: threw ${e?.name} (${e?.message}), not a CosSignError`);
      ok(
        e instanceof Error && e.name === 'CosSignError',
        `${what}: a CosSignError must be an Error named CosSignError`,
      );
      ok(
        typeof e.code === 'string' && e.code.startsWith('ERR_'),
        `${what}: code ${str(e.code)} does not start with ERR_`,
      );
      if (code) eq(e.code, code, `${what}: code`);
      ok(typeof e.message === 'string' && e.message.length > 10, `${what}: message ${str(e.message)} says nothing`);
      return e;
    }
    throw new Failure(`${what}: expected a refusal (${code}), got ${str(r)}`);
  };

  // --- 1. The reference vectors ---------------------------------------------------------------
  const all = parseVectors(vectors) || [];
  const byId = Object.fromEntries(all.map((v) => [v.id, v]));
  const signWith = async (v, what, tokenAsCredential = false) => {
    const s = { ...v.signer, credentials: { ...v.signer.credentials } };
    const r = { ...v.request, params: { ...v.request.params } };
    if (r.now) r.now = new Date(r.now);
    if (tokenAsCredential) {
      s.credentials.securityToken = r.params['x-cos-security-token'];
      delete r.params['x-cos-security-token'];
    }
    const signer = new CosSigner(s);
    if (what === 'auth') return signer.getAuth(r);
    if (what === 'url') return signer.getPresignedUrl(r);
    const { method, ...rest } = r;
    return signer.getPresignedDownloadUrl(rest);
  };
  const sameUrl = (got, want, what) => {
    const g = urlMeaning(got);
    const w = urlMeaning(want);
    for (const part of ['scheme', 'host', 'rawPathDecoded', 'query']) eq(g[part], w[part], `${what}: ${part}`);
    // Our URL must reach COS unchanged through WHATWG URL parsing (the SDK's sometimes does not).
    eq(g.whatwgPathDecoded, g.rawPathDecoded, `${what}: the path as a WHATWG URL parser reads it`);
  };

  await test('vectors: all 529 cases are present', () => eq(all.length, 529, 'number of vectors'));
  for (const v of all) {
    await test(`vector ${v.id}: ${v.desc}`, async () => {
      if (v.expect.error) {
        for (const what of ['auth', 'url']) {
          const r = await attempt(() => signWith(v, what));
          ok(r instanceof CosSignError, `${what}: the SDK refuses (${v.expect.error}); cos-sign returned ${str(r)}`);
        }
        return;
      }
      const auth = await attempt(() => signWith(v, 'auth'));
      if (auth instanceof CosSignError)
        ok(v.mayRefuse, `getAuth refused a case the SDK signs: ${auth.code} ${auth.message}`);
      else eq(auth, v.expect.authorization, 'Authorization');
      const url = await attempt(() => signWith(v, 'url'));
      if (url instanceof CosSignError) {
        ok(v.mayRefuse, `getPresignedUrl refused a URL the SDK makes: ${url.code} ${url.message}`);
        return;
      }
      sameUrl(url, v.expect.presignedUrl, 'presigned URL');
      if (v.request.params?.['x-cos-security-token'])
        sameUrl(
          await signWith(v, 'url', true),
          v.expect.presignedUrl,
          'presigned URL with the token as credentials.securityToken',
        );
      if (v.expect.presignedDownloadUrl)
        sameUrl(await signWith(v, 'download'), v.expect.presignedDownloadUrl, 'presigned download URL');
    });
  }

  const vec = (id) =>
    byId[id] ||
    (() => {
      throw new Failure(`vector ${id} is missing`);
    })();
  const base = () => vec('edge-001');
  const creds = () => ({ ...base().signer.credentials });
  const NOW = () => new Date(base().request.now);
  const BUCKET = 'examplebucket-1250000000';

  // --- 2. Documentation examples --------------------------------------------------------------
  // The Python SDK's presign examples (cloud.tencent.com/document/product/436/35153), each restated
  // in the vectors, called the way cos-sign's README calls them.
  const docs = [
    ['edge-002', 'upload URL (PUT), no header or param limits'],
    ['edge-063', 'upload URL limiting storage class and speed (signed headers, not in the URL)'],
    ['edge-001', 'download URL, no limits (get_presigned_download_url)'],
    ['edge-052', 'download URL that saves as a file (response-content-disposition)'],
    ['edge-064', 'download URL limiting speed (signed header)'],
    ['edge-081', 'download URL with a temporary key (token given as credentials.securityToken)'],
    ['edge-139', 'accelerated upload URL, 7 days, storage class, speed, content type, temporary key'],
  ];
  for (const [id, desc] of docs) {
    await test(`docs: ${desc} (${id})`, async () => {
      const v = vec(id);
      const token = v.request.params['x-cos-security-token'];
      const signer = new CosSigner({
        ...v.signer,
        credentials: { ...v.signer.credentials, ...(token && { securityToken: token }) },
      });
      const { 'x-cos-security-token': _, ...params } = v.request.params;
      const { method, ...call } = { ...v.request, params, now: new Date(v.request.now) };
      const url =
        method === 'GET'
          ? await signer.getPresignedDownloadUrl(call)
          : await signer.getPresignedUrl({ ...call, method });
      sameUrl(url, v.expect.presignedUrl, 'URL');
      const q = queryOf(url);
      for (const h of Object.keys(v.request.headers))
        ok(!(h in q) && !(h.toLowerCase() in q), `header ${h} must be signed, never carried in the URL`);
      for (const [k, val] of Object.entries(v.request.params)) eq(q[k], val, `param ${k} carried in the URL`);
      const fields = q['q-header-list'].split(';');
      for (const h of Object.keys(v.request.headers))
        ok(fields.includes(h.toLowerCase()), `${h} is listed in q-header-list`);
    });
  }

  await test("docs: the README's example (new CosSigner({ region, credentials }) + PUT URL, default 300 s)", async () => {
    const c = creds();
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials: c });
    const now = new Date();
    const url = await signer.getPresignedUrl({ method: 'PUT', bucket: BUCKET, key: 'photos/a.png', now });
    const r = await verifyUrl(url, { ...c, method: 'PUT', key: 'photos/a.png', now });
    eq(r.host, `${BUCKET}.cos.ap-guangzhou.myqcloud.com`, 'host');
    eq(r.path, '/photos/a.png', 'path');
    ok(
      url.startsWith(`https://${BUCKET}.cos.ap-guangzhou.myqcloud.com/photos/a.png?q-sign-algorithm=sha1&`),
      `URL ${url}`,
    );
    // Without `now`, the signer's clock is used: the window starts 60 s before the present.
    const live = await signer.getPresignedUrl({ method: 'PUT', bucket: BUCKET, key: 'photos/a.png' });
    const start = Number(queryOf(live)['q-key-time'].split(';')[0]);
    ok(
      Math.abs(start + 60 - Date.now() / 1000) < 5,
      `the window starts 60 s before now (start ${start}, now ${Date.now() / 1000})`,
    );
    await verifyUrl(live, { ...c, method: 'PUT', key: 'photos/a.png', now: new Date((start + 60) * 1000) });
  });

  await test('docs: a download URL with signed headers, checked by the independent verifier', async () => {
    const c = creds();
    const signer = new CosSigner({ region: 'ap-beijing', credentials: c });
    const now = NOW();
    const key = '中文/报告 2024 (final)+#?.pdf';
    const headers = { Range: 'bytes=0-99', 'x-cos-traffic-limit': '819200' };
    const params = {
      'response-content-disposition': 'attachment; filename="报告.pdf"',
      'response-content-type': 'application/pdf',
    };
    const url = await signer.getPresignedDownloadUrl({ bucket: BUCKET, key, headers, params, now, expires: 3600 });
    const r = await verifyUrl(url, { ...c, method: 'GET', key, headers, now, expires: 3600 });
    eq(r.path, '/' + key, 'decoded path');
    eq(r.params, params, 'params carried in the URL');
    eq(r.fields['q-header-list'], 'host;range;x-cos-traffic-limit', 'q-header-list');
    eq(r.fields['q-url-param-list'], 'response-content-disposition;response-content-type', 'q-url-param-list');
  });

  await test('docs: getAuth / getAuthHeaders of the README (PUT with Content-Type), checked by the verifier', async () => {
    const c = creds();
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials: c });
    const now = NOW();
    const headers = { 'Content-Type': 'image/png', 'User-Agent': 'not signed' };
    const auth = await signer.getAuth({ method: 'PUT', bucket: BUCKET, key: 'a.png', headers, now });
    const f = authFields(auth);
    eq(f['q-header-list'], 'content-type;host', 'q-header-list (User-Agent is not signed)');
    const want = await expectedSignature({
      secretKey: c.secretKey,
      method: 'PUT',
      key: 'a.png',
      fields: f,
      params: {},
      headers: { host: `${BUCKET}.cos.ap-guangzhou.myqcloud.com`, ...headers },
    });
    eq(f['q-signature'], want, 'q-signature (independent verifier)');
    eq(
      await signer.getAuthHeaders({ method: 'PUT', bucket: BUCKET, key: 'a.png', headers, now }),
      { Authorization: auth },
      'getAuthHeaders with permanent keys',
    );
  });

  // --- 3. Token placement ---------------------------------------------------------------------
  const TOKEN = 'tmpToken_abc+/=123 ~!*';
  const tokenSigner = (extra = {}) =>
    new CosSigner({ region: 'ap-guangzhou', credentials: { ...creds(), securityToken: TOKEN }, ...extra });

  await test('token: in URLs, a signed x-cos-security-token query parameter (matches the SDK with the token in Params)', async () => {
    const v = vec('edge-083');
    const url = await tokenSigner().getPresignedUrl({
      method: 'GET',
      bucket: BUCKET,
      key: 'exampleobject.txt',
      now: NOW(),
    });
    sameUrl(url, v.expect.presignedUrl, 'URL');
    const q = queryOf(url);
    eq(q['x-cos-security-token'], TOKEN, 'token in the URL');
    eq(q['q-url-param-list'], 'x-cos-security-token', 'q-url-param-list');
    ok(url.indexOf('x-cos-security-token=') > url.indexOf('q-signature='), 'the token follows the q-* fields');
  });

  await test('token: getAuth signs it as the x-cos-security-token header (matches the SDK with the token in Headers)', async () => {
    const v = vec('edge-084');
    const auth = await tokenSigner().getAuth({ method: 'PUT', bucket: BUCKET, key: 'exampleobject.txt', now: NOW() });
    eq(auth, v.expect.authorization, 'Authorization');
  });

  await test('token: getAuthHeaders returns Authorization and the x-cos-security-token header to send', async () => {
    const v = vec('edge-084');
    const h = await tokenSigner().getAuthHeaders({
      method: 'PUT',
      bucket: BUCKET,
      key: 'exampleobject.txt',
      now: NOW(),
    });
    eq(h, { Authorization: v.expect.authorization, 'x-cos-security-token': TOKEN }, 'headers');
  });

  await test('token: a token the caller put in params is used as given and not added twice', async () => {
    const v = vec('edge-083');
    const url = await tokenSigner().getPresignedUrl({
      method: 'GET',
      bucket: BUCKET,
      key: 'exampleobject.txt',
      now: NOW(),
      params: { 'x-cos-security-token': TOKEN },
    });
    sameUrl(url, v.expect.presignedUrl, 'URL');
    eq(url.split('x-cos-security-token=').length - 1, 1, 'occurrences of the token parameter');
    const other = await tokenSigner().getPresignedUrl({
      method: 'GET',
      bucket: BUCKET,
      key: 'exampleobject.txt',
      now: NOW(),
      params: { 'x-cos-security-token': 'caller-token' },
    });
    eq(
      urlMeaning(other).query.filter(([k]) => k === 'x-cos-security-token'),
      [['x-cos-security-token', 'caller-token']],
      "the caller's token wins",
    );
  });

  await test('token: a token the caller put in headers is not added twice by getAuth', async () => {
    const v = vec('edge-084');
    const auth = await tokenSigner().getAuth({
      method: 'PUT',
      bucket: BUCKET,
      key: 'exampleobject.txt',
      now: NOW(),
      headers: { 'x-cos-security-token': TOKEN },
    });
    eq(auth, v.expect.authorization, 'Authorization');
  });

  await test('token: permanent keys put no token anywhere', async () => {
    const s = new CosSigner({ region: 'ap-guangzhou', credentials: creds() });
    const url = await s.getPresignedUrl({ method: 'GET', bucket: BUCKET, key: 'a', now: NOW() });
    ok(!url.includes('x-cos-security-token'), 'no token in the URL');
    const h = await s.getAuthHeaders({ method: 'GET', bucket: BUCKET, key: 'a', now: NOW() });
    eq(Object.keys(h), ['Authorization'], 'headers');
  });

  // --- 4. Refusals ----------------------------------------------------------------------------
  const SECRET = 'exampleSecretKey0123456789abcdefg';
  const good = () => new CosSigner({ region: 'ap-guangzhou', credentials: { ...creds(), securityToken: TOKEN } });
  const call = (o) => ({ method: 'GET', bucket: BUCKET, key: 'a.txt', now: NOW(), ...o });
  const refusals = [
    ['ERR_INVALID_METHOD', 'method OPTIONS', () => good().getAuth(call({ method: 'OPTIONS' }))],
    ['ERR_INVALID_METHOD', 'no method', () => good().getPresignedUrl(call({ method: undefined }))],
    ['ERR_INVALID_BUCKET', 'bucket with "_"', () => good().getPresignedUrl(call({ bucket: 'bad_bucket-125' }))],
    ['ERR_INVALID_BUCKET', 'bucket with a leading "-"', () => good().getAuth(call({ bucket: '-bucket-125' }))],
    ['ERR_INVALID_KEY', 'empty key', () => good().getPresignedUrl(call({ key: '' }))],
    ['ERR_INVALID_KEY', 'key with a newline', () => good().getAuth(call({ key: 'a\nb' }))],
    ['ERR_INVALID_KEY', 'key ".." has no URL form', () => good().getPresignedUrl(call({ key: '..' }))],
    ['ERR_INVALID_KEY', 'key with a lone surrogate', () => good().getPresignedUrl(call({ key: 'a\ud800' }))],
    ['ERR_INVALID_EXPIRES', 'expires 0', () => good().getPresignedUrl(call({ expires: 0 }))],
    ['ERR_INVALID_EXPIRES', 'expires 1.5', () => good().getAuth(call({ expires: 1.5 }))],
    ['ERR_INVALID_EXPIRES', 'expires "300"', () => good().getAuth(call({ expires: '300' }))],
    ['ERR_INVALID_NOW', 'now: Invalid Date', () => good().getAuth(call({ now: new Date(NaN) }))],
    ['ERR_INVALID_NOW', 'now: a number', () => good().getAuth(call({ now: 1700000000000 }))],
    [
      'ERR_INVALID_HEADER',
      'CR LF in a header value',
      () => good().getAuth(call({ headers: { 'x-cos-meta-a': 'a\r\nx-cos-acl: public-read' } })),
    ],
    [
      'ERR_INVALID_HEADER',
      'headers equal but for case',
      () => good().getAuth(call({ headers: { 'Content-Type': 'a', 'content-type': 'b' } })),
    ],
    ['ERR_INVALID_PARAM', 'params not a record', () => good().getPresignedUrl(call({ params: 'acl' }))],
    [
      'ERR_INVALID_PARAM',
      'a param value that is an object',
      () => good().getPresignedUrl(call({ params: { acl: {} } })),
    ],
    [
      'ERR_INVALID_REGION',
      'region "ap guangzhou"',
      () => new CosSigner({ region: 'ap guangzhou', credentials: creds() }),
    ],
    ['ERR_INVALID_REGION', 'no region, endpoint or domain', () => new CosSigner({ credentials: creds() })],
    [
      'ERR_INVALID_DOMAIN',
      'domain with a scheme',
      () => new CosSigner({ domain: 'https://cdn.example.com', credentials: creds() }),
    ],
    [
      'ERR_INVALID_SCHEME',
      'scheme ftp',
      () => new CosSigner({ region: 'ap-guangzhou', scheme: 'ftp', credentials: creds() }),
    ],
    [
      'ERR_CREDENTIALS_INVALID',
      'secretKey with a trailing space',
      async () =>
        new CosSigner({ region: 'ap-guangzhou', credentials: { secretId: 'AKIDx', secretKey: SECRET + ' ' } }).getAuth(
          call(),
        ),
    ],
    [
      'ERR_CREDENTIALS_INVALID',
      'secretId with "&"',
      async () =>
        new CosSigner({ region: 'ap-guangzhou', credentials: { secretId: 'AKID&x', secretKey: SECRET } }).getAuth(
          call(),
        ),
    ],
    [
      'ERR_CREDENTIALS_INVALID',
      'no credentials',
      async () => new CosSigner({ region: 'ap-guangzhou' }).getAuth(call()),
    ],
    [
      'ERR_CREDENTIALS_EXPIRED',
      'credentials past their expiration',
      async () =>
        new CosSigner({
          region: 'ap-guangzhou',
          credentials: { ...creds(), securityToken: TOKEN, expiration: new Date(Date.now() - 1000) },
        }).getPresignedUrl(call({ now: undefined })),
    ],
  ];
  for (const [code, what, f] of refusals) {
    await test(`refuses: ${what} (${code})`, async () => {
      const e = await refuses(f, code, what);
      ok(!e.message.includes(SECRET), `the message shows the secret key: ${e.message}`);
      ok(!e.message.includes(TOKEN), `the message shows the token: ${e.message}`);
    });
  }
  await test("refuses: the caller's options are not mutated by signing", async () => {
    const o = call({ headers: { 'Content-Type': 'text/plain' }, params: { acl: '' } });
    const before = str(o);
    await good().getAuth(o);
    await good().getPresignedUrl(o);
    eq(str(o), before, 'options after signing');
  });

  // --- 5. Credential provider round trip ------------------------------------------------------
  await test("provider: temporary credentials from the STS SDK's answer (fromSts) sign the SDK's URL", async () => {
    const v = vec('edge-081');
    const c = v.signer.credentials;
    const expiredTime = Math.floor(Date.now() / 1000) + 1800;
    const sts = {
      credentials: { tmpSecretId: c.secretId, tmpSecretKey: c.secretKey, sessionToken: TOKEN },
      startTime: expiredTime - 1800,
      expiredTime,
    };
    let calls = 0;
    const signer = new CosSigner({
      region: 'ap-guangzhou',
      credentials: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        return lib.fromSts(JSON.parse(JSON.stringify(sts)));
      },
    });
    const { 'x-cos-security-token': _, ...params } = v.request.params;
    const req = { ...v.request, params, now: new Date(v.request.now) };
    const [a, b] = await Promise.all([signer.getPresignedUrl(req), signer.getPresignedUrl(req)]);
    sameUrl(a, v.expect.presignedUrl, 'URL');
    eq(b, a, 'the concurrent call');
    eq(calls, 1, 'provider calls for two concurrent signings');
    await signer.getAuth(req);
    eq(calls, 1, 'provider calls after a third signing (cached until near expiration)');
    await signer.refreshCredentials();
    eq(calls, 2, 'provider calls after refreshCredentials()');
  });

  await test('provider: a failure is refused with ERR_CREDENTIALS_PROVIDER and not cached', async () => {
    let calls = 0;
    const signer = new CosSigner({
      region: 'ap-guangzhou',
      credentials: () => {
        calls++;
        if (calls === 1) throw new Error('STS endpoint down');
        return { ...creds(), securityToken: TOKEN, expiration: new Date(Date.now() + 3600_000) };
      },
    });
    const e = await refuses(() => signer.getAuth(call()), 'ERR_CREDENTIALS_PROVIDER', 'failing provider');
    ok(e.message.includes('STS endpoint down'), `the message says why: ${e.message}`);
    const h = await signer.getAuthHeaders(call());
    eq(h['x-cos-security-token'], TOKEN, 'token header after the retry');
    eq(calls, 2, 'provider calls');
  });

  await test('provider: expired credentials are refused; the window is clamped to expiration', async () => {
    const expired = new CosSigner({
      region: 'ap-guangzhou',
      credentials: async () => ({ ...creds(), securityToken: TOKEN, expiration: new Date(Date.now() - 1) }),
    });
    await refuses(
      () => expired.getPresignedUrl(call({ now: undefined })),
      'ERR_CREDENTIALS_EXPIRED',
      'expired provider credentials',
    );
    const expiration = new Date(Math.floor(Date.now() / 1000) * 1000 + 100_000);
    const signer = new CosSigner({
      region: 'ap-guangzhou',
      credentials: async () => ({ ...creds(), securityToken: TOKEN, expiration }),
    });
    const now = new Date();
    const url = await signer.getPresignedUrl(call({ now, expires: 3600 }));
    const t = Math.floor(now.getTime() / 1000);
    eq(queryOf(url)['q-key-time'], `${t - 60};${expiration.getTime() / 1000}`, 'q-key-time clamped to the expiration');
    await verifyUrl(url, { ...creds(), method: 'GET', key: 'a.txt', now, expires: expiration.getTime() / 1000 - t });
  });

  await test('provider: invalid credentials from a provider are refused without showing the secret', async () => {
    const signer = new CosSigner({
      region: 'ap-guangzhou',
      credentials: () => ({ secretId: 'AKIDx', secretKey: ` ${SECRET}` }),
    });
    const e = await refuses(() => signer.getAuth(call()), 'ERR_CREDENTIALS_INVALID', 'invalid provider credentials');
    ok(!e.message.includes(SECRET), `the message shows the secret key: ${e.message}`);
  });

  // --- 6. Requests and forms (the code the library may load lazily) ---------------------------
  await test('requests: signRequest signs what getAuth signs (method, decoded path, query, filtered headers, token)', async () => {
    const signer = tokenSigner();
    const now = NOW();
    const host = `${BUCKET}.cos.ap-guangzhou.myqcloud.com`;
    const req = new Request(`https://${host}/photos/a%20b+%E4%B8%AD.txt?acl=&x-cos-traffic-limit=819200`, {
      method: 'PUT',
      headers: { 'Content-Type': 'text/plain', 'x-cos-meta-a': 'b', Accept: 'not signed' },
    });
    const signed = await lib.signRequest(signer, req, { now });
    ok(signed instanceof Request, 'signRequest returns a Request');
    ok(signed !== req && !req.headers.has('authorization'), 'the given Request is left unchanged');
    const want = await signer.getAuth({
      method: 'PUT',
      bucket: BUCKET,
      key: 'photos/a b+中.txt',
      now,
      params: { acl: '', 'x-cos-traffic-limit': '819200' },
      headers: { 'content-type': 'text/plain', 'x-cos-meta-a': 'b' },
    });
    eq(signed.headers.get('authorization'), want, 'Authorization');
    eq(signed.headers.get('x-cos-security-token'), TOKEN, 'x-cos-security-token header');
    eq([signed.method, signed.url], ['PUT', req.url], 'method and URL');
    const f = authFields(want);
    eq(f['q-header-list'], 'content-type;host;x-cos-meta-a;x-cos-security-token', 'q-header-list');
    eq(f['q-url-param-list'], 'acl;x-cos-traffic-limit', 'q-url-param-list');
  });

  await test('forms: getPostPolicy returns a POST Object form whose signature verifies', async () => {
    const c = creds();
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials: { ...c, securityToken: TOKEN } });
    const now = NOW();
    const { url, fields } = await lib.getPostPolicy(signer, {
      bucket: BUCKET,
      keyPrefix: 'uploads/',
      contentLengthRange: [1, 1024],
      expires: 600,
      now,
    });
    eq(new URL(url).host, `${BUCKET}.cos.ap-guangzhou.myqcloud.com`, 'form host');
    const t = Math.floor(now.getTime() / 1000);
    eq(fields['q-key-time'], `${t - 60};${t + 600}`, 'q-key-time');
    eq(
      [fields['q-sign-algorithm'], fields['q-ak'], fields['x-cos-security-token']],
      ['sha1', c.secretId, TOKEN],
      'fields',
    );
    const policyText = new TextDecoder().decode(Uint8Array.from(atob(fields.policy), (ch) => ch.charCodeAt(0)));
    const policy = JSON.parse(policyText);
    const conds = JSON.stringify(policy.conditions);
    for (const want of [
      { 'q-sign-algorithm': 'sha1' },
      { 'q-ak': c.secretId },
      { 'q-sign-time': fields['q-key-time'] },
      ['content-length-range', 1, 1024],
    ])
      ok(conds.includes(JSON.stringify(want)), `policy condition ${str(want)} in ${conds}`);
    const sha = hex(await crypto.subtle.digest('SHA-1', te.encode(policyText)));
    eq(
      fields['q-signature'],
      await hmac(await hmac(c.secretKey, fields['q-key-time']), sha),
      'q-signature (independent verifier)',
    );
  });

  // --- 6b. Large uploads and listing (loaded lazily in the ESM/CJS builds) ------------------------
  await test("uploads: upload() in parts and listObjects through the signer's fetch; every request verifies", async () => {
    ok(
      typeof lib.upload === 'function' && typeof lib.listObjects === 'function',
      'upload and listObjects are exported',
    );
    const c = creds();
    const MiB = 1 << 20;
    const parts = new Map();
    const seen = [];
    const xml = (body) => new Response(body, { status: 200, headers: { 'Content-Type': 'application/xml' } });
    // A stand-in for COS: checks each request's Authorization with the independent verifier, keeps the parts.
    const fetch = async (input, init = {}) => {
      const u = new URL(String(input));
      const headers = Object.fromEntries(
        Object.entries(init.headers || {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      );
      const fields = authFields(headers.authorization);
      const params = Object.fromEntries(u.searchParams);
      const key = decodeURIComponent(u.pathname);
      const { authorization, ...rest } = headers;
      eq(
        fields['q-signature'],
        await expectedSignature({
          secretKey: c.secretKey,
          method: init.method,
          key,
          fields,
          params,
          headers: { host: u.hostname, ...rest },
        }),
        `${init.method} ${u.pathname}${u.search}: q-signature (independent verifier)`,
      );
      seen.push(`${init.method} ${params.partNumber || Object.keys(params).join(',')}`);
      if (init.method === 'POST' && 'uploads' in params)
        return xml('<InitiateMultipartUploadResult><UploadId>u-1</UploadId></InitiateMultipartUploadResult>');
      if (init.method === 'PUT') {
        parts.set(+params.partNumber, new Uint8Array(await new Response(init.body).arrayBuffer()));
        return new Response(null, { status: 200, headers: { ETag: `"etag-${params.partNumber}"` } });
      }
      if (init.method === 'POST') {
        const order = [
          ...(await new Response(init.body).text()).matchAll(
            /<PartNumber>(\d+)<\/PartNumber><ETag>"etag-(\d+)"<\/ETag>/g,
          ),
        ].map((m) => +m[1]);
        eq(order, [1, 2, 3], 'Complete lists the parts in ascending order with their ETags');
        return xml(
          '<CompleteMultipartUploadResult><Location>x</Location><Bucket>b</Bucket><Key>k</Key><ETag>"whole-3"</ETag></CompleteMultipartUploadResult>',
        );
      }
      const next = params.marker ? '' : '<NextMarker>b</NextMarker>';
      const keys = params.marker ? ['c'] : ['a', 'b'];
      return xml(
        `<ListBucketResult><IsTruncated>${!params.marker}</IsTruncated>${next}${keys.map((k) => `<Contents><Key>${k}</Key><Size>1</Size><ETag>"e"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>`).join('')}</ListBucketResult>`,
      );
    };
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials: c, fetch });
    const body = new Uint8Array(2 * MiB + 5).map((_, i) => (i * 31) & 255);
    const progress = [];
    const r = await lib.upload(signer, {
      bucket: BUCKET,
      key: 'big/中 文.bin',
      body: new Blob([body]),
      partSize: MiB,
      onProgress: (p) => progress.push(p.loaded),
    });
    eq(
      [r.etag, r.uploadId, r.location],
      ['"whole-3"', 'u-1', `https://${BUCKET}.cos.ap-guangzhou.myqcloud.com/big/%E4%B8%AD%20%E6%96%87.bin`],
      'the upload result',
    );
    eq(seen.slice().sort(), ['PUT 1', 'PUT 2', 'PUT 3', 'POST uploadId', 'POST uploads'].sort(), 'the requests sent');
    const sizes = [...parts.keys()].sort().map((n) => parts.get(n).length);
    eq(sizes, [MiB, MiB, 5], 'part sizes');
    const joined = new Uint8Array(body.length);
    for (const n of [1, 2, 3]) joined.set(parts.get(n), (n - 1) * MiB);
    ok(
      joined.every((b, i) => b === body[i]),
      'the parts put together are the body',
    );
    eq(progress.at(-1), body.length, 'progress ends at the total');
    const keys = [];
    for await (const page of lib.listObjects(signer, { bucket: BUCKET, pageSize: 2 }))
      keys.push(...page.objects.map((o) => o.key));
    eq(keys, ['a', 'b', 'c'], 'listObjects reads every page');
    const e = await refuses(
      () => lib.upload(signer, { bucket: BUCKET, key: 'k', body: 5 }),
      'ERR_INVALID_BODY',
      'a number as body',
    );
    ok(!e.message.includes(c.secretKey), 'no secret in the message');
  });

  // --- 6c. Streams both ways ---------------------------------------------------------------------
  await test('streams: upload() of a ReadableStream and an async generator, download() as a stream; every request verifies', async () => {
    ok(typeof lib.download === 'function', 'download is exported');
    const c = creds();
    const MiB = 1 << 20;
    const objects = new Map();
    const parts = new Map();
    const seen = [];
    const xml = (body, status = 200) => new Response(body, { status, headers: { 'Content-Type': 'application/xml' } });
    const etagOf = (b) => `"e${b.length}-${b[0]}-${b[b.length - 1]}"`;
    // A stand-in for COS, as in "uploads", with HEAD and ranged GETs honouring If-Match.
    const fetch = async (input, init = {}) => {
      const u = new URL(String(input));
      const headers = Object.fromEntries(
        Object.entries(init.headers || {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      );
      const fields = authFields(headers.authorization);
      const params = Object.fromEntries(u.searchParams);
      const key = decodeURIComponent(u.pathname);
      const method = init.method || 'GET';
      const { authorization, ...rest } = headers;
      eq(
        fields['q-signature'],
        await expectedSignature({
          secretKey: c.secretKey,
          method,
          key,
          fields,
          params,
          headers: { host: u.hostname, ...rest },
        }),
        `${method} ${u.pathname}${u.search}: q-signature (independent verifier)`,
      );
      seen.push(`${method} ${params.partNumber || Object.keys(params).join(',')}`);
      const bytes = async () => new Uint8Array(await new Response(init.body).arrayBuffer());
      if (method === 'POST' && 'uploads' in params)
        return xml('<InitiateMultipartUploadResult><UploadId>s-1</UploadId></InitiateMultipartUploadResult>');
      if (method === 'PUT') {
        const b = await bytes();
        if (params.partNumber) parts.set(+params.partNumber, b);
        else objects.set(key.slice(1), b);
        return new Response(null, { status: 200, headers: { ETag: etagOf(b) } });
      }
      if (method === 'POST') {
        const list = [...parts.keys()].sort((a, b) => a - b).map((n) => parts.get(n));
        const whole = new Uint8Array(list.reduce((n, b) => n + b.length, 0));
        list.reduce((at, b) => (whole.set(b, at), at + b.length), 0);
        objects.set(key.slice(1), whole);
        parts.clear();
        return xml(
          '<CompleteMultipartUploadResult><Location>x</Location><Bucket>b</Bucket><Key>k</Key><ETag>"whole"</ETag></CompleteMultipartUploadResult>',
        );
      }
      const o = objects.get(key.slice(1));
      if (!o)
        return method === 'HEAD'
          ? new Response(null, { status: 404 })
          : xml('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>', 404);
      const h = { ETag: etagOf(o), 'Content-Type': 'application/x-test', 'x-cos-hash-crc64ecma': lib.crc64(o) };
      if (method === 'HEAD')
        return new Response(null, { status: 200, headers: { ...h, 'Content-Length': String(o.length) } });
      if (headers['if-match'] !== etagOf(o)) return xml('<Error><Code>PreconditionFailed</Code></Error>', 412);
      const [, a, b] = /^bytes=(\d+)-(\d+)$/.exec(headers.range);
      return new Response(o.slice(+a, +b + 1), { status: 206, headers: h });
    };
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials: c, fetch });
    const data = new Uint8Array(2 * MiB + 5).map((_, i) => (i * 131) & 255);
    // A ReadableStream in uneven chunks, without a size: two parts of 1 MiB and one of 5 bytes.
    let at = 0;
    const stream = new ReadableStream({
      pull(ctl) {
        if (at >= data.length) return ctl.close();
        const n = 1 + ((at * 7919) % 400000);
        ctl.enqueue(data.slice(at, at + n));
        at += n;
      },
    });
    const r = await lib.upload(signer, { bucket: BUCKET, key: 'stream.bin', body: stream, partSize: MiB });
    eq(r.uploadId, 's-1', 'a stream over one part goes multipart');
    eq(seen.slice().sort(), ['POST uploadId', 'POST uploads', 'PUT 1', 'PUT 2', 'PUT 3'], 'the requests sent');
    // Read with a reader, not a Response: happy-dom's Response wraps a stream's error in its own.
    const readAll = async (stream) => {
      const r = stream.getReader();
      const chunks = [];
      for (let x; !(x = await r.read()).done; ) chunks.push(x.value);
      const out = new Uint8Array(chunks.reduce((n, b) => n + b.length, 0));
      chunks.reduce((at, b) => (out.set(b, at), at + b.length), 0);
      return out;
    };
    const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
    ok(same(objects.get('stream.bin'), data), 'the stored object is the stream');
    async function* small() {
      yield new TextEncoder().encode('hello, ');
      yield new TextEncoder().encode('stream');
    }
    seen.length = 0;
    await lib.upload(signer, { bucket: BUCKET, key: 'small.txt', body: small(), size: 13 });
    eq(seen, ['PUT '], 'a short async generator is one PutObject');
    eq(new TextDecoder().decode(objects.get('small.txt')), 'hello, stream', 'its bytes');
    await refuses(
      () => lib.upload(signer, { bucket: BUCKET, key: 'lie.txt', body: small(), size: 14 }),
      'ERR_INVALID_BODY',
      'a stream shorter than its size',
    );

    seen.length = 0;
    const progress = [];
    const d = await lib.download(signer, {
      bucket: BUCKET,
      key: 'stream.bin',
      partSize: 700000,
      concurrency: 2,
      onProgress: (p) => progress.push(p.loaded),
    });
    eq(
      [d.size, d.etag, d.crc64, d.contentType],
      [data.length, etagOf(data), lib.crc64(data), 'application/x-test'],
      'download result',
    );
    eq(seen, ['HEAD '], 'nothing but the HEAD before the body is read');
    const got = await readAll(d.body);
    ok(same(got, data), 'the downloaded bytes are the object');
    eq(seen.length, 1 + Math.ceil(data.length / 700000), 'one ranged GET per part');
    eq(progress.at(-1), data.length, 'progress ends at the size');
    const tail = await lib.download(signer, {
      bucket: BUCKET,
      key: 'stream.bin',
      offset: MiB,
      previousCrc64: lib.crc64(data.subarray(0, MiB)),
    });
    ok(same(await readAll(tail.body), data.subarray(MiB)), 'a verified tail');
    const wrong = await lib.download(signer, { bucket: BUCKET, key: 'stream.bin', offset: MiB, previousCrc64: '1' });
    await refuses(() => readAll(wrong.body), 'ERR_CHECKSUM', 'a tail after a wrong previousCrc64');
    const e = await refuses(
      () => lib.download(signer, { bucket: BUCKET, key: 'none.bin' }),
      'ERR_COS_RESPONSE',
      'a missing key',
    );
    eq([e.status, e.cos?.Code], [404, 'NoSuchKey'], 'a missing key: 404 NoSuchKey');
  });

  // --- 7. cos-sign/sts ---------------------------------------------------------------------------
  await test('sts: the cos-sign/sts entry is given and loaded', () => {
    ok(
      sts &&
        typeof sts.getFederationToken === 'function' &&
        typeof sts.assumeRole === 'function' &&
        typeof sts.cosPolicy === 'function',
      'getFederationToken, assumeRole, cosPolicy',
    );
    ok(typeof sts.CosSignError === 'function', 'cos-sign/sts exports CosSignError');
    if (stsSharedErrors)
      ok(sts.CosSignError === CosSignError, 'cos-sign and cos-sign/sts share one CosSignError class');
  });
  if (sts) {
    /** A fetch that records the request and answers `body` (an object: JSON) with `status`. */
    const answering = (body, status = 200) => {
      const calls = [];
      const f = async (url, init) => {
        calls.push({ url, init });
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        return new Response(text, {
          status,
          headers: { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json' },
        });
      };
      return { calls, fetch: f };
    };
    const minted = {
      Response: {
        Credentials: { TmpSecretId: 'AKIDtmpExample', TmpSecretKey: 'tmpKeyExample', Token: 'token+/=' },
        ExpiredTime: 1767226499,
        Expiration: '2026-01-01T00:14:59Z',
        RequestId: 'req-ok',
      },
    };
    const wantCreds = {
      secretId: 'AKIDtmpExample',
      secretKey: 'tmpKeyExample',
      securityToken: 'token+/=',
      expiration: new Date(1767226499 * 1000),
    };
    /** As `refuses`, with cos-sign/sts's CosSignError (its own class in the UMD files). */
    const stsRefuses = async (f, code, what) => {
      let r;
      try {
        r = await f();
      } catch (e) {
        ok(
          e instanceof sts.CosSignError && e instanceof Error && e.name === 'CosSignError',
          `${what}: threw ${e?.name} (${e?.message}), not cos-sign/sts's CosSignError`,
        );
        eq(e.code, code, `${what}: code`);
        ok(typeof e.message === 'string' && e.message.length > 10, `${what}: message ${str(e.message)} says nothing`);
        ok(!e.message.includes(STS_VECTOR.options.secretKey), `${what}: the message shows the SecretKey`);
        return e;
      }
      throw new Failure(`${what}: expected a refusal (${code}), got ${str(r)}`);
    };

    await test('sts: getFederationToken sends the request tencentcloud-sdk-nodejs-common signs (fixed vector), and maps the answer', async () => {
      const v = STS_VECTOR;
      const { calls, fetch: f } = answering(minted);
      const c = await sts.getFederationToken({
        ...v.options,
        policy: sts.cosPolicy(v.policy),
        now: new Date(v.now),
        fetch: f,
      });
      eq(calls.length, 1, 'requests sent');
      const { url, init } = calls[0];
      eq([url, init.method], [v.url, 'POST'], 'URL and method');
      eq(init.body, v.body, 'body');
      // Sorted and lowercased here (happy-dom's Headers does neither).
      const h = {};
      for (const [k, val] of Object.entries(init.headers).sort()) h[k.toLowerCase()] = val;
      eq(
        h,
        {
          authorization: v.authorization,
          'content-type': 'application/json; charset=utf-8',
          'x-tc-action': 'GetFederationToken',
          'x-tc-region': 'ap-guangzhou',
          'x-tc-timestamp': String(v.timestamp),
          'x-tc-version': '2018-08-13',
        },
        'headers',
      );
      eq(
        await tc3Expected({
          ...v.options,
          url,
          contentType: h['content-type'],
          body: init.body,
          timestamp: v.timestamp,
        }),
        v.authorization.slice(-64),
        'the vector against the independent verifier',
      );
      eq(c, wantCreds, 'credentials (expiration from ExpiredTime)');
      ok(c.expiration instanceof Date, 'expiration is a Date');
      eq(
        lib.fromSts(JSON.parse(JSON.stringify(sts.stsJson(c)))),
        wantCreds,
        "stsJson's /sts answer read back by cos-sign's fromSts",
      );
    });

    await test('sts: a live assumeRole (endpoint with a port and a path) verifies with the independent TC3 verifier', async () => {
      const { calls, fetch: f } = answering(minted);
      const before = Math.floor(Date.now() / 1000);
      const endpoint = 'http://127.0.0.1:8443/sts/';
      const policy = {
        version: '2.0',
        statement: [
          {
            effect: 'allow',
            action: ['name/cos:GetObject'],
            resource: ['qcs::cos:ap-beijing:uid/1250000000:examplebucket-1250000000/中文/*'],
          },
        ],
      };
      const c = await sts.assumeRole({
        ...STS_VECTOR.options,
        roleArn: 'qcs::cam::uin/100000000001:roleName/cos-uploader',
        roleSessionName: 'web',
        policy,
        region: 'ap-beijing',
        endpoint,
        fetch: f,
      });
      eq(c, wantCreds, 'credentials');
      const { url, init } = calls[0];
      eq(url, endpoint, 'URL');
      const body = JSON.parse(init.body);
      eq(
        body,
        {
          RoleArn: 'qcs::cam::uin/100000000001:roleName/cos-uploader',
          RoleSessionName: 'web',
          Policy: encodeURIComponent(JSON.stringify(policy)),
          DurationSeconds: 900,
        },
        'body',
      );
      const h = init.headers;
      const timestamp = Number(h['X-TC-Timestamp']);
      ok(timestamp >= before && timestamp <= Date.now() / 1000 + 1, `X-TC-Timestamp ${timestamp} is now`);
      eq([h['X-TC-Action'], h['X-TC-Region']], ['AssumeRole', 'ap-beijing'], 'action and region');
      const m =
        /^TC3-HMAC-SHA256 Credential=([^/]+)\/([\d-]+)\/sts\/tc3_request, SignedHeaders=content-type;host, Signature=([0-9a-f]{64})$/.exec(
          h.Authorization,
        );
      ok(m, `Authorization ${h.Authorization}`);
      eq(m[1], STS_VECTOR.options.secretId, 'SecretId');
      eq(
        m[3],
        await tc3Expected({ ...STS_VECTOR.options, url, contentType: h['Content-Type'], body: init.body, timestamp }),
        'Signature (host signed without its port)',
      );
    });

    await test("sts: Tencent's error answer, a 502 page and a network failure reject with ERR_STS", async () => {
      const opts = { ...STS_VECTOR.options, policy: sts.cosPolicy(STS_VECTOR.policy) };
      const refused = answering({
        Response: {
          Error: { Code: 'AuthFailure.SignatureFailure', Message: 'The provided credentials could not be validated.' },
          RequestId: 'req-42',
        },
      });
      let e = await stsRefuses(
        () => sts.getFederationToken({ ...opts, fetch: refused.fetch }),
        'ERR_STS',
        'error answer',
      );
      ok(
        e.message.includes('AuthFailure.SignatureFailure') && e.message.includes('req-42'),
        `the Code and RequestId in ${str(e.message)}`,
      );
      if (stsSharedErrors) ok(e instanceof CosSignError, "an instance of cos-sign's CosSignError too");
      await stsRefuses(
        () => sts.getFederationToken({ ...opts, fetch: answering('<html>502 Bad Gateway</html>', 502).fetch }),
        'ERR_STS',
        '502 page',
      );
      const down = new TypeError('Failed to fetch');
      e = await stsRefuses(
        () => sts.getFederationToken({ ...opts, fetch: async () => Promise.reject(down) }),
        'ERR_STS',
        'network failure',
      );
      ok(/network failure/.test(e.message) && e.cause === down, `network failure named, cause kept: ${str(e.message)}`);
      await stsRefuses(
        () => sts.getFederationToken({ ...opts, durationSeconds: 0, fetch: refused.fetch }),
        'ERR_INVALID_EXPIRES',
        'durationSeconds 0',
      );
    });

    await test('sts: cosPolicy writes the resource from bucket, region, APPID and prefix; refuses a bucket without APPID', async () => {
      const p = sts.cosPolicy({
        bucket: 'examplebucket-1250000000',
        region: 'ap-guangzhou',
        keys: ['a/b.png'],
        actions: ['GetObject'],
      });
      eq(
        p,
        {
          version: '2.0',
          statement: [
            {
              effect: 'allow',
              action: ['name/cos:GetObject'],
              resource: ['qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/a/b.png'],
            },
          ],
        },
        'policy',
      );
      await stsRefuses(
        () => sts.cosPolicy({ bucket: 'examplebucket', region: 'ap-guangzhou', prefix: 'u/' }),
        'ERR_INVALID_BUCKET',
        'bucket without APPID',
      );
      await stsRefuses(
        () => sts.cosPolicy({ bucket: 'examplebucket-1250000000', region: 'ap-guangzhou' }),
        'ERR_INVALID_POLICY',
        'the whole bucket, not asked for',
      );
    });
  }

  return result;
}
