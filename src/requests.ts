/**
 * Signing whole `Request`s, sending them with recovery from clock skew and refused temporary keys, and
 * POST Object forms. Loaded on first use by {@link CosSigner}'s methods, so that presigning alone does
 * not pay for it.
 */
import { fail, must, show } from './errors.js';
import { authorize, parseError, recover } from './send.js';
import type { CosSigner, PostPolicy, PostPolicyOptions, RequestSignOptions } from './signer.js';

/** {@link CosSigner.signRequest}. */
export const signRequest = async (signer: CosSigner, request: Request, options?: RequestSignOptions): Promise<Request> => {
  const url = new URL(request.url);
  const params: Record<string, string> = Object.create(null);
  for (const [k, v] of url.searchParams) params[k] === undefined ? (params[k] = v) : fail('ERR_INVALID_PARAM', `query parameter ${show(k)} is given twice`);
  // Our own lowercasing and trimming: happy-dom's Headers does neither; HTTP trims on the wire.
  const headers: Record<string, string> = Object.create(null);
  request.headers.forEach((v, k) => (headers[k.toLowerCase()] = v.trim()));
  let key: string;
  try {
    key = decodeURIComponent(url.pathname);
  } catch {
    return must('ERR_INVALID_KEY', 'the URL path', 'percent-encoded UTF-8', url.pathname);
  }
  const [, auth] = await authorize(signer, { ...options, method: request.method, key, params, headers } as never, url.host);
  const h = new Headers(request.headers);
  for (const n in auth) h.set(n, auth[n]!);
  return new Request(request, { headers: h });
};

/** {@link CosSigner.fetch}. */
export const signedFetch = async (signer: CosSigner, input: Request | string | URL, init?: RequestInit): Promise<Response> => {
  const f = signer._fetch || fetch;
  const send = async () => f(await signRequest(signer, new Request(input, init)));
  const body = init?.body;
  const once = (b: unknown) => !!b && typeof b == 'object' && ('getReader' in b || Symbol.asyncIterator in b);
  let res = await send();
  if ((res.status != 403 && res.status != 400) || (body != null ? once(body) : input instanceof Request && input.body)) return res;
  // Read the refusal and hand back an equal Response (no clone(): happy-dom's loses the body).
  const text = await res.text();
  res = new Response(text, res);
  return (await recover(signer, parseError(text), res.headers.get('date'))) ? send() : res;
};

/** {@link CosSigner.getPostPolicy}. */
export const postPolicy = async (signer: CosSigner, options: PostPolicyOptions): Promise<PostPolicy> => {
  const { bucket, key, keyPrefix, expires, contentLengthRange: range, contentType, successActionStatus: status, conditions = [], now } = options || ({} as PostPolicyOptions);
  const bad = (what: string, want: string, v: unknown) => must('ERR_INVALID_POLICY', what, want, v);
  if ((key === undefined) == (keyPrefix === undefined)) fail('ERR_INVALID_POLICY', 'give exactly one of key and keyPrefix');
  if (keyPrefix !== undefined && typeof keyPrefix != 'string') bad('keyPrefix', 'a string', keyPrefix);
  const formKey = key ?? keyPrefix + '${filename}';
  const p = signer._prepare({ method: 'POST', bucket, key: formKey, expires, now });
  if (range && !(range.length == 2 && range.every((n) => Number.isSafeInteger(n) && n >= 0) && range[0] <= range[1]))
    bad('contentLengthRange', '[min, max] with 0 <= min <= max', range);
  if (status !== undefined && ![200, 201, 204].includes(status)) bad('successActionStatus', '200, 201 or 204', status);
  if (contentType !== undefined && !(typeof contentType == 'string' && /^[^\r\n]*$/.test(contentType))) bad('contentType', 'a string without CR or LF', contentType);
  if (!Array.isArray(conditions)) bad('conditions', 'an array', conditions);
  const [c, time, end] = await signer._window(p.now, p.expires);
  const fields: Record<string, string> = { key: formKey };
  const conds: unknown[] = [{ 'q-sign-algorithm': 'sha1' }, { 'q-ak': c.secretId }, { 'q-sign-time': time }];
  if (bucket !== undefined) conds.push({ bucket });
  conds.push(key !== undefined ? { key } : ['starts-with', '$key', keyPrefix]);
  if (range) conds.push(['content-length-range', range[0], range[1]]);
  const extra = { 'Content-Type': contentType, success_action_status: status && String(status), 'x-cos-security-token': c.securityToken };
  for (const [n, v] of Object.entries(extra)) if (v !== undefined) conds.push({ [n]: (fields[n] = v) });
  const policy = JSON.stringify({ expiration: new Date(end * 1000).toISOString(), conditions: conds.concat(conditions) });
  const b = signer._backend;
  const signature = await b.hmac(await signer._signKey(c, time), await b.sha1(policy));
  let bin = '';
  for (const x of new TextEncoder().encode(policy)) bin += String.fromCharCode(x);
  return {
    url: `${signer._scheme}://${p.host}/`,
    fields: { ...fields, policy: btoa(bin), 'q-sign-algorithm': 'sha1', 'q-ak': c.secretId, 'q-key-time': time, 'q-signature': signature },
  };
};
