import { fail, isDate, must, show, type CosSignErrorCode } from './errors.js';
import { after, subtleBackend, thenable, type HashBackend } from './crypto.js';
import { checkCredentials, credentialSource, is, type CredentialProvider, type Credentials, type CredentialSource } from './credentials.js';
import { authorization, canonical, encode, httpString, isSignedHeader, keyTime, stringToSign, urlPath, type Pair } from './signing.js';

/** Options of `new CosSigner(…)`. One of `region`, `endpoint` or `domain` is required. */
export interface CosSignerOptions {
  /** The key pair, or a provider of (temporary) key pairs. */
  credentials: Credentials | CredentialProvider;
  /** The bucket's region, e.g. `ap-guangzhou`; `accelerate` for global acceleration. Host: `${bucket}.cos.${region}.myqcloud.com`. */
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
  /** Milliseconds before `expiration` at which provided credentials are refreshed (at most half their lifetime). @defaultValue 300000 */
  refreshMargin?: number;
  /** Milliseconds a signing call waits for the credential provider. @defaultValue 10000 */
  providerTimeout?: number;
  /** The `fetch` that {@link CosSigner.fetch}, `upload` and the other large-file functions send with. @defaultValue globalThis.fetch */
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

/** Options of {@link CosSigner.signRequest}. */
export type RequestSignOptions = Pick<SignOptions, 'expires' | 'signHost' | 'now'>;

/** Options of {@link CosSigner.getPostPolicy}. Give `key` or `keyPrefix`. */
export interface PostPolicyOptions {
  /** `BucketName-APPID`. Not used in the host with the `domain` option. */
  bucket: string;
  /** The exact key the upload must have. */
  key?: string;
  /** The prefix every uploaded key must start with; the form's key is `${keyPrefix}${filename}`. */
  keyPrefix?: string;
  /** Seconds the form stays valid. @defaultValue 300 */
  expires?: number;
  /** `[min, max]` allowed size of the file in bytes. */
  contentLengthRange?: [min: number, max: number];
  /** The Content-Type the object gets (a form field, pinned by the policy). */
  contentType?: string;
  /** The status COS answers a successful upload with. @defaultValue 204 (COS's) */
  successActionStatus?: 200 | 201 | 204;
  /** More policy conditions, as in COS's POST Object documentation, e.g. `["starts-with", "$Content-Type", "image/"]`. @defaultValue [] */
  conditions?: unknown[];
  /** The signing clock. @defaultValue `Date.now()` plus the signer's `clockOffset` */
  now?: Date;
}

/** A signed POST Object form: post `fields` (then the file, as `file`) to `url`. */
export interface PostPolicy {
  /** Where to post the form: the bucket's root URL. */
  url: string;
  /** The form fields, in order: `key`, `Content-Type`?, `success_action_status`?, `x-cos-security-token`?, `policy`, `q-*`. */
  fields: Record<string, string>;
}

/** What {@link CosSigner.getAuthHeaders} returns: the headers the request must send. */
export interface AuthHeaders {
  /** `q-sign-algorithm=sha1&q-ak=…&q-signature=…` */
  Authorization: string;
  /** The session token, for temporary credentials. */
  'x-cos-security-token'?: string;
  [name: string]: string | undefined;
}

/** A request ready to sign: validated, names and values encoded. @internal */
export interface Prepared {
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

/** Encodes (step 6), refusing strings that are not well-formed Unicode (lone surrogates). `what` (and `name`) say whose. */
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
    if (isHeader ? !/^[!#$%&'*+.^_`|~\w-]+$/.test(name) : !name) must(code, what + ' name', isHeader ? 'an HTTP token' : 'non-empty', name);
    if (typeof v != 'string' && !Number.isFinite(v)) must(code, `${what} ${show(name)}`, 'a string', v);
    if (isHeader && !/^([^ \t\r\n\0]([^\r\n\0]*[^ \t\r\n\0])?)?$/.test(s)) fail(code, `header ${show(name)} has CR, LF, NUL or surrounding whitespace in its value`);
    const n = enc(name, code, what + ' name');
    const lower = n.toLowerCase();
    if (seen.has(lower)) fail(code, `${what} ${show(name)} is given twice (names ignore case)`);
    seen.add(lower);
    out.push([isHeader ? lower : n, enc(s, code, what, name)]);
  }
  return out;
};

const isToken = (x: Pair) => x[0].toLowerCase() == 'x-cos-security-token';

/**
 * Steps 9–11 of what {@link CosSigner._sign} prepared: the HMAC of the StringToSign once the hash is
 * there, then the Authorization fields (a URL carries them URL-encoded, a header raw). Apart from
 * `_sign`, so that while the hashing runs a pending signature holds only these arguments: in a batch,
 * thousands of them are the live heap that every GC goes through.
 */
const finish = (b: HashBackend, hash: unknown, key: unknown, c: Credentials, time: string, headerList: string, paramList: string, out: AuthHeaders, params: Pair[], inUrl: boolean) =>
  after(hash as string, (h) =>
    after(key, (k) =>
      after(b.hmac(k, stringToSign(time, h)), (signature): Signed => {
        const fields = (inUrl ? authorization(encode(c.secretId), encode(time), encode(headerList), encode(paramList)) : authorization(c.secretId, time, headerList, paramList)) + signature;
        if (!inUrl) out.Authorization = fields;
        return { headers: out, fields, params };
      }),
    ),
  );

/** The lazily loaded request, fetch and form code: presigning alone does not pay for it. */
const more = () => import('./requests.js');

/** The credentials, the key time and the window's end (epoch s) of a signature. */
type Window = [Credentials, string, number];
/** What signing a prepared request gives: the headers to send, the Authorization fields (URL-encoded for a URL) and the URL params. */
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
 * Signs COS requests: Authorization headers, presigned URLs, `Request`s and POST forms. Holds the
 * credentials; cheap to keep for the life of the application.
 *
 * @example
 * ```ts
 * const signer = new CosSigner({ region: 'ap-guangzhou', credentials: { secretId, secretKey } });
 * const url = await signer.getPresignedUrl({ method: 'PUT', bucket: 'examplebucket-1250000000', key: 'a.png' });
 * ```
 */
export class CosSigner {
  /** Milliseconds added to `Date.now()` when signing; {@link CosSigner.fetch} sets it when COS reports clock skew. */
  clockOffset: number;
  /** The provider's credentials, cached (see credentialSource); unset for static credentials. */
  readonly #creds?: CredentialSource;
  /** @internal */ readonly _backend: HashBackend;
  /** @internal */ readonly _scheme: string;
  /** @internal */ readonly _signHost: boolean;
  /** @internal */ readonly _provider: boolean;
  /** @internal */ readonly _fetch?: typeof fetch;
  /** The whole host (domain), or the suffix after `${bucket}.` */
  readonly #host: string;
  readonly #domain: boolean;
  /** The credentials when they do not come from a provider: signing need not wait for them. */
  readonly #static?: Credentials;

  constructor(options: CosSignerOptions) {
    const o = options || ({} as CosSignerOptions);
    const { region, endpoint, domain, scheme = 'https', signHost = true, clockOffset = 0 } = o;
    if (scheme != 'https' && scheme != 'http') must('ERR_INVALID_SCHEME', 'scheme', '"https" or "http"', scheme);
    if (typeof signHost != 'boolean') must('ERR_INVALID_OPTION', 'signHost', 'a boolean', signHost);
    if (!Number.isFinite(clockOffset)) must('ERR_INVALID_OPTION', 'clockOffset', 'a finite number of ms', clockOffset);
    if (region !== undefined && !is(region, /^[a-z\d][a-z\d.-]*[a-z\d]$/)) must('ERR_INVALID_REGION', 'region', 'like "ap-guangzhou"', region);
    if (domain !== undefined && !is(domain, HOST)) must('ERR_INVALID_DOMAIN', 'domain', 'a host name and optional port', domain);
    if (endpoint !== undefined && !is(endpoint, HOST)) must('ERR_INVALID_ENDPOINT', 'endpoint', 'a host name suffix', endpoint);
    this.#domain = domain !== undefined;
    this.#host =
      domain ??
      endpoint ??
      (region ? (region.includes('cos.') ? region : 'cos.' + region) + '.myqcloud.com' : fail('ERR_INVALID_REGION', 'one of region, endpoint or domain is required'));
    this._scheme = scheme;
    this._signHost = signHost;
    this.clockOffset = clockOffset;
    this._provider = typeof o.credentials == 'function';
    this._fetch = o.fetch;
    this._backend = o.backend || subtleBackend(o.crypto?.subtle);
    if (this._provider) this.#creds = credentialSource(o.credentials as CredentialProvider, () => this._now(), o.refreshMargin ?? 3e5, o.providerTimeout ?? 1e4);
    else this.#static = checkCredentials(o.credentials);
  }

  /**
   * The Authorization header value for a request (the Python SDK's `get_auth`). With temporary
   * credentials the `x-cos-security-token` header is signed too: send it (see {@link getAuthHeaders}).
   *
   * @example
   * ```ts
   * const auth = await signer.getAuth({ method: 'PUT', bucket, key: 'a.png', headers: { 'Content-Type': 'image/png' } });
   * ```
   */
  async getAuth(options: SignOptions): Promise<string> {
    return (await this.getAuthHeaders(options)).Authorization;
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
    const s = this._sign(this._prepare(options), false);
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
  async getPresignedUrl(options: SignOptions): Promise<string> {
    const p = this._prepare(options);
    // The key's URL form first: a key without one is refused before anything is signed.
    const base = `${this._scheme}://${p.host}${urlPath(p.key) ?? fail('ERR_INVALID_KEY', `key ${show(p.key)} has no URL form (URLs collapse a lone "." or ".." segment); sign it with getAuth`)}?`;
    const s = this._sign(p, true);
    const { fields, params } = thenable(s) ? await s : s;
    let url = base + fields;
    for (const q of params) url += '&' + q[0] + '=' + q[1];
    return url;
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
   * Signs a `Request`: returns a new `Request` (same method, URL and body) that also carries
   * `Authorization` and, for temporary credentials, `x-cos-security-token`. Signs the method, the
   * decoded URL path as the key, every query parameter and the request's headers that COS signs
   * (never User-Agent or other headers a browser may change). The host is the URL's.
   *
   * @example
   * ```ts
   * const req = await signer.signRequest(new Request(`https://${bucket}.cos.ap-guangzhou.myqcloud.com/a.txt`, { method: 'PUT', body: 'hi' }));
   * await fetch(req);
   * ```
   */
  async signRequest(request: Request, options?: RequestSignOptions): Promise<Request> {
    return (await more()).signRequest(this, request, options);
  }

  /**
   * `signRequest` + `fetch`. When COS refuses because the local clock is off by 30 s or more
   * (`RequestTimeTooSkewed`, or `AccessDenied` "Request has expired"), adopts the server's time into
   * `clockOffset` and retries once; when COS refuses a temporary key (`InvalidAccessKeyId`,
   * `ExpiredToken`, `InvalidToken`) and the credentials come from a provider, refreshes them and
   * retries once. Only bodies that can be sent twice are retried (not streams); otherwise, and for
   * every other answer, the response is returned as it is.
   *
   * @example
   * ```ts
   * const res = await signer.fetch(`https://${bucket}.cos.ap-guangzhou.myqcloud.com/a.txt`, { method: 'PUT', body: 'hi' });
   * ```
   */
  async fetch(input: Request | string | URL, init?: RequestInit): Promise<Response> {
    return (await more()).signedFetch(this, input, init);
  }

  /**
   * The HTML form for COS POST Object (browser upload without CORS preflight, with size and type
   * limits): post `fields` as `multipart/form-data` to `url`, with the file as the last field, `file`.
   * With `keyPrefix`, the form's key is `${keyPrefix}${filename}` (COS puts the uploaded file's name in).
   *
   * @example
   * ```ts
   * const { url, fields } = await signer.getPostPolicy({ bucket, keyPrefix: 'uploads/', contentLengthRange: [1, 10 << 20] });
   * const form = new FormData();
   * for (const [k, v] of Object.entries(fields)) form.append(k, v);
   * form.append('file', file);
   * await fetch(url, { method: 'POST', body: form });
   * ```
   */
  async getPostPolicy(options: PostPolicyOptions): Promise<PostPolicy> {
    return (await more()).postPolicy(this, options);
  }

  /**
   * Forgets cached credentials and asks the provider again (for after COS refused a temporary key).
   * Static credentials are kept.
   *
   * @example
   * ```ts
   * if (res.status === 403) await signer.refreshCredentials();
   * ```
   */
  async refreshCredentials(): Promise<void> {
    await this.#creds?.(true);
  }

  /** Current time in ms on the signer's clock. @internal */
  _now(): number {
    return Date.now() + this.clockOffset;
  }

  /** Validates per-call options into a {@link Prepared} request. @internal */
  _prepare(o: SignOptions, host?: string): Prepared {
    if (!o || typeof o != 'object') must('ERR_INVALID_OPTION', 'sign options', 'an object', o);
    const { method, bucket, key, expires = 300, signHost = this._signHost, now } = o;
    if (!host && !this.#domain && !is(bucket, /^[a-z\d]([a-z\d-]*[a-z\d])?$/i)) must('ERR_INVALID_BUCKET', 'bucket', 'like "examplebucket-1250000000"', bucket);
    if (!is(method, /^(get|put|post|delete|head)$/i)) must('ERR_INVALID_METHOD', 'method', 'GET, PUT, POST, DELETE or HEAD', method);
    if (!is(key, /^[^\0-\x1f\x7f]+$/)) must('ERR_INVALID_KEY', 'key', 'a non-empty string without control characters', key);
    enc(key, 'ERR_INVALID_KEY', 'key');
    if (!Number.isSafeInteger(expires) || expires <= 0) must('ERR_INVALID_EXPIRES', 'expires', 'a positive integer of seconds', expires);
    if (now !== undefined && !(isDate(now) && +now == +now)) must('ERR_INVALID_NOW', 'now', 'a valid Date', now);
    if (typeof signHost != 'boolean') must('ERR_INVALID_OPTION', 'signHost', 'a boolean', signHost);
    host ||= this.#domain ? this.#host : `${bucket.toLowerCase()}.${this.#host}`;
    const signed = pairs(o.headers, 'ERR_INVALID_HEADER', 'header', true);
    if (signHost && !signed.some((h) => h[0] == 'host')) signed.push(['host', encode(host.replace(/:\d+$/, '').toLowerCase())]);
    return { method, key, host, params: pairs(o.params, 'ERR_INVALID_PARAM', 'param'), headers: signed, expires, now: now ? +now : this._now() };
  }

  /**
   * The credentials and the signing window for a signing time: `[now - 60 s, now + expires]`, the end
   * clamped to the credentials' expiration. Refuses expired credentials. @internal
   */
  _window(now: number, expires: number): Window | PromiseLike<Window> {
    return after(this.#static || this.#creds!(), (c): Window => {
      const exp = c.expiration ? +c.expiration : Infinity;
      const t = Math.floor(now / 1000);
      const end = Math.min(t + expires, Math.floor(exp / 1000));
      const clock = this._now();
      const late = exp <= clock;
      // Past expiration on the signer's clock, or expiring before a signature made at `now` could end.
      if (end <= t || late)
        fail(
          'ERR_CREDENTIALS_EXPIRED',
          `the credentials expire${late ? 'd' : ''} at ${c.expiration!.toISOString()}, ${late ? 'before the current time' : 'too soon to sign at'} ${new Date(late ? clock : now).toISOString()}: get fresh credentials`,
        );
      return [c, keyTime(t - 60, end), end];
    });
  }

  /**
   * Signs a prepared request. `inUrl`: the token goes in the query (presigned URL), else in a header.
   * Returns the headers to send, the Authorization fields (URL-encoded for a URL) and the URL params.
   * Sorts `p.headers` in place. Waits only for promises: with
   * static credentials, a cached SignKey and a synchronous backend it returns the result itself, so large
   * batches make little garbage. @internal
   */
  _sign(p: Prepared, inUrl: boolean): Signed | PromiseLike<Signed> {
    return after(this._window(p.now, p.expires), ([c, time]) => {
      const token = c.securityToken;
      let params = p.params;
      let headers = p.headers;
      const out: AuthHeaders = { Authorization: '' };
      if (token && !params.some(isToken))
        if (inUrl) params = [...params, ['x-cos-security-token', encode(token)]];
        else if (!headers.some(isToken)) headers = [...headers, ['x-cos-security-token', encode((out['x-cos-security-token'] = token))]];
      // canonical sorts in place: the lowercased params are a new array; the order of p.headers matters to no one.
      const [paramList, paramString] = canonical(params.map((q) => [q[0].toLowerCase(), q[1]]));
      const [headerList, headerString] = canonical(headers);
      const b = this._backend;
      return finish(b, b.sha1(httpString(p.method, p.key[0] == '/' ? p.key : '/' + p.key, paramString, headerString)), this._signKey(c, time), c, time, headerList, paramList, out, params, inUrl);
    }) as Signed | PromiseLike<Signed>;
  }

  /** The SignKey (step 2) as the backend's prepared HMAC key (or a promise of it), from {@link KEYS}. @internal */
  _signKey(c: Credentials, time: string): unknown {
    let n = IDS.get(c);
    if (n === undefined) IDS.set(c, (n = ++lastId));
    const id = n + '\n' + time;
    const b = this._backend;
    const hit = KEYS.get(id);
    if (hit && hit[0] == b) return hit[1];
    const k = after(after(b.key(c.secretKey), (secret) => b.hmac(secret, time)), (signKey) => b.key(signKey));
    const entry: [HashBackend, unknown] = [b, k];
    if (KEYS.size > 63) KEYS.delete(KEYS.keys().next().value!);
    KEYS.set(id, entry);
    // Once prepared, the key itself is kept: later signatures need not wait for it.
    if (thenable(k)) k.then((key) => (entry[1] = key), () => KEYS.delete(id));
    return k;
  }
}
