/** Credentials: their shape and validation, the provider cache, and the helpers that read an STS answer. */
import { fail, must, show, CosSignError } from '../core/errors.js';
import { is, timeoutSignal, validDate } from '../core/validate.js';

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

/** Validates credentials and returns a copy; messages name the field, never show a secret. */
export const checkCredentials = (c: unknown, what = 'credentials'): Credentials => {
  const bad = (field: string, want: string, v: unknown, secret?: boolean) =>
    must('ERR_CREDENTIALS_INVALID', what + field, want, v, secret);
  if (!c || typeof c != 'object') bad('', 'an object { secretId, secretKey }', c);
  const { secretId, secretKey, securityToken, expiration } = c as Record<string, unknown>;
  if (!is(secretId, /^[^\s&]+$/)) bad('.secretId', 'a string without whitespace or "&"', secretId);
  if (!is(secretKey, /^\S(.*\S)?$/)) bad('.secretKey', 'a string without surrounding whitespace', secretKey, true);
  if (securityToken != null && !is(securityToken, /^[^\r\n]+$/))
    bad('.securityToken', 'a string without CR or LF', securityToken, true);
  if (expiration != null && !validDate(expiration)) bad('.expiration', 'a valid Date', expiration);
  return {
    secretId: secretId as string,
    secretKey: secretKey as string,
    ...(securityToken != null && { securityToken: securityToken as string }),
    ...(expiration != null && { expiration: new Date(+(expiration as Date)) }),
  };
};

/**
 * Wraps a provider into a {@link CredentialSource}. Its result is cached until
 * `margin` ms before its `expiration` (at most half its lifetime, so short-lived keys work too);
 * concurrent callers share one pending call; failures are not cached; each caller waits at most
 * `timeout` ms, after which the next caller starts a fresh call (a pending promise from another
 * Cloudflare Workers request may never settle).
 */
export const credentialSource = (
  input: CredentialProvider,
  now: () => number,
  margin: number,
  timeout: number,
): CredentialSource => {
  let cached: Credentials | undefined;
  let until = 0;
  let pending: Promise<Credentials> | undefined;
  const load = async () => {
    const start = now();
    let c: unknown;
    try {
      c = await input();
    } catch (e) {
      if (e instanceof CosSignError) throw e;
      fail('ERR_CREDENTIALS_PROVIDER', `credential provider failed: ${(e as Error)?.message ?? show(e)}`, e);
    }
    // Already expired ones are cached for no time (until < start) and refused by the signer.
    const creds = (cached = checkCredentials(c, 'provided credentials'));
    const exp = creds.expiration?.getTime();
    until = exp === undefined ? Infinity : exp - Math.min(margin, (exp - start) / 2);
    return creds;
  };
  return (force) => {
    if (!force && cached && now() < until) return Promise.resolve(cached);
    const p = (pending ||= load());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      if (timeout > 0 && timeout < 2 ** 31)
        timer = setTimeout(
          reject,
          timeout,
          new CosSignError('ERR_CREDENTIALS_PROVIDER', `credential provider did not answer within ${timeout} ms`),
        );
    });
    // Settled or timed out: the next caller starts afresh (success has filled the cache by then).
    return Promise.race([p, late]).finally(() => {
      clearTimeout(timer);
      if (pending === p) pending = undefined;
    });
  };
};

// biome-ignore lint/suspicious/noExplicitAny: JSON from elsewhere; each field is checked where it is read.
type Json = Record<string, any>;

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
  const d = (
    data && typeof data == 'object'
      ? data
      : must('ERR_CREDENTIALS_INVALID', 'temporary credentials', 'an STS response object', data)
  ) as Json;
  if (typeof d.secretId == 'string') return checkCredentials(d);
  const inner = d.credentials && typeof d.credentials == 'object';
  const src = inner ? d.credentials : d;
  const names = inner
    ? ['tmpSecretId', 'tmpSecretKey', 'sessionToken']
    : ['TmpSecretId', 'TmpSecretKey', src.SecurityToken != null ? 'SecurityToken' : 'XCosSecurityToken'];
  for (const n of names)
    if (src[n] == null)
      fail('ERR_CREDENTIALS_INVALID', `temporary credentials: ${inner ? 'credentials.' : ''}${n} is missing`);
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
  (
    url: string | URL,
    { timeout = 10_000, fetch: f = globalThis.fetch, ...init }: FetchCredentialsOptions = {},
  ): CredentialProvider =>
  async () => {
    const signal = timeoutSignal(timeout);
    let res: Response;
    try {
      res = await f(url, { signal, ...init });
    } catch (e) {
      return fail(
        'ERR_CREDENTIALS_PROVIDER',
        `fetching credentials from ${url} failed: ${(e as Error)?.message ?? show(e)}`,
        e,
      );
    }
    if (!res.ok)
      fail(
        'ERR_CREDENTIALS_PROVIDER',
        `fetching credentials from ${url} answered ${res.status} ${res.statusText}`.trim(),
      );
    let json: unknown;
    try {
      json = await res.json();
    } catch (e) {
      return fail('ERR_CREDENTIALS_INVALID', `the answer from ${url} is not JSON`, e);
    }
    return fromSts(json);
  };
