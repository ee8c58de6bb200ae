// The demo's local COS server, checked with requests this project did not sign: the official
// cos-nodejs-sdk-v5 (COS.getAuthorization) and a node:crypto POST policy written from COS's docs.
// Valid requests pass; tampered, expired, unknown-key, wrong-token and unsigned ones are refused with
// COS's codes. Then cos-sign itself (dist/) against the same server, and the real-COS mode against a
// stub STS on 127.0.0.1 (test/sts-standin.mjs, which verifies cos-sign/sts's TC3 signature itself).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start } from '../../demo/server/index.mjs';
import { createCosServer } from '../../demo/server/cos-server.mjs';
import { CosSigner, fetchCredentials, fromSts, getPostPolicy, signedFetch } from '../../dist/cos-sign.mjs';
import { startStsStandIn } from '../sts-standin.mjs';

const require = createRequire(import.meta.url);
const COS = require('cos-nodejs-sdk-v5');
const here = path.dirname(fileURLToPath(import.meta.url));

const encKey = (key) => key.split('/').map(encodeURIComponent).join('/');
const nowS = () => Math.floor(Date.now() / 1000);
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/** Authorization by the official Node SDK. */
const sdkAuth = ({
  id,
  sk: secretKey,
  method,
  key,
  query = {},
  headers = {},
  keyTime = `${nowS() - 1};${nowS() + 600}`,
}) =>
  COS.getAuthorization({
    SecretId: id,
    SecretKey: secretKey,
    Method: method,
    Key: key,
    Query: query,
    Headers: { host: '127.0.0.1', ...headers },
    KeyTime: keyTime,
  });

/** The Authorization string as presigned-URL query parameters. */
const asQuery = (auth) =>
  auth
    .split('&')
    .map((kv) => {
      const i = kv.indexOf('=');
      return `${kv.slice(0, i)}=${encodeURIComponent(kv.slice(i + 1))}`;
    })
    .join('&');

const cosError = async (res) => {
  const text = await res.text();
  const get = (n) => new RegExp(`<${n}>([^<]*)</${n}>`).exec(text)?.[1];
  return {
    status: res.status,
    code: get('Code'),
    message: get('Message')?.replace(/&apos;/g, "'"),
    requestId: get('RequestId'),
    serverTime: get('ServerTime'),
    text,
  };
};

let demo;
let cosUrl;
let perm; // a permanent key the server knows
let temp; // temporary credentials from /sts (fromSts shape)

beforeAll(async () => {
  demo = await start({ port: 0, cosPort: 0, maxUploadBytes: 4 << 20 });
  cosUrl = demo.cosUrl;
  perm = { id: 'AKIDpermanent' + randomBytes(6).toString('hex'), sk: randomBytes(20).toString('hex') };
  demo.cos.addKey(perm.id, perm.sk);
  temp = fromSts(await (await fetch(demo.pageUrl + '/sts')).json());
});
afterAll(async () => {
  await demo?.close();
  // start() without dataDir made a temp folder; a test run leaves none behind.
  if (demo?.cos) await fsp.rm(demo.cos.dataDir, { recursive: true, force: true });
});

const put = (key, body, { id = perm.id, sk = perm.sk, headers = {}, keyTime, token } = {}) => {
  const h = { 'Content-Type': 'text/plain', ...headers };
  const auth = sdkAuth({ id, sk, method: 'PUT', key, headers: h, keyTime });
  return fetch(`${cosUrl}/${encKey(key)}`, {
    method: 'PUT',
    body,
    headers: { ...h, Authorization: auth, ...(token && { 'x-cos-security-token': token }) },
  });
};

describe('requests signed by cos-nodejs-sdk-v5 pass', () => {
  it('PUT, GET, HEAD, Range, response-* overrides, DELETE', async () => {
    const key = 'uploads/sdk/héllo wörld+1.txt';
    const body = 'hello from the official SDK';
    let res = await put(key, body, { headers: { 'x-cos-meta-origin': 'sdk' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect((await demo.cos.readObject(key)).data.toString()).toBe(body);

    const get = (query = {}, headers = {}) =>
      fetch(`${cosUrl}/${encKey(key)}${Object.keys(query).length ? '?' + new URLSearchParams(query) : ''}`, {
        headers: { ...headers, Authorization: sdkAuth({ ...perm, method: 'GET', key, query, headers }) },
      });
    res = await get();
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(body);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('x-cos-meta-origin')).toBe('sdk');

    res = await get({}, { Range: 'bytes=6-9' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 6-9/${body.length}`);
    expect(await res.text()).toBe('from');

    res = await get({}, { Range: 'bytes=-3' });
    expect(await res.text()).toBe('SDK');

    res = await get({}, { Range: 'bytes=500-' });
    expect(res.status).toBe(416);
    expect((await cosError(res)).code).toBe('InvalidRange');

    res = await get({
      'response-content-disposition': 'attachment; filename="x.txt"',
      'response-content-type': 'application/x-demo',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="x.txt"');
    expect(res.headers.get('content-type')).toBe('application/x-demo');

    res = await fetch(`${cosUrl}/${encKey(key)}`, {
      method: 'HEAD',
      headers: { Authorization: sdkAuth({ ...perm, method: 'HEAD', key }) },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));

    res = await fetch(`${cosUrl}/${encKey(key)}`, {
      method: 'DELETE',
      headers: { Authorization: sdkAuth({ ...perm, method: 'DELETE', key }) },
    });
    expect(res.status).toBe(204);
    res = await get();
    expect(res.status).toBe(404);
    expect((await cosError(res)).code).toBe('NoSuchKey');
  });

  it('a presigned URL (signature in the query) with temporary keys and a signed token', async () => {
    const key = 'uploads/sdk/presigned.bin';
    const data = randomBytes(1000);
    const query = { 'x-cos-security-token': temp.securityToken };
    const auth = sdkAuth({ id: temp.secretId, sk: temp.secretKey, method: 'PUT', key, query });
    let res = await fetch(
      `${cosUrl}/${encKey(key)}?${asQuery(auth)}&x-cos-security-token=${encodeURIComponent(temp.securityToken)}`,
      { method: 'PUT', body: data },
    );
    expect(res.status).toBe(200);
    expect(sha256((await demo.cos.readObject(key)).data)).toBe(sha256(data));
    // The SDKs' own style: the token appended unsigned after the signature (COS accepts both).
    const auth2 = sdkAuth({ id: temp.secretId, sk: temp.secretKey, method: 'GET', key });
    res = await fetch(
      `${cosUrl}/${encKey(key)}?${asQuery(auth2)}&x-cos-security-token=${encodeURIComponent(temp.securityToken)}`,
    );
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(data));
  });

  it('GET Bucket lists with prefix and delimiter, as COS XML', async () => {
    for (const k of ['uploads/list/a.txt', 'uploads/list/b.txt', 'uploads/list/sub/c.txt', 'other/d.txt'])
      expect((await put(k, k)).status).toBe(200);
    const list = async (query) => {
      const res = await fetch(`${cosUrl}/?${new URLSearchParams(query)}`, {
        headers: { Authorization: sdkAuth({ ...perm, method: 'GET', key: '/', query }) },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/xml');
      return res.text();
    };
    const xml = await list({ prefix: 'uploads/list/', delimiter: '/' });
    expect([...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1])).toEqual([
      'uploads/list/a.txt',
      'uploads/list/b.txt',
    ]);
    expect(xml).toContain('<CommonPrefixes>\n    <Prefix>uploads/list/sub/</Prefix>');
    const all = await list({ prefix: 'uploads/list/', 'max-keys': '2' });
    expect(all).toContain('<IsTruncated>true</IsTruncated>');
    expect(all).toContain('<NextMarker>uploads/list/b.txt</NextMarker>');
  });
});

describe('refusals carry COS codes', () => {
  const key = 'uploads/refused.txt';
  const expectRefusal = async (res, status, code, message) => {
    const e = await cosError(res);
    expect({ status: e.status, code: e.code }).toEqual({ status, code });
    if (message) expect(e.message).toMatch(message);
    expect(res.headers.get('content-type')).toBe('application/xml');
    expect(e.requestId).toBe(res.headers.get('x-cos-request-id'));
    expect(Math.abs(Date.parse(e.serverTime) - Date.now())).toBeLessThan(5000);
    expect(await demo.cos.readObject(key)).toBeUndefined();
    return e;
  };

  it('unsigned: 403 AccessDenied', async () => {
    await expectRefusal(
      await fetch(`${cosUrl}/${key}`, { method: 'PUT', body: 'x' }),
      403,
      'AccessDenied',
      /^Access Denied\.$/,
    );
    await expectRefusal(await fetch(`${cosUrl}/?prefix=uploads/`), 403, 'AccessDenied');
  });

  it('tampered: 403 SignatureDoesNotMatch (signature, key, method, signed header, signed param)', async () => {
    const auth = sdkAuth({ ...perm, method: 'PUT', key, headers: { 'Content-Type': 'text/plain' } });
    const flipped = auth.replace(/q-signature=(.)/, (_m, c) => `q-signature=${c === 'a' ? 'b' : 'a'}`);
    const send = (k, a, headers = { 'Content-Type': 'text/plain' }, method = 'PUT', q = '') =>
      fetch(`${cosUrl}/${k}${q}`, {
        method,
        body: method === 'PUT' ? 'x' : undefined,
        headers: { ...headers, Authorization: a },
      });
    await expectRefusal(await send(key, flipped), 403, 'SignatureDoesNotMatch');
    await expectRefusal(await send('uploads/other.txt', auth), 403, 'SignatureDoesNotMatch');
    await expectRefusal(await send(key, auth, { 'Content-Type': 'text/html' }), 403, 'SignatureDoesNotMatch');
    await expectRefusal(await send(key, auth, {}, 'DELETE'), 403, 'SignatureDoesNotMatch');
    const withParam = sdkAuth({ ...perm, method: 'GET', key, query: { 'response-content-type': 'text/plain' } });
    await expectRefusal(
      await send(key, withParam, {}, 'GET', '?response-content-type=text/html'),
      403,
      'SignatureDoesNotMatch',
    );
    // The real key works with the same request, so the refusals above are about the tampering.
    expect((await send(key, auth)).status).toBe(200);
    await demo.cos.readObject(key).then((o) => expect(o.data.toString()).toBe('x'));
    await fetch(`${cosUrl}/${key}`, {
      method: 'DELETE',
      headers: { Authorization: sdkAuth({ ...perm, method: 'DELETE', key }) },
    });
  });

  it('expired: 403 AccessDenied "Request has expired"; from the future: 403 RequestTimeTooSkewed', async () => {
    const t = nowS();
    await expectRefusal(
      await put(key, 'x', { keyTime: `${t - 600};${t - 5}` }),
      403,
      'AccessDenied',
      /^Request has expired$/,
    );
    await expectRefusal(await put(key, 'x', { keyTime: `${t + 3600};${t + 4000}` }), 403, 'RequestTimeTooSkewed');
  });

  it('unknown key: 403 InvalidAccessKeyId', async () => {
    await expectRefusal(await put(key, 'x', { id: 'AKIDnobody', sk: 'whatever' }), 403, 'InvalidAccessKeyId');
  });

  it('temporary keys: wrong or missing token 403 InvalidAccessKeyId, expired 400 ExpiredToken', async () => {
    const t = { id: temp.secretId, sk: temp.secretKey };
    await expectRefusal(await put(key, 'x', { ...t }), 403, 'InvalidAccessKeyId');
    // One character changed (a token that already ends in Z must get another letter, or it is the same token).
    const wrong = temp.securityToken.slice(0, -1) + (temp.securityToken.endsWith('Z') ? 'Y' : 'Z');
    await expectRefusal(await put(key, 'x', { ...t, token: wrong }), 403, 'InvalidAccessKeyId');
    const other = fromSts(await (await fetch(demo.pageUrl + '/sts')).json());
    await expectRefusal(await put(key, 'x', { ...t, token: other.securityToken }), 403, 'InvalidAccessKeyId');
    demo.cos.addKey('AKIDtmpExpired', 'expired-secret', { token: 'expired-token', expiresAt: Date.now() - 1000 });
    await expectRefusal(
      await put(key, 'x', { id: 'AKIDtmpExpired', sk: 'expired-secret', token: 'expired-token' }),
      400,
      'ExpiredToken',
    );
    // …and with the right token the same temporary key works.
    expect((await put(key, 'x', { ...t, token: temp.securityToken })).status).toBe(200);
    await fetch(`${cosUrl}/${key}`, {
      method: 'DELETE',
      headers: { Authorization: sdkAuth({ ...perm, method: 'DELETE', key }) },
    });
  });

  it('a PUT over the size limit: 400 EntityTooLarge, nothing stored', async () => {
    await expectRefusal(await put(key, randomBytes((4 << 20) + 1)), 400, 'EntityTooLarge');
  });
});

describe('POST Object (HTML form + policy)', () => {
  /** A POST form built from COS's POST Object documentation with node:crypto only. */
  const form = ({
    id = perm.id,
    sk = perm.sk,
    key,
    conditions = [],
    expiration = new Date(Date.now() + 600_000),
    keyTime,
    token,
    extra = {},
  }) => {
    const t = nowS();
    const kt = keyTime || `${t - 1};${t + 600}`;
    const policy = JSON.stringify({
      expiration: expiration.toISOString(),
      conditions: [
        { 'q-sign-algorithm': 'sha1' },
        { 'q-ak': id },
        { 'q-sign-time': kt },
        { bucket: demo.cos.bucket },
        ...conditions,
      ],
    });
    const signKey = createHmac('sha1', sk).update(kt).digest('hex');
    const signature = createHmac('sha1', signKey).update(createHash('sha1').update(policy).digest('hex')).digest('hex');
    return {
      key,
      policy: Buffer.from(policy).toString('base64'),
      'q-sign-algorithm': 'sha1',
      'q-ak': id,
      'q-key-time': kt,
      'q-signature': signature,
      ...(token && { 'x-cos-security-token': token }),
      ...extra,
    };
  };
  const post = (fields, data, filename = 'f.bin') => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    fd.append('file', new Blob([data]), filename);
    return fetch(cosUrl + '/', { method: 'POST', body: fd });
  };

  // biome-ignore lint/suspicious/noTemplateCurlyInString: COS's own placeholder in a POST Object key.
  it('an independently signed form uploads; ${filename} is filled in; 201 answers XML', async () => {
    const data = randomBytes(5000);
    let res = await post(
      form({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: as above.
        key: 'uploads/form/${filename}',
        conditions: [
          ['starts-with', '$key', 'uploads/form/'],
          ['content-length-range', 1, 10000],
        ],
      }),
      data,
      'pic.bin',
    );
    expect(res.status).toBe(204);
    expect(res.headers.get('etag')).toBe(`"${createHash('md5').update(data).digest('hex')}"`);
    expect(res.headers.get('location')).toBe(`${cosUrl}/uploads/form/pic.bin`);
    expect(sha256((await demo.cos.readObject('uploads/form/pic.bin')).data)).toBe(sha256(data));
    res = await post(form({ key: 'uploads/form/201.bin', extra: { success_action_status: '201' } }), data);
    expect(res.status).toBe(201);
    expect(await res.text()).toContain('<Key>uploads/form/201.bin</Key>');
  });

  it('refuses forms that break their policy, and stores nothing', async () => {
    const data = randomBytes(2000);
    const expectNone = async (res, status, code) => {
      const e = await cosError(res);
      expect({ status: e.status, code: e.code }).toEqual({ status, code });
      expect(demo.cos.listKeys().filter((k) => k.startsWith('uploads/bad/'))).toEqual([]);
      expect(await demo.cos.tmpFiles()).toEqual([]);
      return e;
    };
    const e = await expectNone(
      await post(form({ key: 'uploads/bad/big.bin', conditions: [['content-length-range', 0, 1000]] }), data),
      400,
      'EntityTooLarge',
    );
    expect(e.message).toBe("Condition key content-length-range doesn't match the value");
    await expectNone(
      await post(form({ key: 'uploads/bad/small.bin', conditions: [['content-length-range', 5000, 9000]] }), data),
      400,
      'EntityTooSmall',
    );
    await expectNone(
      await post(form({ key: 'uploads/bad/x.bin', conditions: [['starts-with', '$key', 'uploads/good/']] }), data),
      403,
      'AccessDenied',
    );
    const signed = form({ key: 'uploads/bad/x.bin' });
    await expectNone(
      await post({ ...signed, policy: Buffer.from('not json').toString('base64') }, data),
      400,
      'InvalidPolicyDocument',
    );
    await expectNone(await post({ ...signed, 'q-signature': '0'.repeat(40) }, data), 403, 'SignatureDoesNotMatch');
    await expectNone(
      await post(form({ key: 'uploads/bad/x.bin', expiration: new Date(Date.now() - 1000) }), data),
      403,
      'AccessDenied',
    );
    const t = nowS();
    await expectNone(
      await post(form({ key: 'uploads/bad/x.bin', keyTime: `${t - 100};${t - 10}` }), data),
      403,
      'AccessDenied',
    );
    await expectNone(
      await post(form({ key: 'uploads/bad/x.bin', id: temp.secretId, sk: temp.secretKey }), data),
      403,
      'InvalidAccessKeyId',
    );
    const { policy, key } = form({ key: 'uploads/bad/x.bin' });
    await expectNone(await post({ policy, key }, data), 403, 'AccessDenied');
  });

  it('a form from cos-sign getPostPolicy (temporary keys) uploads', async () => {
    const signer = new CosSigner({
      domain: demo.config.domain,
      scheme: 'http',
      credentials: fetchCredentials(demo.pageUrl + '/sts'),
    });
    const { url, fields } = await getPostPolicy(signer, {
      bucket: demo.cos.bucket,
      keyPrefix: 'uploads/lib/',
      contentLengthRange: [1, 3000],
      contentType: 'image/png',
    });
    expect(fields['x-cos-security-token']).toBeTruthy();
    expect(url).toBe(`${cosUrl}/`);
    const data = randomBytes(3000);
    const res = await post(fields, data, 'from-lib.png');
    expect(res.status).toBe(204);
    const o = await demo.cos.readObject('uploads/lib/from-lib.png');
    expect(sha256(o.data)).toBe(sha256(data));
    expect(o.headers['content-type']).toBe('image/png');
    const res2 = await post(fields, randomBytes(3001), 'too-big.png');
    expect((await cosError(res2)).code).toBe('EntityTooLarge');
  });
});

describe('cos-sign (dist) against the local server', () => {
  it('presigned URLs, auth headers, signedFetch, permanent and temporary keys', async () => {
    for (const credentials of [{ secretId: perm.id, secretKey: perm.sk }, fetchCredentials(demo.pageUrl + '/sts')]) {
      const signer = new CosSigner({ domain: demo.config.domain, scheme: 'http', credentials });
      const bucket = demo.cos.bucket;
      const key = 'uploads/lib/a ü/../b?.txt';
      const url = await signer.getPresignedUrl({
        method: 'PUT',
        bucket,
        key,
        headers: { 'Content-Type': 'text/plain' },
      });
      expect((await fetch(url, { method: 'PUT', body: 'one', headers: { 'Content-Type': 'text/plain' } })).status).toBe(
        200,
      );
      expect((await demo.cos.readObject(key)).data.toString()).toBe('one');
      const h = await signer.getAuthHeaders({ method: 'GET', bucket, key });
      let res = await fetch(`${cosUrl}/${encKey(key).replace(/\.\.\//, '..%2F')}`, { headers: h });
      expect(res.status).toBe(200);
      res = await signedFetch(signer, `${cosUrl}/uploads/lib/x.txt?x-cos-meta-ignored=1`, {
        method: 'PUT',
        body: 'two',
        headers: { 'x-cos-meta-by': 'fetch' },
      });
      expect(res.status).toBe(200);
      expect((await demo.cos.readObject('uploads/lib/x.txt')).headers['x-cos-meta-by']).toBe('fetch');
      const dl = await signer.getPresignedDownloadUrl({
        bucket,
        key: 'uploads/lib/x.txt',
        params: { 'response-content-disposition': 'attachment' },
      });
      res = await fetch(dl);
      expect(await res.text()).toBe('two');
      expect(res.headers.get('content-disposition')).toBe('attachment');
      // Tampering with a cos-sign URL is caught the same way.
      res = await fetch(dl.replace('response-content-disposition=attachment', 'response-content-disposition=inline'));
      expect((await cosError(res)).code).toBe('SignatureDoesNotMatch');
    }
  });

  it('signedFetch adopts the server clock when it is 20 minutes off (either way)', async () => {
    for (const skew of [20 * 60_000, -20 * 60_000]) {
      const cos = await createCosServer({ clockSkewMs: skew });
      const url = await cos.listen(0);
      cos.addKey(perm.id, perm.sk);
      const signer = new CosSigner({
        domain: url.slice(7),
        scheme: 'http',
        credentials: { secretId: perm.id, secretKey: perm.sk },
      });
      const res = await signedFetch(signer, `${url}/uploads/skew.txt`, { method: 'PUT', body: 'skew' });
      expect(res.status).toBe(200);
      expect(Math.abs(signer.clockOffset - skew)).toBeLessThan(3000);
      expect(cos.state.refusals.map((r) => r.code)).toEqual([skew > 0 ? 'AccessDenied' : 'RequestTimeTooSkewed']);
      await cos.close();
      await fsp.rm(cos.dataDir, { recursive: true, force: true });
    }
  });
});

describe('storage', () => {
  it('an upload cut off halfway leaves no object and no temp file', async () => {
    const { port } = new URL(cosUrl);
    const key = 'uploads/aborted.bin';
    const auth = sdkAuth({ ...perm, method: 'PUT', key });
    await new Promise((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: '/' + key,
        headers: { Authorization: auth, 'Content-Length': 1 << 20 },
      });
      req.on('error', () => resolve());
      req.write(randomBytes(256 * 1024), () => setTimeout(() => (req.destroy(), resolve()), 100));
    });
    for (let i = 0; i < 50 && (await demo.cos.tmpFiles()).length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await demo.cos.readObject(key)).toBeUndefined();
    expect(await demo.cos.tmpFiles()).toEqual([]);
  });

  it('objects survive a restart with --data', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-data-'));
    let cos = await createCosServer({ dataDir: dir });
    let url = await cos.listen(0);
    cos.addKey(perm.id, perm.sk);
    const signer = () =>
      new CosSigner({ domain: url.slice(7), scheme: 'http', credentials: { secretId: perm.id, secretKey: perm.sk } });
    expect((await signedFetch(signer(), `${url}/kept.txt`, { method: 'PUT', body: 'kept' })).status).toBe(200);
    await cos.close();
    cos = await createCosServer({ dataDir: dir });
    url = await cos.listen(0);
    cos.addKey(perm.id, perm.sk);
    expect(await (await signedFetch(signer(), `${url}/kept.txt`)).text()).toBe('kept');
    await cos.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });
});

describe('CORS like COS', () => {
  it('answers preflights and exposes ETag, Date, x-cos-request-id', async () => {
    const origin = demo.pageUrl;
    let res = await fetch(`${cosUrl}/uploads/x.png`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type,x-cos-security-token',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type,x-cos-security-token');
    res = await fetch(`${cosUrl}/uploads/x.png`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'PATCH' },
    });
    expect((await cosError(res)).code).toBe('AccessForbidden');
    res = await fetch(`${cosUrl}/uploads/nothing`, { headers: { Origin: origin } });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    const exposed = res.headers.get('access-control-expose-headers').toLowerCase().split(/,\s*/);
    for (const h of ['etag', 'date', 'x-cos-request-id', 'content-length']) expect(exposed).toContain(h);
  });
});

describe('real-COS mode (against a stub STS on 127.0.0.1)', () => {
  it('issues temporary keys with cos-sign/sts, scoped to the bucket and prefix; presigns with the permanent key', async () => {
    const secret = { id: 'AKIDrealPermanent000000000000000000', key: 'realSecretKey0000000000000000000' };
    // Tencent Cloud STS, as far as a client can tell: API 3.0, JSON POST, TC3-HMAC-SHA256 verified
    // with the stand-in's own node:crypto code, answers (and refusals) as Response JSON.
    const stub = await startStsStandIn({ keys: { [secret.id]: secret.key } });
    const real = await start({
      port: 0,
      stsTtl: 900,
      real: {
        secretId: secret.id,
        secretKey: secret.key,
        bucket: 'examplebucket-1250000000',
        region: 'ap-guangzhou',
        prefix: 'demo/',
        stsEndpoint: stub.url,
      },
    });
    try {
      expect(real.cos).toBeUndefined();
      const config = await (await fetch(real.pageUrl + '/config')).json();
      expect(config).toMatchObject({
        mode: 'cos',
        bucket: 'examplebucket-1250000000',
        region: 'ap-guangzhou',
        prefix: 'demo/',
      });
      const sts = await (await fetch(real.pageUrl + '/sts')).json();
      expect(stub.calls).toHaveLength(1);
      const call = stub.calls[0];
      expect(call.error).toBeUndefined();
      const a = call.answer;
      expect(sts.credentials).toEqual({
        tmpSecretId: a.Credentials.TmpSecretId,
        tmpSecretKey: a.Credentials.TmpSecretKey,
        sessionToken: a.Credentials.Token,
      });
      expect([sts.expiredTime, sts.expiration]).toEqual([a.ExpiredTime, a.Expiration]);
      expect(sts.expiredTime - sts.startTime).toBe(900);
      expect(fromSts(sts).securityToken).toBe(a.Credentials.Token);
      expect(call.headers).toMatchObject({
        'x-tc-action': 'GetFederationToken',
        'x-tc-region': 'ap-guangzhou',
        'x-tc-version': '2018-08-13',
      });
      expect(call.headers.authorization).toMatch(new RegExp(`^TC3-HMAC-SHA256 Credential=${secret.id}/`));
      expect(call.params).toMatchObject({ DurationSeconds: 900 });
      const policy = call.policy; // the stand-in URL-decoded it
      const res = (s) => s.resource.join();
      expect(policy.statement).toHaveLength(2);
      expect(res(policy.statement[0])).toBe(
        'qcs::cos:ap-guangzhou:uid/1250000000:prefix//1250000000/examplebucket/demo/*',
      );
      expect(policy.statement[0].action.sort()).toEqual(
        [
          'name/cos:AbortMultipartUpload',
          'name/cos:CompleteMultipartUpload',
          'name/cos:DeleteObject',
          'name/cos:GetObject',
          'name/cos:HeadObject',
          'name/cos:InitiateMultipartUpload',
          'name/cos:ListParts',
          'name/cos:PostObject',
          'name/cos:PutObject',
          'name/cos:UploadPart',
        ].sort(),
      );
      expect(policy.statement[1]).toMatchObject({
        action: ['name/cos:GetBucket'],
        condition: { string_like: { 'cos:prefix': 'demo/*' } },
      });
      // The server presigns only under the prefix, for the real host, with the permanent key.
      expect((await fetch(real.pageUrl + '/presign?key=elsewhere/x')).status).toBe(400);
      const { url } = await (await fetch(real.pageUrl + '/presign?key=demo/x.png&method=PUT')).json();
      const u = new URL(url);
      expect(u.host).toBe('examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com');
      const kt = u.searchParams.get('q-key-time');
      const expected = COS.getAuthorization({
        SecretId: secret.id,
        SecretKey: secret.key,
        Method: 'PUT',
        Key: 'demo/x.png',
        Headers: { host: u.host },
        KeyTime: kt,
      });
      expect(u.searchParams.get('q-signature')).toBe(/q-signature=(\w+)/.exec(expected)[1]);
      // An STS error is reported, not hidden: STS no longer knows this key.
      stub.keys.set(secret.id, 'changed');
      const bad = await fetch(real.pageUrl + '/sts');
      expect(bad.status).toBe(502);
      const body = await bad.json();
      expect(body.code).toBe('ERR_STS');
      expect(body.message).toContain('AuthFailure.SignatureFailure');
      expect(body.message).not.toContain(secret.key);
    } finally {
      await real.close();
      await stub.close();
    }
  });
});

describe('node demo/server/index.mjs (what npm run demo runs after the build)', () => {
  it('prints both URLs, serves the page and the bucket, and stops cleanly on Ctrl-C (SIGINT)', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [path.join(here, '../../demo/server/index.mjs')], {
      env: { ...process.env, PORT: '0', COS_PORT: '0', DEMO_QUIET: '1', COS_SECRET_ID: '', COS_SECRET_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    try {
      for (let i = 0; i < 200 && !/Ctrl-C stops/.test(out); i++) await new Promise((r) => setTimeout(r, 25));
      const page = /Upload page\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
      const cos = /Local COS\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
      const data = /data in (\S+)\)/.exec(out)?.[1];
      expect({ page, cos }, out).toEqual({ page: expect.any(String), cos: expect.any(String) });
      expect(await (await fetch(page + '/')).text()).toContain('/dist/cos-sign.mjs');
      expect((await fetch(page + '/umd.html')).status).toBe(200);
      expect((await fetch(page + '/dist/cos-sign.umd.js')).status).toBe(200);
      expect((await fetch(page + '/..%2F..%2Fpackage.json')).status).toBe(404); // no way out of demo/public
      expect((await cosError(await fetch(cos + '/'))).code).toBe('AccessDenied');
      expect(fs.existsSync(data)).toBe(true);
      child.kill('SIGINT');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(fs.existsSync(data)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
