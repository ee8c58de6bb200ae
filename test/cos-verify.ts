// An independent COS signature verifier for tests, written with node:crypto from COS's documentation
// (it shares no code with src/): recomputes q-signature from what a request actually carries.
import { createHash, createHmac } from 'node:crypto';

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

export interface Received {
  method: string;
  /** The URL as sent (path percent-encoded, query as is). */
  url: string;
  /** Request headers, any case. */
  headers?: Record<string, string>;
  /** The Authorization value; taken from the URL's query when absent. */
  authorization?: string;
}

/** Returns the signed fields when `secretKey` produced this request's signature, else throws why not. */
export const verify = (r: Received, secretKey: string) => {
  const u = new URL(r.url);
  const auth = r.authorization ?? u.search.slice(1).split('&').filter((kv) => kv.startsWith('q-')).map(decodeURIComponent).join('&');
  const f = Object.fromEntries(auth.split('&').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  if (f['q-sign-algorithm'] !== 'sha1') throw new Error('not sha1: ' + auth);
  const query = new Map<string, string>();
  for (const kv of u.search.slice(1).split('&').filter(Boolean)) {
    const i = kv.indexOf('=');
    const n = decodeURIComponent((i < 0 ? kv : kv.slice(0, i)).replace(/\+/g, ' '));
    if (!n.startsWith('q-')) query.set(rfc3986(n).toLowerCase(), rfc3986(i < 0 ? '' : decodeURIComponent(kv.slice(i + 1).replace(/\+/g, ' '))));
  }
  const headers = new Map(Object.entries(r.headers ?? {}).map(([k, v]) => [rfc3986(k).toLowerCase(), rfc3986(v)]));
  if (!headers.has('host')) headers.set('host', u.hostname);
  const pick = (list: string, from: Map<string, string>, what: string) =>
    list
      .split(';')
      .filter(Boolean)
      .map((n) => {
        if (!from.has(n)) throw new Error(`signed ${what} ${n} is not in the request`);
        return `${n}=${from.get(n)}`;
      })
      .join('&');
  const path = decodeURIComponent(u.pathname);
  const httpString = `${r.method.toLowerCase()}\n${path}\n${pick(f['q-url-param-list'], query, 'param')}\n${pick(f['q-header-list'], headers, 'header')}\n`;
  const signKey = createHmac('sha1', secretKey).update(f['q-key-time']).digest('hex');
  const sts = `sha1\n${f['q-sign-time']}\n${createHash('sha1').update(httpString).digest('hex')}\n`;
  const sig = createHmac('sha1', signKey).update(sts).digest('hex');
  if (sig !== f['q-signature']) throw new Error(`SignatureDoesNotMatch for ${JSON.stringify(httpString)}`);
  return f as Record<'q-ak' | 'q-sign-time' | 'q-key-time' | 'q-header-list' | 'q-url-param-list' | 'q-signature', string>;
};
