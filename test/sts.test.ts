// cos-sign/sts checked by code this project did not write, and by its own independent code:
// - the TC3-HMAC-SHA256 Authorization against tencentcloud-sdk-nodejs-common's Sign.sign3 over generated
//   input (payloads, timestamps around UTC midnights, hosts with ports, paths, services), Tencent's
//   documented example, and whole getFederationToken / assumeRole requests (regions, endpoints, policies);
// - a loopback stand-in for STS (test/sts-standin.mjs) that verifies the signature with node:crypto:
//   headers, body, URL-encoded Policy, the mapping of credentials and expiration; Tencent's error
//   answers, non-2xx, non-JSON, a closed port, a timeout; never a SecretKey in a message;
// - qcloud-cos-sts (the official Node helper, older API) against the same stand-in: it sends the same
//   policy and its answer means the same credentials;
// - cosPolicy's resources and refusals.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assumeRole,
  cosPolicy,
  COS_UPLOAD_ACTIONS,
  CosSignError,
  getFederationToken,
  stsJson,
  type CamPolicy,
} from '../src/sts/index.js';
import { CosSignError as MainCosSignError, fromSts } from '../src/index.js';
import { tc3Authorization } from '../src/sts/tc3.js';
// @ts-expect-error plain JS without types
import { startStsStandIn } from './sts-standin.mjs';
// @ts-expect-error plain JS without types
import { STS_VECTOR } from './conformance/suite.mjs';

const require = createRequire(import.meta.url);
const Sign = require('tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js').default;
const STS = require('qcloud-cos-sts');

const ID = 'AKIDpermanent0000000000000000000000';
const KEY = 'permanentSecretKey0000000000000000';
const BUCKET = 'examplebucket-1250000000';
const policy = cosPolicy({ bucket: BUCKET, region: 'ap-guangzhou', prefix: 'uploads/alice/' });
const subtle = globalThis.crypto.subtle;

/** The oracle: tencentcloud-sdk-nodejs-common's Authorization for a JSON POST to `url`. */
const oracle = (o: {
  url: string;
  payload: string | object;
  timestamp: number;
  secretId: string;
  secretKey: string;
  service?: string;
  contentType?: string;
}) =>
  Sign.sign3({
    method: 'POST',
    url: o.url,
    payload: typeof o.payload == 'string' ? Buffer.from(o.payload, 'utf8') : o.payload,
    timestamp: o.timestamp,
    service: o.service ?? 'sts',
    secretId: o.secretId,
    secretKey: o.secretKey,
    headers: { 'Content-Type': o.contentType ?? 'application/json; charset=utf-8' },
  }) as string;

/** A fetch that records the request and answers like STS. */
const capture = (
  answer: (init: RequestInit) => unknown = () => ({
    Response: {
      Credentials: { TmpSecretId: 'AKIDtmp', TmpSecretKey: 'tmpKey', Token: 'tok' },
      ExpiredTime: 2e9,
      RequestId: 'r',
    },
  }),
) => {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(answer(init)), { headers: { 'content-type': 'application/json' } });
  };
  return { calls, fetch };
};
const header = (init: RequestInit, name: string) => (init.headers as Record<string, string>)[name];

// Around UTC midnights (the credential scope's date changes) and anywhere from 2000 to 2100.
const timestamp = fc.oneof(
  fc.integer({ min: 946_684_800, max: 4_102_444_800 }),
  fc.integer({ min: 10_957, max: 47_480 }).chain((day) => fc.integer({ min: -2, max: 2 }).map((s) => day * 86_400 + s)),
);
const endpoint = fc.oneof(
  fc.constantFrom(
    'https://sts.tencentcloudapi.com/',
    'https://sts.intl.tencentcloudapi.com/',
    'https://STS.TencentCloudAPI.com/',
    'http://127.0.0.1:8443/',
    'https://localhost:9443/proxy/sts?via=edge',
    'https://[::1]:8443/',
  ),
  fc.webUrl({ validSchemes: ['https', 'http'], authoritySettings: { withPort: true }, withQueryParameters: true }),
);

describe('TC3-HMAC-SHA256 (src/tc3.ts)', () => {
  it("Tencent's documented example (DescribeInstances, 2019-02-25) and the oracle agree", async () => {
    const input = {
      secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
      secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
      service: 'cvm',
      url: new URL('https://cvm.tencentcloudapi.com'),
      contentType: 'application/json; charset=utf-8',
      payload: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
      timestamp: 1551113065,
    };
    const want =
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168';
    expect(await tc3Authorization(subtle, input)).toBe(want);
    expect(oracle({ ...input, url: input.url.href })).toBe(want);
  });

  it('equals Sign.sign3 for 600 generated requests (payloads, timestamps across UTC dates, hosts with ports, paths, services)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          secretId: fc.stringMatching(/^[A-Za-z0-9]{1,40}$/),
          secretKey: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
          payload: fc.oneof(
            fc.json(),
            fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
            fc.string({ unit: 'binary', maxLength: 300 }),
            fc.constant(''),
          ),
          timestamp,
          url: endpoint,
          service: fc.constantFrom('sts', 'cvm', 'cam'),
          contentType: fc.constantFrom('application/json; charset=utf-8', 'application/json'),
        }),
        async (o) => {
          const mine = await tc3Authorization(subtle, { ...o, url: new URL(o.url) });
          expect(mine).toBe(oracle(o));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('whole getFederationToken / assumeRole requests: Authorization equals Sign.sign3 over what was sent, 200 generated calls', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          assume: fc.boolean(),
          region: fc.constantFrom(
            'ap-guangzhou',
            'ap-beijing',
            'ap-shanghai',
            'ap-singapore',
            'na-siliconvalley',
            'eu-frankfurt',
          ),
          endpoint: endpoint.filter((u) => !new URL(u).username && !new URL(u).password && !new URL(u).hash),
          timestamp,
          durationSeconds: fc.integer({ min: 1, max: 129_600 }),
          prefix: fc
            .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
            .filter((p) => /^[^\0-\x1f\x7f*/]/.test(p) && !/[\0-\x1f\x7f*]/.test(p)),
          name: fc.stringMatching(/^[\w+=,.@-]{2,32}$/),
        }),
        async (o) => {
          const { calls, fetch } = capture();
          const p = cosPolicy({ bucket: BUCKET, region: o.region, prefix: o.prefix });
          const common = {
            secretId: ID,
            secretKey: KEY,
            region: o.region,
            endpoint: o.endpoint,
            durationSeconds: o.durationSeconds,
            now: new Date(o.timestamp * 1000 + 999),
            fetch,
          };
          await (o.assume
            ? assumeRole({
                ...common,
                roleArn: 'qcs::cam::uin/100000000001:roleName/up',
                roleSessionName: o.name,
                policy: p,
              })
            : getFederationToken({ ...common, name: o.name, policy: p }));
          const [{ url, init }] = calls;
          expect(url).toBe(new URL(o.endpoint).href);
          expect(header(init, 'X-TC-Timestamp')).toBe(String(o.timestamp));
          expect(header(init, 'X-TC-Region')).toBe(o.region);
          const body = init.body as string;
          const auth = header(init, 'Authorization');
          expect(auth).toBe(oracle({ url, payload: body, timestamp: o.timestamp, secretId: ID, secretKey: KEY }));
          // The SDK's own serialisation of the same parameters (JSON-bigint) is byte for byte ours.
          expect(auth).toBe(
            oracle({ url, payload: JSON.parse(body), timestamp: o.timestamp, secretId: ID, secretKey: KEY }),
          );
          expect(JSON.parse(decodeURIComponent(JSON.parse(body).Policy))).toEqual(p);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the conformance suite's fixed STS vector is what the oracle computes", async () => {
    const v = STS_VECTOR;
    expect(
      oracle({
        url: v.url,
        payload: v.body,
        timestamp: v.timestamp,
        secretId: v.options.secretId,
        secretKey: v.options.secretKey,
      }),
    ).toBe(v.authorization);
    const { calls, fetch } = capture();
    await getFederationToken({ ...v.options, policy: cosPolicy(v.policy), now: new Date(v.now), fetch });
    expect(calls[0].init.body).toBe(v.body);
    expect(header(calls[0].init, 'Authorization')).toBe(v.authorization);
  });
});

describe('against a loopback stand-in for STS that verifies the signature (node:crypto)', () => {
  let sts: any;
  beforeAll(async () => {
    sts = await startStsStandIn({ keys: { [ID]: KEY }, cors: true });
  });
  afterAll(() => sts?.close());
  const opts = () => ({ secretId: ID, secretKey: KEY, endpoint: sts.url as string });
  const last = () => sts.calls[sts.calls.length - 1];
  const rejection = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => expect.unreachable('expected a rejection'),
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(CosSignError);
    expect(e).toBeInstanceOf(MainCosSignError);
    expect((e as Error).message).not.toContain(KEY);
    return e as CosSignError;
  };

  it('GetFederationToken: headers, body, URL-encoded Policy; credentials and expiration mapped', async () => {
    const before = Math.floor(Date.now() / 1000);
    const c = await getFederationToken({ ...opts(), policy, durationSeconds: 900, region: 'ap-shanghai' });
    const call = last();
    expect(call.error).toBeUndefined();
    expect(call.protocol).toBe('tc3');
    expect(call.method).toBe('POST');
    expect(call.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      host: sts.host,
      'x-tc-action': 'GetFederationToken',
      'x-tc-version': '2018-08-13',
      'x-tc-region': 'ap-shanghai',
    });
    expect(Number(call.headers['x-tc-timestamp'])).toBeGreaterThanOrEqual(before);
    expect(call.headers.authorization).toMatch(
      new RegExp(
        `^TC3-HMAC-SHA256 Credential=${ID}/\\d{4}-\\d\\d-\\d\\d/sts/tc3_request, SignedHeaders=content-type;host, Signature=[0-9a-f]{64}$`,
      ),
    );
    const body = JSON.parse(call.body);
    expect(Object.keys(body)).toEqual(['Name', 'Policy', 'DurationSeconds']);
    expect(body).toMatchObject({ Name: 'cos-sign', DurationSeconds: 900 });
    expect(body.Policy).toBe(encodeURIComponent(JSON.stringify(policy)));
    expect(body.Policy).not.toMatch(/[{}":/]/);
    expect(call.policy).toEqual(policy);
    const a = call.answer;
    expect(c).toEqual({
      secretId: a.Credentials.TmpSecretId,
      secretKey: a.Credentials.TmpSecretKey,
      securityToken: a.Credentials.Token,
      expiration: new Date(a.ExpiredTime * 1000),
    });
    expect(c.expiration.toISOString().replace('.000', '')).toBe(a.Expiration);
    // The /sts answer for the browser: the official SDK's shape, read back by fromSts to the same credentials.
    const json = stsJson(c);
    expect(json).toEqual({
      credentials: { tmpSecretId: c.secretId, tmpSecretKey: c.secretKey, sessionToken: c.securityToken },
      expiredTime: a.ExpiredTime,
      expiration: c.expiration.toISOString(),
    });
    expect(fromSts(JSON.parse(JSON.stringify(json)))).toEqual(c);
    expect(() => stsJson({ ...c, expiration: undefined } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_CREDENTIALS_INVALID', message: expect.not.stringContaining(c.secretKey) }),
    );
  });

  it('AssumeRole: RoleArn, RoleSessionName, DurationSeconds, optional Policy (as JSON text)', async () => {
    const roleArn = 'qcs::cam::uin/100000000001:roleName/cos-uploader';
    const c = await assumeRole({ ...opts(), roleArn, roleSessionName: 'web-alice', policy: JSON.stringify(policy) });
    let call = last();
    expect(call.error).toBeUndefined();
    expect(call.headers['x-tc-action']).toBe('AssumeRole');
    expect(call.headers['x-tc-region']).toBe('ap-guangzhou');
    expect(JSON.parse(call.body)).toEqual({
      RoleArn: roleArn,
      RoleSessionName: 'web-alice',
      Policy: encodeURIComponent(JSON.stringify(policy)),
      DurationSeconds: 1800,
    });
    expect(c.securityToken).toBe(call.answer.Credentials.Token);
    await assumeRole({ ...opts(), roleArn, roleSessionName: 'web-bob', durationSeconds: 3600 });
    call = last();
    expect(call.error).toBeUndefined();
    expect(JSON.parse(call.body)).toEqual({ RoleArn: roleArn, RoleSessionName: 'web-bob', DurationSeconds: 3600 });
  });

  it('an endpoint with a path and query is signed as sent (the stand-in checks them)', async () => {
    await getFederationToken({ ...opts(), endpoint: sts.url + 'proxy/sts?via=edge', policy });
    expect(last().url).toBe('/proxy/sts?via=edge');
    expect(last().error).toBeUndefined();
  });

  it("Tencent's error answers reject with ERR_STS carrying the Code and RequestId, never the key", async () => {
    // A wrong SecretKey: the stand-in's signature differs.
    let e = await rejection(getFederationToken({ ...opts(), secretKey: 'wrongSecretKey000000000000000000', policy }));
    expect(e.code).toBe('ERR_STS');
    expect(last().error.Code).toBe('AuthFailure.SignatureFailure');
    expect(e.message).toContain('AuthFailure.SignatureFailure');
    expect(e.message).toMatch(/RequestId [0-9a-f-]{36}/);
    expect(e.message).not.toContain('wrongSecretKey000000000000000000');
    // Unknown SecretId; a clock 10 minutes off.
    e = await rejection(getFederationToken({ ...opts(), secretId: 'AKIDunknown', policy }));
    expect(e.message).toContain('AuthFailure.SecretIdNotFound');
    e = await rejection(getFederationToken({ ...opts(), policy, now: new Date(Date.now() - 600_000) }));
    expect(e.message).toContain('AuthFailure.SignatureExpire');
    // An error whose message echoes the key (it never does at Tencent; it must not pass through here).
    sts.next = () => ({
      body: JSON.stringify({
        Response: { Error: { Code: 'InternalError', Message: `boom ${KEY}` }, RequestId: 'req-1' },
      }),
    });
    e = await rejection(getFederationToken({ ...opts(), policy }));
    expect(e.message).toMatch(/InternalError: boom <secretKey> \(HTTP 200, RequestId req-1\)/);
  });

  it('a non-2xx or non-JSON answer, and one without credentials, reject with ERR_STS', async () => {
    sts.next = () => ({ status: 502, headers: { 'Content-Type': 'text/html' }, body: '<html>Bad Gateway</html>' });
    let e = await rejection(getFederationToken({ ...opts(), policy }));
    expect([e.code, e.message]).toEqual([
      'ERR_STS',
      expect.stringMatching(/answered HTTP 502, not a Tencent Cloud API answer \(text\/html\)/),
    ]);
    sts.next = () => ({ status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok' });
    e = await rejection(getFederationToken({ ...opts(), policy }));
    expect(e.message).toMatch(/HTTP 200, not a Tencent Cloud API answer/);
    sts.next = () => ({
      status: 503,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ Response: { RequestId: 'req-2' } }),
    });
    e = await rejection(getFederationToken({ ...opts(), policy }));
    expect(e.message).toMatch(/answered HTTP 503, RequestId req-2/);
    sts.next = () => ({
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        Response: { Credentials: { TmpSecretId: 'a', TmpSecretKey: 'b' }, ExpiredTime: 1, RequestId: 'req-3' },
      }),
    });
    e = await rejection(getFederationToken({ ...opts(), policy }));
    expect(e.message).toMatch(
      /lacks Credentials \{ TmpSecretId, TmpSecretKey, Token \} or ExpiredTime \(HTTP 200, RequestId req-3\)/,
    );
  });

  it('a closed port: ERR_STS naming the network failure, the cause kept', async () => {
    const closed = await startStsStandIn();
    const url = closed.url;
    await closed.close();
    const e = await rejection(getFederationToken({ ...opts(), endpoint: url, policy }));
    expect(e.code).toBe('ERR_STS');
    expect(e.message).toContain(`GetFederationToken at ${url.slice(0, -1)}: network failure`);
    expect(e.cause).toBeDefined();
  });

  it('a timeout: ERR_STS, and a fetch that throws the key in its message does not leak it', async () => {
    const hang = async (_: string, init: RequestInit) =>
      new Promise<Response>((_, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
    let e = await rejection(getFederationToken({ ...opts(), policy, timeout: 50, fetch: hang }));
    expect(e.message).toMatch(/network failure/);
    e = await rejection(
      getFederationToken({ ...opts(), policy, fetch: async () => Promise.reject(new Error(`proxy said ${KEY}`)) }),
    );
    expect(e.message).toBe(
      'GetFederationToken at ' + new URL(sts.url).origin + ': network failure, no answer: proxy said <secretKey>',
    );
  });

  // A Node library: under happy-dom, axios would pick happy-dom's XMLHttpRequest, which knows no test
  // CA; told to use its Node http adapter for this test, it runs there too.
  it('qcloud-cos-sts (the official helper, older API, over TLS) sends the same policy and its answer means the same credentials', async () => {
    const https = await import('node:https');
    // (Paths, not URLs: under happy-dom the global URL is happy-dom's.)
    const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'e2e/fixtures');
    const cert = readFileSync(join(fixtures, 'stub-sts.crt'));
    const key = readFileSync(join(fixtures, 'stub-sts.key'));
    const tls = await startStsStandIn({ keys: { [ID]: KEY }, tls: { cert, key } });
    const saved = https.globalAgent.options.ca;
    https.globalAgent.options.ca = [cert];
    // qcloud-cos-sts's own axios (a dependency of it, not of ours).
    const axios = createRequire(require.resolve('qcloud-cos-sts'))('axios');
    const adapter = axios.defaults.adapter;
    axios.defaults.adapter = 'http';
    try {
      const data = await STS.getCredential({
        secretId: ID,
        secretKey: KEY,
        policy,
        durationSeconds: 900,
        region: 'ap-guangzhou',
        host: tls.host,
      });
      const theirs = tls.calls[0];
      expect(theirs.protocol).toBe('v2');
      expect(theirs.error).toBeUndefined();
      const mine = await getFederationToken({ ...opts(), policy, durationSeconds: 900 });
      const ours = last();
      // The same policy, URL-encoded the same way, for the same duration.
      expect(JSON.parse(ours.body).Policy).toBe(theirs.params.Policy);
      expect(ours.policy).toEqual(theirs.policy);
      expect(JSON.parse(ours.body).DurationSeconds).toBe(theirs.params.DurationSeconds);
      // Their answer through fromSts and ours through getFederationToken: the same mapping.
      expect(fromSts(data)).toEqual({
        secretId: theirs.answer.Credentials.TmpSecretId,
        secretKey: theirs.answer.Credentials.TmpSecretKey,
        securityToken: theirs.answer.Credentials.Token,
        expiration: new Date(theirs.answer.ExpiredTime * 1000),
      });
      expect(mine).toEqual({
        secretId: ours.answer.Credentials.TmpSecretId,
        secretKey: ours.answer.Credentials.TmpSecretKey,
        securityToken: ours.answer.Credentials.Token,
        expiration: new Date(ours.answer.ExpiredTime * 1000),
      });
    } finally {
      axios.defaults.adapter = adapter;
      https.globalAgent.options.ca = saved;
      await tls.close();
    }
  });
});

describe('bad options reject before any request', () => {
  const { calls, fetch } = capture();
  const base = { secretId: ID, secretKey: KEY, policy, fetch };
  const refuses = async (p: Promise<unknown>, code: string, text: string | RegExp) => {
    const e = (await p.then(
      () => expect.unreachable(),
      (x) => x,
    )) as CosSignError;
    expect(e).toBeInstanceOf(CosSignError);
    expect([e.code, e.message]).toEqual([code, expect.stringMatching(text)]);
    expect(e.message).not.toContain(KEY);
  };
  it('each option, with the code and what was received', async () => {
    await refuses(getFederationToken(undefined as never), 'ERR_INVALID_OPTION', /options must be an object/);
    await refuses(getFederationToken({ ...base, secretId: 'AKID x' }), 'ERR_CREDENTIALS_INVALID', /secretId must be/);
    await refuses(
      getFederationToken({ ...base, secretKey: ` ${KEY}` }),
      'ERR_CREDENTIALS_INVALID',
      /secretKey must be .*, received a string of 35 characters/,
    );
    await refuses(
      getFederationToken({ ...base, secretKey: undefined as never }),
      'ERR_CREDENTIALS_INVALID',
      /secretKey/,
    );
    await refuses(
      getFederationToken({ ...base, region: 'Guangzhou' }),
      'ERR_INVALID_REGION',
      /region must be like "ap-guangzhou", received "Guangzhou"/,
    );
    await refuses(getFederationToken({ ...base, durationSeconds: 1800.5 }), 'ERR_INVALID_EXPIRES', /durationSeconds/);
    await refuses(
      getFederationToken({ ...base, durationSeconds: 1_800_000 }),
      'ERR_INVALID_EXPIRES',
      /received 1800000/,
    );
    await refuses(
      getFederationToken({ ...base, endpoint: 'sts.tencentcloudapi.com' }),
      'ERR_INVALID_ENDPOINT',
      /endpoint/,
    );
    await refuses(
      getFederationToken({ ...base, endpoint: 'ftp://sts.tencentcloudapi.com' }),
      'ERR_INVALID_ENDPOINT',
      /http\(s\) URL/,
    );
    await refuses(getFederationToken({ ...base, now: new Date(NaN) }), 'ERR_INVALID_NOW', /now must be a valid Date/);
    await refuses(getFederationToken({ ...base, timeout: 0 }), 'ERR_INVALID_OPTION', /timeout/);
    await refuses(getFederationToken({ ...base, crypto: {} as never }), 'ERR_CRYPTO_UNAVAILABLE', /crypto/);
    await refuses(
      getFederationToken({ ...base, fetch: 'no' as never }),
      'ERR_INVALID_OPTION',
      /fetch must be a function/,
    );
    await refuses(getFederationToken({ ...base, name: 'a b' }), 'ERR_INVALID_OPTION', /name must be/);
    await refuses(getFederationToken({ ...base, policy: undefined as never }), 'ERR_INVALID_POLICY', /policy must be/);
    await refuses(
      getFederationToken({ ...base, policy: encodeURIComponent(JSON.stringify(policy)) }),
      'ERR_INVALID_POLICY',
      /not URL-encoded/,
    );
    await refuses(
      getFederationToken({ ...base, policy: { version: '2.0' } as never }),
      'ERR_INVALID_POLICY',
      /statement/,
    );
    await refuses(assumeRole({ ...base, roleArn: 'role', roleSessionName: 'ok' }), 'ERR_INVALID_OPTION', /roleArn/);
    await refuses(
      assumeRole({ ...base, roleArn: 'qcs::cam::uin/1:roleName/r', roleSessionName: 'x' }),
      'ERR_INVALID_OPTION',
      /roleSessionName/,
    );
    await refuses(
      assumeRole({ ...base, roleArn: 'qcs::cam::uin/1:roleName/r', roleSessionName: 'ok', policy: 'nope' }),
      'ERR_INVALID_POLICY',
      /policy/,
    );
    expect(calls).toEqual([]);
  });

  it('the crypto option: another WebCrypto signs the same', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    let used = 0;
    const counting = new Proxy(subtle, {
      get: (t, k) => (typeof (t as any)[k] == 'function' ? (used++, (t as any)[k].bind(t)) : (t as any)[k]),
    });
    await getFederationToken({ ...base, now, crypto: { subtle: counting } });
    await getFederationToken({ ...base, now });
    const [a, b] = calls.splice(0);
    expect(used).toBeGreaterThan(5);
    expect(header(a.init, 'Authorization')).toBe(header(b.init, 'Authorization'));
  });

  it('defaults: region ap-guangzhou, 1800 s, name cos-sign, https://sts.tencentcloudapi.com/', async () => {
    await getFederationToken(base);
    const [{ url, init }] = calls.splice(0);
    expect(url).toBe('https://sts.tencentcloudapi.com/');
    expect(init.method).toBe('POST');
    expect(header(init, 'X-TC-Region')).toBe('ap-guangzhou');
    expect(JSON.parse(init.body as string)).toMatchObject({ Name: 'cos-sign', DurationSeconds: 1800 });
  });
});

describe('cosPolicy', () => {
  const res = (p: CamPolicy) => p.statement[0].resource;
  it('upload-only actions on <prefix>* of one bucket, the APPID from its name', () => {
    expect(policy).toEqual({
      version: '2.0',
      statement: [
        {
          effect: 'allow',
          action: COS_UPLOAD_ACTIONS.map((a) => 'name/cos:' + a),
          resource: ['qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/uploads/alice/*'],
        },
      ],
    });
    expect(COS_UPLOAD_ACTIONS).toEqual([
      'PutObject',
      'PostObject',
      'InitiateMultipartUpload',
      'UploadPart',
      'CompleteMultipartUpload',
      'AbortMultipartUpload',
      'ListParts',
      'ListMultipartUploads',
    ]);
    expect(JSON.stringify(policy)).not.toContain('principal');
  });

  it('keys replace the prefix; actions replace the defaults; a leading / is dropped', () => {
    const p = cosPolicy({
      bucket: 'a-1',
      region: 'ap-beijing',
      keys: ['/x/a.png', 'b c/中.txt'],
      actions: ['GetObject', 'name/cos:HeadObject'],
    });
    expect(res(p)).toEqual(['qcs::cos:ap-beijing:uid/1:a-1/x/a.png', 'qcs::cos:ap-beijing:uid/1:a-1/b c/中.txt']);
    expect(p.statement[0].action).toEqual(['name/cos:GetObject', 'name/cos:HeadObject']);
    expect(res(cosPolicy({ bucket: 'a-1', region: 'ap-beijing', prefix: '/u/' }))).toEqual([
      'qcs::cos:ap-beijing:uid/1:a-1/u/*',
    ]);
  });

  it('the whole bucket only when asked for', () => {
    expect(() => cosPolicy({ bucket: 'a-1', region: 'ap-beijing' })).toThrow(/an empty prefix would grant a-1 whole/);
    expect(() => cosPolicy({ bucket: 'a-1', region: 'ap-beijing', prefix: '' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_POLICY' }),
    );
    expect(() => cosPolicy({ bucket: 'a-1', region: 'ap-beijing', prefix: '/' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_POLICY' }),
    );
    expect(res(cosPolicy({ bucket: 'a-1', region: 'ap-beijing', allowWholeBucket: true }))).toEqual([
      'qcs::cos:ap-beijing:uid/1:a-1/*',
    ]);
  });

  it('refusals: bucket without APPID, bad region, prefix/keys of the wrong type or with *, bad actions', () => {
    const t = (o: object, code: string, msg: RegExp) => {
      let e: any;
      try {
        cosPolicy({ bucket: 'a-1', region: 'ap-beijing', prefix: 'u/', ...o } as never);
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(CosSignError);
      expect([e.code, e.message]).toEqual([code, expect.stringMatching(msg)]);
    };
    t({ bucket: 'examplebucket' }, 'ERR_INVALID_BUCKET', /BucketName-APPID.*received "examplebucket"/);
    t({ bucket: 'Example-125' }, 'ERR_INVALID_BUCKET', /bucket/);
    t({ region: undefined }, 'ERR_INVALID_REGION', /region/);
    t({ prefix: 42 }, 'ERR_INVALID_KEY', /prefix must be a string .*received 42/);
    t({ prefix: 'u/*' }, 'ERR_INVALID_KEY', /"\*"/);
    t({ prefix: undefined, keys: 'a.png' }, 'ERR_INVALID_KEY', /keys must be a non-empty array/);
    t({ prefix: undefined, keys: [] }, 'ERR_INVALID_KEY', /keys must be a non-empty array/);
    t({ prefix: undefined, keys: ['a', 7] }, 'ERR_INVALID_KEY', /each of keys .*received 7/);
    t({ prefix: undefined, keys: ['/'] }, 'ERR_INVALID_KEY', /each of keys/);
    t({ keys: ['a'] }, 'ERR_INVALID_POLICY', /prefix or keys, not both/);
    t({ actions: [] }, 'ERR_INVALID_POLICY', /actions/);
    t({ actions: ['PutObject', 'cam:*'] }, 'ERR_INVALID_POLICY', /actions/);
    t({ allowWholeBucket: 'yes' }, 'ERR_INVALID_OPTION', /allowWholeBucket must be a boolean/);
    expect(() => cosPolicy(null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
