// Checks a request's signature in tests with the demo COS server's own verifier
// (demo/server/cos-auth.mjs: node:crypto from COS's documentation, sharing no code with src/).
// @ts-expect-error plain JS without types
import { parseAuthorization, parseQuery, verifyRequest } from '../demo/server/cos-auth.mjs';

export interface Received {
  method: string;
  /** The URL as sent (path percent-encoded, query as is). */
  url: string;
  /** Request headers, any case. */
  headers?: Record<string, string>;
  /** The Authorization value; taken from the URL's query when absent. */
  authorization?: string;
}

type Fields = Record<
  'q-ak' | 'q-sign-time' | 'q-key-time' | 'q-header-list' | 'q-url-param-list' | 'q-signature',
  string
>;

/**
 * Returns the signed fields when `secretKey` produced this request's signature, else throws with COS's
 * error code. The server clock is taken to be the signing time, so old fixed `now`s verify too.
 */
export const verify = (r: Received, secretKey: string): Fields => {
  const u = new URL(r.url);
  const query: [string, string][] = parseQuery(u.search.slice(1));
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  headers.host ??= u.host;
  if (r.authorization) headers.authorization = r.authorization;
  const auth: Fields = r.authorization
    ? parseAuthorization(r.authorization)
    : Object.fromEntries(query.filter(([k]) => k.startsWith('q-')));
  const start = Number(auth['q-sign-time'].split(';')[0]);
  // The signature is what is checked here; whatever token the request carries is taken as the key's.
  const token = headers['x-cos-security-token'] ?? query.find(([k]) => k.toLowerCase() == 'x-cos-security-token')?.[1];
  try {
    verifyRequest({
      method: r.method,
      path: decodeURIComponent(u.pathname),
      query,
      headers,
      keys: new Map([[auth['q-ak'], { secretKey, token }]]),
      nowMs: (start + 60) * 1000,
    });
  } catch (e: any) {
    throw new Error(`${e.code}: ${e.message}`);
  }
  return auth;
};
