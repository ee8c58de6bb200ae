// Verified bytes against the local COS server (its own CRC-64 and MD5, not src/'s), through the built
// package: a part or PutObject corrupted in flight is sent again; one corrupted on every attempt is
// ERR_CHECKSUM naming it; a wrong CRC on Complete is ERR_CHECKSUM with both values; a resume with other
// bytes of the same size stores the new bytes; a part overwritten before Complete (InvalidPart) is sent
// again; a Complete whose answer is lost resolves, verified; SSE-C and the traffic limit go, signed,
// with every UploadPart; an answer without the header is `verified: false`. Then 200 seeded fault
// schedules (cuts before and after the server stored a part, 5xx and 429, flipped bytes, a lost
// Complete, a part overwritten late, a pause, a resume with another body): every upload ends verified
// with the right bytes, or with a clear error after which a resume stores the right bytes; never an
// object with other bytes. A failing schedule prints its seed; FAULT_SEED=<seed> runs that one alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import { createCosServer } from '../../demo/server/cos-server.mjs';
import { crc64 as serverCrc } from '../../demo/server/cos-crc.mjs';
import * as lib from '../../dist/cos-sign.mjs';

const { CosSigner, CosSignError, upload, uploadPart, createMultipartUpload } = lib;
const MiB = 1 << 20;
const md5 = (b) => createHash('md5').update(b).digest('hex');

let cos;
let signer;
const id = 'AKIDverify' + randomBytes(6).toString('hex');
const sk = randomBytes(20).toString('hex');
let domain;

beforeAll(async () => {
  cos = await createCosServer({ maxObjectBytes: 64 * MiB });
  domain = (await cos.listen(0)).replace('http://', '');
  cos.addKey(id, sk);
  signer = new CosSigner({ domain, scheme: 'http', credentials: { secretId: id, secretKey: sk } });
});
afterAll(async () => {
  await cos.close();
  await fsp.rm(cos.dataDir, { recursive: true, force: true });
});

const bucket = () => cos.bucket;
const sent = (key, pred = () => true) => cos.state.history.filter((h) => h.key == key && pred(h));
const partSends = (key, n) => sent(key, (h) => h.method == 'PUT' && h.query.partNumber == String(n)).length;
const stored = async (key) => (await cos.readObject(key))?.data;
const isPart = (key, n) => (q) => q.key == key && q.query.partNumber == String(n);
const isComplete = (key) => (q) => q.key == key && q.method == 'POST' && 'uploadId' in q.query;

/**
 * A signer whose fetch, before each of the first `times` Completes of `key`, stores other bytes (`size` of them) as
 * part `partNumber` of the upload: what an UploadPart that a failed attempt aborted after its body went out does when
 * COS stores it late. A late write that fails (a fault injected on that part) is no late write.
 * With `opaque`, every part ETag reaches the library as `"<md5>-kms"` (in UploadPart answers and in ListParts, as
 * with SSE-KMS, where an ETag is not the MD5 of the bytes) and goes back to the server as it was in Complete.
 */
const staleWrites = (key, times, { opaque = false, partNumber = 1, size = MiB } = {}) => {
  let left = times;
  const fetchWithStale = async (url, init) => {
    const u = new URL(url);
    const uploadId = u.searchParams.get('uploadId');
    const part = u.searchParams.get('partNumber');
    if (init?.method == 'POST' && uploadId && u.pathname.endsWith(key) && left-- > 0)
      await uploadPart(signer, { bucket: bucket(), key, uploadId, partNumber, body: randomBytes(size) }).catch(
        () => {},
      );
    if (!opaque) return fetch(url, init);
    if (init?.method == 'POST' && uploadId) init = { ...init, body: String(init.body).replaceAll('-kms', '') };
    const res = await fetch(url, init);
    const headers = new Headers(res.headers);
    if (part && headers.get('etag')) headers.set('etag', headers.get('etag').replace(/"$/, '-kms"'));
    if (uploadId && !part && init?.method != 'POST' && init?.method != 'DELETE') {
      const xml = (await res.text()).replace(/(<ETag>(?:&quot;|")[0-9a-f]{32})/g, '$1-kms');
      return new Response(xml, { status: res.status, headers });
    }
    return new Response(res.body, { status: res.status, headers });
  };
  return new CosSigner({
    domain,
    scheme: 'http',
    credentials: { secretId: id, secretKey: sk },
    fetch: fetchWithStale,
  });
};

describe('verified bytes, each case', () => {
  it('a part corrupted in flight on its first attempt is sent again; the object is byte-equal, verified', async () => {
    const key = 'v/flip-once.bin';
    const body = randomBytes(3 * MiB + 17);
    cos.inject({ when: isPart(key, 2), flip: true });
    const r = await upload(signer, { bucket: bucket(), key, body, partSize: MiB });
    expect(r.verified).toBe(true);
    expect(r.crc64).toBe(serverCrc(body));
    expect(partSends(key, 2)).toBe(2);
    expect(partSends(key, 1)).toBe(1);
    expect(md5(await stored(key))).toBe(md5(body));
  });

  it('a PutObject corrupted on its first attempt is sent again', async () => {
    const key = 'v/put-flip.bin';
    const body = randomBytes(5000);
    cos.inject({ when: (q) => q.key == key && q.method == 'PUT', flip: true });
    const r = await upload(signer, { bucket: bucket(), key, body });
    expect(r).toMatchObject({ verified: true, crc64: serverCrc(body) });
    expect(sent(key, (h) => h.method == 'PUT')).toHaveLength(2);
    expect(md5(await stored(key))).toBe(md5(body));
  });

  it('a part corrupted on every attempt: ERR_CHECKSUM naming that part, and nothing completed', async () => {
    const key = 'v/flip-always.bin';
    const body = randomBytes(3 * MiB);
    const rule = cos.inject({ when: isPart(key, 3), flip: true, times: 100 });
    const e = await upload(signer, { bucket: bucket(), key, body, partSize: MiB, retries: 2 }).catch((e) => e);
    rule.cancel();
    expect(e).toBeInstanceOf(CosSignError);
    expect(e.code).toBe('ERR_CHECKSUM');
    expect(e.partNumber).toBe(3);
    expect(e.message).toMatch(
      /part 3 of v\/flip-always\.bin: COS stored bytes whose CRC-64 is \d+, but the bytes sent have \d+/,
    );
    expect(partSends(key, 3)).toBe(3);
    expect(sent(key, (h) => h.method == 'POST' && h.query.uploadId)).toHaveLength(0);
    expect(await stored(key)).toBeUndefined();
  });

  it('a wrong CRC on Complete: ERR_CHECKSUM with both values', async () => {
    const key = 'v/complete-crc.bin';
    const body = randomBytes(2 * MiB + 1);
    cos.inject({ when: isComplete(key), crc64: '12345' });
    const e = await upload(signer, { bucket: bucket(), key, body, partSize: MiB }).catch((e) => e);
    expect(e.code).toBe('ERR_CHECKSUM');
    expect(e.partNumber).toBeUndefined();
    expect(e.message).toContain('the object now holds other bytes');
    expect(e.message).toContain('12345');
    expect(e.message).toContain(serverCrc(body));
  });

  it('a resume with other bytes of the same size stores the new bytes', async () => {
    const key = 'v/resume-other.bin';
    const a = randomBytes(3 * MiB);
    const b = Buffer.from(a);
    b[MiB + 5] ^= 1; // part 2 differs by one bit; parts 1 and 3 are the same
    b.fill(7, 2 * MiB + 10, 2 * MiB + 20);
    const { uploadId } = await createMultipartUpload(signer, { bucket: bucket(), key });
    for (const n of [1, 2, 3])
      await uploadPart(signer, {
        bucket: bucket(),
        key,
        uploadId,
        partNumber: n,
        body: a.subarray((n - 1) * MiB, n * MiB),
      });
    const before = cos.state.history.length;
    const r = await upload(signer, { bucket: bucket(), key, body: b, partSize: MiB, uploadId });
    expect(r.verified).toBe(true);
    expect(md5(await stored(key))).toBe(md5(b));
    const again = cos.state.history
      .slice(before)
      .filter((h) => h.query.partNumber)
      .map((h) => h.query.partNumber);
    expect(again.sort()).toEqual(['2', '3']);
  });

  it('a Complete whose answer is lost after the server did it: the upload resolves, verified', async () => {
    const key = 'v/lost-complete.bin';
    const body = randomBytes(2 * MiB + 3);
    cos.inject({ when: isComplete(key), cutAfter: true });
    const r = await upload(signer, { bucket: bucket(), key, body, partSize: MiB });
    expect(r).toMatchObject({ verified: true, crc64: serverCrc(body) });
    expect(r.etag).toMatch(/^"[\da-f]{32}-3"$/);
    expect(sent(key, (h) => h.method == 'POST' && h.query.uploadId).map((h) => h.status)).toEqual([0, 404]);
    expect(sent(key, (h) => h.method == 'HEAD')).toHaveLength(1);
    expect(md5(await stored(key))).toBe(md5(body));
  });

  it('a lost Complete with other bytes stored under the key is not taken for success', async () => {
    const key = 'v/lost-complete-other.bin';
    const body = randomBytes(2 * MiB);
    // The answer is lost and, before the retry, someone else writes the key with bytes of the same size.
    cos.inject({ when: isComplete(key), cutAfter: true });
    let overwritten = false;
    const s = new CosSigner({
      domain,
      scheme: 'http',
      credentials: { secretId: id, secretKey: sk },
      fetch: async (url, init) => {
        if (init?.method == 'HEAD' && !overwritten) {
          overwritten = true;
          await upload(signer, { bucket: bucket(), key, body: randomBytes(2 * MiB), multipartThreshold: 4 * MiB });
        }
        return fetch(url, init);
      },
    });
    const e = await upload(s, { bucket: bucket(), key, body, partSize: MiB }).catch((e) => e);
    expect(e.code).toBe('ERR_COS_RESPONSE');
    expect(e.cos?.Code).toBe('NoSuchUpload');
  });

  it('a part overwritten before Complete (InvalidPart): a Blob upload resumes once, sends that part again, verified', async () => {
    const key = 'v/stale.bin';
    const body = randomBytes(3 * MiB + 5);
    const ids = [];
    const progress = [];
    const r = await upload(staleWrites(key, 1), {
      bucket: bucket(),
      key,
      body: new Blob([body]),
      partSize: MiB,
      onUploadId: (x) => ids.push(x),
      onProgress: (p) => progress.push(p.loaded),
    });
    expect(r.verified).toBe(true);
    // The resume is the same upload: its id told once, its progress never going back.
    expect(ids).toEqual([r.uploadId]);
    expect(progress.every((n, i) => i == 0 || n > progress[i - 1])).toBe(true);
    expect(progress.at(-1)).toBe(body.length);
    expect(md5(await stored(key))).toBe(md5(body));
    const completes = sent(key, (h) => h.method == 'POST' && h.query.uploadId);
    expect(completes.map((h) => h.status)).toEqual([400, 200]);
    // Part 1 three times (ours, the stale one, ours again), the others once: only the overwritten part went again.
    expect([1, 2, 3, 4].map((n) => partSends(key, n))).toEqual([3, 1, 1, 1]);
  });

  it('the same with ETags that are not MD5s (SSE-KMS): the part overwritten is told by its ETag alone, and sent again', async () => {
    const key = 'v/stale-kms.bin';
    const body = randomBytes(3 * MiB + 5);
    const r = await upload(staleWrites(key, 1, { opaque: true }), { bucket: bucket(), key, body, partSize: MiB });
    expect(r.verified).toBe(true);
    expect(md5(await stored(key))).toBe(md5(body));
    expect(sent(key, (h) => h.method == 'POST' && h.query.uploadId).map((h) => h.status)).toEqual([400, 200]);
    expect([1, 2, 3, 4].map((n) => partSends(key, n))).toEqual([3, 1, 1, 1]);
  });

  it('InvalidPart on the resumed Complete too: the error stands (one resume), and nothing is completed', async () => {
    const key = 'v/stale-twice.bin';
    const body = randomBytes(2 * MiB + 5);
    let uploadId;
    const e = await upload(staleWrites(key, 2), {
      bucket: bucket(),
      key,
      body,
      partSize: MiB,
      onUploadId: (x) => (uploadId = x),
    }).catch((x) => x);
    expect([e.code, e.cos?.Code]).toEqual(['ERR_COS_RESPONSE', 'InvalidPart']);
    expect(await stored(key)).toBeUndefined();
    // The upload is still there: a resume with its id completes it with the body.
    const r = await upload(signer, { bucket: bucket(), key, body, partSize: MiB, uploadId });
    expect(r.verified).toBe(true);
    expect(md5(await stored(key))).toBe(md5(body));
  });

  it('a stream whose part is overwritten before Complete: ERR_COS_RESPONSE InvalidPart, and a resume repairs it', async () => {
    const key = 'v/stale-stream.bin';
    const body = randomBytes(2 * MiB + 7);
    const stream = () => new Blob([body]).stream();
    let uploadId;
    const e = await upload(staleWrites(key, 1), {
      bucket: bucket(),
      key,
      body: stream(),
      partSize: MiB,
      onUploadId: (x) => (uploadId = x),
    }).catch((x) => x);
    expect([e.code, e.cos?.Code]).toEqual(['ERR_COS_RESPONSE', 'InvalidPart']);
    const r = await upload(signer, { bucket: bucket(), key, body: stream(), partSize: MiB, uploadId });
    expect(r.verified).toBe(true);
    expect(md5(await stored(key))).toBe(md5(body));
  });

  it('SSE-C and x-cos-traffic-limit: every UploadPart carries and signs them', async () => {
    const key = 'v/ssec.bin';
    const customerKey = randomBytes(32);
    const headers = {
      'Content-Type': 'application/x-test',
      'x-cos-server-side-encryption-customer-algorithm': 'AES256',
      'x-cos-server-side-encryption-customer-key': customerKey.toString('base64'),
      'x-cos-server-side-encryption-customer-key-MD5': createHash('md5').update(customerKey).digest('base64'),
      'x-cos-traffic-limit': '8388608000',
    };
    const body = randomBytes(3 * MiB + 1);
    const r = await upload(signer, { bucket: bucket(), key, body, partSize: MiB, headers });
    expect(r.verified).toBe(true);
    const parts = sent(key, (h) => h.method == 'PUT' && h.query.partNumber);
    expect(parts).toHaveLength(4);
    for (const p of parts) {
      for (const [n, v] of Object.entries(headers).slice(1)) {
        expect(p.headers[n.toLowerCase()]).toBe(v);
        expect(p.signed).toContain(n.toLowerCase());
      }
      expect(p.headers['content-type']).not.toBe('application/x-test'); // the object's type goes with Initiate only
    }
    // The server refuses a part without them: the headers are what made these parts go through.
    const { uploadId } = await createMultipartUpload(signer, { bucket: bucket(), key: 'v/ssec2.bin', headers });
    const e = await uploadPart(signer, {
      bucket: bucket(),
      key: 'v/ssec2.bin',
      uploadId,
      partNumber: 1,
      body: 'x',
    }).catch((e) => e);
    expect(e.cos?.Code).toBe('InvalidRequest');
  });

  it('answers without x-cos-hash-crc64ecma (a CORS rule that hides it): success, verified false', async () => {
    const hide = async (url, init) => {
      const res = await fetch(url, init);
      const h = new Headers(res.headers);
      h.delete('x-cos-hash-crc64ecma');
      return new Response(res.body, { status: res.status, headers: h });
    };
    const s = new CosSigner({ domain, scheme: 'http', credentials: { secretId: id, secretKey: sk }, fetch: hide });
    const body = randomBytes(2 * MiB + 9);
    const multi = await upload(s, { bucket: bucket(), key: 'v/hidden.bin', body, partSize: MiB });
    expect(multi).toMatchObject({ verified: false, crc64: serverCrc(body) }); // the computed one
    const one = await upload(s, { bucket: bucket(), key: 'v/hidden1.bin', body: 'abc' });
    expect(one).toMatchObject({ verified: false, crc64: serverCrc(Buffer.from('abc')) });
    const off = await upload(signer, { bucket: bucket(), key: 'v/off.bin', body, partSize: MiB, crc64: false });
    expect(off.verified).toBe(false);
    expect(md5(await stored('v/off.bin'))).toBe(md5(body));
  });
});

/** A small seeded PRNG (mulberry32), so that a schedule can be replayed from its seed. */
const rng = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/**
 * One schedule: a body of 1 to 4 parts of 1 MiB (or a small one in one PutObject), faults drawn for its
 * parts and its Complete, maybe a pause at a random byte, maybe other bytes stored late in one part before
 * the first Complete; after a failure, a resume (maybe with another body of the same size) without faults.
 * Returns what happened, for the invariants.
 */
const schedule = async (seed) => {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const key = `sched/${seed}.bin`;
  const small = r() < 0.15;
  const size = small ? 1 + Math.floor(r() * 50000) : MiB + Math.floor(r() * 3 * MiB);
  const first = randomBytes(size);
  const parts = Math.ceil(size / MiB);
  const rules = [];
  const retries = 2;
  for (let k = Math.floor(r() * 4); k >= 0; k--) {
    const target = r() < 0.25 ? 'complete' : 1 + Math.floor(r() * parts);
    const when = small
      ? (q) => q.key == key && q.method == 'PUT'
      : target == 'complete'
        ? isComplete(key)
        : isPart(key, target);
    const times = 1 + Math.floor(r() * (retries + 1.5)); // sometimes more than the retries
    const fault = pick(['destroy', 'cutAfter', 500, 503, 429, 'flip', 'flip']);
    if (fault == 'flip' && target == 'complete' && !small) continue; // Complete has no body to flip
    rules.push(
      cos.inject(
        typeof fault == 'number'
          ? {
              when,
              times,
              status: fault,
              code: fault == 429 ? 'SlowDown' : fault == 503 ? 'ServiceUnavailable' : 'InternalError',
            }
          : { when, times, [fault]: true },
      ),
    );
  }
  const pause = new AbortController();
  const pauseAt = r() < 0.3 ? Math.floor(r() * size) : -1;
  let uploadId;
  const log = [];
  const other = r() < 0.4;
  const second = other ? randomBytes(size) : first;
  // Sometimes other bytes land in one part just before the first Complete: a late UploadPart (InvalidPart).
  const late = !small && r() < 0.2 ? 1 + Math.floor(r() * parts) : 0;
  const lateSize = Math.min(MiB, size - (late - 1) * MiB);
  try {
    const res = await upload(late ? staleWrites(key, 1, { partNumber: late, size: lateSize }) : signer, {
      bucket: bucket(),
      key,
      body: first,
      partSize: MiB,
      retries,
      signal: pause.signal,
      onUploadId: (id) => (uploadId = id),
      onProgress: ({ loaded }) => pauseAt >= 0 && loaded >= pauseAt && pause.abort(new Error('paused')),
    });
    log.push(late ? 'late write, first resolved' : 'first resolved');
    for (const rule of rules) rule.cancel();
    return { key, res, body: first, log };
  } catch (e) {
    for (const rule of rules) rule.cancel();
    log.push(`${late ? 'late write, ' : ''}first rejected: ${e.code || e.message}`);
    const clear = e instanceof CosSignError || e.message == 'paused';
    if (!clear) throw new Error(`seed ${seed}: not a clear error: ${e}`);
    // A part overwritten before Complete is repaired by upload() itself (one resume), never left to the caller.
    if (e.cos?.Code == 'InvalidPart') throw new Error(`seed ${seed}: InvalidPart reached the caller: ${e.message}`);
    // Whatever is stored now must be the first body, whole, or nothing.
    const now = await stored(key);
    if (now && md5(now) != md5(first)) throw new Error(`seed ${seed}: after ${e.code}, the key holds other bytes`);
    let res;
    try {
      res = await upload(signer, { bucket: bucket(), key, body: second, partSize: MiB, uploadId });
      log.push(uploadId ? 'resumed' : 'uploaded again');
    } catch (e2) {
      if (e2.cos?.Code != 'NoSuchUpload') throw e2;
      res = await upload(signer, { bucket: bucket(), key, body: second, partSize: MiB });
      log.push('NoSuchUpload, uploaded again');
    }
    return { key, res, body: second, log };
  }
};

describe('seeded fault schedules', () => {
  const count = process.env.FAULT_SEED ? 1 : 200;
  const base = process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : (Date.now() % 1e6) * 1000;
  it(`${count} schedules end verified with the right bytes, or with a clear error a resume repairs`, async () => {
    // Backoff is shortened 20× here (timers of 0.2 to 30 s): the schedules test what is sent, not how long
    // the library waits between attempts.
    const real = globalThis.setTimeout;
    globalThis.setTimeout = (fn, ms, ...a) => real(fn, ms >= 200 && ms <= 3e4 ? ms / 20 : ms, ...a);
    const outcomes = {};
    try {
      const seeds = Array.from({ length: count }, (_, i) => base + i);
      let next = 0;
      const worker = async () => {
        while (next < seeds.length) {
          const seed = seeds[next++];
          let out;
          try {
            out = await schedule(seed);
            expect(out.res.verified, `seed ${seed}`).toBe(true);
            expect(md5(await stored(out.key)), `seed ${seed}: the stored bytes`).toBe(md5(out.body));
            expect(out.res.crc64, `seed ${seed}`).toBe(serverCrc(out.body));
          } catch (e) {
            e.message = `fault schedule seed ${seed} (rerun: FAULT_SEED=${seed}): ${e.message}`;
            console.error(e.message, out?.log);
            throw e;
          }
          const k = out.log.join(' → ');
          outcomes[k] = (outcomes[k] || 0) + 1;
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    } finally {
      globalThis.setTimeout = real;
    }
    console.log(`fault schedules from seed ${base}:`, outcomes);
    // The schedules did exercise failures and resumes, not only clean runs.
    expect(Object.keys(outcomes).some((k) => k.includes('rejected'))).toBe(true);
  }, 300_000);
});
