// upload() and the multipart functions, against an in-memory COS stand-in (fake-cos.ts) that checks
// every signature with the demo server's independent verifier: part planning at the edges, the
// requests sent and their order, retries and backoff (fake timers), resume, abort, progress, and bad
// options refused before any request. The same code against the real local COS server, the official
// SDK and browsers: test/e2e.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CosSigner,
  CosSignError,
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listObjects,
  listParts,
  upload,
  uploadPart,
  type UploadOptions,
} from '../src/index.js';
import { planParts } from '../src/transfer/upload.js';
import { backoff } from '../src/send/send.js';
import { bytes, cosError, fakeCos } from './fake-cos.js';
import { createHash } from 'node:crypto';

/** A digest for comparing large byte arrays (vitest's deep equality is slow on megabytes). */
const digest = (b: Uint8Array) => `${b.length} ${createHash('md5').update(b).digest('hex')}`;

const MiB = 1 << 20;
const secretKey = 'exampleSecretKey0123456789abcdefg';
const credentials = { secretId: 'AKIDexampleSecretId0123456789ABCDEF', secretKey };
const bucket = 'examplebucket-1250000000';

const setup = () => {
  const cos = fakeCos(secretKey);
  const signer = new CosSigner({ region: 'ap-guangzhou', credentials, fetch: cos.fetch });
  return { cos, signer };
};
const kinds = (cos: ReturnType<typeof fakeCos>) =>
  cos.seen.map((r) =>
    r.method == 'POST' && 'uploads' in r.query
      ? 'init'
      : r.query.partNumber
        ? `part${r.query.partNumber}`
        : r.method == 'GET' && r.query.uploadId
          ? 'list'
          : r.method == 'POST'
            ? 'complete'
            : r.method.toLowerCase(),
  );

/** kinds(), with the parts between Initiate and Complete sorted: parts in flight together arrive in any order. */
const shape = (cos: ReturnType<typeof fakeCos>) => {
  const k = kinds(cos);
  return k[0] == 'init' && k.at(-1) == 'complete' ? ['init', ...k.slice(1, -1).sort(), 'complete'] : k;
};

const refused = async (p: Promise<unknown>, code: string, status?: number) => {
  const e = await p.then(
    () => undefined,
    (x) => x,
  );
  expect(e, 'expected a refusal').toBeInstanceOf(CosSignError);
  expect(e.code).toBe(code);
  if (status !== undefined) expect(e.status).toBe(status);
  expect(e.message).not.toContain(secretKey);
  return e as CosSignError;
};

// Under fake timers, signing (WebCrypto) and the stand-in's work still take real turns of the event
// loop: these wait for them with the real setTimeout.
const realSetTimeout = globalThis.setTimeout;
const tick = () => new Promise((ok) => realSetTimeout(ok, 1));
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 2000 && !ok(); i++) await tick();
  expect(ok()).toBe(true);
};
/** Settles `p` under fake timers, firing each backoff timer once the work before it is done. */
const drive = async <T>(p: Promise<T>): Promise<T> => {
  let done = false;
  const out = p.finally(() => (done = true));
  while (!done) {
    await tick();
    if (vi.getTimerCount()) vi.advanceTimersToNextTimer();
  }
  return out;
};

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('planParts', () => {
  it('keeps the part size while 10,000 parts suffice, raises it to whole MiB above', () => {
    expect(planParts(0, 8 * MiB)).toEqual({ partSize: 8 * MiB, count: 1 });
    expect(planParts(1, 8 * MiB)).toEqual({ partSize: 8 * MiB, count: 1 });
    expect(planParts(8 * MiB, 8 * MiB)).toEqual({ partSize: 8 * MiB, count: 1 });
    expect(planParts(8 * MiB + 1, 8 * MiB)).toEqual({ partSize: 8 * MiB, count: 2 });
    expect(planParts(10_000 * 8 * MiB, 8 * MiB)).toEqual({ partSize: 8 * MiB, count: 10_000 });
    // 10,001 parts' worth: the part grows to 9 MiB and the count drops under 10,000.
    expect(planParts(10_001 * 8 * MiB, 8 * MiB)).toEqual({ partSize: 9 * MiB, count: 8890 });
    expect(planParts(10_000 * 8 * MiB + 1, 8 * MiB)).toEqual({ partSize: 9 * MiB, count: 8889 });
    expect(planParts(10_000 * MiB + 1, MiB)).toEqual({ partSize: 2 * MiB, count: 5001 });
    expect(planParts(10_000 * 5120 * MiB, MiB)).toEqual({ partSize: 5120 * MiB, count: 10_000 });
  });

  it('refuses a body that 10,000 parts of 5 GiB cannot carry', () => {
    expect(() => planParts(10_000 * 5120 * MiB + 1, 8 * MiB)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_BODY' }),
    );
  });
});

describe('bad options are refused before any request', () => {
  const good: UploadOptions = { bucket, key: 'a.bin', body: bytes(10) };
  const cases: [string, Partial<Record<keyof UploadOptions, unknown>> | null, string][] = [
    ['no options', null, 'ERR_INVALID_OPTION'],
    ['partSize under 1 MiB', { partSize: MiB - 1 }, 'ERR_INVALID_OPTION'],
    ['partSize over 5 GiB', { partSize: 5 * 1024 * MiB + 1 }, 'ERR_INVALID_OPTION'],
    ['partSize not an integer', { partSize: 1.5 * MiB + 0.5 }, 'ERR_INVALID_OPTION'],
    ['partSize a string', { partSize: '8' }, 'ERR_INVALID_OPTION'],
    ['negative threshold', { multipartThreshold: -1 }, 'ERR_INVALID_OPTION'],
    ['concurrency 0', { concurrency: 0 }, 'ERR_INVALID_OPTION'],
    ['retries -1', { retries: -1 }, 'ERR_INVALID_OPTION'],
    ['empty uploadId', { uploadId: '' }, 'ERR_INVALID_OPTION'],
    ['onProgress not a function', { onProgress: 'x' }, 'ERR_INVALID_OPTION'],
    ['signal not a signal', { signal: {} }, 'ERR_INVALID_OPTION'],
    ['crc64 not a boolean', { crc64: 'yes' }, 'ERR_INVALID_OPTION'],
    ['body a number', { body: 123 }, 'ERR_INVALID_BODY'],
    ['body missing', { body: undefined }, 'ERR_INVALID_BODY'],
    ['body a plain object', { body: { size: 1 } }, 'ERR_INVALID_BODY'],
    ['bad bucket', { bucket: 'a_b' }, 'ERR_INVALID_BUCKET'],
    ['empty key', { key: '' }, 'ERR_INVALID_KEY'],
    ['header with CR/LF', { headers: { 'Content-Type': 'a\r\nb' } }, 'ERR_INVALID_HEADER'],
  ];
  for (const [what, change, code] of cases)
    it(`upload: ${what} → ${code}`, async () => {
      const { cos, signer } = setup();
      await refused(upload(signer, (change === null ? null : { ...good, ...change }) as UploadOptions), code);
      expect(cos.seen).toEqual([]);
    });

  it('the multipart functions too', async () => {
    const { cos, signer } = setup();
    const o = { bucket, key: 'a.bin', uploadId: 'u1' };
    await refused(uploadPart(signer, { ...o, partNumber: 0, body: 'x' }), 'ERR_INVALID_OPTION');
    await refused(uploadPart(signer, { ...o, partNumber: 10_001, body: 'x' }), 'ERR_INVALID_OPTION');
    await refused(uploadPart(signer, { ...o, partNumber: 1, body: 5 as never }), 'ERR_INVALID_BODY');
    await refused(uploadPart(signer, { ...o, partNumber: 1, body: 'x', crc64: 1 as never }), 'ERR_INVALID_OPTION');
    await refused(uploadPart(signer, { ...o, uploadId: 'a\nb', partNumber: 1, body: 'x' }), 'ERR_INVALID_OPTION');
    await refused(completeMultipartUpload(signer, { ...o, parts: [] }), 'ERR_INVALID_OPTION');
    await refused(
      completeMultipartUpload(signer, { ...o, parts: [{ partNumber: 1.5, etag: 'x' }] }),
      'ERR_INVALID_OPTION',
    );
    await refused(listParts(signer, { ...o, pageSize: 1001 }), 'ERR_INVALID_OPTION');
    await refused(abortMultipartUpload(signer, { ...o, uploadId: 7 as never }), 'ERR_INVALID_OPTION');
    await refused(listMultipartUploads(signer, { bucket, prefix: 3 as never }), 'ERR_INVALID_OPTION');
    await refused(createMultipartUpload(signer, { bucket: '', key: 'a' }), 'ERR_INVALID_BUCKET');
    await refused(listObjects(signer, { bucket, pageSize: 0 }).next(), 'ERR_INVALID_OPTION');
    await refused(listObjects(signer, { bucket, delimiter: 1 as never }).next(), 'ERR_INVALID_OPTION');
    expect(cos.seen).toEqual([]);
  });

  it('leaves the caller options untouched', async () => {
    const { signer } = setup();
    const headers = { 'Content-Type': 'application/octet-stream', 'x-cos-meta-a': '1' };
    const o = { bucket, key: 'k', body: bytes(3 * MiB), partSize: MiB, headers };
    const copy = { ...o, headers: { ...headers }, body: digest(o.body) };
    await upload(signer, o);
    expect({ ...o, body: digest(o.body) }).toEqual(copy);
    expect(o.headers).toBe(headers);
  });
});

describe('upload(): one PutObject or multipart', () => {
  it('0 B, 1 B and exactly the threshold go in one PutObject; one byte more goes multipart', async () => {
    for (const [n, want] of [
      [0, ['put']],
      [1, ['put']],
      [MiB, ['put']],
      [MiB + 1, ['init', 'part1', 'part2', 'complete']],
    ] as const) {
      const { cos, signer } = setup();
      const body = bytes(n);
      const r = await upload(signer, { bucket, key: `k${n}`, body, partSize: MiB });
      expect(shape(cos), `${n} bytes`).toEqual(want);
      expect(digest(cos.objects.get(`k${n}`)!.data)).toBe(digest(body));
      expect(r.key).toBe(`k${n}`);
      expect(r.location).toBe(`https://${bucket}.cos.ap-guangzhou.myqcloud.com/k${n}`);
      expect(r.etag).toBe(cos.objects.get(`k${n}`)!.etag);
      expect(r.uploadId === undefined).toBe(want.length == 1);
    }
  });

  it('a threshold apart from the part size, and every body type: Blob, ArrayBuffer, a view into a larger buffer, a string', async () => {
    const data = bytes(3 * MiB + 5);
    const inner = new Uint8Array(data.length + 20);
    inner.set(data, 7);
    const bodies = [new Blob([data]), data.buffer.slice(0), new DataView(inner.buffer, 7, data.length), data];
    for (const body of bodies) {
      const { cos, signer } = setup();
      await upload(signer, { bucket, key: 'k', body, partSize: MiB, multipartThreshold: 2 * MiB });
      expect(shape(cos)).toEqual(['init', 'part1', 'part2', 'part3', 'part4', 'complete']);
      expect(digest(cos.objects.get('k')!.data)).toBe(digest(data));
    }
    const { cos, signer } = setup();
    await upload(signer, { bucket, key: 's', body: 'héllo' });
    expect(new TextDecoder().decode(cos.objects.get('s')!.data)).toBe('héllo');
  });

  // PutObject also signs the Content-MD5 that verified bytes adds (COS refuses a changed body, BadDigest).
  it('headers are signed on PutObject (with its Content-MD5) and on Initiate, not on the parts', async () => {
    const headers = { 'Content-Type': 'video/mp4', 'x-cos-meta-owner': 'ann' };
    for (const size of [10, 2 * MiB + 1]) {
      const { cos, signer } = setup();
      await upload(signer, { bucket, key: 'v.mp4', body: bytes(size), partSize: MiB, headers });
      for (const r of cos.seen) {
        const signed = /q-header-list=([^&]*)/.exec(r.headers.authorization)![1];
        const first = r.method == 'PUT' && !r.query.partNumber;
        const init = 'uploads' in r.query;
        const want = init
          ? 'content-type;host;x-cos-meta-owner'
          : first
            ? 'content-md5;content-type;host;x-cos-meta-owner'
            : 'host';
        expect(signed, kinds(cos).join()).toBe(want);
      }
    }
  });

  it('keeps `concurrency` parts in flight and completes them in ascending order though they finish out of order', async () => {
    const { cos, signer } = setup();
    let inFlight = 0;
    let most = 0;
    cos.setBefore(async (r) => {
      if (!r.query.partNumber) return;
      most = Math.max(most, ++inFlight);
      // Earlier parts take longer: they finish last.
      await new Promise((ok) => setTimeout(ok, 40 - 4 * +r.query.partNumber));
      inFlight--;
    });
    const body = bytes(9 * MiB);
    const r = await upload(signer, { bucket, key: 'k', body, partSize: MiB, concurrency: 3 });
    expect(most).toBe(3);
    const complete = new TextDecoder().decode(cos.seen.at(-1)!.body);
    expect([...complete.matchAll(/<PartNumber>(\d+)</g)].map((m) => +m[1])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(digest(cos.objects.get('k')!.data)).toBe(digest(body));
    expect(r.etag).toMatch(/-9"$/);
  });

  it('reports progress in bytes, never decreasing, ending at the total', async () => {
    const { signer } = setup();
    const seen: number[] = [];
    const total = 5 * MiB + 3;
    await upload(signer, {
      bucket,
      key: 'k',
      body: bytes(total),
      partSize: MiB,
      onProgress: (p) => (expect(p.total).toBe(total), seen.push(p.loaded)),
    });
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(total);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
  });

  it('calls onUploadId as soon as the upload exists, before any part', async () => {
    const { cos, signer } = setup();
    const calls: [string, number][] = [];
    const r = await upload(signer, {
      bucket,
      key: 'k',
      body: bytes(2 * MiB + 1),
      partSize: MiB,
      onUploadId: (id) => calls.push([id, cos.seen.length]),
    });
    expect(calls).toEqual([[r.uploadId!, 1]]);
  });
});

describe('resume', () => {
  it('sends only the parts that are missing or of the wrong size (ListParts read page by page); progress starts at what is there', async () => {
    const { cos, signer } = setup();
    const body = bytes(4 * MiB + 10);
    const { uploadId } = await createMultipartUpload(signer, { bucket, key: 'k' });
    await uploadPart(signer, { bucket, key: 'k', uploadId, partNumber: 1, body: body.subarray(0, MiB) });
    await uploadPart(signer, { bucket, key: 'k', uploadId, partNumber: 2, body: body.subarray(MiB, MiB + 5) }); // wrong size
    await uploadPart(signer, { bucket, key: 'k', uploadId, partNumber: 3, body: body.subarray(2 * MiB, 3 * MiB) });
    cos.seen.length = 0;
    const progress: number[] = [];
    const ids: string[] = [];
    const r = await upload(signer, {
      bucket,
      key: 'k',
      body,
      partSize: MiB,
      uploadId,
      onUploadId: (id) => ids.push(id),
      onProgress: (p) => progress.push(p.loaded),
    });
    expect(kinds(cos).sort()).toEqual(['complete', 'list', 'part2', 'part4', 'part5'].sort());
    expect(kinds(cos)[0]).toBe('list');
    expect(ids).toEqual([uploadId]);
    expect(progress[0]).toBe(2 * MiB);
    expect(progress.at(-1)).toBe(body.length);
    expect(r.uploadId).toBe(uploadId);
    expect(digest(cos.objects.get('k')!.data)).toBe(digest(body));
  });

  it("keeps the upload's own part size whatever partSize the resume asks for", async () => {
    const { cos, signer } = setup();
    const body = bytes(7 * MiB + 1);
    const { uploadId } = await createMultipartUpload(signer, { bucket, key: 'k' });
    for (const n of [1, 3])
      await uploadPart(signer, {
        bucket,
        key: 'k',
        uploadId,
        partNumber: n,
        body: body.subarray((n - 1) * 2 * MiB, n * 2 * MiB),
      });
    cos.seen.length = 0;
    await upload(signer, { bucket, key: 'k', body, uploadId }); // default 8 MiB parts asked for; the upload's are 2 MiB
    expect(shape(cos)).toEqual(['list', 'part2', 'part4', 'complete']);
    expect(digest(cos.objects.get('k')!.data)).toBe(digest(body));
  });

  it('listParts follows every page', async () => {
    const { cos, signer } = setup();
    const { uploadId } = await createMultipartUpload(signer, { bucket, key: 'k' });
    for (let n = 1; n <= 5; n++)
      await uploadPart(signer, { bucket, key: 'k', uploadId, partNumber: n, body: `part ${n}` });
    cos.seen.length = 0;
    const parts = await listParts(signer, { bucket, key: 'k', uploadId, pageSize: 2 });
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5]);
    expect(parts[0]).toEqual({ partNumber: 1, etag: expect.stringMatching(/^"[\da-f]{32}"$/), size: 6 });
    expect(cos.seen.map((r) => r.query['part-number-marker'])).toEqual([undefined, '2', '4']);
  });

  // Since verified bytes, a resume told NoSuchUpload HEADs the object first (its Complete may have landed
  // with the answer lost): the object is not there, so NoSuchUpload stands and nothing is uploaded.
  it('an unknown uploadId is ERR_COS_RESPONSE 404 NoSuchUpload, with nothing uploaded', async () => {
    const { cos, signer } = setup();
    const e = await refused(
      upload(signer, { bucket, key: 'k', body: bytes(10), uploadId: 'nope' }),
      'ERR_COS_RESPONSE',
      404,
    );
    expect(e.cos?.Code).toBe('NoSuchUpload');
    expect(e.cos?.RequestId).toBe('req-NoSuchUpload');
    expect(e.message).toMatch(/404 NoSuchUpload/);
    expect(kinds(cos)).toEqual(['list', 'head']);
  });
});

describe('retries', () => {
  it('backoff: half of min(20 s, 500 ms × 2^attempt) plus up to as much again', () => {
    const at = (r: number, attempt: number) => (vi.spyOn(Math, 'random').mockReturnValue(r), backoff(attempt));
    expect([at(0, 0), at(0.999999, 0)].map(Math.round)).toEqual([250, 500]);
    expect([at(0, 1), at(0.999999, 1)].map(Math.round)).toEqual([500, 1000]);
    expect([at(0, 3), at(0.999999, 3)].map(Math.round)).toEqual([2000, 4000]);
    expect([at(0, 9), at(0.999999, 9)].map(Math.round)).toEqual([10000, 20000]);
    vi.restoreAllMocks();
    for (let i = 0; i < 200; i++) {
      const d = backoff(2);
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(2000);
    }
  });

  for (const status of [500, 502, 503, 504, 429])
    it(`${status} is retried after the backoff, and the upload succeeds`, async () => {
      vi.useFakeTimers({ toFake: ['setTimeout'] });
      vi.spyOn(Math, 'random').mockReturnValue(0);
      const { cos, signer } = setup();
      cos.fault(
        (r) => r.query.partNumber == '2',
        () => cosError(status, status == 429 ? 'SlowDown' : 'InternalError'),
        2,
      );
      const done = upload(signer, { bucket, key: 'k', body: bytes(2 * MiB + 1), partSize: MiB, concurrency: 1 });
      await until(() => vi.getTimerCount() == 1);
      expect(kinds(cos)).toEqual(['init', 'part1', 'part2']);
      vi.advanceTimersByTime(249);
      await tick();
      expect(kinds(cos).length).toBe(3);
      vi.advanceTimersByTime(1); // first retry at 250 ms
      await until(() => kinds(cos).length == 4 && vi.getTimerCount() == 1);
      vi.advanceTimersByTime(499);
      await tick();
      expect(kinds(cos).length).toBe(4);
      vi.advanceTimersByTime(1); // second retry 500 ms later
      await drive(done);
      expect(kinds(cos)).toEqual(['init', 'part1', 'part2', 'part2', 'part2', 'part3', 'complete']);
    });

  for (const status of [400, 403, 404, 409, 412])
    it(`${status} is not retried`, async () => {
      const { cos, signer } = setup();
      cos.fault(
        (r) => r.query.partNumber == '1',
        () => cosError(status, 'InvalidArgument'),
        1,
      );
      const e = await refused(
        upload(signer, { bucket, key: 'k', body: bytes(MiB + 1), partSize: MiB, concurrency: 1 }),
        'ERR_COS_RESPONSE',
        status,
      );
      expect(e.cos?.Code).toBe('InvalidArgument');
      expect(kinds(cos)).toEqual(['init', 'part1']);
    });

  it('`retries` extra attempts, then ERR_COS_RESPONSE with the status and COS body', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const { cos, signer } = setup();
    cos.fault(
      (r) => r.method == 'PUT',
      () => cosError(503, 'ServiceUnavailable'),
      100,
    );
    const e = await drive(upload(signer, { bucket, key: 'k', body: 'x', retries: 2 }).catch((x) => x));
    expect(e).toMatchObject({ code: 'ERR_COS_RESPONSE', status: 503, cos: { Code: 'ServiceUnavailable' } });
    expect(kinds(cos)).toEqual(['put', 'put', 'put']);
  });

  it('a 5xx without a COS body is ERR_COS_RESPONSE with cos undefined', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const { cos, signer } = setup();
    cos.fault(
      () => true,
      () => new Response('Bad Gateway', { status: 502 }),
      100,
    );
    expect(await drive(upload(signer, { bucket, key: 'k', body: 'x', retries: 1 }).catch((x) => x))).toMatchObject({
      code: 'ERR_COS_RESPONSE',
      status: 502,
      cos: undefined,
    });
  });

  it('network errors are retried; one that outlasts the retries is ERR_NETWORK with the last error as cause', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const { cos, signer } = setup();
    const boom = new TypeError('fetch failed');
    cos.fault(
      () => true,
      () => Promise.reject(boom),
      4,
    );
    const e = await drive(upload(signer, { bucket, key: 'k', body: 'x' }).catch((x) => x));
    expect(e).toMatchObject({ code: 'ERR_NETWORK', cause: boom });
    expect(e.message).toMatch(/4 attempt/);
    expect(kinds(cos)).toEqual(['put', 'put', 'put', 'put']);
  });

  it('a clock 20 minutes off is corrected from COS answer once, without counting as a retry', async () => {
    const { cos, signer } = setup();
    const server = new Date(Date.now() + 20 * 60_000).toISOString();
    cos.fault(
      () => true,
      () =>
        new Response(
          `<Error><Code>RequestTimeTooSkewed</Code><Message>skewed</Message><ServerTime>${server}</ServerTime></Error>`,
          { status: 403 },
        ),
      1,
    );
    await upload(signer, { bucket, key: 'k', body: 'x', retries: 0 });
    expect(kinds(cos)).toEqual(['put', 'put']);
    expect(Math.abs(signer.clockOffset - 20 * 60_000)).toBeLessThan(5000);
  });
});

describe('Complete', () => {
  it('sends the parts sorted by number and returns what COS answered', async () => {
    const { cos, signer } = setup();
    const { uploadId } = await createMultipartUpload(signer, { bucket, key: 'k' });
    const a = await uploadPart(signer, { bucket, key: 'k', uploadId, partNumber: 1, body: bytes(MiB) });
    const b = await uploadPart(signer, { bucket, key: 'k', uploadId, partNumber: 2, body: 'tail' });
    const r = await completeMultipartUpload(signer, { bucket, key: 'k', uploadId, parts: [b, a] });
    expect(new TextDecoder().decode(cos.seen.at(-1)!.body)).toBe(
      `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${a.etag}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>${b.etag}</ETag></Part></CompleteMultipartUpload>`,
    );
    expect(r).toEqual({ location: 'b/k', bucket: 'b', key: 'k', etag: cos.objects.get('k')!.etag });
  });

  it('a 200 whose body is an <Error> is ERR_COS_RESPONSE', async () => {
    const { cos, signer } = setup();
    cos.fault(
      (r) => r.method == 'POST' && !!r.query.uploadId,
      () =>
        new Response(
          '<?xml version="1.0"?><Error><Code>InternalError</Code><Message>late failure</Message><RequestId>r1</RequestId></Error>',
          { status: 200 },
        ),
    );
    const e = await refused(
      upload(signer, { bucket, key: 'k', body: bytes(MiB + 1), partSize: MiB }),
      'ERR_COS_RESPONSE',
      200,
    );
    expect(e.cos).toMatchObject({ Code: 'InternalError', Message: 'late failure', RequestId: 'r1' });
    expect(cos.objects.has('k')).toBe(false);
  });

  it('a part answer without ETag (a CORS rule that does not expose it) says so', async () => {
    const { cos, signer } = setup();
    cos.fault(
      (r) => !!r.query.partNumber,
      () => new Response(null, { status: 200 }),
    );
    const e = await refused(
      upload(signer, { bucket, key: 'k', body: bytes(MiB + 1), partSize: MiB, concurrency: 1 }),
      'ERR_COS_RESPONSE',
    );
    expect(e.message).toMatch(/ETag/);
  });
});

describe('abort', () => {
  it('stops the parts in flight, rejects with the reason, sends no Complete and no Abort: the parts stay for a resume', async () => {
    const { cos, signer } = setup();
    const ctl = new AbortController();
    cos.setBefore(async (r) => {
      if (r.query.partNumber == '3') {
        ctl.abort(new Error('user paused'));
        await new Promise((ok) => setTimeout(ok, 5));
      }
    });
    const e = await upload(signer, {
      bucket,
      key: 'k',
      body: bytes(6 * MiB),
      partSize: MiB,
      concurrency: 1,
      signal: ctl.signal,
    }).catch((x) => x);
    expect(e).toEqual(new Error('user paused'));
    expect(kinds(cos)).toEqual(['init', 'part1', 'part2', 'part3']);
    const [id] = cos.uploads.keys();
    expect([...cos.uploads.get(id)!.parts.keys()]).toEqual([1, 2]);
    // Resuming sends the rest only.
    cos.setBefore(undefined);
    cos.seen.length = 0;
    await upload(signer, { bucket, key: 'k', body: bytes(6 * MiB), partSize: MiB, uploadId: id });
    expect(
      kinds(cos)
        .filter((k) => k.startsWith('part'))
        .sort(),
    ).toEqual(['part3', 'part4', 'part5', 'part6']);
    expect(digest(cos.objects.get('k')!.data)).toBe(digest(bytes(6 * MiB)));
  });

  it('an already aborted signal sends nothing; abort during a backoff ends the wait', async () => {
    const { cos, signer } = setup();
    const done = new AbortController();
    done.abort(new Error('before'));
    await expect(upload(signer, { bucket, key: 'k', body: 'x', signal: done.signal })).rejects.toThrow('before');
    expect(cos.seen).toEqual([]);
    const ctl = new AbortController();
    cos.fault(
      () => true,
      () => cosError(503, 'ServiceUnavailable'),
      10,
    );
    const p = upload(signer, { bucket, key: 'k', body: 'x', signal: ctl.signal });
    await until(() => cos.seen.length == 1);
    await tick();
    ctl.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(kinds(cos)).toEqual(['put']);
  });

  it('abortMultipartUpload drops the upload', async () => {
    const { cos, signer } = setup();
    const { uploadId } = await createMultipartUpload(signer, { bucket, key: 'k' });
    await abortMultipartUpload(signer, { bucket, key: 'k', uploadId });
    expect(cos.uploads.size).toBe(0);
  });
});

describe('listObjects and listMultipartUploads read page by page', () => {
  const page = (keys: string[], next?: string, truncated = !!next) =>
    new Response(
      `<ListBucketResult><IsTruncated>${truncated}</IsTruncated>${next ? `<NextMarker>${next}</NextMarker>` : ''}` +
        keys
          .map((k) =>
            k.endsWith('/')
              ? `<CommonPrefixes><Prefix>${k}</Prefix></CommonPrefixes>`
              : `<Contents><Key>${k}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"e"</ETag><Size>3</Size></Contents>`,
          )
          .join('') +
        '</ListBucketResult>',
      { status: 200 },
    );

  it('fetches a page only when the loop asks and follows NextMarker', async () => {
    const { cos, signer } = setup();
    cos.fault(
      (r) => !r.query.marker,
      () => page(['a', 'b/'], 'b/'),
    );
    cos.fault(
      (r) => r.query.marker == 'b/',
      () => page(['c', 'd'], 'd'),
    );
    cos.fault(
      (r) => r.query.marker == 'd',
      () => page(['e']),
      2,
    );
    const it = listObjects(signer, { bucket, prefix: 'p', delimiter: '/', pageSize: 2 });
    const first = await it.next();
    expect(first.value).toEqual({
      objects: [{ key: 'a', size: 3, etag: '"e"', lastModified: new Date('2026-01-01T00:00:00Z') }],
      prefixes: ['b/'],
      nextMarker: 'b/',
    });
    expect(cos.seen.length).toBe(1);
    expect(cos.seen[0].query).toEqual({ 'max-keys': '2', prefix: 'p', delimiter: '/' });
    const rest = [];
    for await (const p of it) rest.push(...p.objects.map((o) => o.key));
    expect(rest).toEqual(['c', 'd', 'e']);
    expect(cos.seen.map((r) => r.query.marker)).toEqual([undefined, 'b/', 'd']);
    // Going on where a listing stopped: the last page has no nextMarker.
    const later = await listObjects(signer, { bucket, marker: 'd' }).next();
    expect(cos.seen.at(-1)!.query.marker).toBe('d');
    expect(later.value).toMatchObject({ objects: [{ key: 'e' }], nextMarker: undefined });
  });

  it('a truncated page whose marker does not move, or is missing, is refused, not looped on', async () => {
    for (const [first, second] of [
      ['a', 'a'],
      ['a', undefined],
    ]) {
      const { cos, signer } = setup();
      cos.fault(
        (r) => !r.query.marker,
        () => page(['a'], first),
      );
      cos.fault(
        () => true,
        () => page(['b'], second, true),
        5,
      );
      const e = await (async () => {
        for await (const _ of listObjects(signer, { bucket }));
      })().catch((x) => x);
      expect(e).toMatchObject({ code: 'ERR_COS_RESPONSE' });
      expect(e.message).toMatch(/NextMarker/);
      expect(cos.seen.length).toBe(2);
    }
  });

  it('listMultipartUploads follows key and upload-id markers', async () => {
    const { cos, signer } = setup();
    const up = (k: string, id: string) =>
      `<Upload><Key>${k}</Key><UploadId>${id}</UploadId><Initiated>2026-01-01T00:00:00.000Z</Initiated></Upload>`;
    cos.fault(
      (r) => !r.query['key-marker'],
      () =>
        new Response(
          `<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>a</NextKeyMarker><NextUploadIdMarker>2</NextUploadIdMarker>${up('a', '1')}${up('a', '2')}</ListMultipartUploadsResult>`,
        ),
    );
    cos.fault(
      () => true,
      () =>
        new Response(
          `<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>${up('b', '3')}</ListMultipartUploadsResult>`,
        ),
    );
    const all = await listMultipartUploads(signer, { bucket, prefix: 'x/', pageSize: 2 });
    expect(all.map((u) => [u.key, u.uploadId])).toEqual([
      ['a', '1'],
      ['a', '2'],
      ['b', '3'],
    ]);
    expect(all[0].initiated).toEqual(new Date('2026-01-01T00:00:00Z'));
    expect(cos.seen.map((r) => r.query)).toEqual([
      { uploads: '', 'max-uploads': '2', prefix: 'x/' },
      { uploads: '', 'max-uploads': '2', prefix: 'x/', 'key-marker': 'a', 'upload-id-marker': '2' },
    ]);
  });
});
