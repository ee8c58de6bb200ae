import { fail, isDate, must, show, CosSignError } from './errors.js';

/** A COS key pair, permanent or temporary (STS). */
export interface Credentials {
  /** The SecretId (`AKID…`); sent in every signature as `q-ak`. */
  secretId: string;
  /** The SecretKey. Never leaves the signer: not in URLs, errors or logs. */
  secretKey: string;
  /** The session token of temporary credentials, sent as `x-cos-security-token`. */
  securityToken?: string;
  /** When temporary credentials stop working. Signatures never claim to outlive it. */
  expiration?: Date;
}

/**
 * Supplies credentials, typically temporary ones from your own backend. Called when the signer has
 * none yet, shortly before the current ones expire, and after {@link CosSigner.refreshCredentials}.
 */
export type CredentialProvider = () => Credentials | PromiseLike<Credentials>;

/** Gets the credentials to sign with; `force` skips the cache. */
export type CredentialSource = (force?: boolean) => Promise<Credentials>;

/** `v` is a string that matches `re`. */
export const is = (v: unknown, re: RegExp): v is string => typeof v == 'string' && re.test(v);

/** Validates credentials and returns a copy; messages name the field, never show a secret. */
export const checkCredentials = (c: unknown, what = 'credentials'): Credentials => {
  const bad = (field: string, want: string, v: unknown, secret?: boolean) => must('ERR_CREDENTIALS_INVALID', what + field, want, v, secret);
  if (!c || typeof c != 'object') bad('', 'an object { secretId, secretKey, securityToken?, expiration? }', c);
  const { secretId, secretKey, securityToken, expiration } = c as Record<string, unknown>;
  if (!is(secretId, /^[^\s&]+$/)) bad('.secretId', 'a string without whitespace or "&"', secretId);
  if (!is(secretKey, /^\S(.*\S)?$/)) bad('.secretKey', 'a string without surrounding whitespace', secretKey, true);
  if (securityToken != null && !is(securityToken, /^[^\r\n]+$/)) bad('.securityToken', 'a string without CR or LF', securityToken, true);
  if (expiration != null && !(isDate(expiration) && +expiration == +expiration)) bad('.expiration', 'a valid Date', expiration);
  return {
    secretId: secretId as string,
    secretKey: secretKey as string,
    ...(securityToken != null && { securityToken: securityToken as string }),
    ...(expiration != null && { expiration: new Date(+(expiration as Date)) }),
  };
};

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  ms > 0 && ms < 2 ** 31
    ? new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new CosSignError('ERR_CREDENTIALS_PROVIDER', `credential provider did not answer within ${ms} ms`)), ms);
        p.then(resolve, reject).finally(() => clearTimeout(timer));
      })
    : p;

/**
 * Wraps a provider into a {@link CredentialSource}. Its result is cached until
 * `margin` ms before its `expiration` (at most half its lifetime, so short-lived keys work too);
 * concurrent callers share one pending call; failures are not cached; each caller waits at most
 * `timeout` ms, after which the next caller starts a fresh call (a pending promise from another
 * Cloudflare Workers request may never settle).
 */
export const credentialSource = (input: CredentialProvider, now: () => number, margin: number, timeout: number): CredentialSource => {
  let cached: Credentials | undefined;
  let until = 0;
  let pending: Promise<Credentials> | undefined;
  const load = async () => {
    const start = now();
    let c: unknown;
    try {
      c = await input();
    } catch (e) {
      throw e instanceof CosSignError ? e : new CosSignError('ERR_CREDENTIALS_PROVIDER', `credential provider failed: ${(e as Error)?.message ?? show(e)}`, { cause: e });
    }
    const creds = checkCredentials(c, 'provided credentials');
    const exp = creds.expiration?.getTime();
    // (No expiration: undefined <= n is false.)
    if (exp! <= now())
      fail('ERR_CREDENTIALS_EXPIRED', `provided credentials expired at ${creds.expiration!.toISOString()}`);
    cached = creds;
    until = exp === undefined ? Infinity : exp - Math.min(margin, (exp - start) / 2);
    return creds;
  };
  return (force) => {
    if (!force && cached && now() < until) return Promise.resolve(cached);
    const p = (pending ||= load());
    // Settled or timed out: the next caller starts afresh (success has filled the cache by then).
    return withTimeout(p, timeout).finally(() => {
      if (pending === p) pending = undefined;
    });
  };
};

/**
 * Converts the temporary credentials your backend returns into {@link Credentials}. Accepts the
 * official STS SDK's response (`qcloud-cos-sts`: `{ credentials: { tmpSecretId, tmpSecretKey,
 * sessionToken }, expiredTime }`), cos-js-sdk-v5's `getAuthorization` shape (`{ TmpSecretId,
 * TmpSecretKey, SecurityToken | XCosSecurityToken, ExpiredTime }`) and plain {@link Credentials};
 * times in epoch seconds, as numbers or numeric strings.
 *
 * @example
 * ```ts
 * const signer = new CosSigner({ region, credentials: async () => fromSts(await (await fetch('/sts')).json()) });
 * ```
 */
export const fromSts = (data: unknown): Credentials => {
  const d = (data && typeof data == 'object' ? data : must('ERR_CREDENTIALS_INVALID', 'temporary credentials', 'an STS response object', data)) as Record<string, any>;
  if (typeof d.secretId == 'string') return checkCredentials(d);
  const inner = d.credentials && typeof d.credentials == 'object';
  const src = inner ? d.credentials : d;
  const names = inner ? ['tmpSecretId', 'tmpSecretKey', 'sessionToken'] : ['TmpSecretId', 'TmpSecretKey', src.SecurityToken != null ? 'SecurityToken' : 'XCosSecurityToken'];
  for (const n of names) if (src[n] == null) fail('ERR_CREDENTIALS_INVALID', `temporary credentials: ${inner ? 'credentials.' : ''}${n} is missing`);
  const e = inner ? 'expiredTime' : 'ExpiredTime';
  const t = d[e];
  if (t != null && !(+t > 0)) must('ERR_CREDENTIALS_INVALID', e, 'epoch seconds', t);
  return checkCredentials(
    {
      secretId: src[names[0]],
      secretKey: src[names[1]],
      securityToken: src[names[2]],
      expiration: t != null ? new Date(t * 1000) : d.expiration != null ? new Date(d.expiration) : undefined,
    },
    'temporary credentials',
  );
};

/** Options of {@link fetchCredentials}. */
export interface FetchCredentialsOptions extends RequestInit {
  /**
   * Milliseconds to wait for the endpoint.
   * @defaultValue 10000
   */
  timeout?: number;
  /** The `fetch` to use. @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * A {@link CredentialProvider} that fetches temporary credentials from your own endpoint (for
 * example a `/sts` route that calls the STS SDK) and converts them with {@link fromSts}.
 *
 * @example
 * ```ts
 * const signer = new CosSigner({ region: 'ap-guangzhou', credentials: fetchCredentials('/sts') });
 * ```
 */
export const fetchCredentials =
  (url: string | URL, { timeout = 10_000, fetch: f = globalThis.fetch, ...init }: FetchCredentialsOptions = {}): CredentialProvider =>
  async () => {
    const signal = typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(timeout) : undefined;
    let res: Response;
    try {
      res = await f(url, { signal, ...init });
    } catch (e) {
      return fail('ERR_CREDENTIALS_PROVIDER', `fetching credentials from ${url} failed: ${(e as Error)?.message ?? show(e)}`, e);
    }
    if (!res.ok) fail('ERR_CREDENTIALS_PROVIDER', `fetching credentials from ${url} answered ${res.status} ${res.statusText}`.trim());
    let json: unknown;
    try {
      json = await res.json();
    } catch (e) {
      return fail('ERR_CREDENTIALS_INVALID', `the answer from ${url} is not JSON`, e);
    }
    return fromSts(json);
  };
