import { fail, isDate, show, CosSignError } from './errors.js';

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

const bad = (what: string, msg: string): never => fail('ERR_CREDENTIALS_INVALID', `${what}: ${msg}`);

/** What we can say about a secret without showing it. */
const secretShape = (v: unknown) => (typeof v === 'string' ? `a string of ${v.length} characters` : show(v));

/** Validates credentials and returns a copy; messages name the field, never show a secret. */
export const checkCredentials = (c: unknown, what = 'credentials'): Credentials => {
  if (!c || typeof c !== 'object') return bad(what, `expected { secretId, secretKey, securityToken?, expiration? }, received ${show(c)}`);
  const { secretId, secretKey, securityToken, expiration } = c as Record<string, unknown>;
  if (typeof secretId !== 'string' || !/^[^\s&]+$/.test(secretId))
    bad(what, `secretId must be a non-empty string without whitespace or "&", received ${show(secretId)}`);
  if (typeof secretKey !== 'string' || !secretKey || secretKey.trim() !== secretKey)
    bad(what, `secretKey must be a non-empty string without leading or trailing whitespace, received ${secretShape(secretKey)}`);
  if (securityToken != null && (typeof securityToken !== 'string' || !/^[^\r\n]+$/.test(securityToken)))
    bad(what, `securityToken must be a non-empty string without CR or LF, received ${secretShape(securityToken)}`);
  if (expiration != null && !(isDate(expiration) && expiration.getTime() === expiration.getTime()))
    bad(what, `expiration must be a valid Date, received ${show(expiration)}`);
  return {
    secretId: secretId as string,
    secretKey: secretKey as string,
    ...(securityToken != null && { securityToken: securityToken as string }),
    ...(expiration != null && { expiration: new Date((expiration as Date).getTime()) }),
  };
};

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> => {
  if (!(ms > 0 && ms < 2 ** 31)) return p;
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CosSignError('ERR_CREDENTIALS_PROVIDER', `the credential provider did not answer within ${ms} ms`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
};

/**
 * Normalises `credentials` into a {@link CredentialSource}. A provider's result is cached until
 * `margin` ms before its `expiration` (at most half its lifetime, so short-lived keys work too);
 * concurrent callers share one pending call; failures are not cached; each caller waits at most
 * `timeout` ms, after which the next caller starts a fresh call (a pending promise from another
 * Cloudflare Workers request may never settle).
 */
export const credentialSource = (
  input: Credentials | CredentialProvider,
  now: () => number,
  margin: number,
  timeout: number,
): CredentialSource => {
  if (typeof input !== 'function') {
    const c = checkCredentials(input);
    return () => Promise.resolve(c);
  }
  let cached: Credentials | undefined;
  let until = 0;
  let pending: Promise<Credentials> | undefined;
  const load = async () => {
    const start = now();
    let c: unknown;
    try {
      c = await input();
    } catch (e) {
      throw e instanceof CosSignError ? e : new CosSignError('ERR_CREDENTIALS_PROVIDER', `the credential provider failed: ${(e as Error)?.message ?? show(e)}`, { cause: e });
    }
    const creds = checkCredentials(c, 'the credential provider returned invalid credentials');
    const exp = creds.expiration?.getTime();
    if (exp !== undefined && exp <= now())
      fail('ERR_CREDENTIALS_EXPIRED', `the credential provider returned credentials that expired at ${creds.expiration!.toISOString()}`);
    cached = creds;
    until = exp === undefined ? Infinity : exp - Math.min(margin, (exp - start) / 2);
    return creds;
  };
  return (force) => {
    if (!force && cached && now() < until) return Promise.resolve(cached);
    if (!pending) {
      const p: Promise<Credentials> = load().finally(() => {
        if (pending === p) pending = undefined;
      });
      pending = p;
    }
    const p = pending;
    return withTimeout(p, timeout).catch((e) => {
      if (pending === p) pending = undefined;
      throw e;
    });
  };
};

const num = (v: unknown) => (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '') ? Number(v) : NaN);

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
  const d = (data && typeof data === 'object' ? data : {}) as Record<string, any>;
  const what = 'temporary credentials';
  if (typeof d.secretId === 'string') return checkCredentials(d, what);
  const inner = d.credentials && typeof d.credentials === 'object';
  const src = inner ? d.credentials : d;
  const field = (n: string) => (inner ? 'credentials.' : '') + n;
  const [id, key, token] = inner
    ? ['tmpSecretId', 'tmpSecretKey', 'sessionToken']
    : ['TmpSecretId', 'TmpSecretKey', src.SecurityToken != null ? 'SecurityToken' : 'XCosSecurityToken'];
  if (!data || typeof data !== 'object') bad(what, `expected an STS response object, received ${show(data)}`);
  for (const n of [id, key, token]) if (src[n] == null) bad(what, `${field(n)} is missing`);
  const expField = inner ? 'expiredTime' : 'ExpiredTime';
  const exp = num(d[expField]);
  if (d[expField] != null && !Number.isFinite(exp)) bad(what, `${expField} must be epoch seconds, received ${show(d[expField])}`);
  return checkCredentials(
    {
      secretId: src[id],
      secretKey: src[key],
      securityToken: src[token],
      expiration: Number.isFinite(exp) ? new Date(exp * 1000) : d.expiration != null ? new Date(d.expiration) : undefined,
    },
    what,
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
