// Bad input is refused with a CosSignError whose code is stable and whose message says what was
// received (never a secret); caller input is never mutated; the Python SDK presign documentation's
// examples sign what they should.
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { CosSigner, CosSignError, type SignOptions } from '../src/index.js';
import { verify } from './cos-verify.js';

const secretKey = 'exampleSecretKey0123456789abcdefg';
const credentials = { secretId: 'AKIDexampleSecretId0123456789ABCDEF', secretKey };
const signer = new CosSigner({ region: 'ap-guangzhou', credentials });
const base: SignOptions = {
  method: 'PUT',
  bucket: 'examplebucket-1250000000',
  key: 'a.txt',
  now: new Date('2023-11-14T22:13:20Z'),
};

const refused = async (p: Promise<unknown> | (() => unknown), code: string, received?: RegExp) => {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a refusal').toBeInstanceOf(CosSignError);
  const e = err as CosSignError;
  expect(e.code).toBe(code);
  expect(e.name).toBe('CosSignError');
  if (received) expect(e.message).toMatch(received);
  expect(e.message).not.toContain(secretKey);
  return e;
};

describe('bad per-call input', () => {
  const cases: [string, Partial<Record<keyof SignOptions, unknown>>, string, RegExp?][] = [
    ['empty key', { key: '' }, 'ERR_INVALID_KEY', /received ""/],
    ['non-string key', { key: 123 }, 'ERR_INVALID_KEY', /received 123/],
    ['missing key', { key: undefined }, 'ERR_INVALID_KEY', /received undefined/],
    ['control character in key', { key: 'a\nb' }, 'ERR_INVALID_KEY'],
    ['lone surrogate in key', { key: 'a\ud800b' }, 'ERR_INVALID_KEY', /well-formed Unicode/],
    ['bucket with underscore', { bucket: 'a_b-1250000000' }, 'ERR_INVALID_BUCKET', /"a_b-1250000000"/],
    ['bucket with leading dash', { bucket: '-ab' }, 'ERR_INVALID_BUCKET'],
    ['bucket with dot', { bucket: 'a.b-125' }, 'ERR_INVALID_BUCKET'],
    ['missing bucket', { bucket: undefined }, 'ERR_INVALID_BUCKET', /undefined/],
    ['method OPTIONS', { method: 'OPTIONS' }, 'ERR_INVALID_METHOD', /"OPTIONS"/],
    ['method missing', { method: undefined }, 'ERR_INVALID_METHOD'],
    ['expires 0', { expires: 0 }, 'ERR_INVALID_EXPIRES', /received 0/],
    ['expires negative', { expires: -100 }, 'ERR_INVALID_EXPIRES', /-100/],
    ['expires float', { expires: 1.5 }, 'ERR_INVALID_EXPIRES', /1\.5/],
    ['expires string', { expires: '300' }, 'ERR_INVALID_EXPIRES', /"300"/],
    ['expires null', { expires: null }, 'ERR_INVALID_EXPIRES', /null/],
    ['invalid Date now', { now: new Date('nope') }, 'ERR_INVALID_NOW'],
    ['number now', { now: 1700000000000 }, 'ERR_INVALID_NOW', /1700000000000/],
    ['header value with LF', { headers: { 'x-cos-meta-a': 'a\nb' } }, 'ERR_INVALID_HEADER', /x-cos-meta-a/],
    ['header value with CR', { headers: { 'Content-Type': 'a\rb' } }, 'ERR_INVALID_HEADER'],
    ['header value with surrounding space', { headers: { 'Content-Type': ' text/plain' } }, 'ERR_INVALID_HEADER'],
    ['non-ASCII header name', { headers: { 'x-cos-meta-中文': 'v' } }, 'ERR_INVALID_HEADER'],
    [
      'header names equal but for case',
      { headers: { 'Content-Type': 'a', 'content-type': 'b' } },
      'ERR_INVALID_HEADER',
      /content-type/i,
    ],
    ['object header value', { headers: { 'x-cos-meta-a': {} } }, 'ERR_INVALID_HEADER', /an object/],
    ['param names equal but for case', { params: { acl: '', ACL: '' } }, 'ERR_INVALID_PARAM'],
    ['null param value', { params: { prefix: null } }, 'ERR_INVALID_PARAM', /null/],
    ['boolean param value', { params: { prefix: true } }, 'ERR_INVALID_PARAM', /true/],
    ['lone surrogate in param value', { params: { prefix: '\udc00' } }, 'ERR_INVALID_PARAM'],
    ['params as array', { params: [] }, 'ERR_INVALID_PARAM', /an array/],
    ['signHost not boolean', { signHost: 'yes' }, 'ERR_INVALID_OPTION'],
  ];
  for (const [what, change, code, received] of cases) {
    it(`refuses ${what}`, async () => {
      await refused(signer.getAuth({ ...base, ...change } as SignOptions), code, received);
      await refused(signer.getPresignedUrl({ ...base, ...change } as SignOptions), code, received);
    });
  }

  it('refuses options that are not an object', async () => {
    await refused(signer.getAuth(undefined as any), 'ERR_INVALID_OPTION');
  });

  it('stringifies number values and accepts unsigned headers it drops', async () => {
    const auth = await signer.getAuth({
      ...base,
      params: { 'max-keys': 10 },
      headers: { 'Content-Length': 5, 'User-Agent': 'x\ny' },
    });
    expect(auth).toContain('q-header-list=content-length;host&q-url-param-list=max-keys&');
  });

  it('refuses keys with no URL form for URLs but signs them with getAuth', async () => {
    for (const key of ['.', '..', '/.', '/..']) {
      await refused(signer.getPresignedUrl({ ...base, key }), 'ERR_INVALID_KEY', /no URL form/);
      expect(await signer.getAuth({ ...base, key })).toMatch(/^q-sign-algorithm=sha1&/);
    }
  });

  it('accepts a Date from another realm as now', async () => {
    const foreign = runInNewContext('new Date("2023-11-14T22:13:20Z")');
    expect(foreign instanceof Date).toBe(false);
    expect(await signer.getAuth({ ...base, now: foreign })).toBe(await signer.getAuth(base));
  });

  it('never mutates what the caller passed', async () => {
    const opts = { ...base, params: { acl: '' }, headers: { 'Content-Type': 'text/plain' } };
    const snapshot = structuredClone(opts);
    Object.freeze(opts.params);
    Object.freeze(opts.headers);
    Object.freeze(opts);
    await signer.getAuth(opts);
    await signer.getAuthHeaders(opts);
    await signer.getPresignedUrl(opts);
    expect(opts).toEqual(snapshot);
  });
});

describe('bad signer options', () => {
  const cases: [string, Record<string, unknown>, string, RegExp?][] = [
    ['no region, endpoint or domain', {}, 'ERR_INVALID_REGION'],
    ['region with space', { region: 'ap guangzhou' }, 'ERR_INVALID_REGION', /"ap guangzhou"/],
    ['one-character region', { region: 'a' }, 'ERR_INVALID_REGION'],
    ['empty region', { region: '' }, 'ERR_INVALID_REGION'],
    ['number region', { region: 123 }, 'ERR_INVALID_REGION', /123/],
    ['endpoint with scheme', { endpoint: 'https://cos.ap-guangzhou.myqcloud.com' }, 'ERR_INVALID_ENDPOINT'],
    ['domain with path', { domain: 'example.com/prefix' }, 'ERR_INVALID_DOMAIN', /example\.com\/prefix/],
    ['scheme ftp', { region: 'ap-guangzhou', scheme: 'ftp' }, 'ERR_INVALID_SCHEME', /"ftp"/],
    ['clockOffset NaN', { region: 'ap-guangzhou', clockOffset: NaN }, 'ERR_INVALID_OPTION'],
  ];
  for (const [what, opts, code, received] of cases)
    it(`refuses ${what}`, () => refused(() => new CosSigner({ credentials, ...opts } as any), code, received));

  const creds: [string, unknown, RegExp][] = [
    ['missing credentials', undefined, /credentials must be an object \{ secretId/],
    ['missing secretKey', { secretId: 'AKIDx' }, /secretKey/],
    ['empty secretId', { secretId: '', secretKey }, /secretId/],
    ['secretId with &', { secretId: 'AKID&x', secretKey }, /"AKID&x"/],
    ['secretId with whitespace', { secretId: 'AKID x', secretKey }, /secretId/],
    ['secretKey with a trailing space', { secretId: 'AKIDx', secretKey: secretKey + ' ' }, /a string of 34 characters/],
    ['token with LF', { secretId: 'AKIDx', secretKey, securityToken: 'a\nb' }, /securityToken/],
    ['invalid expiration', { secretId: 'AKIDx', secretKey, expiration: 'tomorrow' }, /expiration/],
  ];
  for (const [what, c, msg] of creds)
    it(`refuses ${what}`, () =>
      refused(() => new CosSigner({ region: 'ap-guangzhou', credentials: c as any }), 'ERR_CREDENTIALS_INVALID', msg));

  it('explains a missing WebCrypto (plain-http page, old runtime) and names the crypto option', async () => {
    vi.stubGlobal('crypto', undefined);
    try {
      const e = await refused(
        () => new CosSigner({ region: 'ap-guangzhou', credentials }),
        'ERR_CRYPTO_UNAVAILABLE',
        /secure context/,
      );
      expect(e.message).toMatch(/`crypto` option/);
      expect(e.message).toMatch(/plain http/);
    } finally {
      vi.unstubAllGlobals();
    }
    // The injected one is used when given.
    const subtle = globalThis.crypto.subtle;
    vi.stubGlobal('crypto', undefined);
    try {
      expect(await new CosSigner({ region: 'ap-guangzhou', credentials, crypto: { subtle } }).getAuth(base)).toBe(
        await signer.getAuth(base),
      );
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('the Python SDK presign documentation examples sign what they say', () => {
  const bucket = 'examplebucket-1250000000';
  const key = 'exampleobject';
  const host = `${bucket}.cos.ap-guangzhou.myqcloud.com`;

  it('upload URL', async () => {
    const url = await signer.getPresignedUrl({ method: 'PUT', bucket, key, expires: 120 });
    expect(url.startsWith(`https://${host}/exampleobject?`)).toBe(true);
    const f = verify({ method: 'PUT', url }, secretKey);
    expect([f['q-header-list'], f['q-url-param-list']]).toEqual(['host', '']);
    const [start, end] = f['q-sign-time'].split(';').map(Number);
    expect(end - start).toBe(180);
    expect(() => verify({ method: 'GET', url }, secretKey)).toThrow(/SignatureDoesNotMatch/);
  });

  it('upload URL with x-cos-storage-class and x-cos-traffic-limit: the upload must send them', async () => {
    const headers = { 'x-cos-storage-class': 'STANDARD_IA', 'x-cos-traffic-limit': '819200' };
    const url = await signer.getPresignedUrl({ method: 'PUT', bucket, key, headers });
    expect(url).not.toContain('STANDARD_IA');
    expect(verify({ method: 'PUT', url, headers }, secretKey)['q-header-list']).toBe(
      'host;x-cos-storage-class;x-cos-traffic-limit',
    );
    expect(() =>
      verify({ method: 'PUT', url, headers: { ...headers, 'x-cos-storage-class': 'ARCHIVE' } }, secretKey),
    ).toThrow(/SignatureDoesNotMatch/);
  });

  it('upload URL with Content-MD5 pins the body', async () => {
    const headers = { 'Content-MD5': '1B2M2Y8AsgTpgAmY7PhCfg==' };
    const url = await signer.getPresignedUrl({ method: 'PUT', bucket, key, headers });
    expect(verify({ method: 'PUT', url, headers }, secretKey)['q-header-list']).toBe('content-md5;host');
    expect(() =>
      verify({ method: 'PUT', url, headers: { 'Content-MD5': 'XUFAKrxLKna5cZ2REBfFkg==' } }, secretKey),
    ).toThrow();
  });

  it('URL for ?acl signs the acl parameter', async () => {
    const url = await signer.getPresignedUrl({ method: 'PUT', bucket, key, params: { acl: '' } });
    expect(new URL(url).searchParams.get('acl')).toBe('');
    expect(verify({ method: 'PUT', url }, secretKey)['q-url-param-list']).toBe('acl');
  });

  it('SignHost false: the URL works on any host', async () => {
    const url = await signer.getPresignedUrl({ method: 'PUT', bucket, key, signHost: false });
    expect(verify({ method: 'PUT', url }, secretKey)['q-header-list']).toBe('');
    expect(() =>
      verify({ method: 'PUT', url: url.replace(host, 'other-1250000000.cos.ap-guangzhou.myqcloud.com') }, secretKey),
    ).not.toThrow();
    const pinned = await signer.getPresignedUrl({ method: 'PUT', bucket, key });
    expect(() =>
      verify({ method: 'PUT', url: pinned.replace(host, 'other-1250000000.cos.ap-guangzhou.myqcloud.com') }, secretKey),
    ).toThrow();
  });

  it('download URL with response-content-disposition', async () => {
    const cd = 'attachment; filename=example.xlsx';
    const url = await signer.getPresignedDownloadUrl({ bucket, key, params: { 'response-content-disposition': cd } });
    expect(new URL(url).searchParams.get('response-content-disposition')).toBe(cd);
    expect(verify({ method: 'GET', url }, secretKey)['q-url-param-list']).toBe('response-content-disposition');
    expect(() => verify({ method: 'GET', url: url.replace('example.xlsx', 'evil.exe') }, secretKey)).toThrow();
  });

  it('download URL with a traffic limit', async () => {
    const url = await signer.getPresignedDownloadUrl({ bucket, key, params: { 'x-cos-traffic-limit': '819200' } });
    expect(verify({ method: 'GET', url }, secretKey)['q-url-param-list']).toBe('x-cos-traffic-limit');
  });

  it('with a temporary token: signed in the URL, as the docs pass it in Params', async () => {
    const token = 'tmpToken_abc+/=123 ~!*';
    const now = new Date('2023-11-14T22:13:20Z');
    const temp = new CosSigner({ region: 'ap-guangzhou', credentials: { ...credentials, securityToken: token } });
    const url = await temp.getPresignedUrl({ method: 'GET', bucket, key, now });
    expect(new URL(url).searchParams.get('x-cos-security-token')).toBe(token);
    expect(verify({ method: 'GET', url }, secretKey)['q-url-param-list']).toBe('x-cos-security-token');
    const docsWay = await signer.getPresignedUrl({
      method: 'GET',
      bucket,
      key,
      now,
      params: { 'x-cos-security-token': token },
    });
    expect(new URL(url).searchParams.get('q-signature')).toBe(new URL(docsWay).searchParams.get('q-signature'));
    // Given in params too, it is used as given and not added twice.
    const both = await temp.getPresignedUrl({
      method: 'GET',
      bucket,
      key,
      now,
      params: { 'x-cos-security-token': token },
    });
    expect(new URL(both).searchParams.getAll('x-cos-security-token')).toEqual([token]);
    // For a header-signed request the token is a signed header, and getAuthHeaders returns it.
    const h = await temp.getAuthHeaders({ method: 'PUT', bucket, key, now });
    expect(h['x-cos-security-token']).toBe(token);
    expect(h.Authorization).toContain('q-header-list=host;x-cos-security-token&');
  });
});
