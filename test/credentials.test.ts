// Credential providers: cached until shortly before expiration, one pending call shared by concurrent
// signers, failures not cached, expired keys never used, signatures clamped to the keys' lifetime,
// a stuck provider cannot hang later calls; the STS adapters; secrets never shown.
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CosSigner, CosSignError, fetchCredentials, fromSts, type Credentials } from '../src/index.js';

const bucket = 'examplebucket-1250000000';
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A provider that counts its calls, answers after `delay` ms, with keys that live `ttl` s. */
const counting = (delay = 1000, ttl = 3600) => {
  const p = Object.assign(
    async (): Promise<Credentials> => {
      const n = ++p.calls;
      if (delay) await new Promise((r) => setTimeout(r, delay));
      return {
        secretId: `AKIDtmp${n}`,
        secretKey: `secret${n}`,
        securityToken: `token${n}`,
        expiration: new Date(Date.now() + ttl * 1000),
      };
    },
    { calls: 0 },
  );
  return p;
};
const q = (url: string) => new URL(url).searchParams;

describe('credential provider', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => vi.useRealTimers());

  it('1,000 concurrent presigns share one slow provider call; a second batch calls it zero more times; crossing expiration refreshes', async () => {
    const provider = counting(1000, 3600);
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials: provider });
    const batch = () =>
      Promise.all(
        Array.from({ length: 1000 }, (_, i) => signer.getPresignedUrl({ method: 'GET', bucket, key: `k${i}` })),
      );
    const first = batch();
    await vi.advanceTimersByTimeAsync(1000);
    const urls = await first;
    expect(provider.calls).toBe(1);
    expect(new Set(urls.map((u) => q(u).get('q-ak')))).toEqual(new Set(['AKIDtmp1']));
    expect(new Set(urls.map((u) => q(u).get('x-cos-security-token')))).toEqual(new Set(['token1']));

    await vi.advanceTimersByTimeAsync(60_000);
    await batch();
    expect(provider.calls).toBe(1);

    // Past expiration (minus the refresh margin): a new provider call, and nothing signs with key 1.
    await vi.advanceTimersByTimeAsync(3600_000);
    const later = batch();
    await vi.advanceTimersByTimeAsync(1000);
    const urls2 = await later;
    expect(provider.calls).toBe(2);
    expect(urls2.every((u) => q(u).get('q-ak') === 'AKIDtmp2' && q(u).get('x-cos-security-token') === 'token2')).toBe(
      true,
    );
  });

  it('refreshes within the margin before expiration, and at half the lifetime for short-lived keys', async () => {
    const provider = counting(0, 20);
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials: provider });
    const sign = () => signer.getAuth({ method: 'GET', bucket, key: 'a' });
    await sign();
    await vi.advanceTimersByTimeAsync(9_000);
    await sign();
    expect(provider.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await sign()).toContain('q-ak=AKIDtmp2&');
    expect(provider.calls).toBe(2);
  });

  it('keeps credentials without expiration', async () => {
    let calls = 0;
    const signer = new CosSigner({
      region: 'ap-guangzhou',
      credentials: () => (calls++, { secretId: 'AKIDx', secretKey: 'k' }),
    });
    for (let i = 0; i < 5; i++) {
      await signer.getAuth({ method: 'GET', bucket, key: 'a' });
      await vi.advanceTimersByTimeAsync(86_400_000);
    }
    expect(calls).toBe(1);
  });

  it('does not cache a failure: one rejected call, then a good one', async () => {
    let calls = 0;
    const signer = new CosSigner({
      region: 'ap-guangzhou',
      credentials: async () => {
        if (calls++ === 0) throw new Error('sts down');
        return { secretId: 'AKIDok', secretKey: 'k' };
      },
    });
    const e = await signer.getAuth({ method: 'GET', bucket, key: 'a' }).catch((x) => x);
    expect(e).toBeInstanceOf(CosSignError);
    expect(e.code).toBe('ERR_CREDENTIALS_PROVIDER');
    expect(e.message).toMatch(/sts down/);
    expect(e.cause).toBeInstanceOf(Error);
    expect(await signer.getAuth({ method: 'GET', bucket, key: 'a' })).toContain('q-ak=AKIDok&');
    expect(calls).toBe(2);
  });

  it('refuses expired and malformed provider results with named errors, never showing the secret', async () => {
    const expired = new CosSigner({
      region: 'ap-guangzhou',
      credentials: () => ({ secretId: 'AKIDold', secretKey: 'hunter2secret', expiration: new Date(Date.now() - 1000) }),
    });
    const e1 = await expired.getAuth({ method: 'GET', bucket, key: 'a' }).catch((x) => x);
    expect([e1.code, e1.message]).toEqual([
      'ERR_CREDENTIALS_EXPIRED',
      expect.stringMatching(/expired at 2025-12-31T23:59:59/),
    ]);
    const malformed = new CosSigner({
      region: 'ap-guangzhou',
      credentials: () => ({ secretId: 'AKIDx', secretKey: ' hunter2secret ' }) as Credentials,
    });
    const e2 = await malformed.getAuth({ method: 'GET', bucket, key: 'a' }).catch((x) => x);
    expect(e2.code).toBe('ERR_CREDENTIALS_INVALID');
    expect(e2.message).toMatch(
      /secretKey must be a string without surrounding whitespace, received a string of 15 characters/,
    );
    expect(e2.message).not.toContain('hunter2');
    const missing = new CosSigner({
      region: 'ap-guangzhou',
      credentials: () => ({ secretId: 'AKIDx' }) as Credentials,
    });
    expect((await missing.getAuth({ method: 'GET', bucket, key: 'a' }).catch((x) => x)).message).toMatch(
      /secretKey must be/,
    );
  });

  it('never uses static credentials past their expiration, and says when they expired and what to do', async () => {
    const signer = new CosSigner({
      region: 'ap-guangzhou',
      credentials: {
        secretId: 'AKIDs',
        secretKey: 'hunter2secret',
        securityToken: 'tok3n',
        expiration: new Date(T0 + 60_000),
      },
    });
    await signer.getAuth({ method: 'GET', bucket, key: 'a' });
    // A signing time after the expiration, while the clock is still before it.
    const later = await signer.getAuth({ method: 'GET', bucket, key: 'a', now: new Date(T0 + 61_000) }).catch((x) => x);
    expect([later.code, later.message]).toEqual([
      'ERR_CREDENTIALS_EXPIRED',
      'credentials expire at 2026-01-01T00:01:00.000Z, too soon to sign at 2026-01-01T00:01:01.000Z: get fresh ones',
    ]);
    // Expiring within the signing time's second is too soon too: a signature ends at a later whole second.
    const close = new CosSigner({
      region: 'ap-guangzhou',
      credentials: { secretId: 'AKIDs', secretKey: 'hunter2secret', expiration: new Date(T0 + 500) },
    });
    const e = await close.getAuth({ method: 'GET', bucket, key: 'a', now: new Date(T0 + 200) }).catch((x) => x);
    expect(e.message).toBe(
      'credentials expire at 2026-01-01T00:00:00.500Z, too soon to sign at 2026-01-01T00:00:00.200Z: get fresh ones',
    );
    await vi.advanceTimersByTimeAsync(60_000);
    // Past the expiration on the clock, whatever the signing time.
    for (const now of [undefined, new Date(T0)]) {
      const e = await signer.getAuth({ method: 'GET', bucket, key: 'a', now }).catch((x) => x);
      expect([e.code, e.message]).toEqual([
        'ERR_CREDENTIALS_EXPIRED',
        'credentials expired at 2026-01-01T00:01:00.000Z, now 2026-01-01T00:01:00.000Z: get fresh ones',
      ]);
    }
  });

  it('clamps a 3,600 s URL to keys that expire in 120 s', async () => {
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials: counting(0, 120) });
    const url = await signer.getPresignedUrl({ method: 'GET', bucket, key: 'a', expires: 3600 });
    const [start, end] = q(url).get('q-sign-time')!.split(';').map(Number);
    expect(end).toBe(T0 / 1000 + 120);
    expect(end - T0 / 1000).toBeLessThanOrEqual(120);
    expect(start).toBe(T0 / 1000 - 60);
  });

  it('a stuck provider times out for each caller and does not hang later calls', async () => {
    let calls = 0;
    const signer = new CosSigner({
      region: 'ap-guangzhou',
      providerTimeout: 5000,
      credentials: () =>
        ++calls === 1 ? new Promise<Credentials>(() => {}) : { secretId: 'AKIDfresh', secretKey: 'k' },
    });
    const stuck = signer.getAuth({ method: 'GET', bucket, key: 'a' }).catch((x) => x);
    await vi.advanceTimersByTimeAsync(5000);
    const e = await stuck;
    expect([e.code, e.message]).toEqual([
      'ERR_CREDENTIALS_PROVIDER',
      expect.stringMatching(/did not answer within 5000 ms/),
    ]);
    expect(await signer.getAuth({ method: 'GET', bucket, key: 'a' })).toContain('q-ak=AKIDfresh&');
    expect(calls).toBe(2);
  });

  it('refreshCredentials() forces a new provider call', async () => {
    const provider = counting(0);
    const signer = new CosSigner({ region: 'ap-guangzhou', credentials: provider });
    await signer.getAuth({ method: 'GET', bucket, key: 'a' });
    await signer.refreshCredentials();
    expect(await signer.getAuth({ method: 'GET', bucket, key: 'a' })).toContain('q-ak=AKIDtmp2&');
    expect(provider.calls).toBe(2);
  });

  it('never shows the secret key or token in JSON, String or util.inspect', async () => {
    const signer = new CosSigner({
      region: 'ap-guangzhou',
      credentials: { secretId: 'AKIDvisible', secretKey: 'hunter2secret', securityToken: 'tok-hunter3' },
    });
    await signer.getAuth({ method: 'GET', bucket, key: 'a' });
    for (const s of [JSON.stringify(signer), String(signer), inspect(signer, { depth: 10, showHidden: true })]) {
      expect(s).not.toContain('hunter2');
      expect(s).not.toContain('hunter3');
    }
  });
});

describe('STS adapters', () => {
  it('reads the qcloud-cos-sts response, numbers as numbers or strings', () => {
    const sts = {
      credentials: { tmpSecretId: 'AKIDtmp', tmpSecretKey: 'tmpKey', sessionToken: 'tok' },
      requestId: 'r-1',
      expiration: '2026-01-01T00:30:00Z',
      startTime: 1767225600,
      expiredTime: 1767227400,
    };
    const want = {
      secretId: 'AKIDtmp',
      secretKey: 'tmpKey',
      securityToken: 'tok',
      expiration: new Date(1767227400_000),
    };
    expect(fromSts(sts)).toEqual(want);
    expect(fromSts({ ...sts, startTime: '1767225600', expiredTime: '1767227400' })).toEqual(want);
    expect(fromSts({ ...sts, expiredTime: undefined })).toEqual({
      ...want,
      expiration: new Date('2026-01-01T00:30:00Z'),
    });
  });

  it("reads cos-js-sdk-v5's getAuthorization shape (SecurityToken or XCosSecurityToken)", () => {
    const want = {
      secretId: 'AKIDtmp',
      secretKey: 'tmpKey',
      securityToken: 'tok',
      expiration: new Date(1767227400_000),
    };
    expect(
      fromSts({
        TmpSecretId: 'AKIDtmp',
        TmpSecretKey: 'tmpKey',
        SecurityToken: 'tok',
        StartTime: 1767225600,
        ExpiredTime: 1767227400,
      }),
    ).toEqual(want);
    expect(
      fromSts({
        TmpSecretId: 'AKIDtmp',
        TmpSecretKey: 'tmpKey',
        XCosSecurityToken: 'tok',
        StartTime: '1767225600',
        ExpiredTime: '1767227400',
      }),
    ).toEqual(want);
  });

  it('names the missing or wrong field, never the secret', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as CosSignError;
      }
      throw new Error('no error');
    };
    expect(
      err(() => fromSts({ credentials: { tmpSecretId: 'AKIDx', sessionToken: 't' }, expiredTime: 1 })).message,
    ).toMatch(/credentials\.tmpSecretKey is missing/);
    expect(err(() => fromSts({ TmpSecretId: 'AKIDx', TmpSecretKey: 'secretvalue' })).message).toMatch(
      /SecurityToken|XCosSecurityToken/,
    );
    const e = err(() =>
      fromSts({
        credentials: { tmpSecretId: 'AKIDx', tmpSecretKey: 'secretvalue', sessionToken: 't' },
        expiredTime: 'soon',
      }),
    );
    expect([e.code, e.message]).toEqual([
      'ERR_CREDENTIALS_INVALID',
      expect.stringMatching(/expiredTime must be epoch seconds, received "soon"/),
    ]);
    expect(err(() => fromSts('nope')).code).toBe('ERR_CREDENTIALS_INVALID');
  });

  it('fetchCredentials fetches the JSON and explains failures', async () => {
    const body = {
      credentials: { tmpSecretId: 'AKIDtmp', tmpSecretKey: 'tmpKey', sessionToken: 'tok' },
      expiredTime: 4102444800,
    };
    const fake = (status: number, text: string) => async () =>
      new Response(text, { status, statusText: status === 200 ? 'OK' : 'Bad Gateway' });
    expect(
      await fetchCredentials('https://app.example/sts', { fetch: fake(200, JSON.stringify(body)) })(),
    ).toMatchObject({ secretId: 'AKIDtmp', securityToken: 'tok' });
    const e1 = await Promise.resolve(fetchCredentials('https://app.example/sts', { fetch: fake(502, 'x') })()).catch(
      (e) => e,
    );
    expect([e1.code, e1.message]).toEqual([
      'ERR_CREDENTIALS_PROVIDER',
      expect.stringMatching(/answered 502 Bad Gateway/),
    ]);
    const e2 = await Promise.resolve(
      fetchCredentials('https://app.example/sts', { fetch: fake(200, '<html>') })(),
    ).catch((e) => e);
    expect([e2.code, e2.message]).toEqual(['ERR_CREDENTIALS_INVALID', expect.stringMatching(/not JSON/)]);
    const e3 = await Promise.resolve(
      fetchCredentials('https://app.example/sts', { fetch: fake(200, '{"credentials":{}}') })(),
    ).catch((e) => e);
    expect(e3.message).toMatch(/credentials\.tmpSecretId is missing/);
    // As a signer's provider, end to end.
    const signer = new CosSigner({
      region: 'ap-guangzhou',
      credentials: fetchCredentials('/sts', { fetch: fake(200, JSON.stringify(body)) }),
    });
    expect(await signer.getPresignedUrl({ method: 'GET', bucket, key: 'a' })).toContain('x-cos-security-token=tok');
  });
});
