// The local COS server's half of "verified bytes", checked from outside: its own CRC-64/XZ
// (demo/server/cos-crc.mjs) against Python's crcmod on random buffers; x-cos-hash-crc64ecma on every
// answer that carries it (PUT, POST Object, Upload Part, Complete, HEAD, a whole-object GET) and on no
// partial GET; the CORS headers a page needs to read it; SSE-C keys asked for on every part and read;
// the request headers and signed header names in `state.history`; and the injected faults a client's
// verification must survive (flip, cutAfter, crc64, delayMs, and destroy for contrast). Requests are
// signed by the official cos-nodejs-sdk-v5 (COS.getAuthorization) or, for POST forms, by node:crypto
// from COS's docs; nothing here comes from src/ or dist/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCosServer } from '../../demo/server/cos-server.mjs';
import { Crc64, crc64 } from '../../demo/server/cos-crc.mjs';

const require = createRequire(import.meta.url);
const COS = require('cos-nodejs-sdk-v5');

const MiB = 1024 * 1024;
const CRC = 'x-cos-hash-crc64ecma';
const md5 = (b) => createHash('md5').update(b).digest('hex');
const md5b64 = (b) => createHash('md5').update(b).digest('base64');
const encKey = (key) => key.split('/').map(encodeURIComponent).join('/');
const nowS = () => Math.floor(Date.now() / 1000);
const one = (xml, name) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

// crcmod is the reference: CRC-64/XZ is poly 0x42F0E1EBA9EA3693 reflected, register and final XOR all
// ones. crcmod's initCrc is the register xor xorOut, so 0 here ('crc-64-jones' and 'crc-64-we' differ).
const PYTHON = '/usr/bin/python3';
const CRCMOD_FUN = 'crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xffffffffffffffff, rev=True)';
const hasCrcmod = spawnSync(PYTHON, ['-c', 'import crcmod'], { stdio: 'ignore' }).status === 0;
if (!hasCrcmod) console.log(`crcmod is missing for ${PYTHON}: apt-get install python3-crcmod`);

/** crcmod's CRC-64/XZ of each buffer (decimal strings), from one Python process: hex lines in, lines out. */
const crcmodOf = (buffers) => {
  const script = [
    'import sys, crcmod',
    `f = ${CRCMOD_FUN}`,
    'for line in sys.stdin:',
    '    print(f(bytes.fromhex(line.strip())))',
  ].join('\n');
  const input = buffers.map((b) => Buffer.from(b).toString('hex') + '\n').join('');
  const out = execFileSync(PYTHON, ['-c', script], { input, maxBuffer: 64 * MiB, encoding: 'utf8' });
  return out.trim().split('\n');
};

describe.skipIf(!hasCrcmod)('cos-crc.mjs against crcmod', () => {
  it('check values, then ~200 random buffers of 0..70000 bytes, whole and fed in random pieces', () => {
    expect(crcmodOf([Buffer.from('123456789'), Buffer.alloc(0)])).toEqual(['11051210869376104954', '0']);
    expect(crc64(Buffer.from('123456789'))).toBe('11051210869376104954');
    expect(crc64(new Uint8Array(0))).toBe('0');
    // Every length up to 17 (the 8-byte loop and its tail), then random lengths.
    const lengths = [...Array.from({ length: 18 }, (_, i) => i), 65536, 70000];
    while (lengths.length < 200) lengths.push(Math.floor(Math.random() * 70001));
    const buffers = lengths.map((n) => randomBytes(n));
    buffers.push(Buffer.alloc(4096, 0xff), Buffer.alloc(4096, 0));
    const expected = crcmodOf(buffers);
    expect(expected).toHaveLength(buffers.length);
    const whole = buffers.map((b) => crc64(b));
    const pieces = buffers.map((b) => {
      const c = new Crc64();
      for (let i = 0; i < b.length; ) {
        const n = 1 + Math.floor(Math.random() * 3000);
        c.update(b.subarray(i, i + n));
        i += n;
      }
      return c.digest();
    });
    expect(whole).toEqual(expected);
    expect(pieces).toEqual(expected);
  });
});

let cos;
let base;
const perm = { id: 'AKIDcrc' + randomBytes(6).toString('hex'), sk: randomBytes(20).toString('hex') };

beforeAll(async () => {
  cos = await createCosServer();
  base = await cos.listen(0);
  cos.addKey(perm.id, perm.sk);
});
afterAll(async () => {
  await cos?.close();
  if (cos) await fsp.rm(cos.dataDir, { recursive: true, force: true });
});

/** Authorization by the official SDK (the Host without its port, as the server also accepts). */
const sign = ({ method, key, query = {}, headers = {} }) =>
  COS.getAuthorization({
    SecretId: perm.id,
    SecretKey: perm.sk,
    Method: method,
    Key: key || '/',
    Query: query,
    Headers: { host: '127.0.0.1', ...headers },
    KeyTime: `${nowS() - 1};${nowS() + 600}`,
  });
const qs = (query) =>
  Object.entries(query)
    .map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');
const urlOf = (key, query = {}, url = base) =>
  `${url}/${encKey(key)}${Object.keys(query).length ? '?' + qs(query) : ''}`;
/** A request signed with COS.getAuthorization (method, key, query and the given headers). */
const send = (method, key, { query = {}, headers = {}, body, url } = {}) =>
  fetch(urlOf(key, query, url), {
    method,
    body,
    headers: { ...headers, Authorization: sign({ method, key, query, headers }) },
  });
const expectError = async (res, status, code) => {
  const text = await res.text();
  expect({ status: res.status, code: one(text, 'Code') }, text).toEqual({ status, code });
  return { code: one(text, 'Code'), message: one(text, 'Message')?.replace(/&apos;/g, "'"), text };
};
const put = (key, body, headers = {}) => send('PUT', key, { body, headers });
const head = (key, headers = {}) => send('HEAD', key, { headers });
const get = (key, headers = {}) => send('GET', key, { headers });

const initiate = async (key, headers = {}) => {
  const res = await send('POST', key, { query: { uploads: '' }, headers });
  const xml = await res.text();
  expect(res.status, xml).toBe(200);
  return one(xml, 'UploadId');
};
const uploadPart = (key, uploadId, partNumber, body, headers = {}) =>
  send('PUT', key, { query: { partNumber: String(partNumber), uploadId }, body, headers });
const completeXml = (parts) =>
  '<CompleteMultipartUpload>' +
  parts.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag}</ETag></Part>`).join('') +
  '</CompleteMultipartUpload>';
const complete = (key, uploadId, parts) =>
  send('POST', key, { query: { uploadId }, body: completeXml(parts), headers: { 'Content-Type': 'application/xml' } });
const partsOf = (uploadId) => cos.listUploads().find((u) => u.uploadId === uploadId)?.parts;
/** The entries `state.history` logged from index `from` on. */
const since = (from) => cos.state.history.slice(from);

describe('x-cos-hash-crc64ecma', () => {
  it('PUT, HEAD and a whole-object GET carry the CRC of the bytes; a partial Range GET carries none', async () => {
    const key = 'crc/put é.bin';
    const data = randomBytes(100_001);
    const want = crc64(data);
    let res = await put(key, data);
    expect(res.status).toBe(200);
    expect(res.headers.get(CRC)).toBe(want);
    expect((await cos.readObject(key)).crc64).toBe(want);

    res = await head(key);
    expect(res.status).toBe(200);
    expect(res.headers.get(CRC)).toBe(want);
    res = await get(key);
    expect(res.status).toBe(200);
    expect(res.headers.get(CRC)).toBe(want);
    expect(crc64(Buffer.from(await res.arrayBuffer()))).toBe(want);

    // A Range that covers every byte is the whole object (206, and the CRC of the bytes sent) …
    for (const range of [
      'bytes=0-',
      `bytes=0-${data.length - 1}`,
      `bytes=0-${data.length + 5}`,
      `bytes=-${data.length}`,
    ]) {
      res = await get(key, { Range: range });
      expect(res.status, range).toBe(206);
      expect(res.headers.get(CRC), range).toBe(want);
      expect(crc64(Buffer.from(await res.arrayBuffer()))).toBe(want);
    }
    // … any smaller one is not.
    for (const range of ['bytes=1-', 'bytes=0-9', `bytes=0-${data.length - 2}`, 'bytes=-10']) {
      res = await get(key, { Range: range });
      expect(res.status, range).toBe(206);
      expect(res.headers.get(CRC), range).toBeNull();
      await res.arrayBuffer();
    }
    // An empty object's CRC is 0.
    res = await put('crc/empty', Buffer.alloc(0));
    expect(res.headers.get(CRC)).toBe('0');
    expect((await head('crc/empty')).headers.get(CRC)).toBe('0');
  });

  it('the CRC survives a restart with the same dataDir; metadata without one sends none', async () => {
    const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-crc-restart-'));
    try {
      const data = randomBytes(5000);
      let s = await createCosServer({ dataDir });
      let url = await s.listen(0);
      s.addKey(perm.id, perm.sk);
      expect((await send('PUT', 'a', { body: data, url })).headers.get(CRC)).toBe(crc64(data));
      expect((await send('PUT', 'old', { body: data, url })).status).toBe(200);
      await s.close();
      // As a server from before CRCs wrote it: the metadata of 'old' without crc64.
      const meta = path.join(dataDir, 'objects', createHash('sha256').update('old').digest('hex') + '.json');
      const { crc64: _dropped, ...older } = JSON.parse(await fsp.readFile(meta, 'utf8'));
      await fsp.writeFile(meta, JSON.stringify(older));

      s = await createCosServer({ dataDir });
      url = await s.listen(0);
      s.addKey(perm.id, perm.sk);
      try {
        expect((await send('HEAD', 'a', { url })).headers.get(CRC)).toBe(crc64(data));
        const res = await send('GET', 'old', { url });
        expect(res.status).toBe(200);
        expect(res.headers.get(CRC)).toBeNull();
        expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
      } finally {
        await s.close();
      }
    } finally {
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('POST Object (an HTML form) answers with the file’s CRC', async () => {
    const data = randomBytes(7777);
    const kt = `${nowS() - 1};${nowS() + 600}`;
    const policy = JSON.stringify({
      expiration: new Date(Date.now() + 600_000).toISOString(),
      conditions: [{ 'q-sign-algorithm': 'sha1' }, { 'q-ak': perm.id }, { 'q-sign-time': kt }, { bucket: cos.bucket }],
    });
    const signKey = createHmac('sha1', perm.sk).update(kt).digest('hex');
    const fields = {
      key: 'crc/form.bin',
      policy: Buffer.from(policy).toString('base64'),
      'q-sign-algorithm': 'sha1',
      'q-ak': perm.id,
      'q-key-time': kt,
      'q-signature': createHmac('sha1', signKey).update(createHash('sha1').update(policy).digest('hex')).digest('hex'),
    };
    for (const status of ['204', '201']) {
      const fd = new FormData();
      for (const [k, v] of Object.entries({ ...fields, success_action_status: status })) fd.append(k, v);
      fd.append('file', new Blob([data]), 'f.bin');
      const res = await fetch(base + '/', { method: 'POST', body: fd });
      expect(res.status).toBe(+status);
      expect(res.headers.get(CRC)).toBe(crc64(data));
    }
    expect((await head('crc/form.bin')).headers.get(CRC)).toBe(crc64(data));
  });

  it('Upload Part answers with the part’s CRC, Complete with the whole object’s', async () => {
    const key = 'crc/multipart.bin';
    const parts = [randomBytes(MiB), randomBytes(MiB + 17), randomBytes(12_345)];
    const uploadId = await initiate(key);
    const etags = [];
    for (const [i, part] of parts.entries()) {
      const res = await uploadPart(key, uploadId, i + 1, part);
      expect(res.status).toBe(200);
      expect(res.headers.get(CRC)).toBe(crc64(part));
      etags.push(res.headers.get('etag'));
    }
    const res = await complete(
      key,
      uploadId,
      etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    );
    expect(res.status).toBe(200);
    const whole = Buffer.concat(parts);
    expect(res.headers.get(CRC)).toBe(crc64(whole));
    expect(one(await res.text(), 'Key')).toBe(key);
    expect((await head(key)).headers.get(CRC)).toBe(crc64(whole));
    const got = await get(key);
    expect(got.headers.get(CRC)).toBe(crc64(whole));
    expect(Buffer.from(await got.arrayBuffer()).equals(whole)).toBe(true);
  });

  it('CORS: answers and preflights expose x-cos-hash-crc64ecma and Date', async () => {
    await put('crc/cors', 'x');
    const origin = 'http://page.example';
    const res = await head('crc/cors', { Origin: origin });
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    const exposed = res.headers.get('access-control-expose-headers').toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining([CRC, 'date', 'etag']));
    const pre = await fetch(urlOf('crc/cors'), {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT' },
    });
    expect(pre.status).toBe(200);
    expect(pre.headers.get('access-control-expose-headers').toLowerCase().split(/,\s*/)).toEqual(
      expect.arrayContaining([CRC, 'date']),
    );
  });
});

/** The three SSE-C headers for a 256-bit key (base64), the key's MD5 computed unless given. */
const ssec = (key = randomBytes(32), keyMd5) => ({
  'x-cos-server-side-encryption-customer-algorithm': 'AES256',
  'x-cos-server-side-encryption-customer-key': key.toString('base64'),
  'x-cos-server-side-encryption-customer-key-MD5': keyMd5 ?? md5b64(key),
});
const SSEC_NAMES = Object.keys(ssec()).map((n) => n.toLowerCase());

describe('SSE-C', () => {
  it('an upload with a key takes only parts with that key; history shows each part carried and signed it', async () => {
    const key = 'ssec/upload.bin';
    const sk = randomBytes(32);
    const headers = ssec(sk);
    const uploadId = await initiate(key, headers);
    const part1 = randomBytes(MiB);
    const part2 = randomBytes(1000);

    let e = await expectError(await uploadPart(key, uploadId, 1, part1), 400, 'InvalidRequest');
    expect(e.message).toBe(
      'The multipart upload initiate requested encryption. ' +
        'Subsequent part requests must include the appropriate encryption parameters.',
    );
    await expectError(await uploadPart(key, uploadId, 1, part1, ssec()), 400, 'InvalidRequest');
    // A key-MD5 that is not the key's: the headers themselves are wrong (InvalidArgument, as S3).
    e = await expectError(
      await uploadPart(key, uploadId, 1, part1, ssec(sk, md5b64(randomBytes(32)))),
      400,
      'InvalidArgument',
    );
    expect(e.message).toContain('MD5');
    expect(partsOf(uploadId)).toEqual([]);

    const from = cos.state.history.length;
    const etags = [];
    for (const [i, part] of [part1, part2].entries()) {
      const res = await uploadPart(key, uploadId, i + 1, part, headers);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cos-server-side-encryption-customer-key-md5')).toBe(md5b64(sk));
      etags.push(res.headers.get('etag'));
    }
    const partRequests = since(from).filter((h) => h.method === 'PUT' && h.query.partNumber);
    expect(partRequests).toHaveLength(2);
    for (const h of partRequests) {
      expect(h.headers['x-cos-server-side-encryption-customer-key-md5']).toBe(md5b64(sk));
      expect(h.headers['x-cos-server-side-encryption-customer-key']).toBe(sk.toString('base64'));
      expect(h.signed).toEqual(expect.arrayContaining([...SSEC_NAMES, 'host']));
    }
    const res = await complete(
      key,
      uploadId,
      etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get(CRC)).toBe(crc64(Buffer.concat([part1, part2])));
    expect((await cos.readObject(key)).ssec).toEqual({ algorithm: 'AES256', keyMd5: md5b64(sk) });
    // The object is read only with its key.
    await expectError(await get(key), 400, 'InvalidRequest');
    expect((await head(key)).status).toBe(400);
    const ok = await get(key, headers);
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer()).equals(Buffer.concat([part1, part2]))).toBe(true);

    // A part with a key for an upload initiated without one is refused too.
    const plain = await initiate('ssec/plain.bin');
    await expectError(await uploadPart('ssec/plain.bin', plain, 1, 'x', ssec()), 400, 'InvalidRequest');
    expect((await uploadPart('ssec/plain.bin', plain, 1, 'x')).status).toBe(200);
  });

  it('PUT Object with a key: GET and HEAD need the same key; malformed key headers are refused', async () => {
    const sk = randomBytes(32);
    const data = randomBytes(3000);
    let res = await put('ssec/put.bin', data, ssec(sk));
    expect(res.status).toBe(200);
    expect(res.headers.get(CRC)).toBe(crc64(data));
    const e = await expectError(await get('ssec/put.bin'), 400, 'InvalidRequest');
    expect(e.message).toContain('Server Side Encryption');
    await expectError(await get('ssec/put.bin', ssec()), 400, 'InvalidRequest');
    expect((await head('ssec/put.bin')).status).toBe(400);
    res = await head('ssec/put.bin', ssec(sk));
    expect(res.status).toBe(200);
    expect(res.headers.get(CRC)).toBe(crc64(data));
    res = await get('ssec/put.bin', ssec(sk));
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    // A plain object read with a key: the parameters do not apply.
    await put('ssec/plain', 'x');
    await expectError(await get('ssec/plain', ssec()), 400, 'InvalidRequest');
    // Malformed: a 128-bit key, another algorithm; nothing stored.
    await expectError(await put('ssec/bad', 'x', ssec(randomBytes(16))), 400, 'InvalidArgument');
    await expectError(
      await put('ssec/bad', 'x', { ...ssec(), 'x-cos-server-side-encryption-customer-algorithm': 'AES128' }),
      400,
      'InvalidArgument',
    );
    expect(await cos.readObject('ssec/bad')).toBeUndefined();
  });
});

describe('state.history: headers and signed', () => {
  it('logs the request headers (lowercase names) and the names its signature lists, header or query', async () => {
    const from = cos.state.history.length;
    await put('hist/a', 'x', { 'Content-Type': 'text/plain', 'x-cos-meta-who': 'ann' });
    // A presigned GET: the signature in the query.
    const auth = sign({ method: 'GET', key: 'hist/a' });
    const presigned = auth
      .split('&')
      .map((kv) => kv.slice(0, kv.indexOf('=') + 1) + encodeURIComponent(kv.slice(kv.indexOf('=') + 1)))
      .join('&');
    expect((await fetch(`${urlOf('hist/a')}?${presigned}`)).status).toBe(200);
    await fetch(urlOf('hist/a')); // unsigned
    const [p, g, anon] = since(from);
    expect(p).toEqual({ method: 'PUT', key: 'hist/a', query: {}, status: 200 });
    expect(p.headers).toMatchObject({ 'content-type': 'text/plain', 'x-cos-meta-who': 'ann' });
    expect(p.headers.authorization).toMatch(/^q-sign-algorithm=sha1&/);
    expect(Object.keys(p.headers).every((n) => n === n.toLowerCase())).toBe(true);
    expect(p.signed).toEqual(expect.arrayContaining(['content-type', 'host', 'x-cos-meta-who']));
    expect(g.status).toBe(200);
    expect(g.signed).toEqual(['host']);
    expect(g.headers.authorization).toBeUndefined();
    expect(anon).toMatchObject({ status: 403 });
    expect(anon.signed).toEqual([]);
  });
});

describe('inject: faults a verifying client must survive', () => {
  it('flip corrupts one byte in flight: stored bytes, ETag and CRC are those of the corrupted body', async () => {
    const key = 'inject/flip.bin';
    const data = randomBytes(10_001);
    cos.inject({ when: (r) => r.method === 'PUT' && r.key === key, flip: true });
    let res = await put(key, data);
    expect(res.status).toBe(200);
    const stored = (await cos.readObject(key)).data;
    const diff = [...stored.keys()].filter((i) => stored[i] !== data[i]);
    expect(diff).toEqual([5000]); // the middle of the declared Content-Length
    expect(stored[5000]).toBe(data[5000] ^ 0xff);
    expect(res.headers.get('etag')).toBe(`"${md5(stored)}"`);
    expect(res.headers.get(CRC)).toBe(crc64(stored));
    expect(res.headers.get(CRC)).not.toBe(crc64(data));
    expect((await head(key)).headers.get(CRC)).toBe(crc64(stored));

    // At a given offset; with the Content-MD5 of what was sent, the corruption is caught: nothing stored.
    cos.inject({ when: (r) => r.key === key, flipAt: 0 });
    res = await put(key, data);
    expect((await cos.readObject(key)).data[0]).toBe(data[0] ^ 0xff);
    cos.inject({ when: (r) => r.key === 'inject/flip-md5', flip: true });
    await expectError(await put('inject/flip-md5', data, { 'Content-MD5': md5b64(data) }), 400, 'BadDigest');
    expect(await cos.readObject('inject/flip-md5')).toBeUndefined();
  });

  it('flip on Upload Part stores the corrupted part; Complete joins what was stored', async () => {
    const key = 'inject/flip-part.bin';
    const parts = [randomBytes(MiB), randomBytes(4321)];
    const uploadId = await initiate(key);
    cos.inject({ when: (r) => r.query.partNumber === '1', flipAt: 123_456 });
    const answers = [];
    for (const [i, part] of parts.entries()) answers.push((await uploadPart(key, uploadId, i + 1, part)).headers);
    const bad = Buffer.from(parts[0]);
    bad[123_456] ^= 0xff;
    expect(answers[0].get('etag')).toBe(`"${md5(bad)}"`);
    expect(answers[0].get(CRC)).toBe(crc64(bad));
    expect(answers[1].get(CRC)).toBe(crc64(parts[1]));
    expect(partsOf(uploadId).map((p) => p.etag)).toEqual([`"${md5(bad)}"`, `"${md5(parts[1])}"`]);
    const res = await complete(
      key,
      uploadId,
      answers.map((h, i) => ({ partNumber: i + 1, etag: h.get('etag') })),
    );
    expect(res.headers.get(CRC)).toBe(crc64(Buffer.concat([bad, parts[1]])));
  });

  it('cutAfter serves in full, then cuts: a network error, but the part / object / upload is done', async () => {
    const key = 'inject/cut-after.bin';
    const uploadId = await initiate(key);
    const part = randomBytes(MiB);
    cos.inject({ when: (r) => r.method === 'PUT' && r.query.uploadId === uploadId, cutAfter: true });
    let from = cos.state.history.length;
    await expect(uploadPart(key, uploadId, 1, part)).rejects.toThrow(TypeError);
    expect(since(from)).toEqual([{ method: 'PUT', key, query: { partNumber: '1', uploadId }, status: 0 }]);
    expect(partsOf(uploadId)).toEqual([{ partNumber: 1, size: MiB, etag: `"${md5(part)}"` }]);

    cos.inject({ when: (r) => r.method === 'POST' && r.query.uploadId === uploadId, cutAfter: true });
    await expect(complete(key, uploadId, [{ partNumber: 1, etag: `"${md5(part)}"` }])).rejects.toThrow(TypeError);
    expect((await cos.readObject(key)).data.equals(part)).toBe(true);
    expect(partsOf(uploadId)).toBeUndefined();
    // The retry a client would send finds the upload gone.
    await expectError(await complete(key, uploadId, [{ partNumber: 1, etag: `"${md5(part)}"` }]), 404, 'NoSuchUpload');

    cos.inject({ when: (r) => r.key === 'inject/cut-after-put', cutAfter: true });
    from = cos.state.history.length;
    await expect(put('inject/cut-after-put', 'stored anyway')).rejects.toThrow(TypeError);
    expect((await cos.readObject('inject/cut-after-put')).data.toString()).toBe('stored anyway');
    expect(since(from).map((h) => h.status)).toEqual([0]);
  });

  it('destroy (cut before) stores nothing, unlike cutAfter', async () => {
    cos.inject({ when: (r) => r.key === 'inject/cut-before', destroy: true });
    await expect(put('inject/cut-before', 'never')).rejects.toThrow(TypeError);
    expect(await cos.readObject('inject/cut-before')).toBeUndefined();
    const key = 'inject/cut-before-part';
    const uploadId = await initiate(key);
    cos.inject({ when: (r) => r.query.uploadId === uploadId, destroy: true });
    await expect(uploadPart(key, uploadId, 1, randomBytes(MiB))).rejects.toThrow(TypeError);
    expect(partsOf(uploadId)).toEqual([]);
  });

  it('crc64 replaces the CRC header of the answer (`times` of them); what is stored keeps the true CRC', async () => {
    const key = 'inject/crc.bin';
    const parts = [randomBytes(MiB), randomBytes(10)];
    const uploadId = await initiate(key);
    const etags = [];
    for (const [i, part] of parts.entries())
      etags.push((await uploadPart(key, uploadId, i + 1, part)).headers.get('etag'));
    cos.inject({ when: (r) => r.method === 'POST' && r.query.uploadId === uploadId, crc64: '12345' });
    const res = await complete(
      key,
      uploadId,
      etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get(CRC)).toBe('12345');
    const whole = crc64(Buffer.concat(parts));
    expect((await cos.readObject(key)).crc64).toBe(whole);
    const rule = cos.inject({ when: (r) => r.method === 'HEAD' && r.key === key, crc64: 1n, times: 2 });
    expect((await head(key)).headers.get(CRC)).toBe('1');
    expect((await head(key)).headers.get(CRC)).toBe('1');
    expect(rule.remaining).toBe(0);
    expect((await head(key)).headers.get(CRC)).toBe(whole);
    // Not on refusals.
    cos.inject({ when: (r) => r.key === 'inject/none', crc64: '7' });
    const refused = await head('inject/none');
    expect(refused.status).toBe(404);
    expect(refused.headers.get(CRC)).toBeNull();
  });

  it('delayMs waits, then serves (or fails, when the rule also fails)', async () => {
    await put('inject/slow', 'slow');
    cos.inject({ when: (r) => r.key === 'inject/slow', delayMs: 300 });
    let t = performance.now();
    let res = await get('inject/slow');
    expect(await res.text()).toBe('slow');
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    const rule = cos.inject({ when: (r) => r.key === 'inject/slow', delayMs: 200, status: 503, code: 'SlowDown' });
    t = performance.now();
    res = await get('inject/slow');
    await expectError(res, 503, 'SlowDown');
    expect(performance.now() - t).toBeGreaterThanOrEqual(190);
    // Used up (times: 1): the next request is served as it is (a bound on its time would only measure the machine).
    expect(rule.remaining).toBe(0);
    expect((await get('inject/slow')).status).toBe(200);
  });

  it('refuses a rule that both fails and serves, and bad values', () => {
    expect(() => cos.inject({ status: 500, cutAfter: true })).toThrow(TypeError);
    expect(() => cos.inject({ destroy: true, flip: true })).toThrow(TypeError);
    expect(() => cos.inject({ delayMs: -1 })).toThrow(TypeError);
    expect(() => cos.inject({ flipAt: 1.5 })).toThrow(TypeError);
  });
});
