// signRequest, signedFetch and getPostPolicy, checked by implementations this project did not write:
// cos-nodejs-sdk-v5's COS.getAuthorization recomputing from what the request actually carries, a local
// HTTP server on 127.0.0.1 that verifies with node:crypto, and node:crypto for the POST policy.
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import COS from 'cos-nodejs-sdk-v5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CosSigner, getPostPolicy, parseCosError, signedFetch, signRequest } from '../src/index.js';
import { verify } from './cos-verify.js';

const credentials = { secretId: 'AKIDexampleSecretId0123456789ABCDEF', secretKey: 'exampleSecretKey0123456789abcdefg' };
const bucketHost = 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com';

/** Recomputes the Authorization of a signed Request with the official Node SDK, from what it carries. */
const oracle = (req: Request, secretKey: string) => {
  const url = new URL(req.url);
  const auth = req.headers.get('authorization')!;
  const keyTime = /q-key-time=([^&]+)/.exec(auth)![1];
  const headers: Record<string, string> = { host: url.hostname };
  // Values as they arrive: HTTP strips surrounding whitespace on the wire (happy-dom's Headers keeps it).
  req.headers.forEach((v, k) => {
    headers[k] = v.trim();
  });
  delete headers.authorization;
  return COS.getAuthorization({
    SecretId: /q-ak=([^&]+)/.exec(auth)![1],
    SecretKey: secretKey,
    Method: req.method,
    Pathname: decodeURIComponent(url.pathname),
    Query: Object.fromEntries(url.searchParams),
    Headers: headers,
    KeyTime: keyTime,
  } as any);
};

describe('signer.authorize, the primitive the functions that send sign with', () => {
  const temp = { ...credentials, securityToken: 'tok+/=' };
  const signer = new CosSigner({ region: 'ap-guangzhou', credentials: temp });
  const now = new Date('2026-01-01T00:00:00Z');
  const call = { method: 'PUT', bucket: 'examplebucket-1250000000', key: 'a b/中.txt', now };

  it("gives the URL and the headers of a request, verified by the demo server's own code", async () => {
    const params = { 'x-cos-traffic-limit': 819200, acl: '' };
    const headers = { 'Content-Type': 'text/plain', 'X-Other': 'not signed' };
    const a = await signer.authorize({ ...call, params, headers });
    expect(a.url).toBe(`https://${bucketHost}/a%20b/%E4%B8%AD.txt?x-cos-traffic-limit=819200&acl=`);
    expect(a.headers['x-cos-security-token']).toBe('tok+/=');
    const sent = { ...headers, ...a.headers } as Record<string, string>;
    const f = verify(
      { method: 'PUT', url: a.url, headers: sent, authorization: a.headers.Authorization },
      temp.secretKey,
    );
    expect(f['q-header-list']).toBe('content-type;host;x-cos-security-token');
    expect(a.fetch).toBeUndefined();
    const myFetch = (() => {}) as unknown as typeof fetch;
    expect((await new CosSigner({ region: 'ap-guangzhou', credentials, fetch: myFetch }).authorize(call)).fetch).toBe(
      myFetch,
    );
  });

  it('presign: the URL getPresignedUrl gives; host: another host, bucket unused; bad options refused', async () => {
    const a = await signer.authorize({ ...call, presign: true });
    expect(a.url).toBe(await signer.getPresignedUrl(call));
    expect(a.headers.Authorization).toBe('');
    verify({ method: 'PUT', url: a.url }, temp.secretKey);
    const b = await signer.authorize({ ...call, bucket: '', host: '127.0.0.1:8788' });
    expect(b.url).toBe('https://127.0.0.1:8788/a%20b/%E4%B8%AD.txt');
    verify(
      { method: 'PUT', url: b.url, headers: b.headers as never, authorization: b.headers.Authorization },
      temp.secretKey,
    );
    for (const bad of [null, { ...call, key: '..' }, { ...call, method: 'COPY' }])
      await expect(signer.authorize(bad as never)).rejects.toMatchObject({ name: 'CosSignError' });
  });

  it('policy: signs the text the writer returns, HMAC-SHA1(SignKey, SHA1(policy)), checked with node:crypto', async () => {
    let seen: unknown[] = [];
    const a = await signer.authorize({ ...call, method: 'POST', policy: (...w) => ((seen = w), 'the policy') });
    const keyTime = `${now.getTime() / 1000 - 60};${now.getTime() / 1000 + 300}`;
    expect(seen).toEqual([credentials.secretId, keyTime, 'tok+/=']);
    const signKey = createHmac('sha1', credentials.secretKey).update(keyTime).digest('hex');
    const want = createHmac('sha1', signKey)
      .update(createHash('sha1').update('the policy').digest('hex'))
      .digest('hex');
    expect(a.headers.Authorization).toMatch(new RegExp(`&q-signature=${want}$`));
    expect(a.url).toBe(`https://${bucketHost}/`);
  });
});

describe('signRequest', () => {
  const signer = new CosSigner({ region: 'ap-guangzhou', credentials });

  it('signs method, decoded unicode path, every query parameter and the signable headers', async () => {
    const req = new Request(
      `https://${bucketHost}/${encodeURIComponent('中文 目录')}/a%2Bb%20c.txt?prefix=${encodeURIComponent('a b/中')}&acl&max-keys=10`,
      {
        method: 'PUT',
        body: 'hello',
        headers: {
          'Content-Type': 'text/plain',
          'x-cos-meta-Author': ' Ann ',
          'User-Agent': 'changes-in-transit',
          'X-Other': '1',
        },
      },
    );
    const signed = await signRequest(signer, req);
    const auth = signed.headers.get('authorization')!;
    expect(auth).toBe(oracle(signed, credentials.secretKey));
    expect(auth).toContain('q-header-list=content-type;host;x-cos-meta-author&q-url-param-list=acl;max-keys;prefix&');
    expect(signed.method).toBe('PUT');
    expect(signed.url).toBe(req.url);
    expect(await signed.text()).toBe('hello');
    expect(signed.headers.get('user-agent')).toBe('changes-in-transit');
  });

  it('adds the token header for temporary credentials, and the result verifies', async () => {
    const temp = new CosSigner({ region: 'ap-guangzhou', credentials: { ...credentials, securityToken: 'tok+/=' } });
    const signed = await signRequest(temp, new Request(`https://${bucketHost}/a.txt`));
    expect(signed.headers.get('x-cos-security-token')).toBe('tok+/=');
    expect(signed.headers.get('authorization')).toContain('q-header-list=host;x-cos-security-token&');
    expect(signed.headers.get('authorization')).toBe(oracle(signed, credentials.secretKey));
  });

  it('refuses a URL with a repeated query parameter', async () => {
    await expect(signRequest(signer, new Request(`https://${bucketHost}/a?x=1&x=2`))).rejects.toMatchObject({
      code: 'ERR_INVALID_PARAM',
    });
  });
});

describe('parseCosError', () => {
  it('reads Code, Message, RequestId and ServerTime, unescaping XML', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired &amp; more</Message><Resource>/a</Resource><RequestId>NjQ=</RequestId><ServerTime>2026-01-01T00:10:00Z</ServerTime></Error>`;
    expect(parseCosError(xml)).toEqual({
      Code: 'AccessDenied',
      Message: 'Request has expired & more',
      Resource: '/a',
      RequestId: 'NjQ=',
      ServerTime: '2026-01-01T00:10:00Z',
    });
    expect(parseCosError('<ListBucketResult/>')).toBeUndefined();
    expect(parseCosError('')).toBeUndefined();
  });
});

describe('signedFetch against a server whose clock runs 10 minutes ahead', () => {
  const skew = 10 * 60_000;
  const log: string[] = [];
  let server: Server;
  let origin: string;
  const body = (req: IncomingMessage) =>
    new Promise<string>((r) => {
      let s = '';
      req.on('data', (c) => (s += c));
      req.on('end', () => r(s));
    });

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const serverNow = Date.now() + skew;
      res.setHeader('Date', new Date(serverNow).toUTCString());
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Expose-Headers', 'Date');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET,PUT,POST,DELETE,HEAD');
        res.setHeader('Access-Control-Allow-Headers', '*, authorization');
        return res.end();
      }
      const text = await body(req);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      headers.host = headers.host.replace(/:\d+$/, '');
      const refuse = (code: string, message: string) => {
        log.push(code);
        res.writeHead(403, { 'Content-Type': 'application/xml' });
        res.end(
          `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>r</RequestId><ServerTime>${new Date(serverNow).toISOString()}</ServerTime></Error>`,
        );
      };
      try {
        const f = verify(
          { method: req.method!, url: `http://127.0.0.1${req.url}`, headers, authorization: headers.authorization },
          credentials.secretKey,
        );
        const [start] = f['q-sign-time'].split(';').map(Number);
        if (Math.abs(start + 60 - serverNow / 1000) > 300)
          return refuse(
            'RequestTimeTooSkewed',
            'The difference between the request time and the server time is too large.',
          );
      } catch (e) {
        return refuse('SignatureDoesNotMatch', String(e));
      }
      log.push(`ok ${req.method} ${decodeURIComponent(req.url!)} ${text}`);
      res.end('done');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('gets one RequestTimeTooSkewed, adopts the server time, retries once, and the next call needs no retry', async () => {
    log.length = 0;
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials });
    const res = await signedFetch(
      signer,
      `${origin}/dir/${encodeURIComponent('中文 文件.txt')}?x-cos-traffic-limit=819200`,
      { method: 'PUT', body: 'hello', headers: { 'Content-Type': 'text/plain' } },
    );
    expect(res.status).toBe(200);
    expect(log).toEqual(['RequestTimeTooSkewed', 'ok PUT /dir/中文 文件.txt?x-cos-traffic-limit=819200 hello']);
    expect(Math.abs(signer.clockOffset - skew)).toBeLessThan(5_000);
    const res2 = await signedFetch(signer, `${origin}/b.txt`, { method: 'PUT', body: 'again' });
    expect(res2.status).toBe(200);
    expect(log.slice(2)).toEqual(['ok PUT /b.txt again']);
  });

  it('does not retry a streamed body; returns the refusal', async () => {
    log.length = 0;
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials });
    const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('x')), c.close()) });
    const res = await signedFetch(signer, `${origin}/s.txt`, {
      method: 'PUT',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(403);
    expect(parseCosError(await res.text())?.Code).toBe('RequestTimeTooSkewed');
    expect(log).toEqual(['RequestTimeTooSkewed']);
    expect(signer.clockOffset).toBe(0);
  });

  it('refreshes provided credentials once when COS refuses the temporary key', async () => {
    let calls = 0;
    const keys = ['wrongSecretKey', credentials.secretKey];
    const sent: string[] = [];
    const signer = new CosSigner({
      region: 'ap-guangzhou',
      credentials: () => ({ secretId: credentials.secretId, secretKey: keys[calls++]!, securityToken: `t${calls}` }),
      fetch: async (input) => {
        const req = input as Request;
        sent.push(req.headers.get('x-cos-security-token')!);
        return sent.length === 1
          ? new Response(
              '<Error><Code>InvalidAccessKeyId</Code><Message>The access key Id format you provided is invalid.</Message></Error>',
              { status: 403 },
            )
          : new Response('ok');
      },
    });
    const res = await signedFetch(signer, `https://${bucketHost}/a.txt`, { method: 'PUT', body: 'x' });
    expect(res.status).toBe(200);
    expect([calls, sent]).toEqual([2, ['t1', 't2']]);
  });
});

describe('getPostPolicy', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const decode = (b64: string) => JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));

  it('signs the policy as COS POST Object says: HMAC-SHA1(SignKey, SHA1(policy)), checked with node:crypto', async () => {
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials: { ...credentials, securityToken: 'tok' } });
    const { url, fields } = await getPostPolicy(signer, {
      bucket: 'examplebucket-1250000000',
      keyPrefix: 'uploads/中文/',
      expires: 600,
      contentLengthRange: [1, 10485760],
      contentType: 'image/png',
      successActionStatus: 201,
      conditions: [['starts-with', '$x-cos-meta-tag', '']],
      now,
    });
    expect(url).toBe(`https://${bucketHost}/`);
    const t = now.getTime() / 1000;
    const keyTime = `${t - 60};${t + 600}`;
    expect(fields).toMatchObject({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: COS's own placeholder in a POST Object key.
      key: 'uploads/中文/${filename}',
      'q-sign-algorithm': 'sha1',
      'q-ak': credentials.secretId,
      'q-key-time': keyTime,
      'x-cos-security-token': 'tok',
      'Content-Type': 'image/png',
      success_action_status: '201',
    });
    const policyText = Buffer.from(fields.policy!, 'base64').toString('utf8');
    const signKey = createHmac('sha1', credentials.secretKey).update(keyTime).digest('hex');
    expect(fields['q-signature']).toBe(
      createHmac('sha1', signKey).update(createHash('sha1').update(policyText).digest('hex')).digest('hex'),
    );
    const policy = decode(fields.policy!);
    expect(policy.expiration).toBe(new Date((t + 600) * 1000).toISOString());
    expect(policy.conditions).toEqual([
      { 'q-sign-algorithm': 'sha1' },
      { 'q-ak': credentials.secretId },
      { 'q-sign-time': keyTime },
      { bucket: 'examplebucket-1250000000' },
      ['starts-with', '$key', 'uploads/中文/'],
      ['content-length-range', 1, 10485760],
      { 'Content-Type': 'image/png' },
      { success_action_status: '201' },
      { 'x-cos-security-token': 'tok' },
      ['starts-with', '$x-cos-meta-tag', ''],
    ]);
  });

  it('pins an exact key and refuses bad options', async () => {
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials });
    const { fields } = await getPostPolicy(signer, { bucket: 'examplebucket-1250000000', key: 'a.txt', now });
    expect(fields.key).toBe('a.txt');
    expect(decode(fields.policy!).conditions).toContainEqual({ key: 'a.txt' });
    expect(fields['x-cos-security-token']).toBeUndefined();
    for (const bad of [
      {},
      { key: 'a', keyPrefix: 'b' },
      { key: 'a', contentLengthRange: [5, 1] },
      { key: 'a', successActionStatus: 302 },
      { key: 'a', expires: 0 },
    ])
      await expect(getPostPolicy(signer, { bucket: 'examplebucket-1250000000', ...bad } as any)).rejects.toMatchObject({
        code: expect.stringMatching(/^ERR_INVALID_(POLICY|EXPIRES)$/),
      });
  });
});
