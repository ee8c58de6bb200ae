// The demo's local COS server as clients this project did not write see it: the official
// cos-nodejs-sdk-v5 pointed at it with a port in its Domain (so it signs the Host with that port), and
// requests signed by COS.getAuthorization for the Host with and without its port. Responses are read
// with regexes, not the server's XML code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCosServer } from '../../demo/server/cos-server.mjs';

const require = createRequire(import.meta.url);
const COS = require('cos-nodejs-sdk-v5');

const md5 = (b) => createHash('md5').update(b).digest('hex');
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const encKey = (key) => key.split('/').map(encodeURIComponent).join('/');
const nowS = () => Math.floor(Date.now() / 1000);
const decode = (s) => s.replace(/&(lt|gt|amp|quot|apos);/g, (m, n) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[n]);
/** The text of every <name>…</name> (entities decoded). */
const all = (xml, name) => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => decode(m[1]));
const one = (xml, name) => all(xml, name)[0];

let cos;
let base;
let port;
let work;
let sdk;
const perm = { id: 'AKIDmultipart' + randomBytes(6).toString('hex'), sk: randomBytes(20).toString('hex') };

beforeAll(async () => {
  cos = await createCosServer();
  base = await cos.listen(0);
  port = new URL(base).port;
  cos.addKey(perm.id, perm.sk);
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-multipart-test-'));
  // As a new user would: the bucket's host is the local server, port included. ConfCwd keeps the
  // SDK's upload-id cache out of the home folder.
  sdk = new COS({ SecretId: perm.id, SecretKey: perm.sk, Domain: `127.0.0.1:${port}`, Protocol: 'http:', ConfCwd: work });
});
afterAll(async () => {
  await cos?.close();
  if (cos) await fsp.rm(cos.dataDir, { recursive: true, force: true });
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

/** A cos-nodejs-sdk-v5 call as a promise. */
const call = (fn, params) => new Promise((ok, ko) => sdk[fn]({ Bucket: cos.bucket, Region: 'ap-guangzhou', ...params }, (e, d) => (e ? ko(e) : ok(d))));

/** Authorization by the official SDK; `host` is the Host value it signs. */
const sign = ({ method, key, query = {}, headers = {}, host = '127.0.0.1', id = perm.id, sk = perm.sk }) =>
  COS.getAuthorization({ SecretId: id, SecretKey: sk, Method: method, Key: key || '/', Query: query, Headers: { host, ...headers }, KeyTime: `${nowS() - 1};${nowS() + 600}` });
const qs = (query) => Object.entries(query).map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&');
const urlOf = (key, query = {}) => `${base}/${encKey(key)}${Object.keys(query).length ? '?' + qs(query) : ''}`;
/** A request signed with COS.getAuthorization: method, key, query and the given headers are signed. */
const send = (method, key, { query = {}, headers = {}, body, host, auth } = {}) =>
  fetch(urlOf(key, query), { method, body, headers: { ...headers, Authorization: auth ?? sign({ method, key, query, headers, host }) } });

const cosError = async (res) => {
  const text = await res.text();
  return { status: res.status, code: one(text, 'Code'), message: one(text, 'Message'), text };
};
const expectError = async (res, status, code) => {
  const e = await cosError(res);
  expect({ status: e.status, code: e.code }, e.text).toEqual({ status, code });
  expect(res.headers.get('content-type')).toBe('application/xml');
  return e;
};

describe('cos-nodejs-sdk-v5 with Domain 127.0.0.1:<port> (it signs the Host with its port)', () => {
  it('putObject then getObject read back equal bytes; so does a presigned getObjectUrl', async () => {
    const key = 'sdk/put ü.bin';
    const body = randomBytes(200_000);
    const put = await call('putObject', { Key: key, Body: body, Headers: { 'x-cos-meta-by': 'sdk' } });
    expect(put.statusCode).toBe(200);
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const got = await call('getObject', { Key: key });
    expect(sha256(got.Body)).toBe(sha256(body));
    expect(got.headers['x-cos-meta-by']).toBe('sdk');
    const { Url } = await new Promise((ok, ko) => sdk.getObjectUrl({ Bucket: cos.bucket, Region: 'ap-guangzhou', Key: key, Sign: true }, (e, d) => (e ? ko(e) : ok(d))));
    expect(new URL(Url).host).toBe(`127.0.0.1:${port}`);
    const res = await fetch(Url);
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(body));
  });
});

describe('the Host header signed with or without its port', () => {
  it('both verify; a tampered signature, another port or another host name does not', async () => {
    const key = 'host/x.txt';
    for (const host of [`127.0.0.1:${port}`, '127.0.0.1']) {
      const auth = sign({ method: 'PUT', key, host, headers: { 'Content-Type': 'text/plain' } });
      expect(auth).toMatch(/q-header-list=[^&]*host/);
      const put = (a) => fetch(urlOf(key), { method: 'PUT', body: host, headers: { 'Content-Type': 'text/plain', Authorization: a } });
      expect((await put(auth)).status).toBe(200);
      expect((await cos.readObject(key)).data.toString()).toBe(host);
      const flipped = auth.replace(/q-signature=(.)/, (m, c) => `q-signature=${c === 'a' ? 'b' : 'a'}`);
      await expectError(await put(flipped), 403, 'SignatureDoesNotMatch');
      // A presigned URL signed for the same host.
      const get = sign({ method: 'GET', key, host });
      const q = get
        .split('&')
        .map((kv) => kv.replace(/=(.*)$/, (m, v) => `=${encodeURIComponent(v)}`))
        .join('&');
      expect(await (await fetch(`${urlOf(key)}?${q}`)).text()).toBe(host);
    }
    for (const host of ['127.0.0.1:1', `localhost:${port}`, 'localhost'])
      await expectError(await send('PUT', key, { body: 'x', host }), 403, 'SignatureDoesNotMatch');
  });
});
