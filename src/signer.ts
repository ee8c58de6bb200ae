import { fail, isDate, show, type CosSignErrorCode } from './errors.js';
import { subtleBackend, type HashBackend } from './crypto.js';
import { credentialSource, type CredentialProvider, type Credentials, type CredentialSource } from './credentials.js';
import { parseCosError } from './cos-error.js';
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
  crypto?: { subtle: SubtleCrypto };
  /** A hash backend instead of WebCrypto, e.g. `syncBackend` from `cos-sign/sync`. */
  backend?: HashBackend;
  /** Milliseconds before `expiration` at which provided credentials are refreshed (at most half their lifetime). @defaultValue 300000 */
  refreshMargin?: number;
  /** Milliseconds a signing call waits for the credential provider. @defaultValue 10000 */
  providerTimeout?: number;
  /** The `fetch` that {@link CosSigner.fetch} sends with. @defaultValue globalThis.fetch */
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
  url: string;
  fields: Record<string, string>;
}

/** What {@link CosSigner.getAuthHeaders} returns: the headers the request must send. */
export interface AuthHeaders {
  Authorization: string;
  'x-cos-security-token'?: string;
  [name: string]: string | undefined;
}

/** A request ready to sign: validated, names and values encoded. */
interface Prepared {
  method: string;
  key: string;
  /** The host the request goes to, as in its URL. */
  host: string;
  /** Query parameters: encoded name (case kept) and encoded value. */
  params: Pair[];
  /** Signed headers: encoded lowercase name and encoded value. */
  headers: Pair[];
  expires: number;
  now: number;
  signHost: boolean;
}

const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i;

const enc = (s: string, code: CosSignErrorCode, what: string) => {
  try {
    return encode(s);
  } catch {
    return fail(code, `${what} is not well-formed Unicode (it has a lone surrogate)`);
  }
};

/**
 * Signs COS requests: Authorization headers, presigned URLs and (see the other methods) requests and
 * POST forms. Holds the credentials; cheap to keep for the life of the application.
 *
 * @example
 * ```ts
 * const signer = new CosSigner({ region: 'ap-guangzhou', credentials: { secretId, secretKey } });
 * const url = await signer.getPresignedUrl({ method: 'PUT', bucket: 'examplebucket-1250000000', key: 'a.png' });
 * ```
 */
export class CosSigner {
  /** Milliseconds added to `Date.now()` when signing; `fetch` sets it when COS reports clock skew. */
  clockOffset: number;
  readonly #creds: CredentialSource;
  readonly #backend: HashBackend;
  readonly #scheme: string;
  readonly #signHost: boolean;
  /** The whole host (domain), or the suffix after `${bucket}.` */
  readonly #host: string;
  readonly #domain: boolean;
  readonly #provider: boolean;
  readonly #fetch?: typeof fetch;
  readonly #keys = new Map<string, [Credentials, PromiseLike<unknown>]>();

  constructor(options: CosSignerOptions) {
    const o = (options || {}) as CosSignerOptions;
    const { region, endpoint, domain, scheme = 'https', signHost = true, clockOffset = 0 } = o;
    if (scheme !== 'https' && scheme !== 'http') fail('ERR_INVALID_SCHEME', `scheme must be "https" or "http", received ${show(scheme)}`);
    if (typeof signHost !== 'boolean') fail('ERR_INVALID_OPTION', `signHost must be a boolean, received ${show(signHost)}`);
    if (!Number.isFinite(clockOffset)) fail('ERR_INVALID_OPTION', `clockOffset must be a finite number of milliseconds, received ${show(clockOffset)}`);
    if (region !== undefined && (typeof region !== 'string' || !/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(region)))
      fail('ERR_INVALID_REGION', `region must look like "ap-guangzhou" (lowercase letters, digits, "-" and "."), received ${show(region)}`);
    if (domain !== undefined && (typeof domain !== 'string' || !HOST.test(domain)))
      fail('ERR_INVALID_DOMAIN', `domain must be a host name with an optional port and no scheme or path, e.g. "static.example.com", received ${show(domain)}`);
    if (endpoint !== undefined && (typeof endpoint !== 'string' || !HOST.test(endpoint)))
      fail('ERR_INVALID_ENDPOINT', `endpoint must be a host suffix with no scheme or path, e.g. "cos.ap-guangzhou.myqcloud.com", received ${show(endpoint)}`);
    this.#domain = domain !== undefined;
    this.#host =
      domain ??
      endpoint ??
      (region
        ? (region.includes('cos.') ? region : 'cos.' + region) + '.myqcloud.com'
        : fail('ERR_INVALID_REGION', 'one of region, endpoint or domain is required'));
    this.#scheme = scheme;
    this.#signHost = signHost;
    this.clockOffset = clockOffset;
    this.#provider = typeof o.credentials === 'function';
    this.#fetch = o.fetch;
    this.#backend = o.backend || subtleBackend(o.crypto?.subtle);
    this.#creds = credentialSource(o.credentials, () => Date.now() + this.clockOffset, o.refreshMargin ?? 300_000, o.providerTimeout ?? 10_000);
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
    return this.#sign(this.#prepare(options), false).then((s) => s.headers);
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
    const p = this.#prepare(options);
    const path = urlPath(p.key) ?? fail('ERR_INVALID_KEY', `key ${show(p.key)} has no URL form: URL parsers collapse a "." or ".." path; sign it with getAuth instead`);
    const { fields, params } = await this.#sign(p, true);
    return `${this.#scheme}://${p.host}${path}?${fields}${params.map((q) => '&' + q[0] + '=' + q[1]).join('')}`;
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
   * Static credentials are kept.
   */
  async refreshCredentials(): Promise<void> {
    await this.#creds(true);
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
  async signRequest(request: Request, options: RequestSignOptions = {}): Promise<Request> {
    const url = new URL(request.url);
    const query: Record<string, string> = Object.create(null);
    for (const [k, v] of url.searchParams)
      query[k] === undefined ? (query[k] = v) : fail('ERR_INVALID_PARAM', `query parameter ${show(k)} appears more than once`);
    const headers: Record<string, string> = Object.create(null);
    request.headers.forEach((v, k) => (headers[k.toLowerCase()] = v.trim()));
    let key: string;
    try {
      key = decodeURIComponent(url.pathname);
    } catch {
      return fail('ERR_INVALID_KEY', `the URL path ${show(url.pathname)} is not percent-encoded UTF-8`);
    }
    const { expires = 300, signHost = this.#signHost, now } = options || {};
    const p = this.#prepareRaw(request.method, key, url.host, pairs(query, 'ERR_INVALID_PARAM', 'param'), headers, expires, now, signHost);
    const auth = (await this.#sign(p, false)).headers;
    const h = new Headers(request.headers);
    for (const n in auth) h.set(n, auth[n]!);
    return new Request(request, { headers: h });
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
  async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const f = this.#fetch || fetch;
    const send = async () => f(await this.signRequest(new Request(input, init)));
    const body = init?.body;
    const once = (b: unknown) => !!b && typeof b === 'object' && ('getReader' in b || Symbol.asyncIterator in b);
    let res = await send();
    if ((res.status !== 403 && res.status !== 400) || (body != null ? once(body) : input instanceof Request && input.body)) return res;
    // Read the refusal and hand back an equal Response (no clone(): happy-dom's loses the body).
    const text = await res.text();
    const err = parseCosError(text);
    res = new Response(text, res);
    if (!err) return res;
    const server = Date.parse(err.ServerTime || res.headers.get('date') || '');
    if (
      (err.Code === 'RequestTimeTooSkewed' || (err.Code === 'AccessDenied' && /expired/i.test(err.Message || ''))) &&
      Math.abs(server - this.#now()) >= 30_000
    )
      this.clockOffset = server - Date.now();
    else if (this.#provider && /^(InvalidAccessKeyId|ExpiredToken|InvalidToken)$/.test(err.Code)) await this.refreshCredentials();
    else return res;
    return send();
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
    const { bucket, key, keyPrefix, expires, contentLengthRange: range, contentType, successActionStatus: status, conditions = [], now } = options || ({} as PostPolicyOptions);
    if ((key === undefined) === (keyPrefix === undefined) || (keyPrefix !== undefined && typeof keyPrefix !== 'string'))
      fail('ERR_INVALID_POLICY', `give exactly one of key or keyPrefix (a string), received key ${show(key)} and keyPrefix ${show(keyPrefix)}`);
    const formKey = key ?? keyPrefix + '${filename}';
    const p = this.#prepare({ method: 'POST', bucket, key: formKey, expires, now });
    if (range !== undefined && !(Array.isArray(range) && range.length === 2 && range.every((n) => Number.isSafeInteger(n) && n >= 0) && range[0] <= range[1]))
      fail('ERR_INVALID_POLICY', `contentLengthRange must be [min, max] byte counts with min <= max, received ${show(range)}`);
    if (status !== undefined && ![200, 201, 204].includes(+status)) fail('ERR_INVALID_POLICY', `successActionStatus must be 200, 201 or 204, received ${show(status)}`);
    if (contentType !== undefined && (typeof contentType !== 'string' || /[\r\n]/.test(contentType))) fail('ERR_INVALID_POLICY', `contentType must be a string, received ${show(contentType)}`);
    if (!Array.isArray(conditions)) fail('ERR_INVALID_POLICY', `conditions must be an array, received ${show(conditions)}`);
    const [c, time, end] = await this.#window(p.now, p.expires);
    const fields: Record<string, string> = { key: formKey };
    const extra: Record<string, string | undefined> = {
      'Content-Type': contentType,
      success_action_status: status === undefined ? undefined : String(status),
      'x-cos-security-token': c.securityToken,
    };
    const conds: unknown[] = [{ 'q-sign-algorithm': 'sha1' }, { 'q-ak': c.secretId }, { 'q-sign-time': time }];
    if (!this.#domain || bucket !== undefined) conds.push({ bucket });
    conds.push(key !== undefined ? { key } : ['starts-with', '$key', keyPrefix]);
    if (range) conds.push(['content-length-range', range[0], range[1]]);
    for (const n in extra) if (extra[n] !== undefined) conds.push({ [n]: (fields[n] = extra[n]!) });
    const policy = JSON.stringify({ expiration: new Date(end * 1000).toISOString(), conditions: conds.concat(conditions) });
    const b = this.#backend;
    const signature = await b.hmac(await this.#signKey(c, time), await b.sha1(policy));
    let bin = '';
    for (const x of new TextEncoder().encode(policy)) bin += String.fromCharCode(x);
    return {
      url: `${this.#scheme}://${p.host}/`,
      fields: { ...fields, policy: btoa(bin), 'q-sign-algorithm': 'sha1', 'q-ak': c.secretId, 'q-key-time': time, 'q-signature': signature },
    };
  }

  /** Current time in ms on the signer's clock. */
  #now(): number {
    return Date.now() + this.clockOffset;
  }

  /** Validates per-call options into a {@link Prepared} request. */
  #prepare(options: SignOptions): Prepared {
    if (!options || typeof options !== 'object') fail('ERR_INVALID_OPTION', `sign options must be an object, received ${show(options)}`);
    const { method, bucket, key, expires = 300, params, headers, signHost = this.#signHost, now } = options;
    if (!this.#domain && (typeof bucket !== 'string' || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i.test(bucket)))
      fail('ERR_INVALID_BUCKET', `bucket must be "BucketName-APPID" (letters, digits and inner "-"), e.g. "examplebucket-1250000000", received ${show(bucket)}`);
    return this.#prepareRaw(
      method,
      key,
      this.#domain ? this.#host : `${bucket.toLowerCase()}.${this.#host}`,
      pairs(params, 'ERR_INVALID_PARAM', 'param'),
      headers,
      expires,
      now,
      signHost,
    );
  }

  /** Validates the parts of a request. */
  #prepareRaw(
    method: unknown,
    key: unknown,
    host: string,
    params: Pair[],
    headers: Record<string, unknown> | undefined,
    expires: unknown,
    now: unknown,
    signHost: unknown,
  ): Prepared {
    if (typeof method !== 'string' || !/^(get|put|post|delete|head)$/i.test(method))
      fail('ERR_INVALID_METHOD', `method must be one of GET, PUT, POST, DELETE, HEAD, received ${show(method)}`);
    if (typeof key !== 'string' || !key || /[\0-\x1f\x7f]/.test(key))
      fail('ERR_INVALID_KEY', `key must be a non-empty string without control characters ("/" for the bucket itself), received ${show(key)}`);
    enc(key as string, 'ERR_INVALID_KEY', 'key');
    if (!Number.isSafeInteger(expires) || (expires as number) <= 0)
      fail('ERR_INVALID_EXPIRES', `expires must be a positive integer number of seconds, received ${show(expires)}`);
    if (now !== undefined && !(isDate(now) && now.getTime() === now.getTime()))
      fail('ERR_INVALID_NOW', `now must be a valid Date, received ${show(now)}`);
    if (typeof signHost !== 'boolean') fail('ERR_INVALID_OPTION', `signHost must be a boolean, received ${show(signHost)}`);
    const signed = pairs(headers, 'ERR_INVALID_HEADER', 'header', true).map((h): Pair => [h[0].toLowerCase(), h[1]]);
    if (signHost && !signed.some((h) => h[0] === 'host')) signed.push(['host', encode(host.replace(/:\d+$/, '').toLowerCase())]);
    return {
      method: method as string,
      key: key as string,
      host,
      params,
      headers: signed,
      expires: expires as number,
      now: now === undefined ? this.#now() : (now as Date).getTime(),
      signHost: signHost as boolean,
    };
  }

  /**
   * The credentials and the signing window for a signing time: `[now - 60 s, now + expires]`, the end
   * clamped to the credentials' expiration. Refuses expired credentials.
   */
  async #window(now: number, expires: number): Promise<[Credentials, string, number]> {
    const c = await this.#creds();
    const exp = c.expiration?.getTime();
    const t = Math.floor(now / 1000);
    const end = Math.min(t + expires, exp === undefined ? Infinity : Math.floor(exp / 1000));
    if (end <= t || exp! <= this.#now())
      fail('ERR_CREDENTIALS_EXPIRED', `the credentials expire${exp! <= this.#now() ? 'd' : ''} at ${c.expiration!.toISOString()}, not after the signing time ${new Date(now).toISOString()}`);
    return [c, keyTime(t - 60, end), end];
  }

  /**
   * Signs a prepared request. `inUrl`: the token goes in the query (presigned URL), else in a header.
   * Returns the headers to send, the URL query fields and the URL params.
   */
  async #sign(p: Prepared, inUrl: boolean): Promise<{ headers: AuthHeaders; fields: string; params: Pair[] }> {
    const [c, time] = await this.#window(p.now, p.expires);
    const token = c.securityToken;
    const has = (list: Pair[]) => list.some((x) => x[0].toLowerCase() === 'x-cos-security-token');
    const params = p.params.slice();
    const headers = p.headers.slice();
    const out: AuthHeaders = { Authorization: '' };
    if (token && !has(params) && !(inUrl || has(headers))) {
      headers.push(['x-cos-security-token', encode(token)]);
      out['x-cos-security-token'] = token;
    }
    if (token && inUrl && !has(params)) params.push(['x-cos-security-token', encode(token)]);
    const [paramList, paramString] = canonical(params.map((q) => [q[0].toLowerCase(), q[1]]));
    const [headerList, headerString] = canonical(headers);
    const b = this.#backend;
    const hash = await b.sha1(httpString(p.method, p.key[0] === '/' ? p.key : '/' + p.key, paramString, headerString));
    const signature = await b.hmac(await this.#signKey(c, time), stringToSign(time, hash));
    out.Authorization = authorization(c.secretId, time, headerList, paramList, signature);
    const fields = authorization(encode(c.secretId), encode(time), encode(headerList), encode(paramList), signature);
    return { headers: out, fields, params };
  }

  /** The SignKey (step 2) as a prepared HMAC key, cached per credentials and key time, bounded. */
  #signKey(c: Credentials, time: string): PromiseLike<unknown> {
    const id = c.secretId + '\n' + time;
    const hit = this.#keys.get(id);
    if (hit && hit[0] === c) return hit[1];
    const b = this.#backend;
    const k = Promise.resolve(b.key(c.secretKey))
      .then((secret) => b.hmac(secret, time))
      .then((signKey) => b.key(signKey));
    if (this.#keys.size >= 64) this.#keys.delete(this.#keys.keys().next().value!);
    this.#keys.set(id, [c, k]);
    k.then(undefined, () => this.#keys.delete(id));
    return k;
  }
}

/**
 * Validates a params or headers record into encoded pairs (name case kept). Headers: only the signed
 * ones, names must be HTTP tokens, values without CR/LF or surrounding whitespace. Names equal but for
 * case are refused: which one the server sees would be a guess.
 */
const pairs = (rec: unknown, code: CosSignErrorCode, what: string, isHeader?: boolean): Pair[] => {
  if (rec === undefined) return [];
  if (!rec || typeof rec !== 'object' || Array.isArray(rec)) return fail(code, `${what}s must be a record of names to strings, received ${show(rec)}`);
  const out: Pair[] = [];
  const seen = new Set<string>();
  for (const name of Object.keys(rec)) {
    const v = (rec as Record<string, unknown>)[name];
    const lower = name.toLowerCase();
    if (isHeader && !isSignedHeader(lower)) continue;
    if (!name) fail(code, `a ${what} name must not be empty`);
    if (isHeader && !/^[!#$%&'*+.^_`|~\w-]+$/.test(name)) fail(code, `header name ${show(name)} is not a valid HTTP header name`);
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v)))
      fail(code, `${what} ${show(name)} must have a string value, received ${show(v)}`);
    const s = String(v);
    if (isHeader && /[\r\n\0]/.test(s)) fail(code, `header ${show(name)} has CR, LF or NUL in its value (header injection)`);
    if (isHeader && s.trim() !== s) fail(code, `header ${show(name)} has leading or trailing whitespace in its value, which HTTP clients strip before sending`);
    const n = enc(name, code, `${what} name ${show(name)}`);
    if (seen.has(n.toLowerCase())) fail(code, `${what} names must differ by more than case, received ${show(name)} twice`);
    seen.add(n.toLowerCase());
    out.push([n, enc(s, code, `the value of ${what} ${show(name)}`)]);
  }
  return out;
};
