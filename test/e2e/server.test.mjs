// cos-sign/server's own promises (server/index.mjs, `cos-sign serve`): COS's codes for each refusal, several
// buckets, data that survives a restart, inject() (status, cut, delay), CORS rules, a `cos-sign serve` run
// whose whole output holds no secret, and 16 parallel uploads of 256 MiB in all stored right.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCosServer } from '../../server/index.mjs';
import { root } from './harness.mjs';

const md5 = (b, enc = 'hex') => createHash('md5').update(b).digest(enc);
const codeOf = async (r) => /<Code>([^<]*)<\/Code>/.exec(await r.text())?.[1];

let dist;
let cos;
let signer;
beforeAll(async () => {
  dist = await import('../../dist/cos-sign.mjs');
  cos = await startCosServer();
  signer = new dist.CosSigner({ domain: cos.domain, scheme: 'http', credentials: cos.credentials });
});
afterAll(() => cos?.close());

/** A raw request to the server with its own Host header (names another bucket). */
const rawRequest = (port, { method = 'GET', path: p, headers = {} }) =>
  new Promise((ok, ko) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers, setHost: false });
    req.on('response', async (res) => {
      let body = '';
      for await (const c of res) body += c;
      ok({ status: res.statusCode, body, code: /<Code>([^<]*)<\/Code>/.exec(body)?.[1] });
    });
    req.on('error', ko);
    req.end();
  });

describe('refusals, each with COS code', () => {
  it('unsigned, tampered, expired URL, token removed', async () => {
    await dist.signedFetch(signer, `${cos.url}/r.txt`, { method: 'PUT', body: 'x' });
    const unsigned = await fetch(`${cos.url}/r.txt`);
    expect([unsigned.status, await codeOf(unsigned)]).toEqual([403, 'AccessDenied']);
    const url = await signer.getPresignedUrl({ method: 'GET', bucket: cos.bucket, key: 'r.txt' });
    const tampered = await fetch(
      url.replace(/q-signature=([0-9a-f])/, (_m, c) => `q-signature=${c === 'a' ? 'b' : 'a'}`),
    );
    expect([tampered.status, await codeOf(tampered)]).toEqual([403, 'SignatureDoesNotMatch']);
    const old = new Date(Date.now() - 3600_000);
    const expired = await fetch(
      await signer.getPresignedUrl({ method: 'GET', bucket: cos.bucket, key: 'r.txt', expires: 60, now: old }),
    );
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/<Code>AccessDenied<\/Code>[\s\S]*Request has expired/);
    const t = await cos.issueTemporaryCredentials({ ttlSeconds: 600 });
    const temp = new dist.CosSigner({ domain: cos.domain, scheme: 'http', credentials: t });
    const withToken = await temp.getPresignedUrl({ method: 'GET', bucket: cos.bucket, key: 'r.txt' });
    expect((await fetch(withToken)).status).toBe(200);
    const noToken = await fetch(withToken.replace(/&?x-cos-security-token=[^&]*/, ''));
    expect([noToken.status, await codeOf(noToken)]).toEqual([403, 'InvalidAccessKeyId']);
  });

  it('unknown bucket: NoSuchBucket', async () => {
    const port = new URL(cos.url).port;
    const r = await rawRequest(port, {
      path: '/r.txt',
      headers: { host: `other-1250000000.cos.ap-guangzhou.myqcloud.com` },
    });
    expect([r.status, r.code]).toEqual([404, 'NoSuchBucket']);
  });

  it('Delete Multiple without Content-MD5, a wrong Content-MD5, an SSE-C part without its headers', async () => {
    const xml = '<Delete><Object><Key>r.txt</Key></Object></Delete>';
    const noMd5 = await dist.signedFetch(signer, `${cos.url}/?delete`, { method: 'POST', body: xml });
    expect([noMd5.status, await codeOf(noMd5)]).toEqual([400, 'MissingContentMD5']);
    const wrong = await dist.signedFetch(signer, `${cos.url}/w.txt`, {
      method: 'PUT',
      body: 'abc',
      headers: { 'Content-MD5': md5('abd', 'base64') },
    });
    expect([wrong.status, await codeOf(wrong)]).toEqual([400, 'BadDigest']);
    expect(cos.server.listKeys()).not.toContain('w.txt');
    const key = randomBytes(32);
    const ssec = {
      'x-cos-server-side-encryption-customer-algorithm': 'AES256',
      'x-cos-server-side-encryption-customer-key': key.toString('base64'),
      'x-cos-server-side-encryption-customer-key-MD5': md5(key, 'base64'),
    };
    const init = await dist.signedFetch(signer, `${cos.url}/s.bin?uploads`, { method: 'POST', headers: ssec });
    const uploadId = /<UploadId>([^<]+)/.exec(await init.text())[1];
    const part = await dist.signedFetch(signer, `${cos.url}/s.bin?partNumber=1&uploadId=${uploadId}`, {
      method: 'PUT',
      body: 'part',
    });
    expect([part.status, await codeOf(part)]).toEqual([400, 'InvalidRequest']);
    const ok = await dist.signedFetch(signer, `${cos.url}/?delete`, {
      method: 'POST',
      body: xml,
      headers: { 'Content-MD5': md5(xml, 'base64') },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<Deleted>');
  });
});

describe('several buckets, restart, inject, CORS', () => {
  it('each bucket is the Host first label; 127.0.0.1 reaches the first', async () => {
    const two = await startCosServer({ buckets: ['one-1250000000', 'two-1250000000'] });
    try {
      const port = new URL(two.url).port;
      const host = `two-1250000000.localhost:${port}`;
      const s = new dist.CosSigner({ domain: host, scheme: 'http', credentials: two.credentials });
      const put = new URL(await s.getPresignedUrl({ method: 'PUT', bucket: 'two-1250000000', key: 'k' }));
      const r = await new Promise((ok, ko) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: put.pathname + put.search });
        req.setHeader('host', host);
        req.on('response', (res) => ok(res.resume().statusCode)).on('error', ko);
        req.end('in two');
      });
      expect(r).toBe(200);
      expect(two.server.listKeys('two-1250000000')).toEqual(['k']);
      expect(two.server.listKeys('one-1250000000')).toEqual([]);
      const first = new dist.CosSigner({ domain: two.domain, scheme: 'http', credentials: two.credentials });
      await dist.signedFetch(first, `${two.url}/k1`, { method: 'PUT', body: 'in one' });
      expect(two.server.listKeys()).toEqual(['k1']);
    } finally {
      await two.close();
    }
  });

  it('objects in dataDir survive a restart', async () => {
    const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-server-restart-'));
    const credentials = [cos.credentials];
    try {
      let s = await startCosServer({ dataDir, credentials });
      const body = randomBytes(5000);
      const a = new dist.CosSigner({ domain: s.domain, scheme: 'http', credentials: s.credentials });
      expect((await dist.signedFetch(a, `${s.url}/kept.bin`, { method: 'PUT', body })).status).toBe(200);
      await s.close();
      s = await startCosServer({ dataDir, credentials });
      const b = new dist.CosSigner({ domain: s.domain, scheme: 'http', credentials: s.credentials });
      const r = await dist.signedFetch(b, `${s.url}/kept.bin`);
      expect(Buffer.from(await r.arrayBuffer()).equals(body)).toBe(true);
      await s.close();
    } finally {
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('inject: a status and code, a cut connection, a delay; matched by method and key, counted', async () => {
    await dist.signedFetch(signer, `${cos.url}/inj.txt`, { method: 'PUT', body: 'inj' });
    const get = () => dist.signedFetch(signer, `${cos.url}/inj.txt`);
    const rule = cos.inject({ status: 503, code: 'SlowDown', times: 2, match: { method: 'GET', key: 'inj.txt' } });
    const head = await dist.signedFetch(signer, `${cos.url}/inj.txt`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const r = await get();
      expect([r.status, await codeOf(r)]).toEqual([503, 'SlowDown']);
    }
    expect(rule.remaining).toBe(0);
    expect((await get()).status).toBe(200);
    cos.inject({ cut: true, match: { key: /^inj/ } });
    await expect(get()).rejects.toThrow();
    cos.inject({ delayMs: 300, match: { key: 'inj.txt' } });
    const t0 = Date.now();
    const slow = await get();
    expect(slow.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('CORS rules: an origin not allowed gets no CORS headers; a preflight for it is refused', async () => {
    const strict = await startCosServer({
      cors: [{ AllowedOrigin: 'http://*.example.com', AllowedMethod: ['GET', 'PUT'], ExposeHeader: 'ETag' }],
    });
    try {
      const pre = (origin, method) =>
        fetch(`${strict.url}/a`, {
          method: 'OPTIONS',
          headers: { Origin: origin, 'Access-Control-Request-Method': method },
        });
      const good = await pre('http://app.example.com', 'PUT');
      expect(good.status).toBe(200);
      expect(good.headers.get('access-control-expose-headers')).toBe('ETag');
      expect((await pre('http://evil.test', 'PUT')).status).toBe(403);
      expect((await pre('http://app.example.com', 'DELETE')).status).toBe(403);
    } finally {
      await strict.close();
    }
  });
});

/** Runs `cos-sign serve` with `args`, calls `during({ url, sts, out })` once it is up, SIGINTs it: all its output. */
const runServe = async (args, during) => {
  const child = spawn(process.execPath, [path.join(root, 'bin/cos-sign.mjs'), 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const closed = new Promise((ok) => child.on('close', (code, signal) => ok(signal ?? code)));
  try {
    for (let i = 0; i < 200 && !out.includes('Ctrl-C stops it.'); i++) await new Promise((r) => setTimeout(r, 25));
    const url = /a local COS at (http:\/\/\S+)/.exec(out)?.[1];
    const sts = /STS\s+(http:\/\/\S+)/.exec(out)?.[1];
    expect(url, out).toBeTruthy();
    await during({ url, sts, out });
  } finally {
    child.kill('SIGINT');
  }
  expect(await closed).toBe(0);
  return out;
};

describe('cos-sign serve', () => {
  it('prints no secret, with request logging on: not a given SecretKey, a temporary key, a token or a signature', async () => {
    const id = 'AKIDserveTest0123456789';
    const secret = 'serveSecretKey-' + randomBytes(12).toString('hex');
    const seen = [];
    const out = await runServe(['--key', `${id}:${secret}`], async ({ url, sts }) => {
      const domain = url.replace('http://', '');
      const stsApi = await import('../../dist/sts.mjs');
      const policy = { version: '2.0', statement: [] };
      const t = await stsApi.getFederationToken({ secretId: id, secretKey: secret, endpoint: sts, policy });
      await expect(
        stsApi.getFederationToken({ secretId: id, secretKey: 'wrong', endpoint: sts, policy }),
      ).rejects.toThrow();
      const s = new dist.CosSigner({ domain, scheme: 'http', credentials: t });
      expect((await dist.signedFetch(s, `${url}/secret.txt`, { method: 'PUT', body: 'x' })).status).toBe(200);
      const presigned = await s.getPresignedUrl({ method: 'GET', bucket: 'test-1250000000', key: 'secret.txt' });
      expect((await fetch(presigned)).status).toBe(200);
      expect((await fetch(presigned.replace(/q-signature=../, 'q-signature=00'))).status).toBe(403);
      seen.push(t.secretKey, t.securityToken, new URL(presigned).searchParams.get('q-signature'));
    });
    expect(out).toMatch(/PUT \/secret\.txt → 200/);
    expect(out).toContain('→ 403');
    expect(out).toContain('STS GetFederationToken → ok');
    expect(out).toContain('STS GetFederationToken → AuthFailure.SignatureFailure');
    for (const s of [secret, ...seen]) expect(out).not.toContain(s);
  });

  it('a generated SecretKey is printed in the banner only', async () => {
    const out = await runServe([], async ({ url, out: banner }) => {
      const key = /SecretKey\s+(\S+)/.exec(banner)[1];
      const id = /SecretId\s+(\S+)/.exec(banner)[1];
      const s = new dist.CosSigner({
        domain: url.replace('http://', ''),
        scheme: 'http',
        credentials: { secretId: id, secretKey: key },
      });
      expect((await dist.signedFetch(s, `${url}/a`, { method: 'PUT', body: 'a' })).status).toBe(200);
    });
    const key = /SecretKey\s+(\S+)/.exec(out)[1];
    const after = out.slice(out.indexOf('Ctrl-C stops it.'));
    expect(after).toContain('PUT /a → 200');
    expect(after).not.toContain(key);
  });
});

describe('load', () => {
  it('16 uploads in parallel, 256 MiB in all, stored right', { timeout: 240_000 }, async () => {
    const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-server-load-'));
    const s = await startCosServer({ dataDir });
    try {
      const up = new dist.CosSigner({ domain: s.domain, scheme: 'http', credentials: s.credentials });
      const bodies = Array.from({ length: 16 }, () => randomBytes(16 * 1024 * 1024));
      const answers = await Promise.all(
        bodies.map((body, i) => dist.signedFetch(up, `${s.url}/load/${i}.bin`, { method: 'PUT', body })),
      );
      for (const [i, r] of answers.entries()) {
        expect(r.status).toBe(200);
        expect(r.headers.get('etag')).toBe(`"${md5(bodies[i])}"`);
        const o = await s.server.readObject(`load/${i}.bin`);
        expect(o.size).toBe(16 * 1024 * 1024);
        expect(md5(o.data)).toBe(md5(bodies[i]));
      }
    } finally {
      await s.close();
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  });
});
