/**
 * TC3-HMAC-SHA256, the signature of Tencent Cloud API 3.0 ("signature v3"), step by step as Tencent's
 * documentation names the steps, over WebCrypto (SHA-256 and HMAC-SHA256 from `crypto.subtle`).
 * It signs what Tencent's own SDKs sign for a JSON POST: the `content-type` and `host` headers, the
 * host without a port (tencentcloud-sdk-nodejs-common's `Sign.sign3`). Used by `cos-sign/sts`.
 */
import { hex } from '../sign/hash.js';

/** What one TC3 signature covers. @internal */
export interface Tc3Input {
  /** The SecretId, named in the `Credential=` field. */
  secretId: string;
  /** The SecretKey: the root of the signing key, never in the output. */
  secretKey: string;
  /** The service, the first label of its host: `sts` for `sts.tencentcloudapi.com`. */
  service: string;
  /** The URL the request goes to (its host, without port, and its path and query are signed). */
  url: URL;
  /** The Content-Type header sent, signed as it is. */
  contentType: string;
  /** The request body, exactly as sent (UTF-8). */
  payload: string;
  /** The signing time, whole epoch seconds (also sent as `X-TC-Timestamp`). */
  timestamp: number;
}

const te = new TextEncoder();

/** The UTC date `YYYY-MM-DD` of epoch seconds: the credential scope's first part. @internal */
export const tc3Date = (timestamp: number): string => new Date(timestamp * 1000).toISOString().slice(0, 10);

/**
 * Step 1, the CanonicalRequest: method, path, query, the signed headers (lowercase names, one per line),
 * their names, and the hex SHA-256 of the body. @internal
 */
export const canonicalRequest = (i: Tc3Input, payloadHash: string): string =>
  `POST\n${i.url.pathname}\n${i.url.search.slice(1)}\n` +
  `content-type:${i.contentType}\nhost:${i.url.hostname}\n\ncontent-type;host\n${payloadHash}`;

/** Step 2, the StringToSign: algorithm, timestamp, credential scope, hex SHA-256 of the CanonicalRequest. @internal */
export const stringToSign = (timestamp: number, scope: string, canonicalHash: string): string =>
  `TC3-HMAC-SHA256\n${timestamp}\n${scope}\n${canonicalHash}`;

/**
 * Steps 1–4: the `Authorization` header value,
 * `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=content-type;host, Signature=<hex>`.
 * The signing key is HMAC-SHA256 chained over `"TC3" + secretKey`, the date, the service and `tc3_request`. @internal
 */
export const tc3Authorization = async (subtle: SubtleCrypto, i: Tc3Input): Promise<string> => {
  const sha256 = async (s: string) => hex(await subtle.digest('SHA-256', te.encode(s)));
  const hmac = async (key: BufferSource, s: string) =>
    subtle.sign(
      'HMAC',
      await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
      te.encode(s),
    );
  const date = tc3Date(i.timestamp);
  const scope = `${date}/${i.service}/tc3_request`;
  const toSign = stringToSign(i.timestamp, scope, await sha256(canonicalRequest(i, await sha256(i.payload))));
  let key = await hmac(te.encode('TC3' + i.secretKey), date);
  key = await hmac(key, i.service);
  key = await hmac(key, 'tc3_request');
  const signature = hex(await hmac(key, toSign));
  return `TC3-HMAC-SHA256 Credential=${i.secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`;
};
