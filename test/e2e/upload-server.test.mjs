// cos-sign's large-upload and listing functions (the built package, dist/) against the demo's local COS
// server from Node: a multipart round trip with the stored bytes compared, an upload stopped after two
// parts and resumed (only the missing parts are sent), COS's multipart refusals as ERR_COS_RESPONSE,
// retries of injected 5xx and dropped connections, listObjects paging and delimiter, and metadata given
// at Initiate on HEAD. The server verifies every signature with its own node:crypto code; an object
// uploaded by cos-sign is read back by the official cos-nodejs-sdk-v5 too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import fsp from 'node:fs/promises';
import { createCosServer } from '../../demo/server/cos-server.mjs';
import * as lib from '../../dist/cos-sign.mjs';

const {
  CosSigner,
  CosSignError,
  upload,
  createMultipartUpload,
  uploadPart,
  listParts,
  completeMultipartUpload,
  abortMultipartUpload,
  listMultipartUploads,
  listObjects,
} = lib;
const COS = createRequire(import.meta.url)('cos-nodejs-sdk-v5');
const MiB = 1 << 20;
const md5 = (b) => createHash('md5').update(b).digest('hex');

let cos;
let url;
let signer;
let bucket;
const id = 'AKIDupload' + randomBytes(6).toString('hex');
const sk = randomBytes(20).toString('hex');

beforeAll(async () => {
  cos = await createCosServer({ maxObjectBytes: 256 * MiB });
  url = await cos.listen(0);
  bucket = cos.bucket;
  cos.addKey(id, sk);
  signer = new CosSigner({
    domain: url.replace('http://', ''),
    scheme: 'http',
    credentials: { secretId: id, secretKey: sk },
  });
});
afterAll(async () => {
  await cos.close();
  await fsp.rm(cos.dataDir, { recursive: true, force: true });
});

const body = (n, seed = 1) => {
  const b = Buffer.alloc(n + 3);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return b.subarray(0, n);
};
const requests = (from, pred = () => true) => cos.state.history.slice(from).filter(pred);
const refused = async (p) => {
  const e = await p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (x) => x,
  );
  expect(e).toBeInstanceOf(CosSignError);
  expect(e.code).toBe('ERR_COS_RESPONSE');
  expect(e.message).not.toContain(sk);
  return e;
};

describe('upload() against the local COS server', () => {
  it('a 21 MiB Blob goes multipart in 8 MiB parts; the stored bytes and the -N ETag match', async () => {
    const data = body(21 * MiB + 3);
    const from = cos.state.history.length;
    const seen = [];
    const r = await upload(signer, {
      bucket,
      key: 'big/a.bin',
      body: new Blob([data]),
      onProgress: (p) => seen.push(p.loaded),
    });
    const stored = await cos.readObject('big/a.bin');
    expect(stored.data.equals(data)).toBe(true);
    expect(r.etag).toBe(stored.etag);
    const partMd5s = [0, 1, 2].map((i) =>
      createHash('md5')
        .update(data.subarray(i * 8 * MiB, (i + 1) * 8 * MiB))
        .digest(),
    );
    expect(r.etag).toBe(`"${md5(Buffer.concat(partMd5s))}-3"`);
    expect(r.location).toBe(`${url}/big/a.bin`);
    expect(requests(from).map((h) => h.method + (h.query.partNumber ? h.query.partNumber : ''))).toEqual(
      expect.arrayContaining(['POST', 'PUT1', 'PUT2', 'PUT3']),
    );
    expect(seen.at(-1)).toBe(data.length);
    expect(cos.listUploads()).toEqual([]);
  });

  it('a small body goes in one PutObject, with its headers stored', async () => {
    const from = cos.state.history.length;
    await upload(signer, {
      bucket,
      key: 'small.txt',
      body: 'hello',
      headers: { 'Content-Type': 'text/plain', 'x-cos-meta-who': 'ann' },
    });
    expect(requests(from).map((h) => h.method)).toEqual(['PUT']);
    const o = await cos.readObject('small.txt');
    expect(o.data.toString()).toBe('hello');
    expect(o.headers).toMatchObject({ 'content-type': 'text/plain', 'x-cos-meta-who': 'ann' });
  });

  it('metadata given at Initiate comes back on HEAD, read by the official SDK', async () => {
    const data = body(2 * MiB + 1, 7);
    await upload(signer, {
      bucket,
      key: 'meta.bin',
      body: data,
      partSize: MiB,
      headers: {
        'Content-Type': 'application/x-test',
        'Content-Disposition': 'attachment; filename="m.bin"',
        'x-cos-meta-owner': 'ann',
      },
    });
    const sdk = new COS({ SecretId: id, SecretKey: sk, Domain: url.replace('http://', ''), Protocol: 'http:' });
    const head = await sdk.headObject({ Bucket: bucket, Region: 'ap-guangzhou', Key: 'meta.bin' });
    expect(head.headers).toMatchObject({
      'content-type': 'application/x-test',
      'content-disposition': 'attachment; filename="m.bin"',
      'x-cos-meta-owner': 'ann',
      'content-length': String(data.length),
    });
    const got = await sdk.getObject({ Bucket: bucket, Region: 'ap-guangzhou', Key: 'meta.bin' });
    expect(Buffer.from(got.Body).equals(data)).toBe(true);
  });

  it('stopped after two parts, then resumed with the uploadId: only the missing parts are sent', async () => {
    const data = body(6 * MiB, 3);
    const ctl = new AbortController();
    let uploadId;
    let done = 0;
    // One part at a time; stop as soon as two have been stored.
    const first = upload(signer, {
      bucket,
      key: 'resume.bin',
      body: data,
      partSize: MiB,
      concurrency: 1,
      signal: ctl.signal,
      onUploadId: (u) => (uploadId = u),
      onProgress: ({ loaded }) => loaded >= 2 * MiB && done++ == 0 && ctl.abort(new Error('paused')),
    });
    await expect(first).rejects.toThrow('paused');
    const parts = cos.listUploads().find((u) => u.uploadId == uploadId).parts;
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2]);
    expect(await cos.readObject('resume.bin')).toBeUndefined();
    expect(
      (await listParts(signer, { bucket, key: 'resume.bin', uploadId })).map((p) => [p.partNumber, p.size]),
    ).toEqual([
      [1, MiB],
      [2, MiB],
    ]);
    expect((await listMultipartUploads(signer, { bucket, prefix: 'resume' })).map((u) => u.uploadId)).toEqual([
      uploadId,
    ]);

    const from = cos.state.history.length;
    const progress = [];
    const r = await upload(signer, {
      bucket,
      key: 'resume.bin',
      body: data,
      partSize: MiB,
      uploadId,
      onProgress: (p) => progress.push(p.loaded),
    });
    const sent = requests(from, (h) => h.method == 'PUT').map((h) => +h.query.partNumber);
    expect(sent.sort()).toEqual([3, 4, 5, 6]);
    expect(progress[0]).toBe(2 * MiB);
    expect(r.uploadId).toBe(uploadId);
    expect((await cos.readObject('resume.bin')).data.equals(data)).toBe(true);
  });

  it('injected 503s and a dropped connection are retried; the upload completes once', async () => {
    const data = body(3 * MiB, 5);
    cos.inject({ when: (r) => r.query.partNumber == '2', status: 503, code: 'ServiceUnavailable', times: 1 });
    cos.inject({ when: (r) => r.query.partNumber == '3', destroy: true, times: 1 });
    const from = cos.state.history.length;
    await upload(signer, { bucket, key: 'retry.bin', body: data, partSize: MiB });
    const puts = requests(from, (h) => h.method == 'PUT').map((h) => `${h.query.partNumber}:${h.status}`);
    expect(puts.sort()).toEqual(['1:200', '2:200', '2:503', '3:0', '3:200'].sort());
    expect(requests(from, (h) => h.method == 'POST' && h.query.uploadId).length).toBe(1);
    expect((await cos.readObject('retry.bin')).data.equals(data)).toBe(true);
  });

  it('a Complete answered 200 with an <Error> body is ERR_COS_RESPONSE', async () => {
    cos.inject({ when: (r) => r.method == 'POST' && 'uploadId' in r.query, errorIn200: true, code: 'InternalError' });
    const e = await refused(upload(signer, { bucket, key: 'late.bin', body: body(MiB + 1), partSize: MiB }));
    expect(e.status).toBe(200);
    expect(e.cos.Code).toBe('InternalError');
    expect(e.cos.RequestId).toBeTruthy();
  });
});

describe("COS's multipart refusals surface as ERR_COS_RESPONSE with status and cos.Code", () => {
  it('EntityTooSmall, InvalidPart, InvalidPartOrder, NoSuchUpload', async () => {
    const key = 'refusals.bin';
    const { uploadId } = await createMultipartUpload(signer, { bucket, key });
    const p1 = await uploadPart(signer, { bucket, key, uploadId, partNumber: 1, body: body(1000) });
    const p2 = await uploadPart(signer, { bucket, key, uploadId, partNumber: 2, body: body(MiB) });
    let e = await refused(completeMultipartUpload(signer, { bucket, key, uploadId, parts: [p1, p2] }));
    expect([e.status, e.cos.Code]).toEqual([400, 'EntityTooSmall']);
    e = await refused(
      completeMultipartUpload(signer, {
        bucket,
        key,
        uploadId,
        parts: [{ partNumber: 1, etag: '"0123456789abcdef0123456789abcdef"' }],
      }),
    );
    expect([e.status, e.cos.Code]).toEqual([400, 'InvalidPart']);
    // completeMultipartUpload sends the parts sorted; a part number given twice is still out of order for COS.
    e = await refused(completeMultipartUpload(signer, { bucket, key, uploadId, parts: [p2, p2] }));
    expect([e.status, e.cos.Code]).toEqual([400, 'InvalidPartOrder']);
    await abortMultipartUpload(signer, { bucket, key, uploadId });
    e = await refused(uploadPart(signer, { bucket, key, uploadId, partNumber: 3, body: 'x' }));
    expect([e.status, e.cos.Code]).toEqual([404, 'NoSuchUpload']);
    e = await refused(listParts(signer, { bucket, key, uploadId }));
    expect([e.status, e.cos.Code]).toEqual([404, 'NoSuchUpload']);
    e = await refused(upload(signer, { bucket, key, body: body(10), uploadId }));
    expect([e.status, e.cos.Code]).toEqual([404, 'NoSuchUpload']);
    expect(e.message).toMatch(/404 NoSuchUpload/);
  });
});

describe('listObjects against the local server', () => {
  const keys = [
    'list/a.txt',
    'list/b/1.txt',
    'list/b/2.txt',
    'list/c.txt',
    'list/d/x/y.txt',
    'list/e.txt',
    'list/中文 名.txt',
  ];
  beforeAll(async () => {
    for (const k of keys) await upload(signer, { bucket, key: k, body: k });
  });

  it('every key exactly once, page by page, whatever the page size', async () => {
    for (const pageSize of [1, 2, 3, 1000]) {
      const from = cos.state.history.length;
      const got = [];
      for await (const page of listObjects(signer, { bucket, prefix: 'list/', pageSize })) {
        expect(page.objects.length).toBeLessThanOrEqual(pageSize);
        got.push(...page.objects.map((o) => o.key));
      }
      expect(got).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      expect(requests(from).length).toBe(Math.ceil(keys.length / pageSize) || 1);
    }
  });

  it('with a delimiter: the folders once each, as prefixes; sizes, ETags and dates of the objects', async () => {
    for (const pageSize of [1, 2, 1000]) {
      const objects = [];
      const prefixes = [];
      for await (const page of listObjects(signer, { bucket, prefix: 'list/', delimiter: '/', pageSize })) {
        objects.push(...page.objects);
        prefixes.push(...page.prefixes);
      }
      expect(prefixes).toEqual(['list/b/', 'list/d/']);
      expect(objects.map((o) => o.key)).toEqual(['list/a.txt', 'list/c.txt', 'list/e.txt', 'list/中文 名.txt']);
      const a = objects[0];
      expect(a.size).toBe(10);
      expect(a.etag).toBe(`"${md5('list/a.txt')}"`);
      expect(Math.abs(a.lastModified - Date.now())).toBeLessThan(120_000);
    }
  });

  it('stops fetching when the loop stops', async () => {
    const from = cos.state.history.length;
    for await (const page of listObjects(signer, { bucket, prefix: 'list/', pageSize: 1 })) if (page) break;
    expect(requests(from).length).toBe(1);
  });
});
