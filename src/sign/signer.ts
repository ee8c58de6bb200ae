/**
 * `CosSigner`: the credentials and the host rules, the seed's four signing operations, and
 * {@link CosSigner.authorize}, the one primitive the functions above it (signRequest, signedFetch,
 * getPostPolicy, upload, …) sign with. Its state is private.
 */
import { fail, must, show, type CosSignErrorCode } from '../core/errors.js';
import { is, object, REGION, validDate } from '../core/validate.js';
import { after, subtleBackend, thenable, type HashBackend } from './hash.js';
import {
  checkCredentials,
  credentialSource,
  type CredentialProvider,
  type Credentials,
  type CredentialSource,
} from './credentials.js';
import {
  authorization,
  canonical,
  encode,
  httpString,
  isSignedHeader,
  keyTime,
  stringToSign,
  urlPath,
  type Pair,
} from './algorithm.js';

/** Options of `new CosSigner(…)`. One of `region`, `endpoint` or `domain` is required. */
export interface CosSignerOptions {
  /** The key pair, or a provider of (temporary) key pairs. */
  credentials: Credentials | CredentialProvider;
  /**
   * The bucket's region, e.g. `ap-guangzhou`; `accelerate` for global acceleration. Host:
   * `${bucket}.cos.${region}.myqcloud.com`.
   */
  region?: string;
  /** A host suffix that replaces the region-derived one: host = `${bucket}.${endpoint}`. */
  endpoint?: string;
  /** The whole host (a custom or CDN domain, optionally with a port); the bucket is not added to it. */
  domain?: string;
  /** URL scheme of presigned URLs. @defaultValue 'https' */
  scheme?: 'https' | 'http';
  /** Sign the `host` header, so a signature works only for its bucket. @defaultValue true */
  signHost?: boolean;
  /** Milliseconds added to `Date.now()` when signing (negative when the local clock runs ahead). @defaultValue 0 */
  clockOffset?: number;
  /** The WebCrypto to sign with. @defaultValue globalThis.crypto */
  crypto?: {
    /** Its SubtleCrypto. */
    subtle: SubtleCrypto;
  };
  /** A hash backend instead of WebCrypto, e.g. `syncBackend` from `cos-sign/sync`. */
  backend?: HashBackend;
  /**
   * Milliseconds before `expiration` at which provided credentials are refreshed (at most half their lifetime).
   * @defaultValue 300000
   */
  refreshMargin?: number;
  /** Milliseconds a signing call waits for the credential provider. @defaultValue 10000 */
  providerTimeout?: number;
  /** The `fetch` that `signedFetch`, `upload` and the other functions that send use. @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

/** Per-call options of the signing methods. */
export interface SignOptions {
  /** `GET`, `PUT`, `POST`, `DELETE` or `HEAD`, any case. */
  method: string;
  /** `BucketName-APPID`, e.g. `examplebucket-1250000000`. Not used with the `domain` option. */
  bucket: string;
  /** The object key as the user sees it, not URL-encoded; `/` for bucket-level requests. */
  key: string;
  /** Seconds the signature stays valid after `now`, a positive integer. @defaultValue 300 */
  expires?: number;
  /** Query parameters to sign (and, in URLs, to carry). @defaultValue {} */
  params?: Record<string, string | number>;
  /** Headers to sign; the request must then send exactly these. @defaultValue {} */
  headers?: Record<string, string | number>;
  /** Sign the `host` header. @defaultValue the signer's `signHost` */
  signHost?: boolean;
  /** The signing clock. @defaultValue `Date.now()` plus the signer's `clockOffset` */
  now?: Date;
}

/** What {@link CosSigner.getAuthHeaders} returns: the headers the request must send. */
export interface AuthHeaders {
  /** `q-sign-algorithm=sha1&q-ak=…&q-signature=…` */
  Authorization: string;
  /** The session token, for temporary credentials. */
  'x-cos-security-token'?: string;
  [name: string]: string | undefined;
}

/**
 * Writes the POST Object policy to sign, from what it must name: the SecretId (`q-ak`), the key time
 * (`q-key-time` = `q-sign-time`, `"${start};${end}"` in epoch seconds; its end is the policy's
 * expiration) and, for temporary credentials, the session token.
 */
export type PolicyWriter = (secretId: string, keyTime: string, securityToken?: string) => string;

/** What {@link CosSigner.authorize} signs: a request as {@link SignOptions} gives it, and where it goes. */
export interface AuthorizeOptions extends SignOptions {
  /** The host (and port) the request goes to, instead of the signer's host for `bucket` (`bucket` is then unused). */
  host?: string;
  /**
   * Sign for a URL, as {@link CosSigner.getPresignedUrl} does: the signature (and token) go in `url`'s query, not in
   * `headers`.
   */
  presign?: boolean;
  /**
   * Signs a POST Object policy instead of the request: the policy text (JSON) it returns is signed,
   * and the Authorization returned carries that signature (`q-signature`).
   */
  policy?: PolicyWriter;
}

/** A signed request, as {@link CosSigner.authorize} returns it. */
export interface Authorized {
  /**
   * The URL to send to: scheme, host, the key's path and the params as query (with `presign`, the signature first).
   * With `policy`, the bucket's root URL.
   */
  url: string;
  /**
   * The headers to send besides the request's own: `Authorization`, and `x-cos-security-token` for temporary
   * credentials. With `presign`, `Authorization` is empty: the URL carries the signature.
   */
  headers: Record<string, string>;
  /** The signer's `fetch` option, for the functions that send (undefined: use the runtime's). */
  fetch?: typeof fetch;
}

/** A request ready to sign: validated, names and values encoded. */
interface Prepared {
  method: string;
  key: string;
  /** The host the request goes to, as in its URL. */
  host: string;
  /** Query parameters: encoded name (case kept) and encoded value. */
  params: Pair[];
  /** Signed headers: encoded lowercase name and encoded value (sorted in place when signed). */
  headers: Pair[];
  expires: number;
  now: number;
}

const HOST = /^[a-z\d]([a-z\d.-]*[a-z\d])?(:\d{1,5})?$/i;

/**
 * Encodes (step 6), refusing strings that are not well-formed Unicode (lone surrogates). `what` (and `name`) say whose.
 */
const enc = (s: string, code: CosSignErrorCode, what: string, name?: string) => {
  try {
    return encode(s);
  } catch {
    // The label only when refusing: show() is too dear for every value signed.
    return must(code, name ? `${what} ${show(name)}` : what, 'well-formed Unicode', s);
  }
};

/**
 * Validates a params or headers record into encoded pairs (params: name case kept; headers: name
 * lowercased). Headers: only the signed ones; names must be HTTP tokens; values without CR/LF/NUL or
 * surrounding whitespace. Names equal but for case are refused: which one the server sees would be a guess.
 */
const pairs = (rec: unknown, code: CosSignErrorCode, what: string, isHeader?: boolean): Pair[] => {
  const out: Pair[] = [];
  if (rec === undefined) return out;
  if (!rec || typeof rec != 'object' || Array.isArray(rec)) must(code, what + 's', 'a record of strings', rec);
  const seen = new Set<string>();
  for (const name of Object.keys(rec as object)) {
    const v = (rec as Record<string, unknown>)[name];
    const s = String(v);
    if (isHeader && !isSignedHeader(name.toLowerCase())) continue;
    if (isHeader ? !/^[!#$%&'*+.^_`|~\w-]+$/.test(name) : !name)
      must(code, what + ' name', isHeader ? 'an HTTP token' : 'non-empty', name);
    if (typeof v != 'string' && !Number.isFinite(v)) must(code, `${what} ${show(name)}`, 'a string', v);
    if (isHeader && !/^([^ \t\r\n\0]([^\r\n\0]*[^ \t\r\n\0])?)?$/.test(s))
      fail(code, `header ${show(name)}: CR, LF, NUL or outer whitespace in its value`);
    const n = enc(name, code, what + ' name');
    const lower = n.toLowerCase();
    if (seen.has(lower)) fail(code, `${what} ${show(name)} given twice (case ignored)`);
    seen.add(lower);
    out.push([isHeader ? lower : n, enc(s, code, what, name)]);
  }
  return out;
};

const isToken = (x: Pair) => x[0].toLowerCase() == 'x-cos-security-token';

/**
 * Steps 9–11 of what `#sign` prepared: the HMAC of the StringToSign once the hash is there (with
 * `policy`, the hash is the StringToSign), then the Authorization fields (a URL carries them
 * URL-encoded, a header raw). Apart from `#sign`, so that while the hashing runs a pending signature
 * holds only these arguments: in a batch, thousands of them are the live heap that every GC goes through.
 */
const finish = (
  b: HashBackend,
  hash: unknown,
  key: unknown,
  c: Credentials,
  time: string,
  headerList: string,
  paramList: string,
  out: AuthHeaders,
  params: Pair[],
  inUrl: boolean | undefined,
  policy: boolean,
) =>
  after(hash as string, (h) =>
    after(key, (k) =>
      after(b.hmac(k, policy ? h : stringToSign(time, h)), (signature): Signed => {
        const e = inUrl ? encode : (s: string) => s;
        const fields = authorization(e(c.secretId), e(time), e(headerList), e(paramList)) + signature;
        if (!inUrl) out.Authorization = fields;
        return { headers: out, fields, params };
      }),
    ),
  );

/** The credentials and the key time of a signature. */
type Window = [Credentials, string];
/**
 * What signing a prepared request gives: the headers to send, the Authorization fields (URL-encoded for a URL) and the
 * URL params.
 */
type Signed = { headers: AuthHeaders; fields: string; params: Pair[] };

/**
 * Prepared SignKeys (step 2) per credentials object and key time, shared by all signers, at most 64
 * (oldest out): however many signers and credentials an application has, this stays small. Keyed by
 * a number given to each credentials object, never by a secret; it holds no credentials, so it keeps
 * no dropped signer's secret alive.
 */
const KEYS = new Map<string, [HashBackend, unknown]>();
const IDS = new WeakMap<Credentials, number>();
let lastId = 0;

/**
 * The SignKey (step 2) for credentials and a key time, as the backend's prepared HMAC key (or a promise of it), from
 * {@link KEYS}.
 */
const signKey = (b: HashBackend, c: Credentials, time: string): unknown => {
  let n = IDS.get(c);
  if (n === undefined) IDS.set(c, (n = ++lastId));
  const id = n + '\n' + time;
  const hit = KEYS.get(id);
  if (hit && hit[0] == b) return hit[1];
  const k = after(
    after(b.key(c.secretKey), (secret) => b.hmac(secret, time)),
    (signKey) => b.key(signKey),
  );
  const entry: [HashBackend, unknown] = [b, k];
  if (KEYS.size > 63) KEYS.delete(KEYS.keys().next().value!);
  KEYS.set(id, entry);
  // Once prepared, the key itself is kept: later signatures need not wait for it.
  if (thenable(k))
    k.then(
      (key) => (entry[1] = key),
      () => KEYS.delete(id),
    );
  return k;
};

/**
 * Signs COS requests: Authorization headers and presigned URLs; the functions that send
 * (`signRequest`, `signedFetch`, `upload`, …) and `getPostPolicy` take it first. Holds the
 * credentials; cheap to keep for the life of the application.
 *
 * @example
 * ```ts
 * const signer = new CosSigner({ region: 'ap-guangzhou', credentials: { secretId, secretKey } });
 * const url = await signer.getPresignedUrl({ method: 'PUT', bucket: 'examplebucket-1250000000', key: 'a.png' });
 * ```
 */
export class CosSigner {
  /**
   * Milliseconds added to `Date.now()` when signing; `signedFetch` and the functions that send set it when COS reports
   * clock skew.
   */
  clockOffset: number;
  /** The provider's credentials, cached (see credentialSource); unset for static credentials. */
  readonly #creds?: CredentialSource;
  /** The credentials when they do not come from a provider: signing need not wait for them. */
  readonly #static?: Credentials;
  readonly #backend: HashBackend;
  readonly #scheme: string;
  readonly #signHost: boolean;
  readonly #fetch?: typeof fetch;
  /** The whole host (the `domain` option), when given. */
  readonly #domain?: string;
  /** Otherwise the host after `${bucket}.` */
  readonly #suffix?: string;

  constructor(options: CosSignerOptions) {
    const o = options || ({} as CosSignerOptions);
    const { region, endpoint, domain, scheme = 'https', signHost = true, clockOffset = 0 } = o;
    // The Python SDK's `cos.<region>` form is accepted too.
    const r = typeof region == 'string' ? region.replace(/^cos\./, '') : region;
    if (scheme != 'https' && scheme != 'http') must('ERR_INVALID_SCHEME', 'scheme', '"https" or "http"', scheme);
    if (typeof signHost != 'boolean') must('ERR_INVALID_OPTION', 'signHost', 'a boolean', signHost);
    if (!Number.isFinite(clockOffset)) must('ERR_INVALID_OPTION', 'clockOffset', 'a finite number of ms', clockOffset);
    if (r !== undefined && !is(r, REGION)) must('ERR_INVALID_REGION', 'region', 'like "ap-guangzhou"', region);
    if (domain !== undefined && !is(domain, HOST)) must('ERR_INVALID_DOMAIN', 'domain', 'a host[:port]', domain);
    if (endpoint !== undefined && !is(endpoint, HOST))
      must('ERR_INVALID_ENDPOINT', 'endpoint', 'a host name suffix', endpoint);
    if (!(this.#domain = domain))
      this.#suffix =
        endpoint ?? (r ? `cos.${r}.myqcloud.com` : fail('ERR_INVALID_REGION', 'give region, endpoint or domain'));
    this.#scheme = scheme;
    this.#signHost = signHost;
    this.clockOffset = clockOffset;
    this.#fetch = o.fetch;
    this.#backend = o.backend || subtleBackend(o.crypto?.subtle);
    if (typeof o.credentials == 'function')
      this.#creds = credentialSource(
        o.credentials,
        () => Date.now() + this.clockOffset,
        o.refreshMargin ?? 3e5,
        o.providerTimeout ?? 1e4,
      );
    else this.#static = checkCredentials(o.credentials);
  }

  /**
   * The Authorization header value for a request (the Python SDK's `get_auth`). With temporary
   * credentials the `x-cos-security-token` header is signed too: send it (see {@link getAuthHeaders}).
   *
   * @example
   * ```ts
   * const headers = { 'Content-Type': 'image/png' };
   * const auth = await signer.getAuth({ method: 'PUT', bucket, key: 'a.png', headers });
   * ```
   */
  getAuth(options: SignOptions): Promise<string> {
    return this.getAuthHeaders(options).then((h) => h.Authorization);
  }

  /**
   * The headers to send with a request: `Authorization`, and `x-cos-security-token` for temporary
   * credentials.
   *
   * @example
   * ```ts
   * await fetch(url, { method: 'PUT', body, headers: await signer.getAuthHeaders({ method: 'PUT', bucket, key }) });
   * ```
   */
  async getAuthHeaders(options: SignOptions): Promise<AuthHeaders> {
    const s = this.#sign(this.#prepare(options));
    return (thenable(s) ? await s : s).headers;
  }

  /**
   * A presigned URL (the Python SDK's `get_presigned_url`): the signature travels in the query, and
   * with temporary credentials so does the signed `x-cos-security-token`. Whoever uses the URL must
   * send exactly the `headers` that were signed.
   *
   * @example
   * ```ts
   * const url = await signer.getPresignedUrl({ method: 'PUT', bucket, key: 'photos/a.png', expires: 600 });
   * await fetch(url, { method: 'PUT', body: file });
   * ```
   */
  getPresignedUrl(options: SignOptions): Promise<string> {
    return this.#authorize(options, true).then((a) => a.url);
  }

  /**
   * A presigned GET URL (the Python SDK's `get_presigned_download_url`). Pass
   * `params: { 'response-content-disposition': 'attachment; filename="a.pdf"' }` for "save as".
   *
   * @example
   * ```ts
   * const url = await signer.getPresignedDownloadUrl({ bucket, key: 'report.pdf', expires: 3600 });
   * ```
   */
  getPresignedDownloadUrl(options: Omit<SignOptions, 'method'>): Promise<string> {
    return this.getPresignedUrl({ ...options, method: 'GET' });
  }

  /**
   * Forgets cached credentials and asks the provider again (for after COS refused a temporary key).
   * Static credentials are kept. Resolves `true` when a provider was asked, `false` for static
   * credentials (a retry with them would be refused again).
   *
   * @example
   * ```ts
   * if (res.status === 403) await signer.refreshCredentials();
   * ```
   */
  async refreshCredentials(): Promise<boolean> {
    await this.#creds?.(true);
    return !!this.#creds;
  }

  /**
   * The primitive the functions built on the signer sign with (`signRequest`, `signedFetch`,
   * `getPostPolicy`, `upload`, …): validates `options` as {@link getAuthHeaders} does, signs them on
   * the signer's clock, and returns the URL to send to and the headers to add. Each call signs anew.
   *
   * @example
   * ```ts
   * const { url, headers } = await signer.authorize({ method: 'DELETE', bucket, key: 'a.txt' });
   * await fetch(url, { method: 'DELETE', headers });
   * ```
   */
  authorize(options: AuthorizeOptions): Promise<Authorized> {
    return this.#authorize(options, options?.presign);
  }

  /** {@link authorize}, for a URL when `presign`. */
  async #authorize(options: AuthorizeOptions, presign?: boolean): Promise<Authorized> {
    const p = this.#prepare(options, options?.host);
    const policy = options.policy;
    // The key's URL form first: a key without one is refused before anything is signed.
    const path = policy ? '/' : urlPath(p.key);
    if (!path) fail('ERR_INVALID_KEY', `key ${show(p.key)} has no URL form (lone "." or ".."): use getAuth`);
    const s = this.#sign(p, presign, policy);
    const { headers, fields, params } = thenable(s) ? await s : s;
    let query = presign ? '?' + fields : '';
    for (const q of params) query += (query ? '&' : '?') + q[0] + '=' + q[1];
    // (Every header in it has a value: the token's only when there is one.)
    return {
      url: this.#scheme + '://' + p.host + path + query,
      headers: headers as Record<string, string>,
      fetch: this.#fetch,
    };
  }

  /** Validates per-call options into a {@link Prepared} request. */
  #prepare(o: SignOptions, host?: string): Prepared {
    const { method, bucket, key, expires = 300, signHost = this.#signHost, now } = object(o, 'sign options');
    if (!host && !this.#domain && !is(bucket, /^[a-z\d]([a-z\d-]*[a-z\d])?$/i))
      must('ERR_INVALID_BUCKET', 'bucket', 'like "examplebucket-1250000000"', bucket);
    if (!is(method, /^(get|put|post|delete|head)$/i))
      must('ERR_INVALID_METHOD', 'method', 'GET, PUT, POST, DELETE or HEAD', method);
    if (!is(key, /^[^\0-\x1f\x7f]+$/)) must('ERR_INVALID_KEY', 'key', 'non-empty, without control characters', key);
    enc(key, 'ERR_INVALID_KEY', 'key');
    if (!Number.isSafeInteger(expires) || expires <= 0)
      must('ERR_INVALID_EXPIRES', 'expires', 'a positive integer of seconds', expires);
    if (now !== undefined && !validDate(now)) must('ERR_INVALID_NOW', 'now', 'a valid Date', now);
    if (typeof signHost != 'boolean') must('ERR_INVALID_OPTION', 'signHost', 'a boolean', signHost);
    host ||= this.#domain || `${bucket.toLowerCase()}.${this.#suffix}`;
    const signed = pairs(o.headers, 'ERR_INVALID_HEADER', 'header', true);
    if (signHost && !signed.some((h) => h[0] == 'host'))
      signed.push(['host', encode(host.replace(/:\d+$/, '').toLowerCase())]);
    return {
      method,
      key,
      host,
      params: pairs(o.params, 'ERR_INVALID_PARAM', 'param'),
      headers: signed,
      expires,
      now: now ? +now : Date.now() + this.clockOffset,
    };
  }

  /**
   * The credentials and the signing window for a signing time: `[now - 60 s, now + expires]`, the end
   * clamped to the credentials' expiration. Refuses expired credentials.
   */
  #window(now: number, expires: number): Window | PromiseLike<Window> {
    return after(this.#static || this.#creds!(), (c): Window => {
      const exp = c.expiration ? +c.expiration : Infinity;
      const t = Math.floor(now / 1000);
      const end = Math.min(t + expires, Math.floor(exp / 1000));
      const clock = Date.now() + this.clockOffset;
      const late = exp <= clock;
      // Past expiration on the signer's clock, or expiring before a signature made at `now` could end.
      if (end <= t || late)
        fail(
          'ERR_CREDENTIALS_EXPIRED',
          `credentials expire${late ? 'd' : ''} at ${c.expiration!.toISOString()}, ` +
            `${late ? 'now' : 'too soon to sign at'} ${new Date(late ? clock : now).toISOString()}: get fresh ones`,
        );
      return [c, keyTime(t - 60, end)];
    });
  }

  /**
   * Signs a prepared request. `inUrl`: the token goes in the query (presigned URL), else in a header.
   * With `policy`, signs the policy text it returns instead of the request. Sorts `p.headers` in place.
   * Waits only for promises: with static credentials, a cached SignKey and a synchronous backend it
   * returns the result itself, so large batches make little garbage.
   */
  #sign(p: Prepared, inUrl?: boolean, policy?: PolicyWriter): Signed | PromiseLike<Signed> {
    return after(this.#window(p.now, p.expires), ([c, time]) => {
      const token = c.securityToken;
      let params = p.params;
      let headers = p.headers;
      const out: AuthHeaders = { Authorization: '' };
      if (token && !params.some(isToken))
        if (inUrl) params = [...params, ['x-cos-security-token', encode(token)]];
        else if (!headers.some(isToken))
          headers = [...headers, ['x-cos-security-token', encode((out['x-cos-security-token'] = token))]];
      // canonical sorts in place: the lowercased params are a new array; the order of p.headers matters to no one.
      const [paramList, paramString] = canonical(params.map((q) => [q[0].toLowerCase(), q[1]]));
      const [headerList, headerString] = canonical(headers);
      const b = this.#backend;
      const text = policy
        ? policy(c.secretId, time, token)
        : httpString(p.method, p.key[0] == '/' ? p.key : '/' + p.key, paramString, headerString);
      return finish(b, b.sha1(text), signKey(b, c, time), c, time, headerList, paramList, out, params, inUrl, !!policy);
    }) as Signed | PromiseLike<Signed>;
  }
}
