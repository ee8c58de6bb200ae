// cos-sign/server (server/index.mjs) proven with official clients, each through its own API, with the
// bytes read back equal: cos-nodejs-sdk-v5, the official Python SDK (test/oracles, a copy of ../shared/oracles; skipped with one
// line outside CI when Python or its Debian packages are missing), cos-js-sdk-v5 in Chromium, cos-sign
// itself with keys from the STS stand-in, and qcloud-cos-sts (the older form API, over TLS) whose keys
// upload too. What each needed that the demo's server lacked is listed in docs/local-cos.md.
import { execFile } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCosServer } from '../../server/index.mjs';
import { available, launch, REQUIRE_ENGINES } from './engines.mjs';
import { root } from './harness.mjs';

const require = createRequire(import.meta.url);
const run = promisify(execFile);
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const md5 = (b) => createHash('md5').update(b).digest('hex');
const FIXTURES = path.join(root, 'test/e2e/fixtures');
// The official Python SDK, as published (MIT, its LICENSE beside it): kept in the repository, so that a clean
// clone tests against it wherever it is.
const PY_SDK = path.resolve(root, 'test/oracles/cos-python-sdk-v5');
const PY_PACKAGES = 'python3-requests python3-xmltodict python3-six python3-crcmod python3-pycryptodome';
const Region = 'ap-guangzhou';

let cos;
let dist;
let tmp;
beforeAll(async () => {
  cos = await startCosServer();
  dist = await import('../../dist/cos-sign.mjs');
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-server-sdks-'));
});
afterAll(async () => {
  await cos?.close();
  if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
});

describe('cos-nodejs-sdk-v5 against cos-sign/server', () => {
  const COS = require('cos-nodejs-sdk-v5');
  let sdk;
  const call = (method, params) =>
    new Promise((ok, ko) => sdk[method]({ Bucket: cos.bucket, Region, ...params }, (e, d) => (e ? ko(e) : ok(d))));
  beforeAll(() => {
    const { secretId: SecretId, secretKey: SecretKey } = cos.credentials;
    sdk = new COS({ SecretId, SecretKey, Domain: cos.domain, Protocol: 'http:' });
  });

  it('put, get with Range, head, copy (its CopySource form), delete', async () => {
    const body = randomBytes(100_000);
    const put = await call('putObject', { Key: 'node/a.bin', Body: body });
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const part = await call('getObject', { Key: 'node/a.bin', Range: 'bytes=10-19' });
    expect(part.statusCode).toBe(206);
    expect(part.Body.equals(body.subarray(10, 20))).toBe(true);
    expect((await call('headObject', { Key: 'node/a.bin' })).headers['content-length']).toBe('100000');
    const copy = await call('putObjectCopy', {
      Key: 'node/b.bin',
      CopySource: `${cos.bucket}.cos.${Region}.myqcloud.com/node/a.bin`,
    });
    expect(copy.ETag).toBe(`"${md5(body)}"`);
    expect((await call('getObject', { Key: 'node/b.bin' })).Body.equals(body)).toBe(true);
    await call('deleteObject', { Key: 'node/a.bin' });
    await expect(call('headObject', { Key: 'node/a.bin' })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('getBucket pages with a marker; deleteMultipleObject removes them', async () => {
    for (let i = 0; i < 5; i++) await call('putObject', { Key: `node/page/${i}`, Body: String(i) });
    const keys = [];
    let Marker = '';
    for (let pages = 0; pages < 5; pages++) {
      const page = await call('getBucket', { Prefix: 'node/page/', MaxKeys: 2, Marker });
      keys.push(...page.Contents.map((c) => c.Key));
      if (page.IsTruncated !== 'true') break;
      Marker = page.NextMarker;
    }
    expect(keys).toEqual([0, 1, 2, 3, 4].map((i) => `node/page/${i}`));
    const d = await call('deleteMultipleObject', { Objects: keys.map((Key) => ({ Key })) });
    expect(d.Deleted.map((x) => x.Key).sort()).toEqual(keys);
    expect(cos.server.listKeys().filter((k) => k.startsWith('node/page/'))).toEqual([]);
  });

  it('sliceUploadFile (multipart, Content-MD5 on every slice) and multipartList', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const file = path.join(tmp, 'slice.bin');
    await fsp.writeFile(file, data);
    const r = await call('sliceUploadFile', { Key: 'node/slice.bin', FilePath: file, ChunkSize: 1024 * 1024 });
    expect(r.ETag).toMatch(/^"[0-9a-f]{32}-4"$/);
    expect((await cos.server.readObject('node/slice.bin')).data.equals(data)).toBe(true);
    const init = await call('multipartInit', { Key: 'node/open.bin' });
    const list = await call('multipartList', { Prefix: 'node/' });
    expect(list.Upload.map((u) => [u.Key, u.UploadId])).toEqual([['node/open.bin', init.UploadId]]);
    await call('multipartAbort', { Key: 'node/open.bin', UploadId: init.UploadId });
  });
});

/** Whether Debian's python3 can import the official SDK and its packages (null) or why not. */
const pythonMissing = async () => {
  try {
    await run('/usr/bin/python3', [
      '-c',
      `import sys; sys.path.insert(0, ${JSON.stringify(PY_SDK)}); import requests, xmltodict, six, crcmod, qcloud_cos`,
    ]);
    return null;
  } catch (e) {
    return String(e.stderr || e.message)
      .trim()
      .split('\n')
      .pop();
  }
};

describe('the official Python SDK against cos-sign/server', async () => {
  const missing = await pythonMissing();
  if (missing && !REQUIRE_ENGINES)
    console.log(`e2e: Python SDK block skipped (${missing}): apt-get install -y ${PY_PACKAGES}`);
  const pyIt = missing && !REQUIRE_ENGINES ? it.skip : it;
  const py = async (creds) => {
    if (missing) throw new Error(`Python SDK missing (${missing}): apt-get install -y ${PY_PACKAGES}`);
    const file = path.join(tmp, 'py.bin');
    const data = randomBytes(11 * 1024 * 1024 + 3);
    await fsp.writeFile(file, data);
    const arg = { sdk: PY_SDK, domain: cos.domain, bucket: cos.bucket, file, ...creds };
    const { stdout } = await run('/usr/bin/python3', [path.join(FIXTURES, 'python-sdk.py'), JSON.stringify(arg)]);
    return { out: JSON.parse(stdout), data };
  };
  const check = async ({ out, data }, token) => {
    expect(out.put).toBe(`"${md5(Buffer.from('hello python'))}"`);
    expect(out.get).toBe('hello python');
    expect(out.head).toBe('12');
    expect(out.upload).toMatch(/^"[0-9a-f]{32}-3"$/);
    expect(out.bigSha256).toBe(sha256(data));
    expect(out.list).toEqual(['py/a b.txt', 'py/big.bin']);
    expect(out.copy).toBe(out.put);
    expect(out.copied).toBe('hello python');
    expect(out.deleted).toEqual(['py/a b.txt', 'py/copy.txt']);
    const r = await fetch(out.presigned);
    expect(r.status).toBe(200);
    expect(sha256(Buffer.from(await r.arrayBuffer()))).toBe(sha256(data));
    if (token) expect(out.presigned).toContain('x-cos-security-token=');
  };

  pyIt('put_object EnableMD5, get, head, upload_file, list, copy, delete_objects, presigned URL', async () => {
    await check(await py({ secretId: cos.credentials.secretId, secretKey: cos.credentials.secretKey }));
  });

  pyIt('the same with temporary keys and their token (get_presigned_url with the token)', async () => {
    const t = await cos.issueTemporaryCredentials({ ttlSeconds: 600 });
    await check(await py({ secretId: t.secretId, secretKey: t.secretKey, token: t.securityToken }), true);
  });
});

/** GetFederationToken over the older form API, signed with `method` by node:crypto; resolves Credentials. */
const formApiCall = async (server, ca, method) => {
  const { host } = new URL(server.stsEndpoint);
  const params = {
    Action: 'GetFederationToken',
    Version: '2018-08-13',
    Region: Region,
    SecretId: server.credentials.secretId,
    Timestamp: String(Math.floor(Date.now() / 1000)),
    Nonce: String(Math.floor(Math.random() * 1e9)),
    SignatureMethod: method,
    Name: 'test',
    Policy: encodeURIComponent(JSON.stringify({ version: '2.0', statement: [] })),
    DurationSeconds: '900',
  };
  const text = `POST${host}/?${Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&')}`;
  const algorithm = method === 'HmacSHA256' ? 'sha256' : 'sha1';
  params.Signature = createHmac(algorithm, server.credentials.secretKey).update(text).digest('base64');
  const body = new URLSearchParams(params).toString();
  const answer = await new Promise((ok, ko) => {
    const req = https.request(server.stsEndpoint, {
      method: 'POST',
      ca,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
    });
    req.on('response', async (res) => {
      let s = '';
      for await (const c of res) s += c;
      ok(JSON.parse(s).Response);
    });
    req.on('error', ko);
    req.end(body);
  });
  const c = answer.Credentials;
  if (!c) throw new Error(JSON.stringify(answer));
  return { secretId: c.TmpSecretId, secretKey: c.TmpSecretKey, securityToken: c.Token };
};

describe('cos-sign and the official STS helper, with keys from the STS stand-in', () => {
  const policy = {
    version: '2.0',
    statement: [{ action: ['name/cos:PutObject'], effect: 'allow', principal: { qcs: ['*'] }, resource: ['*'] }],
  };
  /** Uploads with `credentials` through cos-sign and reads the object back. */
  const uploadWith = async (credentials, key) => {
    const signer = new dist.CosSigner({ domain: cos.domain, scheme: 'http', credentials });
    const body = randomBytes(1000);
    const put = await dist.signedFetch(signer, `${cos.url}/${key}`, { method: 'PUT', body });
    expect(put.status).toBe(200);
    expect((await cos.server.readObject(key)).data.equals(body)).toBe(true);
  };

  it('cos-sign/sts getFederationToken and assumeRole (TC3) get keys that upload', async () => {
    const sts = await import('../../dist/sts.mjs');
    const base = { ...cos.credentials, endpoint: cos.stsEndpoint, policy };
    await uploadWith(await sts.getFederationToken(base), 'sts/federation.bin');
    const role = { ...base, roleArn: 'qcs::cam::uin/100000000001:roleName/uploader', roleSessionName: 'test' };
    await uploadWith(await sts.assumeRole(role), 'sts/role.bin');
    const wrong = sts.getFederationToken({ ...base, secretKey: 'not-the-key' });
    await expect(wrong).rejects.toMatchObject({ code: 'ERR_STS' });
    await expect(wrong).rejects.toThrow(/AuthFailure\.SignatureFailure/);
  });

  it('qcloud-cos-sts (HmacSHA1 and HmacSHA256 form API, over TLS) gets keys that upload; a wrong secret is refused', async () => {
    const cert = await fsp.readFile(path.join(FIXTURES, 'stub-sts.crt'));
    const key = await fsp.readFile(path.join(FIXTURES, 'stub-sts.key'));
    const tls = await startCosServer({ sts: { tls: { cert, key } } });
    const STS = require('qcloud-cos-sts');
    const saved = https.globalAgent.options.ca;
    https.globalAgent.options.ca = [cert];
    try {
      expect(tls.stsEndpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
      const host = new URL(tls.stsEndpoint).host;
      const get = (o) => STS.getCredential({ ...tls.credentials, policy, durationSeconds: 900, host, ...o });
      // qcloud-cos-sts signs with HmacSHA1; HmacSHA256 (the form API's other SignatureMethod) by hand.
      const answers = { HmacSHA1: dist.fromSts(await get()), HmacSHA256: await formApiCall(tls, cert, 'HmacSHA256') };
      for (const [method, c] of Object.entries(answers)) {
        const signer = new dist.CosSigner({ domain: tls.domain, scheme: 'http', credentials: c });
        const body = randomBytes(500);
        const put = await dist.signedFetch(signer, `${tls.url}/qcloud-${method}.bin`, { method: 'PUT', body });
        expect(put.status).toBe(200);
        expect((await tls.server.readObject(`qcloud-${method}.bin`)).data.equals(body)).toBe(true);
      }
      await expect(get({ secretKey: 'wrong' })).rejects.toMatchObject({ Code: 'AuthFailure.SignatureFailure' });
    } finally {
      https.globalAgent.options.ca = saved;
      await tls.close();
    }
  });
});

describe('cos-js-sdk-v5 in Chromium against cos-sign/server', async () => {
  const chromium = await available('chromium');
  const browserIt = chromium.ok || REQUIRE_ENGINES ? it : it.skip;
  browserIt('uploadFile with its defaults, getObject, getBucket, deleteObject; bytes equal', async () => {
    const sdkJs = await fsp.readFile(require.resolve('cos-js-sdk-v5/dist/cos-js-sdk-v5.min.js'));
    const page = http.createServer((req, res) => {
      if (req.url === '/cos.js')
        return res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(sdkJs);
      res
        .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
        .end('<!doctype html><script src="/cos.js"></script>');
    });
    await new Promise((ok) => page.listen(0, '127.0.0.1', ok));
    const browser = await launch('chromium');
    try {
      const p = await browser.newPage();
      await p.goto(`http://127.0.0.1:${page.address().port}/`);
      await p.raw
        .waitForFunction(() => typeof window.COS === 'function', null, { timeout: 10_000 })
        .catch(async () => {
          throw new Error(`cos-js-sdk-v5 did not load: ${(await p.errors()).join('; ')}`);
        });
      const t = await cos.issueTemporaryCredentials({ ttlSeconds: 900 });
      const result = await p.raw.evaluate(
        async ({ domain, bucket, t }) => {
          const cos = new COS({
            Domain: domain,
            Protocol: 'http:',
            getAuthorization: (_o, cb) =>
              cb({
                TmpSecretId: t.secretId,
                TmpSecretKey: t.secretKey,
                SecurityToken: t.securityToken,
                StartTime: Math.floor(Date.now() / 1000),
                ExpiredTime: Math.floor(Date.now() / 1000) + 900,
              }),
          });
          const call = (m, p) =>
            new Promise((ok, ko) =>
              cos[m]({ Bucket: bucket, Region: 'ap-guangzhou', ...p }, (e, d) => (e ? ko(e) : ok(d))),
            );
          const bytes = new Uint8Array(3 * 1024 * 1024 + 7);
          for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
          const hex = async (b) =>
            [...new Uint8Array(await crypto.subtle.digest('SHA-256', b))]
              .map((x) => x.toString(16).padStart(2, '0'))
              .join('');
          const out = { sent: await hex(bytes) };
          const up = await call('uploadFile', { Key: 'js/a b.bin', Body: new Blob([bytes]) });
          out.etag = up.ETag;
          const got = await call('getObject', { Key: 'js/a b.bin', DataType: 'arraybuffer' });
          out.got = await hex(got.Body);
          out.listed = (await call('getBucket', { Prefix: 'js/' })).Contents.map((c) => c.Key);
          await call('deleteObject', { Key: 'js/a b.bin' });
          out.after = (await call('getBucket', { Prefix: 'js/' })).Contents.length;
          return out;
        },
        { domain: cos.domain, bucket: cos.bucket, t },
      );
      expect(result.got).toBe(result.sent);
      expect(result.etag).toMatch(/^"[0-9a-f]{32}(-\d+)?"$/);
      expect(result.listed).toEqual(['js/a b.bin']);
      expect(result.after).toBe(0);
    } finally {
      await browser.close();
      page.close();
    }
  });
});
