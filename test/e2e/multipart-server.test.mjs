// The demo's local COS server as clients this project did not write see it: the official
// cos-nodejs-sdk-v5 pointed at it with a port in its Domain (putObject, getObject, sliceUploadFile with
// its resume, the multipart* calls), and raw requests signed by COS.getAuthorization for every refusal
// COS documents for multipart upload. Also: ListParts, ListMultipartUploads and GET Bucket paging (every
// item exactly once), the Host signed with and without its port, and the test hooks other suites use
// (inject, state.history, listUploads). Responses are read with regexes, not the server's XML code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createCosServer } from '../../demo/server/cos-server.mjs';

const require = createRequire(import.meta.url);
const COS = require('cos-nodejs-sdk-v5');

const MiB = 1024 * 1024;
const md5 = (b) => createHash('md5').update(b).digest('hex');
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
/** COS's ETag of a multipart object: md5 of the parts' binary md5s, then "-" and the part count. */
const multipartEtag = (parts) =>
  `"${md5(Buffer.concat(parts.map((b) => Buffer.from(md5(b), 'hex'))))}-${parts.length}"`;
const encKey = (key) => key.split('/').map(encodeURIComponent).join('/');
const nowS = () => Math.floor(Date.now() / 1000);
const decode = (s) =>
  s.replace(/&(lt|gt|amp|quot|apos);/g, (_m, n) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[n]);
/** The text of every <name>…</name> (entities decoded). */
const all = (xml, name) => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => decode(m[1]));
const one = (xml, name) => all(xml, name)[0];
const blocks = (xml, name) => [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]);
const commonPrefixes = (xml) => blocks(xml, 'CommonPrefixes').map((b) => one(b, 'Prefix'));
const slices = (data, size) =>
  Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size));

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
  sdk = new COS({
    SecretId: perm.id,
    SecretKey: perm.sk,
    Domain: `127.0.0.1:${port}`,
    Protocol: 'http:',
    ConfCwd: work,
  });
});
afterAll(async () => {
  await cos?.close();
  if (cos) await fsp.rm(cos.dataDir, { recursive: true, force: true });
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

/** A cos-nodejs-sdk-v5 call as a promise. */
const call = (fn, params) =>
  new Promise((ok, ko) =>
    sdk[fn]({ Bucket: cos.bucket, Region: 'ap-guangzhou', ...params }, (e, d) => (e ? ko(e) : ok(d))),
  );

/** Authorization by the official SDK; `host` is the Host value it signs. */
const sign = ({ method, key, query = {}, headers = {}, host = '127.0.0.1', id = perm.id, sk = perm.sk }) =>
  COS.getAuthorization({
    SecretId: id,
    SecretKey: sk,
    Method: method,
    Key: key || '/',
    Query: query,
    Headers: { host, ...headers },
    KeyTime: `${nowS() - 1};${nowS() + 600}`,
  });
const qs = (query) =>
  Object.entries(query)
    .map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');
const urlOf = (key, query = {}) => `${base}/${encKey(key)}${Object.keys(query).length ? '?' + qs(query) : ''}`;
/** A request signed with COS.getAuthorization: method, key, query and the given headers are signed. */
const send = (method, key, { query = {}, headers = {}, body, host, auth } = {}) =>
  fetch(urlOf(key, query), {
    method,
    body,
    headers: { ...headers, Authorization: auth ?? sign({ method, key, query, headers, host }) },
  });

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

// Multipart upload, request by request.
const initiate = async (key, headers = {}) => {
  const res = await send('POST', key, { query: { uploads: '' }, headers });
  const xml = await res.text();
  expect(res.status, xml).toBe(200);
  expect(blocks(xml, 'InitiateMultipartUploadResult')).toHaveLength(1);
  expect({ bucket: one(xml, 'Bucket'), key: one(xml, 'Key') }).toEqual({ bucket: cos.bucket, key });
  return one(xml, 'UploadId');
};
const uploadPart = (key, uploadId, partNumber, body, headers = {}) =>
  send('PUT', key, { query: { partNumber: String(partNumber), uploadId }, body, headers });
/** Uploads a part that must be accepted; returns its ETag. */
const putPart = async (key, uploadId, partNumber, body) => {
  const res = await uploadPart(key, uploadId, partNumber, body);
  expect(res.status, await res.text()).toBe(200);
  expect(res.headers.get('etag')).toBe(`"${md5(body)}"`);
  return res.headers.get('etag');
};
const completeXml = (parts) =>
  `<CompleteMultipartUpload>\n${parts.map(({ partNumber, etag }) => `  <Part>\n    <PartNumber>${partNumber}</PartNumber>\n    <ETag>${etag}</ETag>\n  </Part>\n`).join('')}</CompleteMultipartUpload>\n`;
const complete = (key, uploadId, parts, raw) =>
  send('POST', key, {
    query: { uploadId },
    body: raw ?? completeXml(parts),
    headers: { 'Content-Type': 'application/xml' },
  });
const abort = (key, uploadId) => send('DELETE', key, { query: { uploadId } });
const listParts = (key, uploadId, query = {}) => send('GET', key, { query: { uploadId, ...query } });
const listUploads = (query = {}) => send('GET', '', { query: { uploads: '', ...query } });
const getObject = (key) => send('GET', key);
const uploadFolder = (uploadId) => path.join(cos.dataDir, 'multipart', uploadId);

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
    const { Url } = await new Promise((ok, ko) =>
      sdk.getObjectUrl({ Bucket: cos.bucket, Region: 'ap-guangzhou', Key: key, Sign: true }, (e, d) =>
        e ? ko(e) : ok(d),
      ),
    );
    expect(new URL(Url).host).toBe(`127.0.0.1:${port}`);
    const res = await fetch(Url);
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(body));
  });

  it('sliceUploadFile of a 20 MiB file in 1 MiB slices: equal bytes back, the multipart ETag, metadata on HEAD', async () => {
    const key = 'sdk/slice/20 MiB.bin';
    const file = path.join(work, 'slice.bin');
    const data = randomBytes(20 * MiB + 12_345);
    await fsp.writeFile(file, data);
    const from = cos.state.history.length;
    let progress = 0;
    const done = await call('sliceUploadFile', {
      Key: key,
      FilePath: file,
      SliceSize: MiB,
      Headers: { 'Content-Type': 'application/x-slice', 'x-cos-meta-origin': 'slice' },
      onProgress: (p) => (progress = p.percent),
    });
    const parts = slices(data, MiB);
    expect(parts).toHaveLength(21);
    expect(done.ETag).toBe(multipartEtag(parts));
    expect(progress).toBe(1);
    const sent = cos.state.history.slice(from);
    // It looked for an upload to resume (ListMultipartUploads), then sent each slice once.
    expect(sent[0]).toMatchObject({ method: 'GET', key: '', query: { uploads: '', prefix: key }, status: 200 });
    const partRequests = sent.filter((r) => r.method === 'PUT' && r.query.partNumber);
    expect(partRequests.map((r) => +r.query.partNumber).sort((a, b) => a - b)).toEqual(parts.map((_, i) => i + 1));
    expect(partRequests.every((r) => r.status === 200)).toBe(true);
    const head = await call('headObject', { Key: key });
    expect(head.headers).toMatchObject({
      etag: multipartEtag(parts),
      'content-length': String(data.length),
      'content-type': 'application/x-slice',
      'x-cos-meta-origin': 'slice',
    });
    const got = await call('getObject', { Key: key });
    expect(sha256(got.Body)).toBe(sha256(data));
    expect(cos.listUploads().filter((u) => u.key === key)).toEqual([]);
    expect(await cos.tmpFiles()).toEqual([]);
  });

  it('sliceUploadFile resumes an upload it finds (ListMultipartUploads, ListParts): only the missing slices are sent', async () => {
    const key = 'sdk/slice/resumed.bin';
    const file = path.join(work, 'resume.bin');
    const data = randomBytes(6 * MiB + 1000);
    await fsp.writeFile(file, data);
    const parts = slices(data, MiB);
    const { UploadId } = await call('multipartInit', { Key: key, Headers: {} });
    for (const n of [1, 2, 3]) await call('multipartUpload', { Key: key, UploadId, PartNumber: n, Body: parts[n - 1] });
    const from = cos.state.history.length;
    const done = await call('sliceUploadFile', { Key: key, FilePath: file, SliceSize: MiB });
    expect(done.ETag).toBe(multipartEtag(parts));
    const sent = cos.state.history.slice(from);
    expect(sent.some((r) => r.method === 'GET' && r.key === key && r.query.uploadId === UploadId)).toBe(true);
    expect(
      sent
        .filter((r) => r.method === 'PUT')
        .map((r) => +r.query.partNumber)
        .sort(),
    ).toEqual([4, 5, 6, 7]);
    expect(sent.find((r) => r.method === 'POST')).toMatchObject({ key, query: { uploadId: UploadId }, status: 200 });
    expect(sha256((await cos.readObject(key)).data)).toBe(sha256(data));
  });

  it('multipartInit / multipartUpload / multipartListPart / multipartList / multipartComplete / multipartAbort', async () => {
    const key = 'sdk/parts/report & "notes".txt';
    const headers = {
      'Content-Type': 'text/x-report',
      'Content-Disposition': 'attachment; filename="report.txt"',
      'Cache-Control': 'max-age=60',
      'x-cos-meta-author': 'init',
    };
    const { UploadId } = await call('multipartInit', { Key: key, Headers: { ...headers } });
    const bodies = [randomBytes(MiB), randomBytes(MiB + 7), Buffer.from('the short last part')];
    const etags = [];
    for (const [i, body] of bodies.entries())
      etags.push((await call('multipartUpload', { Key: key, UploadId, PartNumber: i + 1, Body: body })).ETag);
    expect(etags).toEqual(bodies.map((b) => `"${md5(b)}"`));

    // ListParts, one part a page.
    const seen = [];
    let marker;
    for (;;) {
      const page = await call('multipartListPart', {
        Key: key,
        UploadId,
        MaxParts: 1,
        ...(marker && { PartNumberMarker: marker }),
      });
      expect(page.Part.length).toBeLessThanOrEqual(1);
      seen.push(...page.Part.map((p) => ({ n: +p.PartNumber, etag: p.ETag, size: +p.Size })));
      if (page.IsTruncated !== 'true') break;
      marker = page.NextPartNumberMarker;
    }
    expect(seen).toEqual(bodies.map((b, i) => ({ n: i + 1, etag: etags[i], size: b.length })));

    const listed = await call('multipartList', { Prefix: 'sdk/parts/' });
    expect(listed.Upload.map((u) => [u.Key, u.UploadId, u.StorageClass])).toEqual([[key, UploadId, 'STANDARD']]);

    const done = await call('multipartComplete', {
      Key: key,
      UploadId,
      Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })),
    });
    expect(done).toMatchObject({ Bucket: cos.bucket, Key: key, ETag: multipartEtag(bodies) });
    const head = await call('headObject', { Key: key });
    expect(head.headers).toMatchObject({
      'content-type': 'text/x-report',
      'content-disposition': 'attachment; filename="report.txt"',
      'cache-control': 'max-age=60',
      'x-cos-meta-author': 'init',
      'content-length': String(bodies.reduce((n, b) => n + b.length, 0)),
      etag: multipartEtag(bodies),
    });
    expect(sha256((await call('getObject', { Key: key })).Body)).toBe(sha256(Buffer.concat(bodies)));

    // Abort: the upload is gone from the list, and asking for its parts is NoSuchUpload.
    const other = await call('multipartInit', { Key: key, Headers: {} });
    await call('multipartUpload', { Key: key, UploadId: other.UploadId, PartNumber: 1, Body: Buffer.from('x') });
    expect((await call('multipartAbort', { Key: key, UploadId: other.UploadId })).statusCode).toBe(204);
    expect((await call('multipartList', { Prefix: 'sdk/parts/' })).Upload).toEqual([]);
    await expect(call('multipartListPart', { Key: key, UploadId: other.UploadId })).rejects.toMatchObject({
      statusCode: 404,
      code: 'NoSuchUpload',
    });
    expect(fs.existsSync(uploadFolder(other.UploadId))).toBe(false);
  });
});

describe('multipart upload with raw requests signed by COS.getAuthorization', () => {
  it('joins the listed parts; ETags quoted, entity-quoted or bare; ETag is md5-of-md5s "-N"; unlisted parts are discarded', async () => {
    const key = 'raw/joined <&>.bin';
    const uploadId = await initiate(key, { 'Content-Type': 'application/x-joined', 'x-cos-meta-k': 'v' });
    const bodies = [randomBytes(MiB), randomBytes(2 * MiB), randomBytes(1000), randomBytes(5000)];
    const etags = [];
    for (const [i, b] of bodies.entries()) etags.push(await putPart(key, uploadId, i + 1, b));
    expect(cos.listUploads().find((u) => u.uploadId === uploadId)).toEqual({
      key,
      uploadId,
      parts: bodies.map((b, i) => ({ partNumber: i + 1, size: b.length, etag: `"${md5(b)}"` })),
    });
    // Part 4 is left out; the three ETags in three spellings.
    const listed = [
      { partNumber: 1, etag: etags[0] },
      { partNumber: 2, etag: etags[1].replace(/"/g, '&quot;') },
      { partNumber: 3, etag: etags[2].replace(/"/g, '') },
    ];
    const res = await complete(key, uploadId, listed);
    const xml = await res.text();
    expect(res.status, xml).toBe(200);
    const joined = bodies.slice(0, 3);
    expect({
      location: one(xml, 'Location'),
      bucket: one(xml, 'Bucket'),
      key: one(xml, 'Key'),
      etag: one(xml, 'ETag'),
    }).toEqual({
      location: `${base}/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
      bucket: cos.bucket,
      key,
      etag: multipartEtag(joined),
    });
    expect(xml).toContain('<Key>raw/joined &lt;&amp;&gt;.bin</Key>');
    const got = await getObject(key);
    expect(got.headers.get('etag')).toBe(multipartEtag(joined));
    expect(got.headers.get('content-type')).toBe('application/x-joined');
    expect(got.headers.get('x-cos-meta-k')).toBe('v');
    expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(sha256(Buffer.concat(joined)));
    expect(cos.listUploads().find((u) => u.uploadId === uploadId)).toBeUndefined();
    expect(fs.existsSync(uploadFolder(uploadId))).toBe(false);
    expect(await cos.tmpFiles()).toEqual([]);
    // Done is done: the upload is gone.
    await expectError(await complete(key, uploadId, listed), 404, 'NoSuchUpload');
  });

  it('a part uploaded again replaces the first one; Content-MD5 is checked (BadDigest)', async () => {
    const key = 'raw/replaced.bin';
    const uploadId = await initiate(key);
    await putPart(key, uploadId, 1, randomBytes(1000));
    const first = randomBytes(MiB + 1);
    const etag = await putPart(key, uploadId, 1, first);
    const wrong = Buffer.from(md5(Buffer.from('other')), 'hex').toString('base64');
    await expectError(
      await uploadPart(key, uploadId, 2, Buffer.from('tail'), { 'Content-MD5': wrong }),
      400,
      'BadDigest',
    );
    const right = Buffer.from(md5(Buffer.from('tail')), 'hex').toString('base64');
    expect((await uploadPart(key, uploadId, 2, Buffer.from('tail'), { 'Content-MD5': right })).status).toBe(200);
    expect(
      cos
        .listUploads()
        .find((u) => u.uploadId === uploadId)
        .parts.map((p) => p.size),
    ).toEqual([MiB + 1, 4]);
    const res = await complete(key, uploadId, [
      { partNumber: 1, etag },
      { partNumber: 2, etag: `"${md5(Buffer.from('tail'))}"` },
    ]);
    expect(res.status).toBe(200);
    expect(sha256((await cos.readObject(key)).data)).toBe(sha256(Buffer.concat([first, Buffer.from('tail')])));
  });

  it('EntityTooSmall: a part but the last under 1 MiB; the upload stays, and completes once the part is big enough', async () => {
    const key = 'raw/small.bin';
    const uploadId = await initiate(key);
    const a = randomBytes(MiB - 1);
    const b = randomBytes(10);
    const parts = [
      { partNumber: 1, etag: await putPart(key, uploadId, 1, a) },
      { partNumber: 2, etag: await putPart(key, uploadId, 2, b) },
    ];
    await expectError(await complete(key, uploadId, parts), 400, 'EntityTooSmall');
    expect(await cos.readObject(key)).toBeUndefined();
    // One part alone may be small: it is the last.
    const single = await initiate('raw/single-small.bin');
    const e = await putPart('raw/single-small.bin', single, 1, b);
    expect((await complete('raw/single-small.bin', single, [{ partNumber: 1, etag: e }])).status).toBe(200);
    // Exactly 1 MiB is enough.
    const a2 = randomBytes(MiB);
    parts[0].etag = await putPart(key, uploadId, 1, a2);
    expect((await complete(key, uploadId, parts)).status).toBe(200);
    expect(sha256((await cos.readObject(key)).data)).toBe(sha256(Buffer.concat([a2, b])));
  });

  it('InvalidPart (wrong ETag, part never uploaded, a gap in the numbers) and InvalidPartOrder (descending, repeated)', async () => {
    const key = 'raw/invalid.bin';
    const uploadId = await initiate(key);
    const bodies = [randomBytes(MiB), randomBytes(MiB), randomBytes(10)];
    const etags = [];
    for (const [i, body] of bodies.entries()) etags.push(await putPart(key, uploadId, i + 1, body));
    const p = (n, etag = etags[n - 1]) => ({ partNumber: n, etag });
    await expectError(
      await complete(key, uploadId, [p(1), p(2, `"${md5(Buffer.from('nope'))}"`), p(3)]),
      400,
      'InvalidPart',
    );
    await expectError(await complete(key, uploadId, [p(1), p(2), p(3), p(4, etags[0])]), 400, 'InvalidPart');
    // COS's Complete documentation: non-consecutive part numbers are InvalidPart.
    const gap = await expectError(await complete(key, uploadId, [p(1), p(3)]), 400, 'InvalidPart');
    expect(gap.message).toMatch(/consecutive/);
    await expectError(await complete(key, uploadId, [p(2), p(1), p(3)]), 400, 'InvalidPartOrder');
    await expectError(await complete(key, uploadId, [p(1), p(1), p(2)]), 400, 'InvalidPartOrder');
    // None of that touched the upload: it still completes.
    expect((await complete(key, uploadId, [p(1), p(2), p(3)])).status).toBe(200);
  });

  it('MalformedXML for bodies that are not a CompleteMultipartUpload', async () => {
    const key = 'raw/malformed.bin';
    const uploadId = await initiate(key);
    const etag = await putPart(key, uploadId, 1, Buffer.from('x'));
    const part = `<Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part>`;
    for (const raw of [
      'not xml at all',
      '',
      `<CompleteMultipartUpload>${part}`,
      `<CompleteMultipartUpload>${part}</Complete>`,
      `<Other>${part}</Other>`,
      '<CompleteMultipartUpload></CompleteMultipartUpload>',
      `<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`,
      `<CompleteMultipartUpload><Part><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`,
      `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`,
      `<CompleteMultipartUpload>${part}</CompleteMultipartUpload><CompleteMultipartUpload/>`,
      `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a & b</ETag></Part></CompleteMultipartUpload>`,
    ])
      await expectError(await complete(key, uploadId, null, raw), 400, 'MalformedXML');
    // The same part in a well-formed body with a declaration, a namespace and a comment is fine.
    const ok = `<?xml version="1.0" encoding="UTF-8"?>\n<!-- parts -->\n<CompleteMultipartUpload xmlns="http://www.qcloud.com/document/product/436/7751">${part}</CompleteMultipartUpload>`;
    expect((await complete(key, uploadId, null, ok)).status).toBe(200);
  });

  it('NoSuchUpload for UploadPart, ListParts, Complete and Abort of an unknown upload (or of another key)', async () => {
    const key = 'raw/nosuch.bin';
    const real = await initiate('raw/someone-else.bin');
    for (const uploadId of ['1700000000000deadbeef', real]) {
      await expectError(await uploadPart(key, uploadId, 1, randomBytes(2000)), 404, 'NoSuchUpload');
      await expectError(await listParts(key, uploadId), 404, 'NoSuchUpload');
      await expectError(await complete(key, uploadId, [{ partNumber: 1, etag: '"00"' }]), 404, 'NoSuchUpload');
      await expectError(await abort(key, uploadId), 404, 'NoSuchUpload');
    }
    expect(cos.listUploads().find((u) => u.uploadId === real)).toEqual({
      key: 'raw/someone-else.bin',
      uploadId: real,
      parts: [],
    });
  });

  it('Abort answers 204 and removes the parts; aborting again is NoSuchUpload; DELETE Object leaves uploads alone', async () => {
    const key = 'raw/aborted.bin';
    await send('PUT', key, { body: 'an object under the same key' });
    const uploadId = await initiate(key);
    await putPart(key, uploadId, 1, randomBytes(3000));
    expect((await send('DELETE', key)).status).toBe(204);
    expect(cos.listUploads().find((u) => u.uploadId === uploadId).parts).toHaveLength(1);
    const res = await abort(key, uploadId);
    expect(res.status).toBe(204);
    expect(cos.listUploads().find((u) => u.uploadId === uploadId)).toBeUndefined();
    expect(fs.existsSync(uploadFolder(uploadId))).toBe(false);
    await expectError(await abort(key, uploadId), 404, 'NoSuchUpload');
  });

  it('InvalidArgument for part numbers 0, 10001 and not a number; 411 MissingContentLength; EntityTooLarge over the limit', async () => {
    const key = 'raw/args.bin';
    const uploadId = await initiate(key);
    for (const n of ['0', '10001', 'x', '-1', ''])
      await expectError(
        await send('PUT', key, { query: { partNumber: n, uploadId }, body: 'x' }),
        400,
        'InvalidArgument',
      );
    expect((await uploadPart(key, uploadId, 10000, Buffer.from('last possible'))).status).toBe(200);
    await expectError(await send('PUT', key, { query: { uploadId }, body: 'x' }), 400, 'InvalidArgument');
    // No Content-Length and no chunked body: a raw HTTP/1.1 request.
    const query = { partNumber: '1', uploadId };
    const head = `PUT /${encKey(key)}?${qs(query)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${sign({ method: 'PUT', key, query })}\r\nConnection: close\r\n\r\n`;
    const answer = await new Promise((ok, ko) => {
      let text = '';
      const socket = net.connect(+port, '127.0.0.1', () => socket.end(head));
      socket.on('data', (c) => (text += c));
      socket.on('end', () => ok(text));
      socket.on('error', ko);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 411 /);
    expect(answer).toContain('<Code>MissingContentLength</Code>');
    // A part over the server's object limit.
    const small = await createCosServer({ maxObjectBytes: 2 * MiB });
    try {
      const url = await small.listen(0);
      small.addKey(perm.id, perm.sk);
      const init = await fetch(`${url}/big.bin?uploads`, {
        method: 'POST',
        headers: { Authorization: sign({ method: 'POST', key: 'big.bin', query: { uploads: '' } }) },
      });
      const id = one(await init.text(), 'UploadId');
      const q = { partNumber: '1', uploadId: id };
      const res = await fetch(`${url}/big.bin?${qs(q)}`, {
        method: 'PUT',
        body: randomBytes(2 * MiB + 1),
        headers: { Authorization: sign({ method: 'PUT', key: 'big.bin', query: q }) },
      });
      await expectError(res, 400, 'EntityTooLarge');
      expect(await small.tmpFiles()).toEqual([]);
    } finally {
      await small.close();
      await fsp.rm(small.dataDir, { recursive: true, force: true });
    }
  });

  it('a chunked part (no Content-Length) is accepted like a chunked PUT', async () => {
    const key = 'raw/chunked.bin';
    const uploadId = await initiate(key);
    const body = randomBytes(300_000);
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(body.subarray(0, 100_000));
        c.enqueue(body.subarray(100_000));
        c.close();
      },
    });
    const res = await fetch(urlOf(key, { partNumber: '1', uploadId }), {
      method: 'PUT',
      body: stream,
      duplex: 'half',
      headers: { Authorization: sign({ method: 'PUT', key, query: { partNumber: '1', uploadId } }) },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${md5(body)}"`);
    await abort(key, uploadId);
  });

  it('CORS: preflights allow the multipart methods and headers, and part answers expose ETag', async () => {
    const origin = 'http://127.0.0.1:8787';
    for (const method of ['POST', 'PUT', 'GET', 'DELETE']) {
      const res = await fetch(urlOf('cors/x.bin', { uploadId: 'any' }), {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': method,
          'Access-Control-Request-Headers': 'authorization,content-md5,content-type,x-cos-meta-a',
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-methods').split(',')).toContain(method);
      expect(res.headers.get('access-control-allow-headers')).toBe(
        'authorization,content-md5,content-type,x-cos-meta-a',
      );
    }
    const key = 'cors/x.bin';
    const uploadId = await initiate(key);
    const res = await send('PUT', key, {
      query: { partNumber: '1', uploadId },
      body: 'part',
      headers: { Origin: origin },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-expose-headers').toLowerCase().split(/,\s*/)).toContain('etag');
    await abort(key, uploadId);
  });
});

describe('paging visits every item exactly once', () => {
  it('ListParts with max-parts 1, 2 and 3 (and part-number-marker)', async () => {
    const key = 'paging/parts.bin';
    const uploadId = await initiate(key);
    const numbers = [7, 3, 1, 10, 2, 5];
    for (const n of numbers) await putPart(key, uploadId, n, Buffer.from(`part ${n}`));
    const sorted = [...numbers].sort((a, b) => a - b);
    for (const max of [1, 2, 3]) {
      const seen = [];
      let marker = 0;
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(10);
        const res = await listParts(key, uploadId, {
          'max-parts': String(max),
          ...(marker && { 'part-number-marker': String(marker) }),
        });
        const xml = await res.text();
        expect(res.status, xml).toBe(200);
        expect({
          marker: one(xml, 'PartNumberMarker'),
          max: one(xml, 'MaxParts'),
          key: one(xml, 'Key'),
          id: one(xml, 'UploadId'),
        }).toEqual({
          marker: String(marker),
          max: String(max),
          key,
          id: uploadId,
        });
        const page = blocks(xml, 'Part').map((b) => ({
          n: +one(b, 'PartNumber'),
          etag: one(b, 'ETag'),
          size: +one(b, 'Size'),
          at: one(b, 'LastModified'),
        }));
        expect(page.length).toBeLessThanOrEqual(max);
        for (const p of page) {
          expect(p.etag).toBe(`"${md5(Buffer.from(`part ${p.n}`))}"`);
          expect(p.size).toBe(`part ${p.n}`.length);
          expect(Math.abs(Date.parse(p.at) - Date.now())).toBeLessThan(60_000);
        }
        seen.push(...page.map((p) => p.n));
        if (one(xml, 'IsTruncated') === 'false') break;
        expect(one(xml, 'IsTruncated')).toBe('true');
        expect(page).toHaveLength(max);
        marker = +one(xml, 'NextPartNumberMarker');
        expect(marker).toBe(page[page.length - 1].n);
      }
      expect(seen).toEqual(sorted);
    }
    const rest = await (await listParts(key, uploadId, { 'part-number-marker': '3' })).text();
    expect(all(rest, 'PartNumber').map(Number)).toEqual([5, 7, 10]);
    expect(one(rest, 'MaxParts')).toBe('1000');
    await expectError(await listParts(key, uploadId, { 'max-parts': '0' }), 400, 'InvalidArgument');
    await expectError(await listParts(key, uploadId, { 'part-number-marker': 'x' }), 400, 'InvalidArgument');
    await abort(key, uploadId);
  });

  it('ListMultipartUploads with max-uploads 1, 2 and 3, with and without a delimiter, in key then initiation order', async () => {
    const keys = ['mpl/b', 'mpl/a', 'mpl/c/1', 'mpl/d', 'mpl/a', 'mpl/c/2', 'mpl/d', 'mpl/e', 'mpl/d', 'mpl/ü'];
    const made = [];
    for (const key of keys) made.push({ key, uploadId: await initiate(key) });
    const order = (a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) || made.indexOf(a) - made.indexOf(b);
    const expected = [...made].sort(order).map((u) => `${u.key} ${u.uploadId}`);
    const pageAll = async (max, extra = {}) => {
      const uploads = [];
      const prefixes = [];
      let km = '';
      let im = '';
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(20);
        const res = await listUploads({
          prefix: 'mpl/',
          'max-uploads': String(max),
          ...extra,
          ...(km && { 'key-marker': km, 'upload-id-marker': im }),
        });
        const xml = await res.text();
        expect(res.status, xml).toBe(200);
        expect({
          bucket: one(xml, 'Bucket'),
          prefix: one(xml, 'Prefix'),
          km: one(xml, 'KeyMarker'),
          max: one(xml, 'MaxUploads'),
        }).toEqual({ bucket: cos.bucket, prefix: 'mpl/', km, max: String(max) });
        const page = blocks(xml, 'Upload').map((b) => ({
          key: one(b, 'Key'),
          id: one(b, 'UploadId'),
          cls: one(b, 'StorageClass'),
          at: one(b, 'Initiated'),
        }));
        const cps = commonPrefixes(xml);
        expect(page.length + cps.length).toBeLessThanOrEqual(max);
        for (const u of page) expect(u.cls).toBe('STANDARD');
        uploads.push(...page.map((u) => `${u.key} ${u.id}`));
        prefixes.push(...cps);
        if (one(xml, 'IsTruncated') === 'false') break;
        expect(page.length + cps.length).toBe(max);
        km = one(xml, 'NextKeyMarker');
        im = one(xml, 'NextUploadIdMarker');
      }
      return { uploads, prefixes };
    };
    for (const max of [1, 2, 3]) {
      expect(await pageAll(max)).toEqual({ uploads: expected, prefixes: [] });
      expect(await pageAll(max, { delimiter: '/' })).toEqual({
        uploads: expected.filter((u) => !u.startsWith('mpl/c/')),
        prefixes: ['mpl/c/'],
      });
    }
    const xml = await (await listUploads({ prefix: 'mpl/c/' })).text();
    expect(all(xml, 'Key')).toEqual(['mpl/c/1', 'mpl/c/2']);
    expect(one(xml, 'MaxUploads')).toBe('1000');
    await expectError(await listUploads({ 'max-uploads': '1001' }), 400, 'InvalidArgument');
    for (const u of made) expect((await abort(u.key, u.uploadId)).status).toBe(204);
  });

  it('GET Bucket with max-keys 1, 2 and 3, with and without a delimiter, in UTF-8 byte order', async () => {
    const keys = [
      'paging/a.txt',
      'paging/b/1',
      'paging/b/2',
      'paging/b/sub/3',
      'paging/c.txt',
      'paging/d/1',
      'paging/e/',
      'paging/e/x',
      'paging/f.txt',
      'paging/ü.txt',
      'paging/\u{1F600}.txt',
      'paging/\uE000.txt',
      'paging/z z+%.txt',
    ];
    for (const key of keys) expect((await send('PUT', key, { body: key })).status).toBe(200);
    const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    // UTF-8 order puts U+E000 before U+1F600; UTF-16 order would not.
    expect(byBytes.indexOf('paging/\uE000.txt')).toBeLessThan(byBytes.indexOf('paging/\u{1F600}.txt'));
    const pageAll = async (max, extra = {}) => {
      const found = { keys: [], prefixes: [] };
      let marker = '';
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(30);
        const res = await send('GET', '', {
          query: { prefix: 'paging/', 'max-keys': String(max), ...extra, ...(marker && { marker }) },
        });
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
      expect(await pageAll(max, { delimiter: '/' })).toEqual({
        keys: direct,
        prefixes: ['paging/b/', 'paging/d/', 'paging/e/'],
      });
      expect(await pageAll(max, { 'encoding-type': 'url' })).toEqual({ keys: byBytes, prefixes: [] });
    }
    // Deeper, with the prefix inside a folder.
    expect(
      await (async () => {
        const xml = await (await send('GET', '', { query: { prefix: 'paging/b/', delimiter: '/' } })).text();
        return { keys: all(xml, 'Key'), prefixes: commonPrefixes(xml), delimiter: one(xml, 'Delimiter') };
      })(),
    ).toEqual({ keys: ['paging/b/1', 'paging/b/2'], prefixes: ['paging/b/sub/'], delimiter: '/' });
    await expectError(await send('GET', '', { query: { 'max-keys': '1001' } }), 400, 'InvalidArgument');
  });

  it('GET Bucket encoding-type=url percent-encodes keys, prefixes and markers as UTF-8 (COS: 腾讯云 → %E8%85%BE%E8%AE%AF%E4%BA%91)', async () => {
    for (const key of ['enc/腾讯云/a b+c%d&e.txt', 'enc/\u{1F600}.txt'])
      expect((await send('PUT', key, { body: 'x' })).status).toBe(200);
    const res = await send('GET', '', {
      query: { prefix: 'enc/', delimiter: '/', 'encoding-type': 'url', 'max-keys': '1' },
    });
    const xml = await res.text();
    expect(one(xml, 'EncodingType')).toBe('url');
    expect(one(xml, 'Delimiter')).toBe('/');
    expect(commonPrefixes(xml)).toEqual(['enc/%E8%85%BE%E8%AE%AF%E4%BA%91/']);
    expect(one(xml, 'NextMarker')).toBe('enc/%E8%85%BE%E8%AE%AF%E4%BA%91/');
    const next = await (
      await send('GET', '', {
        query: { prefix: 'enc/', delimiter: '/', 'encoding-type': 'url', marker: 'enc/腾讯云/' },
      })
    ).text();
    expect({ marker: one(next, 'Marker'), keys: all(next, 'Key'), prefixes: commonPrefixes(next) }).toEqual({
      marker: 'enc/%E8%85%BE%E8%AE%AF%E4%BA%91/',
      keys: ['enc/%F0%9F%98%80.txt'],
      prefixes: [],
    });
    const whole = await (await send('GET', '', { query: { prefix: 'enc/', 'encoding-type': 'url' } })).text();
    expect(all(whole, 'Key')).toEqual([
      'enc/%E8%85%BE%E8%AE%AF%E4%BA%91/a%20b%2Bc%25d%26e.txt',
      'enc/%F0%9F%98%80.txt',
    ]);
    expect(all(whole, 'Key').map(decodeURIComponent)).toEqual(['enc/腾讯云/a b+c%d&e.txt', 'enc/\u{1F600}.txt']);
  });
});

describe('the Host header signed with or without its port', () => {
  it('both verify; a tampered signature, another port or another host name does not', async () => {
    const key = 'host/x.txt';
    for (const host of [`127.0.0.1:${port}`, '127.0.0.1']) {
      const auth = sign({ method: 'PUT', key, host, headers: { 'Content-Type': 'text/plain' } });
      expect(auth).toMatch(/q-header-list=[^&]*host/);
      const put = (a) =>
        fetch(urlOf(key), { method: 'PUT', body: host, headers: { 'Content-Type': 'text/plain', Authorization: a } });
      expect((await put(auth)).status).toBe(200);
      expect((await cos.readObject(key)).data.toString()).toBe(host);
      const flipped = auth.replace(/q-signature=(.)/, (_m, c) => `q-signature=${c === 'a' ? 'b' : 'a'}`);
      await expectError(await put(flipped), 403, 'SignatureDoesNotMatch');
      // A presigned URL signed for the same host.
      const get = sign({ method: 'GET', key, host });
      const q = get
        .split('&')
        .map((kv) => kv.replace(/=(.*)$/, (_m, v) => `=${encodeURIComponent(v)}`))
        .join('&');
      expect(await (await fetch(`${urlOf(key)}?${q}`)).text()).toBe(host);
    }
    for (const host of ['127.0.0.1:1', `localhost:${port}`, 'localhost'])
      await expectError(await send('PUT', key, { body: 'x', host }), 403, 'SignatureDoesNotMatch');
  });
});

describe('test hooks: inject, state.history, listUploads', () => {
  it('inject answers with a COS error after reading the body, `times` times, and history logs each try', async () => {
    const key = 'hooks/é x.bin';
    const uploadId = await initiate(key);
    const calls = [];
    const spy = cos.inject({ when: (r) => (calls.push(r), false) });
    const rule = cos.inject({
      when: ({ method, query }) => method === 'PUT' && query.partNumber === '2',
      times: 2,
      status: 503,
      code: 'SlowDown',
    });
    const from = cos.state.history.length;
    const body = randomBytes(MiB);
    expect((await uploadPart(key, uploadId, 1, body)).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const res = await uploadPart(key, uploadId, 2, body);
      const e = await expectError(res, 503, 'SlowDown');
      expect(e.message).toBe('Please reduce your request rate.');
    }
    expect(rule.remaining).toBe(0);
    expect((await uploadPart(key, uploadId, 2, body)).status).toBe(200);
    expect(cos.state.history.slice(from)).toEqual([
      { method: 'PUT', key, query: { partNumber: '1', uploadId }, status: 200 },
      { method: 'PUT', key, query: { partNumber: '2', uploadId }, status: 503 },
      { method: 'PUT', key, query: { partNumber: '2', uploadId }, status: 503 },
      { method: 'PUT', key, query: { partNumber: '2', uploadId }, status: 200 },
    ]);
    // `when` saw the decoded key and query (the spy first, as it was injected first).
    expect(calls[0]).toEqual({ method: 'PUT', key, query: { partNumber: '1', uploadId } });
    spy.cancel();
    expect(
      cos
        .listUploads()
        .find((u) => u.uploadId === uploadId)
        .parts.map((p) => p.partNumber),
    ).toEqual([1, 2]);
    // Status and message of one's own; a cancelled rule does nothing.
    const gone = cos.inject({ when: ({ key: k }) => k === 'hooks/never', status: 500 });
    gone.cancel();
    expect((await send('PUT', 'hooks/never', { body: 'x' })).status).toBe(200);
    cos.inject({
      when: ({ method, key: k }) => method === 'GET' && k === 'hooks/never',
      status: 404,
      code: 'NoSuchKey',
      message: 'gone for the test',
    });
    expect(await expectError(await getObject('hooks/never'), 404, 'NoSuchKey')).toMatchObject({
      message: 'gone for the test',
    });
    expect(await (await getObject('hooks/never')).text()).toBe('x');
    await abort(key, uploadId);
  });

  it('inject destroy cuts the connection (a network error); errorIn200 answers a Complete 200 with an <Error> body', async () => {
    const key = 'hooks/cut.bin';
    const uploadId = await initiate(key);
    const etag = await putPart(key, uploadId, 1, Buffer.from('only part'));
    cos.inject({ when: ({ method, query }) => method === 'PUT' && query.uploadId === uploadId, destroy: true });
    const from = cos.state.history.length;
    await expect(uploadPart(key, uploadId, 2, randomBytes(MiB))).rejects.toThrow(TypeError);
    expect(cos.state.history.slice(from)).toEqual([
      { method: 'PUT', key, query: { partNumber: '2', uploadId }, status: 0 },
    ]);
    expect(
      cos
        .listUploads()
        .find((u) => u.uploadId === uploadId)
        .parts.map((p) => p.partNumber),
    ).toEqual([1]);

    cos.inject({ when: ({ method, query }) => method === 'POST' && query.uploadId === uploadId, errorIn200: true });
    const res = await complete(key, uploadId, [{ partNumber: 1, etag }]);
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(one(xml, 'Code')).toBe('InternalError');
    expect(xml).toContain('<Error>');
    expect(xml).not.toContain('CompleteMultipartUploadResult');
    expect(cos.listUploads().some((u) => u.uploadId === uploadId)).toBe(true);
    const retried = await complete(key, uploadId, [{ partNumber: 1, etag }]);
    expect(one(await retried.text(), 'ETag')).toBe(multipartEtag([Buffer.from('only part')]));
  });

  it('state.history keeps the last `historyLimit` requests; listUploads lists uploads by key, then age', async () => {
    const small = await createCosServer({ historyLimit: 3 });
    try {
      const url = await small.listen(0);
      small.addKey(perm.id, perm.sk);
      const auth = (method, key, query = {}) => ({ Authorization: sign({ method, key, query }) });
      for (const k of ['1', '2', '3', '4'])
        await fetch(`${url}/${k}`, { method: 'PUT', body: k, headers: auth('PUT', k) });
      await fetch(`${url}/nothing`); // unsigned: refused, logged all the same
      expect(small.state.history).toEqual([
        { method: 'PUT', key: '3', query: {}, status: 200 },
        { method: 'PUT', key: '4', query: {}, status: 200 },
        { method: 'GET', key: 'nothing', query: {}, status: 403 },
      ]);
      const ids = [];
      for (const k of ['b', 'a', 'b']) {
        const res = await fetch(`${url}/${k}?uploads`, { method: 'POST', headers: auth('POST', k, { uploads: '' }) });
        ids.push(one(await res.text(), 'UploadId'));
      }
      const q = { partNumber: '3', uploadId: ids[1] };
      await fetch(`${url}/a?${qs(q)}`, { method: 'PUT', body: 'three', headers: auth('PUT', 'a', q) });
      expect(small.listUploads()).toEqual([
        { key: 'a', uploadId: ids[1], parts: [{ partNumber: 3, size: 5, etag: `"${md5(Buffer.from('three'))}"` }] },
        { key: 'b', uploadId: ids[0], parts: [] },
        { key: 'b', uploadId: ids[2], parts: [] },
      ]);
    } finally {
      await small.close();
      await fsp.rm(small.dataDir, { recursive: true, force: true });
    }
  });
});
