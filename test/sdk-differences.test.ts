// Where cos-sign's signature differs from the official JavaScript SDKs', shown with the SDKs themselves
// (cos-js-sdk-v5 1.10.1, cos-nodejs-sdk-v5 3.0.0): each claim of the "Where the signatures differ"
// table in docs/migrating.md, and that outside those differences the signatures are the same. Their static
// COS.getAuthorization and an instance's getObjectUrl (the path of every request they send) choose the
// signed headers differently, so both are shown. getObjectUrl with static keys answers synchronously
// and sends nothing.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CosSigner } from '../src/index.js';

const require = createRequire(import.meta.url);
type Sdk = {
  new (o: Record<string, unknown>): { getObjectUrl(o: Record<string, unknown>, cb: () => void): string };
  getAuthorization(o: Record<string, unknown>): string;
};
const NodeCOS = require('cos-nodejs-sdk-v5') as Sdk;
const JsCOS = require('cos-js-sdk-v5') as Sdk;

const ID = 'AKIDsdkDifferences0123456789';
const KEY = 'sdkDifferencesSecretKey0123456789';
const TOKEN = 'sdkDifferencesToken+/=0123456789';
const Bucket = 'examplebucket-1250000000';
const Region = 'ap-guangzhou';
const HOST = `${Bucket}.cos.${Region}.myqcloud.com`;
const NOW = Date.parse('2026-03-01T12:00:00.700Z');
const T = Math.floor(NOW / 1000);

/** An SDK instance; cos-js-sdk-v5 warns on the console that it is meant for browsers, so it is quieted. */
const sdk = (COS: Sdk, options: Record<string, unknown> = {}) => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    return new COS({ SecretId: ID, SecretKey: KEY, ...options });
  } finally {
    log.mockRestore();
    warn.mockRestore();
  }
};

/** The q-* fields and other params of a presigned URL (values decoded), or of an Authorization value (raw), in order. */
const fields = (s: string) => {
  const url = s.includes('?');
  const pairs = s
    .slice(s.indexOf('?') + 1)
    .split('&')
    .map((kv) => [
      kv.slice(0, kv.indexOf('=')),
      url ? decodeURIComponent(kv.slice(kv.indexOf('=') + 1)) : kv.slice(kv.indexOf('=') + 1),
    ]);
  return { names: pairs.map((p) => p[0]), get: (n: string) => pairs.find((p) => p[0] === n)?.[1] };
};

const signer = (o: Partial<ConstructorParameters<typeof CosSigner>[0]> = {}) =>
  new CosSigner({ region: Region, credentials: { secretId: ID, secretKey: KEY }, ...o });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('where the official JavaScript SDKs sign differently', () => {
  const headers = {
    'Content-Type': 'image/png',
    'Cache-Control': 'no-cache',
    Expires: 'Wed, 21 Oct 2026 07:28:00 GMT',
    'x-cos-meta-empty': '',
    'x-cos-meta-a': '1',
  };
  const ours = 'cache-control;content-type;expires;host;x-cos-meta-a;x-cos-meta-empty';

  it('Content-Type: cos-js-sdk-v5 never signs it; cos-sign and cos-nodejs-sdk-v5 do', async () => {
    const keyTime = `${T - 60};${T + 300}`;
    const h = { 'Content-Type': 'image/png', Host: HOST };
    const auth = (COS: Sdk) =>
      COS.getAuthorization({ SecretId: ID, SecretKey: KEY, Method: 'PUT', Key: 'a.png', Headers: h, KeyTime: keyTime });
    expect(fields(auth(JsCOS)).get('q-header-list')).toBe('host');
    expect(fields(auth(NodeCOS)).get('q-header-list')).toBe('content-type;host');
    // Otherwise the same signature: cos-sign's is the Node SDK's, byte for byte.
    expect(
      await signer().getAuth({
        method: 'PUT',
        bucket: Bucket,
        key: 'a.png',
        headers: { 'Content-Type': 'image/png' },
        now: new Date(NOW),
      }),
    ).toBe(auth(NodeCOS));
  });

  it("Cache-Control, Expires, empty values: cos-js-sdk-v5's URLs and requests drop all three, cos-nodejs-sdk-v5's drop empty-valued headers; cos-sign signs them", async () => {
    const url = (COS: Sdk) =>
      sdk(COS).getObjectUrl({ Bucket, Region, Key: 'a.png', Method: 'PUT', Headers: headers, Sign: true }, () => {});
    expect(fields(url(JsCOS)).get('q-header-list')).toBe('host;x-cos-meta-a');
    expect(fields(url(NodeCOS)).get('q-header-list')).toBe('cache-control;content-type;expires;host;x-cos-meta-a');
    expect(
      fields(await signer().getPresignedUrl({ method: 'PUT', bucket: Bucket, key: 'a.png', headers })).get(
        'q-header-list',
      ),
    ).toBe(ours);
    // Their static COS.getAuthorization keeps Cache-Control, Expires and the empty value (as `name=`).
    const auth = (COS: Sdk) =>
      fields(
        COS.getAuthorization({
          SecretId: ID,
          SecretKey: KEY,
          Method: 'PUT',
          Key: 'a.png',
          Headers: { ...headers, Host: HOST },
        }),
      ).get('q-header-list');
    expect(auth(JsCOS)).toBe('cache-control;expires;host;x-cos-meta-a;x-cos-meta-empty');
    expect(auth(NodeCOS)).toBe(ours);
  });

  it('the security token: both SDKs append it to URLs unsigned (and unencoded) after q-signature; cos-sign signs it', async () => {
    for (const COS of [JsCOS, NodeCOS]) {
      const url = sdk(COS, { SecurityToken: TOKEN }).getObjectUrl(
        { Bucket, Region, Key: 'a.png', Sign: true },
        () => {},
      );
      const f = fields(url);
      expect(f.names.slice(-2)).toEqual(['q-signature', 'x-cos-security-token']);
      expect(url.endsWith(`&x-cos-security-token=${TOKEN}`)).toBe(true);
      expect(f.get('q-url-param-list')).toBe('');
    }
    const ourUrl = await signer({
      credentials: { secretId: ID, secretKey: KEY, securityToken: TOKEN },
    }).getPresignedUrl({ method: 'GET', bucket: Bucket, key: 'a.png' });
    expect(fields(ourUrl).get('q-url-param-list')).toBe('x-cos-security-token');
    expect(fields(ourUrl).get('x-cos-security-token')).toBe(TOKEN);
  });

  it('the window: the SDKs start at now − 1 s (rounded) and default to 900 s; cos-sign starts at now − 60 s and defaults to 300 s', async () => {
    const start = Math.round(NOW / 1000) - 1;
    for (const COS of [JsCOS, NodeCOS]) {
      expect(
        fields(sdk(COS).getObjectUrl({ Bucket, Region, Key: 'a.png', Sign: true }, () => {})).get('q-key-time'),
      ).toBe(`${start};${start + 900}`);
      expect(
        fields(COS.getAuthorization({ SecretId: ID, SecretKey: KEY, Method: 'GET', Key: 'a.png' })).get('q-key-time'),
      ).toBe(`${start};${start + 900}`);
    }
    expect(
      fields(await signer().getPresignedUrl({ method: 'GET', bucket: Bucket, key: 'a.png' })).get('q-key-time'),
    ).toBe(`${T - 60};${T + 300}`);
  });

  it('header names: the SDKs sign any that contains x-cos- or x-ci-; cos-sign only those that start with it', async () => {
    const h = { 'my-x-cos-a': '1', 'x-cos-meta-b': '2' };
    for (const COS of [JsCOS, NodeCOS])
      expect(
        fields(COS.getAuthorization({ SecretId: ID, SecretKey: KEY, Method: 'GET', Key: 'a', Headers: h })).get(
          'q-header-list',
        ),
      ).toBe('my-x-cos-a;x-cos-meta-b');
    expect(
      fields(await signer().getAuth({ method: 'GET', bucket: Bucket, key: 'a', headers: h, signHost: false })).get(
        'q-header-list',
      ),
    ).toBe('x-cos-meta-b');
  });

  it('names that percent-encoding reorders: the SDKs sort their HttpString by the raw name, their lists by the encoded one', async () => {
    const keyTime = `${T - 60};${T + 300}`;
    const params = { aa: '1', 'a{': '2' }; // raw: "aa" < "a{"; encoded: "a%7b" < "aa"
    const theirs = fields(
      NodeCOS.getAuthorization({
        SecretId: ID,
        SecretKey: KEY,
        Method: 'GET',
        Key: 'a',
        Query: params,
        KeyTime: keyTime,
      }),
    );
    const ours = fields(
      await signer().getAuth({ method: 'GET', bucket: Bucket, key: 'a', params, signHost: false, now: new Date(NOW) }),
    );
    expect([theirs.get('q-url-param-list'), ours.get('q-url-param-list')]).toEqual(['a%7b;aa', 'a%7b;aa']);
    expect(theirs.get('q-signature')).not.toBe(ours.get('q-signature'));
    // With names encoding leaves alone, the same signature.
    const plain = { aa: '1', ab: '2' };
    expect(
      fields(
        await signer().getAuth({
          method: 'GET',
          bucket: Bucket,
          key: 'a',
          params: plain,
          signHost: false,
          now: new Date(NOW),
        }),
      ).get('q-signature'),
    ).toBe(
      fields(
        NodeCOS.getAuthorization({
          SecretId: ID,
          SecretKey: KEY,
          Method: 'GET',
          Key: 'a',
          Query: plain,
          KeyTime: keyTime,
        }),
      ).get('q-signature'),
    );
  });

  it('a host with a port: the SDKs sign it with the port; cos-sign, like the Python SDK, without', async () => {
    const url = (COS: Sdk) =>
      sdk(COS, { Domain: '127.0.0.1:8788', Protocol: 'http:' }).getObjectUrl(
        { Bucket, Region, Key: 'a.png', Sign: true },
        () => {},
      );
    /** Whether the URL's signature is the one for `host` (recomputed by the Node SDK with the URL's key time). */
    const signedFor = (u: string, host: string) => {
      expect(fields(u).get('q-header-list')).toBe('host');
      const auth = NodeCOS.getAuthorization({
        SecretId: ID,
        SecretKey: KEY,
        Method: 'GET',
        Key: 'a.png',
        Headers: { Host: host },
        KeyTime: fields(u).get('q-key-time'),
      });
      return fields(auth).get('q-signature') === fields(u).get('q-signature');
    };
    for (const COS of [JsCOS, NodeCOS]) {
      const u = url(COS);
      expect(u.startsWith('http://127.0.0.1:8788/a.png?')).toBe(true);
      expect([signedFor(u, '127.0.0.1:8788'), signedFor(u, '127.0.0.1')]).toEqual([true, false]);
    }
    const ours = await signer({ region: undefined, domain: '127.0.0.1:8788', scheme: 'http' }).getPresignedUrl({
      method: 'GET',
      bucket: Bucket,
      key: 'a.png',
    });
    expect(ours.startsWith('http://127.0.0.1:8788/a.png?')).toBe(true);
    expect([signedFor(ours, '127.0.0.1'), signedFor(ours, '127.0.0.1:8788')]).toEqual([true, false]);
    // The Python SDK's reference vector for a domain with a port signs the host without it.
    const vector = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures/python-sdk.jsonl'), 'utf8')
      .split('\n')
      .map((l) => l.trim() && JSON.parse(l))
      .find((v) => v && v.signer.domain === 'CDN.Example.com:8443');
    expect(vector.expect.httpString).toContain('\nhost=cdn.example.com\n');
  });
});
