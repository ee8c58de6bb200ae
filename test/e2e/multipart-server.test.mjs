// The demo's local COS server as clients this project did not write see it: the official
// cos-nodejs-sdk-v5 pointed at it with a port in its Domain (so it signs the Host with that port),
// requests signed by COS.getAuthorization for the Host with and without its port, and GET Bucket paging
// (every key and common prefix exactly once). Responses are read with regexes, not the server's XML code.
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
const blocks = (xml, name) => [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]);
const commonPrefixes = (xml) => blocks(xml, 'CommonPrefixes').map((b) => one(b, 'Prefix'));

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

describe('paging visits every item exactly once', () => {
  it('GET Bucket with max-keys 1, 2 and 3, with and without a delimiter, in UTF-8 byte order', async () => {
    const keys = ['paging/a.txt', 'paging/b/1', 'paging/b/2', 'paging/b/sub/3', 'paging/c.txt', 'paging/d/1', 'paging/e/', 'paging/e/x', 'paging/f.txt', 'paging/ü.txt', 'paging/\u{1F600}.txt', 'paging/\uE000.txt', 'paging/z z+%.txt'];
    for (const key of keys) expect((await send('PUT', key, { body: key })).status).toBe(200);
    const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    // UTF-8 order puts U+E000 before U+1F600; UTF-16 order would not.
    expect(byBytes.indexOf('paging/\uE000.txt')).toBeLessThan(byBytes.indexOf('paging/\u{1F600}.txt'));
    const pageAll = async (max, extra = {}) => {
      const found = { keys: [], prefixes: [] };
      let marker = '';
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(30);
        const res = await send('GET', '', { query: { prefix: 'paging/', 'max-keys': String(max), ...extra, ...(marker && { marker }) } });
        const xml = await res.text();
        expect(res.status, xml).toBe(200);
        const url = extra['encoding-type'] === 'url';
        const dec = (s) => (url ? decodeURIComponent(s) : s);
        const page = blocks(xml, 'Contents').map((b) => dec(one(b, 'Key')));
        const cps = commonPrefixes(xml).map(dec);
        expect(page.length + cps.length).toBeLessThanOrEqual(max);
        found.keys.push(...page);
        found.prefixes.push(...cps);
        expect(dec(one(xml, 'Marker'))).toBe(marker);
        if (one(xml, 'IsTruncated') === 'false') {
          expect(xml).not.toContain('<NextMarker>');
          break;
        }
        expect(page.length + cps.length).toBe(max);
        // COS: NextMarker on every truncated page, the last entry of this one (key or common prefix).
        const next = dec(one(xml, 'NextMarker'));
        expect(next).toBe([...page, ...cps].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).pop());
        marker = next;
      }
      return found;
    };
    const direct = byBytes.filter((k) => !k.slice('paging/'.length).includes('/'));
    for (const max of [1, 2, 3]) {
      expect(await pageAll(max)).toEqual({ keys: byBytes, prefixes: [] });
      expect(await pageAll(max, { delimiter: '/' })).toEqual({ keys: direct, prefixes: ['paging/b/', 'paging/d/', 'paging/e/'] });
      expect(await pageAll(max, { 'encoding-type': 'url' })).toEqual({ keys: byBytes, prefixes: [] });
    }
    // Deeper, with the prefix inside a folder.
    expect(await (async () => {
      const xml = await (await send('GET', '', { query: { prefix: 'paging/b/', delimiter: '/' } })).text();
      return { keys: all(xml, 'Key'), prefixes: commonPrefixes(xml), delimiter: one(xml, 'Delimiter') };
    })()).toEqual({ keys: ['paging/b/1', 'paging/b/2'], prefixes: ['paging/b/sub/'], delimiter: '/' });
    await expectError(await send('GET', '', { query: { 'max-keys': '1001' } }), 400, 'InvalidArgument');
  });

  it('GET Bucket encoding-type=url percent-encodes keys, prefixes and markers as UTF-8 (COS: 腾讯云 → %E8%85%BE%E8%AE%AF%E4%BA%91)', async () => {
    for (const key of ['enc/腾讯云/a b+c%d&e.txt', 'enc/\u{1F600}.txt']) expect((await send('PUT', key, { body: 'x' })).status).toBe(200);
    const res = await send('GET', '', { query: { prefix: 'enc/', delimiter: '/', 'encoding-type': 'url', 'max-keys': '1' } });
    const xml = await res.text();
    expect(one(xml, 'EncodingType')).toBe('url');
    expect(one(xml, 'Delimiter')).toBe('/');
    expect(commonPrefixes(xml)).toEqual(['enc/%E8%85%BE%E8%AE%AF%E4%BA%91/']);
    expect(one(xml, 'NextMarker')).toBe('enc/%E8%85%BE%E8%AE%AF%E4%BA%91/');
    const next = await (await send('GET', '', { query: { prefix: 'enc/', delimiter: '/', 'encoding-type': 'url', marker: 'enc/腾讯云/' } })).text();
    expect({ marker: one(next, 'Marker'), keys: all(next, 'Key'), prefixes: commonPrefixes(next) }).toEqual({
      marker: 'enc/%E8%85%BE%E8%AE%AF%E4%BA%91/',
      keys: ['enc/%F0%9F%98%80.txt'],
      prefixes: [],
    });
    const whole = await (await send('GET', '', { query: { prefix: 'enc/', 'encoding-type': 'url' } })).text();
    expect(all(whole, 'Key')).toEqual(['enc/%E8%85%BE%E8%AE%AF%E4%BA%91/a%20b%2Bc%25d%26e.txt', 'enc/%F0%9F%98%80.txt']);
    expect(all(whole, 'Key').map(decodeURIComponent)).toEqual(['enc/腾讯云/a b+c%d&e.txt', 'enc/\u{1F600}.txt']);
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
