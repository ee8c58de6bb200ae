/**
 * Sending COS API requests: each attempt signed anew through {@link CosSigner.authorize}, sent with
 * `fetch` (or XMLHttpRequest in browsers, for upload progress), retried on network errors, 5xx and
 * 429, recovered once from clock skew or a refused temporary key; COS's error answers become
 * {@link CosSignError}s with COS's `Code`, `Message` and `RequestId`.
 */
import { CosSignError, fail } from '../core/errors.js';
import { parseCosError, type CosErrorBody } from '../core/cos-error.js';
import { parseXml, text, type XmlElement } from '../core/xml.js';
import type { CosSigner, SignOptions } from '../sign/signer.js';

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
  /**
   * Checks a 2xx answer: an error returned makes it a failed attempt, retried like a 5xx, and thrown when the
   * retries are spent (how an UploadPart whose CRC-64 differs is sent again).
   */
  check?: (answer: CosAnswer) => CosSignError | undefined;
  /** Called as each attempt goes out. */
  onSend?: () => void;
  /**
   * Reads a 2xx answer's body itself (a download's bytes), instead of as text; a failure is a failed attempt, retried
   * like a network error. `headers` may be a getter: each attempt is signed with what it returns then.
   */
  read?: (res: Response) => Promise<void>;
}

/** COS's answer, read whole. */
export interface CosAnswer {
  status: number;
  header(name: string): string | null;
  text: string;
}

/**
 * After a refusal: adopts the server's clock when COS says the local one is off by 30 s or more, or
 * refreshes provided credentials when COS refused the temporary key. True when the request is worth
 * sending once more.
 */
export const recover = async (
  signer: CosSigner,
  cos: CosErrorBody | undefined,
  date: string | null,
): Promise<boolean> => {
  const code = cos?.Code;
  const server = Date.parse(cos?.ServerTime || date || '');
  const skewed = code == 'RequestTimeTooSkewed' || (code == 'AccessDenied' && /expired/i.test(cos!.Message || ''));
  if (skewed && Math.abs(server - (Date.now() + signer.clockOffset)) >= 3e4) {
    signer.clockOffset = server - Date.now();
    return true;
  }
  return /^(InvalidAccessKeyId|ExpiredToken|InvalidToken)$/.test(code || '') && signer.refreshCredentials();
};

/**
 * The delay before retry `attempt` (0-based): half of min(20 s, 500 ms × 2^attempt), plus up to as much again at
 * random.
 */
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

/** How one attempt goes out: method, the signed URL and headers, the body. */
type Out = {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Bytes | string;
  signal?: AbortSignal;
};

/** Sends with XMLHttpRequest, for its upload progress events. */
const xhr = ({ method, url, headers, body, signal }: Out, onProgress: (n: number) => void) =>
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
    // Bytes go as a Blob: Chromium sends a Uint8Array body about ten times slower than the same bytes as a Blob.
    x.send(
      (body instanceof Uint8Array
        ? new Blob([body as Uint8Array<ArrayBuffer>])
        : (body ?? null)) as XMLHttpRequestBodyInit,
    );
  });

/** Sends with `fetch`. */
const viaFetch = async (f: typeof fetch, { url, body, ...init }: Out, read?: CosCall['read']): Promise<CosAnswer> => {
  const res = await f(url, { ...init, body: body as BodyInit | undefined });
  const text = read && res.status < 300 ? (await read(res), '') : await res.text();
  return { status: res.status, header: (n) => res.headers.get(n), text };
};

/**
 * Signs and sends a COS request; each attempt is signed anew. Recovers once from clock skew or a
 * refused temporary key; retries network errors, 5xx and 429 `retries` times with backoff and jitter.
 * Resolves with a 2xx answer; rejects with `ERR_COS_RESPONSE` (COS's status and error body),
 * `ERR_NETWORK` (the last error as `cause`), or the signal's reason when aborted.
 */
export const send = async (signer: CosSigner, call: CosCall): Promise<CosAnswer> => {
  const { body, signal, onProgress, check, onSend, retries = 3 } = call;
  const method = call.method.toUpperCase();
  let recovered = false;
  for (let attempt = 0; ; ) {
    signal?.throwIfAborted();
    const a = await signer.authorize(call);
    const out: Out = {
      method,
      url: a.url,
      headers: { ...call.headers, ...a.headers } as Record<string, string>,
      body,
      signal,
    };
    let res: CosAnswer | undefined;
    let error: unknown;
    onSend?.();
    try {
      // Without a fetch option, browsers send bodies by XMLHttpRequest: fetch has no upload progress.
      res =
        body !== undefined && onProgress && !a.fetch && typeof XMLHttpRequest == 'function'
          ? await xhr(out, onProgress)
          : await viaFetch(a.fetch || fetch, out, call.read);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      error = e;
    }
    if (res && res.status < 300) {
      const bad = check?.(res);
      if (!bad) return res;
      if (attempt >= retries) throw bad;
      await sleep(backoff(attempt++), signal);
      continue;
    }
    const cos = res && parseCosError(res.text);
    if (res && !recovered && (await recover(signer, cos, res.header('date')))) {
      recovered = true;
      continue;
    }
    // BadDigest: the body COS received is not the one whose Content-MD5 was sent; it was not stored. Send it again.
    if (attempt < retries && (!res || res.status >= 500 || res.status == 429 || cos?.Code == 'BadDigest')) {
      await sleep(backoff(attempt++), signal);
      continue;
    }
    if (!res)
      return fail(
        'ERR_NETWORK',
        `${method} ${call.key} failed on the network after ${attempt + 1} attempt(s): ` +
          ((error as Error)?.message || error),
        error,
      );
    throw cosError(call, res.status, cos);
  }
};

/**
 * `ERR_COS_RESPONSE` for COS's answer to `call`: its status, and COS's Code, Message and RequestId when it sent them.
 */
const cosError = (call: CosCall, status: number, cos: CosErrorBody | undefined, what = ''): CosSignError =>
  Object.assign(
    new CosSignError(
      'ERR_COS_RESPONSE',
      `${call.method.toUpperCase()} ${call.key}: COS answered ${status}` +
        (cos ? ` ${cos.Code}: ${cos.Message || ''} (RequestId ${cos.RequestId || 'none'})` : what),
    ),
    { status, cos },
  );

/**
 * Sends `call` and returns its answer's XML root, which must be `name`, and the answer; a 2xx answer that
 * carries an `<Error>` instead (COS's way for a late failure of Complete) is `ERR_COS_RESPONSE` too.
 */
export const sendXml = async (signer: CosSigner, call: CosCall, name: string): Promise<[XmlElement, CosAnswer]> => {
  const res = await send(signer, call);
  const el = parseXml(res.text);
  if (el && el.name == name) return [el, res];
  throw cosError(call, res.status, parseCosError(res.text), ` without a ${name}`);
};

/**
 * Every page of a COS list, lazily: after a truncated page, each `[param, element]` of `markers` sets
 * the next request's `param` from the page's `element`. A list whose markers do not move is refused.
 */
export async function* pages(
  signer: CosSigner,
  call: CosCall,
  name: string,
  markers: [string, string][],
): AsyncGenerator<XmlElement, void, undefined> {
  const params = { ...call.params };
  for (;;) {
    const [el] = await sendXml(signer, { ...call, params: { ...params } }, name);
    yield el;
    if (text(el, 'IsTruncated') != 'true') return;
    let moved = false;
    for (const [param, element] of markers) {
      const v = text(el, element);
      if (v) moved ||= v != params[param];
      params[param] = v!;
    }
    if (!moved)
      fail('ERR_COS_RESPONSE', `${name}: a truncated page without a new ${markers.map((m) => m[1]).join(' / ')}`);
  }
}
