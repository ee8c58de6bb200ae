/**
 * The one seam between the signer and the code that talks to COS (requests.ts, the large-upload and
 * listing functions): a request validated and signed, its URL, sending it with retries, and COS's
 * error answers turned into {@link CosSignError}s. Nothing else outside signer.ts reaches into the
 * signer's internals for a request.
 */
import { CosSignError, fail, show } from './errors.js';
import type { CosErrorBody } from './cos-error.js';
import { parseXml, text, type XmlElement } from './xml.js';
import { urlPath } from './signing.js';
import type { AuthHeaders, CosSigner, Prepared, SignOptions } from './signer.js';

/** Validates and signs a request: the prepared request and the headers to send (Authorization, token). */
export const authorize = async (signer: CosSigner, o: SignOptions, host?: string): Promise<[Prepared, AuthHeaders]> => {
  const p = signer._prepare(o, host);
  return [p, (await signer._sign(p, false)).headers];
};

/** The bytes of a request body, sliceable without copying. */
export type Bytes = Blob | Uint8Array;

/** A COS API request: what to sign, and how to send it. */
export interface CosCall extends SignOptions {
  body?: Bytes | string;
  signal?: AbortSignal;
  /** Bytes of the body sent so far (XHR upload events in browsers; the whole body once sent elsewhere). */
  onProgress?: (loaded: number) => void;
  /** Extra attempts on network errors, 5xx and 429. @defaultValue 3 */
  retries?: number;
}

/** COS's answer, read whole. */
export interface CosAnswer {
  status: number;
  header(name: string): string | null;
  text: string;
}

/**
 * COS's error body, read with the XML reader. (The public `parseCosError` reads the same fields on its
 * own: whatever this lazily loaded code shared with the main entry would land on the presign path.)
 */
export const parseError = (xml: string): CosErrorBody | undefined => {
  const el = parseXml(xml);
  const out: Record<string, string> = {};
  if (el && el.name == 'Error') for (const c of el.children) out[c.name] = c.text;
  return out.Code ? (out as unknown as CosErrorBody) : undefined;
};

/** The object's URL for validated options (`key` `/` for the bucket), without a query: validates them first. */
export const locate = (signer: CosSigner, o: SignOptions): string => objectUrl(signer, signer._prepare(o));

const objectUrl = (signer: CosSigner, p: Prepared): string =>
  `${signer._scheme}://${p.host}${urlPath(p.key) ?? fail('ERR_INVALID_KEY', `key ${show(p.key)} has no URL form (URLs collapse a lone "." or ".." segment)`)}`;

/**
 * After a refusal: adopts the server's clock when COS says the local one is off by 30 s or more, or
 * refreshes provided credentials when COS refused the temporary key. True when the request is worth
 * sending once more.
 */
export const recover = async (signer: CosSigner, cos: CosErrorBody | undefined, date: string | null): Promise<boolean> => {
  const code = cos?.Code;
  const server = Date.parse(cos?.ServerTime || date || '');
  if ((code == 'RequestTimeTooSkewed' || (code == 'AccessDenied' && /expired/i.test(cos!.Message || ''))) && Math.abs(server - signer._now()) >= 3e4) {
    signer.clockOffset = server - Date.now();
    return true;
  }
  if (signer._provider && /^(InvalidAccessKeyId|ExpiredToken|InvalidToken)$/.test(code || '')) {
    await signer.refreshCredentials();
    return true;
  }
  return false;
};

/** The delay before retry `attempt` (0-based): half of min(20 s, 500 ms × 2^attempt), plus up to as much again at random. */
export const backoff = (attempt: number): number => {
  const cap = Math.min(2e4, 500 * 2 ** attempt);
  return cap / 2 + (Math.random() * cap) / 2;
};

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((ok, ko) => {
    const stop = () => (clearTimeout(t), ko(signal!.reason));
    const t = setTimeout(() => (signal?.removeEventListener('abort', stop), ok()), ms);
    signal?.addEventListener('abort', stop, { once: true });
  });

/** Sends with XMLHttpRequest, for its upload progress events. */
const xhr = (method: string, url: string, headers: Record<string, string>, body: Bytes | string | undefined, signal: AbortSignal | undefined, onProgress: (n: number) => void) =>
  new Promise<CosAnswer>((ok, ko) => {
    const x = new XMLHttpRequest();
    const abort = () => x.abort();
    x.open(method, url);
    for (const n in headers) x.setRequestHeader(n, headers[n]!);
    x.upload.onprogress = (e) => onProgress(e.loaded);
    x.onloadend = () => {
      signal?.removeEventListener('abort', abort);
      if (signal?.aborted) ko(signal.reason);
      else if (x.status) ok({ status: x.status, header: (n) => x.getResponseHeader(n), text: x.responseText });
      else ko(new TypeError(`XMLHttpRequest to ${url.split('?')[0]} failed`));
    };
    signal?.addEventListener('abort', abort, { once: true });
    x.send((body ?? null) as XMLHttpRequestBodyInit | null);
  });

/** Sends with `fetch` (the signer's, if it was given one). */
const viaFetch = async (signer: CosSigner, method: string, url: string, headers: Record<string, string>, body: Bytes | string | undefined, signal?: AbortSignal): Promise<CosAnswer> => {
  const res = await (signer._fetch || fetch)(url, { method, headers, body: body as BodyInit | undefined, signal });
  return { status: res.status, header: (n) => res.headers.get(n), text: await res.text() };
};

/**
 * Signs and sends a COS request; each attempt is signed anew. Recovers once from clock skew or a
 * refused temporary key; retries network errors, 5xx and 429 `retries` times with backoff and jitter.
 * Resolves with a 2xx answer; rejects with `ERR_COS_RESPONSE` (COS's status and error body),
 * `ERR_NETWORK` (the last error as `cause`), or the signal's reason when aborted.
 */
export const send = async (signer: CosSigner, call: CosCall): Promise<CosAnswer> => {
  const { body, signal, onProgress, retries = 3 } = call;
  const method = call.method.toUpperCase();
  let recovered = false;
  for (let attempt = 0; ; ) {
    signal?.throwIfAborted();
    const [p, auth] = await authorize(signer, call);
    const url = objectUrl(signer, p) + (p.params.length ? '?' + p.params.map((q) => q[0] + '=' + q[1]).join('&') : '');
    const headers: Record<string, string> = { ...(call.headers as Record<string, string>), ...(auth as Record<string, string>) };
    let res: CosAnswer | undefined;
    let error: unknown;
    try {
      res =
        body !== undefined && onProgress && !signer._fetch && typeof XMLHttpRequest == 'function'
          ? await xhr(method, url, headers, body, signal, onProgress)
          : await viaFetch(signer, method, url, headers, body, signal);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      error = e;
    }
    if (res && res.status < 300) return res;
    const cos = res && parseError(res.text);
    if (res && !recovered && (await recover(signer, cos, res.header('date')))) {
      recovered = true;
      continue;
    }
    if (attempt < retries && (!res || res.status >= 500 || res.status == 429)) {
      await sleep(backoff(attempt++), signal);
      continue;
    }
    if (!res) return fail('ERR_NETWORK', `${method} ${call.key} failed on the network after ${attempt + 1} attempt(s): ${(error as Error)?.message || error}`, error);
    throw cosError(call, res.status, cos);
  }
};

/** `ERR_COS_RESPONSE` for COS's answer to `call`: its status, and COS's Code, Message and RequestId when it sent them. */
const cosError = (call: CosCall, status: number, cos: CosErrorBody | undefined, what = ''): CosSignError =>
  Object.assign(
    new CosSignError(
      'ERR_COS_RESPONSE',
      `${call.method.toUpperCase()} ${call.key}: COS answered ${status}${cos ? ` ${cos.Code}: ${cos.Message || ''} (RequestId ${cos.RequestId || 'none'})` : what}`,
    ),
    { status, cos },
  );

/**
 * Sends `call` and returns its answer's XML root, which must be `name`; a 2xx answer that carries an
 * `<Error>` instead (COS's way for a late failure of Complete) is `ERR_COS_RESPONSE` too.
 */
export const sendXml = async (signer: CosSigner, call: CosCall, name: string): Promise<XmlElement> => {
  const res = await send(signer, call);
  const el = parseXml(res.text);
  if (el && el.name == name) return el;
  throw cosError(call, res.status, parseError(res.text), ` without a ${name}`);
};

/**
 * Every page of a COS list, lazily: after a truncated page, each `[param, element]` of `markers` sets
 * the next request's `param` from the page's `element`. A list whose markers do not move is refused.
 */
export async function* pages(signer: CosSigner, call: CosCall, name: string, markers: [string, string][]): AsyncGenerator<XmlElement, void, undefined> {
  const params = { ...call.params };
  for (;;) {
    const el = await sendXml(signer, { ...call, params: { ...params } }, name);
    yield el;
    if (text(el, 'IsTruncated') != 'true') return;
    let moved = false;
    for (const [param, element] of markers) {
      const v = text(el, element);
      if (v) moved ||= v != params[param];
      params[param] = v!;
    }
    if (!moved) fail('ERR_COS_RESPONSE', `${name}: a truncated page without a new ${markers.map((m) => m[1]).join(' / ')}`);
  }
}
