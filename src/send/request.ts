/** `signRequest` and `signedFetch`: signing whole `Request`s, and sending them with recovery. */
import { fail, must, show } from '../core/errors.js';
import { parseCosError } from '../core/cos-error.js';
import type { CosSigner, SignOptions } from '../sign/signer.js';
import { recover } from './send.js';

/** Options of {@link signRequest}. */
export type RequestSignOptions = Pick<SignOptions, 'expires' | 'signHost' | 'now'>;

/** {@link signRequest}, and the `fetch` to send with (the signer's option; undefined: the runtime's). */
const sign = async (
  signer: CosSigner,
  request: Request,
  options?: RequestSignOptions,
): Promise<[Request, typeof fetch | undefined]> => {
  const url = new URL(request.url);
  const params: Record<string, string> = Object.create(null);
  for (const [k, v] of url.searchParams)
    params[k] === undefined ? (params[k] = v) : fail('ERR_INVALID_PARAM', `query parameter ${show(k)} is given twice`);
  // Our own lowercasing and trimming: happy-dom's Headers does neither; HTTP trims on the wire.
  const headers: Record<string, string> = Object.create(null);
  request.headers.forEach((v, k) => {
    headers[k.toLowerCase()] = v.trim();
  });
  let key: string;
  try {
    key = decodeURIComponent(url.pathname);
  } catch {
    return must('ERR_INVALID_KEY', 'the URL path', 'percent-encoded UTF-8', url.pathname);
  }
  // Only the request-signing options: nothing else of the caller's reaches the primitive.
  const { expires, signHost, now } = options ?? {};
  const a = await signer.authorize({
    expires,
    signHost,
    now,
    method: request.method,
    bucket: '',
    key,
    params,
    headers,
    host: url.host,
  });
  const h = new Headers(request.headers);
  for (const n in a.headers) h.set(n, a.headers[n]!);
  return [new Request(request, { headers: h }), a.fetch];
};

/**
 * Signs a `Request`: returns a new `Request` (same method, URL and body) that also carries
 * `Authorization` and, for temporary credentials, `x-cos-security-token`. Signs the method, the
 * decoded URL path as the key, every query parameter and the request's headers that COS signs
 * (never User-Agent or other headers a browser may change). The host is the URL's.
 *
 * @example
 * ```ts
 * const url = `https://${bucket}.cos.ap-guangzhou.myqcloud.com/a.txt`;
 * const req = await signRequest(signer, new Request(url, { method: 'PUT', body: 'hi' }));
 * await fetch(req);
 * ```
 */
export const signRequest = async (
  signer: CosSigner,
  request: Request,
  options?: RequestSignOptions,
): Promise<Request> => (await sign(signer, request, options))[0];

/** Whether a body can be read only once (a stream): such a request is not sent twice. */
const once = (b: unknown) => !!b && typeof b == 'object' && ('getReader' in b || Symbol.asyncIterator in b);

/**
 * {@link signRequest} + `fetch` (the signer's `fetch` option, else the runtime's). When COS refuses
 * because the local clock is off by 30 s or more (`RequestTimeTooSkewed`, or `AccessDenied` "Request
 * has expired"), adopts the server's time into the signer's `clockOffset` and retries once; when COS
 * refuses a temporary key (`InvalidAccessKeyId`, `ExpiredToken`, `InvalidToken`) and the credentials
 * come from a provider, refreshes them and retries once. Only bodies that can be sent twice are
 * retried (not streams); otherwise, and for every other answer, the response is returned as it is.
 *
 * @example
 * ```ts
 * const url = `https://${bucket}.cos.ap-guangzhou.myqcloud.com/a.txt`;
 * const res = await signedFetch(signer, url, { method: 'PUT', body: 'hi' });
 * ```
 */
export const signedFetch = async (
  signer: CosSigner,
  input: Request | string | URL,
  init?: RequestInit,
): Promise<Response> => {
  const go = async () => {
    const [req, f] = await sign(signer, new Request(input, init));
    return (f || fetch)(req);
  };
  let res = await go();
  const body = init?.body;
  if ((res.status != 403 && res.status != 400) || (body != null ? once(body) : input instanceof Request && input.body))
    return res;
  // Read the refusal and hand back an equal Response (no clone(): happy-dom's loses the body).
  const text = await res.text();
  res = new Response(text, res);
  return (await recover(signer, parseCosError(text), res.headers.get('date'))) ? go() : res;
};
